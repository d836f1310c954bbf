package obs

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Meter counts the traffic of the connections to one broker (a client
// keeps several per broker, one per purpose; they share the meter). Safe
// for concurrent use; counters only grow.
type Meter struct {
	Connects    atomic.Int64
	Disconnects atomic.Int64
	// Reauthentications counts SASL sessions renewed on live connections
	// (KIP-368).
	Reauthentications atomic.Int64
	Requests          atomic.Int64
	Responses         atomic.Int64
	BytesOut          atomic.Int64
	BytesIn           atomic.Int64
	Throttles         atomic.Int64 // responses that said the broker throttled us
	ThrottleMs        atomic.Int64 // their total throttle time
	LastThrottleMs    atomic.Int64

	mu  sync.Mutex
	rtt []int64 // round trips (µs) since the last TakeRTT, the newest rttKeep
	pos int
	n   int64
}

// rttKeep bounds the round trips kept between two statistics.
const rttKeep = 4096

// ObserveRTT records one request's round trip.
func (m *Meter) ObserveRTT(d time.Duration) {
	us := d.Microseconds()
	m.mu.Lock()
	if len(m.rtt) < rttKeep {
		m.rtt = append(m.rtt, us)
	} else {
		m.rtt[m.pos] = us
		m.pos = (m.pos + 1) % rttKeep
	}
	m.n++
	m.mu.Unlock()
}

// ObserveThrottle records a response's throttle time.
func (m *Meter) ObserveThrottle(ms int32) {
	if ms <= 0 {
		return
	}
	m.Throttles.Add(1)
	m.ThrottleMs.Add(int64(ms))
	m.LastThrottleMs.Store(int64(ms))
}

// RTT summarises round trips in microseconds.
type RTT struct {
	Count                   int64 // round trips in the window
	Min, Avg, P50, P99, Max int64 // over the newest rttKeep of them
}

// TakeRTT summarises the round trips since the previous call and starts a
// new window.
func (m *Meter) TakeRTT() RTT {
	m.mu.Lock()
	s := m.rtt
	n := m.n
	m.rtt, m.pos, m.n = make([]int64, 0, len(s)), 0, 0
	m.mu.Unlock()
	if len(s) == 0 {
		return RTT{}
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var sum int64
	for _, v := range s {
		sum += v
	}
	at := func(q float64) int64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return RTT{Count: n, Min: s[0], Avg: sum / int64(len(s)), P50: at(0.50), P99: at(0.99), Max: s[len(s)-1]}
}
