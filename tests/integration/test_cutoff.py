#!/usr/bin/env python3
"""Storage classes and the per-connection cutoff against independent oracles.

  * cutoff[TRACE,N]: every tcpdump-readable shared trace is imported into a
    store whose default class has cutoff N (20480, the default, and 1500).
    The expected stored length of every packet is recomputed in Python from
    `tshark -T fields` (no defragmentation): connections keyed as documented
    (bidirectional 5-tuple, ICMP type/code/echo id, fragments by (src, dst,
    IP id) of the first fragment, else per host pair), a packet is whole
    while the connection's captured bytes including it are <= N, SYN/FIN/RST
    always, otherwise its first 64 bytes. The stored packets (read by
    trove_it's own pcapng walker) must have exactly those lengths, be byte
    prefixes of the input packets with the input timestamps and wire lengths,
    and `trove stats --json` must report the same seen/stored byte totals;
    `trove flows` marks cut exactly the TCP/UDP connections over the cutoff.
    The fraction of connections and bytes a 20 KB cutoff keeps is printed.
  * precedence: an "ftp" class (tcp port 21, precedence 10, no cutoff) over
    a default class with cutoff 0: `tcpdump -r SEGMENTS 'tcp port 21'` prints
    exactly what `tcpdump -r TRACE 'tcp port 21'` prints; other connections
    are cut to headers.
  * drop_and_unmatched: a class for "tcp" only, after_cutoff = drop: no
    stored packet is non-TCP (tcpdump 'not tcp' on the segments is empty)
    and the unmatched packet count equals tcpdump's count of 'not tcp'.
  * bad_filter: a class with a filter libpcap rejects makes `trove import`
    exit 2 with the class name and libpcap's own message (the one tcpdump
    prints for the same expression), and nothing is stored.
"""

import ipaddress
import re
import sys

import trove_it as it
from cutoff_oracle import expected_lengths
from trove_it import check, check_eq

def with_classes(store, classes_toml: str) -> None:
    toml = store.path / "trove.toml"
    text = re.sub(r"\n\[\[class\]\]\n.*?(?=\n\n|\Z)", "", toml.read_text(), flags=re.S)
    toml.write_text(text.rstrip("\n") + "\n\n" + classes_toml)


def import_with_classes(tmp, classes_toml: str, src):
    store = it.new_store(tmp)
    with_classes(store, classes_toml)
    store.run("import", "--snaplen", "0", src)
    return store, it.sorted_segments(store.ls())


def stored_packets(store):
    return [p for s in it.sorted_segments(store.ls()) for p in it.read_packets(s["path"])]


def cutoff_case(row, cutoff):
    src = row["path"]
    with it.tempdir() as tmp:
        store = it.new_store(tmp, cutoff=str(cutoff))
        store.run("import", "--snaplen", "0", src)
        want, fragments = expected_lengths(src, cutoff)
        orig = it.read_packets(src)
        check_eq(len(orig), len(want), f"tshark vs walker packet count of {src.name}")
        got = stored_packets(store)
        check_eq(len(got), len(orig), f"stored packets of {src.name} (headers kept for all)")
        for i, (g, o, w) in enumerate(zip(got, orig, want)):
            if g[1] != w[1]:
                raise it.Failure(f"{src.name} packet {i + 1}: stored {g[1]} bytes, expected {w[1]} "
                                 f"(captured {w[0]}, cutoff {cutoff})")
            check(g[0] == o[0] and g[2] == o[2] and g[3] == o[3][:g[1]],
                  f"{src.name} packet {i + 1}: not a prefix of the input packet")
        st = store.json("stats")
        if not want:  # nothing published, nothing recorded
            check_eq(st["classes"], {}, "class stats of an empty trace")
            return
        cls = st["classes"]["default"]["classes"]["default"]
        check_eq(cls["bytes_seen"], sum(w[0] for w in want), "stats bytes_seen")
        check_eq(cls["bytes_stored"], sum(w[1] for w in want), "stats bytes_stored")
        check_eq(cls["packets_seen"], len(want), "stats packets_seen")
        # trove flows: `cut` is true exactly for the TCP/UDP connections whose
        # captured bytes exceed the cutoff (by 5-tuple; fragments are indexed
        # under their own records, so traces with fragments are left out).
        per = {}
        for cap, kept, uid in want:
            if uid is not None:
                a = per.setdefault(uid, [0, 0])
                a[0] += cap
                a[1] += kept
        if not fragments:
            want_cut = {(u[0][0], u[0][2]) for u, a in per.items()
                        if u[0][0] in ("tcp", "udp") and a[0] > cutoff}
            rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows")
            got_cut = set()
            for r in rows:
                if r["proto"] in ("tcp", "udp") and r["cut"]:
                    ends = sorted(((ipaddress.ip_address(r["id.orig_h"]).packed, r["id.orig_p"]),
                                   (ipaddress.ip_address(r["id.resp_h"]).packed, r["id.resp_p"])))
                    got_cut.add((r["proto"], tuple(ends)))
            check_eq(sorted(got_cut), sorted(want_cut),
                     f"{src.name}: connections trove flows marks cut (cutoff {cutoff})")
        if cutoff == 20480 and want:
            whole = sum(1 for a in per.values() if a[0] <= cutoff)
            seen = sum(w[0] for w in want)
            print(f"  info: {src.name}: 20 KB cutoff keeps {whole}/{len(per)} connections whole, "
                  f"stores {sum(w[1] for w in want)}/{seen} bytes "
                  f"({100.0 * sum(w[1] for w in want) / max(seen, 1):.1f}%)")


@it.case
def precedence():
    src = it.SHARED_PCAPS / "ndpi_ftp.pcap"
    with it.tempdir() as tmp:
        store, segs = import_with_classes(
            tmp, '[[class]]\nname = "default"\ncutoff = 0\n\n'
                 '[[class]]\nname = "ftp"\nfilter = "tcp port 21"\nprecedence = 10\n'
                 'cutoff = "none"\n', src)
        flt = ["tcp", "port", "21"]
        got = [l for s in segs for l in it.tcpdump_lines(s["path"], it.TCPDUMP_FLAGS + flt)]
        want = it.tcpdump_lines(src, it.TCPDUMP_FLAGS + flt)
        check(len(want) > 0, "ndpi_ftp.pcap has no port 21 packets")
        it.compare_lines(got, want, "segments 'tcp port 21'", f"{src.name} 'tcp port 21'")
        st = store.json("stats")["classes"]["default"]["classes"]
        n_ftp = len(it.tcpdump_lines(src, ["-nn", "tcp port 21"]))
        check_eq(st["ftp"]["packets_seen"], n_ftp, "ftp class packets_seen vs tcpdump")
        check_eq(st["ftp"]["packets_cut"], 0, "ftp class (no cutoff) packets_cut")
        # Cutoff 0: every other packet is past the cutoff unless it is SYN/FIN/RST.
        n_cut = len(it.tcpdump_lines(src, [
            "-nn", "not (tcp port 21) and not (tcp and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0)"]))
        check_eq(st["default"]["packets_cut"], n_cut, "default class packets_cut vs tcpdump")
        check_eq(st["default"]["packets_seen"] + n_ftp, len(it.read_packets(src)), "all packets seen")


@it.case
def drop_and_unmatched():
    src = it.SHARED_PCAPS / "ndpi_dns_fragmented.pcap"
    with it.tempdir() as tmp:
        store, segs = import_with_classes(
            tmp, '[[class]]\nname = "tcp"\nfilter = "tcp"\ncutoff = 100\nafter_cutoff = "drop"\n',
            src)
        for s in segs:
            check_eq(it.tcpdump_lines(s["path"], ["-nn", "not", "tcp"]), [],
                     f"non-TCP packets stored in {s['path']}")
        not_tcp = len(it.tcpdump_lines(src, ["-nn", "not", "tcp"]))
        st = store.json("stats")["classes"]["default"]
        check_eq(st["unmatched"]["packets"], not_tcp, "unmatched packets vs tcpdump 'not tcp'")
        c = st["classes"]["tcp"]
        check_eq(c["packets_stored"] + c["packets_dropped"], c["packets_seen"], "tcp class counts")
        check_eq(sum(s["packets"] for s in segs), c["packets_stored"], "stored vs ls")


@it.case
def bad_filter():
    src = it.SHARED_PCAPS / "ndpi_ftp.pcap"
    expr = "tcp prot 21"
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        with_classes(store, f'[[class]]\nname = "web"\nfilter = "{expr}"\n')
        p = store.run("import", "--snaplen", "0", src, check_rc=2)
        td = it.run(["tcpdump", "-d", expr], check_rc=None)
        check(td.returncode != 0, "tcpdump accepted the bad expression")
        libpcap_msg = td.stderr.strip().splitlines()[-1].removeprefix("tcpdump: ")
        check("class 'web'" in p.stderr, f"stderr does not name the class: {p.stderr}")
        check(libpcap_msg in p.stderr, f"stderr lacks libpcap's message {libpcap_msg!r}: {p.stderr}")
        check(not list(store.path.rglob("*.pcapng")), "something was stored")


def register():
    it.add_trace_cases("cutoff", cutoff_case, (20480, 1500))


if __name__ == "__main__":
    sys.exit(it.run_registered(register, "cutoff"))
