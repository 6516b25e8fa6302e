#!/usr/bin/env python3
"""pcapng files libpcap refuses, and timestamps taken as the file says.

Multi-link-type and multi-section pcapng (what Wireshark writes when it
captures on several interfaces; built here with mergecap -F pcapng and cat):
  * `trove import` stores every packet; per link type, the stored segments
    (read with tshark) hold exactly the packets tshark reads from the
    original with that encapsulation, in the same order: time, lengths,
    bytes (frame_raw) and link type;
  * `trove query EXPR` over such a store equals tcpdump EXPR over the
    single-link-type source traces (merged by time);
  * a file cut inside a block after the first interface change is refused
    with exit 2, naming the file and the block's offset; the prefix is kept.
  * named interfaces (eth0, eth1: EN10MB; tun0: raw IP, µs resolution):
    every stored packet has tshark's interface name of the original, and the
    segments' IDBs hold eth0+eth1 and tun0;
  * `trove anon` (one output link type) stops at the first packet of a
    second link type: exit 2, the file named, the prefix written.
Timestamps (hand-built pcap records, python struct):
  * seconds 0xF0000000 (2097) is stored as tshark shows it, and the segment
    is named after 2097;
  * a µs field of 1,500,000 is carried into the seconds: tshark prints
    seconds 1000 and 1500000000 ns unnormalised ("1000.1500000000"); the
    stored time is their sum, 1001.5 s (docs/FORMAT.md);
  * a pcapng whose timestamp does not fit in int64 ns is refused with the
    file and the EPB's offset, with several interfaces (trove's reader) and
    with one (libpcap); the packets before it are stored.
"""

import json
import struct
import subprocess
import sys
from pathlib import Path

import trove_it as it
from trove_it import Failure, case, check, check_eq

PCAPS = it.SHARED_PCAPS
SLL = "ndpi_KakaoTalk_talk.pcap"          # LINUX_SLL, 2015
ETH = "ndpi_ftp.pcap"                     # EN10MB, 2019-03-14T19:03:54.9
RAW = "wireshark_tcp-badsegments.pcap"    # raw IPv4, 1970


def tshark_frames(path) -> list[tuple]:
    """(time_epoch text, len, cap_len, encap_type, raw hex, interface name) per frame, as
    tshark reads it
    (a Simple Packet Block has no time: "0", as trove stores it)."""
    p = it.run(["tshark", "-r", str(path), "-T", "json", "-x", "-j", "frame"], check_rc=None,
               timeout=600)
    if p.returncode != 0:
        raise Failure(f"tshark could not read {path}: {p.stderr.strip()[:300]}")
    # (-j frame filters the interface subtree out: names come from -T fields.)
    names = it.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.interface_name"],
                   timeout=600).stdout.split("\n")
    out = []
    for k, pk in enumerate(json.loads(p.stdout or "[]")):
        lay = pk["_source"]["layers"]
        f = lay["frame"]
        raw = lay.get("frame_raw", [""])[0]
        name = names[k] if k < len(names) else None
        out.append((f.get("frame.time_epoch", "0"), int(f["frame.len"]), int(f["frame.cap_len"]),
                    int(f["frame.encap_type"]), raw, name))
    return out


def tshark_ns(text: str) -> int:
    """tshark's "SECONDS.NANOSECONDS" (the fraction printed as an integer count of ns,
    %09d, so an unnormalised fraction has 10 digits) as seconds * 1e9 + nanoseconds."""
    sec, _, frac = text.partition(".")
    ns = int(frac) if len(frac) > 9 else int((frac + "000000000")[:9])
    return int(sec) * 1_000_000_000 + ns


def interleaved(tmp: Path) -> tuple[Path, list[Path]]:
    """Three traces of three link types shifted into one time range (so the
    link types interleave) and merged into one pcapng, plus the shifted sources."""
    k = tmp / "sll.pcap"
    b = tmp / "raw.pcap"
    it.run(["editcap", "-t", "122521095", PCAPS / SLL, k])
    it.run(["editcap", "-t", "1552590235", PCAPS / RAW, b])
    out = tmp / "multi.pcapng"
    srcs = [k, PCAPS / ETH, b]
    it.run(["mergecap", "-F", "pcapng", "-w", out, *srcs])
    return out, srcs


def same(a, b) -> bool:
    return tshark_ns(a[0]) == tshark_ns(b[0]) and a[1:] == b[1:]


def check_roundtrip(store, original: Path, what: str, want=None) -> None:
    """Per encapsulation, the stored segments equal tshark's reading of the
    original, frame for frame: the same frames (time, lengths, bytes, link
    type, interface name), and each segment's frames in the original's order.
    Where times only increase, the segments in time order are the original."""
    want = want if want is not None else tshark_frames(original)
    check(want, f"test bug: tshark reads no frame from {original}")
    segs = it.sorted_segments(store.ls())
    got_by_encap: dict[int, list] = {}
    for s in segs:
        frames = tshark_frames(s["path"])
        encaps = {f[3] for f in frames}
        check(len(encaps) <= 1, f"segment {s['name']} holds several link types {encaps}")
        for f in frames:
            got_by_encap.setdefault(f[3], []).append(f)
    want_by_encap: dict[int, list] = {}
    for f in want:
        want_by_encap.setdefault(f[3], []).append(f)
    check_eq(sorted(got_by_encap), sorted(want_by_encap), f"{what}: link types stored")
    def key(f):
        return (tshark_ns(f[0]),) + tuple(f[1:])
    for enc, w in want_by_encap.items():
        g = got_by_encap[enc]
        check_eq(len(g), len(w), f"{what}: packets of encapsulation {enc}")
        monotonic = all(tshark_ns(w[i][0]) <= tshark_ns(w[i + 1][0]) for i in range(len(w) - 1))
        if not monotonic:
            check(sorted(map(key, g)) == sorted(map(key, w)),
                  f"{what}: the stored frames of encapsulation {enc} differ from the original's")
            continue
        for i, (a, b) in enumerate(zip(g, w)):
            if not same(a, b):
                raise Failure(f"{what}: encapsulation {enc} packet {i + 1} differs:\n"
                              f"  original {b[:4]} {b[5]!r} {b[4][:60]}\n"
                              f"  stored   {a[:4]} {a[5]!r} {a[4][:60]}")
    # Each segment's frames appear in the original in the same order.
    for s in segs:
        frames = tshark_frames(s["path"])
        j = 0
        for f in frames:
            while j < len(want) and not same(f, want[j]):
                j += 1
            check(j < len(want), f"{what}: segment {s['name']} is not in the original's order")
            j += 1
    check_eq(sum(s["packets"] for s in segs), len(want), f"{what}: packets in trove ls")
    store.assert_consistent(what)


@case
def multi_linktype_interleaved_roundtrip():
    with it.tempdir() as tmp:
        multi, _ = interleaved(tmp)
        p = it.run(["tcpdump", "-r", multi, "-c", "1"], check_rc=None)
        check(p.returncode != 0 and "different from the type" in p.stderr,
              f"test bug: libpcap should refuse {multi.name}: {p.stderr.strip()[:200]}")
        store = it.new_store(tmp)
        out = store.json("import", "--snaplen", "0", multi)
        check_eq(out.get("packets"), it.capinfos_count(multi), "import --json packets")
        segs = store.ls()
        # One stream per link type: interleaving does not rotate at every change.
        check_eq(len(segs), 3, "segments (one per link type)")
        check_roundtrip(store, multi, "interleaved")


@case
def multi_section_both_byte_orders_roundtrip():
    # cat of pcapng files: several sections; the big-endian one makes libpcap
    # refuse the file ("sections with different byte orders").
    with it.tempdir() as tmp:
        le = tmp / "ericsson.pcapng"
        raw_ng = tmp / "raw.pcapng"
        it.run(["editcap", "-F", "pcapng", PCAPS / RAW, raw_ng])
        le.write_bytes((PCAPS / "tcpdump_of13_ericsson.pcapng").read_bytes())
        parts = [le, PCAPS / "gopacket_be_test010.pcapng", raw_ng,
                 PCAPS / "wireshark_dhcp-nanosecond.pcapng"]
        cat = tmp / "sections.pcapng"
        cat.write_bytes(b"".join(p.read_bytes() for p in parts))
        store = it.new_store(tmp)
        out = store.json("import", "--snaplen", "0", cat)
        check_eq(out.get("packets"), it.capinfos_count(cat), "import --json packets")
        # The oracle is tshark over each section's file alone: over the whole
        # file, tshark 4.0 names a Simple Packet Block's interface by the
        # FIRST section's interface 0, not its own section's as the format
        # says (the times, lengths and bytes agree either way).
        want = [f for p in parts for f in tshark_frames(p)]
        whole = tshark_frames(cat)
        check_eq([f[:5] for f in whole], [f[:5] for f in want], "test bug: tshark, whole vs parts")
        check_roundtrip(store, cat, "sections", want)


def pcap_frames(path) -> list[tuple]:
    return [(tshark_ns(f[0]), f[1], f[2], f[4]) for f in tshark_frames(path)]


def pcapng_block(btype: int, body: bytes) -> bytes:
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + bytes((4 - len(value) % 4) % 4)


def named_interfaces_file(tmp: Path) -> Path:
    """One section, three named interfaces: eth0 and eth1 (EN10MB, snaplen
    65535 and 128) and tun0 (raw IPv4, if_tsresol 6), packets interleaved
    round-robin from ndpi_ftp.pcap and tcp-badsegments, times increasing."""
    eth = it.walk_capture((PCAPS / ETH).read_bytes()).records[:300]
    raw = it.walk_capture((PCAPS / RAW).read_bytes()).records
    def idb(linktype, snaplen, name, tsresol):
        opts = pcapng_option(2, name.encode()) + pcapng_option(9, bytes([tsresol])) + bytes(4)
        return pcapng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts)
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += idb(1, 65535, "eth0", 9) + idb(1, 128, "eth1", 9) + idb(101, 0, "tun0", 6)
    t = 1_700_000_000_000_000_000
    for k, rec in enumerate(eth):
        ifid = k % 2
        data = rec[4][:128] if ifid == 1 else rec[4]
        t += 1000
        out += pcapng_block(6, struct.pack("<IIIII", ifid, t >> 32, t & 0xFFFFFFFF, len(data), rec[3])
                            + data + bytes((4 - len(data) % 4) % 4))
        if k % 12 == 0 and raw:
            r = raw.pop(0)
            t += 1000
            us = t // 1000
            out += pcapng_block(6, struct.pack("<IIIII", 2, us >> 32, us & 0xFFFFFFFF, len(r[4]), r[3])
                                + r[4] + bytes((4 - len(r[4]) % 4) % 4))
    f = tmp / "named.pcapng"
    f.write_bytes(out)
    return f


@case
def named_interfaces_are_kept():
    with it.tempdir() as tmp:
        f = named_interfaces_file(tmp)
        names = {x[5] for x in tshark_frames(f)}
        check_eq(names, {"eth0", "eth1", "tun0"}, "test bug: tshark's interface names")
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", f)
        # Per packet: time, lengths, bytes, link type and interface name.
        check_roundtrip(store, f, "named interfaces")
        segs = it.sorted_segments(store.ls())
        # EN10MB: one segment with eth0 alone (before eth1's first packet),
        # then one with both; tun0: one.
        check_eq(len(segs), 3, "segments")
        idbs = []
        for s in segs:
            p = it.run(["tshark", "-r", s["path"], "-T", "fields", "-e", "frame.interface_id",
                        "-e", "frame.interface_name"], check_rc=None)
            idbs.append(sorted(set(p.stdout.split("\n")) - {""}))
        check(["0\teth0", "1\teth1"] in idbs, f"a segment should hold eth0 and eth1: {idbs}")
        check(["0\ttun0"] in idbs, f"a segment should hold tun0: {idbs}")
        store.assert_consistent("named interfaces")


@case
def query_over_multi_linktype_store_equals_tcpdump():
    with it.tempdir() as tmp:
        multi, srcs = interleaved(tmp)
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", multi)
        for expr in ["tcp", "tcp port 21", "udp", "host 10.0.0.1"]:
            res = tmp / "q.pcapng"
            store.run("query", "-w", res, *expr.split())
            got = pcap_frames(res) if res.stat().st_size else []
            want = []
            for i, s in enumerate(srcs):
                part = tmp / f"want{i}.pcap"
                it.run(["tcpdump", "-r", s, "-w", part, expr], check_rc=None)
                want.extend(pcap_frames(part) if part.exists() else [])
            # Time order, as `trove query` merges (ties: any order).
            check(all(got[i][0] <= got[i + 1][0] for i in range(len(got) - 1)),
                  f"query {expr!r}: not in time order")
            check_eq(sorted(got), sorted(want), f"query {expr!r} vs tcpdump over the sources")
            check(expr != "tcp" or len(got) > 1000, f"test bug: query {expr!r} matched too little")


@case
def multi_linktype_cut_inside_block_keeps_prefix():
    with it.tempdir() as tmp:
        multi, _ = interleaved(tmp)
        data = multi.read_bytes()
        w = it.walk_capture(data)
        # The first EPB of interface 1 (libpcap stops at its IDB, the own
        # reader takes over there) ... cut 500 packets later, mid-block.
        k = 1500
        cut = w.records[k][0] + 10
        bad = tmp / "cut.pcapng"
        bad.write_bytes(data[:cut])
        store = it.new_store(tmp)
        p = store.run("import", "--snaplen", "0", bad, check_rc=None)
        check_eq(p.returncode, 2, f"exit status (stderr {p.stderr.strip()[:300]!r})")
        check(bad.name in p.stderr and f"offset {w.records[k][0]}" in p.stderr,
              f"stderr should name {bad.name} and offset {w.records[k][0]}: {p.stderr.strip()[:400]!r}")
        check_eq(sum(s["packets"] for s in store.ls()), k, "packets stored (the prefix)")
        prefix = tmp / "prefix.pcapng"
        prefix.write_bytes(data[:w.records[k][0]])
        check_roundtrip(store, prefix, "cut prefix")


@case
def anon_refuses_a_second_link_type_keeping_the_prefix():
    # trove anon writes one link type: a multi-link-type file stops at the
    # first packet of another one (exit 2, file named), the prefix written.
    with it.tempdir() as tmp:
        multi, _ = interleaved(tmp)
        encaps = [f[3] for f in tshark_frames(multi)]
        k = next(i for i, e in enumerate(encaps) if e != encaps[0])
        out = tmp / "anon.pcap"
        p = it.run([it.TROVE_BIN, "anon", "--level", "scrubbed", multi, out], check_rc=None)
        check_eq(p.returncode, 2, f"exit status (stderr {p.stderr.strip()[:300]!r})")
        check(multi.name in p.stderr and "link type" in p.stderr,
              f"stderr should name {multi.name} and the link type: {p.stderr.strip()[:300]!r}")
        check_eq(it.capinfos_count(out), k, "packets written before the other link type")


# ------------------------------------------------------------------ timestamps

ETH_FRAME = bytes.fromhex("ffffffffffff0000000000010800") + bytes.fromhex(
    "4500002e000100004011f96b0a0000010a000002") + bytes.fromhex("d43100350012c0de") + bytes(10)


def pcap_file(path: Path, records, nano=False) -> None:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    b = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for sec, frac in records:
        b += struct.pack("<IIII", sec, frac, len(ETH_FRAME), len(ETH_FRAME)) + ETH_FRAME
    path.write_bytes(b)


def stored_times(store) -> list[int]:
    return [tshark_ns(f[0]) for s in it.sorted_segments(store.ls()) for f in tshark_frames(s["path"])]


@case
def pcap_seconds_after_2038():
    with it.tempdir() as tmp:
        f = tmp / "2097.pcap"
        recs = [(0xF0000000, 123456), (0xF0000001, 0), (0xFFFFFFFF, 999999)]
        pcap_file(f, recs)
        want = [tshark_ns(x[0]) for x in tshark_frames(f)]
        check_eq(want[0], 0xF0000000 * 10**9 + 123456000, "test bug: tshark's time of record 1")
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", f)
        check_eq(stored_times(store), want, "stored times vs tshark -r original")
        segs = store.ls()
        check_eq(len(segs), 1, "segments")
        check("-20970805T090400.123456000Z-" in segs[0]["name"], f"segment name should say 2097-08-05T09:04:00.123456 (date -u -d @4026531840): {segs[0]['name']}")
        check_eq(segs[0]["start_ns"], want[0], "catalogue start_ns")


@case
def pcap_oversized_fraction_is_carried():
    with it.tempdir() as tmp:
        for nano, frac, unit in [(False, 1_500_000, 1000), (True, 1_500_000_000, 1)]:
            f = tmp / f"frac-{nano}.pcap"
            pcap_file(f, [(1000, frac), (1002, 5)], nano=nano)
            tsh = tshark_frames(f)
            check_eq(tsh[0][0], "1000.1500000000", "test bug: tshark prints the fraction unnormalised")
            store = it.new_store(tmp, name=f"s-{nano}")
            store.run("import", "--snaplen", "0", f)
            # Stored: 1000 s + 1.5 s, i.e. tshark's two fields summed.
            check_eq(stored_times(store), [1001_500_000_000, 1002 * 10**9 + 5 * unit],
                     f"stored times ({'ns' if nano else 'µs'} file)")
            check_eq([tshark_ns(x[0]) for x in tsh], stored_times(store), "tshark's fields summed")


@case
def pcapng_time_overflow_is_refused_with_offset():
    with it.tempdir() as tmp:
        shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        # Two interfaces of different link types (so trove's own reader reads
        # it), if_tsresol 9.
        opt = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
        idb0 = pcapng_block(1, struct.pack("<HHI", 1, 0, 0) + opt)
        idb1 = pcapng_block(1, struct.pack("<HHI", 101, 0, 0) + opt)
        frame = ETH_FRAME + bytes((4 - len(ETH_FRAME) % 4) % 4)

        def epb(ifid, ticks, data):
            pad = data + bytes((4 - len(data) % 4) % 4)
            return pcapng_block(6, struct.pack("<IIIII", ifid, ticks >> 32, ticks & 0xFFFFFFFF,
                                               len(data), len(data)) + pad)
        ip = ETH_FRAME[14:]
        good = [epb(0, 1_700_000_000_000_000_000, ETH_FRAME), epb(1, 1_700_000_000_000_000_001, ip)]
        head = shb + idb0 + idb1 + b"".join(good)
        bad_off = len(head)
        f = tmp / "overflow.pcapng"
        f.write_bytes(head + epb(0, 2**63, ETH_FRAME) + epb(0, 1_700_000_000_000_000_002, ETH_FRAME))
        check(len(frame) % 4 == 0, "test bug")
        store = it.new_store(tmp)
        p = store.run("import", "--snaplen", "0", f, check_rc=None)
        check_eq(p.returncode, 2, f"exit status (stderr {p.stderr.strip()[:300]!r})")
        check(f.name in p.stderr and f"offset {bad_off}" in p.stderr,
              f"stderr should name {f.name} and offset {bad_off}: {p.stderr.strip()[:400]!r}")
        check_eq(sorted(stored_times(store)), [1_700_000_000_000_000_000, 1_700_000_000_000_000_001],
                 "the prefix is stored")
        store.assert_consistent("after the refused import")

        # The same with one interface (libpcap reads it; trove checks its time).
        one = tmp / "overflow1.pcapng"
        head1 = shb + idb0 + good[0]
        one.write_bytes(head1 + epb(0, 2**63 + 5, ETH_FRAME) + epb(0, 1_700_000_000_000_000_002, ETH_FRAME))
        store1 = it.new_store(tmp, name="store1")
        p = store1.run("import", "--snaplen", "0", one, check_rc=None)
        check_eq(p.returncode, 2, f"exit status, one interface (stderr {p.stderr.strip()[:300]!r})")
        check(one.name in p.stderr and f"offset {len(head1)}" in p.stderr,
              f"stderr should name {one.name} and offset {len(head1)}: {p.stderr.strip()[:400]!r}")
        check_eq(stored_times(store1), [1_700_000_000_000_000_000], "the prefix is stored (one interface)")
        store1.assert_consistent("after the refused import (one interface)")


if __name__ == "__main__":
    sys.exit(it.main())
