#!/usr/bin/env python3
"""`trove stats`: the intervals follow the data (issue 15).

Two real traces twenty years apart (tcpdump_afs.pcap, 1999; ndpi_ftp.pcap,
2019; capinfos gives their times) are stored (a) by one import, which makes
one segment spanning both, and (b) by two imports, one segment each.

  * one_import / two_imports: `stats --json` has about 50 rows: each row lies
    within one trace's time range (capinfos first/last packet), rows are at
    most ceil(duration / interval) + 1 per trace, and the twenty years between
    are exactly one gap whose intervals count what lies between the rows. The
    rows' packets add up to capinfos' count per trace and in total, their
    wire bytes to the sum of tshark's frame.len; `packets`, `bytes`,
    `wire_bytes` equal capinfos/tshark. The text output has one row per JSON
    row and one "... N empty intervals ..." line.
  * bad_interval: `--interval 1ns` (over 100000 intervals) and `--interval 0`
    exit 2 naming --interval.
"""

import math
import sys

import trove_it as it
from trove_it import check, check_eq

NS = 1_000_000_000
TRACES = ["tcpdump_afs.pcap", "ndpi_ftp.pcap"]  # in time order
STATE = {}


def oracle(name: str) -> dict:
    path = it.SHARED_PCAPS / name
    if not path.exists():
        raise it.Skip(f"{path} not present")
    p = it.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len",
                "-e", "frame.cap_len"])
    rows = [line.split("\t") for line in p.stdout.splitlines() if line.strip()]
    check_eq(len(rows), it.capinfos_count(path), f"tshark vs capinfos packets of {name}")
    times = [it.parse_ts_ns(r[0]) for r in rows]
    return {"path": path, "packets": len(rows), "wire": sum(int(r[1]) for r in rows),
            "cap": sum(int(r[2]) for r in rows), "first": min(times), "last": max(times)}


def check_stats(store: it.Store, want_segments: int) -> None:
    tr = [oracle(n) for n in TRACES]
    check(tr[1]["first"] - tr[0]["last"] > 10 * 365 * 86400 * NS, "the traces are years apart")
    j = store.json("stats")
    check_eq(j["segments"], want_segments, "segments")
    check_eq(j["packets"], sum(t["packets"] for t in tr), "packets vs capinfos")
    check_eq(j["bytes"], sum(t["cap"] for t in tr), "captured bytes vs tshark frame.cap_len")
    check_eq(j["wire_bytes"], sum(t["wire"] for t in tr), "wire bytes vs tshark frame.len")
    check_eq(j["start_ns"], tr[0]["first"], "start_ns")
    check_eq(j["end_ns"], tr[1]["last"], "end_ns")
    w = j["interval_ns"]
    rows = j["series"]
    check(0 < len(rows) <= 60, f"about 50 rows, got {len(rows)} (interval {w} ns)")
    check_eq(sum(r["packets"] for r in rows), j["packets"], "rows' packets vs total")
    check_eq(sum(r["wire_bytes"] for r in rows), j["wire_bytes"], "rows' wire bytes vs total")
    starts = [r["start_ns"] for r in rows]
    check(starts == sorted(set(starts)), "rows ascending, distinct")
    for t in tr:
        mine = [r for r in rows if r["end_ns"] > t["first"] and r["start_ns"] <= t["last"]]
        check(len(mine) <= math.ceil((t["last"] - t["first"]) / w) + 1,
              f"{len(mine)} rows for {t['path'].name} at {w} ns")
        check_eq(sum(r["packets"] for r in mine), t["packets"], f"packets of {t['path'].name}")
    for r in rows:
        check_eq(r["end_ns"] - r["start_ns"], w, "row width")
        check(r["packets"] > 0 or r["wire_bytes"] > 0, "no empty row")
        check(any(r["end_ns"] > t["first"] and r["start_ns"] <= t["last"] for t in tr),
              f"row at {r['start']} lies outside both traces")
    check_eq(len(j["gaps"]), 1, f"one gap: {j['gaps']}")
    g = j["gaps"][0]
    check(tr[0]["last"] < g["start_ns"] and g["end_ns"] <= tr[1]["first"] + w,
          f"the gap {g} lies between the traces")
    check_eq(g["intervals"], (g["end_ns"] - g["start_ns"]) // w, "gap's intervals")
    check_eq(j["empty_intervals"], g["intervals"], "empty_intervals")
    # Every interval from the first row to the last is a row or in the gap.
    check_eq((starts[-1] - starts[0]) // w + 1, len(rows) + g["intervals"], "rows + empty")

    text = store.run("stats").stdout.splitlines()
    head = text.index(next(line for line in text if line.startswith("INTERVAL START")))
    body = text[head + 1:]
    empty = [line for line in body if "empty interval" in line]
    check_eq(len(empty), 1, "one summary line for the empty intervals")
    check(f"... {g['intervals']} empty intervals" in empty[0], f"summary line: {empty[0]}")
    check_eq(len([line for line in body if line[:4].isdigit()]), len(rows), "text rows")


@it.case
def one_import():
    with it.tempdir() as d:
        store = it.new_store(d)
        store.run("import", "--snaplen", "0", *[it.SHARED_PCAPS / n for n in TRACES])
        check_stats(store, 1)


@it.case
def two_imports():
    with it.tempdir() as d:
        store = it.new_store(d)
        for n in TRACES:
            store.run("import", "--snaplen", "0", it.SHARED_PCAPS / n)
        check_stats(store, 2)


@it.case
def bad_interval():
    with it.tempdir() as d:
        store = it.new_store(d)
        store.run("import", "--snaplen", "0", it.SHARED_PCAPS / TRACES[1])
        for bad in ["1ns", "0"]:
            p = store.run("stats", "--interval", bad, check_rc=2)
            check("--interval" in p.stderr, f"--interval {bad}: stderr names the option: {p.stderr}")
        p = store.run("stats", "--interval", "1ns", check_rc=2)
        check("100000 intervals" in p.stderr, f"says why: {p.stderr}")


if __name__ == "__main__":
    sys.exit(it.main())
