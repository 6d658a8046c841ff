package generated_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// generatedHeader is the line Go's tools recognise as marking a generated file
// (https://go.dev/s/generatedcode).
var generatedHeader = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// TestOnlyGeneratedCode: every Go file under generated/ but the tests is generated, and says so
// in a `// Code generated ... DO NOT EDIT.` line among its opening comments, so a reader (and
// every linter) knows not to edit it. Hand-written code belongs elsewhere: the request checking
// in internal/reqcheck, the generate directives in internal/generate.
func TestOnlyGeneratedCode(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		n++
		if !hasGeneratedHeader(t, path) {
			t.Errorf("generated/%s has no `// Code generated ... DO NOT EDIT.` line before its package clause", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("found %d generated files; the walk missed the generated code", n)
	}
}

// hasGeneratedHeader reports whether the file at path has the generated-code line before its
// first line that is neither blank nor a comment, where Go's convention puts it.
func hasGeneratedHeader(t *testing.T, path string) bool {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case generatedHeader.MatchString(line):
			return true
		case line != "" && !strings.HasPrefix(line, "//"):
			return false
		}
	}
	return false
}
