package client

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Share groups (KIP-932, "queues for Kafka"): the members of a share group
// read the same partitions together. The broker hands each record to one
// member at a time, under an acquisition lock, and counts its deliveries;
// the member accepts it (done), releases it (to be delivered again) or
// rejects it (never again). This file is the membership: ShareGroupHeartbeat
// to the group coordinator, which assigns a partition to several members at
// once, so a member has nothing to give up before another takes a partition
// and simply adopts each assignment. share_fetch.go fetches, share_ack.go
// hands records over and acknowledges them.

// ShareOptions configure a share group subscription.
type ShareOptions struct {
	GroupID string
	Topics  []string
	// AckMode is ShareAckImplicit (the default: what a poll handed over
	// is accepted by the next poll, commit or unsubscribe) or
	// ShareAckExplicit (the application acknowledges each record).
	AckMode string
	// AcquireMode is ShareAcquireBatches (the default: the broker hands
	// out whole record batches, max_poll_records or not) or
	// ShareAcquireRecordLimit (never more than max_poll_records records
	// per fetch, KIP-1206, Kafka 4.2+).
	AcquireMode string
}

// The acknowledgement modes (share.acknowledgement.mode in Java).
const (
	ShareAckImplicit = "implicit"
	ShareAckExplicit = "explicit"
)

// The acquisition modes (share.acquire.mode in Java).
const (
	ShareAcquireBatches     = "batch_optimized"
	ShareAcquireRecordLimit = "record_limit"
)

// NewShareOptions returns the options of a share subscription before any
// is set.
func NewShareOptions() ShareOptions {
	return ShareOptions{AckMode: ShareAckImplicit, AcquireMode: ShareAcquireBatches}
}

var shareAliases = map[string]string{"group.id": "group_id", "share.acknowledgement.mode": "share_acknowledgement_mode",
	"share.acquire.mode": "share_acquire_mode"}

// Set sets one share subscribe option by kfk's name or Java's.
func (o *ShareOptions) Set(key, value string) error {
	if alias, ok := shareAliases[key]; ok {
		key = alias
	}
	switch key {
	case "group_id":
		o.GroupID = value
	case "share_acknowledgement_mode":
		if value != ShareAckImplicit && value != ShareAckExplicit {
			return &ConfigError{Key: key, Value: value, Reason: "must be implicit or explicit"}
		}
		o.AckMode = value
	case "share_acquire_mode":
		if value != ShareAcquireBatches && value != ShareAcquireRecordLimit {
			return &ConfigError{Key: key, Value: value, Reason: "must be batch_optimized or record_limit"}
		}
		o.AcquireMode = value
	default:
		return &ConfigError{Key: key, Reason: "unknown share subscribe option"}
	}
	return nil
}

// ErrNotShareSubscribed is returned by share group calls without a share
// subscription.
var ErrNotShareSubscribed = errors.New("not subscribed to a share group")

// shareMember is one share group membership: its heartbeat goroutine, its
// share sessions with the partitions' leaders, and the records it holds.
type shareMember struct {
	c    *Client
	opts ShareOptions

	mu       sync.Mutex
	memberID string // the member's own, for its whole life (KIP-932)
	epoch    int32
	// target is the coordinator's latest assignment, by topic id;
	// assigned the part of it the metadata names.
	target   []kmsg.ShareGroupHeartbeatResponseAssignmentTopicPartition
	assigned map[tp]bool
	fetch    shareFetchState
	acks     shareAckState

	stop    chan struct{}
	stopped chan struct{}
	// The first leave does the work; later ones wait for left.
	leaving  sync.Once
	left     chan struct{}
	leaveErr error
}

// ShareSubscribe joins the share group opts.GroupID and consumes its
// records: SharePoll hands them over, Acknowledge and
// CommitAcknowledgements settle them. A share subscription is independent
// of Subscribe and Assign: its records never move the consumer's positions.
// A previous share subscription is left first.
func (c *Client) ShareSubscribe(opts ShareOptions) error {
	if opts.GroupID == "" || len(opts.Topics) == 0 {
		return &ConfigError{Key: "group_id", Reason: "share subscribe needs a group id and at least one topic"}
	}
	if opts.AckMode == "" {
		opts.AckMode = ShareAckImplicit
	}
	s := &shareMember{c: c, opts: opts, memberID: newMemberID(), assigned: map[tp]bool{},
		stop: make(chan struct{}), stopped: make(chan struct{}), left: make(chan struct{})}
	s.fetch.init()
	s.acks.init()
	c.mu.Lock()
	old := c.share
	c.setShareLocked(s)
	c.mu.Unlock()
	if old != nil {
		done := make(chan struct{})
		old.leave(func(error) { close(done) })
		<-done
	}
	c.refreshMetadata(nil, nil)
	go s.run()
	return nil
}

// ShareUnsubscribe settles what the member holds (implicit mode: accepts
// what the last poll handed over; records not acknowledged or never handed
// over are released), closes its share sessions and leaves the group.
func (c *Client) ShareUnsubscribe(cb func(error)) {
	c.mu.Lock()
	s := c.share
	c.setShareLocked(nil)
	c.mu.Unlock()
	if s == nil {
		cb(nil)
		return
	}
	s.leave(cb)
}

func (c *Client) shareMember() (*shareMember, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.share == nil {
		return nil, ErrNotShareSubscribed
	}
	return c.share, nil
}

// run heartbeats until the member stops, adopting each assignment.
func (s *shareMember) run() {
	defer close(s.stopped)
	backoff := s.c.cfg.RetryBackoff
	wait := time.Duration(0)
	for {
		select {
		case <-s.stop:
			return
		case <-time.After(wait):
		}
		resp, err := s.heartbeat(false)
		if err != nil {
			wait = s.heartbeatFailed(err, backoff)
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = s.c.cfg.RetryBackoff
		wait = time.Duration(resp.HeartbeatIntervalMillis) * time.Millisecond
		s.mu.Lock()
		s.epoch = resp.MemberEpoch
		if resp.Assignment != nil {
			s.target = resp.Assignment.TopicPartitions
		}
		s.mu.Unlock()
		if !s.adopt() {
			wait = min(wait, metadataWatchInterval) // a topic's name is still to be learnt
		}
	}
}

// heartbeat sends one ShareGroupHeartbeat (leaving: epoch -1).
func (s *shareMember) heartbeat(leaving bool) (*kmsg.ShareGroupHeartbeatResponse, error) {
	req := kmsg.NewPtrShareGroupHeartbeatRequest()
	s.mu.Lock()
	req.GroupID, req.MemberID, req.MemberEpoch = s.opts.GroupID, s.memberID, s.epoch
	s.mu.Unlock()
	if leaving {
		req.MemberEpoch = epochLeave
	} else {
		req.SubscribedTopicNames = s.opts.Topics
	}
	resp, err := s.c.coordinatorDo(s.opts.GroupID, coordinatorGroup, req)
	if err != nil {
		return nil, err
	}
	r := resp.(*kmsg.ShareGroupHeartbeatResponse)
	if r.ErrorCode != 0 {
		err = kerr.ForCode(r.ErrorCode)
		if r.ErrorMessage != nil {
			err = fmt.Errorf("%w (%s)", err, *r.ErrorMessage)
		}
		return nil, err
	}
	return r, nil
}

// heartbeatFailed reacts to a failed heartbeat and returns how long to
// wait before the next. A member the coordinator no longer knows joins
// again with the same id; it fetches nothing meanwhile.
func (s *shareMember) heartbeatFailed(err error, backoff time.Duration) time.Duration {
	var ke *kerr.Error
	switch {
	case coordinatorRetriable(err):
		s.c.log.Debugf(obs.Group, "share group %s: heartbeat: %v; looking for the coordinator again", s.opts.GroupID, err)
	case errors.As(err, &ke) && (ke.Code == kerr.UnknownMemberID || ke.Code == kerr.FencedMemberEpoch):
		s.c.log.Infof(obs.Group, "share group %s: %v; joining again", s.opts.GroupID, err)
		s.mu.Lock()
		s.epoch, s.target, s.assigned = epochJoin, nil, map[tp]bool{}
		s.mu.Unlock()
		return 0
	case errors.Is(err, conn.ErrUnsupported) || (errors.As(err, &ke) && ke.Code == kerr.UnsupportedVersion):
		s.c.reportError(fmt.Errorf("share group %s: the broker does not support share groups (KIP-932, Kafka 4.1+): %w",
			s.opts.GroupID, err))
	default:
		s.c.reportError(fmt.Errorf("share group %s: %w", s.opts.GroupID, err))
	}
	return backoff
}

// adopt makes the target assignment the partitions fetched, as far as the
// metadata names its topics, and reports whether it named them all.
func (s *shareMember) adopt() bool {
	m := s.c.meta.Load()
	s.mu.Lock()
	assigned := map[tp]bool{}
	named := true
	for _, t := range s.target {
		name, ok := "", false
		if m != nil {
			name, ok = m.byID[t.TopicID]
		}
		if !ok {
			named = false
			continue
		}
		for _, p := range t.Partitions {
			assigned[tp{name, p}] = true
		}
	}
	changed := len(assigned) != len(s.assigned)
	for which := range assigned {
		changed = changed || !s.assigned[which]
	}
	s.assigned = assigned
	s.mu.Unlock()
	if !named {
		s.c.refreshMetadata(nil, nil)
	}
	if changed {
		s.c.log.Infof(obs.Group, "share group %s: assigned %s", s.opts.GroupID, describeTPs(slices.Collect(maps.Keys(assigned))))
		s.kick()
	}
	return named
}

// describeTPs reads partitions for a log line.
func describeTPs(parts []tp) string {
	if len(parts) == 0 {
		return "nothing"
	}
	var b strings.Builder
	for i, which := range sortTPs(parts) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s[%d]", which.topic, which.partition)
	}
	return b.String()
}

// leave stops the member once: settle what it holds, close its share
// sessions, leave the group.
func (s *shareMember) leave(cb func(error)) {
	go func() {
		s.leaving.Do(func() {
			defer close(s.left)
			s.leaveErr = s.leaveNow()
		})
		<-s.left
		cb(s.leaveErr)
	}()
}

func (s *shareMember) leaveNow() error {
	close(s.stop)
	<-s.stopped
	err := s.closeSessions()
	s.mu.Lock()
	joined := s.epoch != epochJoin
	s.mu.Unlock()
	if joined {
		if _, lerr := s.heartbeat(true); lerr != nil && err == nil {
			err = lerr
		}
	}
	s.c.log.Infof(obs.Group, "share group %s: left", s.opts.GroupID)
	return err
}
