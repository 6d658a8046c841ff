package generated_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// generatedFiles are the files the project's generators write from openapi.yaml, relative to the
// repository (mockery's mocks of the client, generated from Go rather than the spec, aside).
var generatedFiles = []string{"generated/verifeye.gen.go", "generated/openapidoc/openapidoc.gen.go", "internal/reqcheck/spec.gen.go"}

// regenerateCmd runs the spec's generators (those of `go generate ./...` but mockery).
var regenerateCmd = []string{"go", "generate", "-run", "oapi-codegen|requestspecgen", "./internal/generate", "./internal/reqcheck"}

// regenerate runs the spec's generators (regenerateCmd) on a copy of the inputs, after letting
// mutate change the spec, and returns what they write, by file.
func regenerate(t *testing.T, mutate func([]byte) []byte) map[string][]byte {
	t.Helper()
	if testing.Short() {
		t.Skip("regenerating code builds oapi-codegen; skipped in -short mode")
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "openapi.yaml", "oapi-codegen.yaml", "oapi-codegen-spec.yaml",
		"internal/generate/generate.go", "internal/reqcheck/doc.go", "internal/cmd/requestspecgen/main.go",
		"mockserver/control-openapi.yaml"} {
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
	for _, sub := range []string{"generated/openapidoc"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(regenerateCmd[0], regenerateCmd[1:]...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	out := map[string][]byte{}
	for _, name := range generatedFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}

func committed(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range generatedFiles {
		data, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}

// TestGeneratedCodeIsFresh fails when openapi.yaml, the control API's spec or a generator's
// configuration changed without `go generate ./...` (or `make generate`) being run.
func TestGeneratedCodeIsFresh(t *testing.T) {
	want := committed(t)
	for name, got := range regenerate(t, nil) {
		if !bytes.Equal(got, want[name]) {
			t.Errorf("%s is stale: run `make generate` and commit the result", name)
		}
	}
}

// TestStaleCheckNoticesSpecChange shows that the freshness check is not vacuous: a one-word change
// to a description changes the generated server and the embedded spec, and a changed bound
// changes the mock's compiled request rules.
func TestStaleCheckNoticesSpecChange(t *testing.T) {
	want := committed(t)
	for _, c := range []struct {
		from, to string
		changes  []string
	}{
		{"The id of the new verification.", "The identifier of the new verification.", []string{"generated/verifeye.gen.go", "generated/openapidoc/openapidoc.gen.go"}},
		{"          minimum: 1\n          maximum: 120\n", "          minimum: 1\n          maximum: 119\n", []string{"generated/openapidoc/openapidoc.gen.go", "internal/reqcheck/spec.gen.go"}},
	} {
		mutated := regenerate(t, func(spec []byte) []byte {
			if !bytes.Contains(spec, []byte(c.from)) {
				t.Fatalf("openapi.yaml no longer contains %q; pick another phrase", c.from)
			}
			return bytes.Replace(spec, []byte(c.from), []byte(c.to), 1)
		})
		for _, name := range c.changes {
			if bytes.Equal(mutated[name], want[name]) {
				t.Errorf("changing %q in openapi.yaml did not change %s; the freshness check would miss stale code", c.from, name)
			}
		}
	}
}
