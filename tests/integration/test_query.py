#!/usr/bin/env python3
"""trove query: exact answers, checked against tcpdump over the stored packets.

Setup (once): every MANIFEST.tsv trace tcpdump reads is imported with
`--snaplen 0 --segment-bytes 200K` into one store, so the store holds many
segments of three link types (EN10MB, LINUX_SLL, IPV4), some of them with
timestamps going backwards (one segment can hold the tail of one trace and
the start of the next).

Oracle: the segments of each link type, in `trove ls` order, are merged with
`mergecap -w`, and `tcpdump --time-stamp-precision=nano -r MERGED -w - EXPR`
gives the expected packets (libpcap reads one link type per file, so the
groups are compared separately; the merge of a subset of segments keeps the
relative order of their packets). trove's pcapng output is split by interface
link type with a walker written here. Packets are compared as
(ts_ns, caplen, wirelen, bytes), and for unbounded queries also as the text
`tcpdump -nn -tt --nano -v -e -S` prints. Time bounds [since, until) are
checked against the oracle's packets filtered by timestamp.
"""

import json
import struct
import sys

import trove_it as it
from trove_it import check, check_eq

STATE = {}

# Hosts and connections that occur in the shared traces (tshark -T fields).
FTP_HOST = "192.168.1.212"
AFS_SERVER = "131.151.1.59"
V6_HOST = "2a00:1450:4006:804::200e"
SSH = ("202.108.87.165", 62146, "223.132.53.222", 22)

QUERIES = [
    # hosts, nets, ports, protocols
    f"host {FTP_HOST}",
    f"src host {AFS_SERVER}",
    f"dst host {AFS_SERVER}",
    f"host {V6_HOST}",
    f"ip6 host {V6_HOST}",
    "net 131.151.0.0/16",
    "net 2a00:1450::/32",
    "port 21",
    "udp port 7000",
    "src port 53",
    "dst port 67 or dst port 68",
    "tcp", "udp", "icmp", "icmp6", "ip", "ip6",
    # both directions of one connection
    f"host {SSH[0]} and host {SSH[2]} and port {SSH[1]} and port {SSH[3]}",
    f"(src host {SSH[0]} and src port {SSH[1]}) or (dst host {SSH[0]} and dst port {SSH[1]})",
    # negations, precedence, repeated qualifiers
    "not tcp",
    f"not host {AFS_SERVER}",
    f"not (host {AFS_SERVER} or port 53)",
    f"tcp and not port 21",
    f"host {FTP_HOST} or {AFS_SERVER}",
    f"udp or tcp and port 22",
    f"! ip && ! ip6",
    # what the index cannot use: the planner scans, libpcap decides
    "tcp[13] & 2 != 0",
    "len > 100",
    "arp",
    "greater 1000 and udp",
    f"host {FTP_HOST} and tcp[13] & 2 != 0",
    "",
]


def linktype_of(path) -> int:
    data = open(path, "rb").read(1 << 16)
    (shb_len,) = struct.unpack("<I", data[4:8])
    (lt,) = struct.unpack("<H", data[shb_len + 8:shb_len + 10])
    return lt


def split_pcapng(path) -> dict:
    """{linktype: [(ts_ns, caplen, wirelen, data)]} of a little-endian pcapng."""
    d = open(path, "rb").read()
    check(d[:4] == b"\x0a\x0d\x0d\x0a", f"{path} is not pcapng")
    off, lts, out = 0, [], {}
    while off < len(d):
        bt, bl = struct.unpack("<II", d[off:off + 8])
        check(bl >= 12 and off + bl <= len(d), f"{path}: bad block at {off}")
        body = d[off + 8:off + bl - 4]
        if bt == 1:
            lts.append(struct.unpack("<H", body[:2])[0])
            out.setdefault(lts[-1], [])
        elif bt == 6:
            ifid, hi, lo, cap, orig = struct.unpack("<IIIII", body[:20])
            out[lts[ifid]].append(((hi << 32) | lo, cap, orig, body[20:20 + cap]))
        off += bl
    return out


def write_pcap(path, lt, pkts) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, lt))
        for ts, cap, orig, data in pkts:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, cap, orig) + data)


def setup():
    if STATE:
        return STATE
    rows = [r for r in it.manifest() if r["tcpdump_reads"] == "ok"]
    tmp_cm = it.tempdir("trove-query-")
    tmp = tmp_cm.__enter__()
    store = it.new_store(tmp)
    store.run("import", "--snaplen", "0", "--segment-bytes", "200K", *[r["path"] for r in rows])
    segs = [s for s in it.sorted_segments(store.ls()) if s["level"] == "raw"]
    check(len(segs) >= 10, f"expected many segments, got {len(segs)}")
    groups = {}
    for s in segs:
        groups.setdefault(linktype_of(s["path"]), []).append(s["path"])
    check(len(groups) >= 3, f"expected three link types, got {sorted(groups)}")
    merged = {}
    for lt, paths in groups.items():
        m = tmp / f"all-{lt}.pcapng"
        it.run(["mergecap", "-w", m, *paths])
        merged[lt] = m
    total = sum(s["packets"] for s in segs)
    STATE.update(tmp=tmp, store=store, segs=segs, merged=merged, total=total, n=0,
                 cleanup=tmp_cm)
    return STATE


def oracle(expr, lt) -> tuple[list, list]:
    st = STATE
    st["n"] += 1
    out = st["tmp"] / f"want-{st['n']}.pcap"
    cmd = ["tcpdump", "--time-stamp-precision=nano", "-r", st["merged"][lt], "-w", out]
    if expr:
        cmd.append(expr)
    p = it.run(cmd, check_rc=None)
    if p.returncode != 0:
        # libpcap refuses a program that matches nothing on this link type
        # (`ip6` on raw IPv4): no packet of this group matches.
        check("expression rejects all packets" in p.stderr, f"tcpdump failed: {p.stderr}")
        return [], []
    return it.read_packets(out), it.tcpdump_lines(out)


def query(*args) -> dict:
    st = STATE
    st["n"] += 1
    out = st["tmp"] / f"got-{st['n']}.pcapng"
    st["store"].run("query", "--format", "pcapng", "-w", out, *args)
    return split_pcapng(out)


def check_query(expr, since=None, until=None):
    st = setup()
    args = []
    if since is not None:
        args += ["--since", f"{since // 10**9}.{since % 10**9:09d}"]
    if until is not None:
        args += ["--until", f"{until // 10**9}.{until % 10**9:09d}"]
    got = query(*args, *([expr] if expr else []))
    lo = since if since is not None else -(2**63)
    hi = until if until is not None else 2**63
    for lt in st["merged"]:
        want, want_text = oracle(expr, lt)
        want = [p for p in want if lo <= p[0] < hi]
        mine = got.get(lt, [])
        it.compare_packets(mine, want, f"trove query [{lt}]", f"tcpdump {expr!r} [{lt}]")
        if since is None and until is None and want:
            path = st["tmp"] / f"got-{st['n']}-{lt}.pcap"
            write_pcap(path, lt, mine)
            it.compare_lines(it.tcpdump_lines(path), want_text, "trove query", "tcpdump")


def register():
    for q in QUERIES:
        it.add_case(f"query[{q}]", lambda q=q: check_query(q))

    def bounded():
        st = setup()
        # A window inside the AFS trace (1999), one across everything, and
        # bounds that fall between packets.
        afs0, afs1 = 942356776_463334000, 942356905_892866000
        for q in [f"host {AFS_SERVER}", "udp", "len > 100", "", "not tcp"]:
            check_query(q, since=afs0 + 20 * 10**9, until=afs1 - 30 * 10**9)
            check_query(q, since=afs0 + 1)
            check_query(q, until=afs0 + 60 * 10**9 + 5)
    it.add_case("query_time_bounds", bounded)

    def limit():
        setup()
        got = query("--limit-packets", "5", "udp")
        check_eq(sum(len(v) for v in got.values()), 5, "packets with --limit-packets 5")
    it.add_case("query_limit_packets", limit)

    def explain():
        st = setup()
        plan = st["store"].json("query", "--explain", "udp port 7000")
        check(plan["indexable"] is True, f"host query not indexable: {plan}")
        kinds = {s["plan"] for s in plan["segments"]}
        check("index" in kinds, f"no segment served from the index: {kinds}")
        check("pruned-summary" in kinds, f"no segment pruned by its summary: {kinds}")
        idx = [s for s in plan["segments"] if s["plan"] == "index"]
        # 601 AFS packets (udp 7000/7001 and ICMP errors), plus the packets
        # the planner cannot judge (VLAN-tagged, fragments, undecodable).
        cand = sum(s["candidate_packets"] for s in idx)
        check(cand < st["total"] // 10, f"port query reads {cand} of {st['total']} packets")
        # Only segments with candidates (or scanned) are opened (here every
        # index segment has some: the records the planner cannot judge).
        want_open = sum(1 for s in plan["segments"]
                        if s["plan"] == "scan" or (s["plan"] == "index" and s["candidate_packets"]))
        p = st["store"].run("query", "--max-rate", "0", "--stats", "--json",
                            "-w", st["tmp"] / "stats.pcap", "udp port 7000")
        stats = json.loads(p.stderr.strip().splitlines()[-1])
        check_eq(stats["segments_read"], want_open, "segments opened by an index plan")
        plan = st["store"].json("query", "--explain", "len > 100")
        check(plan["indexable"] is False and "len" in plan["not_indexable_because"], f"{plan}")
        check(all(s["plan"] in ("index", "scan") for s in plan["segments"]), "scan plan pruned")
        text = st["store"].run("query", "--explain", "tcp[13] & 2 != 0").stdout
        check("none, scanning" in text, f"--explain text: {text}")
    it.add_case("query_explain", explain)

    def bad_expression():
        st = setup()
        for expr in ["tcp[[", "host", "port 99999", "not"]:
            p = it.run(["tcpdump", "-r", st["merged"][1], expr], check_rc=None)
            check(p.returncode != 0, f"tcpdump accepted {expr!r}")
            msg = p.stderr.strip().splitlines()[-1].split("tcpdump: ", 1)[-1]
            out = st["tmp"] / "bad.pcap"
            q = st["store"].run("query", "-w", out, expr, check_rc=2)
            check(msg in q.stderr, f"{expr!r}: libpcap says {msg!r}, trove said {q.stderr!r}")
            check(not out.exists(), f"{expr!r}: an output file was created")
    it.add_case("query_bad_expression", bad_expression)

    def missing_and_corrupt_index():
        st = setup()
        # Queries stay exact when an index is missing or damaged (scan), and
        # fsck rebuilds both.
        idx = [it.Path(s["path"][: -len(".pcapng")] + ".idx") for s in st["segs"]]
        check(all(p.exists() for p in idx), "a raw segment has no index after import")
        idx[0].unlink()
        data = bytearray(idx[1].read_bytes())
        data[len(data) // 2] ^= 0xFF
        idx[1].write_bytes(bytes(data))
        plan = st["store"].json("query", "--explain", f"host {AFS_SERVER}")
        reasons = {s["id"]: s["reason"] for s in plan["segments"]}
        check(reasons[st["segs"][0]["id"]] == "no index" or
              plan["segments"][0]["plan"].startswith("pruned"), f"{reasons}")
        check_query(f"host {AFS_SERVER} or udp")
        dry = st["store"].fsck("--dry-run")
        bad = dry.get("indexes_bad", [])
        check(len(bad) == 2 and any("missing" in b for b in bad) and any("corrupt at offset" in b for b in bad),
              f"fsck --dry-run: indexes_bad {bad}")
        check(not idx[0].exists(), "fsck --dry-run rebuilt an index")
        check(dry.get("consistent") is True, "a missing index is repairable, not an inconsistency")
        doc = st["store"].fsck()
        check(len(doc.get("indexes_rebuilt", [])) == 2, f"fsck rebuilt {doc.get('indexes_rebuilt')}")
        check(all(p.exists() for p in idx), "fsck did not rebuild the index files")
        again = st["store"].fsck()
        check_eq(again.get("indexes_rebuilt"), [], "second fsck rebuilds")
        check_query("not tcp")
    it.add_case("query_missing_and_corrupt_index", missing_and_corrupt_index)


def v3_to_v2(data: bytes) -> bytes:
    """An index file of format version 3 or 4 rewritten as version 2, from
    docs/FORMAT.md alone: the same records (their encoding is shared; a
    version-4 record loses its six wire-count svarints), the postings as
    (entry, id list) pairs, the time map; no special list."""
    import hashlib
    import struct
    version = struct.unpack_from("<I", data, 8)[0]
    assert data[:8] == b"TROVEIDX" and version in (3, 4)
    body = data[32:]
    dir_len = struct.unpack_from("<I", body, 0)[0]
    at = 4
    (name_len,) = struct.unpack_from("<H", body, at)
    fixed = body[at:at + 2 + name_len + 2 + 8 + 8 + 8 + 8 + 1]  # name .. body flags
    at += len(fixed)
    nrec, naddr, nport, nblk = struct.unpack_from("<4I", body, at)
    sec = struct.unpack_from("<8Q", body, at + 16)

    def ids_len(off):  # bytes of one varint id list at off
        n, p = 0, off
        count, shift = 0, 0
        while True:
            b = body[p]; p += 1
            count |= (b & 0x7F) << shift; shift += 7
            if not b & 0x80:
                break
        for _ in range(count):
            while body[p] & 0x80:
                p += 1
            p += 1
        return p - off

    def varint_end(p):
        while body[p] & 0x80:
            p += 1
        return p + 1

    records = body[sec[1]:sec[2]]
    if version == 4:  # drop the wire counts: after key (46 bytes) and 6 varints
        starts = [struct.unpack_from("<Q", body, sec[0] + 8 * k)[0] for k in range(nrec)]
        records = bytearray()
        for k, s in enumerate(starts):
            a = sec[1] + s
            e = sec[1] + starts[k + 1] if k + 1 < nrec else sec[2]
            p = a + 46
            for _ in range(6):  # first ts, duration, packets x2, bytes x2
                p = varint_end(p)
            q = p
            for _ in range(6):  # the wire counts
                q = varint_end(q)
            records += body[a:p] + body[q:e]
    out = bytearray(fixed)
    out += struct.pack("<I", nrec) + bytes(records)
    out += struct.pack("<I", naddr)
    for k in range(naddr):
        e = sec[2] + 24 * k
        (rel,) = struct.unpack_from("<I", body, e + 20)
        out += body[e:e + 17] + body[sec[4] + rel:sec[4] + rel + ids_len(sec[4] + rel)]
    out += struct.pack("<I", nport)
    for k in range(nport):
        e = sec[3] + 8 * k
        (rel,) = struct.unpack_from("<I", body, e + 4)
        out += body[e:e + 2] + body[sec[4] + rel:sec[4] + rel + ids_len(sec[4] + rel)]
    out += struct.pack("<I", nblk) + body[sec[6]:sec[7]]
    assert dir_len == sec[0]
    head = b"TROVEIDX" + struct.pack("<IIQ", 2, 0, len(out)) + hashlib.sha256(out).digest()[:8]
    return head + bytes(out)


def old_index_case():
    """Indexes of format version 2 (converted from the version-4 files by an
    independent writer, above) still serve queries exactly; fsck --dry-run
    lists them, and fsck rewrites them in version 4 byte for byte as the
    writer made them (rebuilt from the segment: nothing was cut here, so the
    wire counts come out the same)."""
    st = setup()
    idx = [it.Path(s["path"][: -len(".pcapng")] + ".idx") for s in st["segs"]]
    orig = {p: p.read_bytes() for p in idx}
    for p, b in orig.items():
        p.write_bytes(v3_to_v2(b))
    plan = st["store"].json("query", "--explain", f"host {AFS_SERVER}")
    check(all(s["plan"] in ("index", "pruned-summary", "pruned-time") for s in plan["segments"]
              if not s.get("open")), f"version-2 indexes not used: {plan['segments']}")
    check_query(f"host {AFS_SERVER} or udp")
    check_query("tcp and not port 22")
    # trove flows says the sizes of an old index are the stored counts.
    rows = it.parse_json(st["store"].run("flows", "--format", "json").stdout, "trove flows")
    check(rows and all(r["sizes"] == "stored" for r in rows),
          f"flows over version-2 indexes: sizes {sorted({r['sizes'] for r in rows})}")
    check(all(r["orig_pkts"] == r["orig_stored_pkts"] and r["resp_ip_bytes"] == 0 for r in rows),
          "flows over version-2 indexes: wire columns are not the stored counts")
    dry = st["store"].fsck("--dry-run")
    check_eq(len(dry.get("indexes_old", [])), len(idx), "fsck --dry-run: indexes_old")
    check(all(p.read_bytes()[8] == 2 for p in idx), "fsck --dry-run rewrote an index")
    doc = st["store"].fsck()
    check_eq(len(doc.get("indexes_upgraded", [])), len(idx), "fsck: indexes_upgraded")
    for p, b in orig.items():
        check(p.read_bytes() == b, f"{p.name}: the upgraded index differs from the writer's")
    rows = it.parse_json(st["store"].run("flows", "--format", "json").stdout, "trove flows")
    check(all(r["sizes"] == "wire" for r in rows), "flows after the upgrade: sizes")
    check_eq(st["store"].fsck().get("indexes_upgraded"), [], "second fsck upgrades")
    check_query(f"host {AFS_SERVER} or udp")


def flows_case():
    """trove flows: per-connection packet and byte counts equal what tcpdump
    selects from the original trace with the connection's 5-tuple; the
    originator is the sender of the connection's first packet."""
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        traces = [it.SHARED_PCAPS / n for n in ("tcpdump_ssh.pcap", "ndpi_ftp.pcap", "tcpdump_dns_tcp.pcap")]
        for t in traces:
            if not t.exists():
                raise it.Skip(f"no {t}")
        store.run("import", "--snaplen", "0", *traces)
        rows = it.parse_json(store.run("flows", "--format", "json").stdout, "trove flows --format json")
        csv = store.run("flows").stdout.splitlines()
        check_eq(csv[0].split(",")[:8], ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h",
                                          "id.resp_p", "proto", "duration"], "CSV header")
        check_eq(len(csv) - 1, len(rows), "CSV rows vs JSON rows")
        check(all(r["cut"] is False for r in rows), "cut column must be false before the cutoff")
        tcp = [r for r in rows if r["proto"] == "tcp"]
        check(len(tcp) >= 5, f"expected the TCP connections of three traces, got {len(tcp)}")
        for r in tcp:
            flt = (f"tcp and host {r['id.orig_h']} and host {r['id.resp_h']} and "
                   f"port {r['id.orig_p']} and port {r['id.resp_p']}")
            fwd = (f"tcp and src host {r['id.orig_h']} and src port {r['id.orig_p']} and "
                   f"dst host {r['id.resp_h']} and dst port {r['id.resp_p']}")
            want_all, want_fwd = [], []
            for t in traces:
                for f, acc in ((flt, want_all), (fwd, want_fwd)):
                    out = tmp / "f.pcap"
                    it.run(["tcpdump", "--time-stamp-precision=nano", "-r", t, "-w", out, f])
                    acc.extend(it.read_packets(out))
            check_eq(r["orig_pkts"] + r["resp_pkts"], len(want_all), f"packets of {flt}")
            check_eq(r["orig_pkts"], len(want_fwd), f"orig packets of {fwd}")
            check_eq(r["orig_stored_bytes"] + r["resp_stored_bytes"], sum(p[1] for p in want_all),
                     f"bytes of {flt}")
            first = min(want_all, key=lambda p: p[0])
            check_eq(r["ts_ns"], first[0], f"first timestamp of {flt}")
            check(first in want_fwd, f"{flt}: the originator did not send the first packet")
        ssh = [r for r in tcp if 22 in (r["id.orig_p"], r["id.resp_p"]) and r["id.orig_h"] == "202.108.87.165"]
        check(len(ssh) == 1 and ssh[0]["conn_state"] == "SF",
              f"ssh.pcap holds one complete session (SYN..FIN both ways): {ssh}")


it.add_case("query_old_index_upgraded", old_index_case)
it.add_case("flows_match_tcpdump", flows_case)


def follow_case():
    """trove query --follow: the stored matches, then the matches of segments
    published while it runs (by another process), until SIGINT."""
    import signal
    import subprocess
    import time
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        first = it.SHARED_PCAPS / "tcpdump_ssh.pcap"
        later = it.SHARED_PCAPS / "ndpi_ftp.pcap"
        store.run("import", "--snaplen", "0", first)
        before = {s["id"] for s in store.ls()}
        out = tmp / "follow.pcap"
        err = open(tmp / "follow.err", "w")
        p = subprocess.Popen(store.cmd("query", "--follow", "--poll-interval", "0.1", "-w", out, "tcp"),
                             stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and (not out.exists() or out.stat().st_size <= 24):
                time.sleep(0.05)
            check(out.exists() and out.stat().st_size > 24, "no stored matches before the import")
            store.run("import", "--snaplen", "0", "--segment-bytes", "300K", later)
            new = [s for s in it.sorted_segments(store.ls()) if s["id"] not in before and s["level"] == "raw"]
            check(len(new) >= 2, f"expected several new segments, got {len(new)}")
            m = tmp / "new.pcapng"
            it.run(["mergecap", "-w", m, *[s["path"] for s in new]])
            w = tmp / "new.pcap"
            it.run(["tcpdump", "--time-stamp-precision=nano", "-r", m, "-w", w, "tcp"])
            want_new = it.read_packets(w)
            w0 = tmp / "old.pcap"
            old = [s["path"] for s in store.ls() if s["id"] in before and s["level"] == "raw"]
            it.run(["tcpdump", "--time-stamp-precision=nano", "-r", old[0], "-w", w0, "tcp"])
            want = it.read_packets(w0) + want_new
            size_want = 24 + sum(16 + q[1] for q in want)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and out.stat().st_size < size_want:
                time.sleep(0.05)
        finally:
            os_kill = __import__("os").killpg
            os_kill(p.pid, signal.SIGINT)
            rc = p.wait(timeout=20)
            err.close()
        check_eq(rc, 0, f"exit status after SIGINT ({(tmp / 'follow.err').read_text()})")
        it.compare_packets(it.read_packets(out), want, "query --follow", "tcpdump")


it.add_case("query_follow", follow_case)


def open_segment_case():
    """--include-open: packets of the segment being written (its flushed
    blocks) are found too, merged with the closed segments, exactly as
    tcpdump selects them from the closed segments plus the complete prefix
    of the .partial file at that moment (the importer is stopped with
    SIGSTOP while the query runs, so the prefix cannot move)."""
    import signal
    import subprocess
    import time
    with it.tempdir() as tmp:
        store = it.new_store(tmp)
        store.run("import", "--snaplen", "0", it.SHARED_PCAPS / "tcpdump_ssh.pcap")
        slow = it.SHARED_PCAPS / "ndpi_teams.pcap"
        p = subprocess.Popen(store.cmd("import", "--snaplen", "0", "--replay-speed", "3", slow),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            part = []
            while time.monotonic() < deadline:
                part = [q for q in store.partials() if q.stat().st_size > 100_000]
                if part or p.poll() is not None:
                    break
                time.sleep(0.05)
            check(len(part) == 1, f"no growing partial segment (importer rc {p.poll()})")
            import os
            os.killpg(p.pid, signal.SIGSTOP)
            try:
                data = part[0].read_bytes()
                w = it.walk_capture(data)
                prefix = tmp / "open-prefix.pcapng"
                prefix.write_bytes(data[:w.complete_end])
                closed = [s["path"] for s in it.sorted_segments(store.ls()) if s["level"] == "raw"]
                out = tmp / "open.pcap"
                for expr in ["udp", "tcp", ""]:
                    store.run("query", "--include-open", "-w", out, *([expr] if expr else []))
                    m = tmp / "open-all.pcapng"
                    it.run(["mergecap", "-w", m, *closed, prefix])
                    exp = tmp / "open-exp.pcap"
                    it.run(["tcpdump", "--time-stamp-precision=nano", "-r", m, "-w", exp,
                            *([expr] if expr else [])])
                    want = it.read_packets(exp)
                    check(len(w.records) > 100, f"prefix holds only {len(w.records)} packets")
                    it.compare_packets(it.read_packets(out), want, f"query --include-open {expr!r}",
                                       "tcpdump over closed + open prefix")
                    plan = store.json("query", "--include-open", "--explain", expr)
                    check(any("open segment" in s["reason"] for s in plan["segments"]), f"{plan}")
            finally:
                os.killpg(p.pid, signal.SIGCONT)
            check_eq(p.wait(timeout=120), 0, "importer exit status")
        finally:
            if p.poll() is None:
                it.kill_group(p)
        # Published now: the whole store, as mergecap merges it, and nothing twice.
        segs = [s["path"] for s in it.sorted_segments(store.ls()) if s["level"] == "raw"]
        m = tmp / "after-all.pcapng"
        it.run(["mergecap", "-w", m, *segs])
        store.run("query", "-w", tmp / "after.pcap")
        it.compare_packets(it.read_packets(tmp / "after.pcap"), it.read_packets(m), "query after publish",
                           "mergecap of all segments")
        check_eq(len(it.read_packets(m)), 54 + 2817, "ssh + teams packets")


it.add_case("query_open_segment", open_segment_case)


if __name__ == "__main__":
    rc = it.run_registered(register, "query")
    if "cleanup" in STATE:
        STATE["cleanup"].__exit__(None, None, None)
    sys.exit(rc)
