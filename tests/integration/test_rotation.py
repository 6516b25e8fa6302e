#!/usr/bin/env python3
"""Segment rotation by size and by time, checked with tcpdump and capinfos.

Size: a ~20 MB synth trace imported with --segment-bytes 1000000 --snaplen 0
gives segments of at most 1,000,000 bytes each, and every one but the last
more than 1,000,000 - (65535 + 32) (a segment closes only when the next
packet block would not fit). The segments hold every input packet once, in
order (tcpdump text and packet bytes of the segments, concatenated, equal
the input's), and the catalogue's numbers (packets, file_bytes, sha256,
start_ns, end_ns) match the files.

Time: a 35 s synth trace (starting at xx:03.5) imported with --segment-seconds 10: each segment's
packets (timestamps read by tcpdump) lie in one aligned window
[k*10 s, (k+1)*10 s), the windows strictly increase from one segment to the
next, and again every packet is there once, in order.
"""

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

SEG_BYTES = 1_000_000
MAX_BLOCK = 65535 + 32
WINDOW_NS = 10 * 1_000_000_000

_work = Path(tempfile.mkdtemp(prefix="trove-it-rotation-"))
if not it.KEEP:
    atexit.register(shutil.rmtree, _work, True)


def trace():
    return it.synth(_work, "--bytes", "20M", "--seed", "7")


def trace_35s():
    # 35 s of traffic starting mid-window (xx:xx:03.5): windows are aligned
    # to the epoch, not to the first packet.
    return it.synth(_work, "--duration", "35", "--rate", "20", "--seed", "7",
                    "--start", "2026-01-01T00:00:03.5Z")


_input_cache = {}


def input_oracle(path):
    if path not in _input_cache:
        _input_cache[path] = (it.tcpdump_lines(path), it.read_packets(path), it.capinfos_count(path))
    return _input_cache[path]


def check_catalogue_matches_files(segs):
    for s in segs:
        path = Path(s["path"])
        check(path.exists(), f"segment {s['id']}: {path} does not exist")
        check_eq(s["file_bytes"], path.stat().st_size, f"segment {s['id']} file_bytes vs stat")
        check_eq(s["sha256"], it.sha256_file(path), f"segment {s['id']} sha256 vs sha256 of {path}")
        times = it.tcpdump_times_ns(path)
        check_eq(s["packets"], len(times), f"segment {s['id']} packets vs tcpdump")
        if times:
            check_eq(s["start_ns"], min(times), f"segment {s['id']} start_ns vs first packet (tcpdump)")
            check_eq(s["end_ns"], max(times), f"segment {s['id']} end_ns vs last packet (tcpdump)")


def check_all_packets_once(segs, src):
    want_text, want_pk, want_n = input_oracle(src)
    check_eq(sum(s["packets"] for s in segs), want_n, "total packets in segments vs capinfos -c input")
    it.compare_lines(it.tcpdump_segments(segs), want_text, "segments (in time order)", src.name)
    got_pk = [p for s in segs for p in it.read_packets(s["path"])]
    it.compare_packets(got_pk, want_pk, "segments", src.name)


@it.case
def rotation_by_size():
    src = trace()
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        store.run("import", "--segment-bytes", SEG_BYTES, "--snaplen", "0", src)
        segs = it.sorted_segments(store.ls())
        check(len(segs) >= 15, f"expected >= 15 segments of <= 1 MB from a 20 MB trace, got {len(segs)}")
        for i, s in enumerate(segs):
            size = Path(s["path"]).stat().st_size
            check(size <= SEG_BYTES, f"segment {s['id']} ({s['path']}) is {size} B > {SEG_BYTES}")
            if i < len(segs) - 1:
                check(size > SEG_BYTES - MAX_BLOCK,
                      f"segment {s['id']} ({s['path']}) is {size} B: closed too early "
                      f"(<= {SEG_BYTES} - {MAX_BLOCK})")
        check_catalogue_matches_files(segs)
        check_all_packets_once(segs, src)
        store.assert_consistent("after size rotation")


@it.case
def rotation_by_time():
    src = trace_35s()
    times = it.tcpdump_times_ns(src)
    span = (max(times) - min(times)) / 1e9
    check(span >= 25, f"test needs a synth trace spanning >= 25 s, {src.name} spans {span:.1f} s")
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        store.run("import", "--segment-seconds", "10", "--snaplen", "0", src)
        segs = it.sorted_segments(store.ls())
        prev_window = None
        for s in segs:
            ts = it.tcpdump_times_ns(s["path"])
            check(ts, f"segment {s['id']} ({s['path']}) holds no packet")
            k = min(ts) // WINDOW_NS
            check(max(ts) < (k + 1) * WINDOW_NS,
                  f"segment {s['id']} spans windows: first {min(ts)} last {max(ts)} "
                  f"(window [{k * 10}, {(k + 1) * 10}) s)")
            check(prev_window is None or k > prev_window,
                  f"segment {s['id']} window {k * 10} s does not follow the previous one "
                  f"({prev_window * 10 if prev_window is not None else None} s): segments overlap")
            prev_window = k
        want_windows = len({t // WINDOW_NS for t in times})
        check_eq(len(segs), want_windows, "segments vs distinct 10 s windows holding packets")
        check_catalogue_matches_files(segs)
        check_all_packets_once(segs, src)
        store.assert_consistent("after time rotation")


if __name__ == "__main__":
    sys.exit(it.main())
