// Package imagebuild assembles the verifeye-mock container image without a container registry:
// the release binaries on an empty base, with what the published image's distroless base gives
// it (CA certificates, /etc/passwd and /etc/group with the nonroot user, a writable /tmp and the
// nonroot user's home) and the configuration of the Dockerfile's final stage. `make image-local`
// runs it through internal/cmd/imagebuild and loads the result with `docker load`.
//
// The Dockerfile stays the reference for machines that can pull its base images; the tests of
// internal/dockercheck hold Config equal to the configuration the Dockerfile gives, and run the
// image in a real Docker engine when one is there.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The paths of the image's files, as the Dockerfile's final stage puts them.
const (
	MockBinary     = "/verifeye-mock"
	ContractBinary = "/verifeye-contract"
	HealthBinary   = "/healthcheck"
	// CACertsFile is where Go's crypto/x509 (and distroless's SSL_CERT_FILE) finds the CA bundle,
	// which webhooks to https receivers and verifeye-contract --target eu need.
	CACertsFile = "/etc/ssl/certs/ca-certificates.crt"
)

// The nonroot user of distroless, which the published image runs as; by number, so that
// Kubernetes' runAsNonRoot can verify it.
const (
	NonrootUID  = 65532
	NonrootHome = "/home/nonroot"
)

// distrolessEnv is the environment the published image inherits from
// gcr.io/distroless/static-debian12:nonroot (its base.bzl sets PATH and SSL_CERT_FILE).
var distrolessEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SSL_CERT_FILE=" + CACertsFile,
}

// Labels are the values of the image's OCI labels that change from build to build; the
// Dockerfile takes them as the build args VERSION, REVISION and CREATED.
type Labels struct {
	Version  string
	Revision string
	Created  string // RFC 3339, or "unknown"
}

// Config returns the image's configuration: the Dockerfile's final stage over the configuration
// of its distroless base. internal/dockercheck fails when the two part.
func Config(l Labels) v1.Config {
	return v1.Config{
		User:       fmt.Sprintf("%d:%d", NonrootUID, NonrootUID),
		WorkingDir: NonrootHome, // distroless's nonroot variant; the Dockerfile sets none
		Entrypoint: []string{MockBinary},
		Env:        append(slices.Clone(distrolessEnv), "VERIFEYE_MOCK_ADDR=0.0.0.0:8080"),
		ExposedPorts: map[string]struct{}{
			"8080/tcp": {},
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "verifeye-mock",
			"org.opencontainers.image.description": "Offline, stateful mock of Realeyes' VerifEye Service API, with the contract suite",
			"org.opencontainers.image.version":     l.Version,
			"org.opencontainers.image.revision":    l.Revision,
			"org.opencontainers.image.created":     l.Created,
			"org.opencontainers.image.source":      "https://github.com/verifeye-twin/verifeye",
			"org.opencontainers.image.url":         "https://github.com/verifeye-twin/verifeye",
			"org.opencontainers.image.licenses":    "Apache-2.0",
		},
		Healthcheck: &v1.HealthConfig{
			Test:        []string{"CMD", HealthBinary},
			Interval:    10 * time.Second,
			Timeout:     3 * time.Second,
			StartPeriod: 2 * time.Second,
			Retries:     3,
		},
	}
}

// Options say what goes into the image.
type Options struct {
	// Binaries maps each of MockBinary, ContractBinary and HealthBinary to the file on this
	// machine that is copied there (the release build's bin/ files).
	Binaries map[string]string
	// CACerts is the CA bundle copied to CACertsFile: this machine's, such as Debian's
	// /etc/ssl/certs/ca-certificates.crt from the ca-certificates package.
	CACerts string
	Labels  Labels
	// OS and Arch are the platform the binaries were built for.
	OS, Arch string
}

// Image assembles the image: one layer with the files, and Config.
func Image(o Options) (v1.Image, error) {
	for _, p := range []string{MockBinary, ContractBinary, HealthBinary} {
		if o.Binaries[p] == "" {
			return nil, fmt.Errorf("no file for %s", p)
		}
	}
	if len(o.Binaries) != 3 {
		return nil, fmt.Errorf("binaries %v: want exactly %s, %s and %s", o.Binaries, MockBinary, ContractBinary, HealthBinary)
	}
	if o.OS == "" || o.Arch == "" {
		return nil, fmt.Errorf("platform %q/%q: want both", o.OS, o.Arch)
	}
	// the Dockerfile's CREATED defaults to "unknown"; the image then gets the Unix epoch, the
	// time reproducible builds use
	created := time.Unix(0, 0).UTC()
	switch c := o.Labels.Created; c {
	case "", "unknown":
	default:
		t, err := time.Parse(time.RFC3339, c)
		if err != nil {
			return nil, fmt.Errorf("created %q: want RFC 3339, such as 2006-01-02T15:04:05Z, or unknown", c)
		}
		created = t.UTC()
	}
	layerTar, err := rootfs(o, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: o.Arch,
		OS:           o.OS,
		Created:      v1.Time{Time: created},
		Config:       Config(o.Labels),
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "verifeye imagebuild: the release binaries, CA certificates and the nonroot user",
		},
	})
}

// WriteTarball writes img, tagged tag, as a `docker save` archive that `docker load` reads.
func WriteTarball(w io.Writer, img v1.Image, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("tag %q: %w", tag, err)
	}
	return tarball.Write(ref, img, w)
}

// An entry is one file or directory of the image.
type entry struct {
	path string // absolute
	mode int64  // permission bits, with the sticky bit for /tmp
	uid  int
	dir  bool
	body []byte
}

// rootfs is the layer's tar: the files of the distroless base that the mock and its users rely
// on, and the binaries. Every entry has the time created, so that the same inputs give the same
// layer.
func rootfs(o Options, created time.Time) ([]byte, error) {
	certs, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("the CA certificates: %w", err)
	}
	if !bytes.Contains(certs, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("the CA certificates: %s has no PEM certificate", o.CACerts)
	}
	entries := []entry{
		{path: "/etc", mode: 0o755, dir: true},
		// distroless's users and groups: root, nobody and nonroot, none with a shell
		{path: "/etc/passwd", mode: 0o644, body: []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
			fmt.Sprintf("nonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", NonrootUID, NonrootUID, NonrootHome))},
		{path: "/etc/group", mode: 0o644, body: []byte("root:x:0:\nnobody:x:65534:\n" +
			fmt.Sprintf("nonroot:x:%d:\n", NonrootUID))},
		{path: "/etc/ssl", mode: 0o755, dir: true},
		{path: "/etc/ssl/certs", mode: 0o755, dir: true},
		{path: CACertsFile, mode: 0o644, body: certs},
		{path: "/home", mode: 0o755, dir: true},
		// the working directory, the nonroot user's own: a volume mounted here starts out
		// writable by it, so --data-dir can live under it
		{path: NonrootHome, mode: 0o700, uid: NonrootUID, dir: true},
		{path: "/root", mode: 0o700, dir: true},
		{path: "/tmp", mode: 0o1777, dir: true},
	}
	for _, p := range slices.Sorted(maps.Keys(o.Binaries)) {
		b, err := os.ReadFile(o.Binaries[p])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		entries = append(entries, entry{path: p, mode: 0o755, body: b})
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    strings.TrimPrefix(e.path, "/"),
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.uid,
			ModTime: created,
		}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if path.Clean("/"+h.Name) != e.path {
			return nil, fmt.Errorf("entry %q: not a clean absolute path", e.path)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
