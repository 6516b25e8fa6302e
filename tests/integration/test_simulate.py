#!/usr/bin/env python3
"""trove simulate (the Time Machine planning tool) against independent oracles.

  * ftp_trace: ndpi_ftp.pcap (3 TCP connections) is imported with
    `--snaplen 0`. Oracle: `tshark -T fields` grouped by tcp.stream gives each
    connection's first/last timestamp and captured bytes. The sizes trove
    flows reports must be those; `trove simulate` with cutoff none must report
    the trace's wire bytes (frame.len), with cutoffs 20000 and 1500 the sum of min(B, cutoff)
    computed here; the whole-connection counts and the storage series (bin
    1 s, retention 3 s) must equal a recomputation of the documented method
    in Python (exact fractions). The same result comes from the store
    directly, from `trove flows --format json` and from `--format csv`.
  * afs_totals: tcpdump_afs.pcap (UDP, IP fragments, ICMP errors): with
    cutoff none the total is the sum of tshark's frame.cap_len over every IP
    packet, and the kept volume for a cutoff equals sum(min(B, cutoff)) over
    the connection sizes of `trove flows --format json`.
  * old_layout: flows CSV/JSON in the layout before index format 4
    (orig_bytes/resp_bytes, no orig_wire_bytes) is read by its header; the
    total is the hand-computed sum of its orig_bytes + resp_bytes.
  * zeek_tsv / zeek_json: a conn.log written here by hand (Zeek's TSV with
    #fields, and the same records as JSON lines) gives the hand-computed
    bins, storage curve, totals and CCDF quantiles.
  * bad_input: a truncated conn.log line exits 2 naming the file, the line
    and the field; `--skip-bad` counts and skips it.
  * svg: both SVG files parse as XML (xml.etree) and are SVG documents.
"""

import json
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction

import trove_it as it
from trove_it import check, check_eq

NS = 1_000_000_000
STATE = {}


def ns(text: str) -> int:
    return int(Decimal(text) * NS)


def tshark_streams(path, size="frame.len"):
    """{tcp.stream: [first_ns, last_ns, bytes]} from tshark fields (bytes:
    `size` summed, frame.len = wire bytes by default)."""
    p = it.run(["tshark", "-r", path, "-n", "-T", "fields", "-E", "occurrence=f",
                "-e", "tcp.stream", "-e", "frame.time_epoch", "-e", size], timeout=300)
    streams = {}
    for line in p.stdout.splitlines():
        sid, ts, cap = line.split("\t")
        if not sid:
            continue
        t = ns(ts)
        s = streams.setdefault(sid, [t, t, 0])
        s[0], s[1] = min(s[0], t), max(s[1], t)
        s[2] += int(cap)
    return streams


def expected_series(conns, bin_ns, te_ns, cutoff):
    """The method of docs/CLI.md, recomputed with exact fractions.
    conns: [(ts_ns, duration_ns, bytes)]."""
    origin = min(c[0] for c in conns) // bin_ns * bin_ns
    last = max(c[0] + c[1] for c in conns)
    nb = (last - origin) // bin_ns + 1
    vol = [Fraction(0)] * nb
    for ts, dur, b in conns:
        k = b if cutoff is None else min(b, cutoff)
        if k == 0:
            continue
        if dur == 0 or b == 0:
            vol[(ts - origin) // bin_ns] += k
            continue
        s, e = Fraction(ts - origin), Fraction(ts - origin) + Fraction(dur * k, b)
        for i in range(nb):
            lo, hi = i * bin_ns, (i + 1) * bin_ns
            ov = min(hi, e) - max(lo, s)
            if ov > 0:
                vol[i] += k * ov / (e - s)
    w = te_ns // bin_ns
    storage = [sum(vol[max(0, i - w + 1):i + 1]) for i in range(nb)]
    return origin, vol, storage


def simulate(store, *args, check_rc=0):
    p = store.run("simulate", *args, "--json", check_rc=check_rc)
    return it.parse_json(p.stdout, "trove simulate --json")


def close(a, b, what, rel=1e-9):
    check(abs(float(a) - float(b)) <= rel * max(1.0, abs(float(b))), f"{what}: expected {float(b)}, got {a}")


def ftp_store():
    if "ftp" not in STATE:
        tmp = it.tempdir().__enter__()
        STATE["tmp"] = tmp
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", it.SHARED_PCAPS / "ndpi_ftp.pcap")
        STATE["ftp"] = store
    return STATE["ftp"], STATE["tmp"]


@it.case
def ftp_trace():
    store, tmp = ftp_store()
    streams = tshark_streams(it.SHARED_PCAPS / "ndpi_ftp.pcap")
    check_eq(len(streams), 3, "tshark TCP streams in ndpi_ftp.pcap")
    oracle = sorted((s[0], s[1] - s[0], s[2]) for s in streams.values())
    rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows")
    got = sorted((r["ts_ns"], ns(r["duration"]), r["orig_wire_bytes"] + r["resp_wire_bytes"])
                 for r in rows)
    check_eq(got, oracle, "connections (ts_ns, duration_ns, bytes) vs tshark")
    (tmp / "flows.json").write_text(store.run("flows", "--format", "json").stdout)
    (tmp / "flows.csv").write_text(store.run("flows", "--format", "csv").stdout)
    trace_bytes = sum(s[2] for s in streams.values())
    args = ["--cutoff", "none", "--cutoff", "20000", "--cutoff", "1500", "--bin", "1s", "--retention", "3s"]
    docs = {
        "store": simulate(store, *args),
        "json": simulate(store, *args, tmp / "flows.json"),
        "csv": simulate(store, *args, tmp / "flows.csv"),
    }
    check_eq(docs["json"]["input"]["sources"][0]["format"], "trove-json", "format detected")
    check_eq(docs["csv"]["input"]["sources"][0]["format"], "trove-csv", "format detected")
    for name, doc in docs.items():
        check_eq(doc["cutoffs"], docs["store"]["cutoffs"], f"simulate from {name} vs from the store")
    doc = docs["store"]
    check_eq(doc["input"]["connections"], 3, "connections")
    for res, cutoff in zip(doc["cutoffs"], [None, 20000, 1500]):
        what = f"cutoff {cutoff}"
        check_eq(res["cutoff"], cutoff, what)
        check_eq(res["total_bytes"], trace_bytes, f"{what}: total bytes = trace bytes (tshark)")
        kept = sum(b if cutoff is None else min(b, cutoff) for _, _, b in oracle)
        check_eq(res["kept_bytes"], kept, f"{what}: kept bytes = sum(min(B, cutoff))")
        whole = sum(1 for _, _, b in oracle if cutoff is None or b <= cutoff)
        check_eq(res["connections_whole"], whole, f"{what}: connections kept whole")
        origin, vol, storage = expected_series(oracle, NS, 3 * NS, cutoff)
        series = res["series"]
        check_eq(len(series), len(vol), f"{what}: number of bins")
        check_eq(series[0]["start_ns"], origin, f"{what}: first bin")
        for i, (b, v, s) in enumerate(zip(series, vol, storage)):
            close(b["volume"], v, f"{what}: volume of bin {i}")
            close(b["storage"], s, f"{what}: storage at the end of bin {i}")
        close(res["peak_storage"], max(storage), f"{what}: peak")
        close(res["final_storage"], storage[-1], f"{what}: final storage")
    if cutoff_none_total := doc["cutoffs"][0]["total_bytes"]:
        print(f"  ndpi_ftp: 20000-byte cutoff keeps {doc['cutoffs'][1]['kept_bytes'] / cutoff_none_total:.2%}"
              f" of bytes, {doc['cutoffs'][1]['whole_fraction']:.0%} of connections whole")
    text = store.run("simulate", *args).stdout
    check("CUTOFF" in text and "storage at the end of each bin" in text, f"text table: {text[:400]}")


@it.case
def old_layout():
    """`trove flows` output from before index format 4 (orig_bytes and
    resp_bytes: captured bytes; no orig_wire_bytes), recognised by its
    header: simulate sums orig_bytes + resp_bytes, which are made different
    from the wire bytes here, and reads JSON of that layout the same way."""
    store, tmp = ftp_store()
    rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows")
    old_cols = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                "duration", "orig_bytes", "resp_bytes", "orig_pkts", "resp_pkts", "conn_state",
                "cut", "segment"]
    old = []
    for r in rows:
        o = {k: r[k] for k in old_cols if k in r}
        o["orig_bytes"], o["resp_bytes"] = r["orig_wire_bytes"] // 2, r["resp_wire_bytes"] // 2
        old.append(o)
    csv = ",".join(old_cols) + "\n" + "".join(
        ",".join(str(o[k]).lower() if isinstance(o[k], bool) else str(o[k]) for k in old_cols) + "\n"
        for o in old)
    (tmp / "old.csv").write_text(csv)
    (tmp / "old.json").write_text(__import__("json").dumps(old))
    want = sum(o["orig_bytes"] + o["resp_bytes"] for o in old)
    check(want * 2 < sum(r["orig_wire_bytes"] + r["resp_wire_bytes"] for r in rows) + 2 * len(rows),
          "old-layout bytes differ from the wire bytes")
    for name, fmt in (("old.csv", "trove-csv"), ("old.json", "trove-json")):
        doc = simulate(store, "--cutoff", "none", tmp / name)
        check_eq(doc["input"]["sources"][0]["format"], fmt, f"{name}: format detected")
        check_eq(doc["cutoffs"][0]["total_bytes"], want, f"{name}: total = orig_bytes + resp_bytes")


@it.case
def split_segments():
    """The FTP data connection split over many 200 KB segments is still one
    connection of tshark's size: rows of different segments are joined."""
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", "--segment-bytes", "200K", it.SHARED_PCAPS / "ndpi_ftp.pcap")
        check(len(store.ls()) >= 4, "the trace spans several segments")
        rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows")
        check(len(rows) > 3, f"flows has one row per connection per segment ({len(rows)} rows)")
        (tmp / "flows.json").write_text(store.run("flows", "--format", "json").stdout)
        (tmp / "flows.csv").write_text(store.run("flows", "--format", "csv").stdout)
        oracle = sorted((s[0], s[1] - s[0], s[2]) for s in tshark_streams(it.SHARED_PCAPS / "ndpi_ftp.pcap").values())
        for src in ([], [tmp / "flows.json"], [tmp / "flows.csv"]):
            doc = simulate(store, "--cutoff", "20000", "--cutoff", "none", "--bin", "1s", *src)
            what = f"simulate {src or 'store'}"
            check_eq(doc["input"]["rows"], len(rows), f"{what}: rows")
            check_eq(doc["input"]["connections"], 3, f"{what}: connections after joining")
            check_eq(doc["cutoffs"][0]["kept_bytes"], sum(min(b, 20000) for _, _, b in oracle), f"{what}: kept")
            check_eq(doc["cutoffs"][0]["connections_whole"], sum(1 for _, _, b in oracle if b <= 20000), what)
            check_eq(doc["cutoffs"][1]["total_bytes"], sum(b for _, _, b in oracle), f"{what}: total")
            check_eq(sorted(p[0] for p in doc["ccdf"]["points"]), sorted(b for _, _, b in oracle),
                     f"{what}: connection sizes = tshark's")


@it.case
def afs_totals():
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        path = it.SHARED_PCAPS / "tcpdump_afs.pcap"
        store.run("import", "--snaplen", "0", path)
        p = it.run(["tshark", "-r", path, "-n", "-Y", "ip or ipv6", "-T", "fields", "-e", "frame.len"])
        ip_bytes = sum(int(x) for x in p.stdout.split())
        rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows")
        sizes = [r["orig_wire_bytes"] + r["resp_wire_bytes"] for r in rows]
        doc = simulate(store, "--cutoff", "none", "--cutoff", "1000", "--retention", "2h")
        check_eq(doc["cutoffs"][0]["total_bytes"], ip_bytes, "total bytes = tshark's IP bytes")
        check_eq(doc["cutoffs"][0]["kept_bytes"], ip_bytes, "cutoff none keeps everything")
        check_eq(doc["cutoffs"][1]["kept_bytes"], sum(min(b, 1000) for b in sizes), "sum(min(B, 1000))")
        check_eq(doc["cutoffs"][1]["connections_whole"], sum(1 for b in sizes if b <= 1000), "whole")
        qs = sorted(sizes)
        check_eq(doc["ccdf"]["quantiles"]["1"], qs[-1], "max size")
        check_eq(doc["ccdf"]["quantiles"]["0.5"], qs[(len(qs) + 1) // 2 - 1], "median (nearest rank)")


# Three connections, hour bins from origin 1000000800 (a multiple of 3600):
#  c1 at +0 for 30 min, 1000+1000 bytes; c2 at +30 min for 1 h, 3000+1000;
#  c3 at +3 h 100 s, 500 bytes, duration unset.
ORIGIN = 1000000800
ZEEK_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
               "duration", "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history",
               "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"]
ZEEK_ROWS = [
    [f"{ORIGIN}.000000", "C1", "10.0.0.1", "1025", "10.0.0.2", "80", "tcp", "http", "1800.000000",
     "1000", "1000", "SF", "0", "ShADadFf", "10", "1400", "10", "1400"],
    [f"{ORIGIN + 1800}.000000", "C2", "10.0.0.1", "1026", "10.0.0.3", "443", "tcp", "ssl",
     "3600.000000", "3000", "1000", "SF", "0", "ShADadFf", "20", "3800", "20", "1800"],
    [f"{ORIGIN + 3 * 3600 + 100}.250000", "C3", "10.0.0.4", "53", "10.0.0.5", "53", "udp", "dns", "-",
     "500", "-", "S0", "0", "D", "1", "528", "0", "0"],
]


def write_zeek_tsv(path, extra_lines=()):
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
             "#path\tconn", "#open\t2001-09-09-01-46-40", "#fields\t" + "\t".join(ZEEK_FIELDS),
             "#types\t" + "\t".join(["time", "string", "addr", "port", "addr", "port", "enum", "string",
                                     "interval", "count", "count", "string", "count", "string",
                                     "count", "count", "count", "count"])]
    lines += ["\t".join(r) for r in ZEEK_ROWS]
    lines += list(extra_lines)
    lines.append("#close\t2001-09-09-05-00-00")
    path.write_text("\n".join(lines) + "\n")


def check_zeek_result(doc):
    check_eq(doc["input"]["connections"], 3, "connections")
    none, c2000 = doc["cutoffs"]
    check_eq([b["start_ns"] for b in none["series"]], [(ORIGIN + i * 3600) * NS for i in range(4)], "bins")
    check_eq([b["volume"] for b in none["series"]], [4000, 2000, 0, 500], "volumes, cutoff none")
    check_eq([b["storage"] for b in none["series"]], [4000, 6000, 2000, 500], "storage, Te 2h")
    check_eq((none["total_bytes"], none["kept_bytes"], none["connections_whole"]), (6500, 6500, 3), "none")
    check_eq((none["peak_storage"], none["peak_end_ns"], none["final_storage"]),
             (6000, (ORIGIN + 2 * 3600) * NS, 500), "peak, final")
    check_eq([b["volume"] for b in c2000["series"]], [4000, 0, 0, 500], "volumes, cutoff 2000")
    check_eq([b["storage"] for b in c2000["series"]], [4000, 4000, 0, 500], "storage, cutoff 2000")
    check_eq((c2000["total_bytes"], c2000["kept_bytes"], c2000["connections_whole"]), (6500, 4500, 2),
             "cutoff 2000")
    pts = [tuple(p) for p in doc["ccdf"]["points"]]
    check_eq(len(pts), 3, "CCDF points")
    check_eq([p[0] for p in pts], [500, 2000, 4000], "CCDF sizes")
    for (x, p), want in zip(pts, [2 / 3, 1 / 3, 0]):
        close(p, want, f"P[size > {x}]")
    check_eq(doc["ccdf"]["quantiles"]["0.5"], 2000, "median")


@it.case
def zeek_tsv():
    store, tmp = ftp_store()
    path = tmp / "conn.log"
    write_zeek_tsv(path)
    # FILE right after a --cutoff value stays a FILE.
    doc = simulate(store, "--retention", "2h", "--cutoff", "none", "--cutoff", "2000", path)
    check_eq(doc["input"]["sources"][0]["format"], "zeek-tsv", "format")
    check_zeek_result(doc)
    ip = simulate(store, "--zeek-bytes", "ip", "--retention", "2h", path)
    check_eq(ip["cutoffs"][0]["total_bytes"], 2800 + 5600 + 528, "orig_ip_bytes + resp_ip_bytes")


@it.case
def zeek_json():
    store, tmp = ftp_store()
    path = tmp / "conn.json.log"  # the extension says nothing: the content does
    with path.open("w") as f:
        for r in ZEEK_ROWS:
            o = {}
            for k, v in zip(ZEEK_FIELDS, r):
                if v == "-":
                    continue  # Zeek's JSON omits unset fields
                o[k] = float(v) if k in ("ts", "duration") else int(v) if k.endswith(("bytes", "pkts", "_p")) else v
            f.write(json.dumps(o) + "\n")
    doc = simulate(store, "--cutoff", "none", "--cutoff", "2000", "--retention", "2h", path)
    check_eq(doc["input"]["sources"][0]["format"], "zeek-json", "format")
    check_zeek_result(doc)


@it.case
def bad_input():
    store, tmp = ftp_store()
    path = tmp / "bad-conn.log"
    # Line 12: cut off after the duration column.
    write_zeek_tsv(path, ["\t".join(ZEEK_ROWS[0][:9])])
    p = store.run("simulate", path, check_rc=2)
    check(f"{path}:12" in p.stderr and "orig_bytes" in p.stderr, f"error names line 12 and the field: {p.stderr}")
    bad_num = tmp / "bad-num.log"
    row = list(ZEEK_ROWS[1])
    row[10] = "12x"
    write_zeek_tsv(bad_num, ["\t".join(row)])
    p = store.run("simulate", bad_num, check_rc=2)
    check(f"{bad_num}:12: field 'resp_bytes'" in p.stderr, f"error names line and field: {p.stderr}")
    doc = simulate(store, "--skip-bad", "--cutoff", "none", "--cutoff", "2000", "--retention", "2h", path)
    check_eq(doc["input"]["skipped"], 1, "skipped records")
    check_zeek_result(doc)
    p = store.run("simulate", "--retention", "90m", path, check_rc=2)
    check("multiple" in p.stderr, f"retention not a multiple of the bin: {p.stderr}")


@it.case
def svg():
    store, tmp = ftp_store()
    a, b = tmp / "storage.svg", tmp / "ccdf.svg"
    store.run("simulate", "--cutoff", "none", "--cutoff", "20000", "--bin", "1s", "--retention", "2s",
              "--svg", a, "--ccdf-svg", b)
    for f in (a, b):
        root = ET.parse(f).getroot()
        check(root.tag.endswith("svg"), f"{f.name}: root element is {root.tag}")
        check(len(list(root.iter())) > 10, f"{f.name}: has content")
    check("cutoff 20000" in a.read_text(), "storage chart names the cutoff series")
    check("P[size &gt; x]" in b.read_text() or "P[size > x]" in b.read_text(), "CCDF chart labelled")


if __name__ == "__main__":
    rc = it.main()
    if "tmp" in STATE and not it.KEEP:
        import shutil
        shutil.rmtree(STATE["tmp"], ignore_errors=True)
    sys.exit(rc)
