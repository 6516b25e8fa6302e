#!/usr/bin/env bash
# Selective-query benchmark (issue 3): `trove query` against `tcpdump -r`
# scanning the same segments with the same filter, on an archive of at
# least 20 GB, in one run, interleaved, N times each.
#
# The archive (bench/out/query-store, kept between runs; --rebuild remakes
# it) is SIZE of `trove synth` traffic in chunks of 2 GB (seeds 1.., one day
# apart, so the segments are disjoint in time), imported with
# `trove init --cutoff none` (every byte kept) and the privacy levels off:
# 512 MB segments, each with its index. Each chunk is deleted once imported.
#
# Queries (chosen from the archive itself, deterministically):
#   host        one client host: `host A`
#   connection  one TCP connection, both directions:
#               `tcp and host A and host B and port P and port Q`
# For each: `trove query --max-rate 0 -w OUT EXPR` (the retrieval rate bound
# off: this measures retrieval itself) and `for SEG in segments:
# tcpdump -r SEG -w - EXPR` (the baseline). Before timing, both outputs are
# compared packet for packet (capinfos count and tcpdump text), and one
# untimed run warms the page cache. Reports medians of wall time, the ratio
# tcpdump / trove and the answer's size, as Markdown in
# bench/out/query.md.
#
# With --cold the page cache is dropped before every timed run (needs root
# outside a container: writes /proc/sys/vm/drop_caches): the archive case
# where the data is on disk, not in memory; results in query-cold.md.
#
# Usage: bench/query_bench.sh [-n N] [--size 20G] [--rebuild] [--cold]
# Environment: TROVE_BIN (default build/trove; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=5
SIZE=20G
REBUILD=0
COLD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    --cold) COLD=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
TROVE=$(bench_trove)
bench_need tcpdump capinfos /usr/bin/time python3

OUT=bench/out
STORE=$OUT/query-store
mkdir -p "$OUT"
size_bytes=$(python3 -c "
import re,sys
m=re.fullmatch(r'(\d+)([KMG]?)', sys.argv[1]); n=int(m[1])*{'':1,'K':10**3,'M':10**6,'G':10**9}[m[2]]
print(n)" "$SIZE")
chunk=2000000000
chunks=$(( (size_bytes + chunk - 1) / chunk ))

if [[ $REBUILD == 1 || ! -f $STORE/.complete ]]; then
  rm -rf "$STORE"
  "$TROVE" init --store "$STORE" --cutoff none >/dev/null
  sed -i 's/^enabled = true$/enabled = false/' "$STORE/trove.toml"
  for i in $(seq 1 "$chunks"); do
    start=$(( (1767225600 + (i - 1) * 86400) * 1000000000 ))  # 2026-01-01, one day apart (ns)
    echo "archive chunk $i/$chunks: synth 2000M seed $i, import" >&2
    "$TROVE" synth -q -o "$OUT/chunk.pcap" --bytes 2000M --seed "$i" --start "$start"
    "$TROVE" import --store "$STORE" --snaplen 0 "$OUT/chunk.pcap" 2>/dev/null
    rm -f "$OUT/chunk.pcap"
  done
  touch "$STORE/.complete"
fi

mapfile -t SEGS < <("$TROVE" ls --store "$STORE" --json |
  python3 -c 'import json,sys; [print(s["path"]) for s in sorted(json.load(sys.stdin), key=lambda s: (s["start_ns"], s["id"]))]')
archive_bytes=$(du -cb "${SEGS[@]}" | tail -n 1 | cut -f1)
index_bytes=$(du -cb "${SEGS[@]/%.pcapng/.idx}" | tail -n 1 | cut -f1)
echo "archive: ${#SEGS[@]} segments, $archive_bytes bytes, indexes $index_bytes bytes"

# Deterministic picks from the first segment's connections: the client of
# its 50th TCP connection (host), and its largest TCP connection with at
# most 100 packets (one connection).
first_end=$("$TROVE" ls --store "$STORE" --json | python3 -c '
import json, sys
s = min(json.load(sys.stdin), key=lambda s: (s["start_ns"], s["id"]))
print((s["start_ns"] + 10**9) // 10**9)')
read -r HOST CONN < <("$TROVE" flows --store "$STORE" --format json --until "$first_end" |
  python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["proto"] == "tcp"]
host = rows[min(49, len(rows) - 1)]["id.orig_h"]
small = [r for r in rows if r["orig_pkts"] + r["resp_pkts"] <= 100]
c = max(small, key=lambda r: r["orig_pkts"] + r["resp_pkts"])
a, b, p, q = c["id.orig_h"], c["id.resp_h"], c["id.orig_p"], c["id.resp_p"]
print(host, f"tcp_and_host_{a}_and_host_{b}_and_port_{p}_and_port_{q}")')
CONN=${CONN//_/ }
declare -A EXPRS=([host]="host $HOST" [connection]="$CONN")
echo "host query: ${EXPRS[host]}"
echo "connection query: ${EXPRS[connection]}"

RESULTS=$OUT/query-times.tsv
[[ $COLD == 1 ]] && RESULTS=$OUT/query-times-cold.tsv
bench_results_header
drop_caches() { sync; echo 1 >/proc/sys/vm/drop_caches; }
if [[ $COLD == 1 ]]; then
  if ! (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null; then
    echo "--cold needs to write /proc/sys/vm/drop_caches (root, not in a container)" >&2
    exit 2
  fi
  BENCH_BEFORE_RUN=drop_caches
fi
tcpdump_all() {  # expr, out: one pcap per segment, concatenated text for checking
  local expr=$1 out=$2
  shift 2
  for s in "$@"; do tcpdump -r "$s" -w - "$expr" 2>/dev/null; done >"$out"
}
export -f tcpdump_all

echo "checking answers and warming the cache"
for q in host connection; do
  e=${EXPRS[$q]}
  "$TROVE" query --store "$STORE" --max-rate 0 -w "$OUT/q-trove.pcap" "$e"
  : >"$OUT/q-ref.txt"
  for s in "${SEGS[@]}"; do tcpdump -nn -tt --nano -S -r "$s" "$e" 2>/dev/null >>"$OUT/q-ref.txt"; done
  tcpdump -nn -tt --nano -S -r "$OUT/q-trove.pcap" 2>/dev/null >"$OUT/q-trove.txt"
  if ! cmp -s "$OUT/q-trove.txt" "$OUT/q-ref.txt"; then
    echo "MISMATCH for $q ($e): trove query differs from tcpdump -r over the segments" >&2
    exit 1
  fi
  pk=$(wc -l <"$OUT/q-ref.txt")
  by=$(stat -c %s "$OUT/q-trove.pcap")
  echo "$q: $pk packets, $by bytes of pcap; identical to tcpdump"
  printf '%s\t%s\t%s\n' "$q" "$pk" "$by" >>"$OUT/query-answers.tsv.new"
done
mv "$OUT/query-answers.tsv.new" "$OUT/query-answers.tsv"

for i in $(seq 1 "$N"); do
  echo "round $i/$N"
  for q in host connection; do
    e=${EXPRS[$q]}
    timed "trove-$q" "$i" "$TROVE" query --store "$STORE" --max-rate 0 -w "$OUT/q.pcap" "$e"
    timed "tcpdump-$q" "$i" bash -c 'tcpdump_all "$0" /dev/null "${@}"' "$e" "${SEGS[@]}"
  done
done
rm -f "$OUT/q.pcap" "$OUT/q-trove.pcap" "$OUT/q-ref.txt" "$OUT/q-trove.txt"

MD=$OUT/query.md
[[ $COLD == 1 ]] && MD=$OUT/query-cold.md
python3 - "$RESULTS" "$OUT/query-answers.tsv" "$archive_bytes" "$index_bytes" "${#SEGS[@]}" \
  "$N" "${EXPRS[host]}" "${EXPRS[connection]}" "$COLD" >"$MD" <<'PY'
import csv, statistics, sys
results, answers, arch, idx, nseg, n, ehost, econn, cold = sys.argv[1:]
by = {}
for r in csv.DictReader(open(results), delimiter="\t"):
    by.setdefault(r["tool"], []).append(float(r["wall_s"]))
ans = {r[0]: (int(r[1]), int(r[2])) for r in csv.reader(open(answers), delimiter="\t")}
print("# Selective query benchmark\n")
print(f"Archive: {int(arch) / 1e9:.1f} GB in {nseg} segments (indexes {int(idx) / 1e6:.0f} MB, "
      f"{100 * int(idx) / int(arch):.2f}%). {n} runs each, interleaved; medians; page cache "
      f"{'cold (dropped before every run)' if cold == '1' else 'warm'}.\n")
print("| query | expression | answer | trove query s | tcpdump -r s | tcpdump / trove |")
print("|---|---|---:|---:|---:|---:|")
for q, e in (("host", ehost), ("connection", econn)):
    t, d = statistics.median(by[f"trove-{q}"]), statistics.median(by[f"tcpdump-{q}"])
    pk, b = ans[q]
    print(f"| {q} | `{e}` | {pk} packets, {b / 1e6:.1f} MB | {t:.3f} | {d:.2f} | **{d / t:.0f}×** |")
PY
echo "Reproduce: \`bench/query_bench.sh -n $N --size $SIZE$([[ $COLD == 1 ]] && echo " --cold")\`" >>"$MD"
echo
cat "$MD"
