# Every target works on a machine with only Go (and, for lint-spec, Node.js with npm) installed:
# the Go tools are pinned with `tool` lines in go.mod and run with `go tool`.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO_PACKAGES = $(shell go list ./... | grep -v /generated)
REDOCLY := npx --yes @redocly/cli@2.77.0

.PHONY: generate check-generated build test lint lint-go lint-spec run

## generate: regenerate generated/ from openapi.yaml
generate:
	go generate ./...

## check-generated: fail when generated code is stale
check-generated:
	go generate ./...
	@git diff --exit-code --stat -- generated/ || { echo "generated/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- generated/)" || { git status --porcelain -- generated/; echo "generated/ has files that are not committed"; exit 1; }

## build: versioned binaries in bin/
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

## test: the whole test suite, with the race detector (the README's test command)
test:
	go tool gotestsum -- -race -count=1 ./...

## lint: go vet, staticcheck (generated code excluded) and the spec lint
lint: lint-go lint-spec

lint-go:
	go vet ./...
	go tool staticcheck $(GO_PACKAGES)

lint-spec:
	$(REDOCLY) lint --config redocly.yaml openapi.yaml mockserver/control-openapi.yaml

## run: start the mock on 127.0.0.1:8080
run:
	go run ./cmd/verifeye-mock
