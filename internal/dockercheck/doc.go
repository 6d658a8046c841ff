// Package dockercheck holds the tests that stand in for a Docker engine in CI, which has none:
// they parse the repository's Dockerfile with BuildKit's own parser and linter, and check it
// against the Makefile (the same release go build), the .dockerignore (nothing the build needs is
// left out of the context), the health check and the example CI workflows in docs/ci (they build
// the binaries from a pinned checkout of this repository, and every binary and flag they use
// exists). The package has no code of its own; run it with `make docker-check` or
// `go test ./internal/dockercheck/`.
package dockercheck
