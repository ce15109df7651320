# Everyday targets. The real-cluster tests need root and the Kubernetes binaries
# (make kube-binaries, cached in /var/cache/startlag); without them they skip.
GO          ?= go
CLUSTER_DIR ?= /tmp/startlag-cluster

.PHONY: build vet test fidelity kube-binaries cluster-up cluster-down

build:
	$(GO) build -o startlag ./cmd/startlag

vet:
	$(GO) vet ./...

test:
	$(GO) test -count=1 -timeout 45m ./...

# Differential tests of the kubelet model against a real kubelet (about 3 minutes).
fidelity: kube-binaries
	$(GO) test -v -timeout 30m -run TestKubeletFidelity ./test/fidelity/

kube-binaries:
	test/cluster/build-binaries.sh

# A single-node cluster left running for manual use; prints the kubeconfig path.
cluster-up: kube-binaries
	$(GO) run ./test/cluster/cmd/clusterctl up -dir $(CLUSTER_DIR)

cluster-down:
	$(GO) run ./test/cluster/cmd/clusterctl down -dir $(CLUSTER_DIR)
