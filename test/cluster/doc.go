// Package cluster runs a real single-node Kubernetes (etcd, kube-apiserver and, on request,
// containerd + kubelet, kube-controller-manager and kube-scheduler) for startlag's tests, so that
// startlag's model of the kubelet can be checked against the kubelet itself.
//
// Every component binds to 127.0.0.1 on ports picked free at start-up, and keeps its
// configuration, state, sockets and logs under one work directory. Tearing a cluster down stops
// only the processes it started (verified by their command line naming the work directory),
// kills only the containerd shims of its own containerd, unmounts only mounts below its work
// directory and detaches only loop devices backed by files below it.
//
// Tests call Start, which skips the test (with the reason) when the machine cannot run the
// requested components. Binaries come from $STARTLAG_KUBE_BIN or
// /var/cache/startlag/kube-v1.37.2/bin; test/cluster/build-binaries.sh builds them.
// See README.md beside this file.
package cluster
