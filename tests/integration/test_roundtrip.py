#!/usr/bin/env python3
"""Round trip: every trace tcpdump reads comes back out of trove unchanged.

For each MANIFEST.tsv trace whose tcpdump_reads column is "ok":
  * `trove import --snaplen 0 FILE` into a fresh store: the segments listed by
    `trove ls --json` (time order), read with tcpdump -nn -tt --nano -v -e,
    give exactly the text tcpdump prints for FILE; the packets (timestamp in
    ns, caplen, wire length, bytes) equal those of FILE as read by an
    independent walker; the packet counts from `ls` equal `capinfos -c`.
  * `trove import --snaplen 64 FILE`: the same against the oracle
    `editcap -s 64 FILE` (tcpdump prints the same truncation markers).
The stores have no cutoff (`trove init --cutoff none`, see trove_it.new_store):
every byte of every connection must come back.
"""

import sys

import trove_it as it
from trove_it import check, check_eq


def roundtrip(row, snaplen):
    src = row["path"]
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        args = ["import", "--json", "--snaplen", str(snaplen), src]
        out = store.json(*args)
        want_count = it.capinfos_count(src)
        if snaplen == 0 or want_count == 0:
            # (editcap writes an empty trace without an IDB, which tcpdump refuses)
            oracle = src
        else:
            oracle = tmp / "oracle.pcapng"
            it.editcap_snap(src, oracle, snaplen)

        check_eq(out.get("packets"), want_count, f"import --json packets for {src.name}")

        segs = it.sorted_segments(store.ls())
        check_eq(sum(s["packets"] for s in segs), want_count,
                 f"sum of `trove ls` packets vs capinfos -c {src.name}")
        for s in segs:
            check_eq(it.capinfos_count(s["path"]), s["packets"],
                     f"capinfos -c {s['path']} vs ls packets of segment {s['id']}")

        want_text = it.tcpdump_lines(oracle)
        got_text = it.tcpdump_segments(segs)
        it.compare_lines(got_text, want_text, f"segments of {src.name}",
                         f"tcpdump -r {oracle.name}")

        want_pk = it.read_packets(oracle)
        got_pk = [p for s in segs for p in it.read_packets(s["path"])]
        it.compare_packets(got_pk, want_pk, "segments", oracle.name)

        if snaplen:
            for s in segs:
                check(all(p[1] <= snaplen for p in it.read_packets(s["path"])),
                      f"segment {s['path']} holds a packet longer than snaplen {snaplen}")
        store.assert_consistent("after import")


def register():
    it.add_trace_cases("roundtrip", roundtrip, (0, 64), label="snaplen=")


if __name__ == "__main__":
    sys.exit(it.run_registered(register, "roundtrip"))
