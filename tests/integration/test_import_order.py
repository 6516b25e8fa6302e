#!/usr/bin/env python3
"""The order in which traces are imported changes nothing that is stored or
found (docs/CONFIG.md "Time that steps back", docs/CLI.md `trove import`).

Stores: the default store (one class, 20480-byte cutoff, headers after it)
and a store with classes ("udp": filter udp, precedence 10, no cutoff, over
"default": cutoff 1500, dropped after it). What is compared between two
stores ("summary"): per class the cutoff counters of `trove stats --json`
(packets/bytes seen, stored, cut, dropped, connections), per class the
packets, stored bytes and file bytes of the segments (`trove ls --json`),
and the tcpdump text of `trove query -w` for several filters.

  * one_run[A,B]: `import A B` equals `import B A` (the files are merged by
    timestamp), for traces that do not overlap in time (2020/2019 ndpi
    traces, plus a Linux-cooked one of 2015 for a second link type). Old
    code: the older trace after the newer one made every packet a
    connection of its own, so nothing of it was cut.
  * separate_runs: `import A; import B` equals `import B; import A`.
  * step_back: one file in which time steps back (`mergecap -a` of the 2020
    trace and then the 2019 one) is stored as the two traces imported in
    separate runs (the step starts a new epoch of the connection table);
    the import reports time_steps = 1. Query answers are compared as sets
    of lines (the one segment is in file order, two segments merge by time).
  * overlap: ndpi_teams split by direction with tcpdump ('src net
    192.168.0.0/16' and the rest): the two halves overlap in time. Imported
    together, in either order, they equal the import of their
    `mergecap -w` merge (which equals the original trace).
  * rotated: ndpi_teams split into files of 200 packets (`editcap -c`),
    given newest first with `--max-open-files 1`, equals the import of the
    trace (one file is open at a time: nothing is deferred); two halves that
    overlap in time with `--max-open-files 1`: one file is deferred (the
    import's JSON and a warning say so) and every packet is still stored.
  * errors: a truncated trace among good ones: its readable prefix is
    stored, the error names the file and an offset, the exit code is 2, and
    the other files are stored as when imported alone.
"""

import sys
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

P = it.SHARED_PCAPS
TEAMS, FTP, KAKAO = P / "ndpi_teams.pcap", P / "ndpi_ftp.pcap", P / "ndpi_KakaoTalk_talk.pcap"
CLASSES = ('\n[[class]]\nname = "default"\ncutoff = 1500\nafter_cutoff = "drop"\n\n'
           '[[class]]\nname = "udp"\nfilter = "udp"\nprecedence = 10\ncutoff = "none"\n')
QUERIES = ["", "tcp", "udp", "tcp port 21", "host 192.168.1.1"]
COUNTERS = ("packets_seen", "bytes_seen", "packets_stored", "bytes_stored", "packets_cut",
            "packets_dropped", "bytes_cut", "bytes_snapped", "connections")


def make_store(root: Path, name: str, classes: bool) -> it.Store:
    store = it.new_store(root, name, cutoff=None)
    if classes:
        import re
        toml = store.path / "trove.toml"
        text = re.sub(r"\n\[\[class\]\]\n.*?(?=\n\n|\Z)", "", toml.read_text(), flags=re.S)
        toml.write_text(text.rstrip("\n") + "\n" + CLASSES)
    return store


def summary(store: it.Store, root: Path, ordered_queries: bool = True) -> dict:
    st = store.json("stats")
    counters = {}
    for stream in st["classes"].values():
        for name, c in stream["classes"].items():
            agg = counters.setdefault(name, dict.fromkeys(COUNTERS, 0))
            for k in COUNTERS:
                agg[k] += c[k]
    segs = {}
    for s in store.ls():
        agg = segs.setdefault(s["class"], {"packets": 0, "bytes": 0, "file_bytes": 0})
        for k in agg:
            agg[k] += s[k]
    answers = {}
    for q in QUERIES:
        out = root / f"q-{store.path.name}.pcap"
        store.run("query", "-w", out, *([q] if q else []))
        lines = query_text(out)
        answers[q or "(all)"] = lines if ordered_queries else sorted(lines)
    return {"counters": counters, "segments": segs, "answers": answers}


def query_text(path: Path) -> list[str]:
    """tcpdump's text of a query answer; tcpdump cannot read a pcapng whose
    interfaces differ in link type, so such answers are printed by tshark."""
    p = it.run(["tcpdump", *it.TCPDUMP_FLAGS, "-r", path], check_rc=None)
    if p.returncode == 0:
        return p.stdout.splitlines()
    check("different from the type" in p.stderr, f"tcpdump could not read {path}: {p.stderr}")
    return it.run(["tshark", "-n", "-t", "e", "-r", path]).stdout.splitlines()


def compare(a: dict, b: dict, a_name: str, b_name: str, same_segments: bool = True) -> None:
    """same_segments=False: the packets are split into segments differently,
    so the segments' file bytes (headers) are not compared."""
    check_eq(a["counters"], b["counters"], f"per-class cutoff counters: {a_name} vs {b_name}")
    sa, sb = a["segments"], b["segments"]
    if not same_segments:
        sa = {k: {**v, "file_bytes": None} for k, v in sa.items()}
        sb = {k: {**v, "file_bytes": None} for k, v in sb.items()}
    check_eq(sa, sb, f"per-class segment totals: {a_name} vs {b_name}")
    for q in a["answers"]:
        try:
            it.compare_lines(a["answers"][q], b["answers"][q], a_name, b_name)
        except it.Failure as e:
            raise it.Failure(f"query {q!r}: {e}")


def import_runs(store: it.Store, runs, check_rc: int = 0) -> list[dict]:
    return [store.json("import", "--snaplen", "0", *files, check_rc=check_rc) for files in runs]


def order_case(files, classes: bool, separate: bool):
    with it.tempdir() as tmp:
        fwd, rev = make_store(tmp, "fwd", classes), make_store(tmp, "rev", classes)
        runs = [[f] for f in files] if separate else [list(files)]
        import_runs(fwd, runs)
        import_runs(rev, list(reversed(runs)) if separate else [list(reversed(files))])
        a, b = summary(fwd, tmp), summary(rev, tmp)
        check(a["counters"] and a["answers"]["(all)"], "something was stored")
        compare(a, b, "A B", "B A")
        if not separate:
            # The files' packets in time order were seen once each.
            seen = sum(c["packets_seen"] for c in a["counters"].values())
            check_eq(seen, sum(it.capinfos_count(f) for f in files), "packets seen")


def step_back_case(classes: bool):
    with it.tempdir() as tmp:
        cat = tmp / "teams-then-ftp.pcap"
        it.run(["mergecap", "-a", "-F", "pcap", "-w", cat, TEAMS, FTP])
        one = make_store(tmp, "one", classes)
        res = import_runs(one, [[cat]])[0]
        check_eq(res["cutoff"]["connections"]["time_steps"], 1, "time_steps in the import's JSON")
        two = make_store(tmp, "two", classes)
        import_runs(two, [[FTP], [TEAMS]])
        compare(summary(one, tmp, False), summary(two, tmp, False), "one stepping file",
                "separate runs", same_segments=False)


def overlap_case(classes: bool):
    with it.tempdir() as tmp:
        inside, outside = tmp / "inside.pcap", tmp / "outside.pcap"
        it.run(["tcpdump", "-r", TEAMS, "-w", inside, "src net 192.168.0.0/16"])
        it.run(["tcpdump", "-r", TEAMS, "-w", outside, "not src net 192.168.0.0/16"])
        n_in, n_out = it.capinfos_count(inside), it.capinfos_count(outside)
        check(n_in > 100 and n_out > 100, f"both halves hold packets ({n_in}, {n_out})")
        merged = tmp / "merged.pcap"
        it.run(["mergecap", "-F", "pcap", "-w", merged, inside, outside])
        ref = make_store(tmp, "merged", classes)
        import_runs(ref, [[merged]])
        want = summary(ref, tmp)
        for order in ((inside, outside), (outside, inside)):
            s = make_store(tmp, "halves-" + order[0].stem, classes)
            import_runs(s, [list(order)])
            compare(summary(s, tmp), want, f"import {order[0].name} {order[1].name}",
                    "import of the mergecap merge")


def rotated_case():
    with it.tempdir() as tmp:
        parts = tmp / "parts"
        parts.mkdir()
        it.run(["editcap", "-c", "200", "-F", "pcap", TEAMS, parts / "teams.pcap"])
        files = sorted(parts.iterdir(), reverse=True)
        check(len(files) >= 10, f"editcap split the trace into {len(files)} files")
        ref = make_store(tmp, "ref", True)
        import_runs(ref, [[TEAMS]])
        s = make_store(tmp, "rot", True)
        res = s.json("import", "--snaplen", "0", "--max-open-files", "1", *files)
        check_eq(res["files_deferred"], 0, "files deferred (consecutive files)")
        compare(summary(s, tmp), summary(ref, tmp), "rotated files newest first", "the trace",
                same_segments=False)
        inside, outside = tmp / "inside.pcap", tmp / "outside.pcap"
        it.run(["tcpdump", "-r", TEAMS, "-w", inside, "src net 192.168.0.0/16"])
        it.run(["tcpdump", "-r", TEAMS, "-w", outside, "not src net 192.168.0.0/16"])
        d = make_store(tmp, "deferred", True)
        p = d.run("import", "--snaplen", "0", "--max-open-files", "1", "--json", inside, outside)
        res = it.parse_json(p.stdout, "import --json")
        check_eq(res["files_deferred"], 1, "files deferred (two overlapping files, one handle)")
        check("opened late" in p.stderr, f"a warning says so: {p.stderr}")
        check_eq(res["packets"], it.capinfos_count(TEAMS), "every packet read")


def errors_case():
    with it.tempdir() as tmp:
        data = FTP.read_bytes()
        bad = tmp / "ftp-truncated.pcap"
        bad.write_bytes(data[:len(data) // 2])
        s = make_store(tmp, "s", False)
        res = import_runs(s, [[TEAMS, bad, KAKAO]], check_rc=2)[0]
        files = {Path(f["path"]).name: f for f in res["files"]}
        check("offset" in files[bad.name].get("error", "") and bad.name in files[bad.name]["error"],
              f"the error names the file and an offset: {files[bad.name]}")
        check("error" not in files[TEAMS.name] and "error" not in files[KAKAO.name],
              "the other files have no error")
        prefix = tmp / "prefix.pcap"
        # The readable prefix, as tcpdump reads it (it stops at the same record).
        it.run(["tcpdump", "-r", bad, "-w", prefix], check_rc=None)
        want = it.capinfos_count(prefix)
        check_eq(files[bad.name]["packets"], want, "packets read of the truncated file")
        ref = make_store(tmp, "ref", False)
        import_runs(ref, [[TEAMS, prefix, KAKAO]])
        compare(summary(s, tmp), summary(ref, tmp), "with the truncated file",
                "with its readable prefix")


def register():
    for classes in (False, True):
        label = "classes" if classes else "default"
        for files in ((TEAMS, FTP), (TEAMS, FTP, KAKAO)):
            names = ",".join(f.stem for f in files)
            it.add_case(f"one_run[{names},{label}]",
                        lambda files=files, c=classes: order_case(files, c, False))
        it.add_case(f"separate_runs[{label}]",
                    lambda c=classes: order_case((TEAMS, FTP, KAKAO), c, True))
        it.add_case(f"step_back[{label}]", lambda c=classes: step_back_case(c))
        it.add_case(f"overlap[{label}]", lambda c=classes: overlap_case(c))
    it.add_case("rotated", rotated_case)
    it.add_case("errors", errors_case)


if __name__ == "__main__":
    sys.exit(it.run_registered(register, "import_order"))
