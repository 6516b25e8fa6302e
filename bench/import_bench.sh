#!/usr/bin/env bash
# Whole-process import benchmark: trove against tcpdump and tracesplit on the
# same >= 1 GB trace, in one run, interleaved (a b c d a b c d ...), N times.
#
#   a  trove import --snaplen 64          (fresh store each run)
#   b  trove import --snaplen 0           (fresh store each run)
#   c  tcpdump -r IN -w OUT               (full copy: the baseline for b)
#   d  tracesplit -S 64 -b 512000000 pcapfile:IN pcapfile:OUT
#                                         (snap to 64 + rotate: the baseline for a)
#
# Wall time and peak RSS come from /usr/bin/time -f "%e %M". Reports medians
# (wall, Mpps, MB/s of input, peak RSS) and the ratios trove64/tracesplit and
# trove-full/tcpdump (wall time; < 1 means trove is faster). Writes the
# Markdown table to bench/out/import.md and prints it.
#
# The page cache cannot be dropped here (no privilege to write
# /proc/sys/vm/drop_caches in every environment), so the input is read once
# before the runs (cat > /dev/null) and every run reads it warm: the numbers
# are CPU/write-path numbers, not disk-read numbers. Outputs go to
# bench/out/run/ on the same filesystem and are deleted after every run.
#
# Usage: bench/import_bench.sh [-n N] [--memory-scaling]
#   -n N              runs per tool (default 5)
#   --memory-scaling  also import a 2x larger trace (2200 MB) with
#                     --snaplen 64 and compare trove's peak RSS on both
# Environment: TROVE_BIN (default build/trove; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=5
SCALING=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    --memory-scaling) SCALING=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

TROVE=${TROVE_BIN:-$PWD/build/trove}
if [[ ! -x "$TROVE" ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build -j2 --target trove
  TROVE=$PWD/build/trove
fi
for tool in tcpdump tracesplit capinfos /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
done

OUT=bench/out
RUN=$OUT/run
mkdir -p "$OUT"
IN=$OUT/synth-1100M-seed1.pcap
if [[ ! -s "$IN" ]]; then
  echo "making $IN"
  "$TROVE" synth -o "$IN" --bytes 1100M --seed 1
fi
in_bytes=$(stat -c %s "$IN")
packets=$(capinfos -M -T -r -c "$IN" | cut -f2)
echo "input: $IN, $in_bytes bytes, $packets packets"
echo "warming the page cache: cat $IN > /dev/null"
cat "$IN" >/dev/null

RESULTS=$OUT/import-times.tsv
printf 'tool\trun\twall_s\tmaxrss_kb\n' >"$RESULTS"

# Fresh output dir; trove's store is initialised here, outside the timing.
prepare() {
  rm -rf "$RUN"
  mkdir -p "$RUN"
  case "$1" in trove*) "$TROVE" init --store "$RUN/store" >/dev/null ;; esac
}

timed() {  # tool, run index, command...
  local tool=$1 i=$2 wall rss
  shift 2
  if ! /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/last.out" 2>"$OUT/last.err"; then
    echo "$tool run $i failed: $*" >&2
    tail -n 20 "$OUT/last.err" >&2
    exit 1
  fi
  read -r wall rss <"$OUT/time.txt"
  printf '%s\t%s\t%s\t%s\n' "$tool" "$i" "$wall" "$rss" >>"$RESULTS"
  printf '  %-11s run %d: %7.2f s %9d KB peak RSS\n' "$tool" "$i" "$wall" "$rss"
}

run_tool() {  # tool, run index
  prepare "$1"
  case "$1" in
    trove64)    timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 64 "$IN" ;;
    trove-full) timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 0 "$IN" ;;
    tcpdump)    timed "$1" "$2" tcpdump -r "$IN" -w "$RUN/out.pcap" ;;
    tracesplit) timed "$1" "$2" tracesplit -Z none -S 64 -b 512000000 "pcapfile:$IN" "pcapfile:$RUN/out" ;;
  esac
  rm -rf "$RUN"
}

TOOLS=(trove64 trove-full tcpdump tracesplit)
for i in $(seq 1 "$N"); do
  echo "round $i/$N"
  for tool in "${TOOLS[@]}"; do run_tool "$tool" "$i"; done
done

scaling=""
if [[ $SCALING == 1 ]]; then
  IN2=$OUT/synth-2200M-seed1.pcap
  [[ -s "$IN2" ]] || "$TROVE" synth -o "$IN2" --bytes 2200M --seed 1
  cat "$IN2" >/dev/null
  prepare trove64
  timed trove64-2x 1 "$TROVE" import --store "$RUN/store" --snaplen 64 "$IN2"
  rm -rf "$RUN"
  scaling=$(stat -c %s "$IN2")
fi

python3 - "$RESULTS" "$in_bytes" "$packets" "$N" "$IN" "$scaling" >"$OUT/import.md" <<'PY'
import csv, statistics, sys
results, in_bytes, packets, n, src, scaling = sys.argv[1:7]
in_bytes, packets = int(in_bytes), int(packets)
rows = list(csv.DictReader(open(results), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault(r["tool"], []).append((float(r["wall_s"]), int(r["maxrss_kb"])))
med = {t: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v)) for t, v in by.items()}
desc = {
    "trove64": "trove import --snaplen 64",
    "trove-full": "trove import --snaplen 0",
    "tcpdump": "tcpdump -r IN -w OUT",
    "tracesplit": "tracesplit -S 64 -b 512000000",
}
print(f"# Import benchmark\n")
print(f"Input: `{src}`, {in_bytes / 1e6:.0f} MB, {packets} packets. {n} runs per tool, "
      f"interleaved; medians. Page cache warm (input read once before the runs; "
      f"dropping caches is not possible here).\n")
print("| tool | command | wall s | Mpps | MB/s | peak RSS MB |")
print("|---|---|---:|---:|---:|---:|")
for t in ("trove64", "trove-full", "tcpdump", "tracesplit"):
    if t in med:
        w, m = med[t]
        print(f"| {t} | `{desc[t]}` | {w:.2f} | {packets / w / 1e6:.2f} | {in_bytes / w / 1e6:.0f} | {m / 1024:.1f} |")
print()
def ratio(a, b):
    return f"{med[a][0] / med[b][0]:.2f}" if a in med and b in med and med[b][0] > 0 else "n/a"
print(f"- wall-time ratio trove64 / tracesplit: **{ratio('trove64', 'tracesplit')}** (< 1: trove faster)")
print(f"- wall-time ratio trove-full / tcpdump: **{ratio('trove-full', 'tcpdump')}**")
if "trove64-2x" in med:
    print(f"- peak RSS, trove import --snaplen 64: {med['trove64'][1] / 1024:.1f} MB on {in_bytes / 1e6:.0f} MB, "
          f"{med['trove64-2x'][1] / 1024:.1f} MB on {int(scaling) / 1e6:.0f} MB")
print(f"\nReproduce: `bench/import_bench.sh -n {n}{' --memory-scaling' if scaling else ''}`")
PY
echo
cat "$OUT/import.md"
