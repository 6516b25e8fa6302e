#!/usr/bin/env python3
"""What `trove import` prints (issue 15): a progress bar on a terminal, one
summary line at the end, and nothing on stdout when piped.

  * terminal: under `script -qc` (a pseudo-terminal, util-linux), importing
    ndpi_ftp.pcap at 8x real time (about a second) draws the progress line
    (`importing [bar] pct  bytes  N packets  rate  pps  ETA`, redrawn with
    \\r and ESC[K) and ends with `trove: imported 1 of 1 file: N packets, SIZE in S
    segment, T s (RATE/s, PPS)`; N equals capinfos' count, S the segments
    `trove ls` lists, and the packet counts the bar shows never decrease nor
    exceed N.
  * piped: stdout is empty; stderr has the summary line but no progress
    (no \\r, no "importing [").
  * json: with --json stdout is exactly one JSON document (its packets equal
    capinfos') and stderr has no summary line.
  * bad_file: a missing second file: exit 2, the summary says "1 of 2 files".
"""

import re
import shlex
import shutil
import sys

import trove_it as it
from trove_it import check, check_eq

TRACE = it.SHARED_PCAPS / "ndpi_ftp.pcap"
SUMMARY = re.compile(r"trove: imported (\d+) of (\d+) files?: (\d+) packets, \S+ \S+ in (\d+) "
                     r"segments?, [0-9.]+ s \(\S+ \S+/s, \S+ \S*pps\)")


def need_trace():
    if not TRACE.exists():
        raise it.Skip(f"{TRACE} not present")


def summary(text: str) -> re.Match:
    lines = [m for m in map(SUMMARY.search, text.splitlines()) if m]
    check_eq(len(lines), 1, f"one summary line in:\n{text[-2000:]}")
    return lines[0]


@it.case
def terminal():
    need_trace()
    if not shutil.which("script"):
        raise it.Skip("script (util-linux) not installed")
    with it.tempdir() as d:
        store = it.new_store(d)
        cmd = shlex.join(store.cmd("import", "--replay-speed", "8", str(TRACE)))
        p = it.run(["script", "-qec", cmd, "/dev/null"])
        out = p.stdout
        n = it.capinfos_count(TRACE)
        m = summary(out)
        check_eq((int(m[1]), int(m[2]), int(m[3])), (1, 1, n), "files, packets vs capinfos")
        check_eq(int(m[4]), len(store.ls()), "segments vs trove ls")
        check("\x1b[Kimporting [" in out, f"progress line drawn: {out[:500]!r}")
        check("ETA" in out and "pps" in out, "progress shows rate and ETA")
        shown = [int(x) for x in re.findall(r"importing \[[#.]+\] +[0-9.]+%  \S+ \S+  (\d+) packets",
                                            out)]
        check(len(shown) >= 1, "at least one progress update")
        check(shown == sorted(shown) and shown[-1] <= n, f"progress packet counts {shown}")


@it.case
def piped():
    need_trace()
    with it.tempdir() as d:
        store = it.new_store(d)
        p = store.run("import", TRACE)
        check_eq(p.stdout, "", "stdout when piped")
        check("\r" not in p.stderr and "importing [" not in p.stderr, f"no progress: {p.stderr!r}")
        m = summary(p.stderr)
        check_eq(int(m[3]), it.capinfos_count(TRACE), "packets vs capinfos")


@it.case
def json():
    need_trace()
    with it.tempdir() as d:
        store = it.new_store(d)
        p = store.run("import", "--json", TRACE)
        doc = it.parse_json(p.stdout, "import --json")
        check_eq(doc["packets"], it.capinfos_count(TRACE), "packets vs capinfos")
        check(not SUMMARY.search(p.stderr), f"no summary line with --json: {p.stderr}")


@it.case
def bad_file():
    need_trace()
    with it.tempdir() as d:
        store = it.new_store(d)
        p = store.run("import", TRACE, d / "missing.pcap", check_rc=2)
        m = summary(p.stderr)
        check_eq((int(m[1]), int(m[2])), (1, 2, ), "files")
        check("missing.pcap" in p.stderr, "the error names the file")


if __name__ == "__main__":
    sys.exit(it.main())
