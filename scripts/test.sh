#!/usr/bin/env bash
# Builds and tests trove, three ways:
#   1. RelWithDebInfo build in build/: ctest (unit + integration)
#   2. AddressSanitizer + UBSan build in build-asan/: ctest (unit + integration)
#   3. clang libFuzzer build in build-fuzz/: each fuzz/*_fuzz.cc target runs
#      FUZZ_SECONDS (default 20) from its corpus fuzz/corpus/<name>/ if present.
# Runs every stage even when an earlier one failed, then exits non-zero if any
# failed. About 27 minutes on 2 cores from scratch (CI allows 30).
#
# Environment: JOBS (2), FUZZ_SECONDS (20), BUILD_DIR (build), ASAN_DIR
# (build-asan), FUZZ_DIR (build-fuzz), SKIP_ASAN=1, SKIP_FUZZ=1.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
BUILD_DIR=${BUILD_DIR:-build}
ASAN_DIR=${ASAN_DIR:-build-asan}
FUZZ_DIR=${FUZZ_DIR:-build-fuzz}
LOG_DIR=$(mktemp -d -t trove-test-XXXXXX)
trap 'rm -rf "$LOG_DIR"' EXIT

total_pass=0
total_fail=0
failed_stages=()

stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }
fail() { failed_stages+=("$1"); echo "!!!! stage failed: $1"; }

# Runs ctest in $1, adds its counts to the totals.
run_ctest() {
  local dir=$1 name=$2 log="$LOG_DIR/$2.log"
  (cd "$dir" && ctest --output-on-failure -j"$JOBS") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # "95% tests passed, 1 tests failed out of 20"
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [[ -n "$line" ]]; then
    local failed all
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    all=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    total_pass=$((total_pass + all - failed))
    total_fail=$((total_fail + failed))
  else
    total_fail=$((total_fail + 1))
  fi
  if [[ $rc -ne 0 ]]; then fail "$name"; fi
}

# ---------------------------------------------------------------- 1. release
stage "release build ($BUILD_DIR)"
# -g1 (line tables only): stack traces keep file:line, the build is ~25% faster.
if cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" &&
   cmake --build "$BUILD_DIR" -j"$JOBS"; then
  stage "release ctest"
  run_ctest "$BUILD_DIR" release-ctest
else
  fail release-build
  total_fail=$((total_fail + 1))
fi

# ------------------------------------------------------------- 2. sanitizers
if [[ "${SKIP_ASAN:-0}" != 1 ]]; then
  stage "ASan/UBSan build ($ASAN_DIR)"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if cmake -S . -B "$ASAN_DIR" -DCMAKE_BUILD_TYPE=Debug -DTROVE_SANITIZE=ON -DTROVE_BENCH=OFF \
       -DCMAKE_CXX_FLAGS="-O1" -DCMAKE_CXX_FLAGS_DEBUG="-g1" &&
     cmake --build "$ASAN_DIR" -j"$JOBS"; then
    stage "ASan/UBSan ctest"
    run_ctest "$ASAN_DIR" asan-ctest
  else
    fail asan-build
    total_fail=$((total_fail + 1))
  fi
fi

# ---------------------------------------------------------------- 3. fuzzing
if [[ "${SKIP_FUZZ:-0}" != 1 ]]; then
  shopt -s nullglob
  targets=()
  for f in fuzz/*_fuzz.cc; do targets+=("$(basename "$f" .cc)"); done
  if [[ ${#targets[@]} -eq 0 ]]; then
    stage "fuzzing: no fuzz/*_fuzz.cc targets, skipped"
  else
    stage "libFuzzer build ($FUZZ_DIR): ${targets[*]}"
    if CC=clang CXX=clang++ cmake -S . -B "$FUZZ_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DTROVE_FUZZ=ON -DTROVE_BENCH=OFF &&
       cmake --build "$FUZZ_DIR" -j"$JOBS" --target "${targets[@]}"; then
      fuzz_abs=$(cd "$FUZZ_DIR" && pwd)
      for t in "${targets[@]}"; do
        stage "fuzz $t for ${FUZZ_SECONDS}s"
        work="$LOG_DIR/corpus-$t"
        mkdir -p "$work" "$LOG_DIR/artifacts-$t"
        seeds=()
        [[ -d "fuzz/corpus/${t%_fuzz}" ]] && seeds+=("$PWD/fuzz/corpus/${t%_fuzz}")
        # New inputs go to the scratch dir; the shipped corpus is only read.
        # Crash artifacts land in the working directory, the artifacts dir.
        if (cd "$LOG_DIR/artifacts-$t" &&
            "$fuzz_abs/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
              -print_final_stats=1 "$work" "${seeds[@]}") >"$LOG_DIR/$t.log" 2>&1; then
          tail -n 12 "$LOG_DIR/$t.log"
          total_pass=$((total_pass + 1))
        else
          tail -n 60 "$LOG_DIR/$t.log"
          for a in "$LOG_DIR/artifacts-$t"/*; do
            [[ -f "$a" ]] || continue
            echo "crashing input: $(basename "$a") (base64):"
            base64 -w 0 "$a" | head -c 4000
            echo
          done
          fail "fuzz-$t"
          total_fail=$((total_fail + 1))
        fi
      done
    else
      fail fuzz-build
      total_fail=$((total_fail + 1))
    fi
  fi
fi

echo
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  echo "failed stages: ${failed_stages[*]}"
fi
echo "test.sh: ${total_pass} passed, ${total_fail} failed"
[[ ${#failed_stages[@]} -eq 0 ]]
