//go:build !linux

package harness

import (
	"os"
	"syscall"
)

// sysProcAttr has no parent-death signal off Linux: there only Stop ends the servers.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(p *os.Process, sig syscall.Signal) {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		p.Signal(sig)
	}
}
