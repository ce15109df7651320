#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kubelet, kube-controller-manager and kube-scheduler at one
# Kubernetes release from the Go module proxy, in a throwaway module outside startlag's go.mod,
# and caches the binaries by version. A cached build is never redone.
#
# Usage: test/cluster/build-binaries.sh            (prints the bin directory on stdout)
# Env:   KUBE_VERSION (default 1.37.2), STARTLAG_KUBE_CACHE (default /var/cache/startlag)
set -euo pipefail

version=${KUBE_VERSION:-1.37.2}
staging=0.${version#1.}
cache=${STARTLAG_KUBE_CACHE:-/var/cache/startlag}
bin=$cache/kube-v$version/bin
want=(etcd kube-apiserver kubelet kube-controller-manager kube-scheduler)

cached() {
	local b
	for b in "${want[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

if cached; then
	echo "$bin"
	exit 0
fi

work=$cache/kube-v$version/mod
mkdir -p "$work/cmd/etcd" "$bin"
cd "$work"
export GOFLAGS=-buildvcs=false

# The staging modules of k8s.io/kubernetes are replaced by their published v0.x twins; the list
# comes from the release's own go.mod so that new staging modules are picked up automatically.
kmod=$(cd "$(mktemp -d)" && go mod download -json "k8s.io/kubernetes@v$version" |
	sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
	printf 'module startlag.test/kubebins\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$version"
	sed -n '/^replace (/,/^)/p' "$kmod" | awk '/=>/{print $1}' | grep -v '^k8s.io/sample-' |
		while read -r m; do printf '\t%s => %s v%s\n' "$m" "$m" "$staging"; done
	printf ')\n'
} >go.mod
printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' \
	>cmd/etcd/main.go
cat >tools.go <<'GO'
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
GO
go mod tidy >&2

minor=${version#1.}
minor=${minor%%.*}
ld="-s -w -X k8s.io/component-base/version.gitVersion=v$version"
ld="$ld -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
tmp=$bin.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
go build -ldflags "$ld" -o "$tmp/" \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubelet \
	k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler ./cmd/etcd >&2
mv "$tmp"/* "$bin/"
rmdir "$tmp"
echo "$bin"
