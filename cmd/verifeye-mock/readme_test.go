package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README is the first thing a new user runs. These tests hold it to what it claims: the
// quick start runs as pasted, the test command is the one CI runs and says what it needs, every
// shell block is bash, every link stays inside the repository, and nothing installs the module
// by a path that is not published.

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readmeSection returns the README's section under the heading "## "+title, up to the next one.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	_, section, ok := strings.Cut(readRepoFile(t, "README.md"), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", "## "+title)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// fence is one fenced code block of a Markdown file.
type fence struct {
	lang, body string
	line       int
}

var fenceRE = regexp.MustCompile("(?m)^```([^\n]*)\n((?s:.*?))^```[ \t]*$")

func fences(md string) []fence {
	var out []fence
	for _, m := range fenceRE.FindAllStringSubmatchIndex(md, -1) {
		out = append(out, fence{lang: md[m[2]:m[3]], body: md[m[4]:m[5]], line: strings.Count(md[:m[0]], "\n") + 1})
	}
	return out
}

// TestReadmeQuickStartRuns runs the quick start's curl block with bash, as a reader pastes it,
// against the mock started with the flags of the block before it, and checks each answer the
// README shows after "# →" (with … for what varies). The one change to the block is the mock's
// address: the test's mock listens on a free port, not on 8080.
func TestReadmeQuickStartRuns(t *testing.T) {
	quick := readmeSection(t, "Quick start: the whole flow with curl")
	var start, script string
	for _, f := range fences(quick) {
		switch {
		case strings.HasPrefix(f.body, "go run ./cmd/verifeye-mock"):
			start = f.body
		case strings.HasPrefix(f.body, "B="):
			script = f.body
		}
	}
	if start == "" || script == "" {
		t.Fatal("the quick start has no block that starts the mock, or none that begins with B=")
	}
	const readmeBase = "B=http://127.0.0.1:8080\n"
	if strings.Count(script, readmeBase) != 1 {
		t.Fatalf("the quick start's block does not set %q once", readmeBase)
	}
	key := regexp.MustCompile(`\nK=(\S+)`).FindStringSubmatch(script)
	if key == nil {
		t.Fatal("the quick start's block sets no key K")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("the quick start is bash: ", err)
	}
	for _, tool := range []string{"curl", "grep", "cut", "sed", "tr", "head"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the quick start needs %s: %v", tool, err)
		}
	}

	flags := strings.Fields(strings.TrimPrefix(strings.TrimSpace(start), "go run ./cmd/verifeye-mock"))
	m := startRun(t, append(flags, "--addr", "127.0.0.1:0"), nil)
	waitHealthy(t, m.url)
	if !strings.Contains(m.stdout.String(), key[1]) {
		t.Errorf("the banner does not print the quick start's key %s:\n%s", key[1], m.stdout)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-eu") // the script on stdin, as if pasted; stop at a failing command
	cmd.Stdin = strings.NewReader(strings.Replace(script, readmeBase, "B="+m.url+"\n", 1))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the quick start failed: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	checkShownAnswers(t, script, stdout.String())
}

// checkShownAnswers checks that out has, in order, a line for each answer the script shows in a
// "# → " comment, where … stands for any text. A line's carriage return, which a terminal does
// not show, is ignored.
func checkShownAnswers(t *testing.T, script, out string) {
	t.Helper()
	var wants []string
	for _, line := range strings.Split(script, "\n") {
		if want, ok := strings.CutPrefix(line, "# → "); ok {
			wants = append(wants, want)
		}
	}
	if len(wants) < 8 {
		t.Fatalf("the quick start shows %d answers; it shows one for each step", len(wants))
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r") // an HTTP status line, as curl -i prints it
	}
	next := 0
	for _, want := range wants {
		parts := strings.Split(want, "…")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		re := regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
		found := false
		for ; next < len(lines) && !found; next++ {
			found = re.MatchString(lines[next])
		}
		if !found {
			t.Errorf("the quick start shows the answer\n  %s\nbut its output has no such line (in that order):\n%s", want, out)
			return
		}
	}
}

// TestReadmeTestCommand: the set-up section's test command is the one CI runs (.ci/run) and
// make test runs, and the section says what it needs: -race needs cgo, so a C compiler.
func TestReadmeTestCommand(t *testing.T) {
	setup := readmeSection(t, "Set up")
	var command string
	for _, f := range fences(setup) {
		if strings.Contains(f.body, "gotestsum") {
			command = strings.TrimSpace(f.body)
			break
		}
	}
	if command == "" || strings.Contains(command, "\n") {
		t.Fatalf("the set-up section shows no one-line test command: %q", command)
	}
	for _, file := range []string{".ci/run", "Makefile"} {
		if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(command) + `\s*$`).MatchString(readRepoFile(t, file)) {
			t.Errorf("%s does not run the README's test command %q", file, command)
		}
	}
	if strings.Contains(command, "-race") {
		for _, need := range []string{"C compiler", "cgo", "gcc"} {
			if !strings.Contains(setup, need) {
				t.Errorf("the test command uses -race, but the set-up section does not mention %q", need)
			}
		}
	}
}

// TestReadmeShellBlocksAreBash: the shell examples use bash (arrays, <<<), so every fence of the
// README and docs/ names its language, and none says sh.
func TestReadmeShellBlocksAreBash(t *testing.T) {
	for _, file := range markdownFiles(t) {
		for _, f := range fences(readRepoFile(t, file)) {
			switch f.lang {
			case "":
				t.Errorf("%s:%d: a fence without a language", file, f.line)
			case "sh", "shell", "console", "zsh":
				t.Errorf("%s:%d: a %s fence; the examples are bash", file, f.line, f.lang)
			}
		}
	}
}

// TestReadmeLinksStayInTheRepository: every relative link of the README and docs/ names a file
// or directory of the repository, and none leads outside it.
func TestReadmeLinksStayInTheRepository(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range markdownFiles(t) {
		for _, m := range link.FindAllStringSubmatch(readRepoFile(t, file), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			switch {
			case target == "", strings.HasPrefix(target, "https://"), strings.HasPrefix(target, "http://"):
				continue
			case filepath.IsAbs(target) || strings.Contains(target, ":"):
				t.Errorf("%s links %s: not a path inside the repository", file, m[1])
				continue
			}
			path := filepath.Join(root, filepath.Dir(file), filepath.FromSlash(target))
			if rel, err := filepath.Rel(root, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				t.Errorf("%s links %s, outside the repository", file, m[1])
			} else if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links %s, which the repository does not have", file, m[1])
			}
		}
	}
}

// TestReadmeInstallsNothingByModulePath: the module path is not published, so the README never
// has a reader go install or go run it by path at a version.
func TestReadmeInstallsNothingByModulePath(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	re := regexp.MustCompile(`go (install|run|get) [^\n]*github\.com/verifeye-twin/verifeye[^\s]*@`)
	for _, m := range re.FindAllString(readme, -1) {
		t.Errorf("the README runs %q: the module path is not published", m)
	}
	if !strings.Contains(readme, "go install ./cmd/verifeye-mock") {
		t.Error("the README does not say how to install the mock from a clone")
	}
}

// markdownFiles are the README and the Markdown files of docs/, relative to the root.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, _ := filepath.Rel(repoRoot, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	return files
}
