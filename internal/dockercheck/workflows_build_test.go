package dockercheck

// How the example workflows get the binaries they run: the module is not published at its path,
// so they build them from a checkout of this repository.

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A compile is a go run, go build or go install of one of the repository's binaries.
type compile struct {
	job, step string
	verb      string // run, build or install
	binary    string
	pkg       string // as written: ./cmd/verifeye-mock, github.com/.../cmd/verifeye-mock@latest, ...
	dir       string // where it runs, from the workspace: working-directory, cd and go -C applied
	out       string // where the binary goes (see binaryKey); "" for go run
	checkout  *checkout
}

func (c compile) String() string {
	return fmt.Sprintf("job %s, step %q: go %s %s (in %s)", c.job, c.step, c.verb, c.pkg, c.dir)
}

// A checkout is an actions/checkout step that checks out a repository other than the workflow's.
type checkout struct {
	job, step             string
	repository, ref, path string
}

func (c checkout) String() string { return fmt.Sprintf("job %s, step %q", c.job, c.step) }

// A scan is what a workflow's steps do with the repository's binaries, in the order they do it.
type scan struct {
	invs      []invocation
	compiles  []*compile
	checkouts []*checkout
}

// scanWorkflow finds the checkouts of other repositories, the go run, go build and go install
// commands of the repository's binaries, and the commands that run them (through go run, the
// path go build wrote to, or the name go install put on the PATH).
func scanWorkflow(w workflow) (scan, error) {
	var sc scan
	for _, jobName := range slices.Sorted(maps.Keys(w.Jobs)) {
		var jobCheckouts []*checkout
		built := map[string]*compile{} // by binaryKey
		for _, st := range w.Jobs[jobName].Steps {
			if strings.HasPrefix(st.Uses, "actions/checkout@") {
				co := &checkout{job: jobName, step: st.Name}
				co.repository, _ = st.With["repository"].(string)
				co.ref, _ = st.With["ref"].(string)
				co.path, _ = st.With["path"].(string)
				if co.repository != "" {
					jobCheckouts = append(jobCheckouts, co)
					sc.checkouts = append(sc.checkouts, co)
				}
				continue
			}
			if st.Run == "" {
				continue
			}
			cmds, err := shellCommands(st.Run)
			if err != nil {
				return sc, fmt.Errorf("job %s, step %q: %w", jobName, st.Name, err)
			}
			wd := resolve(".", st.WorkingDir)
			for _, words := range cmds {
				for len(words) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(words[0]) {
					words = words[1:] // VAR=value before the command
				}
				switch {
				case len(words) == 0:
				case words[0] == "cd" && len(words) == 2:
					wd = resolve(wd, words[1])
				case words[0] == "go":
					c, args, ok := goCompileOf(words, wd)
					if !ok {
						continue
					}
					c.job, c.step = jobName, st.Name
					for _, co := range jobCheckouts {
						if path.Join(resolve(".", co.path), "cmd", c.binary) == resolve(c.dir, c.pkg) {
							c.checkout = co
						}
					}
					sc.compiles = append(sc.compiles, c)
					if c.verb == "run" {
						sc.invs = append(sc.invs, newInvocation(jobName, st, c.binary, c.pkg, args, c))
					} else {
						built[c.out] = c
					}
				default:
					for i, word := range words {
						if bin := binaryName(word); bin != "" {
							sc.invs = append(sc.invs, newInvocation(jobName, st, bin, word, words[i+1:], built[binaryKey(wd, word)]))
							break
						}
					}
				}
			}
		}
	}
	return sc, nil
}

func newInvocation(job string, st step, bin, ref string, args []string, built *compile) invocation {
	inv := invocation{job: job, step: st.Name, binary: bin, ref: ref, flags: map[string]string{},
		stepEnv: st.Env, shell: st.Shell, script: st.Run, built: built}
	for j, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !hasVal && j+1 < len(args) && !strings.HasPrefix(args[j+1], "-") && !strings.ContainsAny(args[j+1], "<>") {
			val = args[j+1]
		}
		inv.flags[name] = val
		inv.order = append(inv.order, name)
	}
	return inv
}

// goCompileOf reads a command that begins with go, run in the directory wd: the go run, go build
// or go install of one of the repository's binaries it is, if it is one, and for go run the
// arguments the binary gets.
func goCompileOf(words []string, wd string) (c *compile, args []string, ok bool) {
	c = &compile{dir: wd}
	rest := words[1:]
	if len(rest) >= 2 && rest[0] == "-C" {
		c.dir, rest = resolve(wd, rest[1]), rest[2:]
	} else if len(rest) >= 1 && strings.HasPrefix(rest[0], "-C=") {
		c.dir, rest = resolve(wd, strings.TrimPrefix(rest[0], "-C=")), rest[1:]
	}
	if len(rest) == 0 || !slices.Contains([]string{"run", "build", "install"}, rest[0]) {
		return nil, nil, false
	}
	c.verb, rest = rest[0], rest[1:]
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
		name, val, hasVal := strings.Cut(strings.TrimLeft(rest[0], "-"), "=")
		rest = rest[1:]
		if !hasVal && goBuildValueFlags[name] && len(rest) > 0 {
			val, rest = rest[0], rest[1:]
		}
		if name == "o" {
			c.out = val
		}
	}
	pkgs := rest
	if c.verb == "run" && len(rest) > 0 {
		pkgs, args = rest[:1], rest[1:]
	}
	for _, p := range pkgs {
		if bin := binaryName(p); bin != "" {
			c.binary, c.pkg = bin, p
			break
		}
	}
	switch {
	case c.binary == "":
		return nil, nil, false
	case c.verb == "install":
		c.out = c.binary // on the PATH
	case c.verb == "build" && (c.out == "" || strings.HasSuffix(c.out, "/")):
		c.out = resolve(c.dir, path.Join(c.out, c.binary))
	case c.verb == "build":
		c.out = resolve(c.dir, c.out)
	}
	return c, args, true
}

// binaryName is the repository's binary a word names (a path, a package, a package@version), or "".
func binaryName(word string) string {
	bin, _, _ := strings.Cut(word[strings.LastIndex(word, "/")+1:], "@")
	if bin != "verifeye-mock" && bin != "verifeye-contract" {
		return ""
	}
	return bin
}

// binaryKey is where the command word runs a program from, run in the directory wd: a name without
// a slash is looked up on the PATH, a path is resolved in wd.
func binaryKey(wd, word string) string {
	if !strings.Contains(word, "/") {
		return word
	}
	return resolve(wd, word)
}

// resolve resolves p in the directory dir, both from the workspace; a path that begins with a
// variable ($RUNNER_TEMP/...) counts as absolute.
func resolve(dir, p string) string {
	if path.IsAbs(p) || strings.HasPrefix(p, "$") {
		return path.Clean(p)
	}
	return path.Join(dir, p)
}

// envRef is NAME when s is ${{ env.NAME }}, else "".
func envRef(s string) string {
	m := regexp.MustCompile(`^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}

// buildProblems checks that a workflow builds the binaries it runs from a checkout of this
// repository, pinned to a ref the user sets, and never by module path: the module is not
// published, so go run or go install of module/cmd/...@VERSION fails for every user.
func buildProblems(w workflow, sc scan, module string) []string {
	var out []string
	for _, co := range sc.checkouts {
		env := maps.Clone(w.Env)
		maps.Copy(env, w.Jobs[co.job].Env)
		repo, ref := co.repository, co.ref
		if name := envRef(repo); name != "" {
			repo = env[name]
		}
		if name := envRef(ref); name != "" {
			ref = env[name]
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`).MatchString(repo) {
			out = append(out, fmt.Sprintf("%s: repository %q is %q, want owner/name: the user's copy of this repository", co, co.repository, repo))
		}
		if ref == "" || slices.Contains([]string{"main", "master", "HEAD"}, ref) {
			out = append(out, fmt.Sprintf("%s: ref %q is %q, want a tag or commit, so that every run builds the same code", co, co.ref, ref))
		}
		if p := resolve(".", co.path); p == "." || strings.HasPrefix(p, "..") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "$") {
			out = append(out, fmt.Sprintf("%s: path %q, want a directory of its own in the workspace", co, co.path))
		}
	}
	for _, c := range sc.compiles {
		switch {
		case !strings.HasPrefix(c.pkg, "./") && !strings.HasPrefix(c.pkg, "../"):
			out = append(out, fmt.Sprintf("%s: builds %s by module path, which works only once %s is published; build ./cmd/%s in a checkout of this repository (actions/checkout with repository:, ref: and path:)", c, c.binary, module, c.binary))
		case c.checkout == nil:
			out = append(out, fmt.Sprintf("%s: %s is no package of an earlier checkout of this repository in the job (actions/checkout with repository: and path:, then ./cmd/%s in that path)", c, path.Clean(path.Join(c.dir, c.pkg)), c.binary))
		}
	}
	for _, inv := range sc.invs {
		if inv.built == nil {
			out = append(out, fmt.Sprintf("%s: no earlier step of the job builds it (go build -o or go install of ./cmd/%s in a checkout of this repository)", inv, inv.binary))
		}
	}
	return out
}

// TestBuildProblems runs buildProblems on the ways a workflow may get the binaries: only a build
// from a checkout of this repository, pinned to a ref, passes.
func TestBuildProblems(t *testing.T) {
	const module = "github.com/verifeye-twin/verifeye"
	checkout := `
      - uses: actions/checkout@v4
        with: {repository: "${{ env.SRC }}", ref: "${{ env.REF }}", path: verifeye}`
	for _, tc := range []struct {
		name, env, steps string
		want             string // a word of the one problem; "" for none
	}{
		{"go run at a version, by module path", "", `
      - run: go run ` + module + `/cmd/verifeye-mock@latest --seed 1 &`, "module path"},
		{"go install at a version, by module path", "", `
      - run: go install ` + module + `/cmd/verifeye-contract@v1.2.3
      - run: verifeye-contract --target eu`, "module path"},
		{"go build -o in the checkout", "", checkout + `
      - working-directory: verifeye
        run: go build -o "$RUNNER_TEMP/verifeye-mock" ./cmd/verifeye-mock
      - run: '"$RUNNER_TEMP/verifeye-mock" --seed 1 &'`, ""},
		{"go run in the checkout", "", checkout + `
      - working-directory: verifeye
        run: go run ./cmd/verifeye-mock --seed 1 &`, ""},
		{"cd, then go run", "", checkout + `
      - run: cd verifeye && go run ./cmd/verifeye-mock --seed 1 &`, ""},
		{"go -C, then go install", "", checkout + `
      - run: go -C verifeye install ./cmd/verifeye-contract
      - run: verifeye-contract --target eu`, ""},
		{"go run in the workflow's own repository", "", `
      - uses: actions/checkout@v4
      - run: go run ./cmd/verifeye-mock --seed 1 &`, "no package of an earlier checkout"},
		{"the binary built after it runs", "", checkout + `
      - run: '"$RUNNER_TEMP/verifeye-mock" --seed 1 &'
      - working-directory: verifeye
        run: go build -o "$RUNNER_TEMP/verifeye-mock" ./cmd/verifeye-mock`, "no earlier step"},
		{"the binary built elsewhere", "", checkout + `
      - working-directory: verifeye
        run: go build -o "$RUNNER_TEMP/verifeye-mock" ./cmd/verifeye-mock
      - run: ./verifeye-mock --seed 1 &`, "no earlier step"},
		{"the checkout follows a branch", "REF: main", checkout + `
      - run: go -C verifeye install ./cmd/verifeye-contract`, "tag or commit"},
		{"the checkout names no repository", "SRC: ''", checkout + `
      - run: go -C verifeye install ./cmd/verifeye-contract`, "owner/name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"SRC": "SRC: ACME/verifeye", "REF": "REF: v1.2.3"}
			if k, _, ok := strings.Cut(tc.env, ":"); ok {
				env[k] = tc.env
			}
			src := "env:\n  " + env["SRC"] + "\n  " + env["REF"] + "\njobs:\n  j:\n    steps:" + tc.steps + "\n"
			var w workflow
			dec := yaml.NewDecoder(strings.NewReader(src))
			dec.KnownFields(true)
			if err := dec.Decode(&w); err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			sc, err := scanWorkflow(w)
			if err != nil {
				t.Fatal(err)
			}
			if len(sc.invs)+len(sc.compiles) == 0 {
				t.Fatal("found no binary of the repository")
			}
			got := buildProblems(w, sc, module)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("problems %q, want one about %q", got, tc.want)
			}
		})
	}
}
