package testserver

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the kernel SIGKILL the server when the test binary dies
// (panic, timeout, ^C), so no orphaned server keeps a port or temp dir busy.
// Pdeathsig fires when the spawning OS thread exits; the Go runtime does not
// retire threads of unlocked goroutines, so in practice this is process life.
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
