package walk

import (
	"net"
	"os/exec"
)

func net_listenUnix(path string) (*net.UnixListener, error) {
	return net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
}

func execCommand(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
