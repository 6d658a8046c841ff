package imagebuild

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// options writes stand-ins for the binaries and a CA bundle into a temporary directory.
func options(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return Options{
		Binaries: map[string]string{
			MockBinary:     write("verifeye-mock", "mock binary"),
			ContractBinary: write("verifeye-contract", "contract binary"),
			HealthBinary:   write("healthcheck", "health binary"),
		},
		CACerts: write("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
		Labels:  Labels{Version: "1.2.3", Revision: "abc", Created: "2001-02-03T04:05:06Z"},
		OS:      "linux", Arch: "amd64",
	}
}

type file struct {
	mode     int64
	uid, gid int
	dir      bool
	body     string
}

// TestImage writes an image to a `docker save` archive, reads it back as `docker load` would,
// and checks its configuration and every file of its layer.
func TestImage(t *testing.T) {
	o := options(t)
	img, err := Image(o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTarball(&buf, img, "verifeye-mock:test"); err != nil {
		t.Fatal(err)
	}
	archive := buf.Bytes()
	tag := "index.docker.io/library/verifeye-mock:test" // the archive's RepoTags, as docker load reads them
	back, err := tarball.Image(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(archive)), nil }, nil)
	if err != nil {
		t.Fatalf("read the archive back: %v", err)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(archive)), nil })
	if err != nil || len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != strings.TrimPrefix(tag, "index.docker.io/library/") {
		t.Errorf("the archive's manifest: %+v (%v), want one image tagged verifeye-mock:test", m, err)
	}

	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if want := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC); !cf.Created.Time.Equal(want) {
		t.Errorf("created %v, want %v", cf.Created.Time, want)
	}
	if !reflect.DeepEqual(cf.Config, Config(o.Labels)) {
		t.Errorf("config %+v, want %+v", cf.Config, Config(o.Labels))
	}

	layers, err := back.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = file{mode: h.Mode, uid: h.Uid, gid: h.Gid, dir: h.Typeflag == tar.TypeDir, body: string(b)}
		if !h.ModTime.Equal(cf.Created.Time) {
			t.Errorf("%s: mtime %v, want the image's created time", h.Name, h.ModTime)
		}
	}
	certs, _ := os.ReadFile(o.CACerts)
	want := map[string]file{
		"etc/":                              {mode: 0o755, dir: true},
		"etc/passwd":                        {mode: 0o644, body: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
		"etc/group":                         {mode: 0o644, body: "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"},
		"etc/ssl/":                          {mode: 0o755, dir: true},
		"etc/ssl/certs/":                    {mode: 0o755, dir: true},
		"etc/ssl/certs/ca-certificates.crt": {mode: 0o644, body: string(certs)},
		"home/":                             {mode: 0o755, dir: true},
		"home/nonroot/":                     {mode: 0o700, uid: 65532, gid: 65532, dir: true},
		"root/":                             {mode: 0o700, dir: true},
		"tmp/":                              {mode: 0o1777, dir: true},
		"verifeye-mock":                     {mode: 0o755, body: "mock binary"},
		"verifeye-contract":                 {mode: 0o755, body: "contract binary"},
		"healthcheck":                       {mode: 0o755, body: "health binary"},
	}
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("the layer has no %s", name)
		} else if g != w {
			t.Errorf("%s: %+v, want %+v", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the layer has %s, which it should not", name)
		}
	}
}

func TestImageRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"a binary missing", func(o *Options) { delete(o.Binaries, HealthBinary) }, "no file for /healthcheck"},
		{"another binary", func(o *Options) { o.Binaries["/sh"] = o.Binaries[MockBinary] }, "want exactly"},
		{"a binary that is not there", func(o *Options) { o.Binaries[MockBinary] = "/nonexistent/verifeye-mock" }, "/verifeye-mock: open"},
		{"no CA bundle", func(o *Options) { o.CACerts = "/nonexistent/ca.crt" }, "the CA certificates"},
		{"a CA bundle without a certificate", func(o *Options) {
			o.CACerts = o.Binaries[MockBinary]
		}, "has no PEM certificate"},
		{"a created time that is not RFC 3339", func(o *Options) { o.Labels.Created = "yesterday" }, "want RFC 3339"},
		{"no platform", func(o *Options) { o.Arch = "" }, "want both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(t)
			tc.change(&o)
			_, err := Image(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Image: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestImageUnknownCreated: the Dockerfile's CREATED defaults to "unknown"; the label keeps it
// and the image's time is the Unix epoch.
func TestImageUnknownCreated(t *testing.T) {
	o := options(t)
	o.Labels.Created = "unknown"
	img, err := Image(o)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Created.Unix() != 0 || cf.Config.Labels["org.opencontainers.image.created"] != "unknown" {
		t.Errorf("created %v, label %q; want the epoch and unknown", cf.Created.Time, cf.Config.Labels["org.opencontainers.image.created"])
	}
}
