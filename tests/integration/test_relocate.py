#!/usr/bin/env python3
# ctest-label: service
"""A store can be moved and copied safely (issue 15, part 1).

mv        A store with several segments is moved (`mv store moved`): query
          gives the same bytes as before the move, fsck is consistent (no
          segment missing), gc and import work, every catalogued path lies
          under the new directory.
mv_capture After mv, `trove capture` (in a private network namespace, its
          loopback only) stores into the moved store; tcpdump counts the
          5 pings in the new segments; fsck consistent.
cp_a      `cp -a store copy`: sha256 of every file of the original is taken
          before; on the copy, gc, import and fsck (repairs) are refused with
          a message naming `trove init --new-identity`, while ls and query
          work. After `trove init --store copy --new-identity` the copy has
          its own identity (markers re-marked), and gc (a disk budget that
          expires segments), fsck and import work on the copy's own files
          only: the original's checksums are unchanged at the end.
remount   The primary lives outside the store (another "mount"); it is moved
          elsewhere and only trove.toml's `primary` is edited: query gives
          the same bytes, fsck is consistent, ls paths are under the new
          primary.
foreign   A store whose trove.toml points at another store's primary area
          refuses to import there (message says how to adopt); the other
          store's files are unchanged.
old_store A store made by the trove before this change ($TROVE_OLD_BIN,
          default build-old/src-tree/build/trove; SKIP without it), moved
          before the new trove ever opens it: the new trove's query equals
          the old trove's before the move, fsck is consistent, the catalogue
          (sqlite3) holds no absolute path, and the markers carry the
          identity. A cp -a of an old store, opened first by the new trove,
          is recognised as a copy (gc refused) while the original exists.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

OLD_BIN = os.environ.get("TROVE_OLD_BIN") or str(it.REPO / "build-old" / "src-tree" / "build" / "trove")


def sums(root: Path) -> dict:
    """sha256 of every regular file under root, by relative path."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(root))] = it.sha256_file(p)
    return out


def check_same_tree(before: dict, after: dict, what: str) -> None:
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    check(not changed, f"{what}: {len(changed)} files changed/removed/added, e.g. {changed[:5]}")


def filled_store(tmp: Path, name="store", init_args=(), bin_=None) -> it.Store:
    src = it.synth(tmp, "--bytes", "3M", "--seed", "15")
    s = it.Store(tmp / name)
    cmd = [bin_ or it.TROVE_BIN, "init", "--store", s.path, "--cutoff", "none", *init_args]
    it.run(cmd)
    it.run([bin_ or it.TROVE_BIN, "import", "--store", s.path, "--segment-bytes", "400k", src])
    return s


def query_bytes(store: it.Store, out: Path) -> bytes:
    store.run("query", "-w", out)
    return out.read_bytes()


def set_budget(store: it.Store, budget: int) -> None:
    toml = store.path / "trove.toml"
    text = toml.read_text()
    text, n = re.subn(r"disk_budget = 0", f"disk_budget = {budget}", text, count=1)
    check_eq(n, 1, "disk_budget line in trove.toml")
    toml.write_text(text)


def marker_id(area_dir: Path, name: str) -> str:
    m = re.search(r'store-id = "([^"]+)"', (area_dir / name).read_text())
    check(m is not None, f"{area_dir / name} has no store-id")
    return m.group(1)


def refused(store: it.Store, *args) -> str:
    p = store.run(*args, check_rc=None)
    check(p.returncode != 0, f"trove {' '.join(map(str, args))} on a copy succeeded: {p.stdout[:300]}")
    return p.stderr


@it.case
def mv():
    with it.tempdir() as tmp:
        s = filled_store(tmp)
        n = len(s.ls())
        check(n >= 3, f"expected several segments, got {n}")
        want = query_bytes(s, tmp / "before.pcap")
        moved = it.Store(tmp / "elsewhere" / "moved")
        moved.path.parent.mkdir()
        shutil.move(str(s.path), str(moved.path))
        check_eq(query_bytes(moved, tmp / "after.pcap"), want, "query bytes after mv")
        for seg in moved.ls():
            check(seg["path"].startswith(str(moved.path) + "/"), f"path not under the new place: {seg['path']}")
        doc = moved.assert_consistent("after mv")
        check(not doc.get("missing"), f"fsck marked segments missing: {doc.get('missing')}")
        check_eq(len(moved.ls()), n, "segments after fsck")
        moved.json("gc")
        moved.run("import", "--segment-bytes", "400k", it.synth(tmp, "--bytes", "1M", "--seed", "16"))
        check(len(moved.ls()) > n, "import after mv stored nothing")
        moved.assert_consistent("after import")


@it.case
def mv_capture():
    """After mv, `trove capture` stores into the moved store: run in a
    private network namespace (unshare -n, its own loopback only); tcpdump
    counts the 5 echo requests in the new segments."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        raise it.Skip("needs root, unshare and ip (a private network namespace)")
    with it.tempdir() as tmp:
        s = filled_store(tmp)
        moved = it.Store(tmp / "moved")
        shutil.move(str(s.path), str(moved.path))
        old = {seg["name"] for seg in moved.ls()}
        script = (f"ip link set lo up && ({' '.join(moved.cmd('capture', '--interface', 'lo', '--snaplen', '0', '--duration', '3'))}"
                  " 2>capture.err & sleep 1; ping -n -c 5 -i 0.1 127.0.0.1 >/dev/null; wait $!)")
        p = subprocess.run(["unshare", "-n", "sh", "-c", script], cwd=tmp, capture_output=True, text=True,
                           timeout=60)
        check_eq(p.returncode, 0, f"capture in a namespace ({(tmp / 'capture.err').read_text()[-400:]})")
        new = [seg for seg in moved.ls() if seg["name"] not in old]
        check(new, "capture after mv stored no segment")
        lines = []
        for seg in new:
            check(seg["path"].startswith(str(moved.path) + "/"), f"captured outside the store: {seg['path']}")
            lines += it.tcpdump_lines(seg["path"], ["-nn"])
        check_eq(sum("ICMP echo request" in l for l in lines), 5, "echo requests captured (tcpdump)")
        moved.assert_consistent("after capture")


@it.case
def cp_a():
    with it.tempdir() as tmp:
        s = filled_store(tmp)
        segs = s.ls()
        before = sums(s.path)
        want = query_bytes(s, tmp / "orig.pcap")
        copy = it.Store(tmp / "copy")
        it.run(["cp", "-a", s.path, copy.path])
        set_budget(copy, 1_000_000)
        # Read-only commands work on the copy; writers are refused.
        check_eq(query_bytes(copy, tmp / "copy.pcap"), want, "query on the copy")
        check_eq(len(copy.ls()), len(segs), "ls on the copy")
        for args in (("gc",), ("fsck",), ("import", it.synth(tmp, "--bytes", "1M", "--seed", "16"))):
            err = refused(copy, *args)
            check("--new-identity" in err and "copy" in err, f"{args[0]}: unclear refusal: {err[:400]}")
        check_same_tree(before, sums(s.path), "original after refused writes on the copy")
        # Its own identity: then it works, on its own files.
        copy.run("init", "--new-identity")
        new_id = marker_id(copy.path / "segments", ".trove-primary")
        check(new_id != marker_id(s.path / "segments", ".trove-primary"), "copy kept the identity")
        check_eq(marker_id(copy.path / "spool", ".trove-spool"), new_id, "copy's spool marker")
        g = copy.json("gc")
        check(g["segments_expired"] > 0, f"gc on the copy expired nothing: {g}")
        copy.assert_consistent("copy after gc")
        copy.run("import", "--segment-bytes", "400k", it.synth(tmp, "--bytes", "1M", "--seed", "16"))
        copy.assert_consistent("copy after import")
        for seg in copy.ls("--all"):
            check(seg["path"].startswith(str(copy.path) + "/"), f"copy row outside the copy: {seg['path']}")
        check_same_tree(before, sums(s.path), "original after gc, fsck and import on the copy")
        check_eq(query_bytes(s, tmp / "orig2.pcap"), want, "original's query at the end")


@it.case
def remount():
    with it.tempdir() as tmp:
        (tmp / "mnt1").mkdir()
        s = filled_store(tmp, init_args=("--primary", tmp / "mnt1" / "prim"))
        want = query_bytes(s, tmp / "before.pcap")
        (tmp / "mnt2").mkdir()
        shutil.move(str(tmp / "mnt1" / "prim"), str(tmp / "mnt2" / "prim"))
        toml = s.path / "trove.toml"
        text = toml.read_text()
        check(str(tmp / "mnt1" / "prim") in text, "trove.toml does not name the primary")
        toml.write_text(text.replace(str(tmp / "mnt1" / "prim"), str(tmp / "mnt2" / "prim")))
        check_eq(query_bytes(s, tmp / "after.pcap"), want, "query after the re-mount")
        raw = [seg for seg in s.ls() if seg.get("area", "primary") == "primary"]
        check(raw, "no segment on the primary")
        for seg in raw:
            check(seg["path"].startswith(str(tmp / "mnt2" / "prim") + "/"), f"path: {seg['path']}")
        doc = s.assert_consistent("after the re-mount")
        check(not doc.get("missing"), f"missing: {doc.get('missing')}")


@it.case
def foreign():
    with it.tempdir() as tmp:
        a = filled_store(tmp, name="a")
        before = sums(a.path)
        b = it.new_store(tmp, name="b")
        toml = b.path / "trove.toml"
        toml.write_text(toml.read_text().replace("primary = 'segments'", f"primary = '{a.path / 'segments'}'"))
        p = b.run("import", it.synth(tmp, "--bytes", "1M", "--seed", "16"), check_rc=None)
        check(p.returncode != 0, "import into another store's area succeeded")
        check("another store" in p.stderr and "--adopt-areas" in p.stderr, f"unclear refusal: {p.stderr[:400]}")
        check_same_tree(before, sums(a.path), "the other store after the refused import")


@it.case
def old_store():
    if not os.path.exists(OLD_BIN):
        raise it.Skip(f"no old trove at {OLD_BIN} (set TROVE_OLD_BIN)")
    with it.tempdir() as tmp:
        s = filled_store(tmp, bin_=OLD_BIN)
        it.run([OLD_BIN, "query", "--store", s.path, "-w", tmp / "old.pcap"])
        want = (tmp / "old.pcap").read_bytes()
        # A copy of the old store, opened first by the new trove, while the
        # original exists: recognised as a copy.
        copy = it.Store(tmp / "copy")
        it.run(["cp", "-a", s.path, copy.path])
        before = sums(s.path)
        refused(copy, "gc")
        check_same_tree(before, sums(s.path), "old original after gc on its copy")
        shutil.rmtree(copy.path)
        # The old store moved, then opened by the new trove.
        moved = it.Store(tmp / "moved")
        shutil.move(str(s.path), str(moved.path))
        check_eq(query_bytes(moved, tmp / "new.pcap"), want, "new trove's query of the moved old store")
        doc = moved.assert_consistent("old store after the upgrade")
        check(not doc.get("missing"), f"missing: {doc.get('missing')}")
        if shutil.which("sqlite3"):
            db = str(moved.path / "catalog.db")
            q = lambda sql: subprocess.run(["sqlite3", db, sql], capture_output=True, text=True).stdout.strip()
            check_eq(q("PRAGMA user_version;"), "6", "schema version")
            check_eq(q("SELECT COUNT(*) FROM segments WHERE path LIKE '/%';"), "0", "absolute rows left")
        marker_id(moved.path / "segments", ".trove-primary")
        marker_id(moved.path / "spool", ".trove-spool")
        moved.run("import", it.synth(tmp, "--bytes", "1M", "--seed", "16"))
        moved.assert_consistent("old store after an import")


if __name__ == "__main__":
    sys.exit(it.main())
