package dockercheck

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// What the image must be.
const (
	mockBinary   = "/verifeye-mock"
	healthBinary = "/healthcheck"
	mockPort     = "8080"
	mockAddrEnv  = "VERIFEYE_MOCK_ADDR"
	mockAddr     = "0.0.0.0:" + mockPort
)

// buildArgs are the --build-arg values the checks evaluate the Dockerfile with, and autoArgs the
// ones BuildKit gives every build (for a linux/arm64 image built on linux/amd64).
var (
	buildArgs = map[string]string{"VERSION": "9.9.9-dockercheck", "REVISION": "0123456789abcdef", "CREATED": "2001-02-03T04:05:06Z"}
	autoArgs  = map[string]string{
		"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64",
		"TARGETPLATFORM": "linux/arm64", "TARGETOS": "linux", "TARGETARCH": "arm64",
	}
)

// A dockerfile is the parsed Dockerfile with each stage evaluated the way BuildKit would, for
// buildArgs.
type dockerfile struct {
	warnings []string // the parser's and the linter's
	stages   []*stage
	final    *stage
	builds   []dockerBuild // every go build of every RUN
	escape   rune
}

type stage struct {
	instructions.Stage
	env        map[string]string // ARG and ENV values in effect at the end of the stage
	workdir    string
	labels     map[string]string // expanded
	undeclared []string          // "INSTRUCTION uses $X": variables used but not declared
	user       string            // the last USER; "" when there is none
	expose     []string
	health     *instructions.HealthCheckCommand
	entrypoint *instructions.EntrypointCommand
	copies     []copyAt
	runs       []*instructions.RunCommand
}

// A copyAt is a COPY with the stage's WORKDIR when it runs.
type copyAt struct {
	*instructions.CopyCommand
	workdir string
}

// A dockerBuild is a go build in a RUN, with the stage's state when it runs.
type dockerBuild struct {
	goBuild
	stage   *stage
	workdir string
	env     map[string]string // the stage's ARG and ENV values at the RUN
}

// loadDockerfile parses the Dockerfile with BuildKit's parser and linter (every rule, the
// experimental ones too), failing the test on a syntax error.
func loadDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, "Dockerfile")))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	d := &dockerfile{escape: res.EscapeToken}
	for _, w := range res.Warnings {
		d.warnings = append(d.warnings, w.Short)
	}
	lint := linter.New(&linter.Config{ExperimentalAll: true, Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		d.warnings = append(d.warnings, linter.LintFormatShort(rule, msg, line))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	meta := map[string]string{}
	maps.Copy(meta, autoArgs)
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			switch v, ok := buildArgs[kv.Key]; {
			case ok:
				meta[kv.Key] = v
			case kv.Value != nil:
				meta[kv.Key], _ = d.expand(*kv.Value, meta)
			}
		}
	}
	for i := range stages {
		s := d.evalStage(stages[i], meta)
		d.stages = append(d.stages, s)
	}
	if len(d.stages) > 0 {
		d.final = d.stages[len(d.stages)-1]
	}
	return d
}

// expand expands a word's variables in env; it returns the names it found no value for.
func (d *dockerfile) expand(word string, env map[string]string) (string, []string) {
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	res, err := shell.NewLex(d.escape).ProcessWordWithMatches(word, shell.EnvsFromSlice(kv))
	if err != nil {
		return word, []string{err.Error()}
	}
	return res.Result, slices.Sorted(maps.Keys(res.Unmatched))
}

// evalStage runs a stage's instructions as far as the checks need: ARG, ENV, WORKDIR, LABEL,
// USER, EXPOSE, COPY, RUN, HEALTHCHECK and ENTRYPOINT.
func (d *dockerfile) evalStage(st instructions.Stage, meta map[string]string) *stage {
	s := &stage{Stage: st, env: map[string]string{}, workdir: "/", labels: map[string]string{}}
	expand := func(what, word string) string {
		v, missing := d.expand(word, s.env)
		for _, m := range missing {
			s.undeclared = append(s.undeclared, fmt.Sprintf("%s uses $%s", what, m))
		}
		return v
	}
	for _, c := range st.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				if v, ok := buildArgs[kv.Key]; ok {
					s.env[kv.Key] = v
				} else if v, ok := autoArgs[kv.Key]; ok {
					s.env[kv.Key] = v
				} else if kv.Value != nil {
					s.env[kv.Key] = expand("ARG "+kv.Key, *kv.Value)
				} else if v, ok := meta[kv.Key]; ok {
					s.env[kv.Key] = v
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				s.env[kv.Key] = expand("ENV "+kv.Key, kv.Value)
			}
		case *instructions.WorkdirCommand:
			s.workdir = inDir(s.workdir, expand("WORKDIR", c.Path))
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				s.labels[kv.Key] = expand("LABEL "+kv.Key, kv.Value)
			}
		case *instructions.UserCommand:
			s.user = expand("USER", c.User)
		case *instructions.ExposeCommand:
			for _, p := range c.Ports {
				s.expose = append(s.expose, expand("EXPOSE", p))
			}
		case *instructions.HealthCheckCommand:
			s.health = c
		case *instructions.EntrypointCommand:
			s.entrypoint = c
		case *instructions.CopyCommand:
			s.copies = append(s.copies, copyAt{c, s.workdir})
		case *instructions.RunCommand:
			s.runs = append(s.runs, c)
			builds, err := goBuilds(strings.Join(c.CmdLine, " "))
			if err != nil {
				s.undeclared = append(s.undeclared, fmt.Sprintf("RUN %s: %v", strings.Join(c.CmdLine, " "), err))
			}
			for _, b := range builds {
				for _, w := range b.words { // the shell expands them at build time, with ARG and ENV values
					expand("RUN go build", w)
				}
				d.builds = append(d.builds, dockerBuild{goBuild: b, stage: s, workdir: s.workdir, env: maps.Clone(s.env)})
			}
		}
	}
	return s
}

// inDir resolves p, absolute or relative, in dir.
func inDir(dir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(dir, p)
}

// finalPaths returns where a COPY in a stage whose WORKDIR is workdir puts its sources.
func finalPaths(c *instructions.CopyCommand, workdir string) []string {
	var out []string
	dest := inDir(workdir, c.DestPath)
	for _, src := range c.SourcePaths {
		if strings.HasSuffix(c.DestPath, "/") || len(c.SourcePaths) > 1 {
			out = append(out, path.Join(dest, path.Base(src)))
		} else {
			out = append(out, dest)
		}
	}
	return out
}

// stageNamed returns the stage a COPY --from or FROM names.
func (d *dockerfile) stageNamed(name string) *stage {
	for i, s := range d.stages {
		if strings.EqualFold(s.Name, name) || name == strconv.Itoa(i) {
			return s
		}
	}
	return nil
}

// outputs returns the files the Dockerfile's go builds write, by absolute path in their stage,
// with the package each is built from.
func (d *dockerfile) outputs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range d.builds {
		var mains []goPackage
		for _, p := range goList(t, false, b.pkgs...) {
			if p.Name == "main" {
				mains = append(mains, p)
			}
		}
		o, given := b.flags["o"]
		for _, p := range mains {
			name := path.Base(p.ImportPath)
			switch {
			case !given:
				out[path.Join(b.workdir, name)] = p.ImportPath
			case strings.HasSuffix(o, "/") || len(mains) > 1:
				out[path.Join(inDir(b.workdir, o), name)] = p.ImportPath
			default:
				out[inDir(b.workdir, o)] = p.ImportPath
			}
		}
	}
	return out
}

// makeBuilds returns the go builds that `make build` runs.
func makeBuilds(t *testing.T) []goBuild {
	t.Helper()
	return makeBuildsOf(t, "build")
}

// makeBuildsOf returns the go builds that `make target` runs.
func makeBuildsOf(t *testing.T, target string) []goBuild {
	t.Helper()
	recipe := parseMakefile(readFile(t, "Makefile")).recipeOf(target, "VERSION")
	var out []goBuild
	for _, line := range recipe {
		b, err := goBuilds(line)
		if err != nil {
			t.Fatalf("Makefile: %v", err)
		}
		out = append(out, b...)
	}
	if len(out) == 0 {
		t.Fatalf("Makefile: `make %s` runs no go build (recipe %q)", target, recipe)
	}
	return out
}

// TestDockerfile checks the image the Dockerfile builds, one subtest a requirement: a build
// stage whose go build is the Makefile's and a minimal, non-root final stage with the mock as its
// exec-form entrypoint, an exec-form health check, the OCI labels and the listen address.
func TestDockerfile(t *testing.T) {
	d := loadDockerfile(t)
	if d.final == nil {
		t.Fatal("Dockerfile: no stage")
	}
	final := d.final
	module := modulePath(t)
	outputs := d.outputs(t)
	// the files of the final stage that come from a build stage's go build: path → package
	binaries := map[string]string{}
	for _, c := range final.copies {
		from := d.stageNamed(c.From)
		if from == nil {
			continue
		}
		for i, dst := range finalPaths(c.CopyCommand, c.workdir) {
			if pkg, ok := outputs[inDir(from.workdir, c.SourcePaths[i])]; ok {
				binaries[dst] = pkg
			}
		}
	}

	for _, tc := range []struct {
		name  string
		check func() []string // the problems found
	}{
		{"BuildKit parses it without a warning", func() []string {
			return d.warnings
		}},
		{"every variable it uses is declared", func() []string {
			var out []string
			for _, s := range d.stages {
				for _, u := range s.undeclared {
					out = append(out, fmt.Sprintf("stage %q: %s, which no ARG or ENV before it declares", s.Name, u))
				}
			}
			return out
		}},
		{"it has a build stage and a final stage", func() []string {
			if len(d.stages) < 2 {
				return []string{fmt.Sprintf("%d stage, want at least 2: one that builds, one that only runs", len(d.stages))}
			}
			return nil
		}},
		{"the final stage is distroless static nonroot or scratch", func() []string {
			re := regexp.MustCompile(`^(scratch|gcr\.io/distroless/static(-debian\d+)?:nonroot(@sha256:[0-9a-f]{64})?)$`)
			if !re.MatchString(final.BaseName) || d.stageNamed(final.BaseName) != nil {
				return []string{fmt.Sprintf("FROM %s, want gcr.io/distroless/static-debian12:nonroot (or scratch): no shell, no package manager", final.BaseName)}
			}
			return nil
		}},
		{"the build stage's Go is go.mod's", func() []string {
			m := regexp.MustCompile(`(?m)^go\s+(\d+)\.(\d+)(?:\.(\d+))?\s*$`).FindStringSubmatch(string(readFile(t, "go.mod")))
			if m == nil {
				return []string{"go.mod has no go line"}
			}
			var out []string
			seen := map[*stage]bool{}
			for _, b := range d.builds {
				if seen[b.stage] {
					continue
				}
				seen[b.stage] = true
				img := regexp.MustCompile(`^(?:docker\.io/(?:library/)?)?golang:(\d+)\.(\d+)(?:\.(\d+))?(?:-[a-z0-9.]+)?(?:@sha256:[0-9a-f]{64})?$`).FindStringSubmatch(b.stage.BaseName)
				switch {
				case img == nil:
					out = append(out, fmt.Sprintf("stage %q builds FROM %s, want golang:%s.%s", b.stage.Name, b.stage.BaseName, m[1], m[2]))
				case img[1] != m[1] || img[2] != m[2]:
					out = append(out, fmt.Sprintf("stage %q builds with Go %s.%s, go.mod says go %s.%s", b.stage.Name, img[1], img[2], m[1], m[2]))
				case img[3] != "" && m[3] != "" && atoi(img[3]) < atoi(m[3]):
					out = append(out, fmt.Sprintf("stage %q builds with Go %s.%s.%s, older than go.mod's go %s.%s.%s", b.stage.Name, img[1], img[2], img[3], m[1], m[2], m[3]))
				}
			}
			return out
		}},
		{"the final stage runs as a user that is not root", func() []string {
			u, _, _ := strings.Cut(final.user, ":")
			switch {
			case u == "" || u == "root" || u == "0":
				return []string{fmt.Sprintf("USER %q in the final stage, want a non-root user such as 65532:65532 (distroless's nonroot)", final.user)}
			case final.BaseName == "scratch" && atoi(u) <= 0:
				return []string{fmt.Sprintf("USER %q on scratch, which has no /etc/passwd: want a number", final.user)}
			}
			return nil
		}},
		{"it exposes " + mockPort, func() []string {
			if !slices.Contains(final.expose, mockPort) && !slices.Contains(final.expose, mockPort+"/tcp") {
				return []string{fmt.Sprintf("EXPOSE %s, want %s", strings.Join(final.expose, " "), mockPort)}
			}
			return nil
		}},
		{"the mock listens on every interface of the container", func() []string {
			if v := final.env[mockAddrEnv]; v != mockAddr {
				return []string{fmt.Sprintf("ENV %s=%q in the final stage, want %s (the mock's default, 127.0.0.1, is unreachable from outside the container)", mockAddrEnv, v, mockAddr)}
			}
			return nil
		}},
		{"the entrypoint is the mock, in exec form", func() []string {
			e := final.entrypoint
			switch {
			case e == nil:
				return []string{"the final stage has no ENTRYPOINT"}
			case e.PrependShell || !slices.Equal(e.CmdLine, []string{mockBinary}):
				return []string{fmt.Sprintf("ENTRYPOINT %q (shell form: %v), want exec form [%q] so that arguments reach the mock and so do signals", e.CmdLine, e.PrependShell, mockBinary)}
			case binaries[mockBinary] != module+"/cmd/verifeye-mock":
				return []string{fmt.Sprintf("%s is not copied from the go build of %s/cmd/verifeye-mock (the final stage's binaries: %v)", mockBinary, module, binaries)}
			}
			return nil
		}},
		{"the health check runs a binary, in exec form", func() []string {
			if final.health == nil || final.health.Health == nil {
				return []string{"the final stage has no HEALTHCHECK"}
			}
			h := final.health.Health
			var out []string
			if len(h.Test) < 2 || h.Test[0] != "CMD" {
				return []string{fmt.Sprintf("HEALTHCHECK test %q, want exec form CMD [%q]: the image has no shell", h.Test, healthBinary)}
			}
			if slices.Contains([]string{"sh", "bash", "ash"}, path.Base(h.Test[1])) {
				out = append(out, fmt.Sprintf("HEALTHCHECK runs %s: the image has no shell", h.Test[1]))
			}
			if binaries[h.Test[1]] != module+"/docker/healthcheck" {
				out = append(out, fmt.Sprintf("HEALTHCHECK runs %s, which is not copied from the go build of %s/docker/healthcheck (the final stage's binaries: %v)", h.Test[1], module, binaries))
			}
			if h.Interval <= 0 || h.Timeout <= 0 || h.Retries <= 0 {
				out = append(out, fmt.Sprintf("HEALTHCHECK --interval=%v --timeout=%v --retries=%d: set all three", h.Interval, h.Timeout, h.Retries))
			}
			return out
		}},
		{"it has the OCI labels", func() []string {
			want := map[string]string{
				"title":    "verifeye-mock",
				"version":  buildArgs["VERSION"],
				"revision": buildArgs["REVISION"],
				"source":   "https://" + module,
			}
			var out []string
			for _, k := range slices.Sorted(maps.Keys(want)) {
				key := "org.opencontainers.image." + k
				if got, ok := final.labels[key]; !ok {
					out = append(out, fmt.Sprintf("no LABEL %s in the final stage", key))
				} else if got != want[k] {
					out = append(out, fmt.Sprintf("LABEL %s=%q with --build-arg %s, want %q", key, got, buildArgList(), want[k]))
				}
			}
			return out
		}},
		{"every go build is static (CGO_ENABLED=0)", func() []string {
			var out []string
			if len(d.builds) == 0 {
				return []string{"no RUN runs go build"}
			}
			for _, b := range d.builds {
				if v, ok := b.goBuild.env["CGO_ENABLED"]; (ok && v != "0") || (!ok && b.env["CGO_ENABLED"] != "0") {
					out = append(out, fmt.Sprintf("RUN %s: want CGO_ENABLED=0, for a static binary that runs on %s", b, final.BaseName))
				}
				if b.flags["trimpath"] != "true" {
					out = append(out, fmt.Sprintf("RUN %s: want -trimpath", b))
				}
			}
			return out
		}},
		{"its release go build is the Makefile's, flag for flag", func() []string {
			var out []string
			for _, mb := range makeBuilds(t) {
				var same []dockerBuild
				for _, b := range d.builds {
					if slices.Equal(b.pkgs, mb.pkgs) {
						same = append(same, b)
					}
				}
				if len(same) != 1 {
					out = append(out, fmt.Sprintf("the Makefile's build runs %q; the Dockerfile has %d go build of %q, want exactly 1", mb, len(same), mb.pkgs))
					continue
				}
				for _, diff := range diffBuilds(same[0].withMakeVars(), mb, "Dockerfile", "Makefile") {
					out = append(out, fmt.Sprintf("%s\n\tDockerfile: %s\n\tMakefile:   %s", diff, same[0], mb))
				}
			}
			return out
		}},
		{"the binaries carry the VERSION build arg", func() []string {
			var out []string
			for _, b := range d.builds {
				if !slices.Contains(b.pkgs, "./cmd/...") {
					continue
				}
				ld, _ := d.expand(b.flags["ldflags"], b.env)
				if !strings.Contains(" "+ld+" ", " -X main.version="+buildArgs["VERSION"]+" ") {
					out = append(out, fmt.Sprintf("RUN %s: with --build-arg VERSION=%s, -ldflags is %q, want -X main.version=%[2]s in it (is ARG VERSION declared in the stage?)", b, buildArgs["VERSION"], ld))
				}
			}
			return out
		}},
		{"the final stage has both binaries and the health check", func() []string {
			var out []string
			for bin, pkg := range map[string]string{mockBinary: "/cmd/verifeye-mock", "/verifeye-contract": "/cmd/verifeye-contract", healthBinary: "/docker/healthcheck"} {
				if binaries[bin] != module+pkg {
					out = append(out, fmt.Sprintf("no %s copied from the go build of %s%s (the final stage's binaries: %v)", bin, module, pkg, binaries))
				}
			}
			for _, c := range final.copies {
				if c.From == "" {
					out = append(out, fmt.Sprintf("the final stage copies %q from the build context: only build outputs belong in it", c.SourcePaths))
				}
			}
			return out
		}},
		{"the modules download in a layer of their own", func() []string {
			for _, s := range d.stages {
				if !slices.ContainsFunc(d.builds, func(b dockerBuild) bool { return b.stage == s }) {
					continue
				}
				// COPY go.mod go.sum, then RUN go mod download, then the rest of the sources
				step := 0
				for _, c := range s.Commands {
					switch c := c.(type) {
					case *instructions.CopyCommand:
						if step == 0 && slices.Equal(c.SourcePaths, []string{"go.mod", "go.sum"}) {
							step = 1
						}
					case *instructions.RunCommand:
						if step == 1 && strings.Join(c.CmdLine, " ") == "go mod download" {
							return nil
						}
					}
				}
				return []string{fmt.Sprintf("stage %q: want COPY go.mod go.sum ./ and RUN go mod download before the sources are copied, so that the modules stay cached until go.mod or go.sum changes", s.Name)}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.check() {
				t.Error(p)
			}
		})
	}
}

func buildArgList() string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(buildArgs)) {
		out = append(out, k+"="+buildArgs[k])
	}
	return strings.Join(out, " --build-arg ")
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// TestDockerignore checks that the build context has what the Dockerfile's go builds need and
// leaves out what only makes it bigger.
func TestDockerignore(t *testing.T) {
	patterns, err := ignorefile.ReadAll(bytes.NewReader(readFile(t, ".dockerignore")))
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	excluded := func(rel string) bool {
		ex, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			t.Fatalf(".dockerignore: %s: %v", rel, err)
		}
		return ex
	}

	d := loadDockerfile(t)
	// what the build needs: what its stages COPY from the context, and every file its go
	// builds compile or embed
	need := map[string]string{"go.mod": "the module", "go.sum": "the module's checksums"}
	for _, s := range d.stages {
		for _, c := range s.copies {
			if c.From != "" {
				continue
			}
			for _, src := range c.SourcePaths {
				if src = path.Clean(src); src != "." {
					need[src] = fmt.Sprintf("COPY %s in stage %q", src, s.Name)
				}
			}
		}
	}
	var pkgs []string
	for _, b := range d.builds {
		pkgs = append(pkgs, b.pkgs...)
	}
	abs, err := absRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range goList(t, true, pkgs...) {
		rel, err := relSlash(abs, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, files := range [][]string{p.GoFiles, p.CgoFiles, p.SFiles, p.HFiles, p.SysoFiles, p.EmbedFiles} {
			for _, f := range files {
				need[path.Join(rel, f)] = "a file of package " + p.ImportPath
			}
		}
	}
	if len(need) < 10 {
		t.Fatalf("only %d files needed by the build: %v", len(need), need)
	}

	small := []string{".git/HEAD", "bin/verifeye-mock", "docs/ci/github-actions-consumer.yml", "README.md",
		"mockserver/mockserver.test", "cmd/verifeye-mock/config_test.go"}

	for _, tc := range []struct {
		name  string
		paths []string
		want  bool // excluded
		why   func(string) string
	}{
		{"the context has what the build needs", slices.Sorted(maps.Keys(need)), false, func(p string) string { return fmt.Sprintf("%s (%s) is excluded from the build context", p, need[p]) }},
		{"the context leaves out what the build does not need", small, true, func(p string) string {
			return fmt.Sprintf("%s is in the build context, which it only makes bigger", p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.paths {
				if excluded(p) != tc.want {
					t.Error(tc.why(p))
				}
			}
		})
	}
}
