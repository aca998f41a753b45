"""Shared by the interop tests: run espcap and read what it writes.

A manifest (espcap gen) holds "sa key=value ..." lines, one per SA, and per
packet the line `espcap open` prints for it:
    N ok spi=0x00001001 seq=4294967296 nh=41 inner=ipv6:icmp6:128 hex=...
    N DROP esp:replayed
"""
import os
import subprocess

ESPCAP = os.path.join(os.environ.get("top_builddir", "."), "tests/interop/espcap")

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
