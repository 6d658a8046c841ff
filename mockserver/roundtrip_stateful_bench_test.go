package mockserver

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
)

// Benchmarks of the reads whose answers grow with the account's data, as users have it: get-all
// over 20 and 100 stored verifications, get of one full verification (every verifier, redirect
// URLs, result parameters), get-session-result of a completed session, and create-session.
// Run with
//
//	go test -run '^$' -bench RoundTripStateful -benchmem ./mockserver/

// withVerifications is a bench env whose development account holds n verifications with the
// realistic configuration of benchVerificationConfig (the env's own one among them).
func withVerifications(tb testing.TB, n int) *benchEnv {
	tb.Helper()
	e := newBenchEnv(tb, Options{})
	cfg := e.verification(tb).config
	for i := 1; i < n; i++ {
		name := "verification " + strconv.Itoa(i) + " <shop & co>"
		if _, err := e.s.store.createVerification(DevAccountID, e.s.ids.uuid(), name, cfg, e.s.clock.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

// statefulOps are the stateful reads and create-session, each with the env it runs on.
func statefulOps(tb testing.TB) []struct {
	op benchOp
	e  *benchEnv
} {
	e := newBenchEnv(tb, Options{})
	byName := map[string]benchOp{}
	for _, op := range benchOps(e) {
		byName[op.name] = op
	}
	getAll := byName["getAllVerifications"]
	out := []struct {
		op benchOp
		e  *benchEnv
	}{}
	for _, n := range []int{20, 100} {
		op := getAll
		op.name = "getAllVerifications-" + strconv.Itoa(n)
		out = append(out, struct {
			op benchOp
			e  *benchEnv
		}{op, withVerifications(tb, n)})
	}
	for _, name := range []string{"getVerification", "getSessionResult", "createSession"} {
		out = append(out, struct {
			op benchOp
			e  *benchEnv
		}{byName[name], e})
	}
	return out
}

func BenchmarkRoundTripStateful(b *testing.B) {
	for _, c := range statefulOps(b) {
		b.Run(c.op.name, func(b *testing.B) { c.op.run(b, c.e) })
	}
}

// TestStatefulBenchOpsAnswerAsExpected runs each stateful benchmark request once.
func TestStatefulBenchOpsAnswerAsExpected(t *testing.T) {
	for _, c := range statefulOps(t) {
		w := c.e.do(c.op.method, c.op.target, c.op.body)
		if w.code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", c.op.name, w.code, w.body.String())
		}
	}
}

// BenchmarkRequestLog is one authenticated get through the whole pipeline with the request's
// log line at info level, written to io.Discard by slog's handlers (text, json) and by the
// handlers the command configures (mock-text, mock-json: --log-format text and json), against
// the same request with no logger: the difference is what the line costs.
func BenchmarkRequestLog(b *testing.B) {
	for _, format := range []string{"none", "text", "json", "mock-text", "mock-json"} {
		b.Run(format, func(b *testing.B) {
			opts := Options{}
			ho := &slog.HandlerOptions{Level: slog.LevelInfo}
			switch format {
			case "text":
				opts.Logger = slog.New(slog.NewTextHandler(io.Discard, ho))
			case "json":
				opts.Logger = slog.New(slog.NewJSONHandler(io.Discard, ho))
			case "mock-text":
				opts.Logger = slog.New(NewTextHandler(io.Discard, ho))
			case "mock-json":
				opts.Logger = slog.New(NewJSONHandler(io.Discard, ho))
			}
			e := newBenchEnv(b, opts)
			for _, op := range benchOps(e) {
				if op.name == "getVerification" {
					op.run(b, e)
				}
			}
		})
	}
}
