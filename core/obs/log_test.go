package obs

import (
	"strings"
	"testing"
	"time"
)

func TestLevelsAndContexts(t *testing.T) {
	var got []Entry
	l := NewLogger(LevelInfo, Group|Txn, func(e Entry) { got = append(got, e) })
	l.Infof(Broker, "kept")
	l.Debugf(Group, "kept too")
	l.Debugf(Producer, "dropped: producer tracing is off")
	l.Logf(LevelOff, Broker, "dropped: off is not a level to log at")
	if len(got) != 2 || got[0].Message != "kept" || got[1].Context != Group {
		t.Fatalf("got %+v", got)
	}
	if NewLogger(LevelOff, 0, func(Entry) {}) != nil {
		t.Fatal("a logger that logs nothing should be nil")
	}
	var none *Logger
	none.Errorf(Broker, "a nil logger is silent") // must not panic
	if all := NewLogger(LevelDebug, 0, func(Entry) {}); !all.Enabled(LevelDebug, Protocol) {
		t.Fatal("log_level debug without contexts traces every context")
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Level{"warn": LevelWarn, "7": LevelDebug, " Error ": LevelError, "off": LevelOff} {
		if l, err := ParseLevel(in); err != nil || l != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, l, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel accepted loud")
	}
	if c, err := ParseContexts("broker, group"); err != nil || c != Broker|Group {
		t.Errorf("ParseContexts = %v, %v", c, err)
	}
	if c, _ := ParseContexts("all"); c != All {
		t.Errorf("all = %v", c)
	}
	if _, err := ParseContexts("broker,cgrp"); err == nil || !strings.Contains(err.Error(), `"cgrp"`) {
		t.Errorf("an unknown context gave %v", err)
	}
}

// A burst of debug lines is cut at the per-second budget, and the next
// line admitted says how many were held back.
func TestDebugRateLimit(t *testing.T) {
	var got []Entry
	l := NewLogger(LevelWarn, Protocol, func(e Entry) { got = append(got, e) })
	for i := 0; i < debugPerSecond+100; i++ {
		l.Debugf(Protocol, "line %d", i)
	}
	l.Warnf(Protocol, "warnings are not rate limited")
	if len(got) != debugPerSecond+1 {
		t.Fatalf("%d lines passed", len(got))
	}
	l.mu.Lock()
	l.window[Protocol].start = time.Now().Add(-time.Second)
	l.mu.Unlock()
	l.Debugf(Protocol, "after the window")
	if last := got[len(got)-1].Message; !strings.Contains(last, "(100 earlier protocol debug lines suppressed") {
		t.Fatalf("last line %q", last)
	}
}

func TestMeterRTT(t *testing.T) {
	var m Meter
	for i := 1; i <= 100; i++ {
		m.ObserveRTT(time.Duration(i) * time.Millisecond)
	}
	r := m.TakeRTT()
	if r.Count != 100 || r.Min != 1000 || r.Max != 100000 || r.P50 != 51000 || r.P99 != 100000 || r.Avg != 50500 {
		t.Fatalf("%+v", r)
	}
	if again := m.TakeRTT(); again.Count != 0 {
		t.Fatalf("the window was not reset: %+v", again)
	}
	m.ObserveThrottle(0)
	m.ObserveThrottle(30)
	if m.Throttles.Load() != 1 || m.ThrottleMs.Load() != 30 || m.LastThrottleMs.Load() != 30 {
		t.Fatal("throttle counters")
	}
}
