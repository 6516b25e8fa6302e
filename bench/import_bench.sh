#!/usr/bin/env bash
# Whole-process import benchmark: trove against tcpdump and tracesplit on the
# same >= 1 GB trace, in one run, interleaved (a b c d a b c d ...), N times.
#
#   a  trove import --snaplen 64          (fresh store each run)
#   b  trove import --snaplen 0           (fresh store each run)
#   c  tcpdump -r IN -w OUT               (full copy: the baseline for b)
#   c' tcpdump -r IN -w OUT && sync -f OUT (the same, made durable as trove
#                                         makes its segments: like for like)
#   d  tracesplit -S 64 -b 512000000 pcapfile:IN pcapfile:OUT
#                                         (snap to 64 + rotate: the baseline for a)
#   trove stores are made with --cutoff none (every byte kept, like the
#   baselines), except trove-tm, which uses the new-store defaults (full
#   packets, one class with a 20 KB cutoff and headers after it, privacy
#   levels, index): the Time Machine as shipped, and trove-tm-spine, the
#   same without the privacy levels (classes, cutoff and indexing: what
#   issue 3's ingest target of 2 Mpps per core measures).
#   Two floor rows show what any libpcap importer that meets issue 2's
#   durability contract must spend, before doing any work of its own:
#   read-floor is `tcpdump -r IN -w /dev/null` (libpcap reading the trace,
#   nothing written), sha256-floor is `openssl dgst -sha256` over the
#   segment files trove-tm-spine just wrote (read warm: the SHA-256 of every
#   stored byte that the catalogue records). Their CPU seconds added give
#   the ceiling on Mpps per core that this machine allows trove-tm-spine.
#   a and b run with the store's privacy levels disabled (the spine alone);
#   trove64+levels and trove-full+levels repeat them with the default
#   levels (scrubbed and scrambled derived in the background as each
#   segment closes; import returns when all are derived).
#
# Wall time, CPU time (user + system, all threads) and peak RSS come from
# /usr/bin/time. Reports medians (wall, Mpps, MB/s of input, CPU s, Mpps
# per core = packets / CPU s, peak RSS) and wall-time ratios such as
# trove64/tracesplit and trove-full/tcpdump (< 1 means trove is faster). Writes the
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
    -h|--help) sed -n '2,46p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
TROVE=$(bench_trove)
bench_need tcpdump tracesplit capinfos /usr/bin/time python3

OUT=bench/out
RUN=$OUT/run
mkdir -p "$OUT"
IN=$(bench_input "$TROVE" 1100M)
in_bytes=$(stat -c %s "$IN")
packets=$(capinfos -M -T -r -c "$IN" | cut -f2)
echo "input: $IN, $in_bytes bytes, $packets packets"
echo "warming the page cache: cat $IN > /dev/null"
cat "$IN" >/dev/null

RESULTS=$OUT/import-times.tsv
bench_results_header

# Fresh output dir; trove's store is initialised here, outside the timing.
prepare() {
  rm -rf "$RUN"
  mkdir -p "$RUN"
  case "$1" in
    trove-tm|trove-tm-spine) "$TROVE" init --store "$RUN/store" >/dev/null ;;  # the defaults
    trove*) "$TROVE" init --store "$RUN/store" --cutoff none >/dev/null ;;
  esac
  # The spine alone: no derived privacy levels (the +levels runs keep them).
  case "$1" in
    trove64|trove-full|trove-tm-spine) sed -i 's/^enabled = true$/enabled = false/' "$RUN/store/trove.toml" ;;
  esac
}

run_tool() {  # tool, run index
  prepare "$1"
  case "$1" in
    trove64)    timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 64 "$IN" ;;
    trove-full) timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 0 "$IN" ;;
    trove64+levels)   timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 64 "$IN" ;;
    trove-full+levels) timed "$1" "$2" "$TROVE" import --store "$RUN/store" --snaplen 0 "$IN" ;;
    trove-tm)   timed "$1" "$2" "$TROVE" import --store "$RUN/store" "$IN" ;;
    trove-tm-spine)
      timed "$1" "$2" "$TROVE" import --store "$RUN/store" "$IN"
      find "$RUN/store/segments" -name '*.pcapng' -exec cat {} + >/dev/null
      timed sha256-floor "$2" find "$RUN/store/segments" -name '*.pcapng' \
        -exec openssl dgst -sha256 {} + ;;
    read-floor) timed "$1" "$2" tcpdump -r "$IN" -w /dev/null ;;
    tcpdump)    timed "$1" "$2" tcpdump -r "$IN" -w "$RUN/out.pcap" ;;
    tcpdump+sync) timed "$1" "$2" sh -c 'tcpdump -r "$1" -w "$2" && sync -f "$2"' sh "$IN" "$RUN/out.pcap" ;;
    tracesplit) timed "$1" "$2" tracesplit -Z none -S 64 -b 512000000 "pcapfile:$IN" "pcapfile:$RUN/out" ;;
  esac
  rm -rf "$RUN"
}

TOOLS=(trove64 trove-full trove64+levels trove-full+levels trove-tm trove-tm-spine tcpdump tcpdump+sync
  tracesplit read-floor)
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

{
  bench_summary "Import benchmark" "$IN" "$in_bytes" "$packets" "$N" \
    "trove64=trove import --snaplen 64" "trove-full=trove import --snaplen 0" \
    "trove64+levels=trove import --snaplen 64, deriving scrubbed + scrambled" \
    "trove-full+levels=trove import --snaplen 0, deriving scrubbed + scrambled" \
    "trove-tm=trove import, new-store defaults: 20 KB cutoff class, levels, index" \
    "trove-tm-spine=trove import, new-store defaults without the levels: classes, cutoff, index" \
    "tcpdump=tcpdump -r IN -w OUT" "tcpdump+sync=tcpdump -r IN -w OUT && sync -f OUT" \
    "tracesplit=tracesplit -S 64 -b 512000000" \
    "read-floor=tcpdump -r IN -w /dev/null (libpcap reading alone)" \
    "sha256-floor=openssl dgst -sha256 over trove-tm-spine's segments" \
    -- trove64/tracesplit trove-full/tcpdump trove-full/tcpdump+sync trove64+levels/tracesplit \
    trove-full+levels/tcpdump trove-tm-spine/tracesplit trove-tm-spine/tcpdump
  python3 - "$RESULTS" "$packets" <<'PY'
import csv, statistics, sys
cpu = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    cpu.setdefault(r["tool"], []).append(float(r["cpu_s"]))
if "read-floor" in cpu and "sha256-floor" in cpu and "trove-tm-spine" in cpu:
    f = statistics.median(cpu["read-floor"]) + statistics.median(cpu["sha256-floor"])
    t = statistics.median(cpu["trove-tm-spine"])
    n = int(sys.argv[2])
    print(f"- floor for trove-tm-spine (read-floor + sha256-floor CPU): {f:.2f} s, "
          f"**{n / f / 1e6:.2f} Mpps per core** at most; trove-tm-spine: {t:.2f} s, "
          f"{n / t / 1e6:.2f} Mpps per core; its own work beyond the floor: "
          f"{(t - f) / n * 1e9:.0f} ns per packet")
PY
  if [[ -n "$scaling" ]]; then
    python3 - "$RESULTS" "$in_bytes" "$scaling" <<'PY'
import csv, statistics, sys
rss = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    rss.setdefault(r["tool"], []).append(int(r["maxrss_kb"]))
a, b = (statistics.median(rss[t]) / 1024 for t in ("trove64", "trove64-2x"))
print(f"- peak RSS, trove import --snaplen 64: {a:.1f} MB on {int(sys.argv[2]) / 1e6:.0f} MB, "
      f"{b:.1f} MB on {int(sys.argv[3]) / 1e6:.0f} MB")
PY
  fi
  echo
  echo "Reproduce: \`bench/import_bench.sh -n $N${scaling:+ --memory-scaling}\`"
} >"$OUT/import.md"
echo
cat "$OUT/import.md"
