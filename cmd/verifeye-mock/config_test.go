package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// allEnv sets every environment twin, so flags have something to beat.
var allEnv = map[string]string{
	"VERIFEYE_MOCK_ADDR":             "0.0.0.0:9000",
	"VERIFEYE_MOCK_SHUTDOWN_TIMEOUT": "3s",
	"VERIFEYE_MOCK_API_KEYS":         "env-a, env-b",
	"VERIFEYE_MOCK_SEED":             "11",
	"VERIFEYE_MOCK_LOG_LEVEL":        "warn",
	"VERIFEYE_MOCK_LOG_FORMAT":       "json",
}

func TestConfigPrecedence(t *testing.T) {
	defaults := config{addr: "127.0.0.1:8080", shutdownTimeout: 10 * time.Second, logLevel: slog.LevelInfo, logFormat: "text", webhookTimeout: 5 * time.Second}
	fromEnv := config{addr: "0.0.0.0:9000", shutdownTimeout: 3 * time.Second, apiKeys: []string{"env-a", "env-b"}, seed: 11,
		logLevel: slog.LevelWarn, logFormat: "json", webhookTimeout: 5 * time.Second}
	with := func(c config, edit func(*config)) config { edit(&c); return c }

	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		want   config
		source map[string]string // where the values came from; unlisted settings: "default"
	}{
		{name: "defaults", want: defaults},
		{name: "env beats default", env: allEnv, want: fromEnv, source: map[string]string{
			"addr": "VERIFEYE_MOCK_ADDR", "shutdown-timeout": "VERIFEYE_MOCK_SHUTDOWN_TIMEOUT", "api-key": "VERIFEYE_MOCK_API_KEYS",
			"seed": "VERIFEYE_MOCK_SEED", "log-level": "VERIFEYE_MOCK_LOG_LEVEL", "log-format": "VERIFEYE_MOCK_LOG_FORMAT",
		}},
		{
			name: "flag beats env",
			args: []string{"--addr", ":0", "--shutdown-timeout=1m", "--api-key", "flag-a", "--seed", "0", "--log-level", "debug", "--log-format", "text"},
			env:  allEnv,
			want: config{addr: ":0", shutdownTimeout: time.Minute, apiKeys: []string{"flag-a"}, seed: 0, logLevel: slog.LevelDebug, logFormat: "text", webhookTimeout: 5 * time.Second},
			source: map[string]string{
				"addr": "--addr", "shutdown-timeout": "--shutdown-timeout", "api-key": "--api-key",
				"seed": "--seed", "log-level": "--log-level", "log-format": "--log-format",
			},
		},
		{
			name: "flags and env mixed", args: []string{"-seed", "5"}, env: map[string]string{"VERIFEYE_MOCK_LOG_LEVEL": "ERROR"},
			want:   with(defaults, func(c *config) { c.seed, c.logLevel = 5, slog.LevelError }),
			source: map[string]string{"seed": "--seed", "log-level": "VERIFEYE_MOCK_LOG_LEVEL"},
		},
		{
			name: "api keys from repeated flags", args: []string{"--api-key", "k1", "--api-key=k2", "-api-key", "k3"},
			want:   with(defaults, func(c *config) { c.apiKeys = []string{"k1", "k2", "k3"} }),
			source: map[string]string{"api-key": "--api-key"},
		},
		{
			name: "api keys from env list", env: map[string]string{"VERIFEYE_MOCK_API_KEYS": " k1 ,k2"},
			want:   with(defaults, func(c *config) { c.apiKeys = []string{"k1", "k2"} }),
			source: map[string]string{"api-key": "VERIFEYE_MOCK_API_KEYS"},
		},
		{
			name: "api keys from both: the flags replace the env list", args: []string{"--api-key", "k3"},
			env:    map[string]string{"VERIFEYE_MOCK_API_KEYS": "k1,k2"},
			want:   with(defaults, func(c *config) { c.apiKeys = []string{"k3"} }),
			source: map[string]string{"api-key": "--api-key"},
		},
		{
			name: "an empty env var counts as unset", env: map[string]string{"VERIFEYE_MOCK_ADDR": "", "VERIFEYE_MOCK_API_KEYS": ""},
			want: defaults,
		},
		{
			name: "the last of a repeated single-valued flag wins", args: []string{"--addr", "127.0.0.1:1", "--addr", "127.0.0.1:2"},
			want:   with(defaults, func(c *config) { c.addr = "127.0.0.1:2" }),
			source: map[string]string{"addr": "--addr"},
		},
		{
			name: "port 0 on every interface", args: []string{"--addr", ":0"},
			want:   with(defaults, func(c *config) { c.addr = ":0" }),
			source: map[string]string{"addr": "--addr"},
		},
		{
			name: "IPv6 address", args: []string{"--addr", "[::1]:8081"},
			want:   with(defaults, func(c *config) { c.addr = "[::1]:8081" }),
			source: map[string]string{"addr": "--addr"},
		},
		{
			name: "largest seed", env: map[string]string{"VERIFEYE_MOCK_SEED": "18446744073709551615"},
			want:   with(defaults, func(c *config) { c.seed = 18446744073709551615 }),
			source: map[string]string{"seed": "VERIFEYE_MOCK_SEED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr syncBuffer
			got, err := parseConfig(tt.args, envOf(tt.env), &stderr)
			if err != nil {
				t.Fatalf("parseConfig: %v\nstderr: %s", err, stderr.String())
			}
			wantSource := map[string]string{}
			for _, s := range settings {
				wantSource[s.name] = sourceDefault
			}
			for k, v := range tt.source {
				wantSource[k] = v
			}
			if !reflect.DeepEqual(got.source, wantSource) {
				t.Errorf("sources:\n got %v\nwant %v", got.source, wantSource)
			}
			if got.source["seed"] == sourceDefault {
				tt.want.seed = got.seed // random
			}
			got.source = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("config:\n got %+v\nwant %+v", *got, tt.want)
			}
			if stderr.String() != "" {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
		})
	}
}

func TestRandomSeedWhenUnset(t *testing.T) {
	seeds := map[uint64]bool{}
	for range 3 {
		c, err := parseConfig(nil, envOf(nil), &syncBuffer{})
		if err != nil {
			t.Fatal(err)
		}
		seeds[c.seed] = true
	}
	if len(seeds) < 2 {
		t.Errorf("three runs without --seed chose the seeds %v; want them random", seeds)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // the error, naming the flag or variable
	}{
		{"unknown log level", []string{"--log-level", "loud"}, nil, `--log-level: must be one of debug, info, warn, error (got "loud")`},
		{"unknown log level from env", nil, map[string]string{"VERIFEYE_MOCK_LOG_LEVEL": "loud"}, `VERIFEYE_MOCK_LOG_LEVEL: must be one of debug, info, warn, error (got "loud")`},
		{"empty log level", []string{"--log-level="}, nil, `--log-level: must be one of debug, info, warn, error (got "")`},
		{"unknown log format", []string{"--log-format", "xml"}, nil, `--log-format: must be one of text, json (got "xml")`},
		{"unknown log format from env", nil, map[string]string{"VERIFEYE_MOCK_LOG_FORMAT": "xml"}, `VERIFEYE_MOCK_LOG_FORMAT: must be one of text, json (got "xml")`},
		{"bad seed", []string{"--seed", "x"}, nil, `--seed: must be an unsigned integer (got "x")`},
		{"unknown preset", []string{"--auto-complete", "nobody"}, nil, `--auto-complete: must be one of multipleFaces, noFace, pass, spoof, underage (got "nobody")`},
		{"unknown preset from env", nil, map[string]string{"VERIFEYE_MOCK_AUTO_COMPLETE": "Pass"}, `VERIFEYE_MOCK_AUTO_COMPLETE: must be one of multipleFaces, noFace, pass, spoof, underage (got "Pass")`},
		{"bad control addr", []string{"--control-addr", "nowhere"}, nil, `--control-addr: must be HOST:PORT, such as 127.0.0.1:8080 or :0 (got "nowhere")`},
		{"control token with a space", []string{"--control-token", "a b"}, nil, `--control-token: must not contain white space`},
		{"missing fixtures file", []string{"--fixtures", "no/such/fixtures.json"}, nil, `--fixtures: "no/such/fixtures.json" is neither a fixture set nor an existing file; give none (start empty), default (the embedded example data) or the path of a JSON fixture file`},
		{"misspelt fixture set", []string{"--fixtures", "defaults"}, nil, `--fixtures: "defaults" is neither a fixture set nor an existing file; give none (start empty), default (the embedded example data) or the path of a JSON fixture file (did you mean default?)`},
		{"fixture set in capitals from env", nil, map[string]string{"VERIFEYE_MOCK_FIXTURES": "NONE"}, `VERIFEYE_MOCK_FIXTURES: "NONE" is neither a fixture set nor an existing file; give none (start empty), default (the embedded example data) or the path of a JSON fixture file (did you mean none?)`},
		{"bad webhook timeout", []string{"--webhook-timeout", "0s"}, nil, `--webhook-timeout: must be a positive duration, such as 5s (got "0s")`},
		{"bad seed from env", nil, map[string]string{"VERIFEYE_MOCK_SEED": "x"}, `VERIFEYE_MOCK_SEED: must be an unsigned integer (got "x")`},
		{"negative seed", []string{"--seed=-1"}, nil, `--seed: must be an unsigned integer (got "-1")`},
		{"seed too large", []string{"--seed", "18446744073709551616"}, nil, `--seed: must be an unsigned integer (got "18446744073709551616")`},
		{"empty api key", []string{"--api-key", ""}, nil, `--api-key: must not be empty`},
		{"empty second api key", []string{"--api-key", "a", "--api-key", ""}, nil, `--api-key: value 2 of 2: must not be empty`},
		{"empty api key in env list", nil, map[string]string{"VERIFEYE_MOCK_API_KEYS": "a,,b"}, `VERIFEYE_MOCK_API_KEYS: value 2 of 3: must not be empty`},
		{"trailing comma in env list", nil, map[string]string{"VERIFEYE_MOCK_API_KEYS": "a,"}, `VERIFEYE_MOCK_API_KEYS: value 2 of 2: must not be empty`},
		{"api key with white space", []string{"--api-key", "a b"}, nil, `--api-key: must not contain white space`},
		{"repeated api key", []string{"--api-key", "a", "--api-key", "a"}, nil, `--api-key: value 2 of 2: repeats an earlier key`},
		{"repeated api key in env", nil, map[string]string{"VERIFEYE_MOCK_API_KEYS": "a,a"}, `VERIFEYE_MOCK_API_KEYS: value 2 of 2: repeats an earlier key`},
		{"addr without port", []string{"--addr", "localhost"}, nil, `--addr: must be HOST:PORT, such as 127.0.0.1:8080 or :0 (got "localhost")`},
		{"addr without port from env", nil, map[string]string{"VERIFEYE_MOCK_ADDR": "nope"}, `VERIFEYE_MOCK_ADDR: must be HOST:PORT`},
		{"port out of range", []string{"--addr", "127.0.0.1:65536"}, nil, `--addr: port must be a number from 0 to 65535 (got "127.0.0.1:65536")`},
		{"port by name", []string{"--addr", "127.0.0.1:http"}, nil, `--addr: port must be a number from 0 to 65535`},
		{"bad shutdown timeout", []string{"--shutdown-timeout", "soon"}, nil, `--shutdown-timeout: must be a positive duration, such as 10s or 1m30s (got "soon")`},
		{"zero shutdown timeout", []string{"--shutdown-timeout", "0s"}, nil, `--shutdown-timeout: must be a positive duration`},
		{"bad shutdown timeout from env", nil, map[string]string{"VERIFEYE_MOCK_SHUTDOWN_TIMEOUT": "-1s"}, `VERIFEYE_MOCK_SHUTDOWN_TIMEOUT: must be a positive duration`},
		{"bad value for a boolean flag", []string{"--version=maybe"}, nil, `--version: must be true or false (got "maybe")`},
		{"the flag's bad value beats a good env value", []string{"--seed", "x"}, map[string]string{"VERIFEYE_MOCK_SEED": "1"}, `--seed: must be an unsigned integer`},
		{"unknown flag", []string{"--bogus"}, nil, `flag provided but not defined: -bogus`},
		{"flag without its value", []string{"--addr"}, nil, `flag needs an argument: -addr`},
		{"positional argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			// Through run, as main sees it: nothing starts, the error is a usage error.
			err := run(context.Background(), tt.args, envOf(tt.env), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Errorf("error %v is not a usage error (exit 2)", err)
			}
			if strings.Count(stderr.String(), err.Error()) != 1 || !strings.Contains(stderr.String(), "--help") {
				t.Errorf("stderr should report the error once with a hint to --help:\n%s", stderr.String())
			}
			if stdout.String() != "" {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

// documented is the flags and variables the README's flag table lists, and --help, which prints
// the table itself. The table is written by hand, not derived from the flags, so a flag that
// disappears or is renamed on one side only fails the tests below.
var documented = sync.OnceValue(func() []struct{ flag, env string } {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		panic(err)
	}
	out := []struct{ flag, env string }{{"--help", ""}}
	row := regexp.MustCompile("(?m)^\\| `(--[a-z-]+)`[^|]*\\| (?:`([A-Z_]+)`)?[^|]*\\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		out = append(out, struct{ flag, env string }{m[1], m[2]})
	}
	return out
})

func TestHelpListsEveryFlag(t *testing.T) {
	var stdout syncBuffer
	if err := run(context.Background(), []string{"--help"}, envOf(nil), &stdout, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	help := stdout.String()
	var want []string
	for _, h := range []string{"Server", "Accounts", "Determinism", "Hosted flow and control API", "State", "Logging"} {
		want = append(want, "\n"+h+":\n")
	}
	for _, d := range documented() {
		if d.env != "" {
			want = append(want, "env "+d.env)
		}
	}
	for _, s := range settings {
		if s.def != "" {
			want = append(want, "default "+s.def)
		}
		if s.defText != "" {
			want = append(want, "default: "+strings.Fields(s.defText)[0])
		}
	}
	for _, w := range want {
		if !strings.Contains(help, w) {
			t.Errorf("--help lacks %q", w)
		}
	}
	for _, d := range documented() { // a flag line: "  --addr HOST:PORT" or "  --help"
		if !strings.Contains(help, "  "+d.flag+" ") && !strings.Contains(help, "  "+d.flag+"\n") {
			t.Errorf("--help does not list %s", d.flag)
		}
	}
	// Headings in order, each flag under its own.
	order := []string{"Server:", "--addr", "--shutdown-timeout", "Accounts:", "--api-key", "Determinism:", "--seed",
		"Logging:", "--log-level", "--log-format"}
	at := 0
	for _, w := range order {
		i := strings.Index(help[at:], w)
		if i < 0 {
			t.Fatalf("--help does not have %q after the previous heading or flag:\n%s", w, help)
		}
		at += i
	}
}

func TestEnvTwinsFollowOneRule(t *testing.T) {
	var flags []string
	for _, s := range settings {
		flags = append(flags, "--"+s.name)
		want := "VERIFEYE_MOCK_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
		switch s.name {
		case "api-key":
			want = "VERIFEYE_MOCK_API_KEYS" // the documented exception
		case "version", "help", "check-data-dir":
			want = "" // actions, not settings
		}
		if got := s.envVar(); got != want {
			t.Errorf("--%s: environment twin %q, want %q", s.name, got, want)
		}
	}
	var docFlags []string
	for _, d := range documented() {
		docFlags = append(docFlags, d.flag)
	}
	slices.Sort(flags)
	slices.Sort(docFlags)
	if !slices.Equal(flags, docFlags) {
		t.Errorf("the flag table has %v, the documented flags are %v", flags, docFlags)
	}

	// parseConfig reads exactly the documented variables.
	var read []string
	if _, err := parseConfig(nil, func(k string) string { read = append(read, k); return "" }, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	var docEnv []string
	for _, d := range documented() {
		if d.env != "" {
			docEnv = append(docEnv, d.env)
		}
	}
	slices.Sort(read)
	slices.Sort(docEnv)
	if !slices.Equal(read, docEnv) {
		t.Errorf("parseConfig read %v, want %v", read, docEnv)
	}
}
