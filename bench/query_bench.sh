#!/usr/bin/env bash
# Selective-query benchmark (issues 3 and 14): `trove query` against
# `tcpdump -r` scanning the same raw segments with the same filter, on the
# shipped default store (`trove init`: 20 KB per-connection cutoff, 64-byte
# headers after it) beside a store that keeps every byte (`--cutoff none`),
# both built from the same real traffic, in one run, interleaved, N times.
#
# Input: SIZE of traffic before the cutoff, built by bench/replicate_traces.py
# from the shared real traces (../shared/pcaps: real TCP option mixes, VLAN
# tags, fragments, ARP; repeated with shifted time, every copy with its own
# addresses). Both stores (bench/out/query-{default,nocutoff}-SIZE, removed
# at the end unless --keep; a kept pair is reused, --rebuild remakes it)
# import that one trace with the
# privacy levels off (derived levels are not on a raw query's path; they
# would only triple the import): 512 MB segments, each with its index. The
# trace is deleted once imported.
#
# Queries (chosen from the traffic itself, deterministically, the same for
# both stores):
#   host        one client host: `host A`
#   connection  one TCP connection, both directions:
#               `tcp and host A and host B and port P and port Q`
# For each store and query: `trove query --max-rate 0 -w OUT EXPR` (the
# retrieval rate bound off: this measures retrieval itself) and `for SEG in
# the store's raw segments: tcpdump -r SEG -w - EXPR` (the baseline). Before
# timing, both outputs are compared packet for packet (tcpdump text), and
# one untimed run warms the page cache. Reports medians of wall time, the
# ratio tcpdump / trove, the answer's size and each store's index size as a
# share of its stored segment bytes, as Markdown in bench/out/query-SIZE.md.
#
# With --cold the page cache is dropped before every timed run (needs root
# outside a container: writes /proc/sys/vm/drop_caches): the archive case
# where the data is on disk, not in memory; results in query-SIZE-cold.md.
#
# Usage: bench/query_bench.sh [-n N] [--size 5G] [--rebuild] [--cold] [--keep]
#   (sizes of the issue: 5G, 10G, 20G; --keep keeps the stores afterwards)
# Environment: TROVE_BIN (default build/trove; built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=5
SIZE=5G
REBUILD=0
COLD=0
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    --cold) COLD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

source bench/lib.sh
TROVE=$(bench_trove)
bench_need tcpdump /usr/bin/time python3

OUT=bench/out
mkdir -p "$OUT"
declare -A STORE=([default]=$OUT/query-default-$SIZE [nocutoff]=$OUT/query-nocutoff-$SIZE)
KINDS=(default nocutoff)

if [[ $REBUILD == 1 || ! -f ${STORE[default]}/.complete || ! -f ${STORE[nocutoff]}/.complete ]]; then
  rm -rf "${STORE[default]}" "${STORE[nocutoff]}"
  echo "input: bench/replicate_traces.py --bytes $SIZE" >&2
  python3 bench/replicate_traces.py -o "$OUT/replicated.pcap" --bytes "$SIZE"
  "$TROVE" init --store "${STORE[default]}" >/dev/null
  "$TROVE" init --store "${STORE[nocutoff]}" --cutoff none >/dev/null
  for k in "${KINDS[@]}"; do
    sed -i 's/^enabled = true$/enabled = false/' "${STORE[$k]}/trove.toml"
    echo "importing into the $k store" >&2
    "$TROVE" import --store "${STORE[$k]}" "$OUT/replicated.pcap" 2>&1 | sed 's/^/  /' >&2
  done
  rm -f "$OUT/replicated.pcap"
  for k in "${KINDS[@]}"; do touch "${STORE[$k]}/.complete"; done
fi

declare -A SEGLIST STORED INDEX NSEG
for k in "${KINDS[@]}"; do
  mapfile -t segs < <("$TROVE" ls --store "${STORE[$k]}" --json |
    python3 -c 'import json,sys; [print(s["path"]) for s in sorted(json.load(sys.stdin), key=lambda s: (s["start_ns"], s["id"]))]')
  SEGLIST[$k]=$(printf '%s\n' "${segs[@]}")
  NSEG[$k]=${#segs[@]}
  STORED[$k]=$(du -cb "${segs[@]}" | tail -n 1 | cut -f1)
  INDEX[$k]=$(du -cb "${segs[@]/%.pcapng/.idx}" | tail -n 1 | cut -f1)
  echo "$k store: ${#segs[@]} segments, ${STORED[$k]} bytes, indexes ${INDEX[$k]} bytes"
done

# Deterministic picks from the first second of traffic (no-cutoff store):
# the client of its 50th TCP connection (host), and its largest TCP
# connection with at most 100 packets (one connection).
first_end=$("$TROVE" ls --store "${STORE[nocutoff]}" --json | python3 -c '
import json, sys
s = min(json.load(sys.stdin), key=lambda s: (s["start_ns"], s["id"]))
print((s["start_ns"] + 10**9) // 10**9)')
read -r HOST CONN < <("$TROVE" flows --store "${STORE[nocutoff]}" --format json --until "$first_end" |
  python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["proto"] == "tcp" and ":" not in r["id.orig_h"]]
host = rows[min(49, len(rows) - 1)]["id.orig_h"]
small = [r for r in rows if r["orig_pkts"] + r["resp_pkts"] <= 100]
c = max(small, key=lambda r: r["orig_pkts"] + r["resp_pkts"])
a, b, p, q = c["id.orig_h"], c["id.resp_h"], c["id.orig_p"], c["id.resp_p"]
print(host, f"tcp_and_host_{a}_and_host_{b}_and_port_{p}_and_port_{q}")')
CONN=${CONN//_/ }
declare -A EXPRS=([host]="host $HOST" [connection]="$CONN")
echo "host query: ${EXPRS[host]}"
echo "connection query: ${EXPRS[connection]}"

sfx=$SIZE
[[ $COLD == 1 ]] && sfx=$SIZE-cold
RESULTS=$OUT/query-times-$sfx.tsv
bench_results_header
drop_caches() { sync; echo 1 >/proc/sys/vm/drop_caches; }
if [[ $COLD == 1 ]]; then
  if ! (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null; then
    echo "--cold needs to write /proc/sys/vm/drop_caches (root, not in a container)" >&2
    exit 2
  fi
  BENCH_BEFORE_RUN=drop_caches
fi
tcpdump_all() {  # expr, out, segments...: one pcap per segment, concatenated
  local expr=$1 out=$2
  shift 2
  for s in "$@"; do tcpdump -r "$s" -w - "$expr" 2>/dev/null; done >"$out"
}
export -f tcpdump_all

echo "checking answers and warming the cache"
ANSWERS=$OUT/query-answers-$sfx.tsv
: >"$ANSWERS"
for k in "${KINDS[@]}"; do
  mapfile -t segs <<<"${SEGLIST[$k]}"
  for q in host connection; do
    e=${EXPRS[$q]}
    "$TROVE" query --store "${STORE[$k]}" --max-rate 0 -w "$OUT/q-trove.pcap" "$e"
    : >"$OUT/q-ref.txt"
    for s in "${segs[@]}"; do tcpdump -nn -tt --nano -S -r "$s" "$e" 2>/dev/null >>"$OUT/q-ref.txt"; done
    tcpdump -nn -tt --nano -S -r "$OUT/q-trove.pcap" 2>/dev/null >"$OUT/q-trove.txt"
    if ! cmp -s "$OUT/q-trove.txt" "$OUT/q-ref.txt"; then
      echo "MISMATCH for $q ($e) on the $k store: trove query differs from tcpdump -r over the segments" >&2
      exit 1
    fi
    pk=$(wc -l <"$OUT/q-ref.txt")
    by=$(stat -c %s "$OUT/q-trove.pcap")
    cand=$("$TROVE" query --store "${STORE[$k]}" --explain --json "$e" | python3 -c '
import json, sys
p = json.load(sys.stdin)["segments"]
cand = {"index": lambda s: s["candidate_packets"], "scan": lambda s: s["packets"]}
print(sum(cand.get(s["plan"], lambda s: 0)(s) for s in p), sum(s["packets"] for s in p))')
    echo "$k $q: $pk packets, $by bytes of pcap; identical to tcpdump; candidates/packets: $cand"
    printf '%s\t%s\t%s\t%s\t%s\n' "$k" "$q" "$pk" "$by" "${cand// /$'\t'}" >>"$ANSWERS"
  done
done

for i in $(seq 1 "$N"); do
  echo "round $i/$N"
  for k in "${KINDS[@]}"; do
    mapfile -t segs <<<"${SEGLIST[$k]}"
    for q in host connection; do
      e=${EXPRS[$q]}
      timed "trove-$k-$q" "$i" "$TROVE" query --store "${STORE[$k]}" --max-rate 0 -w "$OUT/q.pcap" "$e"
      timed "tcpdump-$k-$q" "$i" bash -c 'tcpdump_all "$0" /dev/null "${@}"' "$e" "${segs[@]}"
    done
  done
done
rm -f "$OUT/q.pcap" "$OUT/q-trove.pcap" "$OUT/q-ref.txt" "$OUT/q-trove.txt"

MD=$OUT/query-$sfx.md
python3 - "$RESULTS" "$ANSWERS" "$N" "$SIZE" "$COLD" "${EXPRS[host]}" "${EXPRS[connection]}" \
  "${STORED[default]}" "${INDEX[default]}" "${NSEG[default]}" \
  "${STORED[nocutoff]}" "${INDEX[nocutoff]}" "${NSEG[nocutoff]}" >"$MD" <<'PY'
import csv, statistics, sys
results, answers, n, size, cold, ehost, econn = sys.argv[1:8]
store = {"default": tuple(map(int, sys.argv[8:11])), "nocutoff": tuple(map(int, sys.argv[11:14]))}
by = {}
for r in csv.DictReader(open(results), delimiter="\t"):
    by.setdefault(r["tool"], []).append(float(r["wall_s"]))
ans = {(r[0], r[1]): tuple(map(int, r[2:])) for r in csv.reader(open(answers), delimiter="\t")}
print(f"# Selective query benchmark, {size} of real traffic (replicated)\n")
print(f"{n} runs each, interleaved; medians; page cache "
      f"{'cold (dropped before every run)' if cold == '1' else 'warm'}.\n")
print("| store | segments | stored bytes | index bytes | index / stored |")
print("|---|---:|---:|---:|---:|")
names = {"default": "default (`trove init`: 20 KB cutoff, 64-byte headers)", "nocutoff": "`--cutoff none`"}
for k, (st, ix, ns) in store.items():
    print(f"| {names[k]} | {ns} | {st / 1e9:.2f} GB | {ix / 1e6:.1f} MB | {100 * ix / st:.2f}% |")
print()
print("| store | query | answer | candidates of packets | trove query s | tcpdump -r s | tcpdump / trove |")
print("|---|---|---:|---:|---:|---:|---:|")
for k in store:
    for q, e in (("host", ehost), ("connection", econn)):
        t, d = statistics.median(by[f"trove-{k}-{q}"]), statistics.median(by[f"tcpdump-{k}-{q}"])
        pk, b, cand, tot = ans[(k, q)]
        print(f"| {k} | `{e}` | {pk} packets, {b / 1e6:.2f} MB | {cand} of {tot} | {t:.3f} | {d:.2f} | **{d / t:.0f}×** |")
PY
echo >>"$MD"
echo "Reproduce: \`bench/query_bench.sh -n $N --size $SIZE$([[ $COLD == 1 ]] && echo " --cold")\`" >>"$MD"
echo
cat "$MD"
if [[ $KEEP == 0 ]]; then
  rm -rf "${STORE[default]}" "${STORE[nocutoff]}"
  echo "(stores removed; --keep keeps them)"
fi
