#!/usr/bin/env python3
"""Malformed, truncated and unreadable inputs to `trove import`.

For every bad input: exit status 2; stderr names the file; where the damage
is at a known place, stderr says "offset N" with N the start of the first
incomplete record (pcap) or block (pcapng), computed here by walking the
file independently; the readable prefix is stored (packet count and packet
bytes of the new segments equal the complete records, counted with capinfos
and with our own walker); `trove fsck --json` is consistent; the segments
stored before are untouched (same catalogue sha256, same file sha256).
"""

import random
import re
import sys
from pathlib import Path

import trove_it as it
from trove_it import Failure, check, check_eq

PCAPS = it.SHARED_PCAPS
BASELINE = "tcpdump_dns_tcp.pcap"   # stored before every bad import


def offsets_in(stderr: str) -> list[int]:
    return [int(m) for m in re.findall(r"offset\D{0,3}(\d+)", stderr, re.IGNORECASE)]


def expect_bad_import(files, bad: Path, *, want_packets: int, want_offsets=None,
                      prefix_packets=None, good_packets: int = 0, cwd_files=None):
    """Runs one bad import in a store that already holds BASELINE.

    want_packets: packets the new segments must hold in total.
    want_offsets: acceptable byte offsets to find after "offset" in stderr
                  (None: no offset required).
    prefix_packets: (ts_ns, caplen, wirelen, data) the new segments must hold, in order.
    """
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", PCAPS / BASELINE)
        before = {s["id"]: s for s in store.ls()}
        check(before, "baseline import stored no segment")
        before_sha = {i: it.sha256_file(s["path"]) for i, s in before.items()}
        for i, s in before.items():
            check_eq(before_sha[i], s["sha256"], f"baseline segment {i} sha256 (file vs catalogue)")

        p = store.run("import", "--snaplen", "0", *files, check_rc=None)
        check_eq(p.returncode, 2, f"exit status of `trove import {' '.join(map(str, files))}` "
                                  f"(stderr: {p.stderr.strip()[:300]!r})")
        check(bad.name in p.stderr,
              f"stderr does not name {bad.name}: {p.stderr.strip()[:500]!r}")
        if want_offsets is not None:
            found = offsets_in(p.stderr)
            check(any(o in want_offsets for o in found),
                  f"stderr should report offset {sorted(want_offsets)} for {bad.name}, "
                  f"found offsets {found}: {p.stderr.strip()[:500]!r}")

        after = store.ls()
        new = it.sorted_segments([s for s in after if s["id"] not in before])
        check_eq(sum(s["packets"] for s in new), want_packets + good_packets,
                 "packets in the new segments (trove ls)")
        check_eq(sum(it.capinfos_count(s["path"]) for s in new), want_packets + good_packets,
                 "packets in the new segments (capinfos -c)")
        if prefix_packets is not None and not good_packets:
            got = [pk for s in new for pk in it.read_packets(s["path"])]
            it.compare_packets(got, prefix_packets, "stored prefix", f"first records of {bad.name}")

        by_id = {s["id"]: s for s in after}
        for i, s in before.items():
            check(i in by_id, f"baseline segment {i} vanished from the catalogue")
            check_eq(by_id[i]["sha256"], s["sha256"], f"catalogue sha256 of baseline segment {i}")
            check_eq(it.sha256_file(s["path"]), before_sha[i], f"file sha256 of baseline segment {i}")

        store.assert_consistent(f"after importing {bad.name}")
        check_eq(store.partials(), [], "leftover .partial files")
        return p


def cut_case(src_name: str, choose_cut):
    """Cuts a shared trace at the offset choose_cut(walk) and imports it."""
    def fn():
        src = PCAPS / src_name
        data = src.read_bytes()
        walk = it.walk_capture(data)
        cut = choose_cut(walk, data)
        with it.tempdir() as tmp:
            bad = tmp / f"cut{cut}-{src_name}"
            bad.write_bytes(data[:cut])
            w = it.walk_capture(data[:cut]) if cut >= 4 else None
            if w is not None and w.truncated_at is None:
                raise Failure(f"test bug: cut {cut} is on a record boundary")
            k = len(w.records) if w else 0
            start = w.truncated_at if w else 0
            # A cut inside the file header / section header block is at offset 0.
            expect_bad_import([bad], bad, want_packets=k, want_offsets={start},
                              prefix_packets=[r[1:] for r in (w.records if w else [])])
    return fn


def rec_off(walk, k):
    return walk.records[k][0]


def register():
    # Manifest traces that are malformed.
    def manifest_truncated():
        src = PCAPS / "dpkt_truncated_dns_2.pcap"
        w = it.walk_capture(src.read_bytes())
        check_eq(w.truncated_at, 240, "test bug: walker offset of the truncated record header")
        expect_bad_import([src], src, want_packets=len(w.records), want_offsets={w.truncated_at},
                          prefix_packets=[r[1:] for r in w.records])
    it.add_case("manifest:dpkt_truncated_dns_2.pcap(record header cut, offset 240)", manifest_truncated)

    def manifest_bad_version():
        src = PCAPS / "libpcap_pcap-invalid-version-1.pcap"
        # The damage is in the file header: offset 0 (header) or 4 (version field).
        expect_bad_import([src], src, want_packets=0, want_offsets={0, 4})
    it.add_case("manifest:libpcap_pcap-invalid-version-1.pcap(bad version)", manifest_bad_version)

    # Valid traces cut at chosen places.
    ssh = "tcpdump_ssh.pcap"
    it.add_case("cut:pcap inside file header (10 B)", cut_case(ssh, lambda w, d: 10))
    it.add_case("cut:pcap inside first record header",
                cut_case(ssh, lambda w, d: rec_off(w, 0) + 9))
    it.add_case("cut:pcap inside first record data",
                cut_case(ssh, lambda w, d: rec_off(w, 0) + 16 + 5))
    it.add_case("cut:pcap inside record 27 header",
                cut_case(ssh, lambda w, d: rec_off(w, 27) + 3))
    it.add_case("cut:pcap inside record 27 data",
                cut_case(ssh, lambda w, d: rec_off(w, 27) + 16 + w.records[27][2] // 2))
    it.add_case("cut:pcap one byte short of the end",
                cut_case(ssh, lambda w, d: len(d) - 1))
    it.add_case("cut:big-endian pcap inside record 10",
                cut_case("tcpdump_pptp.pcap", lambda w, d: rec_off(w, 10) + 20))
    it.add_case("cut:ns pcap inside record 2",
                cut_case("wireshark_dhcp-nanosecond.pcap", lambda w, d: rec_off(w, 2) + 100))
    it.add_case("cut:pcapng inside section header block (20 B)",
                cut_case("tcpdump_of13_ericsson.pcapng", lambda w, d: 20))
    it.add_case("cut:pcapng mid-EPB 100",
                cut_case("tcpdump_of13_ericsson.pcapng",
                         lambda w, d: rec_off(w, 100) + 40))
    it.add_case("cut:pcapng inside EPB 100 block header",
                cut_case("tcpdump_of13_ericsson.pcapng",
                         lambda w, d: rec_off(w, 100) + 6))
    it.add_case("cut:big-endian pcapng inside packet 3",
                cut_case("gopacket_be_test010.pcapng", lambda w, d: rec_off(w, 2) + 30))

    def cut_on_boundary():
        # Not an error: a file that ends exactly after record k is a valid trace.
        src = PCAPS / ssh
        data = src.read_bytes()
        w = it.walk_capture(data)
        with it.tempdir() as tmp:
            f = tmp / "boundary.pcap"
            f.write_bytes(data[:rec_off(w, 20)])
            store = it.new_store(tmp)
            store.run("import", "--snaplen", "0", f)
            check_eq(sum(s["packets"] for s in store.ls()), 20, "packets stored from a 20-record file")
    it.add_case("cut:pcap on a record boundary imports cleanly (exit 0)", cut_on_boundary)

    # Garbage and non-files.
    def random_bytes():
        with it.tempdir() as tmp:
            f = tmp / "random.bin"
            rnd = random.Random(1234)
            f.write_bytes(bytes(rnd.getrandbits(8) for _ in range(8192)))
            expect_bad_import([f], f, want_packets=0)
    it.add_case("garbage:8 KiB of random bytes", random_bytes)

    def random_after_magic():
        # A valid pcap header followed by garbage: the first record header
        # claims a huge length, so the damage is at offset 24.
        with it.tempdir() as tmp:
            f = tmp / "garbage-records.pcap"
            hdr = (PCAPS / ssh).read_bytes()[:24]
            f.write_bytes(hdr + b"\xff" * 4000)
            expect_bad_import([f], f, want_packets=0, want_offsets={24})
    it.add_case("garbage:pcap header then a record with caplen 0xffffffff", random_after_magic)

    def empty_file():
        with it.tempdir() as tmp:
            f = tmp / "empty.pcap"
            f.write_bytes(b"")
            expect_bad_import([f], f, want_packets=0)
    it.add_case("garbage:empty 0-byte file", empty_file)

    def directory():
        with it.tempdir() as tmp:
            d = tmp / "a-directory.pcap"
            d.mkdir()
            expect_bad_import([d], d, want_packets=0)
    it.add_case("garbage:a directory", directory)

    def missing():
        with it.tempdir() as tmp:
            f = tmp / "does-not-exist.pcap"
            expect_bad_import([f], f, want_packets=0)
    it.add_case("garbage:a missing file", missing)

    def others_still_imported():
        # good, cut, good: both good files are stored whole, the cut one's prefix too.
        src = PCAPS / ssh
        data = src.read_bytes()
        w = it.walk_capture(data)
        with it.tempdir() as tmp:
            bad = tmp / "cut-in-middle.pcap"
            bad.write_bytes(data[:rec_off(w, 30) + 20])
            good1 = PCAPS / "tcpdump_print-flags.pcap"
            good2 = PCAPS / "tcpdump_pptp.pcap"
            expect_bad_import([good1, bad, good2], bad, want_packets=30,
                              want_offsets={rec_off(w, 30)},
                              good_packets=it.capinfos_count(good1) + it.capinfos_count(good2))
    it.add_case("multi:good, cut, good -> others still imported, exit 2", others_still_imported)

    def json_names_error():
        src = PCAPS / "dpkt_truncated_dns_2.pcap"
        with it.tempdir() as tmp:
            store = it.new_store(tmp)
            doc = store.json("import", "--snaplen", "0", src, check_rc=2)
            files = doc.get("files") or []
            check_eq(len(files), 1, "import --json files[] length")
            check(files[0].get("error"), f"import --json: files[0] has no error: {files[0]}")
            check_eq(files[0].get("packets"), 1, "import --json files[0].packets")
    it.add_case("json:import --json reports the file's error and its packets", json_names_error)


if __name__ == "__main__":
    register()
    sys.exit(it.main())
