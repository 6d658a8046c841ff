package codeshape

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxFuncLines = 80  // from the func keyword to the closing brace
	maxFileLines = 600 // house style: split a file by resource before it passes ~600 lines
)

// longFuncsAllowed names the functions that may run longer than maxFuncLines, as
// "path/from/module/root.go:Func" (methods as "Type.Method"), each with why. Package contract's
// init functions are allowed separately: they are the scenario tables.
var longFuncsAllowed = map[string]string{
	// The fixture set itself: one literal per verification, session and subject of the demo
	// data, read as a table; splitting it would scatter one data set over several functions.
	"fixtures/internal/gen/main.go:build": "a table of fixtures",
}

// TestFunctionsAndFilesAreShort parses every .go file of the module's own packages but tests and
// generated files, and fails naming each function over maxFuncLines lines and each file over
// maxFileLines lines.
func TestFunctionsAndFilesAreShort(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	checked := 0
	stillLong := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || hasGoMod(path)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if n := fset.Position(f.FileEnd).Line; n > maxFileLines {
			t.Errorf("%s: %d lines, more than %d: split it by concept", rel, n, maxFileLines)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if n <= maxFuncLines {
				continue
			}
			name := funcName(fn)
			if f.Name.Name == "contract" && name == "init" {
				continue // a table of scenarios
			}
			if _, ok := longFuncsAllowed[rel+":"+name]; ok {
				stillLong[rel+":"+name] = true
				continue
			}
			t.Errorf("%s: func %s is %d lines, more than %d: split it by concept", rel, name, n, maxFuncLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range longFuncsAllowed {
		if !stillLong[name] {
			t.Errorf("%s is no longer over %d lines (or is gone): remove it from longFuncsAllowed", name, maxFuncLines)
		}
	}
	// The walk must have reached the module's code, or the test proves nothing.
	if checked < 50 {
		t.Fatalf("checked %d files under %s; expected the module's packages", checked, root)
	}
}

// funcName is fn's name, "Type.Method" for a method.
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	typ := fn.Recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
			continue
		case *ast.IndexExpr:
			typ = x.X
			continue
		case *ast.IndexListExpr:
			typ = x.X
			continue
		case *ast.Ident:
			return x.Name + "." + fn.Name.Name
		}
		return fn.Name.Name
	}
}

// moduleRoot is the directory of the module's go.mod, two levels above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(b), "module github.com/verifeye-twin/verifeye\n") {
		t.Fatalf("%s is not the module's root: %v", root, err)
	}
	return root
}

func hasGoMod(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}
