package main

import (
	"os"
	"regexp"
	"testing"
)

// TestRefGOGCIsTheMocks: the reference server gets the collector settings the mock's binary
// defaults to (GOGC and the soft memory limit).
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
	m = regexp.MustCompile(`const defaultMemoryLimit = (\d+) << 20`).FindSubmatch(src)
	if m == nil {
		t.Fatal("cmd/verifeye-mock/main.go no longer declares defaultMemoryLimit in MiB")
	}
	if want := string(m[1]) + "MiB"; want != mockDefaultMemoryLimit {
		t.Fatalf("the mock defaults to GOMEMLIMIT=%s, the benchmark gives the reference GOMEMLIMIT=%s", want, mockDefaultMemoryLimit)
	}
}
