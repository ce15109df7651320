package kubelog_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

func ExampleParseLine() {
	line := `E0412 09:04:14.422118    2817 pod_workers.go:1301] "Error syncing pod, skipping" ` +
		`err="unmounted volumes=[runner-data], unattached volumes=[], failed to process ` +
		`volumes=[]: context deadline exceeded" pod="platform-ci/tfrunner-0" podUID="dc377f51"`
	ev, ok := kubelog.ParseLine([]byte(line), kubelog.Options{Year: 2026})
	fmt.Println(ok, ev.Kind, ev.Time.Format(time.RFC3339Nano))
	fmt.Println(ev.Pod.Namespace+"/"+ev.Pod.Name, ev.Volumes)
	// Output:
	// true VolumeWaitTimeout 2026-04-12T09:04:14.422118Z
	// platform-ci/tfrunner-0 [runner-data]
}

func ExampleReader() {
	log := `Sep 01 21:40:06 n containerd[1422]: time="2026-09-01T21:40:06.751200000Z" level=info ` +
		`msg="RunPodSandbox for &PodSandboxMetadata{Name:web-0,Uid:u,Namespace:shop,Attempt:0,} ` +
		`returns sandbox id \"d3bb\""` + "\n" +
		`Sep 01 21:40:06 n containerd[1422]: time="2026-09-01T21:40:06.951200000Z" level=info ` +
		`msg="CreateContainer within sandbox \"d3bb\" for container ` +
		`&ContainerMetadata{Name:app,Attempt:0,}"` + "\n"
	r := kubelog.NewReader(strings.NewReader(log), "node.log", kubelog.Options{})
	for {
		ev, ok := r.Next()
		if !ok {
			break
		}
		fmt.Println(ev.Src.Line, ev.Kind, ev.Component, ev.Pod.Name, ev.Detail)
	}
	// Output:
	// 1 SandboxCreated containerd web-0 d3bb
	// 2 ContainerCreating containerd web-0 app
}
