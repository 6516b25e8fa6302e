#!/usr/bin/env python3
# ctest-label: service
"""Failover to the local spool when the primary path fails, and the mover.

Runs as root in a private mount namespace (re-executes itself under
`unshare -m --propagation private`), with small tmpfs mounts as disks:

A  ENOSPC: a 3 MB tmpfs primary; a ~20 MB import (--segment-bytes 1000000)
   exits 0 with segments both on the primary and in the spool, every input
   packet in exactly one segment (tcpdump text of the segments in time order
   equals the input's). After `mount -o remount,size=64m`, `trove mover`
   drains the spool (no file left in it, every segment on the primary), fsck
   is consistent and each moved file's sha256sum equals the sha256 the
   catalogue had before the move.
B  The primary mount vanishes mid-import (an empty directory is bind-mounted
   over it while a --replay-speed import runs); afterwards it is unmounted
   (the tmpfs with its data reappears), `trove mover` and `trove fsck` run:
   every packet in exactly one segment, fsck consistent.
C  Both full (4 MB primary, 4 MB spool, 20 MB input): segments land on both,
   then import ends with an alarm on stderr, counts store drops (> 0;
   stored + dropped = input packets), the stored packets are input packets
   in input order, and nothing catalogued is corrupt.
D  A primary that refuses O_DIRECT (ramfs: open(O_DIRECT) fails with
   EINVAL; checked first, so the case cannot pass vacuously): with
   [storage] direct_io on, import falls back to buffered writes; every
   segment is on the primary, every input packet is in exactly one segment
   (tcpdump text), each file's sha256sum equals the catalogue's, and fsck
   is consistent. A segment then spooled (primary hidden by a bind mount)
   is moved onto the ramfs by `trove mover` with its hash intact.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trove_it as it
from trove_it import Skip, check, check_eq

NS_ENV = "TROVE_IT_IN_MNTNS"


def reexec_in_mount_namespace():
    if os.environ.get(NS_ENV) == "1":
        return None
    if os.geteuid() != 0:
        return "needs root (mount namespaces, tmpfs mounts)"
    if not shutil.which("unshare"):
        return "unshare not installed"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create a mount namespace: {probe.stderr.strip()}"
    env = dict(os.environ, **{NS_ENV: "1"})
    sys.stdout.flush()
    os.execvpe("unshare", ["unshare", "-m", "--propagation", "private",
                           sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)
    return None  # not reached


_work = None


def work() -> Path:
    global _work
    if _work is None:
        _work = Path(tempfile.mkdtemp(prefix="trove-it-failover-"))
        if not it.KEEP:
            atexit.register(shutil.rmtree, _work, True)
    return _work


def mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot mount tmpfs: {p.stderr.strip()}")
    atexit.register(subprocess.run, ["umount", "-l", str(path)], capture_output=True)


def files_in(d: Path) -> list[Path]:
    """Files in an area, except its marker (.trove-primary, .trove-spool)."""
    return sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith(".trove-"))


def check_every_packet_once(segs, src, where):
    segs = it.sorted_segments(segs)
    want = it.tcpdump_lines(src)
    it.compare_lines(it.tcpdump_segments(segs), want, f"{where}: segments by time", src.name)
    check_eq(sum(s["packets"] for s in segs), it.capinfos_count(src), f"{where}: packets in segments")


def trace20m():
    return it.synth(work(), "--bytes", "20M", "--seed", "11")


@it.case
def enospc_failover_then_mover():
    src = trace20m()
    with it.tempdir() as tmp:
        mnt, spool = tmp / "primary", tmp / "spool"
        mount_tmpfs(mnt, "3m")
        store = it.Store(tmp / "store").init("--primary", mnt, "--spool", spool, "--cutoff", "none")
        store.run("import", "--segment-bytes", "1000000", "--snaplen", "0", src)
        segs = store.ls()
        areas = {s["area"] for s in segs}
        check(areas == {"primary", "spool"},
              f"expected segments in both areas after filling a 3 MB primary, got areas {areas}")
        for s in segs:
            base = mnt if s["area"] == "primary" else spool
            check(Path(s["path"]).resolve().is_relative_to(base.resolve()),
                  f"segment {s['id']} area {s['area']} but path {s['path']}")
        check_every_packet_once(segs, src, "after failover")
        store.assert_consistent("after failover")
        sha_before = {s["id"]: s["sha256"] for s in segs}

        it.run(["mount", "-o", "remount,size=64m", mnt])
        store.json("mover")
        left = files_in(spool)
        check(not left, f"spool not drained after `trove mover`: {[str(p) for p in left[:5]]}")
        segs2 = store.ls()
        check_eq(sorted(s["id"] for s in segs2), sorted(sha_before), "segment ids after mover")
        for s in segs2:
            check_eq(s["area"], "primary", f"segment {s['id']} area after mover")
            check(Path(s["path"]).resolve().is_relative_to(mnt.resolve()),
                  f"segment {s['id']} path after mover not on the primary: {s['path']}")
            out = it.run(["sha256sum", s["path"]]).stdout.split()[0]
            check_eq(out, sha_before[s["id"]], f"sha256sum {s['path']} vs catalogue before the move")
        store.assert_consistent("after mover")
        check_every_packet_once(segs2, src, "after mover")


@it.case
def primary_vanishes_mid_import():
    # ~60 s of traffic time replayed at 20x: about 3 s of wall time.
    src = it.synth(work(), "--duration", "60", "--rate", "20", "--seed", "12")
    with it.tempdir() as tmp:
        mnt, spool, empty = tmp / "primary", tmp / "spool", tmp / "empty"
        empty.mkdir()
        mount_tmpfs(mnt, "256m")
        store = it.Store(tmp / "store").init("--primary", mnt, "--spool", spool, "--cutoff", "none")
        err = tmp / "import.err"
        with open(err, "w") as ef:
            p = subprocess.Popen(store.cmd("import", "--replay-speed", "20", "--segment-seconds", "5",
                                           "--snaplen", "0", src),
                                 stdout=subprocess.DEVNULL, stderr=ef)
            time.sleep(1.2)
            check(p.poll() is None, "import finished before the primary could vanish "
                                    "(--replay-speed not slowing it down?)")
            it.run(["mount", "--bind", empty, mnt])
            try:
                rc = p.wait(timeout=120)
            finally:
                if p.poll() is None:
                    p.kill()
                it.run(["umount", mnt])
        check_eq(rc, 0, f"import exit status (stderr: {err.read_text()[-500:]!r})")
        segs = store.ls()
        check("spool" in {s["area"] for s in segs},
              f"no segment went to the spool while the primary was gone: "
              f"{[(s['id'], s['area']) for s in segs]}")
        store.json("mover")
        store.assert_consistent("after the primary came back, mover and fsck")
        segs = store.ls()
        check_every_packet_once(segs, src, "after the primary vanished and came back")
        for s in segs:
            check_eq(it.sha256_file(s["path"]), s["sha256"], f"sha256 of {s['path']}")


@it.case
def both_disks_full():
    # 4 MB each: a few 1 MB segments fit on each, then both are full.
    src = trace20m()
    with it.tempdir() as tmp:
        mnt, spool = tmp / "primary", tmp / "spool"
        mount_tmpfs(mnt, "4m")
        mount_tmpfs(spool, "4m")
        store = it.Store(tmp / "store").init("--primary", mnt, "--spool", spool, "--cutoff", "none")
        p = store.run("import", "--json", "--segment-bytes", "1000000", "--snaplen", "0", src,
                      check_rc=None, timeout=300)
        check(p.returncode >= 0, f"import died by signal {-p.returncode}: {p.stderr[-500:]!r}")
        check(p.returncode in (0, 1), f"import exit status {p.returncode} (expected 0 or 1): "
                                      f"{p.stderr[-500:]!r}")
        check("ALARM" in p.stderr or "no space" in p.stderr.lower(),
              f"no alarm on stderr when both disks are full: {p.stderr[-800:]!r}")
        doc = it.parse_json(p.stdout, "import --json")
        drops = doc.get("drops") or {}
        store_drops = drops.get("store", 0)
        check(store_drops > 0, f"import --json drops.store should be > 0, drops = {drops}")
        segs = it.sorted_segments(store.ls())
        check_eq({s["area"] for s in segs}, {"primary", "spool"},
                 "areas holding segments (both should have filled up)")
        stored = sum(s["packets"] for s in segs)
        total = it.capinfos_count(src)
        check_eq(stored + store_drops, total, "stored packets + store drops vs input packets")
        check_eq(doc.get("packets"), total, "import --json packets (read) vs capinfos -c input")
        check_eq(doc.get("packets_stored"), stored, "import --json packets_stored vs `trove ls`")
        for s in segs:
            check_eq(it.capinfos_count(s["path"]), s["packets"], f"capinfos -c {s['path']}")
            check_eq(it.sha256_file(s["path"]), s["sha256"], f"sha256 of {s['path']}")
        # What was stored is the input minus the dropped packets, in order.
        want = iter(it.read_packets(src))
        for s in segs:
            for n, pk in enumerate(it.read_packets(s["path"])):
                check(any(pk == w for w in want),
                      f"packet {n + 1} of {s['path']} is not in the input (in order)")
        store.assert_consistent("with both disks full")


def mount_ramfs(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["mount", "-t", "ramfs", "ramfs", str(path)], capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"cannot mount ramfs: {p.stderr.strip()}")
    atexit.register(subprocess.run, ["umount", "-l", str(path)], capture_output=True)


def refuses_o_direct(d: Path) -> bool:
    probe = d / ".o_direct_probe"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)
    except OSError as e:
        return e.errno == 22  # EINVAL: the file system has no direct I/O
    os.close(fd)
    probe.unlink()
    return False


@it.case
def primary_without_o_direct():
    src = trace20m()
    with it.tempdir() as tmp:
        mnt, spool = tmp / "primary", tmp / "spool"
        mount_ramfs(mnt)
        check(refuses_o_direct(mnt), "ramfs accepted O_DIRECT: this case would not test the "
                                     "buffered fallback")
        store = it.Store(tmp / "store").init("--primary", mnt, "--spool", spool, "--cutoff", "none")
        check("direct_io = true" in (tmp / "store" / "trove.toml").read_text(),
              "a new store should write with direct_io = true")
        p = store.run("import", "--segment-bytes", "1000000", "--snaplen", "0", src)
        # Written on the primary itself, not spooled and moved there after.
        check("spool" not in p.stderr and not files_in(spool),
              f"import failed over to the spool on a primary without O_DIRECT: {p.stderr[-600:]!r}")
        segs = store.ls()
        check(len(segs) > 5, f"expected a ~20 MB import in 1 MB segments, got {len(segs)} segments")
        check_eq({s["area"] for s in segs}, {"primary"}, "areas holding segments")
        check_every_packet_once(segs, src, "on a primary without O_DIRECT")
        for s in segs:
            check_eq(it.sha256_file(s["path"]), s["sha256"], f"sha256 of {s['path']}")
        store.assert_consistent("on a primary without O_DIRECT")

        # The mover writes onto the ramfs too: spool one segment (primary
        # hidden under an empty bind mount), then move it back.
        empty = tmp / "empty"
        empty.mkdir()
        it.run(["mount", "--bind", empty, mnt])
        try:
            store.run("import", "--snaplen", "0", src)
        finally:
            it.run(["umount", mnt])
        spooled = [s for s in store.ls() if s["area"] == "spool"]
        check(spooled, "no segment was spooled while the primary was hidden")
        store.json("mover")
        check(not files_in(spool), f"spool not drained: {[str(p) for p in files_in(spool)[:5]]}")
        segs = store.ls()
        check_eq({s["area"] for s in segs}, {"primary"}, "areas after mover")
        for s in segs:
            check_eq(it.sha256_file(s["path"]), s["sha256"], f"sha256 of {s['path']} after mover")
        store.assert_consistent("after the mover wrote onto a primary without O_DIRECT")


if __name__ == "__main__":
    why = reexec_in_mount_namespace()
    if why:
        print(f"SKIP failover: {why}")
        print("0 passed, 0 failed, 4 skipped")
        sys.exit(0)
    sys.exit(it.main())
