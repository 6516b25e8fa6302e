#!/bin/bash
# One import of in.pcap (cwd) into a fresh store made by BIN with the new-store
# defaults (default class, 20 KB cutoff, levels, index), with N=2 adding a
# second class "udp" (precedence 10, no cutoff): one segment stream per class.
# Prints the wall seconds. docs/BENCHMARKS.md "Per-class streams".
# usage: bench/class_streams_bench.sh BIN 1|2
set -u
BIN=$1; N=$2; D=$(mktemp -d)
$BIN init --store $D/s >/dev/null 2>&1
if [ "$N" = 2 ]; then printf '\n[[class]]\nname = "udp"\nfilter = "udp"\nprecedence = 10\ncutoff = "none"\n' >> $D/s/trove.toml; fi
s=$(date +%s.%N); nice -n 10 $BIN import --store $D/s --snaplen 0 in.pcap >/dev/null 2>&1; rc=$?; e=$(date +%s.%N)
echo "$(echo "$e - $s" | bc) rc=$rc segs=$($BIN ls --store $D/s --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
rm -rf $D
