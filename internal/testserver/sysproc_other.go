//go:build !linux

package testserver

import "os/exec"

// bindToParent is a no-op where Pdeathsig is unavailable; servers are then
// only cleaned up by Stop.
func bindToParent(cmd *exec.Cmd) {}
