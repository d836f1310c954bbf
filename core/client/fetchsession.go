package client

import (
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// fetchSession is the client half of a KIP-227 incremental fetch session
// with one broker. Once the broker has handed out a session id, a fetch
// names only the partitions whose fetch offset moved since the last one and
// the partitions to drop; the broker remembers the rest and answers only for
// partitions with news. With many idle partitions this keeps both requests
// and responses small. Brokers too old for sessions (Fetch < v7) answer with
// session id 0 and every fetch stays a full one.
//
// At most one fetch per broker is in flight, so a session is only touched
// by the fetch that owns it (under consumer.mu).
type fetchSession struct {
	id    int32
	epoch int32
	held  map[tp]int64 // fetch offset the broker holds per session partition
}

// sessionEpochNew asks the broker for a new session (KIP-227).
const sessionEpochNew int32 = 0

// sessionFetch is what one fetch request carries for the session.
type sessionFetch struct {
	full      bool  // every partition named; a new session is requested
	send      []int // indexes into the plan's partitions to name
	forgotten []tp
}

// plan decides which of parts (fetched at offs) the request must name.
func (s *fetchSession) plan(parts []tp, offs []int64) sessionFetch {
	if s.id == 0 {
		all := make([]int, len(parts))
		for i := range all {
			all[i] = i
		}
		return sessionFetch{full: true, send: all}
	}
	var f sessionFetch
	kept := 0 // parts the session holds already
	for i, which := range parts {
		held, ok := s.held[which]
		if ok {
			kept++
		}
		if !ok || held != offs[i] {
			f.send = append(f.send, i)
		}
	}
	if kept == len(s.held) {
		return f // the session holds nothing else: nothing to forget
	}
	// Rarely (a partition revoked, paused or moved): a set of the plan,
	// which at many partitions is too costly to build for every fetch.
	inPlan := make(map[tp]bool, len(parts))
	for _, which := range parts {
		inPlan[which] = true
	}
	for which := range s.held {
		if !inPlan[which] {
			f.forgotten = append(f.forgotten, which)
		}
	}
	return f
}

// fill sets the session fields of req.
func (s *fetchSession) fill(req *kmsg.FetchRequest, f sessionFetch) {
	if f.full {
		req.SessionID, req.SessionEpoch = 0, sessionEpochNew
		return
	}
	req.SessionID, req.SessionEpoch = s.id, s.epoch
	for _, which := range f.forgotten {
		if n := len(req.ForgottenTopics); n == 0 || req.ForgottenTopics[n-1].Topic != which.topic {
			t := kmsg.NewFetchRequestForgottenTopic()
			t.Topic = which.topic
			req.ForgottenTopics = append(req.ForgottenTopics, t)
		}
		t := &req.ForgottenTopics[len(req.ForgottenTopics)-1]
		t.Partitions = append(t.Partitions, which.partition)
	}
}

// answered records a successful response to a fetch planned as f.
func (s *fetchSession) answered(f sessionFetch, parts []tp, offs []int64, sessionID int32) {
	if f.full {
		s.reset()
		if sessionID == 0 {
			return // the broker keeps no session (too old, or its cache is full)
		}
		s.id, s.epoch = sessionID, 1
		for i, which := range parts {
			s.held[which] = offs[i]
		}
		return
	}
	s.epoch = nextSessionEpoch(s.epoch)
	for _, i := range f.send {
		s.held[parts[i]] = offs[i]
	}
	for _, which := range f.forgotten {
		delete(s.held, which)
	}
}

// reset drops the session: the next fetch is a full one asking for a new
// session.
func (s *fetchSession) reset() {
	s.id, s.epoch = 0, sessionEpochNew
	s.held = map[tp]int64{}
}

// nextSessionEpoch wraps to 1, as 0 and -1 have meanings of their own.
func nextSessionEpoch(e int32) int32 {
	if e == math.MaxInt32 {
		return 1
	}
	return e + 1
}

// Top-level fetch errors that mean the session is gone or out of step:
// start a new one at once.
const (
	errFetchSessionIDNotFound   = 70
	errInvalidFetchSessionEpoch = 71
)
