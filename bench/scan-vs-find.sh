#!/usr/bin/env bash
# Compare `startlag scan` with GNU find and the kubelet's serial Always walk on ext4 loop
# images holding Terraform-automation-shaped trees (internal/volscan/treegen).
#
# usage: sudo bench/scan-vs-find.sh [ENTRIES...]      (default: 100000 1000000)
# env:   WORK=/tmp/startlag-bench  RUNS=5  COLD_RUNS=3  FSGROUP=3000  KEEP=1 (keep images)
#
# For each size it builds an ext4 image under $WORK (not tmpfs, so cold-cache runs mean
# something), generates the tree consistent with FSGROUP, then runs hyperfine warm and cold
# (echo 3 > /proc/sys/vm/drop_caches before each cold run) for:
#   check       startlag scan DIR --fsgroup G          (stat only, 8 workers)
#   find-G      find DIR -printf '%G %m\n'             (same stat work, serial)
#   repair      startlag scan DIR --fsgroup G --apply  (on a consistent tree: stat only)
#   kubelet     kubelet-always DIR G                   (serial model of the kubelet's walk;
#               last, because it dirties every inode it touches)
# then the syscall floor (bench/statfloor: only the fstatat calls of every entry, from open
# directory fds, timed after an untimed listing; warm, and cold with caches dropped in between),
# and records peak RSS (/usr/bin/time -v) and bytes written to the loop device during one
# repair and one kubelet walk (/sys/block/loopN/stat, sectors written, after sync).
# Results: $WORK/results-N.md and hyperfine JSON beside it. Needs root, hyperfine, mkfs.ext4.
set -euo pipefail

WORK=${WORK:-/tmp/startlag-bench}
RUNS=${RUNS:-5}
COLD_RUNS=${COLD_RUNS:-3}
FSGROUP=${FSGROUP:-3000}
SIZES=("${@:-100000 1000000}")
read -r -a SIZES <<<"${SIZES[*]}"
REPO=$(cd "$(dirname "$0")/.." && pwd)

[[ $(id -u) == 0 ]] || { echo "needs root (loop mounts, drop_caches)" >&2; exit 2; }
for t in hyperfine mkfs.ext4 losetup /usr/bin/time go; do
	command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done

mkdir -p "$WORK/bin"
(cd "$REPO" && go build -o "$WORK/bin/startlag" ./cmd/startlag &&
	go build -o "$WORK/bin/treegen" ./internal/volscan/treegen/cmd/treegen &&
	go build -o "$WORK/bin/kubelet-always" ./internal/volscan/cmd/kubelet-always &&
	go build -o "$WORK/bin/statfloor" ./bench/statfloor)
B=$WORK/bin

# written_bytes prints the sectors-written counter of a loop device, in bytes.
written_bytes() { awk '{printf "%.0f\n", $7 * 512}' "/sys/block/$1/stat"; }

# rss prints the peak RSS in KiB of a command.
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }

# floor RUNS DIR [-cold] prints the best time of RUNS statfloor runs, in seconds.
floor() {
	local runs=$1 dir=$2
	shift 2
	for _ in $(seq "$runs"); do
		"$B/statfloor" -j 8 "$@" "$dir" | sed -n 's/.*fstatat in \([0-9.]*\) s.*/\1/p'
	done | sort -n | head -1
}

# attach mounts an image through a loop device with direct I/O, so the backing file is not
# cached a second time and drop_caches really makes the next run cold.
attach() {
	local dev
	dev=$(losetup --direct-io=on -f --show "$1")
	mount "$dev" "$2"
}

bench_size() {
	local n=$1 img=$WORK/vol-$n.img mnt=$WORK/mnt-$n out=$WORK/results-$n.md
	local inodes=$((n + n / 5 + 10000)) size_mb=$((n / 250 + 512))
	mkdir -p "$mnt"
	if ! mountpoint -q "$mnt"; then
		if [[ ! -f $img ]]; then
			truncate -s "${size_mb}M" "$img"
			mkfs.ext4 -q -N "$inodes" "$img"
			attach "$img" "$mnt"
			echo "generating $n entries in $mnt ..." >&2
			local t0=$SECONDS
			nice "$B/treegen" -gid "$FSGROUP" "$mnt/vol" "$n"
			echo "generated in $((SECONDS - t0)) s" >&2
		else
			attach "$img" "$mnt"
		fi
	fi
	local dev dir=$mnt/vol
	dev=$(basename "$(findmnt -no SOURCE "$mnt")")
	chgrp "$FSGROUP" "$dir" && chmod 2775 "$dir"

	local check="$B/startlag scan $dir --fsgroup $FSGROUP"
	local find="find $dir -printf '%G %m\n'"
	local kubelet="$B/kubelet-always $dir $FSGROUP"
	local repair="$B/startlag scan $dir --fsgroup $FSGROUP --apply"
	{
		echo "# scan vs find vs kubelet: $n entries, ext4 loop image ($dev)"
		echo
		echo "- date: $(date -u +%FT%TZ); load before: $(cut -d' ' -f1-3 /proc/loadavg); cpus: $(nproc)"
		echo "- tree: $($B/startlag scan "$dir" --fsgroup "$FSGROUP" -o json |
			awk -F': ' '/"(dirs|files|symlinks)"/ {gsub(/,/,"",$2); printf "%s ", $0}')"
	} >"$out"

	echo "## warm" >>"$out"
	$check >/dev/null
	hyperfine -N -w 1 -r "$RUNS" --export-markdown "$WORK/warm-$n.md" \
		--export-json "$WORK/warm-$n.json" \
		-n check "$check" -n find-G "$find" -n repair "$repair" -n kubelet "$kubelet" >&2 ||
		hyperfine -w 1 -r "$RUNS" --export-markdown "$WORK/warm-$n.md" \
			--export-json "$WORK/warm-$n.json" \
			-n check "$check" -n find-G "$find" -n repair "$repair" -n kubelet "$kubelet" >&2
	cat "$WORK/warm-$n.md" >>"$out"

	echo "## cold (drop_caches before each run)" >>"$out"
	hyperfine -r "$COLD_RUNS" --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
		--export-markdown "$WORK/cold-$n.md" --export-json "$WORK/cold-$n.json" \
		-n check "$check" -n find-G "$find" -n repair "$repair" -n kubelet "$kubelet" >&2
	cat "$WORK/cold-$n.md" >>"$out"

	{
		echo "## syscall floor (bench/statfloor -j 8: fstatat only, best of the runs)"
		echo "- warm: $(floor "$RUNS" "$dir") s"
		echo "- cold: $(floor "$COLD_RUNS" "$dir" -cold) s"
		echo "## peak RSS (KiB, warm)"
		echo "- check: $(rss $B/startlag scan "$dir" --fsgroup "$FSGROUP")"
		echo "- find-G: $(rss find "$dir" -printf '%G %m\n')"
		echo "- kubelet: $(rss $B/kubelet-always "$dir" "$FSGROUP")"
		echo "- repair: $(rss $B/startlag scan "$dir" --fsgroup "$FSGROUP" --apply)"
		echo "## bytes written to $dev (consistent tree, after sync)"
		local before after
		sync; before=$(written_bytes "$dev")
		$B/startlag scan "$dir" --fsgroup "$FSGROUP" --apply >/dev/null
		sync; after=$(written_bytes "$dev")
		echo "- repair: $((after - before))"
		sync; before=$(written_bytes "$dev")
		$B/kubelet-always "$dir" "$FSGROUP"
		sync; after=$(written_bytes "$dev")
		echo "- kubelet: $((after - before))"
		echo "- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	} >>"$out"
	cat "$out"
	if [[ -z ${KEEP:-} ]]; then
		local loopdev
		loopdev=$(findmnt -no SOURCE "$mnt")
		umount "$mnt" && losetup -d "$loopdev" 2>/dev/null; rm -f "$img"
	fi
}

for n in "${SIZES[@]}"; do
	bench_size "$n"
done
