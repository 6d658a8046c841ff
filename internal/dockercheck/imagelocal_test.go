package dockercheck

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/verifeye-twin/verifeye/internal/imagebuild"
)

// distrolessNonroot is the configuration the published image inherits from its base,
// gcr.io/distroless/static-debian12:nonroot, as distroless's base/base.bzl sets it for the
// nonroot variant: user 65532, working directory /home/nonroot, PATH and SSL_CERT_FILE. No
// entrypoint, command, label, port or health check.
var distrolessNonroot = imageConfig{
	User:       "65532",
	WorkingDir: "/home/nonroot",
	Env: []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	},
	Labels: map[string]string{},
}

// imageConfig is what a container gets from its image's configuration, in a form both images'
// can be compared in.
type imageConfig struct {
	User         string
	WorkingDir   string
	Entrypoint   []string
	Cmd          []string
	Env          []string // KEY=value, in order
	ExposedPorts []string // sorted, with the protocol: 8080/tcp
	Labels       map[string]string
	Healthcheck  *v1.HealthConfig
}

// dockerfileConfig returns the configuration of the image the Dockerfile builds with buildArgs:
// its base's, with the final stage's instructions applied as Docker applies them.
func dockerfileConfig(t *testing.T, d *dockerfile) imageConfig {
	t.Helper()
	final := d.final
	var c imageConfig
	switch {
	case final.BaseName == "scratch":
		c = imageConfig{Labels: map[string]string{}}
	case regexp.MustCompile(`^gcr\.io/distroless/static(-debian\d+)?:nonroot(@sha256:[0-9a-f]{64})?$`).MatchString(final.BaseName):
		c = distrolessNonroot
		c.Env = slices.Clone(c.Env)
		c.Labels = maps.Clone(c.Labels)
	default:
		t.Fatalf("the final stage is FROM %s, whose configuration this test does not know: teach it distrolessNonroot's like", final.BaseName)
	}
	for _, cmd := range final.Commands {
		switch cmd := cmd.(type) {
		case *instructions.UserCommand:
			c.User = final.user
		case *instructions.WorkdirCommand:
			c.WorkingDir = final.workdir
		case *instructions.EnvCommand:
			for _, kv := range cmd.Env {
				v := kv.Key + "=" + final.env[kv.Key]
				if i := slices.IndexFunc(c.Env, func(e string) bool { return strings.HasPrefix(e, kv.Key+"=") }); i >= 0 {
					c.Env[i] = v
				} else {
					c.Env = append(c.Env, v)
				}
			}
		case *instructions.EntrypointCommand:
			c.Entrypoint = cmd.CmdLine
			if cmd.PrependShell {
				c.Entrypoint = append([]string{"/bin/sh", "-c"}, cmd.CmdLine...)
			}
			c.Cmd = nil // an ENTRYPOINT resets the base's CMD
		case *instructions.CmdCommand:
			c.Cmd = cmd.CmdLine
			if cmd.PrependShell {
				c.Cmd = append([]string{"/bin/sh", "-c"}, cmd.CmdLine...)
			}
		}
	}
	for _, p := range final.expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		c.ExposedPorts = append(c.ExposedPorts, p)
	}
	slices.Sort(c.ExposedPorts)
	maps.Copy(c.Labels, final.labels)
	if h := final.health; h != nil && h.Health != nil {
		c.Healthcheck = &v1.HealthConfig{Test: h.Health.Test, Interval: h.Health.Interval, Timeout: h.Health.Timeout,
			StartPeriod: h.Health.StartPeriod, Retries: h.Health.Retries}
		if h.Health.StartInterval != 0 {
			t.Errorf("HEALTHCHECK --start-interval=%v: the local image's configuration (go-containerregistry's) has no such field", h.Health.StartInterval)
		}
	}
	return c
}

// localConfig is the configuration internal/imagebuild writes, in the same form.
func localConfig(c v1.Config) imageConfig {
	out := imageConfig{User: c.User, WorkingDir: c.WorkingDir, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
		Env: c.Env, Labels: c.Labels, Healthcheck: c.Healthcheck}
	out.ExposedPorts = slices.Sorted(maps.Keys(c.ExposedPorts))
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	return out
}

// TestLocalImageConfig holds the image `make image-local` assembles (internal/imagebuild) equal
// to the one the Dockerfile builds: the same user, working directory, entrypoint and command,
// environment, exposed ports, labels (for the same VERSION, REVISION and CREATED) and health
// check.
func TestLocalImageConfig(t *testing.T) {
	d := loadDockerfile(t)
	if d.final == nil {
		t.Fatal("Dockerfile: no stage")
	}
	want := dockerfileConfig(t, d)
	got := localConfig(imagebuild.Config(imagebuild.Labels{
		Version: buildArgs["VERSION"], Revision: buildArgs["REVISION"], Created: buildArgs["CREATED"],
	}))
	// the checks below compare every field: a new one must be added to both sides
	if n := reflect.TypeFor[imageConfig]().NumField(); n != 8 {
		t.Fatalf("imageConfig has %d fields, the checks below compare 8", n)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"user", got.User, want.User},
		{"working directory", got.WorkingDir, want.WorkingDir},
		{"entrypoint", got.Entrypoint, want.Entrypoint},
		{"command", got.Cmd, want.Cmd},
		{"environment", got.Env, want.Env},
		{"exposed ports", got.ExposedPorts, want.ExposedPorts},
		{"labels", got.Labels, want.Labels},
		{"health check", fmt.Sprintf("%+v", deref(got.Healthcheck)), fmt.Sprintf("%+v", deref(want.Healthcheck))},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: internal/imagebuild writes %q, the Dockerfile (over %s) gives %q", f.name, f.got, d.final.BaseName, f.want)
		}
	}
	if got.Healthcheck == nil || len(got.Healthcheck.Test) == 0 {
		t.Error("the local image has no health check")
	}
}

func deref(h *v1.HealthConfig) v1.HealthConfig {
	if h == nil {
		return v1.HealthConfig{}
	}
	return *h
}

// TestImageLocalBuilds checks that `make image-local` compiles what the Dockerfile's build stage
// compiles, flag for flag: the release build (through release-build) and the health check.
func TestImageLocalBuilds(t *testing.T) {
	d := loadDockerfile(t)
	builds := makeBuildsOf(t, "image-local")
	for _, want := range [][]string{{"./cmd/..."}, {"./docker/healthcheck"}} {
		if !slices.ContainsFunc(builds, func(b goBuild) bool { return slices.Equal(b.pkgs, want) }) {
			t.Errorf("make image-local runs no go build of %q (it runs %q)", want, builds)
		}
	}
	for _, mb := range builds {
		var same []dockerBuild
		for _, b := range d.builds {
			if slices.Equal(b.pkgs, mb.pkgs) {
				same = append(same, b)
			}
		}
		if len(same) != 1 {
			t.Errorf("make image-local runs %q; the Dockerfile has %d go build of %q, want exactly 1", mb, len(same), mb.pkgs)
			continue
		}
		for _, diff := range diffBuilds(same[0].withMakeVars(), mb, "Dockerfile", "Makefile") {
			t.Errorf("%s\n\tDockerfile: %s\n\tMakefile:   %s", diff, same[0], mb)
		}
	}
}

// TestReadmeImageTags checks that every image the README's Docker section runs is one a make
// target it shows builds.
func TestReadmeImageTags(t *testing.T) {
	_, section, ok := strings.Cut(string(readFile(t, "README.md")), "\n## Docker\n")
	if !ok {
		t.Fatal(`README.md has no "## Docker" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	mk := parseMakefile(readFile(t, "Makefile"))
	tags := map[string]string{} // image → the make target that builds it
	for _, target := range regexp.MustCompile("make ([a-z-]+)").FindAllStringSubmatch(section, -1) {
		for _, line := range mk.recipeOf(target[1], "VERSION") {
			for _, m := range regexp.MustCompile(`(?:^|\s)(?:-t|--tag)[ =](\S+)`).FindAllStringSubmatch(line, -1) {
				tags[m[1]] = target[1]
			}
		}
	}
	if len(tags) == 0 {
		t.Fatal("no make target the Docker section shows tags an image")
	}
	runs := regexp.MustCompile(`docker run [^\n]*?(verifeye-mock:\S+)`).FindAllStringSubmatch(section, -1)
	if len(runs) == 0 {
		t.Fatal("the Docker section runs no verifeye-mock image")
	}
	for _, r := range runs {
		if _, ok := tags[r[1]]; !ok {
			t.Errorf("the README runs %s, which none of the make targets it shows builds (they tag %v)", r[1], slices.Sorted(maps.Keys(tags)))
		}
	}
}
