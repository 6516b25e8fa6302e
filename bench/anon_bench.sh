#!/usr/bin/env bash
# Whole-process anonymization benchmark: `trove anon` against libtrace's
# traceanon on the same synthetic trace, in one run, interleaved, N times.
#
#   a  trove anon --level scrambled --cryptopan-key K IN OUT
#        scrub (headers only) + Crypto-PAn IPv4/IPv6 + MAC pseudonyms +
#        checksums, pcap out
#   b  trove anon --level scrubbed IN OUT      (scrub only)
#   c  traceanon -s -d -f K pcapfile:IN pcapfile:OUT
#        Crypto-PAn of IPv4 source and destination only (no scrub, no
#        IPv6, no MACs): less work than a, the baseline of issue 4
#
# Wall time and peak RSS from /usr/bin/time. Medians, and the ratio
# trove-scrambled / traceanon (< 1: trove faster; the target is <= 1/3).
# Writes bench/out/anon.md and prints it.
#
# Usage: bench/anon_bench.sh [-n N] [--size SIZE]
#   -n N         runs per tool (default 5)
#   --size SIZE  input size for trove synth --bytes (default 1100M)
# Environment: TROVE_BIN (default build/trove; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=5
SIZE=1100M
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
TROVE=$(bench_trove)
bench_need traceanon capinfos /usr/bin/time python3

OUT=bench/out
RUN=$OUT/run-anon
mkdir -p "$OUT"
IN=$(bench_input "$TROVE" "$SIZE")
in_bytes=$(stat -c %s "$IN")
packets=$(capinfos -M -T -r -c "$IN" | cut -f2)
echo "input: $IN, $in_bytes bytes, $packets packets"
cat "$IN" >/dev/null

KEY=$OUT/anon-bench.key
if [[ ! -s "$KEY" ]]; then
  head -c 32 /dev/urandom >"$KEY"
  chmod 600 "$KEY"
fi

RESULTS=$OUT/anon-times.tsv
bench_results_header

run_tool() {  # tool, run index
  rm -rf "$RUN"
  mkdir -p "$RUN"
  case "$1" in
    trove-scrambled) timed "$1" "$2" "$TROVE" anon --level scrambled --cryptopan-key "$KEY" "$IN" "$RUN/out.pcap" ;;
    trove-scrubbed)  timed "$1" "$2" "$TROVE" anon --level scrubbed "$IN" "$RUN/out.pcap" ;;
    traceanon)       timed "$1" "$2" traceanon -s -d -f "$KEY" "pcapfile:$IN" "pcapfile:$RUN/out.pcap" ;;
  esac
  rm -rf "$RUN"
}

for i in $(seq 1 "$N"); do
  echo "round $i/$N"
  for tool in trove-scrambled trove-scrubbed traceanon; do run_tool "$tool" "$i"; done
done

{
  bench_summary "Anonymization benchmark" "$IN" "$in_bytes" "$packets" "$N" \
    "trove-scrambled=trove anon --level scrambled --cryptopan-key K IN OUT" \
    "trove-scrubbed=trove anon --level scrubbed IN OUT" \
    "traceanon=traceanon -s -d -f K pcapfile:IN pcapfile:OUT" \
    -- trove-scrambled/traceanon trove-scrubbed/traceanon
  echo
  echo "Reproduce: \`bench/anon_bench.sh -n $N --size $SIZE\`"
} >"$OUT/anon.md"
echo
cat "$OUT/anon.md"
