#!/bin/sh
# Index size against the stored raw bytes on a default store (`trove init`
# defaults: 20 KB cutoff, headers after it, levels) holding every shared
# trace (unreadable ones are skipped by import's error). Sizes, not times:
# deterministic, one run suffices.
#   bench/index_size.sh [TROVE_BINARY...]   (default: build/trove)
set -e
[ $# -eq 0 ] && set -- build/trove
PCAPS=${TROVE_SHARED_PCAPS:-$(dirname "$0")/../../shared/pcaps}
for BIN in "$@"; do
  T=$(mktemp -d)
  S=$T/store
  "$BIN" init --store "$S" >/dev/null
  for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
    "$BIN" import --store "$S" --snaplen 0 "$f" >/dev/null 2>&1 || true
  done
  idx=$(find "$S" -name '*.idx' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  raw=$(find "$S/segments" -name '*.pcapng' ! -name '*.scrubbed*' -printf '%s\n' |
        awk '{s+=$1} END {print s+0}')
  echo "$BIN: index $idx B, raw segments $raw B, index = $(echo "scale=2; 100*$idx/$raw" | bc)% of raw"
  rm -rf "$T"
done
