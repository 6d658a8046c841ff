package main

import (
	"os"
	"regexp"
	"testing"
)

// TestRefGOGCIsTheMocks: the reference server gets the collector setting the mock's binary
// defaults to.
func TestRefGOGCIsTheMocks(t *testing.T) {
	src, err := os.ReadFile("../../../cmd/verifeye-mock/main.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const defaultGCPercent = (\d+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("cmd/verifeye-mock/main.go no longer declares defaultGCPercent")
	}
	if string(m[1]) != mockDefaultGOGC {
		t.Fatalf("the mock defaults to GOGC=%s, the benchmark gives the reference GOGC=%s", m[1], mockDefaultGOGC)
	}
}
