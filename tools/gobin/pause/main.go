// Command pause is the sandbox ("pause") container of the test nodes: it holds
// a pod's namespaces and does nothing until it is signalled, like Kubernetes'
// own pause image, which cannot be pulled here (no container registry).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	// As PID 1 of a shared PID namespace it would inherit orphans; reap them.
	signal.Notify(signals, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			for {
				var status syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
