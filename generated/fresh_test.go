package generated_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// regenerate runs the project's one generate command (`go generate ./generated`) on a copy of the
// inputs, after letting mutate change the spec, and returns what it writes.
func regenerate(t *testing.T, mutate func([]byte) []byte) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("regenerating code builds oapi-codegen; skipped in -short mode")
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "openapi.yaml", "oapi-codegen.yaml", "generated/generate.go"} {
		data, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "openapi.yaml" && mutate != nil {
			data = mutate(data)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "generate", "./generated")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	out, err := os.ReadFile(filepath.Join(dir, "generated", "verifeye.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGeneratedCodeIsFresh fails when openapi.yaml or oapi-codegen.yaml changed without
// `go generate ./...` (or `make generate`) being run.
func TestGeneratedCodeIsFresh(t *testing.T) {
	committed, err := os.ReadFile("verifeye.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(regenerate(t, nil), committed) {
		t.Fatal("generated/verifeye.gen.go is stale: run `make generate` and commit the result")
	}
}

// TestStaleCheckNoticesSpecChange shows that the freshness check is not vacuous: a one-word change
// to a description in the spec changes the generated code.
func TestStaleCheckNoticesSpecChange(t *testing.T) {
	committed, err := os.ReadFile("verifeye.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	const from, to = "The id of the new verification.", "The identifier of the new verification."
	mutated := regenerate(t, func(spec []byte) []byte {
		if !bytes.Contains(spec, []byte(from)) {
			t.Fatalf("openapi.yaml no longer contains %q; pick another phrase", from)
		}
		return bytes.Replace(spec, []byte(from), []byte(to), 1)
	})
	if bytes.Equal(mutated, committed) {
		t.Fatal("changing openapi.yaml did not change the generated code; the freshness check would miss stale code")
	}
}
