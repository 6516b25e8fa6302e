#!/usr/bin/env python3
# ctest-label: service
"""Queries during a live capture never stall it (issue 3), checked against
tcpdump on the same wire.

Runs as root in its own network namespace (re-executes itself under
`unshare -n -m`), with a veth pair into a second namespace; the only traffic
is the bounded replay the test makes, all of it inside the namespaces.

query_during_replay
    A store with a 4 KB cutoff class (headers after it) already holds an
    imported synthetic archive (link `archive`). `trove capture --link wire`
    and a reference `tcpdump -w` capture v0 while `tcpreplay` sends a
    synthetic trace at a bounded rate from the peer end. Meanwhile
    `trove query` runs back to back over the whole archive (every packet,
    and an expression the index cannot narrow, so it scans), with the
    store's default retrieval settings (nice 10, idle I/O, 200 MB/s), and a
    `trove query --follow --link wire udp` streams.
    Checked:
      * capture drops are zero (kernel and ring, from `trove capture
        --json`), and at least one full query ran during the replay;
      * the packets stored equal tcpdump's packets with the cutoff applied
        by the independent tshark-based oracle of test_cutoff.py (lengths
        to the byte, bytes, order; timestamps within 1 ms);
      * `trove query` answers on the captured segments equal `tcpdump -r`
        over them, and the --follow stream equals `tcpdump -r ... udp`.
    The query processes' CPU and I/O priority are read back with ps and
    ionice (nice 10, class idle).
limits
    `trove query --max-rate` bounds the bytes read: a query over the
    archive at 8 MB/s takes at least (bytes read - burst) / rate seconds,
    reports bytes_read >= the segment files' sizes in --stats --json, and
    returns the same packets as an unlimited query. With --limit-packets 1
    only the first segment is opened.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import trove_it as it
from cutoff_oracle import expected_lengths
from live_it import Background, KernelTimestamps, VethPair, reexec_in_network_namespace
from live_it import match_captures, start_ref_tcpdump, stop_tcpdump
from trove_it import check, check_eq

CUTOFF = 4096
REPLAY_PPS = 8000
TS_TOLERANCE_NS = 1_000_000


def store_with_archive(tmp: Path) -> it.Store:
    """A store with links `archive` (an imported synthetic trace, 5+ segments)
    and `wire` (captured), one 4 KB cutoff class."""
    store = it.new_store(tmp, cutoff=str(CUTOFF))
    toml = store.path / "trove.toml"
    text = toml.read_text()
    text += ('\n[[link]]\nname = "archive"\nsnaplen = 0\nsegment_bytes = "3M"\n'
             '\n[[link]]\nname = "wire"\ninterface = "v0"\nsnaplen = 0\n')
    toml.write_text(text)
    trace = it.synth(tmp, "--bytes", "60M", "--seed", "7")
    store.run("import", "--link", "archive", trace, timeout=600)
    return store


def query(store, *args, out=None, check_rc=0):
    out = out or "/dev/null"
    return store.run("query", "-w", out, *args, check_rc=check_rc, timeout=600)


NO_NETNS = None


@it.case
def query_during_replay():
    if NO_NETNS:
        raise it.Skip(NO_NETNS)
    with it.tempdir() as tmp, VethPair("169.254.20.1", "169.254.20.2") as veth:
        store = store_with_archive(tmp)
        archive = it.sorted_segments(store.ls("--link", "archive"))
        check(len(archive) >= 3, f"archive has {len(archive)} segments, expected >= 3")
        replay = it.synth(tmp, "--packets", "40000", "--seed", "3")
        ref = tmp / "ref.pcap"
        follow_out = tmp / "follow.pcap"
        with KernelTimestamps():
            td = start_ref_tcpdump("v0", ref, tmp, snaplen=2048)  # synth frames are <= 1514
            cap_out = open(tmp / "capture.json", "w")
            cap_err = tmp / "capture.err"
            cap = subprocess.Popen(store.cmd("capture", "--link", "wire", "--json"),
                                   stdout=cap_out, stderr=open(cap_err, "w"),
                                   start_new_session=True)
            if not it.wait_for_line(cap_err, "capturing on v0", 15, cap):
                raise it.Failure(f"trove capture did not start: {cap_err.read_text()[-500:]}")
            follow = Background(store.cmd("query", "--follow", "--poll-interval", "0.2",
                                          "--link", "wire", "-w", follow_out, "udp"),
                                tmp / "follow.err")
            time.sleep(0.3)
            replayer = subprocess.Popen(
                veth.peer_cmd(["tcpreplay", "-q", "-i", "v1", f"--pps={REPLAY_PPS}", replay]),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            # One slow query (rate-bound) spans the replay: its priority is
            # read back while it runs. Unbounded-by-default ones run back to back.
            slow = subprocess.Popen(store.cmd("query", "--link", "archive", "--max-rate", "1M",
                                              "-w", "/dev/null"),
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(0.2)
            ni = subprocess.run(["ps", "-o", "ni=", "-p", str(slow.pid)],
                                capture_output=True, text=True).stdout.strip()
            io = subprocess.run(["ionice", "-p", str(slow.pid)],
                                capture_output=True, text=True).stdout.strip()
            check(slow.poll() is None, "the rate-bound query finished before its priority was read")
            check_eq(ni, "10", "nice value of a running trove query (ps)")
            check_eq(io, "idle", "I/O class of a running trove query (ionice)")
            queries = 0
            while replayer.poll() is None:
                for expr in ([], ["not host 192.0.2.77 or vlan"]):
                    q = subprocess.run(store.cmd("query", "--link", "archive", "-w", "/dev/null",
                                                 *expr), capture_output=True, text=True,
                                       timeout=600)
                    check_eq(q.returncode, 0, f"trove query during capture: {q.stderr[-300:]}")
                    queries += 1
            slow.kill()
            slow.wait()
            check_eq(replayer.returncode, 0, f"tcpreplay: {replayer.stderr.read()[-300:]}")
            check(queries >= 2, f"only {queries} queries ran during the replay")
            time.sleep(1.0)
            os.kill(cap.pid, signal.SIGTERM)
            check_eq(cap.wait(timeout=60), 0, f"trove capture: {cap_err.read_text()[-500:]}")
            cap_out.close()
            stop_tcpdump(td)
        summary = it.parse_json((tmp / "capture.json").read_text(), "trove capture --json")
        print(f"  {queries} archive queries ran during the replay of "
              f"{summary['packets']} packets")
        check_eq(summary["drops"], {"kernel": 0, "ring": 0, "store": 0},
                 "capture drops while queries ran")

        # What was stored == tcpdump's packets with the cutoff applied (oracle).
        wire = it.sorted_segments(store.ls("--link", "wire"))
        check(wire, "no segment captured on link wire")
        got = [p for s in wire for p in it.read_packets(s["path"])]
        want_all = it.read_packets(ref)
        lengths, _ = expected_lengths(ref, CUTOFF)
        check_eq(len(lengths), len(want_all), "tshark rows vs packets of ref.pcap")
        check(len(want_all) >= 40000, f"tcpdump saw {len(want_all)} packets, sent 40000")
        want = [(ts, keep, wl, data[:keep])
                for (ts, _cap, wl, data), (_c, keep, _u) in zip(want_all, lengths)]
        check_eq(len(got), len(want), "packets stored vs tcpdump's (all are kept, some cut)")
        order = match_captures(got, want, lambda _pk: TS_TOLERANCE_NS,
                               "tcpdump + the cutoff oracle")
        moved = sum(1 for i, j in enumerate(order) if i != j)
        cut = sum(1 for g, (c, k, _) in zip(got, lengths) if k < c)
        check(cut > 0, "no packet was cut: the cutoff was not exercised")
        print(f"  {len(got)} packets stored == tcpdump + cutoff oracle ({cut} cut to 64 bytes; "
              f"{moved} in another position than in tcpdump's file)")

        # Query answers on the captured segments == tcpdump -r over them.
        merged = tmp / "wire.pcap"
        it.run(["mergecap", "-F", "nsecpcap", "-w", merged, *[s["path"] for s in wire]])
        for expr in ("udp", "tcp and port 80", "not tcp"):
            mine = tmp / "q.pcap"
            query(store, "--link", "wire", expr, out=mine)
            ref_q = tmp / "ref_q.pcap"
            it.run(["tcpdump", "--time-stamp-precision=nano", "-r", merged, "-w", ref_q, expr])
            it.compare_packets(it.read_packets(mine), it.read_packets(ref_q),
                               f"trove query --link wire {expr!r}", f"tcpdump -r {expr!r}")
        # The --follow stream: everything udp the capture published.
        deadline = time.monotonic() + 15
        ref_udp = tmp / "ref_udp.pcap"
        it.run(["tcpdump", "--time-stamp-precision=nano", "-r", merged, "-w", ref_udp, "udp"])
        want_udp = it.read_packets(ref_udp)
        while time.monotonic() < deadline:
            if follow_out.exists() and len(it.read_packets(follow_out)) >= len(want_udp):
                break
            time.sleep(0.2)
        os.kill(follow.p.pid, signal.SIGINT)
        check_eq(follow.wait(15), 0, f"trove query --follow: {follow.stderr()[-300:]}")
        it.compare_packets(it.read_packets(follow_out), want_udp, "trove query --follow udp",
                           "tcpdump -r (captured segments) udp")
        store.assert_consistent("after capture with concurrent queries")


@it.case
def limits():
    with it.tempdir() as tmp:
        store = store_with_archive(tmp)
        segs = it.sorted_segments(store.ls("--link", "archive"))
        files = sum(os.path.getsize(s["path"]) for s in segs)
        free = tmp / "free.pcap"
        p = store.run("query", "--link", "archive", "--max-rate", "0", "--stats", "--json",
                      "-w", free, "not host 192.0.2.77")
        st = json.loads(p.stderr.strip().splitlines()[-1])
        check_eq(st["max_read_rate"], 0, "--max-rate 0 is unlimited")
        check(st["bytes_read"] >= files,
              f"an unindexable query read {st['bytes_read']} bytes < the files' {files}")
        rate = 8_000_000
        slow = tmp / "slow.pcap"
        t0 = time.monotonic()
        p = store.run("query", "--link", "archive", "--max-rate", "8M", "--stats", "--json",
                      "-w", slow, "not host 192.0.2.77")
        took = time.monotonic() - t0
        st = json.loads(p.stderr.strip().splitlines()[-1])
        check_eq(st["max_read_rate"], rate, "--max-rate 8M in bytes/s")
        burst = max(rate // 10, 65536)
        floor = (st["bytes_read"] - burst) / rate
        check(took >= floor * 0.98, f"query read {st['bytes_read']} bytes at --max-rate 8M in {took:.2f} s "
                             f"< {floor:.2f} s: the rate bound was not enforced")
        check(st["throttled_s"] > 0, "a rate-bound query was never throttled")
        it.compare_packets(it.read_packets(slow), it.read_packets(free), "rate-bound query",
                           "unlimited query")
        print(f"  {st['bytes_read']} bytes at 8 MB/s in {took:.2f} s (floor {floor:.2f} s)")
        # Lazy opening: the first packet needs only the first segment.
        p = store.run("query", "--link", "archive", "--limit-packets", "1", "--stats", "--json",
                      "-w", tmp / "one.pcap")
        st = json.loads(p.stderr.strip().splitlines()[-1])
        check_eq(st["packets_out"], 1, "--limit-packets 1")
        check_eq(st["segments_read"], 1, "segments opened for the first packet of 4+ in sequence")
        # Bad values: exit 2, named.
        for args, needle in ((["--max-rate", "fast"], "--max-rate"),
                             (["--io-priority", "realtime"], "--io-priority")):
            p = store.run("query", *args, "-w", tmp / "x.pcap", check_rc=2)
            check(needle in p.stderr, f"error for {args} does not name {needle}: {p.stderr!r}")


if __name__ == "__main__":
    NO_NETNS = reexec_in_network_namespace(__file__)  # None inside the namespace
    sys.exit(it.main())
