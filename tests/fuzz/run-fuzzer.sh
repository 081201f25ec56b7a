#!/bin/sh
# Runs the fuzzer for a bounded time over the committed seeds. New inputs go
# to a corpus folder in the build tree; a crash is written there too and fails
# the test.
#
# Limits, so a bad input fails fast and says what it did: one input may run
# 5 s (-timeout) and the process may hold 2 GiB (-rss_limit_mb; libFuzzer
# also fails a single malloc above it, naming the size), inputs are at most
# max_len bytes.
set -eu
fuzzer=$1; seeds=$2; dict=$3; seconds=$4; work=$5; max_len=$6
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" \
  -print_final_stats=1 -dict="$dict" -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
