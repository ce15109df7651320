// Package publish holds the record the test CSI node plugin keeps of each NodePublishVolume
// call, one JSON object a line, shared by the plugin (which writes it) and the cluster harness
// (which reads it).
package publish

// Request is one NodePublishVolume call as the plugin received it.
type Request struct {
	VolumeID   string `json:"volumeID"`
	TargetPath string `json:"targetPath"`
	Source     string `json:"source"`
	ReadOnly   bool   `json:"readOnly"`
	FSType     string `json:"fsType"`
	AccessMode string `json:"accessMode"`
	// VolumeMountGroup is the fsGroup the kubelet delegated to the driver, "" when none.
	VolumeMountGroup string `json:"volumeMountGroup"`
}
