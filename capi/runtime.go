package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// The Go runtime's settings inside a host process. Each is set when the
// library loads unless the environment names it: the operator's choice
// wins. They live here, not in core, so a Go program importing core keeps
// its own.

// defaultGCPercent is the Go collector's target for the library's own heap.
// Most of what kfk allocates is short-lived I/O buffers (a fetch response
// is up to fetch_max_bytes, freed once its messages are copied out), so at
// Go's default of 100 a consumer spends a sixth of its CPU collecting and
// refaulting pages. At 200 consuming 1 KB messages is 25-30 % faster for
// 2-5 MiB more peak RSS (docs/BENCHMARKS.md). The heap is kfk's alone: the
// host program's memory is not counted or scanned.
const defaultGCPercent = 200

// extraProcessors is how many Go processors the library runs beyond the
// runtime's default of one per core. Two of its threads hold a processor
// while they wait outside Go: the produce stage's mover blocked in C for
// records, and a host thread's poll dozing on its futex (futexWindow). The
// runtime takes such a processor back only when its monitor next looks,
// 20 µs to 10 ms later, so with one per core the goroutines that read and
// write the sockets wait behind them. With two more, producing and
// consuming from C and Python cost less CPU per record (docs/BENCHMARKS.md,
// Session 30). Once set, the count no longer follows a later change of the
// process's CPU limit, as it does when the runtime chooses it.
const extraProcessors = 2

func init() { applyRuntimeDefaults(os.Getenv) }

// applyRuntimeDefaults sets each setting getenv does not name.
func applyRuntimeDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + extraProcessors)
	}
}
