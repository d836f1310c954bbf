package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestRuntimeDefaultsApplyWhereTheEnvironmentIsSilent(t *testing.T) {
	procs, gc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) })

	applyRuntimeDefaults(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != procs+extraProcessors {
		t.Errorf("GOMAXPROCS = %d, want %d (%d + %d)", got, procs+extraProcessors, procs, extraProcessors)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GC percent = %d, want %d", got, defaultGCPercent)
	}
}

func TestRuntimeDefaultsLeaveWhatTheEnvironmentSets(t *testing.T) {
	procs, gc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) })

	applyRuntimeDefaults(func(key string) string {
		return map[string]string{"GOGC": "100", "GOMAXPROCS": "1"}[key]
	})
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS = %d, want it left at %d", got, procs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent = %d, want it left at 100", got)
	}
}
