// Package obs is what the client says about itself: leveled log entries,
// debug tracing by context, and the counters behind the statistics.
//
// A Logger never writes anywhere itself; it hands entries to a sink (the
// client's event queue), so the application decides where they go.
package obs

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Level follows syslog's numbering, as librdkafka's log_level does.
type Level int8

const (
	LevelOff   Level = 0
	LevelError Level = 3
	LevelWarn  Level = 4
	LevelInfo  Level = 6
	LevelDebug Level = 7
)

func (l Level) String() string {
	switch l {
	case LevelError:
		return "error"
	case LevelWarn:
		return "warn"
	case LevelInfo:
		return "info"
	case LevelDebug:
		return "debug"
	}
	return "off"
}

// ParseLevel accepts a level's name or its syslog number.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off", "none", "0":
		return LevelOff, nil
	case "error", "err", "3":
		return LevelError, nil
	case "warn", "warning", "4":
		return LevelWarn, nil
	case "info", "notice", "5", "6":
		return LevelInfo, nil
	case "debug", "7":
		return LevelDebug, nil
	}
	return 0, fmt.Errorf("%q is not a log level (off, error, warn, info, debug)", s)
}

// Context is a subsystem whose debug tracing can be turned on by itself.
type Context uint16

const (
	Broker   Context = 1 << iota // connects, disconnects, reconnects
	Protocol                     // every request and response
	Producer                     // batches, retries and their causes, producer ids
	Consumer                     // fetches, offset resets, assignments
	Group                        // coordinator, joins, rebalances, commits
	Txn                          // transactional state, epoch bumps
	Metadata                     // refreshes, leader changes
	All      = Broker | Protocol | Producer | Consumer | Group | Txn | Metadata
)

var contextNames = []struct {
	c    Context
	name string
}{
	{Broker, "broker"}, {Protocol, "protocol"}, {Producer, "producer"}, {Consumer, "consumer"},
	{Group, "group"}, {Txn, "txn"}, {Metadata, "metadata"},
}

func (c Context) String() string {
	for _, n := range contextNames {
		if n.c == c {
			return n.name
		}
	}
	return "client"
}

// ParseContexts reads a debug option: context names separated by commas,
// "all" for every one, "" for none.
func ParseContexts(s string) (Context, error) {
	var out Context
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if f == "all" {
			out |= All
			continue
		}
		found := false
		for _, n := range contextNames {
			if n.name == f {
				out |= n.c
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown debug context %q (broker, protocol, producer, consumer, group, txn, metadata, all)", f)
		}
	}
	return out, nil
}

// Entry is one log line.
type Entry struct {
	Time    time.Time
	Level   Level
	Context Context
	Message string
}

// debugPerSecond bounds the debug lines of one context per second; the
// lines held back are counted and the count is said on the next one let
// through, so tracing a busy producer cannot flood the application.
const debugPerSecond = 500

// Logger filters entries by level and debug context and passes the rest to
// its sink. A nil *Logger logs nothing, so callers need no checks.
type Logger struct {
	level Level
	debug Context
	sink  func(Entry)

	mu     sync.Mutex
	window map[Context]*rateWindow
}

type rateWindow struct {
	start      time.Time
	used       int
	suppressed int
}

// NewLogger logs entries at level or more severe, and debug entries of the
// contexts in debug, to sink. It returns nil when nothing would be logged.
func NewLogger(level Level, debug Context, sink func(Entry)) *Logger {
	if sink == nil || (level == LevelOff && debug == 0) {
		return nil
	}
	if level == LevelDebug && debug == 0 {
		debug = All
	}
	return &Logger{level: level, debug: debug, sink: sink, window: map[Context]*rateWindow{}}
}

// Enabled says whether an entry of level in ctx would be logged; use it to
// skip building expensive messages.
func (l *Logger) Enabled(level Level, ctx Context) bool {
	if l == nil {
		return false
	}
	if level == LevelDebug {
		return l.debug&ctx != 0
	}
	return level <= l.level && level != LevelOff
}

// Logf logs one entry.
func (l *Logger) Logf(level Level, ctx Context, format string, args ...any) {
	if !l.Enabled(level, ctx) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if level == LevelDebug {
		held, ok := l.admit(ctx)
		if !ok {
			return
		}
		if held > 0 {
			msg += fmt.Sprintf(" (%d earlier %s debug lines suppressed by the rate limit)", held, ctx)
		}
	}
	l.sink(Entry{Time: time.Now(), Level: level, Context: ctx, Message: msg})
}

func (l *Logger) Debugf(ctx Context, format string, args ...any) {
	l.Logf(LevelDebug, ctx, format, args...)
}
func (l *Logger) Infof(ctx Context, format string, args ...any) {
	l.Logf(LevelInfo, ctx, format, args...)
}
func (l *Logger) Warnf(ctx Context, format string, args ...any) {
	l.Logf(LevelWarn, ctx, format, args...)
}
func (l *Logger) Errorf(ctx Context, format string, args ...any) {
	l.Logf(LevelError, ctx, format, args...)
}

// admit applies the per-context rate limit; it returns how many lines were
// held back since the last one admitted.
func (l *Logger) admit(ctx Context) (int, bool) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.window[ctx]
	if w == nil {
		w = &rateWindow{start: now}
		l.window[ctx] = w
	}
	if now.Sub(w.start) >= time.Second {
		w.start, w.used = now, 0
	}
	if w.used >= debugPerSecond {
		w.suppressed++
		return 0, false
	}
	w.used++
	held := w.suppressed
	w.suppressed = 0
	return held, true
}
