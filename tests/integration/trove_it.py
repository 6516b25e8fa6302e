"""Shared helpers for trove's integration tests.

Every test_*.py drives the real `trove` binary ($TROVE_BIN) and checks what it
stored against independent oracles: tcpdump, tshark/capinfos/editcap/mergecap
(Wireshark), and the small pcap/pcapng walker below, which shares no code with
trove.

Runner convention: a test file registers cases with @case and ends with
`sys.exit(main())`. Each case prints one line `PASS name (1.2s)`,
`FAIL name: reason` or `SKIP name: reason`; the last line is exactly
`N passed, N failed` (`, N skipped` appended when some were skipped). The
exit status is non-zero when any case failed. `python3 test_x.py NAME...` runs
only the named cases; TROVE_IT_KEEP=1 keeps the temporary stores.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TROVE_BIN = os.environ.get("TROVE_BIN") or str(REPO / "build" / "trove")
SHARED_PCAPS = Path(os.environ.get("TROVE_SHARED_PCAPS") or (REPO.parent / "shared" / "pcaps"))
KEEP = os.environ.get("TROVE_IT_KEEP") == "1"

# The text oracle: tcpdump with full-precision timestamps, no name lookups,
# verbose (IP/TCP lengths, checksums), the link-layer header (-e prints the
# packet's original wire length) and absolute TCP sequence numbers (-S: the
# relative ones depend on where a file starts, so split segments would differ).
TCPDUMP_FLAGS = ["-nn", "-tt", "--nano", "-v", "-e", "-S"]


class Failure(Exception):
    """A check failed; the message says what differed."""


class Skip(Exception):
    """The case cannot run here (missing privilege or tool)."""


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Failure(msg)


def check_eq(got, want, what: str) -> None:
    if got != want:
        raise Failure(f"{what}: expected {want!r}, got {got!r}")


# --------------------------------------------------------------------------
# Processes


def _fmt_cmd(cmd) -> str:
    return " ".join(str(c) for c in cmd)


def run(cmd, *, check_rc: int | None = 0, timeout: float = 300, input: bytes | None = None,
        env: dict | None = None, text: bool = True) -> subprocess.CompletedProcess:
    """Runs cmd, captures stdout/stderr. check_rc=None accepts any exit code."""
    cmd = [str(c) for c in cmd]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, input=input, env=env,
                           text=text if input is None else False)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"timed out after {timeout}s: {_fmt_cmd(cmd)}") from e
    if check_rc is not None and p.returncode != check_rc:
        err = p.stderr if isinstance(p.stderr, str) else p.stderr.decode(errors="replace")
        out = p.stdout if isinstance(p.stdout, str) else p.stdout.decode(errors="replace")
        raise Failure(f"`{_fmt_cmd(cmd)}` exited {p.returncode} (expected {check_rc})\n"
                      f"  stderr: {err.strip()[-2000:]}\n  stdout: {out.strip()[-1000:]}")
    return p


def parse_json(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise Failure(f"{what}: output is not JSON ({e}): {text[:500]!r}") from e


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wait_for_line(stream_path: Path, needle: str, timeout: float, proc=None) -> bool:
    """Polls a file a background process writes to until it contains needle."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if needle in stream_path.read_text(errors="replace"):
                return True
        except FileNotFoundError:
            pass
        if proc is not None and proc.poll() is not None:
            return needle in stream_path.read_text(errors="replace")
        time.sleep(0.02)
    return False


# --------------------------------------------------------------------------
# Temporary directories and stores


@contextlib.contextmanager
def tempdir(prefix="trove-it-"):
    d = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield d
    finally:
        if KEEP:
            print(f"  (kept {d})")
        else:
            shutil.rmtree(d, ignore_errors=True)


class Store:
    """A trove store in a directory; every command gets --store."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def cmd(self, *args) -> list[str]:
        # --store goes after the subcommand: CLI11 options bound per subcommand.
        args = [str(a) for a in args]
        return [TROVE_BIN, args[0], "--store", str(self.path), *args[1:]]

    def run(self, *args, check_rc: int | None = 0, timeout: float = 300) -> subprocess.CompletedProcess:
        return run(self.cmd(*args), check_rc=check_rc, timeout=timeout)

    def json(self, *args, check_rc: int | None = 0, timeout: float = 300):
        p = self.run(*args, "--json", check_rc=check_rc, timeout=timeout)
        return parse_json(p.stdout, f"trove {args[0]} --json")

    def init(self, *args) -> "Store":
        self.run("init", *args)
        return self

    def ls(self, *args) -> list[dict]:
        segs = self.json("ls", *args)
        check(isinstance(segs, list), f"trove ls --json: expected an array, got {type(segs).__name__}")
        return segs

    def fsck(self, *args, check_rc: int | None = None) -> dict:
        p = self.run("fsck", *args, "--json", check_rc=check_rc)
        doc = parse_json(p.stdout, "trove fsck --json")
        return doc

    def assert_consistent(self, when: str = "") -> dict:
        doc = self.fsck()
        bad = {k: doc.get(k) for k in ("missing", "corrupt") if doc.get(k)}
        check(doc.get("consistent") is True and not bad,
              f"fsck {when}: not consistent: {json.dumps(doc)[:1500]}")
        return doc

    def partials(self) -> list[Path]:
        return sorted(self.path.rglob("*.partial"))


def new_store(root: Path, name="store", init_args=(), cutoff: str | None = "none") -> Store:
    """A fresh store. cutoff is the default class's per-connection cutoff
    (`trove init --cutoff`): "none" unless asked otherwise, because most tests
    compare every stored byte with their input; None keeps trove's default
    (20480 bytes, headers after the cutoff)."""
    args = list(init_args) + ([] if cutoff is None else ["--cutoff", cutoff])
    return Store(root / name).init(*args)


def sorted_segments(segs: list[dict]) -> list[dict]:
    return sorted(segs, key=lambda s: (s["start_ns"], s["id"]))


# --------------------------------------------------------------------------
# Oracles


def tcpdump_lines(path, flags=None) -> list[str]:
    p = run(["tcpdump", *(flags or TCPDUMP_FLAGS), "-r", path], check_rc=None, timeout=600)
    if p.returncode != 0:
        raise Failure(f"tcpdump could not read {path}: {p.stderr.strip()}")
    return p.stdout.splitlines()


def tcpdump_segments(segs: list[dict], flags=None) -> list[str]:
    out: list[str] = []
    for s in segs:
        out.extend(tcpdump_lines(s["path"], flags))
    return out


def compare_lines(got: list[str], want: list[str], got_name: str, want_name: str) -> None:
    """Raises Failure naming the first differing line."""
    if got == want:
        return
    n = min(len(got), len(want))
    for i in range(n):
        if got[i] != want[i]:
            raise Failure(f"text differs at line {i + 1} ({len(got)} vs {len(want)} lines)\n"
                          f"  {want_name}: {want[i]!r}\n  {got_name}: {got[i]!r}")
    if len(got) > n:
        raise Failure(f"{got_name} has {len(got) - n} extra lines after line {n}; first: {got[n]!r}")
    raise Failure(f"{got_name} is missing {len(want) - n} lines after line {n}; "
                  f"first missing from {want_name}: {want[n]!r}")


def capinfos_count(path) -> int:
    p = run(["capinfos", "-M", "-T", "-r", "-c", path], check_rc=None)
    if p.returncode != 0:
        raise Failure(f"capinfos could not read {path}: {p.stderr.strip()}")
    fields = p.stdout.strip().split("\t")
    return int(fields[-1])


def tcpdump_times_ns(path) -> list[int]:
    """Packet timestamps in ns, as tcpdump prints them (one process)."""
    out = []
    for line in tcpdump_lines(path, ["-nn", "-tt", "--nano", "-q"]):
        if line and not line[0].isspace():
            out.append(parse_ts_ns(line.split(" ", 1)[0]))
    return out


def parse_ts_ns(tok: str) -> int:
    sec, _, frac = tok.partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def editcap_snap(src, dst, snaplen: int) -> None:
    run(["editcap", "-s", str(snaplen), src, dst])


def add_trace_cases(name: str, fn, params, label: str = "") -> None:
    """One case per tcpdump-readable manifest trace and parameter value:
    NAME[FILE,LABELVALUE] runs fn(row, value)."""
    for row in manifest():
        if row["tcpdump_reads"] != "ok":
            continue
        for v in params:
            add_case(f"{name}[{row['file']},{label}{v}]", lambda row=row, v=v: fn(row, v))


def run_registered(register, name: str) -> int:
    """register() then main(); a missing manifest skips the whole script."""
    try:
        register()
    except Skip as e:
        print(f"SKIP {name}: {e}\n0 passed, 0 failed, 1 skipped", flush=True)
        return 0
    return main()


def manifest() -> list[dict]:
    path = SHARED_PCAPS / "MANIFEST.tsv"
    if not path.exists():
        raise Skip(f"no {path}")
    lines = path.read_text().splitlines()
    cols = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if line.strip():
            row = dict(zip(cols, line.split("\t")))
            row["path"] = SHARED_PCAPS / row["file"]
            rows.append(row)
    return rows


# --------------------------------------------------------------------------
# A minimal pcap / pcapng walker, independent of trove and libpcap. It gives
# record offsets (to predict the byte offset trove must report) and the
# packets themselves (ts_ns, caplen, wirelen, data) for byte-level checks.

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"


@dataclass
class Walk:
    kind: str                  # "pcap" or "pcapng"
    records: list              # (offset, ts_ns, caplen, wirelen, data) per packet
    complete_end: int          # end of the last complete record/block
    truncated_at: int | None   # start of the incomplete record/block, if any


def walk_capture(data: bytes) -> Walk:
    if data[:4] in PCAP_MAGICS:
        return _walk_pcap(data)
    if data[:4] == PCAPNG_SHB:
        return _walk_pcapng(data)
    raise ValueError("not a pcap or pcapng file")


def _walk_pcap(data: bytes) -> Walk:
    endian, mult = PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        return Walk("pcap", [], 0, 0)
    off, recs = 24, []
    while off < len(data):
        if off + 16 > len(data):
            return Walk("pcap", recs, off, off)
        sec, sub, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        if off + 16 + incl > len(data):
            return Walk("pcap", recs, off, off)
        recs.append((off, sec * 1_000_000_000 + sub * mult, incl, orig, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return Walk("pcap", recs, off, None)


def _walk_pcapng(data: bytes) -> Walk:
    off, recs, endian = 0, [], "<"
    ifaces: list[int] = []  # ticks per second, per interface of the current section
    while off < len(data):
        if off + 12 > len(data):
            return Walk("pcapng", recs, off, off)
        btype_raw = data[off:off + 4]
        if btype_raw == PCAPNG_SHB:
            bom = data[off + 8:off + 12]
            endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack(endian + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            return Walk("pcapng", recs, off, off)
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # IDB: linktype(2) reserved(2) snaplen(4) options
            ifaces.append(_tsresol(body[8:], endian))
        elif btype == 6:  # EPB
            ifid, hi, lo, cap, orig = struct.unpack(endian + "IIIII", body[:20])
            ticks = (hi << 32) | lo
            per_s = ifaces[ifid] if ifid < len(ifaces) else 1_000_000
            recs.append((off, ticks * 1_000_000_000 // per_s, cap, orig, body[20:20 + cap]))
        elif btype == 3:  # SPB: no timestamp
            (orig,) = struct.unpack(endian + "I", body[:4])
            cap = min(orig, len(body) - 4)
            recs.append((off, 0, cap, orig, body[4:4 + cap]))
        elif btype == 2:  # obsolete PB
            ifid, _drops, hi, lo, cap, orig = struct.unpack(endian + "HHIIII", body[:20])
            per_s = ifaces[ifid] if ifid < len(ifaces) else 1_000_000
            recs.append((off, ((hi << 32) | lo) * 1_000_000_000 // per_s, cap, orig, body[20:20 + cap]))
        off += blen
    return Walk("pcapng", recs, off, None)


def _tsresol(opts: bytes, endian: str) -> int:
    i = 0
    while i + 4 <= len(opts):
        code, olen = struct.unpack(endian + "HH", opts[i:i + 4])
        if code == 0:
            break
        if code == 9 and olen >= 1:
            v = opts[i + 4]
            return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
        i += 4 + ((olen + 3) & ~3)
    return 1_000_000


def read_packets(path) -> list[tuple]:
    """(ts_ns, caplen, wirelen, data) per packet of a complete file."""
    w = walk_capture(Path(path).read_bytes())
    if w.truncated_at is not None:
        raise Failure(f"{path}: incomplete record at offset {w.truncated_at}")
    return [r[1:] for r in w.records]


def compare_packets(got: list[tuple], want: list[tuple], got_name: str, want_name: str) -> None:
    if got == want:
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            fields = [n for n, a, b in zip(("ts_ns", "caplen", "wirelen", "data"), g, w) if a != b]
            detail = ", ".join(f"{n} {w[k]!r:.80} vs {g[k]!r:.80}" for k, n in enumerate(
                ("ts_ns", "caplen", "wirelen", "data")) if n in fields)
            raise Failure(f"packet {i + 1} differs ({want_name} vs {got_name}): {detail}")
    raise Failure(f"packet count differs: {want_name} {len(want)}, {got_name} {len(got)}")


# --------------------------------------------------------------------------
# synth traces, cached per run in one directory


_SYNTH_CACHE: dict[tuple, Path] = {}


def synth(out_dir: Path, *args) -> Path:
    key = tuple(str(a) for a in args)
    if key in _SYNTH_CACHE and _SYNTH_CACHE[key].exists():
        return _SYNTH_CACHE[key]
    name = "synth-" + re.sub(r"[^A-Za-z0-9]+", "_", "-".join(key)).strip("_") + ".pcap"
    path = out_dir / name
    run([TROVE_BIN, "synth", "-o", path, *key], timeout=600)
    check(path.exists() and path.stat().st_size > 0, f"trove synth {' '.join(key)} wrote nothing")
    _SYNTH_CACHE[key] = path
    return path


# --------------------------------------------------------------------------
# Runner


_CASES: list[tuple[str, callable]] = []


def case(fn):
    _CASES.append((fn.__name__, fn))
    return fn


def add_case(name: str, fn) -> None:
    _CASES.append((name, fn))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not os.path.exists(TROVE_BIN):
        print(f"FAIL setup: trove binary not found at {TROVE_BIN} (set TROVE_BIN)")
        print("0 passed, 1 failed")
        return 1
    passed = failed = skipped = 0
    for name, fn in _CASES:
        if argv and name not in argv:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
        except Failure as e:
            failed += 1
            print(f"FAIL {name}: {e}", flush=True)
        except Exception:  # a bug in the test or an unexpected trove output
            failed += 1
            print(f"FAIL {name}: unexpected error\n{traceback.format_exc()}", flush=True)
        else:
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}", flush=True)
    return 1 if failed else 0


def kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
