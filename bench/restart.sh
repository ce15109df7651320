#!/bin/sh
# Restart benchmark: a pod with fsGroup on a 1M-entry local volume, restarted with
# fsGroupChangePolicy Always and OnRootMismatch on a real kubelet, then the same on storage
# with 1 ms per metadata request (FUSE). See docs/benchmarks.md.
#
# Usage: bench/restart.sh [restartbench flags]   (run as root from anywhere in the repo)
# Defaults: -files 1000000 -runs 3 -slow-files 20000 -slow-runs 3 -latency 1ms
# Writes the results to stdout and to $OUT/restart-<UTC time>.txt, the kubelet logs of one
# Always restart per storage to $OUT/logs-<UTC time>/ (OUT: $STARTLAG_BENCH_OUT, default
# /tmp/startlag-bench).
set -eu

cd "$(git rev-parse --show-toplevel 2>/dev/null || dirname "$0")/."
if [ "$(id -u)" -ne 0 ]; then
	echo "restart.sh: needs root (kubelet, containerd, loop devices, FUSE)" >&2
	exit 2
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dir=${STARTLAG_BENCH_OUT:-/tmp/startlag-bench}
mkdir -p "$dir"
out=$dir/restart-$stamp.txt
logs=$dir/logs-$stamp

go build -o "$dir/startlag" ./cmd/startlag
go build -o "$dir/restartbench" ./test/restartbench

{
	echo "# $(date -u) on $(uname -srm), $(nproc) CPUs"
	echo "# load before: $(cat /proc/loadavg)"
	echo "# $dir/restartbench -startlag $dir/startlag -log-dir $logs $*"
} | tee "$out"

"$dir/restartbench" -startlag "$dir/startlag" -log-dir "$logs" "$@" | tee -a "$out"

echo "# load after: $(cat /proc/loadavg)" | tee -a "$out"
