"""Shared by the interop tests: run espcap and read what it writes.

A manifest (espcap gen) holds "sa key=value ..." lines, one per SA, and per
packet the line `espcap open` prints for it:
    N ok spi=0x00001001 seq=4294967296 nh=41 inner=ipv6:icmp6:128 hex=...
    N DROP esp:replayed
"""
import os
import shutil
import subprocess

ESPCAP = os.path.join(os.environ.get("top_builddir", "."), "tests/interop/espcap")
TSHARK = os.environ.get("TSHARK") or shutil.which("tshark")
if TSHARK and not os.access(TSHARK, os.X_OK):
    TSHARK = None

# KEYMAT layout of the AES-CBC + HMAC-SHA-256-128 suites: encryption key
# (this long) | 32-byte integrity key, RFC 7296 2.17 order (aead.h).
CBC_KEYLEN = {"aes128-cbc-hmac-sha256-128": 16, "aes256-cbc-hmac-sha256-128": 32}

failures = []


def fail(msg):
    """Record a failure and go on, so one run reports all of them."""
    failures.append(msg)
    print("FAIL:", msg)


def finish():
    """The test's exit status: 0, or 1 after any fail()."""
    if failures:
        print(f"{len(failures)} failures")
        return 1
    return 0


def pad_len(alg, payload_len):
    """algorithms.md 3.1 (RFC 4303 2.4): B = 16 for AES-CBC, 4 for AEAD."""
    b = 16 if alg in CBC_KEYLEN else 4
    return (b - (payload_len + 2) % b) % b


def tshark_uat(sa):
    """(esp_sa record for tshark -o uat:esp_sa:..., ICV checked) for one of
    our SAs, or (None, False) when tshark 4.0 cannot decrypt it: its esp_sa
    table has no ChaCha20-Poly1305 and no ESN. With ESN the ICV covers the
    high half (R4303-3.3.2.a) so tshark cannot verify it; AES-CBC still
    decrypts (its ciphertext does not depend on ESN), AES-GCM does not (the
    high half is in the AAD)."""
    km, alg = sa["keymat"], sa["alg"]
    if alg in CBC_KEYLEN:
        # KEYMAT = encryption key | integrity key (RFC 7296 2.17 order).
        ek, ak = km[:CBC_KEYLEN[alg]], km[CBC_KEYLEN[alg]:]
        enc, auth, checked = "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]", True
        if sa["esn"]:
            auth, checked = "ANY 128 bit authentication [no checking]", False
    elif "gcm" in alg and not sa["esn"]:
        # KEYMAT = key | 4-byte salt, as tshark wants it (RFC 4106 8.1).
        ek, ak = km, b""
        enc, auth, checked = "AES-GCM with 16 octet ICV [RFC4106]", "NULL", True
    else:
        return None, False
    fields = ["IPv6", sa["src"], sa["dst"], "0x%08x" % sa["spi"], enc, "0x" + ek.hex(), auth,
              "0x" + ak.hex() if ak else ""]
    return ",".join('"%s"' % f for f in fields), checked


def scapy_sa(sa, seq=1, udp=None):
    """scapy's SecurityAssociation for one of our SAs, sending or receiving
    the 64-bit sequence number seq (scapy takes the ESN high half as a
    parameter, it does not infer it). udp: override the SA's encapsulation."""
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import ESP, SecurityAssociation
    km, alg = sa["keymat"], sa["alg"]
    if alg in CBC_KEYLEN:
        n = CBC_KEYLEN[alg]
        kw = dict(crypt_algo="AES-CBC", crypt_key=km[:n], auth_algo="SHA2-256-128", auth_key=km[n:])
    else:
        # scapy splits the 4-byte salt off the end of the KEYMAT itself.
        kw = dict(crypt_algo="AES-GCM" if "gcm" in alg else "CHACHA20-POLY1305", crypt_key=km)
    if sa["mode"] == "tunnel":
        kw["tunnel_header"] = IPv6(src=sa["src"], dst=sa["dst"])
    if (sa["encap"] == "udp") if udp is None else udp:
        kw["nat_t_header"] = UDP(sport=4500, dport=4500)
    return SecurityAssociation(ESP, spi=sa["spi"], seq_num=seq & 0xffffffff, esn_en=sa["esn"],
                               esn=seq >> 32, **kw)


def parse_kv(tokens):
    return dict(t.split("=", 1) for t in tokens)


def read_sas(lines):
    """{spi: {alg, mode, encap, esn, src, dst, keymat (bytes), top}} from "sa" lines."""
    sas = {}
    for line in lines:
        if line.startswith("sa "):
            kv = parse_kv(line.split()[1:])
            kv["spi"] = int(kv["spi"], 16)
            kv["esn"] = kv.get("esn") == "1"
            kv["keymat"] = bytes.fromhex(kv["keymat"])
            kv["top"] = int(kv.get("top", "0"))
            sas[kv["spi"]] = kv
    return sas


def read_results(lines):
    """[(n, dict)] from packet lines: dict has ok (bool) and either spi, seq,
    nh, inner, hex (bytes) or drop (the reason text)."""
    out = []
    for line in lines:
        if not line or line.startswith("#") or line.startswith("sa "):
            continue
        n, verdict, rest = (line.split(" ", 2) + [""])[:3]
        if verdict == "ok":
            kv = parse_kv(rest.split())
            out.append((int(n), {"ok": True, "spi": int(kv["spi"], 16), "seq": int(kv["seq"]),
                                 "nh": int(kv["nh"]), "inner": kv["inner"],
                                 "hex": bytes.fromhex(kv["hex"])}))
        else:
            out.append((int(n), {"ok": False, "drop": rest}))
    return out


def read_counters(lines):
    """({spi: {packets, auth_fail, replay_drop, other_drop}}, {reason: count})
    from the "# sa" and "# drop" lines of `espcap open`."""
    sas, drops = {}, {}
    for line in lines:
        if line.startswith("# sa "):
            f = line.split()
            sas[int(f[2], 16)] = {k: int(v) for k, v in (t.split("=") for t in f[3:])}
        elif line.startswith("# drop "):
            _, _, count, reason = line.split(" ", 3)
            drops[reason] = int(count)
    return sas, drops


def gen(tmp):
    """Run espcap gen; returns (pcap path, manifest lines)."""
    pcap, manifest = os.path.join(tmp, "ours.pcap"), os.path.join(tmp, "manifest")
    subprocess.run([ESPCAP, "gen", pcap, manifest], check=True)
    with open(manifest) as f:
        return pcap, f.read().splitlines()


def espcap_open(sa_file, pcap, passes=1):
    """Run espcap open; returns its output lines."""
    r = subprocess.run([ESPCAP, "open", "-p", str(passes), sa_file, pcap], check=True,
                       capture_output=True, text=True)
    return r.stdout.splitlines()


def tshark_fields(pcap, fields, prefs):
    """{frame number: {field: value}} from tshark -T fields; repeated fields
    (an inner and an outer IPv6 header) are joined with ','. fields[0] must
    be frame.number."""
    cmd = [TSHARK, "-n", "-r", pcap, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-E", "aggregator=,"] + prefs
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        row = dict(zip(fields, line.split("\t")))
        rows[int(row["frame.number"])] = row
    return rows


def last(v):
    """The innermost of a repeated tshark field."""
    return v.split(",")[-1] if v else ""


def num(v):
    """A tshark number (decimal or 0x hex); None when absent."""
    try:
        return int(v, 0)
    except (TypeError, ValueError):
        return None
