package reqcheck

import (
	"testing"
)

func TestLoneSurrogate(t *testing.T) {
	for _, tc := range []struct {
		body string
		lone bool
	}{
		{`{"a":"\ud83d\ude00"}`, false}, // a pair: 😀
		{`{"a":"\ud800"}`, true},
		{`{"a":"\udc00x"}`, true},
		{`{"a":"\ud800\u0041"}`, true},
		{`{"a":"\\ud800"}`, false}, // an escaped backslash, then text
		{`{"\ud800":1}`, true},
		{`{"a":"plain"}`, false},
	} {
		if got := loneSurrogate([]byte(tc.body)); got != tc.lone {
			t.Errorf("loneSurrogate(%s) = %v, want %v", tc.body, got, tc.lone)
		}
	}
}
