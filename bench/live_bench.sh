#!/usr/bin/env bash
# Live capture loss (issue 14 part 2): `tcpreplay --topspeed` of a trace
# from one network namespace over a veth pair into a second one, where
# tcpdump and trove capture it. Configurations, interleaved in every run:
#
#   tcpdump-s64      tcpdump -s 64 (default buffer)
#   tcpdump-B256M    tcpdump -s 0 -B 262144
#   trove-defaults   `trove init` defaults (full packets, 20 KB cutoff, both
#                    privacy levels derived, index)
#   trove-snap64     the same store, trove capture --snaplen 64
#   trove-cutnone    trove init --cutoff none
#
# Loss = packets tcpreplay sent that the capturer did not record (tcpdump:
# sent - "packets captured"; trove: sent - packets read into the ring +
# ring drops, from --json), printed per configuration as the median of the
# runs, with trove's kernel and ring drops, ring fill (max / p99 of the
# writer's samples) and the CPU seconds of each trove thread (where the
# writer's time goes; /proc/PID/task/*/stat, read just before the stop).
#
# --query-loop: the same, while a loop of `trove query tcp -w /dev/null`
# over a separate store (the trace imported once; its segment files are
# dropped from the page cache before every query, so the loop reads the
# disk) runs at idle/low priority as `trove query` sets itself.
#
# Only link-local addresses (169.254.77.0/24) on a veth pair between two
# namespaces made here; nothing touches the real interfaces; everything
# is removed on exit (trap). Needs root, ip, tcpreplay, tcpdump.
#
# Usage: bench/live_bench.sh [-n RUNS] [-t TRACE] [-o OUTDIR] [--query-loop]
#   TRACE default: OUTDIR/real-1G.pcap, made by bench/replicate_traces.py
#   --bytes 1G if missing (falls back to `trove synth --bytes 1G`).
#   RING_SIZE=BYTES in the environment: the stores' ring_size (trove.toml)
#   instead of the default, to try a ring size without rebuilding.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=5
TRACE=""
OUT=${OUT:-$PWD/bench/out/live}
QUERY_LOOP=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -n) RUNS=$2; shift 2 ;;
    -t) TRACE=$2; shift 2 ;;
    -o) OUT=$2; shift 2 ;;
    --query-loop) QUERY_LOOP=1; shift ;;
    -h|--help) sed -n 2,33p "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, capture)" >&2; exit 1; }
bench_need ip tcpreplay tcpdump python3
TROVE=$(bench_trove)
mkdir -p "$OUT"
if [[ -z "$TRACE" ]]; then
  TRACE=$OUT/real-1G.pcap
  if [[ ! -s "$TRACE" ]]; then
    python3 bench/replicate_traces.py -o "$TRACE" --bytes 1G ||
      "$TROVE" synth -o "$TRACE" --bytes 1G --seed 1
  fi
fi

NS_TX=trove-lb-tx-$$
NS_RX=trove-lb-rx-$$
PIDS=()
QPID=""
cleanup() {
  set +e
  [[ -n "$QPID" ]] && kill -- "-$QPID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  ip netns del "$NS_TX" 2>/dev/null
  ip netns del "$NS_RX" 2>/dev/null
}
trap cleanup EXIT INT TERM

ip netns add "$NS_TX"
ip netns add "$NS_RX"
ip link add vtx netns "$NS_TX" type veth peer name vrx netns "$NS_RX"
for ns in "$NS_TX" "$NS_RX"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_TX" link set vtx mtu 9000 up
ip -n "$NS_RX" link set vrx mtu 9000 up
ip -n "$NS_TX" addr add 169.254.77.1/24 dev vtx
ip -n "$NS_RX" addr add 169.254.77.2/24 dev vrx
RX="ip netns exec $NS_RX"
TX="ip netns exec $NS_TX"

# Stores: one with the defaults, one with --cutoff none (fresh each run).
new_store() {  # dir, init args...
  local d=$1
  shift
  rm -rf "$d"
  "$TROVE" --store "$d" init "$@" >/dev/null
  if [[ -n "${RING_SIZE:-}" ]]; then
    sed -i "s/^ring_size = .*/ring_size = $RING_SIZE/" "$d/trove.toml"
  fi
}

# Sends the trace; prints the packets tcpreplay sent successfully.
replay() {
  local log=$OUT/tcpreplay.log
  $TX tcpreplay --topspeed -i vtx "$TRACE" >"$log" 2>&1 || true
  sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$log" | head -1
}

# CPU seconds per thread name of PID, "name=s,name=s" (same names summed).
thread_cpu() {
  python3 - "$1" <<'EOF'
import os, sys
pid = sys.argv[1]
hz = os.sysconf("SC_CLK_TCK")
tot = {}
for t in os.listdir(f"/proc/{pid}/task"):
    try:
        s = open(f"/proc/{pid}/task/{t}/stat").read()
    except OSError:
        continue
    name = s[s.index("(") + 1:s.rindex(")")]
    f = s[s.rindex(")") + 2:].split()
    tot[name] = tot.get(name, 0) + (int(f[11]) + int(f[12])) / hz
print(",".join(f"{k}={v:.2f}" for k, v in sorted(tot.items(), key=lambda kv: -kv[1])))
EOF
}

RESULTS=$OUT/live.tsv
printf 'config\trun\tsent\tcaptured\tloss\tkernel_drops\tring_drops\tring_max\tring_p99\tring_bytes\tthreads\n' >"$RESULTS"

run_tcpdump() {  # config, run, args...
  local cfg=$1 i=$2
  shift 2
  local pcap=$OUT/td.pcap err=$OUT/td.err
  $RX tcpdump -i vrx -nn "$@" -w "$pcap" 2>"$err" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do grep -q "listening on" "$err" && break; sleep 0.1; done
  local sent
  sent=$(replay)
  sleep 1
  kill -INT "$pid"
  wait "$pid" || true
  local cap kd
  cap=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$err")
  kd=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$err")
  rm -f "$pcap"
  printf '%s\t%d\t%s\t%s\t%s\t%s\t0\t-\t-\t-\t-\n' "$cfg" "$i" "$sent" "$cap" \
    "$((sent > cap ? sent - cap : 0))" "$kd" >>"$RESULTS"
  printf '  %-15s run %d: sent %s captured %s (kernel drops %s)\n' "$cfg" "$i" "$sent" "$cap" "$kd"
}

run_trove() {  # config, run, store, capture args...
  local cfg=$1 i=$2 st=$3
  shift 3
  local err=$OUT/trove.err js=$OUT/trove.json
  $RX "$TROVE" --store "$st" capture -i vrx --json "$@" >"$js" 2>"$err" &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do grep -q "capturing on" "$err" && break; sleep 0.1; done
  local sent threads
  sent=$(replay)
  sleep 1
  threads=$(thread_cpu "$pid")
  kill -INT "$pid"
  wait "$pid" || true
  python3 - "$js" "$cfg" "$i" "$sent" "$threads" >>"$RESULTS" <<'EOF'
import json, sys
js, cfg, i, sent, threads = sys.argv[1:]
d = json.load(open(js))
sent = int(sent)
read = d["packets"]
ring = d["drops"]["ring"]
cap = read - ring
r = d.get("ring", {})
print("\t".join(map(str, [cfg, i, sent, cap, max(0, sent - cap), d["drops"]["kernel"], ring,
                          r.get("fill_max", "-"), r.get("fill_p99", "-"), r.get("bytes", "-"),
                          threads])))
EOF
  tail -1 "$RESULTS" | awk -F'\t' '{printf "  %-15s run %d: sent %s captured %s (kernel %s, ring %s drops; ring max %s p99 %s of %s) %s\n", $1, $2, $3, $4, $6, $7, $8, $9, $10, $11}'
  rm -rf "$st"
}

if [[ $QUERY_LOOP == 1 ]]; then
  QSTORE=$OUT/query-store
  if [[ ! -f "$QSTORE/trove.toml" ]]; then
    new_store "$QSTORE" --cutoff none
    "$TROVE" --store "$QSTORE" import "$TRACE" >/dev/null
  fi
  # Bounded: the loop ends with this script (trap: its own process group)
  # and each query is one pass over the store.
  setsid bash -c 'while :; do
      find "$1" -name "*.pcapng" -exec dd if={} iflag=nocache count=0 status=none \;
      "$2" --store "$1" query tcp -w /dev/null >/dev/null 2>&1 || true
    done' _ "$QSTORE" "$TROVE" &
  QPID=$!
fi

echo "trace: $TRACE ($(stat -c %s "$TRACE") bytes), $RUNS runs, query loop: $QUERY_LOOP"
for i in $(seq 1 "$RUNS"); do
  run_tcpdump tcpdump-s64 "$i" -s 64
  run_tcpdump tcpdump-B256M "$i" -s 0 -B 262144
  new_store "$OUT/st-def"
  run_trove trove-defaults "$i" "$OUT/st-def"
  new_store "$OUT/st-snap"
  run_trove trove-snap64 "$i" "$OUT/st-snap" --snaplen 64
  new_store "$OUT/st-none" --cutoff none
  run_trove trove-cutnone "$i" "$OUT/st-none"
done

python3 - "$RESULTS" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("\n| configuration | runs | median sent | median lost | median loss | kernel drops (median) | ring drops (median) | ring fill max (median, of ring) |")
print("|---|---|---|---|---|---|---|---|")
for cfg in dict.fromkeys(r["config"] for r in rows):
    rs = [r for r in rows if r["config"] == cfg]
    med = lambda k: statistics.median(int(r[k]) for r in rs)
    sent, lost = med("sent"), med("loss")
    ring = "-"
    if rs[0]["ring_max"] not in ("-", ""):
        ring = f"{statistics.median(int(r['ring_max']) / int(r['ring_bytes']) for r in rs):.1%}"
    print(f"| {cfg} | {len(rs)} | {sent:.0f} | {lost:.0f} | {lost / sent:.3%} | "
          f"{med('kernel_drops'):.0f} | {med('ring_drops'):.0f} | {ring} |")
print("\nCPU seconds per thread (median over runs):")
for cfg in dict.fromkeys(r["config"] for r in rows):
    rs = [r for r in rows if r["config"] == cfg and r["threads"] not in ("-", "")]
    if not rs:
        continue
    names = {}
    for r in rs:
        for kv in r["threads"].split(","):
            k, v = kv.split("=")
            names.setdefault(k, []).append(float(v))
    print(f"  {cfg}: " + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in names.items()))
EOF
echo "per-run rows: $RESULTS"
