package mockserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The fast request line of NewTextHandler and NewJSONHandler is checked against slog's own
// handlers: for each input both write, and the bytes must be the same.

// logPieces are what the random strings are made of: plain text, what makes slog's text handler
// quote, what its JSON handler escapes, runes beyond ASCII, and bytes that are not UTF-8.
var logPieces = []string{
	"a", "Z", "09", "verificationId", "/v1/verification/get", "-", "_", ".", ":", ";", ",", "/", "%",
	" ", "  ", "=", `"`, `\`, "'", "`", "<", ">", "&", "{", "}", "[", "]", "#", "?", "+", "~",
	"\n", "\r", "\t", "\x00", "\x01", "\a", "\b", "\f", "\v", "\x1b", "\x1f", "\x7f",
	"é", "µ", "日本", "😀", "e\u0301", "\u00a0", "\u2000", "\u200b", "\u2028", "\u2029", "\u3000",
	"\ufeff", "\ufffd", "\U0010ffff", "\u0085", "\u061c", "\ue000",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
}

// logString is a random string of up to n pieces; sometimes empty, sometimes plain.
func logString(rng *rand.Rand, n int) string {
	switch rng.IntN(8) {
	case 0:
		return ""
	case 1:
		return "plain"
	}
	var b strings.Builder
	for range rng.IntN(n) + 1 {
		b.WriteString(logPieces[rng.IntN(len(logPieces))])
	}
	return b.String()
}

var oddDurations = []time.Duration{0, 1, -1, 999, 1000, 1001, 1234567, time.Millisecond, time.Second,
	time.Second + 1, 59 * time.Second, time.Hour + time.Minute + time.Second + time.Millisecond,
	-time.Hour, math.MaxInt64, math.MinInt64, 100 * time.Hour}

// oddTime is a random time in a random location: UTC, local, zones east and west, a zone with
// an offset in seconds, near and far years, whole seconds and milliseconds; sometimes zero.
func oddTime(rng *rand.Rand) time.Time {
	locs := []*time.Location{time.UTC, time.Local, time.FixedZone("", 0), time.FixedZone("IST", 5*3600+1800),
		time.FixedZone("PDT", -7*3600), time.FixedZone("odd", -(3600 + 17*60 + 30)), time.FixedZone("far", 14*3600)}
	loc := locs[rng.IntN(len(locs))]
	switch rng.IntN(10) {
	case 0:
		return time.Time{}
	case 1:
		return time.Now()
	case 2:
		return time.Date(rng.IntN(10000), time.Month(rng.IntN(12)+1), rng.IntN(28)+1, 0, 0, 0, 0, loc)
	}
	ns := rng.IntN(1e9)
	switch rng.IntN(4) {
	case 0:
		ns = 0
	case 1:
		ns -= ns % 1e6
	case 2:
		ns -= ns % 1e3
	}
	return time.Unix(rng.Int64N(1<<34)-1<<32, int64(ns)).In(loc)
}

var oddLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError,
	slog.LevelInfo + 2, slog.LevelDebug - 3, slog.LevelError + 9}

// oddAttr is an attribute of a kind writeLine formats, with a random key and value.
func oddAttr(rng *rand.Rand) slog.Attr {
	key := logString(rng, 3)
	switch rng.IntN(5) {
	case 0:
		return slog.Int64(key, rng.Int64()-rng.Int64())
	case 1:
		return slog.Int(key, rng.IntN(600))
	case 2:
		return slog.Bool(key, rng.IntN(2) == 0)
	case 3:
		if rng.IntN(2) == 0 {
			return slog.Duration(key, oddDurations[rng.IntN(len(oddDurations))])
		}
		return slog.Duration(key, time.Duration(rng.Int64N(1<<uint(rng.IntN(62)+1))*int64(1-2*rng.IntN(2))))
	}
	return slog.String(key, logString(rng, 12))
}

// slogLine is what slog's own handler writes for the record.
func slogLine(t *testing.T, json bool, opts *slog.HandlerOptions, r slog.Record) string {
	t.Helper()
	var buf bytes.Buffer
	h := slog.Handler(slog.NewTextHandler(&buf, opts))
	if json {
		h = slog.NewJSONHandler(&buf, opts)
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func newTestLogHandler(w io.Writer, json bool, opts *slog.HandlerOptions) *logHandler {
	if json {
		return NewJSONHandler(w, opts).(*logHandler)
	}
	return NewTextHandler(w, opts).(*logHandler)
}

func TestLogHandlerWriteLineIsSlogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, json := range []bool{false, true} {
		for i := range 20000 {
			at, level, msg := oddTime(rng), oddLevels[rng.IntN(len(oddLevels))], logString(rng, 4)
			attrs := make([]slog.Attr, rng.IntN(12))
			for j := range attrs {
				attrs[j] = oddAttr(rng)
			}
			var buf bytes.Buffer
			h := newTestLogHandler(&buf, json, &slog.HandlerOptions{Level: slog.LevelDebug})
			done, err := h.writeLine(at, level, msg, attrs)
			if !done || err != nil {
				t.Fatalf("json %v, line %d: writeLine = %v, %v", json, i, done, err)
			}
			r := slog.NewRecord(at, level, msg, 0)
			r.AddAttrs(attrs...)
			if want := slogLine(t, json, nil, r); buf.String() != want {
				t.Fatalf("json %v, line %d:\n got %q\nwant %q", json, i, buf.String(), want)
			}
		}
	}
}

// TestLogHandlerTimeIsSlogs: the time of lines written one after another, the same second in
// different zones, across a change of summer time, and odd fractions of a second, is slog's.
func TestLogHandlerTimeIsSlogs(t *testing.T) {
	locs := []*time.Location{time.UTC, time.Local, time.FixedZone("IST", 5*3600+1800), time.FixedZone("PDT", -7*3600),
		time.FixedZone("odd", 3600+17*60+30)}
	for _, name := range []string{"America/New_York", "Europe/Dublin", "Australia/Lord_Howe"} {
		if loc, err := time.LoadLocation(name); err == nil {
			locs = append(locs, loc)
		}
	}
	// Around 2026-03-08 07:00 UTC, when New York's clocks went forward.
	base := time.Date(2026, 3, 8, 6, 59, 59, 0, time.UTC)
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		h := newTestLogHandler(&buf, json, nil)
		for _, step := range []time.Duration{0, 1, time.Second - 1, time.Second, time.Second + 999999, time.Second + 1e6, 2*time.Second + 123456789} {
			for _, loc := range locs {
				buf.Reset()
				at := base.Add(step).In(loc)
				if _, err := h.writeLine(at, slog.LevelInfo, "m", nil); err != nil {
					t.Fatal(err)
				}
				if want := slogLine(t, json, nil, slog.NewRecord(at, slog.LevelInfo, "m", 0)); buf.String() != want {
					t.Errorf("%v in %v, json %v:\n got %q\nwant %q", step, loc, json, buf.String(), want)
				}
			}
		}
	}
}

// TestLogHandlerWriteLineDeclines: writeLine leaves to slog what it does not format, and writes
// nothing then.
func TestLogHandlerWriteLineDeclines(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 12, 7, 3, 1, 58, 123456789, time.UTC)
	for _, c := range []struct {
		name  string
		opts  *slog.HandlerOptions
		at    time.Time
		attrs []slog.Attr
	}{
		{"ReplaceAttr", &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return a }}, at, nil},
		{"AddSource", &slog.HandlerOptions{AddSource: true}, at, nil},
		{"year 10000", nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"year -1", nil, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"float", nil, at, []slog.Attr{slog.Float64("f", 1.5)}},
		{"any", nil, at, []slog.Attr{slog.Any("err", errors.New("x"))}},
		{"time", nil, at, []slog.Attr{slog.Time("t", at)}},
		{"group", nil, at, []slog.Attr{slog.Group("g", slog.Int("a", 1))}},
	} {
		for _, json := range []bool{false, true} {
			done, err := newTestLogHandler(&buf, json, c.opts).writeLine(c.at, slog.LevelInfo, "m", c.attrs)
			if done || err != nil || buf.Len() != 0 {
				t.Errorf("%s, json %v: writeLine = %v, %v, wrote %q", c.name, json, done, err, buf.String())
			}
		}
	}
}

// TestLogHandlerHandleIsSlogs: records the handler does not write itself are slog's, with every
// option and derived handler.
func TestLogHandlerHandleIsSlogs(t *testing.T) {
	at := time.Date(2026, 12, 7, 3, 1, 58, 123456789, time.Local)
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	for _, opts := range fallbackOptions() {
		for _, json := range []bool{false, true} {
			for _, derive := range derivations() {
				var got, want bytes.Buffer
				mine := slog.New(newTestLogHandler(&got, json, opts.opts))
				theirs := slog.New(slog.NewTextHandler(&want, opts.opts))
				if json {
					theirs = slog.New(slog.NewJSONHandler(&want, opts.opts))
				}
				mine, theirs = derive.f(mine), derive.f(theirs)
				for _, l := range []*slog.Logger{mine, theirs} {
					for _, level := range []slog.Level{slog.LevelWarn, slog.LevelDebug} {
						r := slog.NewRecord(at, level, "m e", pcs[0])
						r.AddAttrs(slog.Float64("f", 1.5), slog.Any("err", errors.New("x y")), slog.Time("t", at),
							slog.Group("g", slog.Int("a", 1)), slog.String("s", "a=b"), slog.Duration("d", time.Second))
						if l.Enabled(context.Background(), r.Level) {
							_ = l.Handler().Handle(context.Background(), r)
						}
					}
				}
				if got.String() != want.String() {
					t.Errorf("%s, json %v, %s:\n got %q\nwant %q", opts.name, json, derive.name, got.String(), want.String())
				}
			}
		}
	}
}

type namedOptions struct {
	name string
	opts *slog.HandlerOptions
}

// fallbackOptions are handler options, those the request line leaves to slog among them.
func fallbackOptions() []namedOptions {
	return []namedOptions{
		{"nil options", nil},
		{"level debug", &slog.HandlerOptions{Level: slog.LevelDebug}},
		{"level warn", &slog.HandlerOptions{Level: slog.LevelWarn}},
		{"ReplaceAttr", &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			if a.Key == "path" || a.Key == "s" {
				a.Value = slog.StringValue(strings.ToUpper(a.Value.String()))
			}
			return a
		}}},
		{"AddSource", &slog.HandlerOptions{AddSource: true, Level: slog.LevelDebug}},
	}
}

type derivation struct {
	name string
	f    func(*slog.Logger) *slog.Logger
}

// derivations are loggers derived from a logger, those the request line leaves to slog among
// them.
func derivations() []derivation {
	return []derivation{
		{"itself", func(l *slog.Logger) *slog.Logger { return l }},
		{"With nothing", func(l *slog.Logger) *slog.Logger { return l.With() }},
		{"WithGroup empty", func(l *slog.Logger) *slog.Logger { return l.WithGroup("") }},
		{"With", func(l *slog.Logger) *slog.Logger { return l.With("service", "mock a", "n", 3) }},
		{"WithGroup", func(l *slog.Logger) *slog.Logger { return l.WithGroup("http") }},
		{"WithGroup With", func(l *slog.Logger) *slog.Logger { return l.WithGroup("http").With("k", "v") }},
	}
}

// oddExchange is a request with random values in every part of its log line.
func oddExchange(rng *rand.Rand) (*exchange, *http.Request) {
	ex := &exchange{Context: context.Background(), id: logString(rng, 3)}
	ex.rec.status = rng.IntN(600)
	if rng.IntN(2) == 0 {
		ex.detail = logString(rng, 8)
	}
	if rng.IntN(3) == 0 {
		ex.fields = fieldErrors{}
		for range rng.IntN(3) + 1 {
			ex.fields[logString(rng, 3)] = []string{logString(rng, 5), logString(rng, 5)}
		}
	}
	for _, c := range []*capture{&ex.body.got, &ex.rec.body} {
		if rng.IntN(2) == 0 {
			body := []byte(`{"name":"` + logString(rng, 10) + `","password":"hunter 2"}`)
			c.write(body)
			if rng.IntN(4) == 0 {
				c.size += 5000
			}
		}
	}
	if rng.IntN(3) == 0 {
		ex.rec.err = errors.New(logString(rng, 5))
	}
	r := &http.Request{Method: logString(rng, 2), URL: &url.URL{Path: logString(rng, 8)}}
	return ex, r
}

// TestRequestLogLineIsSlogs: the line of a request logged through NewTextHandler or
// NewJSONHandler is the line slog's own handler writes, for random values in every attribute,
// every combination of them, at each level, and with options and derived loggers that leave the
// line to slog.
func TestRequestLogLineIsSlogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, opts := range fallbackOptions() {
		for _, json := range []bool{false, true} {
			for _, derive := range derivations() {
				var got, want bytes.Buffer
				mine := derive.f(slog.New(newTestLogHandler(&got, json, opts.opts)))
				theirs := slog.New(slog.NewTextHandler(&want, opts.opts))
				if json {
					theirs = slog.New(slog.NewJSONHandler(&want, opts.opts))
				}
				theirs = derive.f(theirs)
				for range 300 {
					ex, r := oddExchange(rng)
					at, elapsed := oddTime(rng), oddDurations[rng.IntN(len(oddDurations))]
					account, warning, cut := logString(rng, 4), "", rng.IntN(2) == 0
					if rng.IntN(2) == 0 {
						warning = logString(rng, 10)
					}
					level, msg := slog.LevelInfo, "request"
					if cut {
						level, msg = slog.LevelWarn, "response cut"
					}
					for _, l := range []*slog.Logger{mine, theirs} {
						if s := (&Server{log: l}); l.Enabled(ex, level) {
							s.logRequest(ex, r, at, level, msg, elapsed, account, warning, cut)
						}
					}
				}
				if got.String() != want.String() {
					t.Fatalf("%s, json %v, %s: lines differ:\n%s", opts.name, json, derive.name, firstDifference(got.String(), want.String()))
				}
			}
		}
	}
}

// firstDifference shows the first line that differs between got and want.
func firstDifference(got, want string) string {
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got %q\nwant %q", i, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// soloWriter is a writer that must not be written to by two goroutines at once.
type soloWriter struct {
	t       *testing.T
	writing atomic.Bool
	buf     bytes.Buffer
}

func (w *soloWriter) Write(p []byte) (int, error) {
	if !w.writing.CompareAndSwap(false, true) {
		w.t.Error("two writes at once")
	}
	defer w.writing.Store(false)
	time.Sleep(time.Microsecond) // long enough for another write to come in
	return w.buf.Write(p)
}

// TestLogHandlerSerializesWrites: request lines and other lines, written from many goroutines,
// reach the writer one whole line at a time.
func TestLogHandlerSerializesWrites(t *testing.T) {
	for _, json := range []bool{false, true} {
		w := &soloWriter{t: t}
		l := slog.New(newTestLogHandler(w, json, nil))
		s := &Server{log: l}
		var wg sync.WaitGroup
		const goroutines, lines = 8, 50
		for g := range goroutines {
			wg.Go(func() {
				ex := &exchange{Context: context.Background(), id: "id"}
				r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/p"}}
				for range lines {
					if g%2 == 0 {
						s.logRequest(ex, r, time.Now(), slog.LevelInfo, "request", time.Millisecond, "acc", "", false)
					} else {
						l.Info("other", "g", g)
					}
				}
			})
		}
		wg.Wait()
		got := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
		if len(got) != goroutines*lines {
			t.Fatalf("json %v: %d lines, want %d", json, len(got), goroutines*lines)
		}
		for _, line := range got {
			if !strings.Contains(line, `request`) && !strings.Contains(line, `other`) {
				t.Fatalf("json %v: line %q", json, line)
			}
		}
	}
}
