#!/usr/bin/env python3
"""Turn bench/throughput.sh's results directory into a table and a JSON file.

Per row and test the directory holds ROW.TEST.json (iperf3 -J from the
client), ROW.TEST.mtu (only when a tunnel device's MTU was not 1400),
ROW.TEST.cpu ("ticks clk_tck": CPU time the row's tunnel processes
used during the run, both gateways), ROW.verify (what the outer capture saw)
or ROW.unavailable (why the row could not run).

Rates: TCP is the receiver's goodput; packets/s is goodput divided by the
1328-byte payload of a full segment (MTU 1400, IPv6, TCP timestamps), an
estimate. UDP is what the server received: datagrams/s and loss are iperf3's
own counts. The ratio column is REF / row (REF = mip6sec, or the plain
ceiling when mip6sec is unavailable), so "2.5" reads "mip6sec carries 2.5x
what this row does".
"""
import argparse
import json
import os
import platform
import subprocess
import sys

TCP_PAYLOAD = 1328
CIPHERS = {
    "plain": "none (kernel routing)",
    "mip6sec": "ESP AES-128-CBC + HMAC-SHA-256-128 (manual SAs)",
    "mip6sec_udp": "the same in UDP 4500 (RFC 3948)",
    "strongswan": "ESP AES-128-CBC + HMAC-SHA-256-128 (IKEv2), UDP 4500",
    "wireguard": "ChaCha20-Poly1305 (fixed by WireGuard)",
    "openvpn": "AES-128-CBC + HMAC-SHA256 (static key)",
}
TEST_NAMES = {
    "tcp1": "TCP, 1 stream",
    "tcp4": "TCP, 4 streams",
    "udp1400": "UDP, 1400-byte packets (1352-byte datagrams)",
    "udp100": "UDP, 100-byte datagrams",
}
# Issue 3: mip6sec >= 2.5x these peers on single-stream TCP.
TARGETS = (("tcp1", "strongswan", 2.5), ("tcp1", "wireguard", 2.5))


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def one_test(res, row, test):
    raw = read(os.path.join(res, f"{row}.{test}.json"))
    if not raw:
        return {"error": "no iperf3 output"}
    try:
        j = json.loads(raw)
    except ValueError:
        return {"error": "iperf3 output is not JSON"}
    if j.get("error"):
        return {"error": j["error"]}
    end = j.get("end", {})
    recv = end.get("sum_received") or end.get("sum") or {}
    secs = recv.get("seconds") or 0
    if not secs:
        return {"error": "iperf3 reported no duration"}
    out = {"mbps": recv.get("bits_per_second", 0) / 1e6, "seconds": secs}
    if test.startswith("udp"):
        got = recv.get("packets", 0) - recv.get("lost_packets", 0)
        out["pps"] = got / secs
        out["loss_pct"] = recv.get("lost_percent", 0.0)
        sent = end.get("sum_sent") or {}
        out["offered_mbps"] = sent.get("bits_per_second", 0) / 1e6
    else:
        out["pps"] = recv.get("bytes", 0) / TCP_PAYLOAD / secs
        out["retransmits"] = (end.get("sum_sent") or {}).get("retransmits", 0)
    cpu = read(os.path.join(res, f"{row}.{test}.cpu"))
    if cpu:
        ticks, hz = (int(x) for x in cpu.split())
        out["cpu_s"] = ticks / hz
        pkts = out["pps"] * secs
        if ticks and pkts:
            out["cpu_us_per_pkt"] = out["cpu_s"] * 1e6 / pkts
    if out["mbps"] <= 0:
        out["error"] = "nothing arrived"
    mtu = read(os.path.join(res, f"{row}.{test}.mtu"))
    if mtu:
        out["error"] = f"tunnel MTU was {mtu}, not 1400: not comparable"
    return out


def version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (p.stdout or p.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def machine():
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "iperf3": version(["iperf3", "--version"]),
        "strongswan": version(["dpkg-query", "-W", "-f", "strongSwan ${Version}", "charon-systemd"]),
        "wireguard-go": version(["wireguard-go", "--version"]),
        "openvpn": version(["openvpn", "--version"]),
        "openssl": version(["openssl", "version"]),
        # Others share the machine: the load when the run ended says how much.
        "loadavg_at_end": read("/proc/loadavg"),
    }


def fmt(v, spec, width):
    return format(v, spec).rjust(width) if isinstance(v, (int, float)) else str(v or "-").rjust(width)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--tests", required=True)
    ap.add_argument("results")
    ap.add_argument("out")
    a = ap.parse_args()
    rows, tests = a.rows.split(), a.tests.split()

    data = {}
    for row in rows:
        why = read(os.path.join(a.results, f"{row}.unavailable"))
        d = {"cipher": CIPHERS.get(row, "?"), "available": why is None}
        if why is not None:
            d["reason"] = why
        else:
            d["verify"] = read(os.path.join(a.results, f"{row}.verify"))
            d["tests"] = {t: one_test(a.results, row, t) for t in tests}
        data[row] = d

    ref = "mip6sec" if data.get("mip6sec", {}).get("available") else "plain"
    if not data.get(ref, {}).get("available"):
        ref = None
    for row, d in data.items():
        for t, r in d.get("tests", {}).items():
            base = data[ref]["tests"].get(t, {}) if ref else {}
            if ref and "error" not in r and "error" not in base and r["mbps"] > 0:
                r[f"{ref}_over_row"] = base["mbps"] / r["mbps"]

    print(f"iperf3 {a.duration:g} s per run; ratio = {ref or 'none'} / row (Mb/s)")
    for row, d in data.items():
        state = d["cipher"] if d["available"] else f"unavailable ({d['reason']})"
        print(f"  {row:<12} {state}")
    hdr = f"{'row':<12} {'Mb/s':>9} {'pkt/s':>9} {'loss':>6} {'CPU us/pkt':>10} {(ref or '-') + '/row':>12}"
    for t in tests:
        print(f"\n{TEST_NAMES.get(t, t)}\n{hdr}")
        for row, d in data.items():
            if not d["available"]:
                print(f"{row:<12} {'unavailable':>9}")
                continue
            r = d["tests"][t]
            if "error" in r:
                print(f"{row:<12} {'failed':>9}  {r['error']}")
                continue
            loss = f"{r['loss_pct']:.1f}%" if "loss_pct" in r else "-"
            print(f"{row:<12} {fmt(r['mbps'], '.1f', 9)} {fmt(r['pps'], '.0f', 9)} {loss:>6} "
                  f"{fmt(r.get('cpu_us_per_pkt'), '.1f', 10)} {fmt(r.get(f'{ref}_over_row'), '.2f', 12)}")

    targets = []
    if ref == "mip6sec":
        print()
        for t, peer, want in TARGETS:
            got = data.get(peer, {}).get("tests", {}).get(t, {}).get("mip6sec_over_row")
            ok = got is not None and got >= want
            targets.append({"test": t, "peer": peer, "want": want, "got": got, "met": ok})
            shown = f"{got:.2f}x" if got is not None else "n/a"
            print(f"target: mip6sec >= {want}x {peer} on {TEST_NAMES[t]}: {shown} {'met' if ok else 'NOT met'}")
    else:
        print("\nmip6sec: unavailable; ratios are against the plain veth ceiling")

    doc = {"duration_s": a.duration, "reference": ref, "machine": machine(), "rows": data, "targets": targets}
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"\nwrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
