#!/usr/bin/env python3
# ctest-label: service
"""Runtime control through the control socket (`trove ctl`) of a running import.

  * cutoff_change: ndpi_ftp.pcap (8.5 s of traffic) is replayed at real
    speed into a store whose default class has cutoff 0. While it runs,
    `trove ctl cutoff default none` is sent. The stored packets (trove_it's
    walker) must be: first a prefix exactly as cutoff 0 gives (SYN/FIN/RST
    whole, the others their first 64 bytes, computed here from the input
    bytes), then a non-empty suffix of whole packets; `ctl show` reports
    the new cutoff.
  * errors: a malformed command exits 2 with the usage; an unknown class
    exits 2; with no import running, `trove ctl` exits 1.
  * stats_live: `trove stats --live --json` during a real-speed replay. Each
    sample names the last packet the writer finished (packet_ns); the packets
    and captured bytes the classes saw must be exactly a prefix of the input
    ending at that timestamp (computed here from the file), samples are
    monotonic, the class identity bytes_seen = stored + cut + snapped holds,
    and rates cover the interval. The human view prints one block per
    sample when piped. With no ingest running it exits 1 and says so.
"""

import subprocess
import sys
import time

import trove_it as it
from trove_it import check, check_eq

SRC = it.SHARED_PCAPS / "ndpi_ftp.pcap"


def tcp_control(pkt) -> bool:
    """SYN/FIN/RST of an untagged Ethernet IPv4 TCP packet (ndpi_ftp is that)."""
    data = pkt[3]
    if len(data) < 34 or data[12:14] != b"\x08\x00" or data[23] != 6:
        return False
    off = 14 + (data[14] & 0x0F) * 4
    return len(data) > off + 13 and (data[off + 13] & 0x07) != 0


def ctl(store, *words, check_rc=0):
    return store.run("ctl", *words, check_rc=check_rc)


def start_import(store, tmp):
    err = open(tmp / "import.err", "w")
    p = subprocess.Popen(store.cmd("import", "--snaplen", "0", "--replay-speed", "1", SRC),
                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    sock = store.path / "run" / "default.ctl"
    deadline = time.monotonic() + 10
    while not sock.exists():
        check(time.monotonic() < deadline and p.poll() is None, "control socket did not appear")
        time.sleep(0.02)
    return p


@it.case
def cutoff_change():
    with it.tempdir() as tmp:
        store = it.new_store(tmp, cutoff="0")
        p = start_import(store, tmp)
        try:
            time.sleep(2.0)
            out = ctl(store, "cutoff", "default", "none").stdout.strip()
            check_eq(out, "ok: class default cutoff none", "ctl reply")
            check_eq(ctl(store, "show").stdout.strip(), "ok: default cutoff none", "ctl show")
            check_eq(p.wait(timeout=60), 0, "import exit code")
        finally:
            if p.poll() is None:
                it.kill_group(p)
                p.wait()
        orig = it.read_packets(SRC)
        got = [q for s in it.sorted_segments(store.ls()) for q in it.read_packets(s["path"])]
        check_eq(len(got), len(orig), "stored packet count")
        k = 0
        while k < len(got) and got[k][1] == (orig[k][1] if tcp_control(orig[k])
                                             else min(orig[k][1], 64)):
            k += 1
        check(k > 0, "no packet was stored under the initial cutoff 0")
        rest = got[k:]
        check(len(rest) > 0, "the new cutoff never took effect")
        for i, (g, o) in enumerate(zip(rest, orig[k:])):
            check(g == o, f"packet {k + i + 1}: not whole after `cutoff default none`")
        check(any(o[1] > 64 and not tcp_control(o) for o in orig[:k]),
              "the prefix does not show the cutoff at work")


@it.case
def errors():
    with it.tempdir() as tmp:
        store = it.new_store(tmp, cutoff="0")
        r = ctl(store, "show", check_rc=1)
        check("is a trove import/capture of this link running" in r.stderr, r.stderr)
        p = start_import(store, tmp)
        try:
            r = ctl(store, "cutoff", "default", check_rc=2)
            check_eq(r.stdout.strip(), "error: cutoff CLASS BYTES|none", "usage reply")
            r = ctl(store, "cutoff", "nosuch", "5", check_rc=2)
            check_eq(r.stdout.strip(), "error: no class 'nosuch'", "unknown class reply")
        finally:
            it.kill_group(p)
            p.wait()


@it.case
def stats_live():
    import json
    orig = it.read_packets(SRC)
    with it.tempdir() as tmp:
        store = it.new_store(tmp, cutoff="4096")  # some bytes are cut
        r = store.run("stats", "--live", check_rc=1)
        check("no running import or capture" in r.stderr, r.stderr)
        p = start_import(store, tmp)
        try:
            time.sleep(1.0)
            r = store.run("stats", "--live", "--json", "--interval", "0.5", "--count", "4")
            samples = [json.loads(x) for x in r.stdout.splitlines()]
            check_eq(len(samples), 4, "samples")
            human = store.run("stats", "--live", "--interval", "0.2", "--count", "2").stdout
            check_eq(human.count("link default"), 2, "human blocks")
            check("CLASS" in human and "\n  default " in human, human)
            check_eq(p.wait(timeout=60), 0, "import exit code")
            segs = store.ls("--class", "default")
        finally:
            if p.poll() is None:
                it.kill_group(p)
                p.wait()
    # Retention (newest - oldest stored) per class, from the catalogue: with one
    # class it is the link's; it only grows (no budget) and never exceeds the
    # span of the segments stored at the end.
    span = max(g["end_ns"] for g in segs) - min(g["start_ns"] for g in segs)
    for i, s in enumerate(samples):
        r = s["classes"]["default"]["retention_ns"]
        check_eq(r, s["retention_ns"], f"sample {i}: class vs link retention")
        check(0 <= r <= span, f"sample {i}: retention {r} outside 0..{span}")
        if i:
            check(r >= samples[i - 1]["classes"]["default"]["retention_ns"], "retention shrank")
    check("RETENTION" in human, human)
    prev = None
    for i, s in enumerate(samples):
        c = s["classes"]["default"]
        seen = c["packets_seen"] + s["unmatched"]["packets"]
        L = s["packet_ns"]
        lo = sum(1 for q in orig if q[0] < L)
        hi = sum(1 for q in orig if q[0] <= L)
        check(lo < seen <= hi, f"sample {i}: {seen} packets seen, but {lo}..{hi} precede {L}")
        check_eq(c["bytes_seen"] + s["unmatched"]["bytes"], sum(q[1] for q in orig[:seen]),
                 f"sample {i}: bytes seen")
        check_eq(c["bytes_seen"], c["bytes_stored"] + c["bytes_cut"] + c["bytes_snapped"],
                 f"sample {i}: class byte identity")
        check(s["ingest"]["packets_read"] >= seen, f"sample {i}: read behind the writer")
        check_eq(s["ingest"]["ring_drops"], 0, "ring drops")
        if prev is not None:
            check(s["wall_ns"] > prev["wall_ns"] and seen >= prev_seen, f"sample {i}: not monotonic")
            dt = s["rates"]["interval_s"]
            check(0.3 < dt < 5, f"sample {i}: interval {dt}")
            want = (c["packets_seen"] - prev["classes"]["default"]["packets_seen"]) / dt
            got = s["rates"]["classes"]["default"]["seen_pps"]
            check(abs(got - want) < 1e-6 * max(1, want), f"sample {i}: seen_pps {got} vs {want}")
        prev, prev_seen = s, seen
    check(samples[-1]["packet_ns"] > samples[0]["packet_ns"], "the replay did not advance")


if __name__ == "__main__":
    sys.exit(it.main())
