// Command verifeye-contract runs the VerifEye contract suite against the in-process mock, a
// running server, or the live EU or US Service API, and reports where they disagree with
// openapi.yaml and with each other.
//
//	verifeye-contract --target mock
//	verifeye-contract --target http://127.0.0.1:8080
//	VERIFEYE_API_KEY=... verifeye-contract --target eu --junit contract.xml --report contract.json
//
// Against a running mock whose control API answers, the run works in accounts of its own
// (tenants it creates, unless --api-key names one to use) and deletes them at the end, so several
// runs and other test suites can share one mock: the run leaves no moved clock, queued subject or
// fault behind.
//
// Against production only read-only scenarios run unless --allow-writes (verification
// configurations, created under unique names and deleted again) and --allow-sessions (sessions,
// which may be billable) say otherwise; requests are rate-limited and the run has a deadline. The
// API key comes from --api-key or VERIFEYE_API_KEY, never from a file, and no output shows it;
// the same holds for a second account's key (--api-key-b, VERIFEYE_API_KEY_B), which the
// cross-account scenarios need, and for a Bearer token (--bearer-token, VERIFEYE_BEARER_TOKEN)
// or the Security API's token endpoint to obtain one from (--token-url, VERIFEYE_TOKEN_URL).
//
// The exit status is 0 when every scenario that ran passed, 1 when one failed, 2 for a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/verifeye-twin/verifeye/contract"
	"github.com/verifeye-twin/verifeye/mockserver"
)

var version = "dev"

// mockAccountBKey is the second account's key in the in-process mock.
const mockAccountBKey = "contract-account-b-key"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	target, apiKey, apiKeyB, bearerToken, tokenURL, controlToken string
	runPattern, junit, report                                    string
	allowWrites, allowSessions, list, version                    bool
	rate                                                         float64
	timeout                                                      time.Duration
}

func usage(fs *flag.FlagSet, w io.Writer) func() {
	return func() {
		fmt.Fprint(w, `verifeye-contract runs the VerifEye contract suite.

Usage:
  verifeye-contract --target mock|eu|us|URL [flags]

Target:
`)
		for _, group := range [][]string{
			{"target", "api-key", "api-key-b", "bearer-token", "token-url", "control-token"},
			{"allow-writes", "allow-sessions", "rate", "timeout"},
			{"run", "list"},
			{"junit", "report"},
			{"version"},
		} {
			for _, name := range group {
				f := fs.Lookup(name)
				arg, text := flag.UnquoteUsage(f)
				fmt.Fprintf(w, "  --%s %s\n        %s", f.Name, arg, text)
				if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
					fmt.Fprintf(w, " (default %s)", f.DefValue)
				}
				fmt.Fprintln(w)
			}
			next := map[string]string{"control-token": "\nSafety (live targets):\n", "timeout": "\nSelection:\n", "list": "\nOutput:\n", "report": "\nGeneral:\n"}
			fmt.Fprint(w, next[group[len(group)-1]])
		}
	}
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, code, done := parseFlags(args, stdout, stderr)
	if done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "verifeye-contract: "+format+"\n", a...)
		return 2
	}
	if o.version {
		fmt.Fprintf(stdout, "verifeye-contract %s\n", version)
		return 0
	}
	if o.list {
		listScenarios(stdout)
		return 0
	}
	fromEnvironment(&o, getenv)
	filter, err := o.check()
	if err != nil {
		return fail("%v", err)
	}
	target, closeTarget, err := buildTarget(ctx, &o)
	if err != nil {
		return fail("%v", err)
	}
	defer closeTarget()
	rep := contract.Run(ctx, target, contract.Options{
		AllowWrites: o.allowWrites, AllowSessions: o.allowSessions, Run: filter,
		RequestsPerSecond: o.rate, Timeout: o.timeout,
	})
	return writeReport(rep, o, stdout, stderr)
}

// parseFlags reads the command line. done says the command has nothing more to do (help, or a
// usage error), with the exit status in code.
func parseFlags(args []string, stdout, stderr io.Writer) (o options, code int, done bool) {
	fs := flag.NewFlagSet("verifeye-contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "", "`TARGET` to run against: mock (an in-process mock), eu or us (the live API), or the URL of a running server")
	fs.StringVar(&o.apiKey, "api-key", "", "the `KEY` to authenticate with (env VERIFEYE_API_KEY); not needed for --target mock, nor for a running mock with tenants, where the run creates its own account; never read from a file")
	fs.StringVar(&o.apiKeyB, "api-key-b", "", "a second account's `KEY` (env VERIFEYE_API_KEY_B), for the scenarios that check one account cannot reach another's data; never read from a file")
	fs.StringVar(&o.bearerToken, "bearer-token", "", "a Bearer `TOKEN` obtained from the Security API (env VERIFEYE_BEARER_TOKEN), for the Bearer scenarios")
	fs.StringVar(&o.tokenURL, "token-url", "", "the Security API's token endpoint `URL` (env VERIFEYE_TOKEN_URL), such as https://security-api-eu.realeyes.ai/v1/token/get, to obtain a Bearer token with the API key; a mock's own by default")
	fs.StringVar(&o.controlToken, "control-token", "", "the mock's control `TOKEN`, when it runs with --control-token (env VERIFEYE_CONTROL_TOKEN)")
	fs.BoolVar(&o.allowWrites, "allow-writes", false, "on a live target, run scenarios that create (and delete again) their own verification configurations")
	fs.BoolVar(&o.allowSessions, "allow-sessions", false, "on a live target, run scenarios that create sessions (possibly billable)")
	fs.Float64Var(&o.rate, "rate", 0, "at most `N` requests per second; 0 means 5 on a live target and no limit otherwise")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "the longest the whole `DURATION` of the run may be")
	fs.StringVar(&o.runPattern, "run", "", "run only the scenarios whose name matches this `regexp`")
	fs.BoolVar(&o.list, "list", false, "list the scenarios with what they need, and exit")
	fs.StringVar(&o.junit, "junit", "", "write JUnit XML to `FILE`")
	fs.StringVar(&o.report, "report", "", "write the JSON report (per-operation statuses and latencies, every schema violation) to `FILE`")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = usage(fs, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, stdout)()
			return o, 0, true
		}
		return o, 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "verifeye-contract: unexpected argument %q\n", fs.Arg(0))
		return o, 2, true
	}
	return o, 0, false
}

func listScenarios(stdout io.Writer) {
	for _, s := range contract.Scenarios() {
		needs := make([]string, len(s.Needs))
		for i, n := range s.Needs {
			needs[i] = string(n)
		}
		fmt.Fprintf(stdout, "%-60s %s\n", s.Name, strings.Join(needs, ","))
	}
}

// fromEnvironment fills the secrets and the token URL not given as flags from their environment
// twins.
func fromEnvironment(o *options, getenv func(string) string) {
	orEnv := func(v *string, fromEnv string) {
		if *v == "" {
			*v = fromEnv
		}
	}
	orEnv(&o.apiKey, getenv("VERIFEYE_API_KEY"))
	orEnv(&o.apiKeyB, getenv("VERIFEYE_API_KEY_B"))
	orEnv(&o.bearerToken, getenv("VERIFEYE_BEARER_TOKEN"))
	orEnv(&o.tokenURL, getenv("VERIFEYE_TOKEN_URL"))
	orEnv(&o.controlToken, getenv("VERIFEYE_CONTROL_TOKEN"))
}

// check reports the first wrong option, and compiles --run.
func (o options) check() (*regexp.Regexp, error) {
	var filter *regexp.Regexp
	if o.runPattern != "" {
		re, err := regexp.Compile(o.runPattern)
		if err != nil {
			return nil, fmt.Errorf("--run: not a regexp: %v", err)
		}
		filter = re
	}
	switch {
	case o.tokenURL != "" && !strings.HasPrefix(o.tokenURL, "http://") && !strings.HasPrefix(o.tokenURL, "https://"):
		return nil, errors.New("--token-url: must be an http(s) URL")
	case o.apiKeyB != "" && o.apiKeyB == o.apiKey:
		return nil, errors.New("--api-key-b: must be another account's key, not the --api-key")
	case o.rate < 0:
		return nil, errors.New("--rate: must not be negative")
	case o.timeout <= 0:
		return nil, errors.New("--timeout: must be positive")
	}
	return filter, nil
}

// buildTarget makes the target --target names, and what stops it (the in-process mock).
func buildTarget(ctx context.Context, o *options) (contract.Target, func(), error) {
	var target contract.Target
	closeTarget := func() {}
	switch t := strings.ToLower(o.target); {
	case t == "":
		return target, nil, errors.New("--target: required (mock, eu, us or a URL)")
	case t == "mock":
		// Two accounts, so the cross-account scenarios always run here.
		m, err := mockserver.New(mockserver.Options{Accounts: []mockserver.Account{
			{ID: "dev", APIKeys: []string{mockserver.DevAPIKey}},
			{ID: "contract-b", APIKeys: []string{mockAccountBKey}},
		}})
		if err != nil {
			return target, nil, fmt.Errorf("start the in-process mock: %v", err)
		}
		srv := httptest.NewServer(m)
		closeTarget = func() { srv.Close(); m.Close() }
		target = contract.Target{Name: "mock (in-process)", BaseURL: srv.URL, APIKey: mockserver.DevAPIKey, APIKeyB: mockAccountBKey,
			Control: &contract.Control{BaseURL: srv.URL}}
	case t == "eu" || t == "us":
		if o.apiKey == "" {
			return target, nil, fmt.Errorf("--api-key or VERIFEYE_API_KEY: required for the live %s API", strings.ToUpper(t))
		}
		target, _ = contract.LiveTarget(t, o.apiKey)
		if o.rate == 0 {
			o.rate = 5
		}
	case strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://"):
		target = contract.URLTarget(ctx, o.target, o.apiKey, o.controlToken)
		if target.APIKey == "" && target.Control == nil {
			// No key and no control API to make an account with: a mock started without keys.
			target.APIKey = mockserver.DevAPIKey
		}
	default:
		return target, nil, fmt.Errorf("--target: must be mock, eu, us or an http(s) URL (got %q)", o.target)
	}
	if target.APIKeyB == "" { // the in-process mock has its own second account
		target.APIKeyB = o.apiKeyB
	}
	target.BearerToken, target.TokenURL = o.bearerToken, o.tokenURL
	return target, closeTarget, nil
}

// writeReport writes the text report and the files asked for, and returns the exit status.
func writeReport(rep *contract.Report, o options, stdout, stderr io.Writer) int {
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, err)
	}
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.junit, rep.WriteJUnit}, {o.report, rep.WriteJSON}} {
		if out.path == "" {
			continue
		}
		f, err := os.Create(out.path)
		if err == nil {
			err = out.write(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "verifeye-contract: write %s: %v\n", out.path, err)
			return 1
		}
	}
	if !rep.Ok() {
		return 1
	}
	return 0
}
