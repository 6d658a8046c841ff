// Package typescript holds a TypeScript project that checks openapi.yaml from another language:
// clients generated with pinned versions of openapi-typescript with openapi-fetch and of
// @hey-api/openapi-ts, type-checked with tsc --strict, run against the mock.
package typescript_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestTypeScriptClients runs with VERIFEYE_NODE=1 (CI sets it; it needs Node.js, npm and the npm
// registry): in a copy of this directory it installs the locked packages (npm ci), generates
// both clients from openapi.yaml, type-checks them and the flows with tsc --strict, and runs the
// flows (src/flow.ts, src/heyapi.ts) against a mock started here. The mock is reached through
// the conformance transport, so every request the generated clients send and every answer must
// match openapi.yaml.
func TestTypeScriptClients(t *testing.T) {
	if os.Getenv("VERIFEYE_NODE") != "1" {
		t.Skip("set VERIFEYE_NODE=1 to generate, type-check and run the TypeScript clients (needs npm)")
	}
	spec, err := filepath.Abs("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "tsconfig.json", "openapi-ts.config.mjs", "src/env.ts", "src/flow.ts", "src/heyapi.ts"} {
		copyFile(t, f, filepath.Join(dir, f))
	}
	env := append(os.Environ(), "VERIFEYE_OPENAPI="+spec, "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	run(t, dir, env, "npm", "ci")
	run(t, dir, env, "npm", "run", "generate")
	run(t, dir, env, "npx", "--no-install", "tsc", "-p", "tsconfig.json", "--strict")

	srv, err := mockserver.New(mockserver.Options{Version: "typescript-check"})
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(srv)
	defer backend.Close()
	tr, err := conformance.NewTransport(http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(backend.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = tr
	front := httptest.NewServer(proxy)
	defer front.Close()

	env = append(env, "VERIFEYE_URL="+front.URL, "VERIFEYE_API_KEY="+mockserver.DevAPIKey)
	run(t, dir, env, "node", "dist/flow.js")
	run(t, dir, env, "node", "dist/heyapi.js")
	for _, v := range tr.Violations() {
		t.Errorf("a generated client's exchange breaks openapi.yaml: %s", v)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a command in dir and fails the test with its output when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out.String())
	}
	t.Logf("%s %v:\n%s", name, args, out.String())
}
