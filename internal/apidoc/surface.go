// Package apidoc computes the module's exported surface, so that docs/api.md
// can list every exported name and a test can tell when the two disagree.
package apidoc

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Module is the import path of the module's root package.
const Module = "github.com/valcache/valcache"

// Name is one exported identifier: a package-level name, or Type.Method for
// a method (interface methods included) of an exported type.
type Name struct {
	Name    string
	Summary string // the first sentence of its doc comment
}

// Package is the exported surface of one importable package.
type Package struct {
	Path    string // import path
	Summary string // first sentence of the package doc
	Names   []Name
}

// Surface reads every non-internal, non-main package under root (the
// module's directory), skipping test files, bench and examples.
func Surface(root string) ([]Package, error) {
	var pkgs []Package
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "internal" ||
			base == "cmd" || base == "examples" || rel == "bench") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil && rel != "." {
			return filepath.SkipDir // another module
		}
		pkg, ok, err := readPackage(p, rel)
		if err != nil {
			return err
		}
		if ok {
			pkgs = append(pkgs, pkg)
		}
		return nil
	})
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, err
}

func readPackage(dir, rel string) (Package, bool, error) {
	fset := token.NewFileSet()
	parsed, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		return Package{}, false, err
	}
	path := Module
	if rel != "." {
		path += "/" + rel
	}
	for name, p := range parsed {
		if name == "main" {
			continue
		}
		files := make([]*ast.File, 0, len(p.Files))
		for _, f := range p.Files {
			files = append(files, f)
		}
		dp, err := doc.NewFromFiles(fset, files, path)
		if err != nil {
			return Package{}, false, err
		}
		return describe(dp), true, nil
	}
	return Package{}, false, nil
}

func describe(dp *doc.Package) Package {
	out := Package{Path: dp.ImportPath, Summary: dp.Synopsis(dp.Doc)}
	add := func(name, text string) {
		out.Names = append(out.Names, Name{Name: name, Summary: dp.Synopsis(text)})
	}
	// A name in a group says what it is in its own comment (above it or
	// after it on its line); the group's comment stands for the rest.
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, spec := range v.Decl.Specs {
				vs, ok := spec.(*ast.ValueSpec)
				if !ok {
					continue
				}
				text := firstText(vs.Doc, vs.Comment)
				if text == "" {
					text = v.Doc
				}
				for _, n := range vs.Names {
					if n.IsExported() {
						add(n.Name, text)
					}
				}
			}
		}
	}
	funcs := func(prefix string, fs []*doc.Func) {
		for _, f := range fs {
			add(prefix+f.Name, f.Doc)
		}
	}
	values(dp.Consts)
	values(dp.Vars)
	funcs("", dp.Funcs)
	for _, t := range dp.Types {
		add(t.Name, t.Doc)
		values(t.Consts)
		values(t.Vars)
		funcs("", t.Funcs)
		funcs(t.Name+".", t.Methods)
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			it, ok := ts.Type.(*ast.InterfaceType)
			if !ok {
				continue
			}
			for _, m := range it.Methods.List {
				for _, n := range m.Names {
					if n.IsExported() {
						add(t.Name+"."+n.Name, firstText(m.Doc, m.Comment))
					}
				}
			}
		}
	}
	sort.Slice(out.Names, func(i, j int) bool { return out.Names[i].Name < out.Names[j].Name })
	return out
}

// firstText is the text of the first of the comments that has any.
func firstText(groups ...*ast.CommentGroup) string {
	for _, g := range groups {
		if t := g.Text(); t != "" {
			return t
		}
	}
	return ""
}
