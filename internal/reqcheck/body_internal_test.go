package reqcheck

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAllHintReadsAsMaxBytesReader: readAllHint gives the bytes, or the verdict, that
// io.ReadAll of http.MaxBytesReader gives, for bodies around the limit, announced lengths true,
// false and absent, and readers that return a byte at a time, data with EOF, or fail.
func TestReadAllHintReadsAsMaxBytesReader(t *testing.T) {
	readers := map[string]func(b []byte) io.Reader{
		"plain":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"data+EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"half":     func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"fails": func(b []byte) io.Reader {
			return io.MultiReader(bytes.NewReader(b), iotest.ErrReader(errors.New("connection reset")))
		},
	}
	for _, limit := range []int64{0, 1, 7, 511, 512, 513, 2000} {
		for _, size := range []int64{0, 1, limit - 1, limit, limit + 1, limit + 2, 3*limit + 5, 1100} {
			if size < 0 {
				continue
			}
			body := []byte(strings.Repeat("0123456789", int(size)/10+1)[:size])
			for _, hint := range []int64{-1, 0, size, size - 1, size + 1, limit + 10} {
				for name, reader := range readers {
					want, wantErr := io.ReadAll(http.MaxBytesReader(nil, io.NopCloser(reader(body)), limit))
					var tooBig *http.MaxBytesError
					got, err := readAllHint(reader(body), hint, limit)
					switch {
					case errors.As(wantErr, &tooBig):
						if err != errTooBig {
							t.Errorf("limit %d, %d bytes, hint %d, %s: %q, %v; want too big", limit, size, hint, name, got, err)
						}
					case (err == nil) != (wantErr == nil) || err == errTooBig:
						t.Errorf("limit %d, %d bytes, hint %d, %s: error %v, want %v", limit, size, hint, name, err, wantErr)
					case wantErr == nil && !bytes.Equal(got, want):
						t.Errorf("limit %d, %d bytes, hint %d, %s: %q, want %q", limit, size, hint, name, got, want)
					}
				}
			}
		}
	}
}
