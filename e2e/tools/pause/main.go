// Command pause is the e2e node's pod sandbox process: it holds the pod's namespaces, reaps any child it inherits,
// and exits on SIGTERM or SIGINT. No registry is reachable to pull registry.k8s.io/pause, so the harness builds this.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			return
		}
		// As PID 1 of a pod that shares its process namespace, orphans become its children.
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
