package dockercheck

import (
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The example workflows of docs/ci, which users copy into their repositories.
const (
	consumerWorkflow = "docs/ci/github-actions-consumer.yml"
	contractWorkflow = "docs/ci/github-actions-contract-production.yml"
)

// workflow is the part of GitHub Actions' workflow syntax the examples use. They are decoded with
// KnownFields, so a key outside it (a typo such as timeout-minute) fails the test: add the key
// here when an example needs a new one.
type workflow struct {
	Name        string            `yaml:"name"`
	On          workflowOn        `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency *struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]job    `yaml:"jobs"`
}

type workflowOn struct {
	Push             *struct{ Branches []string } `yaml:"push"`
	PullRequest      *struct{ Branches []string } `yaml:"pull_request"`
	Schedule         []struct{ Cron string }      `yaml:"schedule"`
	WorkflowDispatch *struct{}                    `yaml:"workflow_dispatch"`
}

type job struct {
	If             string             `yaml:"if"`
	RunsOn         string             `yaml:"runs-on"`
	TimeoutMinutes int                `yaml:"timeout-minutes"`
	Env            map[string]string  `yaml:"env"`
	Services       map[string]service `yaml:"services"`
	Steps          []step             `yaml:"steps"`
}

type service struct {
	Image   string            `yaml:"image"`
	Ports   []string          `yaml:"ports"`
	Env     map[string]string `yaml:"env"`
	Options string            `yaml:"options"`
}

type step struct {
	Name            string            `yaml:"name"`
	If              string            `yaml:"if"`
	Uses            string            `yaml:"uses"`
	With            map[string]any    `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	Shell           string            `yaml:"shell"`
	Run             string            `yaml:"run"`
	WorkingDir      string            `yaml:"working-directory"`
	ContinueOnError bool              `yaml:"continue-on-error"`
}

func loadWorkflow(t *testing.T, rel string) workflow {
	t.Helper()
	var w workflow
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s: no jobs", rel)
	}
	return w
}

// An invocation is a command of a run: step that runs one of the repository's binaries.
type invocation struct {
	job, step string
	binary    string            // verifeye-mock or verifeye-contract
	ref       string            // how it is named: $RUNNER_TEMP/verifeye-mock, ./cmd/verifeye-mock (go run), ...
	flags     map[string]string // --name value, --name=value; "" for a flag with no value after it
	order     []string
	stepEnv   map[string]string
	shell     string
	script    string
	built     *compile // the go run, go build or go install that makes it; nil when no earlier step does
}

func (i invocation) String() string { return fmt.Sprintf("job %s, step %q: %s", i.job, i.step, i.ref) }

func scanOf(t *testing.T, rel string, w workflow) scan {
	t.Helper()
	sc, err := scanWorkflow(w)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return sc
}

// longFlags are the --flags a file mentions anywhere, comments included.
func longFlags(src []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?:^|[\s"'(\x60])--([a-z][a-z0-9-]*)`).FindAllSubmatch(src, -1) {
		if name := string(m[1]); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// otherToolsFlags are the flags of other tools the examples pass or mention: curl's in the wait
// loops, docker's in the service container's options and in comments.
var otherToolsFlags = map[string]bool{
	"silent": true, "fail": true, "max-time": true, "show-error": true, // curl
	"health-interval": true, "health-timeout": true, "health-retries": true, "health-start-period": true, // docker create
	"build-arg": true, "platform": true, "entrypoint": true, "rm": true, // docker build and run
}

func TestWorkflows(t *testing.T) {
	module := modulePath(t)
	opts := map[string]binaryOptions{"verifeye-mock": mockOptions(t), "verifeye-contract": contractOptions(t)}
	for bin := range opts {
		if _, err := os.Stat(filepath.Join(root, "cmd", bin)); err != nil {
			t.Fatalf("the binary %s: %v", bin, err)
		}
	}

	for _, rel := range []string{consumerWorkflow, contractWorkflow} {
		w := loadWorkflow(t, rel)
		sc := scanOf(t, rel, w)
		invs := sc.invs
		t.Run(rel, func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				check func() []string
			}{
				{"it runs a binary of this repository", func() []string {
					if len(invs) == 0 {
						return []string{"no run: step runs verifeye-mock or verifeye-contract"}
					}
					return nil
				}},
				{"it builds the binaries from a pinned checkout of this repository", func() []string {
					return buildProblems(w, sc, module)
				}},
				{"the README names the variables it builds from", func() []string {
					var out []string
					readme := string(readFile(t, "README.md"))
					for _, co := range sc.checkouts {
						for _, name := range []string{envRef(co.repository), envRef(co.ref)} {
							if name != "" && !strings.Contains(readme, "`"+name+"`") {
								out = append(out, fmt.Sprintf("%s: README.md does not say to set %s", co, name))
							}
						}
					}
					return out
				}},
				{"every flag it passes exists", func() []string {
					var out []string
					for _, inv := range invs {
						for _, f := range inv.order {
							if !opts[inv.binary].flags[f] {
								out = append(out, fmt.Sprintf("%s passes --%s, which %s does not have (it has %s)", inv, f, inv.binary, flagList(opts[inv.binary].flags)))
							}
						}
					}
					return out
				}},
				{"every flag it mentions exists", func() []string {
					var out []string
					for _, f := range longFlags(readFile(t, rel)) {
						if !opts["verifeye-mock"].flags[f] && !opts["verifeye-contract"].flags[f] && !otherToolsFlags[f] {
							out = append(out, fmt.Sprintf("--%s is a flag of neither binary (nor one of curl's or docker's this test knows)", f))
						}
					}
					return out
				}},
				{"every VERIFEYE_ variable it sets or mentions exists", func() []string {
					var out []string
					// the consumer's own: the base URL its tests call, the repository variable naming its image
					known := map[string]bool{"VERIFEYE_BASE_URL": true, "VERIFEYE_IMAGE": true}
					maps.Copy(known, opts["verifeye-mock"].env)
					maps.Copy(known, opts["verifeye-contract"].env)
					for _, co := range sc.checkouts { // the workflow's own: the repository and ref to build
						for _, name := range []string{envRef(co.repository), envRef(co.ref)} {
							known[name] = name != ""
						}
					}
					for _, m := range regexp.MustCompile(`\bVERIFEYE_[A-Z0-9_]+\b`).FindAll(readFile(t, rel), -1) {
						// VERIFEYE_MOCK_* names them all
						if name := string(m); !known[name] && !strings.HasSuffix(name, "_") && !slices.Contains(out, name) {
							out = append(out, name)
						}
					}
					for i, name := range out {
						out[i] = fmt.Sprintf("%s is an environment variable of neither binary (%s)", name, flagList(known))
					}
					return out
				}},
				{"a step that pipes its output keeps the exit status", func() []string {
					var out []string
					for _, inv := range invs {
						if strings.Contains(inv.script, "|") && inv.shell != "bash" {
							out = append(out, fmt.Sprintf("%s: the script pipes, so want shell: bash (bash -eo pipefail); the default shell loses the exit status of the pipe's first command", inv))
						}
					}
					return out
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					for _, p := range tc.check() {
						t.Error(p)
					}
				})
			}
		})
	}

	t.Run(consumerWorkflow+": the mock as in the docs", func(t *testing.T) {
		w := loadWorkflow(t, consumerWorkflow)
		invs := scanOf(t, consumerWorkflow, w).invs
		baseURL := w.Env["VERIFEYE_BASE_URL"]
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			t.Fatalf("env VERIFEYE_BASE_URL=%q, want the mock's base URL", baseURL)
		}
		var mock *invocation
		for i := range invs {
			if invs[i].binary == "verifeye-mock" {
				mock = &invs[i]
			}
		}
		if mock == nil {
			t.Fatal("no step runs verifeye-mock")
		}
		for _, tc := range []struct{ flag, want string }{
			{"addr", u.Host}, {"seed", "1"}, {"auto-complete", "pass"},
		} {
			if got, ok := mock.flags[tc.flag]; !ok || got != tc.want {
				t.Errorf("%s: --%s %q, want %q", mock, tc.flag, got, tc.want)
			}
		}
		if !strings.Contains(mock.script, "$VERIFEYE_BASE_URL/v1/healthz") || !strings.Contains(mock.script, "curl") {
			t.Errorf("%s: want a curl loop that waits for $VERIFEYE_BASE_URL/v1/healthz", mock)
		}
		if k := mock.flags["api-key"]; k != "" && k != "$VERIFEYE_API_KEY" {
			t.Errorf("%s: --api-key %q, want $VERIFEYE_API_KEY, the key the tests use", mock, k)
		}

		// the services: variant
		var found bool
		for name, j := range w.Jobs {
			for svcName, svc := range j.Services {
				found = true
				where := fmt.Sprintf("job %s, service %s", name, svcName)
				if !slices.Contains(svc.Ports, u.Port()+":8080") {
					t.Errorf("%s: ports %q, want %s:8080 (the image listens on 8080, the tests call %s)", where, svc.Ports, u.Port(), baseURL)
				}
				for k := range svc.Env {
					if !opts["verifeye-mock"].env[k] {
						t.Errorf("%s: env %s is no environment variable of verifeye-mock (%s)", where, k, flagList(opts["verifeye-mock"].env))
					}
				}
				if svc.Env["VERIFEYE_MOCK_SEED"] != "1" || svc.Env["VERIFEYE_MOCK_AUTO_COMPLETE"] != "pass" {
					t.Errorf("%s: env %v, want VERIFEYE_MOCK_SEED=1 and VERIFEYE_MOCK_AUTO_COMPLETE=pass, as the go run job", where, svc.Env)
				}
				if keys := svc.Env["VERIFEYE_MOCK_API_KEYS"]; keys != "" && keys != w.Env["VERIFEYE_API_KEY"] {
					t.Errorf("%s: VERIFEYE_MOCK_API_KEYS=%q, but the tests use VERIFEYE_API_KEY=%q", where, keys, w.Env["VERIFEYE_API_KEY"])
				}
				if strings.Contains(svc.Options, "--health-cmd") {
					t.Errorf("%s: --health-cmd runs through /bin/sh, which the image has not; keep the image's HEALTHCHECK", where)
				}
			}
		}
		if !found {
			t.Error("no job runs the mock as a services: container")
		}
	})

	t.Run(contractWorkflow+": scheduled, read-only, reports kept", func(t *testing.T) {
		w := loadWorkflow(t, contractWorkflow)
		invs := scanOf(t, contractWorkflow, w).invs
		cron := regexp.MustCompile(`^\S+ \S+ \S+ \S+ \S+$`)
		if len(w.On.Schedule) == 0 {
			t.Error("on: has no schedule")
		}
		for _, s := range w.On.Schedule {
			if !cron.MatchString(s.Cron) {
				t.Errorf("schedule cron %q, want five fields", s.Cron)
			}
		}
		var contract *invocation
		for i := range invs {
			if invs[i].binary == "verifeye-contract" {
				contract = &invs[i]
			}
		}
		if contract == nil {
			t.Fatal("no step runs verifeye-contract")
		}
		if got := contract.flags["target"]; got != "eu" {
			t.Errorf("%s: --target %q, want eu", contract, got)
		}
		for _, f := range []string{"allow-writes", "allow-sessions"} {
			if _, ok := contract.flags[f]; ok {
				t.Errorf("%s: --%s: the scheduled run against production stays read-only", contract, f)
			}
		}
		if _, ok := contract.flags["api-key"]; ok {
			t.Errorf("%s: --api-key puts the key on the command line; pass it as VERIFEYE_API_KEY", contract)
		}
		if got := contract.stepEnv["VERIFEYE_API_KEY"]; got != "${{ secrets.VERIFEYE_API_KEY }}" {
			t.Errorf("%s: env VERIFEYE_API_KEY=%q, want ${{ secrets.VERIFEYE_API_KEY }}", contract, got)
		}
		reports := []string{contract.flags["junit"], contract.flags["report"]}
		if slices.Contains(reports, "") {
			t.Errorf("%s: --junit %q --report %q, want both", contract, reports[0], reports[1])
		}
		var uploaded bool
		for name, j := range w.Jobs {
			for _, st := range j.Steps {
				if st.ContinueOnError {
					t.Errorf("job %s, step %q: continue-on-error hides drift; the job must fail", name, st.Name)
				}
				if !strings.HasPrefix(st.Uses, "actions/upload-artifact@") {
					continue
				}
				uploaded = true
				if st.If != "always()" {
					t.Errorf("job %s, step %q: if %q, want always(): the reports matter most when the suite fails", name, st.Name, st.If)
				}
				p, _ := st.With["path"].(string)
				for _, r := range reports {
					if !slices.Contains(strings.Fields(p), r) {
						t.Errorf("job %s, step %q: path %q does not upload %s", name, st.Name, p, r)
					}
				}
			}
		}
		if !uploaded {
			t.Error("no step uploads the reports (actions/upload-artifact)")
		}
	})
}

func flagList(m map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
