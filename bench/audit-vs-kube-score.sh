#!/usr/bin/env bash
# Times `startlag audit` against kube-score on the same manifests, end to end: copies the chart
# renders of the shared corpus COPIES times into a temporary directory (40 copies of the 11
# renders hold 5,160 objects), builds startlag, installs kube-score v1.20.0 into a temporary
# GOBIN, and runs both with hyperfine. Both exit 1 (they find problems), which hyperfine is told
# to accept.
#
# Usage: bench/audit-vs-kube-score.sh        (from anywhere)
# Environment: CORPUS (default ../shared/corpus/charts beside the repository), COPIES (40),
# RUNS (10), KUBE_SCORE (an existing kube-score binary to use instead of installing one).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-$repo/../shared/corpus/charts}
copies=${COPIES:-40}
runs=${RUNS:-10}

work=$(mktemp -d "${TMPDIR:-/tmp}/startlag-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/manifests" "$work/bin"

echo "corpus: $copies copies of $corpus/*.yaml" >&2
for i in $(seq -w 0 $((copies - 1))); do
	for f in "$corpus"/*.yaml; do
		cp "$f" "$work/manifests/$i-$(basename "$f")"
	done
done

(cd "$repo" && go build -o "$work/bin/startlag" ./cmd/startlag)
kube_score=${KUBE_SCORE:-}
if [ -z "$kube_score" ]; then
	GOBIN="$work/bin" go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0
	kube_score="$work/bin/kube-score"
fi

files=$(ls "$work/manifests" | wc -l)
objects=$("$work/bin/startlag" audit "$work/manifests" -o json 2>/dev/null |
	sed -n 's/^    "objects": \([0-9]*\),$/\1/p') || true
echo "$files files, $objects objects" >&2

hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json "$work/result.json" \
	-n "startlag audit" "$work/bin/startlag audit $work/manifests -o json" \
	-n "kube-score score" "$kube_score score -o json $work/manifests/*.yaml"

python3 - "$work/result.json" "$objects" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
objects = int(sys.argv[2])
for r in results:
    cpu = r["user"] + r["system"]
    print(f'{r["command"]}: {objects / r["mean"]:,.0f} manifests/s wall, '
          f'{objects / cpu:,.0f} manifests/CPU-s (mean {r["mean"]:.3f} s, CPU {cpu:.3f} s)')
s, k = results
print(f'startlag/kube-score throughput: {k["mean"] / s["mean"]:.1f}x wall, '
      f'{(k["user"] + k["system"]) / (s["user"] + s["system"]):.1f}x CPU')
PY
