package testserver

import (
	"fmt"
	"os/exec"
)

// lookBinary finds a server or tool in PATH. The error points at the script
// that installs the test dependencies, since that is the usual fix.
func lookBinary(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("testserver: %s not found in PATH (run scripts/install-deps.sh): %w", name, err)
	}
	return p, nil
}
