package kubelog

// Kinds of recognised messages. The list may grow; the names are stable.
const (
	KindUnknown Kind = iota

	// fsGroup ownership walk (pkg/volume/volume_linux.go and the CSI mounter).
	// "Setting volume ownership for %s and fsGroup set. ..." (30-s timer, ≥1.20)
	KindOwnershipWarning
	KindOwnershipProgress   // "Setting volume ownership for %s, processed %d files." (≥1.33)
	KindOwnershipSkipped    // OnRootMismatch satisfied ("Skipping permission and ownership change")
	KindOwnershipRecursive  // "Perform recursive ownership change for directory"
	KindOwnershipGIDDiffers // "Expected group ownership of volume did not match with Gid"
	// "Performing recursive ownership change on rootDir because of mismatching mode"
	KindOwnershipModeDiffer
	KindOwnershipFailed   // Lchown/chmod failed, applyFSGroup failed
	KindFSGroupDelegated  // CSI driver has VOLUME_MOUNT_GROUP: kubelet does not walk
	KindFSGroupNotApplied // CSI mounter skips fsGroup (fsType/access modes/policy)

	// Attach and mount pipeline.
	KindVerifyAttachStarted    // operationExecutor.VerifyControllerAttachedVolume started
	KindAttachSucceeded        // Controller attach succeeded / AttachVolume.Attach succeeded
	KindMultiAttach            // Multi-Attach error
	KindMountStarted           // operationExecutor.MountVolume started
	KindWaitForAttachSucceeded // MountVolume.WaitForAttach succeeded
	KindMountDeviceSucceeded   // MountVolume.MountDevice succeeded
	KindMountDeviceFailed      // MountVolume.MountDevice failed
	KindSetUpSucceeded         // MountVolume.SetUp succeeded
	KindSetUpFailed            // MountVolume.SetUp failed
	// unmounted volumes=[...] ... deadline exceeded / timed out (Detail: the lists)
	KindVolumeWaitTimeout
	KindVolumeWaitCanceled // the same with "context canceled": pod updated or deleted
	KindTearDownSucceeded  // UnmountVolume.TearDown succeeded

	// Pod lifecycle.
	KindSyncLoopAdd        // "SyncLoop ADD"
	KindSyncLoopDelete     // "SyncLoop DELETE" / REMOVE
	KindNoSandbox          // "No sandbox for pod can be found. Need to start a new one"
	KindSandboxCreated     // RunPodSandbox returned / sandbox ready
	KindImagePulling       // Pulling image
	KindImagePulled        // Successfully pulled image / already present
	KindContainerCreated   // Created container
	KindContainerStarted   // Started container / ContainerStarted PLEG event
	KindCreateContainerErr // CreateContainer failed, context deadline exceeded
	KindNameReserved       // failed to reserve container name
	KindPodStartupObserved // "Observed pod startup duration"

	// Runtime and CSI driver.
	KindSELinuxRelabel   // runtime relabel of a mount (containerd/CRI-O)
	KindNodeStageStarted // CSI plugin: GRPC call /csi.v1.Node/NodeStageVolume
	KindNodeStageDone    // CSI plugin: NodeStageVolume response
	KindDriverOwnership  // ownership walk inside a CSI driver (globalmount path)

	// Added as the timeline needed them.
	KindOwnershipRootStatFailed // reading the volume root's permissions failed: full walk follows
	KindVolumeWaitStarted       // "Waiting for volumes to attach and mount for pod"
	KindVolumesReady            // "All volumes are attached and mounted for pod"
	KindOperationBackoff        // "Operation for ... failed. No retries permitted until ..."
	KindMountFailed             // other MountVolume.* failures (WaitForAttach, NodeAffinity, ...)
	KindSandboxCreating         // "Creating PodSandbox for pod" / runtime RunPodSandbox request
	KindContainerCreating       // runtime CreateContainer request (start of a possible relabel)
	KindImagePullFailed         // ErrImagePull / ImagePullBackOff while syncing the pod
	KindPodSyncError            // "Error syncing pod" with any other error
	KindNodeStageRequest        // CSI plugin: NodeStageVolume request (staging path, mount group)
	KindNodePublishStarted      // CSI plugin: GRPC call /csi.v1.Node/NodePublishVolume
	KindNodePublishDone         // CSI plugin: NodePublishVolume response
	KindContainerKilling        // "Killing" event / stopping a container

	kindCount // keep last
)
