package main

import (
	"testing"
	"time"
)

// TestClosedLoopLengthCountsFromItsFirstRequest: a closed loop's length runs from its first
// request, so a run whose connections start late (an event loop scheduled late on a busy
// machine) still sends requests for its whole length; a paced run's length runs from its
// schedule's origin.
func TestClosedLoopLengthCountsFromItsFirstRequest(t *testing.T) {
	run := newLoadRun([]request{{op: "x"}}, 1, 20*time.Millisecond, 100, 0)
	time.Sleep(40 * time.Millisecond) // longer than the run: the connections start late
	first, ok := run.begin()
	if !ok {
		t.Fatal("the first request of a closed loop that started late was refused")
	}
	for {
		t0, ok := run.begin()
		if !ok {
			break
		}
		if t0.Sub(first) > time.Second {
			t.Fatal("the closed loop did not end")
		}
	}
	if end := time.Unix(0, run.deadline.Load()); !end.Equal(first.Add(20 * time.Millisecond)) {
		t.Errorf("deadline %v, want the first request's time %v plus the run's length", end, first)
	}

	paced := newLoadRun([]request{{op: "x"}}, 1, 20*time.Millisecond, 100, 1000)
	if paced.beginAt(paced.pace.origin.Add(21 * time.Millisecond)) {
		t.Error("a paced request due after the run's length from the schedule's origin was accepted")
	}
	if !paced.beginAt(paced.pace.origin.Add(19 * time.Millisecond)) {
		t.Error("a paced request due within the run's length was refused")
	}
}
