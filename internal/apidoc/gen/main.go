// Command gen rewrites the generated lists of docs/api.md from the module's
// exported surface. Run it from the module root: go run ./internal/apidoc/gen
package main

import (
	"log"
	"os"

	"github.com/valcache/valcache/internal/apidoc"
)

func main() {
	const file = "docs/api.md"
	text, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		log.Fatal(err)
	}
	pkgs, err := apidoc.Surface(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(apidoc.Render(string(text), pkgs)), 0o644); err != nil {
		log.Fatal(err)
	}
}
