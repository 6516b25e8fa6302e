#!/usr/bin/env bash
# A five-minute tour of trove, offline: installs dependencies, builds, makes a
# store, fills it with synthetic traffic and a few shipped real traces, and
# shows what the store knows. The store goes to $DEMO_STORE if set (kept),
# else to a temporary directory (removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"${JOBS:-2}" --target trove
TROVE=$PWD/build/trove
PCAPS=${TROVE_SHARED_PCAPS:-$PWD/../shared/pcaps}

scratch=$(mktemp -d -t trove-demo-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
STORE=${DEMO_STORE:-$scratch/store}

show() { printf '\n$ %s\n' "$*"; "$@"; }
trove() { "$TROVE" "$1" --store "$STORE" "${@:2}"; }

show "$TROVE" init --store "$STORE"
show "$TROVE" synth -o "$scratch/synth.pcap" --packets 200000 --seed 1
show "$TROVE" import --store "$STORE" "$scratch/synth.pcap"
for t in ndpi_ftp.pcap tcpdump_ssh.pcap tcpdump_of13_ericsson.pcapng; do
  if [[ -f "$PCAPS/$t" ]]; then
    show "$TROVE" import --store "$STORE" --snaplen 0 "$PCAPS/$t"
  fi
done
show "$TROVE" ls --store "$STORE"
show "$TROVE" info --store "$STORE" 1
show "$TROVE" stats --store "$STORE"
show "$TROVE" fsck --store "$STORE"

show "$TROVE" ls --store "$STORE" --level scrambled

first_path() { python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["path"])'; }
seg=$(trove ls --json | first_path)
printf '\n$ tcpdump -nn -tt --nano -r %s | head   # raw\n' "$seg"
tcpdump -nn -tt --nano -r "$seg" 2>/dev/null | head -n 5 || true
seg=$(trove ls --level scrambled --json | first_path)
printf '\n$ tcpdump -nn -tt --nano -r %s | head   # scrambled: same packets, pseudonyms\n' "$seg"
tcpdump -nn -tt --nano -r "$seg" 2>/dev/null | head -n 5 || true

# The Time Machine: every connection's first 20 KB, indexed.
show "$TROVE" query --store "$STORE" --explain 'host 192.168.1.212 and port 21'
show "$TROVE" query --store "$STORE" -w "$scratch/ftp.pcap" 'host 192.168.1.212 and port 21'
printf '
$ tcpdump -nn -r %s | head -n 5
' "$scratch/ftp.pcap"
tcpdump -nn -r "$scratch/ftp.pcap" 2>/dev/null | head -n 5 || true
printf '
$ trove flows --store ... | head -n 5
'
trove flows | head -n 5 || true
if [[ -n "${DEMO_STORE:-}" ]]; then echo; echo "store kept in $STORE"; fi
