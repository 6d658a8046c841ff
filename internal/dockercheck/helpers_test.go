package dockercheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the repository's root, seen from this package's directory (where go test runs it).
var root = filepath.Join("..", "..")

// readFile reads a file of the repository, given by its slash-separated path from the root.
func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// modulePath is the module line of go.mod.
func modulePath(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^module\s+(\S+)\s*$`).FindSubmatch(readFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no module line")
	}
	return string(m[1])
}

// --- a little of the shell: enough to find the commands a script runs, not a shell ---

// shellCommands splits a POSIX shell script into its simple commands, each a list of words with
// the quotes removed (variables are left as they are written). It understands single and double
// quotes, backslash escapes and line continuations, $(...) and ${...} as part of a word, and
// comments, and it ends a command at ; & && || | and a new line. Redirections such as 2>&1 stay
// words of their own.
func shellCommands(script string) ([][]string, error) {
	var (
		cmds [][]string
		cmd  []string
		word strings.Builder
		in   bool // a word has begun (it may be empty: "")
	)
	endWord := func() {
		if in {
			cmd = append(cmd, word.String())
		}
		word.Reset()
		in = false
	}
	endCmd := func() {
		endWord()
		if len(cmd) > 0 {
			cmds = append(cmds, cmd)
		}
		cmd = nil
	}
	r := []rune(script)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r) && r[i+1] == '\n': // a line continuation
			i++
		case c == '\\' && i+1 < len(r):
			word.WriteRune(r[i+1])
			in = true
			i++
		case c == '\'':
			j := slices.Index(r[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("a single quote is not closed")
			}
			word.WriteString(string(r[i+1 : i+1+j]))
			in = true
			i += j + 1
		case c == '"':
			j := i + 1
			for ; j < len(r) && r[j] != '"'; j++ {
				if r[j] == '\\' && j+1 < len(r) && strings.ContainsRune("\"\\$`\n", r[j+1]) {
					j++
					if r[j] != '\n' {
						word.WriteRune(r[j])
					}
					continue
				}
				word.WriteRune(r[j])
			}
			if j == len(r) {
				return nil, errors.New("a double quote is not closed")
			}
			in = true
			i = j
		case c == '$' && i+1 < len(r) && (r[i+1] == '(' || r[i+1] == '{'):
			open, closing := r[i+1], map[rune]rune{'(': ')', '{': '}'}[r[i+1]]
			depth, j := 0, i+1
			for ; j < len(r); j++ {
				if r[j] == open {
					depth++
				} else if r[j] == closing {
					if depth--; depth == 0 {
						break
					}
				}
			}
			if j == len(r) {
				return nil, fmt.Errorf("$%c is not closed", open)
			}
			word.WriteString(string(r[i : j+1]))
			in = true
			i = j
		case c == '#' && !in: // a comment, to the end of the line
			for i+1 < len(r) && r[i+1] != '\n' {
				i++
			}
		case c == '&' && in && (strings.HasSuffix(word.String(), ">") || strings.HasSuffix(word.String(), "<")):
			word.WriteRune(c) // 2>&1
		case c == ';' || c == '&' || c == '|' || c == '\n':
			endCmd()
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		default:
			word.WriteRune(c)
			in = true
		}
	}
	endCmd()
	return cmds, nil
}

// --- go build command lines ---

// goBuildValueFlags are the go build flags that take a value (the others are booleans).
var goBuildValueFlags = map[string]bool{
	"o": true, "C": true, "p": true, "ldflags": true, "gcflags": true, "asmflags": true,
	"gccgoflags": true, "tags": true, "mod": true, "modfile": true, "overlay": true, "pgo": true,
	"buildmode": true, "compiler": true, "installsuffix": true, "pkgdir": true, "toolexec": true,
	"covermode": true, "coverpkg": true, "exec": true,
}

// A goBuild is one `go build` command of a script.
type goBuild struct {
	env   map[string]string // VAR=value words before `go`
	flags map[string]string // without the dash; a boolean flag's value is "true" unless given
	order []string          // the flags in the order written
	pkgs  []string
	words []string // the whole command
}

func (b goBuild) String() string { return strings.Join(b.words, " ") }

// goBuilds finds the go build commands of a shell script.
func goBuilds(script string) ([]goBuild, error) {
	cmds, err := shellCommands(script)
	if err != nil {
		return nil, err
	}
	var out []goBuild
	for _, words := range cmds {
		b := goBuild{env: map[string]string{}, flags: map[string]string{}, words: words}
		i := 0
		for ; i < len(words); i++ {
			k, v, ok := strings.Cut(words[i], "=")
			if !ok || !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
				break
			}
			b.env[k] = v
		}
		if len(words)-i < 2 || words[i] != "go" || words[i+1] != "build" {
			continue
		}
		rest := words[i+2:]
		for len(rest) > 0 && strings.HasPrefix(rest[0], "-") {
			name, val, hasVal := strings.Cut(strings.TrimLeft(rest[0], "-"), "=")
			rest = rest[1:]
			switch {
			case hasVal:
			case goBuildValueFlags[name]:
				if len(rest) == 0 {
					return nil, fmt.Errorf("%s: -%s has no value", strings.Join(words, " "), name)
				}
				val, rest = rest[0], rest[1:]
			default:
				val = "true"
			}
			if _, dup := b.flags[name]; dup {
				return nil, fmt.Errorf("%s: -%s is given twice", strings.Join(words, " "), name)
			}
			b.flags[name] = val
			b.order = append(b.order, name)
		}
		b.pkgs = rest
		out = append(out, b)
	}
	return out, nil
}

// dockerVars writes a Dockerfile's ${NAME} and $NAME the way a Makefile writes its variables,
// $(NAME): the one difference allowed between the Dockerfile's go build and the Makefile's.
func dockerVars(s string) string {
	return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`).ReplaceAllString(s, "$$($1$2)")
}

// withMakeVars is b with its variables written the Makefile's way (see dockerVars).
func (b goBuild) withMakeVars() goBuild {
	out := goBuild{env: map[string]string{}, flags: map[string]string{}, order: b.order}
	for k, v := range b.env {
		out.env[k] = dockerVars(v)
	}
	for k, v := range b.flags {
		out.flags[k] = dockerVars(v)
	}
	for _, p := range b.pkgs {
		out.pkgs = append(out.pkgs, dockerVars(p))
	}
	for _, w := range b.words {
		out.words = append(out.words, dockerVars(w))
	}
	return out
}

// diffBuilds lists how two go builds differ: environment, flags and packages.
func diffBuilds(a, b goBuild, aName, bName string) []string {
	var diffs []string
	compare := func(label func(string) string, am, bm map[string]string) {
		keys := slices.Sorted(maps.Keys(am))
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, aok := am[k]
			bv, bok := bm[k]
			switch {
			case !bok:
				diffs = append(diffs, fmt.Sprintf("%s=%q only in the %s", label(k), av, aName))
			case !aok:
				diffs = append(diffs, fmt.Sprintf("%s=%q only in the %s", label(k), bv, bName))
			case av != bv:
				diffs = append(diffs, fmt.Sprintf("%s: %q in the %s, %q in the %s", label(k), av, aName, bv, bName))
			}
		}
	}
	compare(func(k string) string { return "environment variable " + k }, a.env, b.env)
	compare(func(k string) string { return "flag -" + k }, a.flags, b.flags)
	if !slices.Equal(a.pkgs, b.pkgs) {
		diffs = append(diffs, fmt.Sprintf("packages: %q in the %s, %q in the %s", a.pkgs, aName, b.pkgs, bName))
	}
	return diffs
}

// --- the Makefile ---

// A makefile is the little of a Makefile these tests read: rules with their recipes, and
// variables.
type makefile struct {
	rules map[string]makeRule
	vars  map[string]string // NAME := value and NAME = value (not ?=, whose value the caller may set)
}

type makeRule struct {
	prereqs []string
	recipe  []string // with make's $$ and the @ - + prefixes still in
}

func parseMakefile(src []byte) makefile {
	mk := makefile{rules: map[string]makeRule{}, vars: map[string]string{}}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() { // join continuation lines
		line := sc.Text()
		if n := len(lines); n > 0 && strings.HasSuffix(lines[n-1], `\`) {
			lines[n-1] = strings.TrimRight(strings.TrimSuffix(lines[n-1], `\`), " \t") + " " + strings.TrimLeft(line, " \t")
			continue
		}
		lines = append(lines, line)
	}
	varRe := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(::=|:=|\?=|\+=|=)\s*(.*)$`)
	ruleRe := regexp.MustCompile(`^([A-Za-z0-9_./%-]+(?:[ \t]+[A-Za-z0-9_./%-]+)*)[ \t]*:([^=].*)?$`)
	var current []string // the targets whose recipe the next tab-indented lines are
	for _, line := range lines {
		if strings.HasPrefix(line, "\t") {
			for _, t := range current {
				r := mk.rules[t]
				r.recipe = append(r.recipe, strings.TrimPrefix(line, "\t"))
				mk.rules[t] = r
			}
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		current = nil
		if m := varRe.FindStringSubmatch(line); m != nil {
			if m[2] != "?=" && m[2] != "+=" {
				mk.vars[m[1]] = m[3]
			}
			continue
		}
		if m := ruleRe.FindStringSubmatch(line); m != nil {
			prereqs := strings.Fields(strings.SplitN(m[2], ";", 2)[0])
			for _, t := range strings.Fields(m[1]) {
				r := mk.rules[t]
				r.prereqs = append(r.prereqs, prereqs...)
				mk.rules[t] = r
				current = append(current, t)
			}
		}
	}
	return mk
}

// recipeOf returns the shell lines `make target` runs: its prerequisites' recipes (the targets
// this Makefile defines), then its own, with make's syntax undone: the @ - + prefixes dropped,
// $$ turned into $, and the Makefile's own variables expanded but for keep.
func (mk makefile) recipeOf(target string, keep ...string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(t string)
	walk = func(t string) {
		r, ok := mk.rules[t]
		if !ok || seen[t] {
			return
		}
		seen[t] = true
		for _, p := range r.prereqs {
			walk(p)
		}
		for _, line := range r.recipe {
			line = strings.TrimLeft(line, "@-+ \t")
			out = append(out, mk.expand(line, keep, 0))
		}
	}
	walk(target)
	return out
}

func (mk makefile) expand(s string, keep []string, depth int) string {
	const dollar = "\x00"
	s = strings.ReplaceAll(s, "$$", dollar)
	if depth < 10 {
		s = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(ref string) string {
			name := ref[2 : len(ref)-1]
			v, ok := mk.vars[name]
			if !ok || slices.Contains(keep, name) || strings.Contains(v, "$(shell") {
				return ref
			}
			return mk.expand(v, keep, depth+1)
		})
	}
	return strings.ReplaceAll(s, dollar, "$")
}

// absRoot is the repository's root as an absolute path without symbolic links, as go list
// writes directories.
func absRoot() (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// relSlash is target's slash-separated path from base.
func relSlash(base, target string) (string, error) {
	if t, err := filepath.EvalSymlinks(target); err == nil {
		target = t
	}
	rel, err := filepath.Rel(base, target)
	return filepath.ToSlash(rel), err
}

// --- packages, from go list ---

// A goPackage is what go list says of a package.
type goPackage struct {
	ImportPath, Name, Dir                                    string
	GoFiles, CgoFiles, SFiles, HFiles, SysoFiles, EmbedFiles []string
	Module                                                   *struct{ Main bool }
}

// goList runs go list -json on patterns in the repository, for the image's platform (linux, no
// cgo), and returns the packages of this module (their dependencies too with deps).
func goList(t *testing.T, deps bool, patterns ...string) []goPackage {
	t.Helper()
	args := []string{"list", "-json=ImportPath,Name,Dir,GoFiles,CgoFiles,SFiles,HFiles,SysoFiles,EmbedFiles,Module"}
	if deps {
		args = append(args, "-deps")
	}
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list: %v", err)
		}
		if p.Module != nil && p.Module.Main {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// --- the binaries' flags and environment variables, read from their source ---

// binaryOptions are a command's flags and the environment variables it reads.
type binaryOptions struct {
	flags map[string]bool
	env   map[string]bool
}

func parseGo(t *testing.T, rel string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), rel, readFile(t, rel), 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// mockOptions reads cmd/verifeye-mock/config.go: the rows of its flag table (name, and env when
// a row overrides the environment twin's name) and the twin rule's prefix, envPrefix.
func mockOptions(t *testing.T) binaryOptions {
	t.Helper()
	const rel = "cmd/verifeye-mock/config.go"
	f := parseGo(t, rel)
	o := binaryOptions{flags: map[string]bool{}, env: map[string]bool{}}
	var prefix string
	var rows []*ast.CompositeLit
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) {
				break
			}
			switch name.Name {
			case "envPrefix":
				prefix, _ = stringLit(vs.Values[i])
			case "settings":
				if table, ok := vs.Values[i].(*ast.CompositeLit); ok {
					for _, e := range table.Elts {
						if row, ok := e.(*ast.CompositeLit); ok {
							rows = append(rows, row)
						}
					}
				}
			}
		}
		return true
	})
	if prefix == "" || len(rows) == 0 {
		t.Fatalf("%s: found no envPrefix constant or no rows in the settings table", rel)
	}
	for _, row := range rows {
		var name, env string
		noEnv := false
		for _, e := range row.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			switch key, _ := kv.Key.(*ast.Ident); key.Name {
			case "name":
				name, _ = stringLit(kv.Value)
			case "env":
				if id, ok := kv.Value.(*ast.Ident); ok && id.Name == "noEnv" {
					noEnv = true
				} else {
					env, _ = stringLit(kv.Value)
				}
			}
		}
		if name == "" {
			t.Fatalf("%s: a row of the settings table has no literal name", rel)
		}
		o.flags[name] = true
		switch {
		case noEnv:
		case env != "":
			o.env[env] = true
		default: // envName's rule
			o.env[prefix+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] = true
		}
	}
	o.flags["h"] = true // the flag package's own
	return o
}

// contractOptions reads cmd/verifeye-contract/main.go: the flags it registers on its FlagSet
// (fs.StringVar(&o.x, "name", ...) and the like) and the variables it reads (getenv("NAME")).
func contractOptions(t *testing.T) binaryOptions {
	t.Helper()
	const rel = "cmd/verifeye-contract/main.go"
	f := parseGo(t, rel)
	o := binaryOptions{flags: map[string]bool{}, env: map[string]bool{}}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr:
			recv, ok := fun.X.(*ast.Ident)
			if !ok || recv.Name != "fs" {
				return true
			}
			arg := 0 // fs.String("name", ...), fs.Func("name", ...)
			if strings.HasSuffix(fun.Sel.Name, "Var") {
				arg = 1 // fs.StringVar(&o.x, "name", ...), fs.Var(v, "name", ...)
			}
			if arg < len(call.Args) {
				if name, ok := stringLit(call.Args[arg]); ok {
					o.flags[name] = true
				}
			}
		case *ast.Ident:
			if fun.Name == "getenv" && len(call.Args) == 1 {
				if name, ok := stringLit(call.Args[0]); ok {
					o.env[name] = true
				}
			}
		}
		return true
	})
	if len(o.flags) == 0 {
		t.Fatalf("%s: found no fs.*Var flag", rel)
	}
	o.flags["h"], o.flags["help"] = true, true // the flag package's own
	return o
}

// --- tests of the helpers themselves ---

func TestShellCommands(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   [][]string
	}{
		{`CGO_ENABLED=0 go build -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/...`,
			[][]string{{"CGO_ENABLED=0", "go", "build", "-ldflags", "-s -w -X main.version=$(VERSION)", "-o", "bin/", "./cmd/..."}}},
		{"a 'b c' \"d \\\"e\\\"\" \\\n  f # a comment\ng && h || i; j | k &",
			[][]string{{"a", "b c", `d "e"`, "f"}, {"g"}, {"h"}, {"i"}, {"j"}, {"k"}}},
		{`x $(seq 1 $(n)) ${y:-z w} >log 2>&1 &`, [][]string{{"x", "$(seq 1 $(n))", "${y:-z w}", ">log", "2>&1"}}},
		{`a "" b#c`, [][]string{{"a", "", "b#c"}}},
	} {
		got, err := shellCommands(tc.script)
		if err != nil || !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("shellCommands(%q) = %q, %v; want %q", tc.script, got, err, tc.want)
		}
	}
	for _, bad := range []string{`a 'b`, `a "b`, `a $(b`} {
		if _, err := shellCommands(bad); err == nil {
			t.Errorf("shellCommands(%q): no error", bad)
		}
	}
}

func TestDiffBuilds(t *testing.T) {
	parse := func(s string) goBuild {
		b, err := goBuilds(s)
		if err != nil || len(b) != 1 {
			t.Fatalf("goBuilds(%q) = %v, %v", s, b, err)
		}
		return b[0]
	}
	base := `CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/...`
	if d := diffBuilds(parse(`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o bin/ ./cmd/...`).withMakeVars(), parse(base), "a", "b"); len(d) != 0 {
		t.Errorf("${VERSION} and $(VERSION): differences %q, want none", d)
	}
	for _, tc := range []struct{ other, want string }{
		{`go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/...`, `environment variable CGO_ENABLED="0" only in the b`},
		{`CGO_ENABLED=0 go build -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/...`, `flag -trimpath="true" only in the b`},
		{`CGO_ENABLED=0 go build -trimpath -ldflags="-s -X main.version=$(VERSION)" -o bin/ ./cmd/...`, `flag -ldflags: "-s -X main.version=$(VERSION)" in the a, "-s -w -X main.version=$(VERSION)" in the b`},
		{`CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/ ./cmd/verifeye-mock`, `packages: ["./cmd/verifeye-mock"] in the a, ["./cmd/..."] in the b`},
	} {
		if d := diffBuilds(parse(tc.other), parse(base), "a", "b"); !slices.Contains(d, tc.want) {
			t.Errorf("%s: differences %q, want %q among them", tc.other, d, tc.want)
		}
	}
}

func TestParseMakefile(t *testing.T) {
	mk := parseMakefile([]byte("VERSION ?= $(shell git describe)\nLDFLAGS := -s -w -X main.version=$(VERSION)\n" +
		".PHONY: build\n\n## build: help\nbuild: release\n\techo $$HOME\n\nrelease:\n\t@CGO_ENABLED=0 go build \\\n\t  -ldflags \"$(LDFLAGS)\" ./cmd/...\n"))
	got := mk.recipeOf("build", "VERSION")
	want := []string{`CGO_ENABLED=0 go build -ldflags "-s -w -X main.version=$(VERSION)" ./cmd/...`, "echo $HOME"}
	if !slices.Equal(got, want) {
		t.Errorf("recipeOf(build) = %q, want %q", got, want)
	}
}
