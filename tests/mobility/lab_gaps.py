#!/usr/bin/python3
"""Handover interruptions from a capture on the lab's router R (SLL2, -i any).

    lab_gaps.py PCAP --if INDEX=PATH ... [--spi SPI ...] [--json]

R's interfaces towards the mobile node name the paths (r-a=a, r-b=b,
r-mn=home). A data packet is the mobile node's traffic crossing one of
them: tunnelled between the HA and a care-of address (IPv6-in-IPv6, or ESP
with one of the payload SPIs given by --spi), or, on the home link, an
ICMPv6 echo, TCP or UDP packet to or from the home address. Signalling
(MH, ESP of other SAs) and neighbour discovery are not data.

Per direction (down: R sends towards the MN; up: R receives from it), a
handover is a change of path between consecutive data packets; its
interruption is the time from the last packet on the old path to the first
on the new one. The handover's interruption is the longer of the two
directions (both must work again for a connection to flow). Prints one
line per handover and the median and p95; --json prints them as JSON.
"""
import argparse
import json
import subprocess
import sys

OUTGOING = 4  # sll.pkttype PACKET_OUTGOING


def percentile(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def switches(events):
    """[(t_last_old, t_first_new, old, new)] for one direction's (t, path) list."""
    out, last = [], None
    for t, path in events:
        if last and path != last[1]:
            out.append((last[0], t, last[1], path))
        last = (t, path)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("--if", dest="ifs", action="append", default=[], help="INDEX=PATH")
    ap.add_argument("--spi", action="append", default=[], help="payload ESP SPI (data)")
    ap.add_argument("--hoa", default="fd6d:1::100")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    paths = {int(k): v for k, v in (s.split("=") for s in a.ifs)}
    spis = {int(s, 0) for s in a.spi}
    fields = ["frame.time_epoch", "sll.ifindex", "sll.pkttype", "ipv6.src", "ipv6.dst", "ipv6.nxt", "esp.spi",
              "icmpv6.type", "tcp.srcport", "udp.srcport", "mip6.mhtype"]
    cmd = ["tshark", "-n", "-r", a.pcap, "-Y", "ipv6", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("tshark: " + out.stderr.strip())
    ev = {"down": [], "up": []}
    for line in out.stdout.splitlines():
        v = dict(zip(fields, line.split("\t") + [""] * len(fields)))
        try:
            path = paths.get(int(v["sll.ifindex"]))
        except ValueError:
            continue
        if path is None or v["mip6.mhtype"]:
            continue
        nxt = v["ipv6.nxt"].split(",")
        src, dst = v["ipv6.src"].split(","), v["ipv6.dst"].split(",")
        spi = [int(s, 0) for s in v["esp.spi"].split(",") if s]
        icmp = [int(s) for s in v["icmpv6.type"].split(",") if s]
        if nxt and nxt[0] == "41":
            data = True
        elif spi:
            data = spi[0] in spis
        else:
            data = a.hoa in (src[0], dst[0]) and (any(t in (128, 129) for t in icmp) or v["tcp.srcport"]
                                                 or v["udp.srcport"])
        if not data:
            continue
        d = "down" if int(v["sll.pkttype"]) == OUTGOING else "up"
        ev[d].append((float(v["frame.time_epoch"]), path))
    for d in ev:
        ev[d].sort()
    sw = {d: switches(ev[d]) for d in ev}
    rows = []
    for i in range(max(len(sw["down"]), len(sw["up"]))):
        row = {}
        for d in ("down", "up"):
            if i < len(sw[d]):
                t0, t1, old, new = sw[d][i]
                row[d + "_ms"] = round((t1 - t0) * 1000, 1)
                row[d + "_first"] = t1
                row["from"], row["to"] = old, new
                row.setdefault("t", t0)
        row["ms"] = max(row.get("down_ms", 0), row.get("up_ms", 0))
        rows.append(row)
    gaps = [r["ms"] for r in rows]
    summary = {"handovers": rows, "count": len(rows), "packets_down": len(ev["down"]), "packets_up": len(ev["up"]),
               "median_ms": round(percentile(gaps, 50), 1), "p95_ms": round(percentile(gaps, 95), 1),
               "max_ms": max(gaps) if gaps else None}
    if a.json:
        print(json.dumps(summary))
        return
    for i, r in enumerate(rows, 1):
        print("  handover %2d %-4s -> %-4s interruption %7.1f ms (down %s ms, up %s ms)"
              % (i, r["from"], r["to"], r["ms"], r.get("down_ms", "-"), r.get("up_ms", "-")))
    print("  %d handovers, median %.1f ms, p95 %.1f ms (%d data packets down, %d up)"
          % (len(rows), summary["median_ms"], summary["p95_ms"], len(ev["down"]), len(ev["up"])))


if __name__ == "__main__":
    main()
