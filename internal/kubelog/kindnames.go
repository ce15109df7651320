package kubelog

import "strconv"

// kindNames are the stable names of the kinds, for output and tests.
var kindNames = [...]string{
	KindUnknown:                 "Unknown",
	KindOwnershipWarning:        "OwnershipWarning",
	KindOwnershipProgress:       "OwnershipProgress",
	KindOwnershipSkipped:        "OwnershipSkipped",
	KindOwnershipRecursive:      "OwnershipRecursive",
	KindOwnershipGIDDiffers:     "OwnershipGIDDiffers",
	KindOwnershipModeDiffer:     "OwnershipModeDiffer",
	KindOwnershipFailed:         "OwnershipFailed",
	KindFSGroupDelegated:        "FSGroupDelegated",
	KindFSGroupNotApplied:       "FSGroupNotApplied",
	KindVerifyAttachStarted:     "VerifyAttachStarted",
	KindAttachSucceeded:         "AttachSucceeded",
	KindMultiAttach:             "MultiAttach",
	KindMountStarted:            "MountStarted",
	KindWaitForAttachSucceeded:  "WaitForAttachSucceeded",
	KindMountDeviceSucceeded:    "MountDeviceSucceeded",
	KindMountDeviceFailed:       "MountDeviceFailed",
	KindSetUpSucceeded:          "SetUpSucceeded",
	KindSetUpFailed:             "SetUpFailed",
	KindVolumeWaitTimeout:       "VolumeWaitTimeout",
	KindVolumeWaitCanceled:      "VolumeWaitCanceled",
	KindTearDownSucceeded:       "TearDownSucceeded",
	KindSyncLoopAdd:             "SyncLoopAdd",
	KindSyncLoopDelete:          "SyncLoopDelete",
	KindNoSandbox:               "NoSandbox",
	KindSandboxCreated:          "SandboxCreated",
	KindImagePulling:            "ImagePulling",
	KindImagePulled:             "ImagePulled",
	KindContainerCreated:        "ContainerCreated",
	KindContainerStarted:        "ContainerStarted",
	KindCreateContainerErr:      "CreateContainerErr",
	KindNameReserved:            "NameReserved",
	KindPodStartupObserved:      "PodStartupObserved",
	KindSELinuxRelabel:          "SELinuxRelabel",
	KindNodeStageStarted:        "NodeStageStarted",
	KindNodeStageDone:           "NodeStageDone",
	KindDriverOwnership:         "DriverOwnership",
	KindOwnershipRootStatFailed: "OwnershipRootStatFailed",
	KindVolumeWaitStarted:       "VolumeWaitStarted",
	KindVolumesReady:            "VolumesReady",
	KindOperationBackoff:        "OperationBackoff",
	KindMountFailed:             "MountFailed",
	KindSandboxCreating:         "SandboxCreating",
	KindContainerCreating:       "ContainerCreating",
	KindImagePullFailed:         "ImagePullFailed",
	KindPodSyncError:            "PodSyncError",
	KindNodeStageRequest:        "NodeStageRequest",
	KindNodePublishStarted:      "NodePublishStarted",
	KindNodePublishDone:         "NodePublishDone",
	KindContainerKilling:        "ContainerKilling",
}

// String returns the kind's stable name, e.g. "OwnershipWarning".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// KindByName returns the kind with the given String name.
func KindByName(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return Kind(k), true
		}
	}
	return KindUnknown, false
}
