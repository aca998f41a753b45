#!/usr/bin/python3
"""Our ESP engine opens its own capture, then rejects the same capture replayed.

1. espcap gen seals 160 packets (every suite, tunnel and transport, raw ESP
   and ESP-in-UDP, ESN off and on across the 2^32 boundary); espcap open with
   the inbound twins of those SAs must print, per packet, exactly the line
   gen predicted: SPI, the full 64-bit sequence number (the ESN high half
   inferred, R4303-3.4.3.b), Next Header, inner protocol with a good
   checksum, and the inner bytes.
2. The capture opened a second time in the same SAs (a replay of the whole
   capture): every packet is dropped as "replayed" (R4303-3.4.3.a), counted
   per SA (replay_drop) and per reason, and no SA counts a packet twice.
3. The capture opened in SAs whose window was moved far ahead: without ESN
   every packet is "left of replay window", counted as a replay drop; with
   ESN the high half is inferred as the next subspace (RFC 4303 A2.2) and
   the ICV fails, counted as an authentication failure.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import esp_manifest as em  # noqa: E402

def main():
    with tempfile.TemporaryDirectory() as tmp:
        pcap, manifest = em.gen(tmp)
        sas = em.read_sas(manifest)
        want = [line for line in manifest if line and not line.startswith("sa ")]
        if len(sas) != 40 or len(want) != 160:
            em.fail(f"gen wrote {len(sas)} SAs and {len(want)} packets, want 40 and 160")
        sa_file = os.path.join(tmp, "manifest")

        # 1. One pass: every packet exactly as predicted.
        out = em.espcap_open(sa_file, pcap)
        got = [line for line in out if not line.startswith("#")]
        for g, w in zip(got, want):
            if g != w:
                em.fail(f"opened differently:\n got  {g[:160]}\n want {w[:160]}")
        if len(got) != len(want):
            em.fail(f"opened {len(got)} packets, want {len(want)}")
        per_sa = {}
        for _, r in em.read_results(want):
            per_sa[r["spi"]] = per_sa.get(r["spi"], 0) + 1
        counters, drops = em.read_counters(out)
        for spi, n in per_sa.items():
            if counters.get(spi, {}).get("packets") != n:
                em.fail(f"SA 0x{spi:08x} counted {counters.get(spi)}, want packets={n}")
        if drops:
            em.fail(f"drops on the first pass: {drops}")
        esn_hi = [r for _, r in em.read_results(want) if r["seq"] >= 1 << 32]
        if not esn_hi:
            em.fail("no packet crossed into ESN subspace 1")

        # 2. Two passes: the second is a replay of the whole capture.
        out = em.espcap_open(sa_file, pcap, passes=2)
        second = out[out.index("# pass 2") + 1:]
        replays = [r for _, r in em.read_results(second)]
        bad = [r for r in replays if r["ok"] or r["drop"] != "esp:replayed"]
        if bad or len(replays) != len(want):
            em.fail(f"replayed capture: {len(bad)} of {len(replays)} not dropped as replays: {bad[:3]}")
        counters, drops = em.read_counters(out)
        for spi, n in per_sa.items():
            c = counters.get(spi, {})
            if c.get("packets") != n or c.get("replay_drop") != n or c.get("auth_fail") != 0:
                em.fail(f"SA 0x{spi:08x} after the replay: {c}, want packets={n} replay_drop={n}")
        if drops != {"esp:replayed": len(want)}:
            em.fail(f"drop totals after the replay: {drops}")

        # 3. Receivers whose window is 2^20 packets ahead. Without ESN every
        # packet is left of the window. With ESN, RFC 4303 A2.2 reads a low
        # half below the window as the next subspace, so the ICV (which
        # covers the high half) fails instead: an authentication drop.
        ahead = os.path.join(tmp, "ahead")
        with open(ahead, "w") as f:
            for spi, sa in sas.items():
                line = next(x for x in manifest if x.startswith(f"sa spi=0x{spi:08x} "))
                top = (1 << 32 if sa["esn"] else 0) + (1 << 20)
                f.write(line.replace(f" top={sa['top']}", f" top={top}") + "\n")
        out = em.espcap_open(ahead, pcap)
        counters, _ = em.read_counters(out)
        old = em.read_results(out)
        for n, r in old:
            sa = sas[em.read_results([want[n - 1]])[0][1]["spi"]]
            drop = "esp:ICV mismatch" if sa["esn"] else "esp:left of replay window"
            if r["ok"] or r["drop"] != drop:
                em.fail(f"packet {n} (esn={int(sa['esn'])}) with the window ahead: {r}, want {drop}")
        for spi, n in per_sa.items():
            field = "auth_fail" if sas[spi]["esn"] else "replay_drop"
            if counters.get(spi, {}).get(field) != n or counters[spi]["packets"] != 0:
                em.fail(f"SA 0x{spi:08x} with the window ahead: {counters.get(spi)}, want {field}={n}")
        print(f"opened {len(got)} packets of ours, then rejected the replayed capture "
              f"({len(replays)} replays, {len(old)} too old), all counted")
    return em.finish()


if __name__ == "__main__":
    sys.exit(main())
