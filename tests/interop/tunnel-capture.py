#!/usr/bin/python3
"""Helpers of tests/interop/tunnel-replay.sh for a capture of a real tunnel.

  tunnel-capture.py decrypt PCAP SAFILE
      Three ESP implementations decrypt the capture with the test's keys:
      espcap (ours), tshark (esp_sa table, ICV verified) and scapy
      (SecurityAssociation). Every ESP packet must be opened by all three to
      the same inner bytes (ICMPv6 echo and UDP between the inner hosts), no
      inner address may appear in clear, and tshark must find nothing
      malformed. Prints "esp N SPI=COUNT ...".
  tunnel-capture.py replay PCAP SRC IFACE
      Send again, out of IFACE, every captured frame whose IPv6 source is SRC
      and that carries ESP (raw or in UDP); prints how many.
  tunnel-capture.py txcsum-off IFACE
      Turn transmit checksum offload off (ethtool -K IFACE tx off, without
      needing ethtool): a veth otherwise hands UDP to its peer with only the
      pseudo-header sum in the checksum field (CHECKSUM_PARTIAL), so a
      capture would hold checksums no receiver accepts from the wire.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esp_manifest as em  # noqa: E402

from scapy.all import Ether, IPv6, UDP, rdpcap, sendp  # noqa: E402
from scapy.layers.ipsec import ESP  # noqa: E402

ND_MLD_TYPES = {130, 131, 132, 133, 134, 135, 136, 137, 143}
# Echo request and reply, UDP to a closed port and its Port Unreachable.
INNER_KINDS = {"ipv6:icmp6:128", "ipv6:icmp6:129", "ipv6:udp:33434", "ipv6:icmp6:1"}


def is_esp(p):
    return IPv6 in p and (p[IPv6].nh == 50 or (UDP in p and 4500 in (p[UDP].sport, p[UDP].dport)))


def decrypt(pcap, sa_file):
    with open(sa_file) as f:
        sas = em.read_sas(f.read().splitlines())
    frames = rdpcap(pcap)
    esp_frames = {i: f for i, f in enumerate(frames, 1) if is_esp(f)}
    # On the outer link, everything but ESP is neighbour discovery (or MLD)
    # between the outer addresses: no inner packet in clear.
    for i, f in enumerate(frames, 1):
        if i in esp_frames:
            continue
        nd = IPv6 in f and f[IPv6].nh == 58 and bytes(f[IPv6].payload)[:1] and \
            bytes(f[IPv6].payload)[0] in ND_MLD_TYPES
        if not nd or f[IPv6].src.startswith("fd00:") or f[IPv6].dst.startswith("fd00:"):
            em.fail(f"frame {i}: not ESP and not ND on the outer link: {f.summary()}")

    # Ours.
    ours = {n: r for n, r in em.read_results(em.espcap_open(sa_file, pcap)) if n in esp_frames}
    for n, r in ours.items():
        if not r["ok"] or r["inner"] not in INNER_KINDS:
            em.fail(f"frame {n}: espcap: {r}")

    # tshark, ICV checked.
    prefs = ["-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"]
    for sa in sas.values():
        prefs += ["-o", "uat:esp_sa:" + em.tshark_uat(sa)[0]]
    fields = ["frame.number", "esp.spi", "esp.icv_good", "ipv6.src", "ipv6.dst", "esp.decrypted_data",
              "_ws.malformed"]
    rows = em.tshark_fields(pcap, fields, prefs)
    for n in esp_frames:
        row = rows.get(n, {})
        # Outer, inner (and the invoking packet inside an ICMPv6 error).
        srcs = row.get("ipv6.src", "").split(",")
        if row.get("esp.icv_good") != "1" or len(srcs) < 2 or not srcs[1].startswith("fd00:"):
            em.fail(f"frame {n}: tshark: {row}")
        if row.get("_ws.malformed"):
            em.fail(f"frame {n}: tshark says malformed")

    # scapy: the same inner bytes as ours.
    per_spi = {}
    for n, f in esp_frames.items():
        p = IPv6(bytes(f[IPv6]))
        if UDP in p:  # RFC 3948: strip the UDP header, then plain ESP
            p = IPv6(src=p.src, dst=p.dst, nh=50) / ESP(bytes(p[UDP].payload))
        sa = sas.get(p[ESP].spi)
        if sa is None:
            em.fail(f"frame {n}: SPI {p[ESP].spi:#x} is not the test's")
            continue
        per_spi[sa["spi"]] = per_spi.get(sa["spi"], 0) + 1
        try:
            inner = bytes(em.scapy_sa(sa, p[ESP].seq, udp=False).decrypt(p))
        except Exception as e:  # IPSecIntegrityError or a dissection error
            em.fail(f"frame {n}: scapy cannot decrypt: {e!r}")
            continue
        if n in ours and ours[n]["ok"] and inner != ours[n]["hex"]:
            em.fail(f"frame {n}: scapy and espcap disagree:\n {inner.hex()}\n {ours[n]['hex'].hex()}")
    print("esp", len(esp_frames), " ".join(f"0x{s:08x}={c}" for s, c in sorted(per_spi.items())))
    return em.finish()


def replay(pcap, src, iface):
    frames = [f for f in rdpcap(pcap) if Ether in f and is_esp(f) and f[IPv6].src == src]
    sendp(frames, iface=iface, verbose=False)
    print(len(frames))
    return 0


def txcsum_off(iface):
    import array
    import fcntl
    import socket
    import struct
    siocethtool, ethtool_stxcsum = 0x8946, 0x17  # linux/sockios.h, linux/ethtool.h
    value = array.array("I", [ethtool_stxcsum, 0])  # struct ethtool_value {cmd, data}
    ifreq = struct.pack("16sP16x", iface.encode(), value.buffer_info()[0])  # struct ifreq, 40 bytes
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, siocethtool, ifreq)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "decrypt":
        sys.exit(decrypt(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 5 and sys.argv[1] == "replay":
        sys.exit(replay(*sys.argv[2:]))
    if len(sys.argv) == 3 and sys.argv[1] == "txcsum-off":
        sys.exit(txcsum_off(sys.argv[2]))
    print(__doc__)
    sys.exit(2)
