package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsSendJSONToTheControlAPI: every curl command in the README and docs/ that changes the
// control API's state says Content-Type: application/json, which the control API requires.
func TestDocsSendJSONToTheControlAPI(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	change := regexp.MustCompile(`-X (POST|PUT|PATCH)\b|\s-d\s`)
	checked := 0
	for _, f := range append(files, "../../README.md") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// A command continued with a trailing backslash is one command.
		text := regexp.MustCompile(`\\\n#?\s*`).ReplaceAllString(string(data), " ")
		for _, line := range strings.Split(text, "\n") {
			if !strings.Contains(line, "curl ") || !strings.Contains(line, "/_mock/") || !change.MatchString(line) {
				continue
			}
			checked++
			// A block may name the header once, as json=(-H 'Content-Type: application/json'), and
			// send it as "${json[@]}".
			viaArray := strings.Contains(line, `"${json[@]}"`) && strings.Contains(text, `json=(-H 'Content-Type: application/json')`)
			if !strings.Contains(line, "Content-Type: application/json") && !viaArray {
				t.Errorf("%s: a control API change without Content-Type: application/json:\n%s", filepath.Base(f), line)
			}
		}
	}
	if checked < 5 {
		t.Errorf("checked %d curl commands; the docs have more", checked)
	}
}
