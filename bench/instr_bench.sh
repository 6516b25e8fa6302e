#!/usr/bin/env bash
# Instructions per packet: a noise-free measure of the work each tool does,
# for a shared VM where CPU times of the same binary vary by +-20% from run
# to run (and which exposes no hardware counters to perf). Counts the
# user-space instructions every thread executes under valgrind's callgrind,
# on one synthetic trace, for:
#
#   trove-tm-spine  trove import, new-store defaults without the privacy
#                   levels (one class, 20 KB cutoff, headers after it,
#                   connection tracking, index): issue 3's ingest
#   trove64         trove import --snaplen 64 --cutoff none store
#   tcpdump         tcpdump -r IN -w OUT (-Z root: valgrind writes its
#                   output at exit, after tcpdump would drop privileges)
#   tracesplit      tracesplit -S 64 -b 512000000
#   read-floor      tcpdump -r IN -w /dev/null (libpcap reading alone)
#
# Instructions inside libcrypto are reported apart ("SHA-256"): valgrind
# does not emulate SHA-NI, so OpenSSL runs its generic code there and that
# count says nothing about the real cost (bench/import_bench.sh measures
# it: sha256-floor). Kernel work (read/write syscalls, page faults) is not
# counted at all; it is the same for every tool reading the same file.
# Writes bench/out/instr.md and prints it.
#
# Usage: bench/instr_bench.sh [--size SIZE] [--baseline BINARY]
#   --size SIZE        trace size for trove synth --bytes (default 100M)
#   --baseline BINARY  also count an older trove binary (e.g. a build of
#                      the previous commit) as trove-tm-spine@baseline
# Environment: TROVE_BIN (default build/trove; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=100M
BASELINE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --baseline) BASELINE=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
TROVE=$(bench_trove)
bench_need valgrind callgrind_annotate tcpdump tracesplit capinfos python3

OUT=bench/out
RUN=$OUT/instr-run
mkdir -p "$OUT"
IN=$(bench_input "$TROVE" "$SIZE")
packets=$(capinfos -M -T -r -c "$IN" | cut -f2)
echo "input: $IN, $packets packets"
RESULTS=$OUT/instr.tsv
printf 'tool\ttotal\tlibcrypto\n' >"$RESULTS"

count() {  # tool, command...
  local tool=$1
  shift
  rm -rf "$RUN"
  mkdir -p "$RUN"
  case "$tool" in
    trove-tm-spine*) "${1}" init --store "$RUN/store" >/dev/null ;;
    trove64) "$1" init --store "$RUN/store" --cutoff none >/dev/null ;;
  esac
  [[ -f "$RUN/store/trove.toml" ]] &&
    sed -i 's/^enabled = true$/enabled = false/' "$RUN/store/trove.toml"
  echo "  $tool"
  valgrind --tool=callgrind --callgrind-out-file="$RUN/cg.out" "$@" >"$RUN/out" 2>"$RUN/err" || {
    echo "$tool failed under valgrind: $*" >&2
    tail -n 20 "$RUN/err" >&2
    exit 1
  }
  callgrind_annotate "$RUN/cg.out" 2>/dev/null | python3 -c '
import re, sys
total = crypto = 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if not m:
        continue
    n = int(m.group(1).replace(",", ""))
    if "PROGRAM TOTALS" in m.group(2):
        total = n
    elif "libcrypto" in m.group(2):
        crypto += n
print(f"{sys.argv[1]}\t{total}\t{crypto}")' "$tool" >>"$RESULTS"
  rm -rf "$RUN"
}

count trove-tm-spine "$TROVE" import --store "$RUN/store" "$IN"
[[ -n "$BASELINE" ]] && count trove-tm-spine@baseline "$BASELINE" import --store "$RUN/store" "$IN"
count trove64 "$TROVE" import --store "$RUN/store" --snaplen 64 "$IN"
count tcpdump tcpdump -Z root -r "$IN" -w "$RUN/out.pcap"
count tracesplit tracesplit -Z none -S 64 -b 512000000 "pcapfile:$IN" "pcapfile:$RUN/out"
count read-floor tcpdump -Z root -r "$IN" -w /dev/null

python3 - "$RESULTS" "$packets" "$IN" >"$OUT/instr.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
n = int(sys.argv[2])
print("# Instructions per packet\n")
print(f"Input: `{sys.argv[3]}`, {n} packets. User-space instructions of all threads "
      "(valgrind callgrind); SHA-256 (libcrypto) apart, as valgrind runs it without SHA-NI.\n")
print("| tool | instructions per packet | without SHA-256 | SHA-256 (generic code) |")
print("|---|---:|---:|---:|")
per = {}
for r in rows:
    t, c = int(r["total"]), int(r["libcrypto"])
    per[r["tool"]] = (t - c) / n
    print(f"| {r['tool']} | {t / n:.0f} | {(t - c) / n:.0f} | {c / n:.0f} |")
print()
for a, b in (("trove-tm-spine", "tcpdump"), ("trove-tm-spine", "tracesplit"),
             ("trove64", "tracesplit"), ("trove-tm-spine", "trove-tm-spine@baseline")):
    if a in per and b in per:
        print(f"- {a} / {b} (without SHA-256): **{per[a] / per[b]:.2f}**")
if "read-floor" in per and "trove-tm-spine" in per:
    print(f"- trove-tm-spine beyond libpcap's reading: {per['trove-tm-spine'] - per['read-floor']:.0f} "
          "instructions per packet")
print("\nReproduce: `bench/instr_bench.sh`")
PY
cat "$OUT/instr.md"
