package valcache

import (
	"os/exec"
	"strings"
	"testing"
)

// The root package links no zstd implementation: only programs that build a
// zstd.Transformer pay for it (docs/transformers.md).
func TestRootLinksNoZstd(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the package's dependencies")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "klauspost/compress") || dep == "github.com/valcache/valcache/transform/zstd" {
			t.Errorf("the root package depends on %s", dep)
		}
	}
}
