#!/usr/bin/env bash
# Compares the kubelog reader, and `startlag explain` end to end, with
# `grep -F 'Setting volume ownership'` on one synthetic kubelet log: throughput (MB/s, wall
# clock and CPU time) and peak RSS, in one run.
#
#   bench/kubelog-vs-grep.sh [SIZE] [RUNS]     # defaults: 1GiB, 3 runs each, interleaved
#
# The log is written to ${TMPDIR:-/tmp} (never into the repository) and kept for reruns;
# set KEEP=0 to delete it afterwards. Needs GNU time (/usr/bin/time); hyperfine is used for
# a second opinion when installed.
set -euo pipefail

size=${1:-1GiB}
runs=${2:-3}
tmp=${TMPDIR:-/tmp}
log="$tmp/startlag-kubelet-$size.log"
bin="$tmp/startlag-kubelogread"
cli="$tmp/startlag-cli"
root=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x /usr/bin/time ]; then
	echo "need GNU time: apt-get install -y time" >&2
	exit 2
fi

cd "$root"
go build -o "$bin" ./bench/kubelogread
go build -o "$cli" ./cmd/startlag
if [ ! -s "$log" ]; then
	echo "generating $log ($size)" >&2
	go run ./internal/kubelog/internal/loggen/cmd/loggen -size "$size" -o "$log" >&2
fi
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null # warm the page cache for both tools alike

# measure NAME CMD...: prints "NAME wall_s cpu_s maxrss_kb" using GNU time. Output goes to a
# file, not /dev/null: GNU grep stops at the first match when its output is /dev/null.
measure() {
	local name=$1
	shift
	/usr/bin/time -o "$tmp/startlag-time.txt" -f "%e %U %S %M" "$@" > "$tmp/startlag-out.txt" 2>&1
	read -r wall user sys rss < "$tmp/startlag-time.txt"
	echo "$name $wall $(echo "$user + $sys" | bc) $rss"
}

results=$(
	for i in $(seq "$runs"); do
		measure grep env LC_ALL=C grep -F -c 'Setting volume ownership' "$log"
		measure kubelog "$bin" "$log"
		measure explain "$cli" explain "$log" -o json
	done
)

# best (lowest) wall and CPU time per tool, and the largest RSS.
summary() {
	echo "$results" | awk -v name="$1" '$1 == name {
		if (w == "" || $2 < w) w = $2
		if (c == "" || $3 < c) c = $3
		if ($4 > r) r = $4
	} END { print w, c, r }'
}
read -r gw gc gr <<< "$(summary grep)"
read -r kw kc kr <<< "$(summary kubelog)"
read -r ew ec er <<< "$(summary explain)"
mb=$(echo "scale=1; $bytes / 1000000" | bc)

printf '%-8s %10s %10s %12s %12s %10s\n' tool wall_s cpu_s MB/s_wall MB/s_cpu peakRSS_MB
for t in grep kubelog explain; do
	case $t in
	grep) w=$gw c=$gc r=$gr ;;
	kubelog) w=$kw c=$kc r=$kr ;;
	explain) w=$ew c=$ec r=$er ;;
	esac
	printf '%-8s %10s %10s %12.0f %12.0f %10.1f\n' $t "$w" "$c" \
		"$(echo "$mb / $w" | bc -l)" "$(echo "$mb / $c" | bc -l)" "$(echo "$r / 1024" | bc -l)"
done
printf 'ratio kubelog/grep: wall %.2f, cpu %.2f; explain/grep: wall %.2f, cpu %.2f\n' \
	"$(echo "$gw / $kw" | bc -l)" "$(echo "$gc / $kc" | bc -l)" \
	"$(echo "$gw / $ew" | bc -l)" "$(echo "$gc / $ec" | bc -l)"
printf 'target >= 0.33 of grep; input %s MB, best of %s runs\n' "$mb" "$runs"

if command -v hyperfine > /dev/null; then
	hyperfine --warmup 1 --runs "$runs" -N --output=pipe \
		"env LC_ALL=C grep -F -c 'Setting volume ownership' $log" "$bin $log" 2>&1 |
		grep -E 'Time|±|faster|Benchmark' || true
fi

rm -f "$tmp/startlag-time.txt" "$tmp/startlag-out.txt"
if [ "${KEEP:-1}" = 0 ]; then
	rm -f "$log"
fi
