//go:build !linux

package main

import (
	"sync/atomic"
	"time"
)

// Other systems have no futex here: a poll parks at once (futex_linux.go).
const futexWindow = 0

func sleepUntilChanged(*atomic.Uint32, uint32, time.Duration) {}

func wakeSleepers(*atomic.Uint32) {}
