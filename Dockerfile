# syntax=docker/dockerfile:1

# The verifeye-mock image: the offline VerifEye Service API mock, listening on 0.0.0.0:8080.
#
#   make docker-build                 # or:
#   docker build --build-arg VERSION=1.2.3 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t verifeye-mock:1.2.3 .
#   docker run --rm -p 8080:8080 verifeye-mock:1.2.3 --seed 1 --auto-complete pass
#
# Arguments after the image name are the mock's flags; every flag also has a VERIFEYE_MOCK_*
# environment variable (docker run -e VERIFEYE_MOCK_SEED=1 ...). The contract suite is in the
# image too: docker run --rm --entrypoint /verifeye-contract verifeye-mock:1.2.3 --target mock
#
# It needs BuildKit (FROM --platform, RUN --mount) and a registry to pull from. Offline,
# `make image-local` assembles the same image without either (internal/imagebuild).
#
# internal/dockercheck parses this file: it fails when the go build below differs from the
# Makefile's release-build, when the final stage loses its non-root user, exec-form health check,
# labels or environment, or when the configuration of make image-local's image differs from this
# file's. With VERIFEYE_DOCKER=1 (CI sets it) it also runs make image-local's image in Docker.

# VERSION is stamped into both binaries (their --version) and the image's version label.
ARG VERSION=dev
# REVISION is the commit the image is built from, for its revision label.
ARG REVISION=unknown
# CREATED is the time of the build (RFC 3339), for its created label.
ARG CREATED=unknown

# It runs on the builder's own platform and compiles for the target's, so that a multi-platform
# build (docker buildx build --platform linux/amd64,linux/arm64) needs no emulation.
# build compiles the binaries and the health check; only they go into the image.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION
ENV GOOS=$TARGETOS GOARCH=$TARGETARCH
WORKDIR /src

# The modules first, in a layer of their own that stays cached until go.mod or go.sum changes.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# The Makefile's release-build, flag for flag (internal/dockercheck compares them).
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o bin/ ./cmd/...
# The health check: the final image has no shell and no curl to probe the mock with.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/ ./docker/healthcheck

# distroless/static rather than scratch: it has CA certificates (verifeye-contract --target eu
# speaks HTTPS to the live API), /etc/passwd with the nonroot user, tzdata and a writable /tmp,
# and still no shell or package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
ARG REVISION
ARG CREATED
LABEL org.opencontainers.image.title="verifeye-mock" \
      org.opencontainers.image.description="Offline, stateful mock of Realeyes' VerifEye Service API, with the contract suite" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/verifeye-twin/verifeye" \
      org.opencontainers.image.url="https://github.com/verifeye-twin/verifeye" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY --from=build /src/bin/verifeye-mock /src/bin/verifeye-contract /src/bin/healthcheck /

# Listen on every interface of the container, not its loopback, so that -p 8080:8080 reaches it.
ENV VERIFEYE_MOCK_ADDR=0.0.0.0:8080
EXPOSE 8080

# distroless's nonroot user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532

HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/healthcheck"]

ENTRYPOINT ["/verifeye-mock"]
