#!/usr/bin/python3
"""Check a capture of the mobility lab with tshark (tests/mobility/tshark-mip6.sh).

    lab_tshark.py PCAP HOA CONF [--min-bu N] [--min-ba N]

CONF is a daemon configuration whose manual SAs tshark gets as its esp_sa
table (lab_pkt.py tshark-prefs). Passes when:
  - no frame carrying ESP or Mobility Header is malformed or has an expert
    error;
  - every ESP frame of a configured SA decrypts with a good ICV (its keys
    are the daemons' keys, so this checks our ESP against tshark's);
  - every Binding Update is, from the outside in, IPv6 . Destination Options
    with a Home Address option . ESP . MH BU when sent away from home (RFC
    3776 3.1), IPv6 . ESP . MH BU from the home address;
  - every Binding Acknowledgement is IPv6 . type 2 Routing header . ESP .
    MH BA away from home, IPv6 . ESP . MH BA at home;
  - no MH message other than a Binding Error travels outside ESP;
  - at least --min-bu BUs and --min-ba BAs were seen.
"""
import argparse
import subprocess
import sys

ERROR_SEVERITY = 0x00800000  # epan/proto.h PI_ERROR
FIELDS = ["frame.number", "frame.protocols", "ipv6.src", "ipv6.dst", "esp.spi", "esp.icv_good",
          "mip6.mhtype", "ipv6.opt.type", "ipv6.routing.type", "_ws.expert.severity", "_ws.malformed",
          "mip6.bu.seqnr", "mip6.ba.status", "mip6.ba.seqnr", "ipv6.opt.mipv6.home_address"]
MH_NAMES = {0: "BRR", 1: "HoTI", 2: "CoTI", 3: "HoT", 4: "CoT", 5: "BU", 6: "BA", 7: "BE"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("hoa")
    ap.add_argument("conf")
    ap.add_argument("--min-bu", type=int, default=1)
    ap.add_argument("--min-ba", type=int, default=1)
    a = ap.parse_args()
    prefs = subprocess.run([sys.executable, __file__.replace("lab_tshark.py", "lab_pkt.py"), "tshark-prefs", a.conf],
                           capture_output=True, text=True, check=True).stdout.split("\n")
    prefs = [p for p in prefs if p]
    spis = set()
    for i, p in enumerate(prefs):
        if p.startswith("uat:esp_sa:"):
            spis.add(int(p.split(",")[3].strip('"'), 16))
    cmd = ["tshark", "-n", "-r", a.pcap] + prefs + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                                                    "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print("tshark failed:", out.stderr.strip())
        return 1
    bad, n_bu, n_ba, n_esp, n_mh = [], 0, 0, 0, 0
    for line in out.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t") + [""] * len(FIELDS)))
        protos = v["frame.protocols"].split(":")
        if "esp" not in protos and "mipv6" not in protos:
            continue
        num = v["frame.number"]
        sev = [int(s, 0) for s in v["_ws.expert.severity"].split(",") if s]
        if v["_ws.malformed"] or any(s >= ERROR_SEVERITY for s in sev):
            bad.append("frame %s malformed or expert error: %s" % (num, v["frame.protocols"]))
        src = v["ipv6.src"].split(",")[0]
        dst = v["ipv6.dst"].split(",")[0]
        if "esp" in protos:
            n_esp += 1
            spi = int(v["esp.spi"].split(",")[0], 0)
            if spi in spis and v["esp.icv_good"].split(",")[0] not in ("1", "True"):
                bad.append("frame %s: ESP SPI 0x%x not authenticated by tshark (icv_good=%r)"
                           % (num, spi, v["esp.icv_good"]))
        if "mipv6" not in protos:
            continue
        n_mh += 1
        mh = int(v["mip6.mhtype"].split(",")[0])
        name = MH_NAMES.get(mh, str(mh))
        # The layers from the (outer) IPv6 header on.
        chain = ":".join(protos[protos.index("ipv6"):])
        detail = ""
        if mh == 5:
            n_bu += 1
            detail = "seq %s hao %s" % (v["mip6.bu.seqnr"], v["ipv6.opt.mipv6.home_address"] or "-")
            want = "ipv6:esp:mipv6" if src == a.hoa else "ipv6:ipv6.dstopts:esp:mipv6"
            if chain != want:
                bad.append("frame %s: BU from %s as %s, want %s" % (num, src, chain, want))
            elif src != a.hoa and (a.hoa not in v["ipv6.opt.mipv6.home_address"].split(",")
                                   or "0xc9" not in v["ipv6.opt.type"].split(",")):
                bad.append("frame %s: BU from %s without HAO %s" % (num, src, a.hoa))
        elif mh == 6:
            n_ba += 1
            detail = "status %s seq %s" % (v["mip6.ba.status"], v["mip6.ba.seqnr"])
            want = "ipv6:esp:mipv6" if dst == a.hoa else "ipv6:ipv6.routing:esp:mipv6"
            if chain != want:
                bad.append("frame %s: BA to %s as %s, want %s" % (num, dst, chain, want))
            elif dst != a.hoa and v["ipv6.routing.type"].split(",")[0] != "2":
                bad.append("frame %s: BA routing header type %s, want 2" % (num, v["ipv6.routing.type"]))
        elif "esp" not in protos and mh != 7:
            bad.append("frame %s: %s outside ESP" % (num, name))
        print("  frame %5s  %-15s -> %-15s %-4s %s  [%s]" % (num, src, dst, name, detail, chain))
    print("%d ESP frames, %d MH frames (%d BU, %d BA), %d problems" % (n_esp, n_mh, n_bu, n_ba, len(bad)))
    for b in bad:
        print("  " + b)
    if n_bu < a.min_bu or n_ba < a.min_ba:
        print("want at least %d BU and %d BA" % (a.min_bu, a.min_ba))
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
