package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/verifeye-twin/verifeye/fixtures"
	"github.com/verifeye-twin/verifeye/internal/logbuffer"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/signing"
)

// version is the mock's version, set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Timeouts of the HTTP server against slow or idle clients.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// maxHeaderBytes bounds what net/http reads of a request's line and header fields before
	// the mock sees it (net/http's own default, 1 MiB). It is far above production's limits,
	// which the mock answers itself (mockserver.MaxRequestLineBytes, MaxHeaderBytes), so that a
	// request over them reaches the mock and gets the API's error format rather than net/http's
	// plain-text 431.
	maxHeaderBytes = 1 << 20
)

// defaultGCPercent is the garbage collector's GOGC when the environment does not set one. The
// mock's live heap is small (a few MiB plus its state) and every request allocates, so with Go's
// default of 100 the collector runs every few thousand requests and takes a large share of the
// CPU under load; at 400 it runs a quarter as often, for a heap that may grow to five times the
// live data between collections (see docs/performance.md). GOGC, when set, wins.
const defaultGCPercent = 400

// defaultMemoryLimit is the soft memory limit (debug.SetMemoryLimit) that goes with
// defaultGCPercent when the environment sets neither GOGC nor GOMEMLIMIT. GOGC=400 lets the heap
// grow to five times the live data between collections, which under a load of create-session
// (every session is kept) took the process to 180–208 MiB; with this limit the collector runs as
// often as it must to keep the Go heap under 80 MiB, so the process stays under about 90 MiB while
// the live data is small; above 40 MiB of live data the limit follows it (memlimit.go).
// GOMEMLIMIT, or a GOGC of one's own, wins.
const defaultMemoryLimit = 80 << 20

// tuneGC applies defaultGCPercent, and defaultMemoryLimit unless GOMEMLIMIT is set, when GOGC is
// not set, and returns the GOGC and the memory limit in effect.
func tuneGC(getenv func(string) string) (gcPercent int, memoryLimit int64) {
	if getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1) // read the value the runtime took from GOGC
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	debug.SetGCPercent(defaultGCPercent)
	if getenv("GOMEMLIMIT") != "" {
		return defaultGCPercent, debug.SetMemoryLimit(-1) // the runtime's reading of it
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return defaultGCPercent, defaultMemoryLimit
}

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if defaultMemoryTuning(os.Getenv) {
		go followLiveHeap(ctx, liveHeapInterval, liveHeap, setMemoryLimit)
	}
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	var usage *usageError
	switch {
	case errors.As(err, &usage):
		os.Exit(2) // run has reported it, with a hint to --help
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: %s\n", cmdName, err)
		os.Exit(1)
	}
}

// run is the whole command: it parses args and the environment, serves the mock until ctx is
// cancelled, then shuts down gracefully and returns nil. The banner, --help and --version go to
// stdout, the log to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	switch {
	case cfg.help:
		printHelp(stdout)
		return nil
	case cfg.version:
		_, err := fmt.Fprintf(stdout, "%s %s\n", cmdName, version)
		return err
	case cfg.signingVariantHelp:
		_, err := fmt.Fprintln(stdout, strings.Join(variantNames(), "\n"))
		return err
	case cfg.checkDataDir:
		return checkDataDir(cfg, stdout)
	}

	logs := logbuffer.New(stderr, logbuffer.FlushDelay)
	defer logs.Close() // last: after the mock and its servers have logged their last lines
	logger := newLogger(cfg, logs)
	fixtures := &fixtureLoader{cfg: cfg, logger: logger}
	controlHosts, openControl := controlExposure(cfg)
	srv, err := mockserver.New(mockOptions(cfg, logger, fixtures, controlHosts))
	if err != nil {
		if cfg.dataDir != "" && (strings.Contains(err.Error(), "data dir") || errors.Is(err, mockserver.ErrDataDamaged)) {
			return fmt.Errorf("%s: %w", cfg.source["data-dir"], err)
		}
		return fmt.Errorf("build the mock: %w", err)
	}
	// Only on the way out before serving: serve stops the mock itself, within --shutdown-timeout.
	defer srv.Close()
	fixtures.logKept()

	// Listen before printing anything, so port 0 is resolved and the banner is true.
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("%s: cannot listen on %q: %w", cfg.source["addr"], cfg.addr, err)
	}
	servers := []listener{{newHTTPServer(srv, logger), ln}}
	controlURL, controlBound := baseURL(ln.Addr())+"/_mock/", ln.Addr()
	if cfg.controlAddr != "" {
		cln, err := new(net.ListenConfig).Listen(ctx, "tcp", cfg.controlAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("%s: cannot listen on %q: %w", cfg.source["control-addr"], cfg.controlAddr, err)
		}
		servers = append(servers, listener{newHTTPServer(srv.ControlHandler(), logger), cln})
		controlURL, controlBound = baseURL(cln.Addr())+"/_mock/", cln.Addr()
	}
	exposed := ""
	if openControl {
		exposed = controlBound.String()
	}
	if err := printBanner(stdout, ln.Addr(), controlURL, exposed, srv.Accounts(), cfg, fixtures.loaded.Load()); err != nil {
		for _, l := range servers {
			l.ln.Close()
		}
		return fmt.Errorf("print the banner: %w", err)
	}
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("control", controlURL),
		slog.String("version", version), slog.Int("accounts", len(srv.Accounts())), slog.Uint64("seed", cfg.seed))
	if openControl {
		logger.Warn(controlOpenWarning, slog.String("addr", exposed), slog.String("risk", controlOpenRisk), slog.String("fix", controlOpenFix))
	}
	logs.Batch() // the request lines, from here on, are written in batches
	// The webhook deliveries still queued get what is left of --shutdown-timeout; the mock logs
	// how many it dropped.
	return serve(ctx, servers, cfg.shutdownTimeout, logger, func(ctx context.Context) { _ = srv.Shutdown(ctx) })
}

// mockOptions are the mock's options from the configuration: the logger, the fixtures to load,
// and the Hosts the control API answers (see controlExposure).
func mockOptions(cfg *config, logger *slog.Logger, fixtures *fixtureLoader, controlHosts []string) mockserver.Options {
	return mockserver.Options{
		Accounts:        cfg.accounts(),
		Seed:            cfg.seed,
		Logger:          logger,
		Version:         version,
		AutoComplete:    cfg.autoComplete,
		Strict:          cfg.strict,
		SigningVariant:  cfg.signingVariant,
		WebhookTimeout:  cfg.webhookTimeout,
		ControlToken:    cfg.controlToken,
		ControlHosts:    controlHosts,
		SeparateControl: cfg.controlAddr != "",
		DataDir:         cfg.dataDir,
		StartState:      fixtures.startState(),
		WriteTimeout:    writeTimeout, // the http.Server's below
	}
}

// checkDataDir is --check-data-dir: it reads the data directory as the mock would at start,
// without serving or changing it, and prints what it holds; a damaged database is an error that
// names the file and says what to do.
func checkDataDir(cfg *config, stdout io.Writer) error {
	sum, err := mockserver.CheckDataDir(cfg.dataDir)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.source["data-dir"], err)
	}
	if !sum.Found {
		_, err := fmt.Fprintf(stdout, "%s: no database yet; a mock started on %s starts empty\n", sum.File, cfg.dataDir)
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: ok, read without errors\n"+
		"  accounts         %d (%d tenants)\n  verifications    %d\n  sessions         %d\n"+
		"  consumed nonces  %d\n  face collections %d\n  starts           %d\n",
		sum.File, sum.Accounts, sum.Tenants, sum.Verifications, sum.Sessions, sum.Nonces, sum.FaceCollections, sum.Starts)
	return err
}

// fixtureLoader loads the --fixtures set as the mock's start state and remembers whether it did:
// the mock loads it into a new mock (and again on reset), but keeps the state a --data-dir holds
// from an earlier run instead.
type fixtureLoader struct {
	cfg    *config
	logger *slog.Logger
	loaded atomic.Bool // the set was loaded (so far, a reset may load it later too)
}

// startState is the mockserver.Options.StartState that loads the set; nil without one.
func (f *fixtureLoader) startState() func(*mockserver.Server) error {
	if f.cfg.fixtures == nil {
		return nil
	}
	return f.load
}

// load loads the set and logs one line about what it loaded (the mock logs none of the requests
// that load it).
func (f *fixtureLoader) load(srv *mockserver.Server) error {
	start := time.Now()
	loaded, err := fixtures.LoadStartState(srv, f.cfg.fixtures)
	if err != nil {
		return err
	}
	f.loaded.Store(true)
	f.logger.Info("fixtures loaded", slog.String("fixtures", f.cfg.fixturesName),
		slog.Int("verifications", len(loaded.VerificationIDs)), slog.Int("sessions", len(loaded.SessionIDs)),
		slog.String("account", srv.Accounts()[0].ID), slog.Duration("duration", time.Since(start)))
	return nil
}

// logKept logs, once the mock is built, that the set was not loaded because the data directory
// held an earlier run's state.
func (f *fixtureLoader) logKept() {
	if f.cfg.fixtures != nil && !f.loaded.Load() {
		f.logger.Info("fixtures not loaded: the data directory holds the state of an earlier run, kept as it was",
			slog.String("fixtures", f.cfg.fixturesName), slog.String("data_dir", f.cfg.dataDir))
	}
}

// listener is an HTTP server with the listener it serves.
type listener struct {
	hs *http.Server
	ln net.Listener
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// newLogger is the mock's logger, in slog's text or JSON format; the mock's handlers write the
// line per request faster than slog's own, and the same.
func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.logLevel}
	if cfg.logFormat == "json" {
		return slog.New(mockserver.NewJSONHandler(w, opts))
	}
	return slog.New(mockserver.NewTextHandler(w, opts))
}

// serve serves every listener until ctx is cancelled (or one fails), then stops accepting and
// lets in-flight requests finish for up to timeout before closing their connections. Then it
// calls stop, when set, with what is left of timeout, for the work the requests left behind.
func serve(ctx context.Context, servers []listener, timeout time.Duration, logger *slog.Logger, stop func(context.Context)) error {
	served := make(chan error, len(servers))
	for _, l := range servers {
		go func() { served <- l.hs.Serve(l.ln) }()
	}
	var failed error
	select {
	case err := <-served:
		failed = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", slog.Duration("timeout", timeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	for _, l := range servers {
		if err := l.hs.Shutdown(sctx); err != nil {
			logger.Warn("in-flight requests did not finish in time; closing their connections",
				slog.Duration("timeout", timeout), slog.Any("err", err))
			_ = l.hs.Close()
		}
	}
	remaining := len(servers)
	if failed != nil {
		remaining--
	}
	for range remaining {
		<-served // http.ErrServerClosed
	}
	if stop != nil {
		stop(sctx)
	}
	logger.Info("stopped")
	return failed
}

// baseURL is the URL clients reach the listener at. An unspecified address (":0", "0.0.0.0",
// "[::]") listens on every interface, loopback included, so the URL names loopback.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printBanner tells the developer how to reach the mock. It is the one place an API key is
// shown: on stdout, for the person who started the mock, never in the log. exposed is the
// control API's address when anyone on the network may use it (see controlExposure).
//
// fixturesLoaded says whether the --fixtures set was loaded: not when the data directory held the
// state of an earlier run.
func printBanner(w io.Writer, addr net.Addr, controlURL, exposed string, accounts []mockserver.Account, cfg *config, fixturesLoaded bool) error {
	url := baseURL(addr)
	b := fmt.Appendf(nil, "%s %s\nlistening on %s\n", cmdName, version, url)
	if ip, ok := addr.(*net.TCPAddr); ok && ip.IP.IsUnspecified() {
		b = fmt.Appendf(b, "  (bound to %s: every interface)\n", addr)
	}
	b = fmt.Appendf(b, "accounts (send \"Authorization: ApiKey <key>\"):\n")
	for _, a := range accounts {
		for _, k := range a.APIKeys {
			b = fmt.Appendf(b, "  %-20s %s\n", a.ID, k)
		}
	}
	seed := strconv.FormatUint(cfg.seed, 10)
	if src := cfg.source["seed"]; src == sourceDefault {
		b = fmt.Appendf(b, "seed %s (random; repeat this run with --seed %s)\n", seed, seed)
	} else {
		b = fmt.Appendf(b, "seed %s (from %s)\n", seed, src)
	}
	if cfg.signingVariant == "" {
		b = fmt.Appendf(b, "signing %s (the default; --signing-variant help lists the others)\n", signing.DefaultVariant().Name)
	} else {
		b = fmt.Appendf(b, "signing %s (from %s)\n", cfg.signingVariant, cfg.source["signing-variant"])
	}
	if cfg.autoComplete != "" {
		b = fmt.Appendf(b, "hosted sessions complete at once as %q\n", cfg.autoComplete)
	}
	if cfg.strict {
		b = fmt.Appendf(b, "strict: requests must spell names, values and paths as the spec does\n")
	}
	switch {
	case cfg.fixtures != nil && fixturesLoaded:
		b = fmt.Appendf(b, "fixtures %q: %d verifications, %d sessions in account %s\n", cfg.fixturesName,
			len(cfg.fixtures.Verifications), len(cfg.fixtures.Sessions), accounts[0].ID)
	case cfg.fixtures != nil:
		b = fmt.Appendf(b, "fixtures %q not loaded: kept the state an earlier run stored in %s (POST %sreset replaces it with the fixtures)\n",
			cfg.fixturesName, cfg.dataDir, controlURL)
	}
	if cfg.dataDir != "" {
		b = fmt.Appendf(b, "state kept in %s across restarts\n", cfg.dataDir)
	}
	b = fmt.Appendf(b, "control API %s (see GET %sopenapi.yaml)\n", controlURL, controlURL)
	if exposed != "" {
		b = fmt.Appendf(b, "WARNING: %s (bound to %s):\n  %s; %s\n", controlOpenWarning, exposed, controlOpenRisk, controlOpenFix)
	}
	b = fmt.Appendf(b, "dashboard %s (open in a browser)\n", controlURL)
	b = fmt.Appendf(b, "try: curl -i %s/v1/healthz\n", url)
	_, err := w.Write(b)
	return err
}

// What the banner and the log say when the control API listens beyond loopback without a token.
const (
	controlOpenWarning = "the control API is open to the network"
	controlOpenRisk    = "anyone who can reach it can move the clock, inject faults and delete data"
	controlOpenFix     = "set --control-token, or listen on 127.0.0.1"
)

// controlExposure decides how the control API is guarded from where it listens (--control-addr,
// else --addr). On a loopback address it answers only calls naming a loopback host, which keeps
// out web pages that point their own domain name at 127.0.0.1 (DNS rebinding): hosts is
// mockserver.LoopbackHosts. Elsewhere, as in a container, any Host is taken, and open reports
// that without --control-token anyone on the network may use it.
func controlExposure(cfg *config) (hosts []string, open bool) {
	addr := cfg.addr
	if cfg.controlAddr != "" {
		addr = cfg.controlAddr
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback() {
		return mockserver.LoopbackHosts(host), false
	}
	return nil, cfg.controlToken == ""
}
