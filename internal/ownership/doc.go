// Package ownership is startlag's model of what the kubelet and the container runtime do to a
// volume's files when a pod starts: the recursive fsGroup ownership change ("the walk"), the
// OnRootMismatch root test that skips it, which volumes of a pod template are walked at all
// (Decide: PVC -> PV -> StorageClass -> CSIDriver, as far as the input tells, with explicit
// assumptions for the rest), and which are relabelled for SELinux (DecideSELinux).
//
// It is the single place in startlag that knows kubelet behaviour. The audit rules, the explain
// diagnosis, the volume scanner and the differential tests against a real kubelet all ask this
// package instead of re-deciding. Everything here is a pure function of its arguments.
//
// The behaviour modelled is that of pkg/volume/volume_linux.go in Kubernetes 1.23 and later
// (ConfigurableFSGroupPolicy GA), checked against a real v1.37.2 kubelet by the tests in
// test/cluster.
package ownership
