#!/usr/bin/env python3
"""kill -9 during import, then fsck: nothing catalogued is ever lost or wrong.

A ~50 MB synth trace is imported with --segment-bytes 2000000 --snaplen 0 again and
again into one store; each run is killed with SIGKILL after a seeded random
delay: odd rounds replay at --replay-speed 8 (about 1.6 s per import) and are
killed after 0.05-2 s; even rounds run flat out and are killed after 0.05 s
up to a little more than one whole import takes. The store fsyncs every
256 KiB (storage.checkpoint_bytes lowered in trove.toml), so the partial a
kill leaves has packets in it for fsck to salvage. After each kill:
  * at most one raw .partial file exists (one open segment) and one derived
    (the background deriver's), none after fsck;
  * `trove fsck --json` reports consistent (after salvaging the partial);
  * every raw segment has exactly one scrubbed child and that one exactly
    one scrambled child (fsck derives what a kill interrupted);
  * every catalogued segment file exists and capinfos reads it, and its
    sha256 equals the catalogue's;
  * the catalogue never shrinks: every id from the previous round is still
    there with the same sha256;
  * the segments this round added hold a prefix of the input, packet for
    packet (no gap, no duplicate, no torn packet).
"""

import atexit
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trove_it as it
from trove_it import check, check_eq

ROUNDS = int(os.environ.get("TROVE_IT_CRASH_ROUNDS", "15"))

_work = Path(tempfile.mkdtemp(prefix="trove-it-crash-"))
if not it.KEEP:
    atexit.register(shutil.rmtree, _work, True)


@it.case
def kill9_during_import():
    src = it.synth(_work, "--bytes", "50M", "--seed", "3")
    want = it.read_packets(src)
    store = it.new_store(_work)
    # fsync every 256 KiB instead of the default 16 MiB, so that a killed
    # import leaves partials with packets in them for fsck to salvage.
    toml = store.path / "trove.toml"
    text = toml.read_text()
    check("checkpoint_bytes" in text, "trove.toml has no storage.checkpoint_bytes to lower")
    toml.write_text(re.sub(r"(?m)^checkpoint_bytes\s*=.*$", "checkpoint_bytes = 262144", text))
    rng = random.Random(20261122)

    # Round 0: one whole import, to learn how long one takes.
    t0 = time.monotonic()
    store.run("import", "--segment-bytes", "2000000", "--snaplen", "0", src)
    full = time.monotonic() - t0
    hi = max(0.3, min(2.0, 1.2 * full))
    prev = {s["id"]: s["sha256"] for s in store.ls()}
    check(prev, "the uninterrupted import stored nothing")
    killed_mid_run = 0
    salvaged = 0

    for rnd in range(1, ROUNDS + 1):
        # Odd rounds replay at 8x traffic time (~1.6 s for this trace), so the
        # kill surely lands mid-import; even rounds run flat out.
        paced = rnd % 2 == 1
        delay = rng.uniform(0.05, 2.0 if paced else hi)
        err = open(_work / f"import-{rnd}.err", "w")
        pace = ["--replay-speed", "8"] if paced else []
        p = subprocess.Popen(store.cmd("import", "--segment-bytes", "2000000", "--snaplen", "0",
                                       *pace, src),
                             stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        try:
            p.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            killed_mid_run += 1
        err.close()
        if finished:
            check_eq(p.returncode, 0, f"round {rnd}: import exit status "
                     f"(stderr: {(_work / f'import-{rnd}.err').read_text()[-300:]!r})")
        where = (f"round {rnd} ({'paced, ' if paced else ''}kill after {delay:.2f}s"
                 f"{', import had finished' if finished else ''})")

        # One raw partial (the open segment), one derived partial (the
        # one the background deriver was writing) and one index partial (the
        # one the index worker was writing) at most.
        partials = store.partials()
        index = [p for p in partials if p.name.endswith(".idx.partial")]
        derived = [p for p in partials if ".scrubbed" in p.name and p not in index]
        raw = [p for p in partials if p not in derived and p not in index]
        check(len(raw) <= 1, f"{where}: {len(raw)} raw .partial files before fsck: {raw}")
        check(len(derived) <= 1, f"{where}: {len(derived)} derived .partial files: {derived}")
        check(len(index) <= 1, f"{where}: {len(index)} index .partial files: {index}")
        doc = store.assert_consistent(where)
        salvaged += len(doc.get("salvaged") or [])
        check_eq(store.partials(), [], f"{where}: .partial files left after fsck")
        # Indexes the worker had not written yet were rebuilt by fsck: every
        # raw segment has its index, and a second fsck finds nothing to do.
        for s in store.ls():
            idx = Path(s["path"]).with_suffix(".idx")
            check(idx.exists(), f"{where}: {idx} missing after fsck")
        again = store.fsck()
        check_eq(again.get("indexes_rebuilt") or [], [], f"{where}: indexes rebuilt by a 2nd fsck")

        segs = store.ls()
        # Every raw segment has its privacy levels: derivations a kill
        # interrupted were finished by fsck (one child per level, no more).
        scrubbed = store.ls("--level", "scrubbed")
        scrambled = store.ls("--level", "scrambled")
        for kids, parents, lvl in ((scrubbed, segs, "scrubbed"), (scrambled, scrubbed, "scrambled")):
            per_parent = {}
            for k in kids:
                per_parent[k["parent_id"]] = per_parent.get(k["parent_id"], 0) + 1
            for par in parents:
                check_eq(per_parent.get(par["id"], 0), 1,
                         f"{where}: {lvl} children of segment {par['id']} ({par['name']})")
            check_eq(len(kids), len(parents), f"{where}: {lvl} segments vs their parents")
        now = {s["id"]: s for s in segs}
        for i, sha in prev.items():
            check(i in now, f"{where}: segment {i} from the previous round is gone from the catalogue")
            check_eq(now[i]["sha256"], sha, f"{where}: sha256 of segment {i} changed")
        new = it.sorted_segments([s for s in segs if s["id"] not in prev])
        for s in new:
            path = Path(s["path"])
            check(path.exists(), f"{where}: catalogued {path} does not exist")
            check_eq(it.capinfos_count(path), s["packets"], f"{where}: capinfos -c {path}")
            check_eq(it.sha256_file(path), s["sha256"], f"{where}: sha256 of {path} vs catalogue")
        got = [pk for s in new for pk in it.read_packets(s["path"])]
        check(len(got) <= len(want), f"{where}: new segments hold {len(got)} packets, "
                                     f"the input only {len(want)}")
        it.compare_packets(got, want[:len(got)], f"{where} new segments", "input prefix")
        if finished:
            check_eq(len(got), len(want), f"{where}: packets stored by a finished import")
        prev = {i: s["sha256"] for i, s in now.items()}

    # Finally every file, old and new, still hashes to what the catalogue says.
    for s in store.ls():
        check_eq(it.sha256_file(s["path"]), s["sha256"], f"final: sha256 of {s['path']}")
    print(f"  {killed_mid_run}/{ROUNDS} kills landed mid-import (one import takes {full:.2f}s); "
          f"fsck salvaged {salvaged} partials")
    check(killed_mid_run >= ROUNDS // 3,
          f"only {killed_mid_run}/{ROUNDS} kills landed mid-import: the test did not test much")


if __name__ == "__main__":
    sys.exit(it.main())
