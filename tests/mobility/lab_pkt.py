#!/usr/bin/python3
"""Packet and traffic helpers of the mobility lab (tests/mobility/lab.sh).

  tcp-recv ADDR PORT TIMEOUT      accept one TCP connection on ADDR, print
                                  "<bytes> <sha256> <peer address>" at EOF
  tcp-send DST PORT BYTES RATE    send the lab's byte pattern (BYTES of it)
                                  at about RATE bytes/s
  pattern-sha BYTES               sha256 of the first BYTES of the pattern
  sa CONF NAME                    one manual SA of a daemon config as JSON
  tshark-prefs CONF               tshark -o options (one per line) that
                                  decrypt every manual SA of CONF
  bu CONF SA|none COA HOA HA SEQ LIFETIME [COUNT]
                                  send COUNT (1) Binding Updates
                                  IPv6(COA->HA) / DestOpt(HAO HOA) / ESP(SA) / MH BU
                                  (no ESP with "none"); run it in the
                                  namespace the packet should leave from
  replay PCAP SPI NTH             send again the NTH (0-based) ESP packet
                                  with SPI found in PCAP, byte for byte
  esp-frames PCAP SPI             "<epoch> <src>" of each ESP packet with SPI
"""
import hashlib
import json
import re
import socket
import subprocess
import sys
import time

PATTERN_BLOCK = 32


def pattern(offset, n):
    """n bytes of the pattern from offset: block k is sha256(b"mip6sec-lab" | k)."""
    out = bytearray()
    k = offset // PATTERN_BLOCK
    skip = offset % PATTERN_BLOCK
    while len(out) < n + skip:
        out += hashlib.sha256(b"mip6sec-lab" + k.to_bytes(8, "big")).digest()
        k += 1
    return bytes(out[skip:skip + n])


def tcp_recv(addr, port, timeout):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(1)
    s.settimeout(float(timeout))
    c, peer = s.accept()
    c.settimeout(float(timeout))
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        h.update(d)
        n += len(d)
    print(n, h.hexdigest(), peer[0])


def tcp_send(dst, port, nbytes, rate):
    nbytes, rate = int(nbytes), float(rate)
    deadline = time.monotonic() + 10
    while True:
        try:
            c = socket.create_connection((dst, int(port)), timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    print("local", c.getsockname()[0], flush=True)
    sent, t0, tick = 0, time.monotonic(), 0.02
    chunk = max(1, int(rate * tick))
    while sent < nbytes:
        n = min(chunk, nbytes - sent)
        c.sendall(pattern(sent, n))
        sent += n
        ahead = t0 + sent / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    c.shutdown(socket.SHUT_WR)
    # Wait for the receiver's close so every byte was acknowledged.
    c.settimeout(30)
    while c.recv(4096):
        pass
    c.close()
    print("sent", sent, "in %.2f s" % (time.monotonic() - t0))


def parse_sas(conf):
    """The manual-sa blocks of a daemon config, as dicts."""
    text = open(conf).read()
    m = re.search(r'manual-sa\s*=\s*\((.*?)\n\t\);', text, re.S)
    sas = []
    for block in re.findall(r'\{(.*?)\}', m.group(1), re.S):
        sa = dict(re.findall(r'([a-z-]+)\s*=\s*"?([^";]*)"?;', block))
        sa["spi"] = int(sa["spi"], 0)
        sas.append(sa)
    return sas


def find_sa(conf, name):
    for sa in parse_sas(conf):
        if sa["name"] == name:
            return sa
    sys.exit("no SA %s in %s" % (name, conf))


def tshark_prefs(conf):
    """The esp_sa records as tests/interop/esp_manifest.py writes them;
    addresses are wildcards: away from home the outer addresses are the
    care-of address and the HA, not the SA's selectors."""
    print("-o\nesp.enable_encryption_decode:TRUE\n-o\nesp.enable_authentication_check:TRUE")
    for sa in parse_sas(conf):
        fields = ["IPv6", "*", "*", "0x%08x" % sa["spi"], "AES-CBC [RFC3602]", "0x" + sa["encryption-key"],
                  "HMAC-SHA-256-128 [RFC4868]", "0x" + sa["integrity-key"]]
        print("-o\nuat:esp_sa:" + ",".join('"%s"' % f for f in fields))


def scapy_sa(sa, seq):
    from scapy.layers.ipsec import ESP, SecurityAssociation
    return SecurityAssociation(ESP, spi=sa["spi"], seq_num=seq, crypt_algo="AES-CBC",
                               crypt_key=bytes.fromhex(sa["encryption-key"]), auth_algo="SHA2-256-128",
                               auth_key=bytes.fromhex(sa["integrity-key"]))


def send_bu(conf, sa_name, coa, hoa, ha, seq, lifetime, count=1):
    from scapy.layers.inet6 import HAO, IPv6, IPv6ExtHdrDestOpt, MIP6MH_BU
    from scapy.sendrecv import send
    bu = (IPv6(src=coa, dst=ha) / IPv6ExtHdrDestOpt(options=[HAO(hoa=hoa)]) /
          MIP6MH_BU(seq=int(seq), flags="AH", mhtime=int(lifetime) // 4))
    pkt = bu
    if sa_name != "none":
        # Transport mode: scapy puts ESP after the Destination Options
        # header (no routing header), the RFC 3776 3.1 order.
        pkt = scapy_sa(find_sa(conf, sa_name), 1 + int(time.time()) % 100000).encrypt(bu)
    for _ in range(int(count)):
        send(pkt, verbose=False)
    print(pkt.summary())


def esp_frames(pcap, spi):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "esp.spi == %d" % spi, "-T", "fields",
                          "-e", "frame.number", "-e", "frame.time_epoch", "-e", "ipv6.src", "-E", "occurrence=f"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return [line.split("\t") for line in out if line]


def replay(pcap, spi, nth):
    from scapy.layers.inet6 import IPv6
    from scapy.sendrecv import send
    from scapy.utils import rdpcap
    frames = esp_frames(pcap, int(spi, 0))
    num = int(frames[int(nth)][0])
    # The IPv6 packet as it was on the wire, whatever the link header.
    pkt = IPv6(bytes(rdpcap(pcap)[num - 1][IPv6]))
    send(pkt, verbose=False)
    print("replayed frame", num, pkt.summary())


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tcp-recv":
        tcp_recv(*args)
    elif cmd == "tcp-send":
        tcp_send(*args)
    elif cmd == "pattern-sha":
        n, h, off = int(args[0]), hashlib.sha256(), 0
        while off < n:
            k = min(1 << 20, n - off)
            h.update(pattern(off, k))
            off += k
        print(h.hexdigest())
    elif cmd == "sa":
        print(json.dumps(find_sa(*args)))
    elif cmd == "tshark-prefs":
        tshark_prefs(*args)
    elif cmd == "bu":
        send_bu(*args)
    elif cmd == "replay":
        replay(*args)
    elif cmd == "esp-frames":
        for f in esp_frames(args[0], int(args[1], 0)):
            print(f[1], f[2])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
