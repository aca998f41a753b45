#!/usr/bin/python3
"""scapy, an independent implementation, checks the signalling path both ways.

1. scapy builds Binding Updates (RFC 3776 3.1, wire-formats.md E1/E3) and
   sigpath_probe feeds each to sigpath_in() with the home agent of
   etc/examples/home-agent.conf:
     - IPv6 . DestOpt{HAO} . ESP(transport, SPI 0x1001, AES-CBC +
       HMAC-SHA-256-128 with the example keys) . MH{BU}: accepted, esp, the
       HAO's home address (R3776-4.2.a: HAO before ESP);
     - the same from the home address without HAO (E3): accepted;
     - unprotected (no ESP): dropped, R3776-4.1.c;
     - sealed with a wrong integrity key: dropped by ESP (ICV);
     - sealed with MN2's SA (SPI 0x2001, MN2's keys) for MN1's home address:
       dropped, R3776-4.2.k.
2. sigpath_probe builds BU, BA, MPS and MPA the way the daemon will; scapy
   must dissect the header chain (HAO / RH2 outside ESP), decrypt the ESP
   with the example keys, find the message inside, and agree on its
   checksum (scapy takes the pseudo-header from the HAO / RH2 itself,
   R6275-6.1.1.d).
"""
import os
import re
import subprocess
import sys
import tempfile

try:
    from scapy.all import raw
    from scapy.layers.inet6 import (
        IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, HAO, MIP6MH_BU, MIP6MH_BA,
        MIP6OptAltCoA, ICMPv6MPSol, ICMPv6MPAdv)
    from scapy.layers.ipsec import SecurityAssociation, ESP
except ImportError:
    print("SKIP: python3-scapy not installed")
    sys.exit(77)

TOP_SRC = os.environ.get("top_srcdir", "..")
TOP_BUILD = os.environ.get("top_builddir", ".")
PROBE = os.path.join(TOP_BUILD, "tests/mobility/sigpath_probe")
HA_CONF = os.path.join(TOP_SRC, "etc/examples/home-agent.conf")
MN_CONF = os.path.join(TOP_SRC, "etc/examples/mobile-node.conf")

HA, HOA1, HOA2, COA = "2001:db8:1::1", "2001:db8:1::100", "2001:db8:1::200", "2001:db8:77::5"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def manual_sas(path):
    """name -> (spi, encryption key, integrity key) from a config file."""
    text = open(path).read()
    sas = {}
    for block in re.findall(r"\{[^{}]*name = \"[^\"]+\";[^{}]*spi = [^{}]*\}", text):
        name = re.search(r'name = "([^"]+)"', block).group(1)
        spi = int(re.search(r"spi = (0x[0-9a-fA-F]+|\d+)", block).group(1), 0)
        ek = re.search(r'encryption-key = "([0-9a-f]+)"', block).group(1)
        ik = re.search(r'integrity-key = "([0-9a-f]+)"', block).group(1)
        sas[name] = (spi, bytes.fromhex(ek), bytes.fromhex(ik))
    return sas


def sa_of(entry, integ=None):
    spi, ek, ik = entry
    return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-CBC", crypt_key=ek,
                               auth_algo="SHA2-256-128", auth_key=integ or ik)


def bu(src, hao):
    ip = IPv6(src=src, dst=HA, hlim=64)
    mh = MIP6MH_BU(seq=777, flags="HA", mhtime=225)
    if hao:
        mh = MIP6MH_BU(seq=777, flags="HA", mhtime=225, options=[MIP6OptAltCoA(acoa=src)])
        # A lone HAO: scapy pads it to 8n+6 itself, and only then takes the
        # home address for the checksum pseudo-header.
        return ip / IPv6ExtHdrDestOpt(options=[HAO(hoa=hao)]) / mh
    return ip / mh


def probe_in(conf, files):
    out = subprocess.run([PROBE, "in", conf] + files, check=True, capture_output=True, text=True).stdout
    verdicts = {}
    for line in out.splitlines():
        name, *fields = line.split()
        verdicts[os.path.basename(name)] = dict(f.split("=", 1) for f in fields)
    return verdicts


def check_scapy_built(tmp, ha_sas):
    mn1 = ha_sas["mn1-bu-in"]
    mn2 = ha_sas["mn2-bu-in"]
    good = bu(COA, HOA1)
    cases = {
        # name: (packet, expected verdict fields)
        "good": (sa_of(mn1).encrypt(good),
                 {"kind": "mh", "esp": "1", "sa": "0x1001", "type": "5", "src": COA, "hao": HOA1}),
        "home": (sa_of(mn1).encrypt(bu(HOA1, None)),
                 {"kind": "mh", "esp": "1", "sa": "0x1001", "type": "5", "src": HOA1, "hao": "-"}),
        "unprotected": (good, {"kind": "drop", "reason": "drop_unprotected"}),
        "unprotected-home": (bu(HOA1, None), {"kind": "drop", "reason": "drop_unprotected"}),
        "wrong-key": (sa_of(mn1, integ=bytes(32)).encrypt(good),
                      {"kind": "drop", "reason": "drop_esp", "esp_drop": "esp_auth"}),
        "mn2-sa-for-mn1": (sa_of(mn2).encrypt(good), {"kind": "drop", "reason": "drop_wrong_sa"}),
        "mn2-sa-own-hoa": (sa_of(mn2).encrypt(bu(COA, HOA2)),
                           {"kind": "mh", "esp": "1", "sa": "0x2001", "hao": HOA2}),
    }
    files = []
    for name, (pkt, _) in cases.items():
        wire = raw(pkt)
        # The layouts we expect scapy to have produced (E1 / E3).
        first = IPv6(wire).nh
        if ESP in pkt and first not in (50, 60):
            fail(f"{name}: scapy put next header {first} first")
        path = os.path.join(tmp, name + ".bin")
        with open(path, "wb") as f:
            f.write(wire)
        files.append(path)
    verdicts = probe_in(HA_CONF, files)
    for name, (_, want) in cases.items():
        got = verdicts.get(name + ".bin")
        if got is None:
            fail(f"{name}: no verdict")
            continue
        for k, v in want.items():
            if got.get(k) != v:
                fail(f"{name}: {k}={got.get(k)}, want {v} ({got})")
        print(f"ok: scapy {name}: {got['kind']} {got['reason']}")


def checksum_agrees(pkt, layer):
    """scapy recomputes the checksum of `layer` over its own pseudo-header.
    scapy uses the HAO's address only when the HAO is the header's single
    option, so the copy keeps just the HAO (scapy re-pads it)."""
    mine = pkt[layer].cksum
    copy = pkt.copy()
    if IPv6ExtHdrDestOpt in copy:
        dopt = copy[IPv6ExtHdrDestOpt]
        dopt.options = [o for o in dopt.options if isinstance(o, HAO)]
        dopt.len = None
    del copy[layer].cksum
    return IPv6(raw(copy))[layer].cksum == mine


def decrypt_transport(pkt, sa):
    """Open transport-mode ESP behind extension headers. scapy's own decrypt
    guesses the clear payload's class from the IPv6 header's Next Header
    (the extension header's, here), so open the ESP alone and put the clear
    payload back behind the headers with the ESP trailer's Next Header."""
    inner = sa.decrypt(IPv6(src=pkt.src, dst=pkt.dst) / pkt[ESP])
    head = pkt.copy()
    head[ESP].underlayer.nh = inner.nh
    head[ESP].underlayer.remove_payload()
    hb, body = bytearray(raw(head)), raw(inner.payload)
    hb[4:6] = (len(hb) - 40 + len(body)).to_bytes(2, "big")
    return IPv6(bytes(hb) + body)


def check_ours(tmp, ha_sas, mn_sas):
    subprocess.run([PROBE, "build", HA_CONF, MN_CONF, tmp], check=True)
    expect = {
        # file: (first ext header class, SA keys, message class, extra check)
        "bu-hao.bin": (IPv6ExtHdrDestOpt, ha_sas["mn1-bu-in"], MIP6MH_BU),
        "bu-home.bin": (None, ha_sas["mn1-bu-in"], MIP6MH_BU),
        "ba-rh2.bin": (IPv6ExtHdrRouting, mn_sas["mn1-bu-in"], MIP6MH_BA),
        "mps.bin": (IPv6ExtHdrDestOpt, ha_sas["mn1-mpd-in"], ICMPv6MPSol),
        "mpa.bin": (IPv6ExtHdrRouting, mn_sas["mn1-mpd-in"], ICMPv6MPAdv),
    }
    for name, (ext, keys, msg) in expect.items():
        pkt = IPv6(open(os.path.join(tmp, name), "rb").read())
        if ext is None:
            if not isinstance(pkt.payload, ESP):
                fail(f"{name}: {pkt.summary()}: ESP not right after IPv6")
                continue
        else:
            hdr = pkt.payload
            if not isinstance(hdr, ext) or not isinstance(hdr.payload, ESP):
                fail(f"{name}: {pkt.summary()}: want IPv6 / {ext.__name__} / ESP")
                continue
            if ext is IPv6ExtHdrDestOpt:
                haos = [o for o in hdr.options if isinstance(o, HAO)]
                if len(haos) != 1 or haos[0].hoa != HOA1:
                    fail(f"{name}: HAO {haos}")
            elif hdr.type != 2 or hdr.segleft != 1 or list(hdr.addresses) != [HOA1]:
                fail(f"{name}: RH2 type {hdr.type} segleft {hdr.segleft} {hdr.addresses}")
        if pkt[ESP].spi != keys[0]:
            fail(f"{name}: SPI {pkt[ESP].spi:#x}, want {keys[0]:#x}")
            continue
        try:
            clear = decrypt_transport(pkt, sa_of(keys))
        except Exception as e:  # scapy raises on a bad ICV or padding
            fail(f"{name}: scapy cannot decrypt: {e!r}")
            continue
        if msg not in clear:
            fail(f"{name}: decrypted {clear.summary()}, no {msg.__name__}")
            continue
        if not checksum_agrees(clear, msg):
            fail(f"{name}: {msg.__name__} checksum disagrees with scapy's")
        if msg is MIP6MH_BU and (clear[MIP6MH_BU].seq != 4242 or "H" not in clear[MIP6MH_BU].flags):
            fail(f"{name}: BU fields {clear[MIP6MH_BU].summary()}")
        if name == "bu-hao.bin" and (MIP6OptAltCoA not in clear or clear[MIP6OptAltCoA].acoa != COA):
            fail(f"{name}: no Alternate CoA option {COA} (R3776-4.3.e)")
        if msg is MIP6MH_BA and (clear[MIP6MH_BA].status != 0 or clear[MIP6MH_BA].seq != 4242):
            fail(f"{name}: BA fields {clear[MIP6MH_BA].summary()}")
        print(f"ok: ours {name}: {clear.summary()}")


def main():
    if not os.access(PROBE, os.X_OK):
        print(f"FAIL: {PROBE} not built")
        return 1
    ha_sas, mn_sas = manual_sas(HA_CONF), manual_sas(MN_CONF)
    with tempfile.TemporaryDirectory() as tmp:
        check_scapy_built(tmp, ha_sas)
        check_ours(tmp, ha_sas, mn_sas)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
