#!/usr/bin/env python3
# ctest-label: service
"""One segment stream per storage class, per-class budgets and retention.

Classes used (different precedence): "udp" (filter udp, precedence 10, no
cutoff) over "default" (every packet, 20480-byte cutoff).

  * streams: a synth trace is imported with small segments. Every segment
    of class udp holds only UDP (`tcpdump -r SEG 'not udp'` prints nothing)
    and every default segment no UDP; names and `ls --class` agree with the
    catalogue's class, `trove.class` is in the header (capinfos), and
    `fsck --rebuild-catalog` restores the class of every segment. The
    packet multiset of all segments equals the single-stream results: the
    input's UDP packets (tcpdump 'udp') whole, plus what a one-class store
    with the same 20480 cutoff stores of the input's 'not udp' packets.
  * budget: default has a small disk_budget. After the import: the bytes
    on disk of the class (raw + derived + .idx, summed from the files) are
    <= budget + one segment family; expired segments are the oldest, their
    rows are kept (`ls --expired`), their files are gone; the udp class is
    untouched; `trove query` returns exactly the packets of the remaining
    files (tcpdump over them); fsck is consistent.
  * retention: default has retention 10s: every remaining default raw
    segment ends within 10 s of the class's newest packet, every expired one
    before that (times from capinfos/tcpdump of the files before expiry).
  * crash: `trove gc` is killed (SIGKILL, TROVE_TEST_EXPIRY_KILL) after
    the journal, after the catalogue update and after the first file
    deletion; each time `trove fsck` finishes the journal and the store is
    consistent with the expired segments' files gone.
  * ctl_budget: a budget set with `trove ctl budget default 300k` during a
    replayed import expires segments of that running import.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

CLASSES = ('[[class]]\nname = "default"\ncutoff = 20480\n{extra}\n'
           '[[class]]\nname = "udp"\nfilter = "udp"\nprecedence = 10\ncutoff = "none"\n')

_work = None


def work():
    global _work
    if _work is None:
        import tempfile
        _work = Path(tempfile.mkdtemp(prefix="trove-it-classes-"))
    return _work


def trace():
    return it.synth(work(), "--duration", "30", "--rate", "30", "--seed", "21")


def with_classes(store, classes_toml: str) -> None:
    toml = store.path / "trove.toml"
    text = re.sub(r"\n\[\[class\]\]\n.*?(?=\n\n|\Z)", "", toml.read_text(), flags=re.S)
    toml.write_text(text.rstrip("\n") + "\n\n" + classes_toml)


def class_store(tmp, extra="", name="store"):
    store = it.new_store(tmp, name=name)
    with_classes(store, CLASSES.format(extra=extra))
    return store


def imported_store(tmp, extra="", name="store"):
    """A store with CLASSES that imported trace() in ~300 kB segments."""
    store = class_store(tmp, extra=extra, name=name)
    store.run("import", "--snaplen", "0", "--segment-bytes", "300000", trace())
    return store


def multiset(paths):
    return Counter(p for path in paths for p in it.read_packets(path))


def tcpdump_count(path, expr):
    return len(it.tcpdump_lines(path, ["-nn", *expr.split()]))


def files_of(store, prefix):
    """Every file on disk (segments, derived, .idx) whose name starts with prefix."""
    return [p for p in (store.path / "segments").rglob(prefix + "*") if p.is_file()]


@it.case
def streams():
    src = trace()
    with it.tempdir() as tmp:
        store = imported_store(tmp)
        segs = store.ls()
        by_class = {k: [s for s in segs if s["class"] == k] for k in ("udp", "default")}
        check_eq(sorted({s["class"] for s in segs}), ["default", "udp"], "classes stored")
        check(len(by_class["udp"]) >= 1 and len(by_class["default"]) >= 2,
              f"expected several segments per class: {[(s['name'], s['class']) for s in segs]}")
        for s in segs:
            check(s["name"].startswith(f"default-{s['class']}-"), f"name {s['name']} lacks the class")
            other = "not udp" if s["class"] == "udp" else "udp"
            check_eq(tcpdump_count(s["path"], other), 0, f"'{other}' packets in {s['name']}")
            check_eq(it.capinfos_count(s["path"]), s["packets"], f"capinfos count of {s['name']}")
        p = it.run(["capinfos", by_class["udp"][0]["path"]])
        check("trove.class=udp" in p.stdout, f"capinfos shows no trove.class=udp:\n{p.stdout[:2000]}")
        check_eq(sorted(s["name"] for s in store.ls("--class", "udp")),
                 sorted(s["name"] for s in by_class["udp"]), "ls --class udp")

        # The union equals the single-stream results.
        udp_in, rest_in = tmp / "udp.pcap", tmp / "rest.pcap"
        it.run(["tcpdump", "--nano", "-r", src, "-w", udp_in, "udp"])
        it.run(["tcpdump", "--nano", "-r", src, "-w", rest_in, "not udp"])
        ref = it.new_store(tmp, name="ref", cutoff="20480")
        ref.run("import", "--snaplen", "0", rest_in)
        want = multiset([udp_in] + [s["path"] for s in ref.ls()])
        got = multiset([s["path"] for s in segs])
        check(sum(got.values()) > 0, "nothing stored")
        check_eq(sum(got.values()), sum(want.values()), "stored packet count vs single streams")
        check(got == want, "stored packet multiset differs from the single-stream results")

        # The class survives a catalogue rebuild (it is in every header).
        before = {s["name"]: s["class"] for s in store.ls("--level", "any")}
        store.run("fsck", "--rebuild-catalog")
        after = {s["name"]: s["class"] for s in store.ls("--level", "any")}
        check_eq(after, before, "classes after fsck --rebuild-catalog")
        store.assert_consistent("after the rebuild")


def check_budget_result(store, budget, when):
    segs = store.ls("--all")
    stored = [s for s in segs if s["class"] == "default" and s["state"] == "stored"]
    expired = [s for s in segs if s["class"] == "default" and s["state"] == "expired"]
    check(expired, f"{when}: nothing expired")
    check(stored, f"{when}: everything expired")
    check(max(s["start_ns"] for s in expired) <= min(s["start_ns"] for s in stored),
          f"{when}: an expired segment is newer than a stored one")
    for s in expired:
        check(not Path(s["path"]).exists(), f"{when}: expired {s['path']} still exists")
        check(not Path(s["path"] + ".idx").exists() and
              not list(Path(s["path"]).parent.glob(s["name"] + ".*")),
              f"{when}: files of expired {s['name']} remain")
    on_disk = sum(p.stat().st_size for p in files_of(store, "default-default-"))
    biggest = max(sum(p.stat().st_size for p in Path(s["path"]).parent.glob(s["name"] + "*"))
                  for s in stored)
    check(on_disk <= budget + biggest,
          f"{when}: class default uses {on_disk} bytes on disk > budget {budget} + one segment {biggest}")
    return stored, expired


@it.case
def budget():
    budget = 1_500_000
    with it.tempdir() as tmp:
        store = imported_store(tmp, extra=f"disk_budget = {budget}\n")
        stored, expired = check_budget_result(store, budget, "after import")
        check_eq([s["name"] for s in store.ls("--expired", "--class", "default")],
                 [s["name"] for s in expired], "ls --expired")
        check(all(s["state"] == "stored" for s in store.ls("--all", "--class", "udp")),
              "udp segments expired though udp has no budget")
        # Queries see exactly the remaining files.
        out = tmp / "q.pcap"
        store.run("query", "-w", out)
        remaining = [s["path"] for s in store.ls()]
        check(multiset([out]) == multiset(remaining), "query result differs from the remaining files")
        check_eq(len(it.tcpdump_lines(out, ["-nn"])),
                 sum(len(it.tcpdump_lines(p, ["-nn"])) for p in remaining), "query vs tcpdump")
        st = store.json("stats")
        row = [r for r in st["storage"] if r["class"] == "default"][0]
        check_eq(row["segments"], len(stored), "stats storage segments")
        check_eq(row["budget"], budget, "stats storage budget")
        store.assert_consistent("after expiry")
        # gc finds nothing more to do.
        g = store.json("gc")
        check_eq(g["segments_expired"], 0, "gc after the import")


@it.case
def retention():
    with it.tempdir() as tmp:
        store = imported_store(tmp)
        segs = [s for s in store.ls() if s["class"] == "default"]
        ends = {s["name"]: max(it.tcpdump_times_ns(s["path"])) for s in segs}
        newest = max(ends.values())
        with_classes(store, CLASSES.format(extra='retention = "10s"\n'))
        g = store.json("gc")
        check(g["segments_expired"] > 0, "retention expired nothing")
        for s in store.ls("--all", "--class", "default"):
            old = ends[s["name"]] < newest - 10_000_000_000
            check_eq(s["state"], "expired" if old else "stored", f"state of {s['name']}")
        store.assert_consistent("after retention expiry")


@it.case
def crash():
    with it.tempdir() as tmp:
        for step in ("journal", "catalog", "file"):
            store = imported_store(tmp, name="store-" + step)
            with_classes(store, CLASSES.format(extra="disk_budget = 1000000\n"))
            env = dict(os.environ, TROVE_TEST_EXPIRY_KILL=step)
            p = it.run(store.cmd("gc"), check_rc=None, env=env)
            check_eq(p.returncode, -9, f"gc killed after {step}")
            journal = store.path / "run" / "default.expiring"
            check(journal.exists(), f"no journal after a kill at {step}")
            ids = [int(l.split("\t")[0]) for l in journal.read_text().splitlines()[1:] if l]
            doc = store.assert_consistent(f"after a kill at {step}")
            check(not journal.exists(), f"fsck left the journal after a kill at {step}")
            check(any("interrupted expiry" in r for r in doc["removed"]), f"fsck report: {doc}")
            rows = {s["id"]: s for s in store.ls("--all", "--level", "any")}
            for i in ids:
                check_eq(rows[i]["state"], "expired", f"row {i} after a kill at {step}")
                check(not Path(rows[i]["path"]).exists(), f"{rows[i]['path']} remains")


@it.case
def ctl_budget():
    src = it.synth(work(), "--duration", "20", "--rate", "30", "--seed", "22")
    with it.tempdir() as tmp:
        store = class_store(tmp)
        err = open(tmp / "import.err", "w")
        p = subprocess.Popen(store.cmd("import", "--snaplen", "0", "--segment-bytes", "150000",
                                       "--replay-speed", "4", "--json", src),
                             stdout=subprocess.PIPE, stderr=err, start_new_session=True, text=True)
        try:
            sock = store.path / "run" / "default.ctl"
            deadline = time.monotonic() + 10
            while not sock.exists():
                check(time.monotonic() < deadline and p.poll() is None, "control socket did not appear")
                time.sleep(0.02)
            time.sleep(1.0)
            r = store.run("ctl", "budget", "default", "300k")
            check_eq(r.stdout.strip(), "ok: class default budget 300000", "ctl reply")
            r = store.run("ctl", "show")
            check("budget 300000" in r.stdout, f"ctl show: {r.stdout}")
            out, _ = p.communicate(timeout=120)
            check_eq(p.returncode, 0, "import exit code")
        finally:
            if p.poll() is None:
                it.kill_group(p)
                p.wait()
        doc = it.parse_json(out, "import --json")
        check(doc["expiry"]["segments_expired"] > 0, f"import expired nothing: {doc.get('expiry')}")
        check_budget_result(store, 300_000, "after ctl budget")
        store.assert_consistent("after ctl budget")


if __name__ == "__main__":
    sys.exit(it.main())
