# Every target works on a machine with only Go (and, for lint-spec, Node.js with npm) installed:
# the Go tools are pinned with `tool` lines in go.mod and run with `go tool`.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_PACKAGES = $(shell go list ./... | grep -v -E '/generated(/mocks)?$$')
REDOCLY := npx --yes @redocly/cli@2.77.0
# the image's name; make docker-build tags it dev and $(VERSION), make image-local tags it local
IMAGE = verifeye-mock
IMAGE_LOCAL = $(IMAGE):local

.PHONY: generate check-generated build test lint lint-go lint-spec run

## generate: regenerate generated/ from openapi.yaml
generate:
	go generate ./...

## check-generated: fail when generated code is stale
check-generated:
	go generate ./...
	@git diff --exit-code --stat -- generated/ internal/reqcheck/spec.gen.go || { echo "generated/ is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- generated/ internal/reqcheck/spec.gen.go)" || { git status --porcelain -- generated/ internal/reqcheck/spec.gen.go; echo "generated/ has files that are not committed"; exit 1; }

## build: versioned binaries in bin/ (the release build, as the Docker image has them)
build: release-build

## release-build: bin/verifeye-mock and bin/verifeye-contract, static and stamped with $(VERSION);
## the Dockerfile runs this very go build, and internal/dockercheck fails when the two differ
release-build:
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/...

## docker-build: the $(IMAGE):dev image, also tagged $(IMAGE):$(VERSION), from the Dockerfile; needs a
## Docker engine with BuildKit (docker buildx) and a registry to pull golang and distroless from
docker-build:
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) -t $(IMAGE):dev -t $(IMAGE):$(VERSION) .

## image-local: the $(IMAGE):local image without a registry or BuildKit, for offline machines and
## CI: the release build and the Dockerfile's health check build (internal/dockercheck compares
## them), put on an empty base by internal/cmd/imagebuild with this machine's CA certificates and
## the Dockerfile's configuration, and loaded with docker load. IMAGE_LOCAL names it otherwise.
image-local: release-build
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/ ./docker/healthcheck
	go run ./internal/cmd/imagebuild --bin bin --tag $(IMAGE_LOCAL) --version $(VERSION) --revision $$(git rev-parse HEAD 2>/dev/null || echo unknown) --created $$(date -u +%Y-%m-%dT%H:%M:%SZ) --out bin/verifeye-mock-local.tar
	docker load -i bin/verifeye-mock-local.tar

## container-check: run the local image in Docker and check it for real: health check, non-root
## user, the contract suite against it, a webhook to this machine, --data-dir on a volume, and
## docker stop (needs a Docker engine; .ci/run starts one)
container-check:
	VERIFEYE_DOCKER=1 go test -count=1 -v -run '^TestContainer$$' ./internal/dockercheck/

## docker-check: check the Dockerfile, .dockerignore, health check and docs/ci workflows without Docker
## (CI runs the same tests in `go test ./...`); with a Docker engine, also BuildKit's lint: docker build --check
docker-check:
	go test -count=1 ./internal/dockercheck/ ./docker/...
	@if docker buildx version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then docker build --check .; else echo "docker-check: no Docker engine with BuildKit (buildx): skipped docker build --check"; fi

.PHONY: release-build docker-build image-local container-check docker-check

## test: the whole test suite, with the race detector (the README's test command)
test:
	go tool gotestsum -- -race -count=1 ./...

## lint: go vet, staticcheck (oapi-codegen's and mockery's output excluded) and the spec lint
lint: lint-go lint-spec

lint-go:
	go vet ./...
	go tool staticcheck $(GO_PACKAGES)

lint-spec:
	$(REDOCLY) lint --config redocly.yaml openapi.yaml mockserver/control-openapi.yaml

## run: start the mock on 127.0.0.1:8080
run:
	go run ./cmd/verifeye-mock

## screenshots: docs/dashboard.png, the dashboard with some traffic on it, taken by headless
## Chromium (apt-get install -y chromium)
.PHONY: screenshots
screenshots:
	VERIFEYE_BROWSER=1 VERIFEYE_SCREENSHOT=$(CURDIR)/docs/dashboard.png go test -count=1 -run '^TestDashboardScreenshot$$' ./mockserver/

## bench: the load benchmark, not part of `make test`: the real binary (default flags, info log)
## with state made through its API (100 and 20 verifications, a full verification and session
## result) against a bare net/http server replaying its answers byte for byte and, when npm is on
## PATH, Stoplight Prism (installed into bench/.prism); prints a table with the targets and writes
## bench/results/latest.json and latest.md. Pass more flags with BENCH_FLAGS (--quick: seconds).
.PHONY: bench
bench:
	go run ./bench/cmd/loadbench $(if $(shell command -v npm 2>/dev/null),--prism,) $(BENCH_FLAGS)
