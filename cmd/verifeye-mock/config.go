package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verifeye-twin/verifeye/fixtures"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/signing"
)

const cmdName = "verifeye-mock"

// envPrefix starts the environment twin of every flag; see envName.
const envPrefix = "VERIFEYE_MOCK_"

// envName is the one rule that names a flag's environment twin: the prefix, then the flag upper-cased
// with '-' turned into '_' (--log-level → VERIFEYE_MOCK_LOG_LEVEL).
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// noEnv marks a setting that has no environment twin (--help, --version).
const noEnv = "-"

// sourceDefault is where a value came from when neither its flag nor its environment twin gave it.
const sourceDefault = "default"

// A setting is one row of the flag table: a flag, its environment twin, its default, where --help
// lists it, and how its text becomes part of the config. The table is the only place a flag is
// defined: parseConfig registers every row on the FlagSet, reads every environment twin and
// resolves the precedence (flag > env > default) the same way for all of them, and --help is
// rendered from it.
type setting struct {
	name  string // the flag, without dashes
	group string // the --help heading; headings appear in the order of their first row
	arg   string // the value's placeholder in --help; "" makes a boolean flag
	usage string
	// def is the default as text, applied like any other value; "" when there is none.
	def string
	// defText is what --help says about the default when def is empty or not the whole story.
	defText string
	// env overrides the environment twin's name derived by envName; noEnv for none. Only
	// documented exceptions set it.
	env string
	// list makes a repeatable flag whose environment twin holds a comma-separated list; apply
	// is called once per item.
	list bool
	// apply parses one value into c. Its error says what is wrong with the value (the caller
	// names the flag or variable it came from).
	apply func(c *config, v string) error
}

// envVar returns the environment twin of s, or "" when it has none.
func (s setting) envVar() string {
	switch s.env {
	case "":
		return envName(s.name)
	case noEnv:
		return ""
	}
	return s.env
}

const (
	groupServer      = "Server"
	groupAccounts    = "Accounts"
	groupDeterminism = "Determinism"
	groupLogging     = "Logging"
	groupHosted      = "Hosted flow and control API"
	groupState       = "State"
	groupGeneral     = "General"
)

// settings is the flag table. To add a flag, add a row (and the config field it fills); to add a
// --help heading, give a row a new group.
var settings = []setting{
	{
		name: "addr", group: groupServer, arg: "HOST:PORT", def: "127.0.0.1:8080",
		usage: "Address to listen on. Port 0 picks a free port; the start-up banner shows the address bound. " +
			"On a loopback address the control API answers only calls whose Host is localhost, 127.0.0.1, [::1] " +
			"or that address, which keeps out web pages that point their own domain name at 127.0.0.1.",
		apply: func(c *config, v string) error {
			addr, err := parseAddr(v)
			c.addr = addr
			return err
		},
	},
	{
		name: "shutdown-timeout", group: groupServer, arg: "DURATION", def: "10s",
		usage: "How long the mock may take to stop after SIGINT or SIGTERM: in-flight requests run on, then queued " +
			"webhook deliveries are made, within this time in all; then connections are closed and the deliveries " +
			"left are dropped (the log counts them).",
		apply: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("must be a positive duration, such as 10s or 1m30s (got %q)", v)
			}
			c.shutdownTimeout = d
			return nil
		},
	},
	{
		name: "strict", group: groupServer,
		usage: "Refuse (400, or 404 for a path) what production accepts but the spec does not spell: unknown " +
			"JSON fields; field names, enum values, query parameter names and paths in another letter case; a " +
			"path with a trailing slash; integers in strings; query values in other forms, such as a uuid in braces. " +
			"Without it they are accepted as production accepts " +
			"them and named in the X-Mock-Warning header.",
		defText: "off",
		apply:   func(c *config, v string) (err error) { c.strict, err = parseBool(v); return err },
	},
	{
		name: "signing-variant", group: groupServer, arg: "NAME",
		usage: "Sign and validate query strings (signature/create and signature/validate, the hosted page's link " +
			"check, the signed result URL) with this canonical form: " + strings.Join(variantNames(), ", ") +
			". 'help' prints the names, the default first, and exits. docs/signing.md explains them.",
		defText: signing.DefaultVariant().Name,
		apply: func(c *config, v string) error {
			if v == "help" {
				c.signingVariantHelp = true
				return nil
			}
			if _, err := signing.VariantByName(v); err != nil {
				return fmt.Errorf("must be one of %s, or help (got %q)", strings.Join(variantNames(), ", "), v)
			}
			c.signingVariant = v
			return nil
		},
	},
	{
		name: "api-key", group: groupAccounts, arg: "KEY", list: true,
		env: "VERIFEYE_MOCK_API_KEYS", // the documented exception: plural, a comma-separated list
		usage: `An API key the mock accepts as "Authorization: ApiKey KEY". Repeat the flag for more ` +
			"accounts: every key is an account of its own that sees only its own data. The environment " +
			"variable takes a comma-separated list; --api-key flags replace it.",
		defText: `one development account "dev" with the key ` + mockserver.DevAPIKey,
		apply: func(c *config, v string) error {
			switch {
			case v == "":
				return errors.New("must not be empty")
			case strings.ContainsAny(v, " \t\r\n"):
				return errors.New("must not contain white space")
			case slices.Contains(c.apiKeys, v):
				return errors.New("repeats an earlier key; every key is an account of its own")
			}
			c.apiKeys = append(c.apiKeys, v)
			return nil
		},
	},
	{
		name: "seed", group: groupDeterminism, arg: "N",
		usage:   "Seed of ids, nonces, token keys and request ids: the same seed and the same requests give the same answers.",
		defText: "random, printed at start so the run can be repeated",
		apply: func(c *config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Errorf("must be an unsigned integer (got %q)", v)
			}
			c.seed = n
			return nil
		},
	},
	{
		name: "auto-complete", group: groupHosted, arg: "PRESET",
		usage: "Complete every hosted session at once with this subject preset (" + strings.Join(mockserver.PresetNames(), ", ") +
			") and redirect straight to the result URL, so a headless browser or an HTTP client follows the flow " +
			"through. Subjects queued with POST /_mock/subjects come first.",
		defText: "none: the hosted page shows its camera stand-in and waits",
		apply: func(c *config, v string) error {
			if _, ok := mockserver.Presets[v]; !ok {
				return fmt.Errorf("must be one of %s (got %q)", strings.Join(mockserver.PresetNames(), ", "), v)
			}
			c.autoComplete = v
			return nil
		},
	},
	{
		name: "control-addr", group: groupHosted, arg: "HOST:PORT",
		usage:   "Serve the control API (/_mock/) on this address of its own instead of the API's.",
		defText: "the API's address",
		apply: func(c *config, v string) error {
			addr, err := parseAddr(v)
			c.controlAddr = addr
			return err
		},
	},
	{
		name: "control-token", group: groupHosted, arg: "TOKEN",
		usage: "Require this token in the " + mockserver.ControlTokenHeader + " header of every control API call. " +
			"Without one, a control API listening beyond loopback (such as 0.0.0.0) is open to the network, " +
			"and the banner and the log warn of it.",
		defText: "none: the control API is open",
		apply: func(c *config, v string) error {
			if strings.ContainsAny(v, " \t\r\n") {
				return errors.New("must not contain white space")
			}
			c.controlToken = v
			return nil
		},
	},
	{
		name: "webhook-timeout", group: groupHosted, arg: "DURATION", def: "5s",
		usage: "How long one webhook delivery attempt may take (one retry follows a failure).",
		apply: func(c *config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("must be a positive duration, such as 5s (got %q)", v)
			}
			c.webhookTimeout = d
			return nil
		},
	},
	{
		name: "fixtures", group: groupState, arg: "SET", def: "none",
		usage: "Start with this data in the first account: none, default (the embedded set of verifications " +
			"covering every verifier mode, sessions with results and face collections), or the path of a JSON " +
			"file in the same shape. POST /_mock/reset loads it again. With --data-dir, only a new directory is filled.",
		apply: func(c *config, v string) error {
			set, err := fixtures.Named(v)
			if err != nil {
				return fixturesError(v, err)
			}
			if set != nil {
				c.fixtures, c.fixturesName = set, v
			}
			return nil
		},
	},
	{
		name: "data-dir", group: groupState, arg: "DIR",
		usage: "Keep the state (verifications, sessions and results, consumed nonces, face collections) in a " +
			"crash-safe database in this directory across restarts; a write is answered only once it is on disk.",
		defText: "none: the state lives in memory and is gone when the mock stops",
		apply: func(c *config, v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("must not be empty")
			}
			c.dataDir = v
			return nil
		},
	},
	{
		// An action, like --version, so it has no environment twin: a variable left set would
		// turn every start of the mock into a check.
		name: "check-data-dir", group: groupState, env: noEnv,
		usage: "Check the --data-dir database without serving or changing it: print what it holds (accounts, " +
			"verifications, sessions) and exit 0, or say what is damaged and exit 1.",
		apply: func(c *config, v string) (err error) { c.checkDataDir, err = parseBool(v); return err },
	},
	{
		name: "log-level", group: groupLogging, arg: "LEVEL", def: "info",
		usage: "The least severe log records written to stderr: debug, info, warn or error.",
		apply: func(c *config, v string) error {
			levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
			l, ok := levels[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("must be one of debug, info, warn, error (got %q)", v)
			}
			c.logLevel = l
			return nil
		},
	},
	{
		name: "log-format", group: groupLogging, arg: "FORMAT", def: "text",
		usage: "The format of the log on stderr: text (key=value) or json (one object a line).",
		apply: func(c *config, v string) error {
			switch f := strings.ToLower(v); f {
			case "text", "json":
				c.logFormat = f
				return nil
			}
			return fmt.Errorf("must be one of text, json (got %q)", v)
		},
	},
	{
		name: "version", group: groupGeneral, env: noEnv,
		usage: "Print the version and exit.",
		apply: func(c *config, v string) (err error) { c.version, err = parseBool(v); return err },
	},
	{
		name: "help", group: groupGeneral, env: noEnv,
		usage: "Print this help (also -h) and exit.",
		apply: func(c *config, v string) (err error) { c.help, err = parseBool(v); return err },
	},
}

// parseAddr checks a HOST:PORT listen address.
func parseAddr(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("must be HOST:PORT, such as 127.0.0.1:8080 or :0 (got %q)", v)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (port != "0" && n == 0) {
		return "", fmt.Errorf("port must be a number from 0 to 65535 (got %q)", v)
	}
	return net.JoinHostPort(host, port), nil
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("must be true or false (got %q)", v)
	}
	return b, nil
}

// config is the command's configuration after flags, environment and defaults are resolved.
type config struct {
	addr            string
	shutdownTimeout time.Duration
	apiKeys         []string // empty: the development account
	seed            uint64
	logLevel        slog.Level
	logFormat       string
	autoComplete    string
	strict          bool
	signingVariant  string // empty: the default variant
	controlAddr     string // empty: the control API shares the API's listener
	controlToken    string
	webhookTimeout  time.Duration
	dataDir         string
	fixtures        *fixtures.Set // nil: none
	fixturesName    string        // the --fixtures value, when it loads anything
	version         bool
	help            bool
	checkDataDir    bool // --check-data-dir: check the data directory and exit
	// signingVariantHelp is --signing-variant help: print the variants' names and exit.
	signingVariantHelp bool

	// source says where each setting's value came from: "--addr", "VERIFEYE_MOCK_ADDR" or
	// "default"; errors found after parsing (such as a failed listen) use it to name the culprit.
	source map[string]string
}

// usageError is a mistake in how the command was invoked. parseConfig has already reported it on
// stderr, with a hint to --help; main exits 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// given collects what the command line said for one setting; the table's apply parses it later,
// so precedence and error messages are handled in one place instead of inside flag.Value.Set.
type given struct {
	set     bool
	vals    []string
	boolean bool
	list    bool // keep every value; otherwise the last one wins, as with any flag
}

func (g *given) String() string { return strings.Join(g.vals, ",") }

func (g *given) Set(v string) error {
	g.set = true
	if !g.list {
		g.vals = g.vals[:0]
	}
	g.vals = append(g.vals, v)
	return nil
}

func (g *given) IsBoolFlag() bool { return g.boolean }

// parseConfig resolves every setting of the table from args (flags), getenv (environment twins,
// an empty value counts as unset) and the defaults, in that order of precedence. A usage error is
// reported on stderr and returned as a *usageError.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fail := func(err error, reported bool) error {
		if !reported {
			fmt.Fprintln(stderr, err)
		}
		fmt.Fprintf(stderr, "Run '%s --help' for the flags and their environment variables.\n", cmdName)
		return &usageError{err}
	}

	fs := flag.NewFlagSet(cmdName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // fail adds a hint to --help; --help itself prints the full usage
	flags := make([]*given, len(settings))
	for i, s := range settings {
		flags[i] = &given{boolean: s.arg == "", list: s.list}
		fs.Var(flags[i], s.name, s.usage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h: --help is a flag of the table
			return &config{help: true}, nil
		}
		return nil, fail(err, true) // the flag package has printed it
	}
	if fs.NArg() > 0 {
		return nil, fail(fmt.Errorf("unexpected argument %q: %s takes flags only", fs.Arg(0), cmdName), false)
	}

	c := &config{source: map[string]string{}}
	var firstErr error
	for i, s := range settings {
		src, vals := sourceDefault, []string(nil)
		if s.def != "" {
			vals = []string{s.def}
		}
		if env := s.envVar(); env != "" {
			if v := getenv(env); v != "" {
				src, vals = env, []string{v}
				if s.list {
					vals = strings.Split(v, ",")
					for j := range vals {
						vals[j] = strings.TrimSpace(vals[j])
					}
				}
			}
		}
		if flags[i].set {
			src, vals = "--"+s.name, flags[i].vals
		}
		c.source[s.name] = src
		for j, v := range vals {
			if err := s.apply(c, v); err != nil && firstErr == nil {
				if len(vals) > 1 {
					firstErr = fmt.Errorf("%s: value %d of %d: %w", src, j+1, len(vals), err)
				} else {
					firstErr = fmt.Errorf("%s: %w", src, err)
				}
			}
		}
	}
	if c.help || c.version || c.signingVariantHelp { // they need no valid configuration
		return c, nil
	}
	if firstErr != nil {
		return nil, fail(firstErr, false)
	}
	if c.checkDataDir && c.dataDir == "" {
		return nil, fail(fmt.Errorf("--check-data-dir: give the directory with --data-dir or %s", envName("data-dir")), false)
	}
	if c.source["seed"] == sourceDefault {
		c.seed = rand.Uint64()
	}
	return c, nil
}

// accounts returns the mock's accounts: one per API key, or the development account.
func (c *config) accounts() []mockserver.Account {
	if len(c.apiKeys) == 0 {
		return []mockserver.Account{{ID: mockserver.DevAccountID, APIKeys: []string{mockserver.DevAPIKey}}}
	}
	out := make([]mockserver.Account, 0, len(c.apiKeys))
	for _, k := range c.apiKeys {
		out = append(out, mockserver.Account{APIKeys: []string{k}}) // the mock derives the id
	}
	return out
}

// printHelp renders the flag table under its group headings.
func printHelp(w io.Writer) {
	fmt.Fprintf(w, `%[1]s runs an offline, stateful mock of Realeyes' VerifEye Service API.

Usage:
  %[1]s [flags]

Every flag has an environment variable: %[2]s and the flag's name upper-cased, with '-'
turned into '_'. A flag beats its variable, a variable beats the default; an empty variable
counts as unset.
`, cmdName, envPrefix)
	var groups []string
	for _, s := range settings {
		if !slices.Contains(groups, s.group) {
			groups = append(groups, s.group)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g)
		for _, s := range settings {
			if s.group != g {
				continue
			}
			head := "  --" + s.name
			if s.arg != "" {
				head += " " + s.arg
			}
			if s.list {
				head += " (repeatable)"
			}
			fmt.Fprintln(w, head)
			for _, line := range wrap(s.usage, 80-8) {
				fmt.Fprintln(w, "        "+line)
			}
			var facts []string
			if env := s.envVar(); env != "" {
				facts = append(facts, "env "+env)
			}
			switch {
			case s.defText != "":
				facts = append(facts, "default: "+s.defText)
			case s.def != "":
				facts = append(facts, "default "+s.def)
			}
			for _, line := range wrap(strings.Join(facts, "; "), 80-8) {
				fmt.Fprintln(w, "        "+line)
			}
		}
	}
}

// wrap breaks text into lines of at most width characters (longer words stand alone).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// variantNames lists the signing variants' names, the default first.
func variantNames() []string {
	var names []string
	for _, v := range signing.Variants() {
		names = append(names, v.Name)
	}
	return names
}

// fixtureSetNames are the --fixtures values that name a set rather than a file.
var fixtureSetNames = []string{"none", "default"}

// fixturesError explains a --fixtures value that could not be loaded. A value that is neither a
// set's name nor an existing file is most often a misspelt name (defaults, Default), so the
// answer lists what the flag takes and names the set the value is closest to.
func fixturesError(value string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	msg := fmt.Sprintf("%q is neither a fixture set nor an existing file; give none (start empty), "+
		"default (the embedded example data) or the path of a JSON fixture file", value)
	for _, name := range fixtureSetNames {
		if editDistance(strings.ToLower(value), name) <= 2 {
			msg += fmt.Sprintf(" (did you mean %s?)", name)
			break
		}
	}
	return errors.New(msg)
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
