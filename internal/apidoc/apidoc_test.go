package apidoc

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestAPIDocListsTheExportedSurface fails when docs/api.md and the code
// disagree: an exported name added, removed or renamed without the listing
// (go run ./internal/apidoc/gen), or a section still waiting for its prose.
func TestAPIDocListsTheExportedSurface(t *testing.T) {
	text, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := Surface("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages; is the walk broken?", len(pkgs))
	}
	listed := Listed(string(text))
	for _, p := range pkgs {
		got, ok := listed[p.Path]
		if !ok {
			t.Errorf("docs/api.md has no section for %s", p.Path)
			continue
		}
		var want []string
		for _, n := range p.Names {
			want = append(want, n.Name)
		}
		for _, n := range want {
			if !slices.Contains(got, n) {
				t.Errorf("%s: %s is exported but not listed", p.Path, n)
			}
		}
		for _, n := range got {
			if !slices.Contains(want, n) {
				t.Errorf("%s: %s is listed but not exported", p.Path, n)
			}
		}
		delete(listed, p.Path)
	}
	for path := range listed {
		t.Errorf("docs/api.md has a section for %s, which is not a public package", path)
	}
	if strings.Contains(string(text), "TODO:") {
		t.Error("docs/api.md still has a TODO where a package's reasons belong")
	}
}

func TestRenderKeepsProseAndListsNames(t *testing.T) {
	pkgs := []Package{{Path: "m/a", Names: []Name{{Name: "A", Summary: "A is a."}, {Name: "T.M", Summary: "M does | things."}}}}
	first := Render("# API\n\nintro\n", pkgs)
	if !strings.Contains(first, "TODO:") || !strings.Contains(first, "| `T.M` | M does \\| things. |") {
		t.Fatalf("first render:\n%s", first)
	}
	edited := strings.Replace(first, "TODO: why this package exports what it does.", "Because.", 1)
	pkgs[0].Names = pkgs[0].Names[:1]
	second := Render(edited, pkgs)
	if !strings.Contains(second, "Because.") || strings.Contains(second, "T.M") || !strings.HasPrefix(second, "# API\n\nintro\n") {
		t.Fatalf("second render:\n%s", second)
	}
	if again := Render(second, pkgs); again != second {
		t.Fatalf("rendering twice changed the text:\n%s\nthen\n%s", second, again)
	}
	if got := Listed(second)["m/a"]; !slices.Equal(got, []string{"A"}) {
		t.Fatalf("Listed = %v", got)
	}
}
