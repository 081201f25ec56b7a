#!/bin/sh
# Runs the fuzzer for a bounded time over the committed seeds. New inputs go
# to a corpus folder in the build tree; a crash is written there too and fails
# the test.
set -eu
fuzzer=$1; seeds=$2; dict=$3; seconds=$4; work=$5
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$dict" -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds"
