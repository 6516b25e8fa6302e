# Shared pieces of the whole-process benchmarks (sourced, not run).
# Callers set OUT (output dir) and RESULTS (TSV: tool, run, wall_s,
# maxrss_kb, cpu_s; bench_results_header writes its header) before calling
# timed. cpu_s is user + system time of the process and its children;
# wall_s is measured around it to the millisecond. BENCH_BEFORE_RUN, if
# set, names a function run before each timed command (outside the timing).

# trove binary: $TROVE_BIN, else build/trove (built if missing).
bench_trove() {
  local t=${TROVE_BIN:-$PWD/build/trove}
  if [[ ! -x "$t" ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
    cmake --build build -j2 --target trove >&2
    t=$PWD/build/trove
  fi
  echo "$t"
}

bench_need() {  # tools...
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/setup.sh" >&2; exit 1; }
  done
}

# A synthetic trace of SIZE (trove synth --bytes), made once and kept.
bench_input() {  # trove, size
  local in=$OUT/synth-$2-seed1.pcap
  if [[ ! -s "$in" ]]; then
    echo "making $in" >&2
    "$1" synth -o "$in" --bytes "$2" --seed 1 >&2
  fi
  echo "$in"
}

bench_results_header() { printf 'tool\trun\twall_s\tmaxrss_kb\tcpu_s\n' >"$RESULTS"; }

timed() {  # tool, run index, command...
  local tool=$1 i=$2 wall rss user sys
  shift 2
  local t0 t1
  [[ -n "${BENCH_BEFORE_RUN:-}" ]] && "$BENCH_BEFORE_RUN"
  t0=$(date +%s%N)
  if ! /usr/bin/time -f "%e %M %U %S" -o "$OUT/time.txt" "$@" >"$OUT/last.out" 2>"$OUT/last.err"; then
    echo "$tool run $i failed: $*" >&2
    tail -n 20 "$OUT/last.err" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  read -r wall rss user sys <"$OUT/time.txt"
  wall=$(python3 -c "print(f'{($t1 - $t0) / 1e9:.4f}')")  # finer than time's %e
  local cpu
  cpu=$(python3 -c "print(f'{$user + $sys:.2f}')")
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$i" "$wall" "$rss" "$cpu" >>"$RESULTS"
  printf '  %-16s run %d: %7.2f s %6.2f s CPU %9d KB peak RSS\n' "$tool" "$i" "$wall" "$cpu" "$rss"
}

# Markdown table of medians from $RESULTS. Arguments: title, input path,
# input bytes, packets, runs, then "tool=command" pairs, "--", then
# "a/b" ratio pairs (wall time of a over b).
bench_summary() {
  python3 - "$RESULTS" "$@" <<'PY'
import csv, statistics, sys
results, title, src, in_bytes, packets, n, *rest = sys.argv[1:]
in_bytes, packets = int(in_bytes), int(packets)
sep = rest.index("--")
tools = [t.split("=", 1) for t in rest[:sep]]
ratios = [r.split("/") for r in rest[sep + 1:]]
by = {}
for r in csv.DictReader(open(results), delimiter="\t"):
    by.setdefault(r["tool"], []).append(
        (float(r["wall_s"]), int(r["maxrss_kb"]), float(r.get("cpu_s") or "nan")))
med = {t: tuple(statistics.median(x[k] for x in v) for k in range(3)) for t, v in by.items()}
print(f"# {title}\n")
print(f"Input: `{src}`, {in_bytes / 1e6:.0f} MB, {packets} packets. {n} runs per tool, "
      f"interleaved; medians. Page cache warm (input read once before the runs).\n")
print("| tool | command | wall s | Mpps | MB/s | CPU s | Mpps per core | peak RSS MB |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for t, desc in tools:
    if t in med:
        w, m, c = med[t]
        print(f"| {t} | `{desc}` | {w:.2f} | {packets / w / 1e6:.2f} | "
              f"{in_bytes / w / 1e6:.0f} | {c:.2f} | {packets / c / 1e6:.2f} | {m / 1024:.1f} |")
print("\nMpps per core = packets / (user + system CPU seconds), all threads.\n")
for a, b in ratios:
    if a in med and b in med and med[b][0] > 0:
        print(f"- wall-time ratio {a} / {b}: **{med[a][0] / med[b][0]:.2f}** (< 1: {a} faster)")
PY
}
