package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is the Go collector's target for the library's own heap.
// Most of what kfk allocates is short-lived I/O buffers (a fetch response
// is up to fetch_max_bytes, freed once its messages are copied out), so at
// Go's default of 100 a consumer spends a sixth of its CPU collecting and
// refaulting pages. At 200 consuming 1 KB messages is 25-30 % faster for
// 2-5 MiB more peak RSS (docs/BENCHMARKS.md). The heap is kfk's alone: the
// host program's memory is not counted or scanned.
const defaultGCPercent = 200

// A GOGC set in the environment is the operator's choice and wins.
func init() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
