package client

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The consumer group protocol (KIP-848, group_protocol=consumer): the
// coordinator assigns the partitions and every member reaches its target
// assignment on its own, through ConsumerGroupHeartbeat, without stopping
// the others. The member tells the coordinator what it owns; it gives up a
// partition (committing first, with auto-commit) before the coordinator
// hands it to someone else.

// Member epochs with a meaning of their own (KIP-848).
const (
	epochJoin        int32 = 0  // join (or rejoin) the group
	epochLeave       int32 = -1 // leave the group
	epochStaticLeave int32 = -2 // a static member leaves, to come back
)

// runConsumerProtocol is a KIP-848 member's life: heartbeat, reconcile its
// assignment with the coordinator's target, until it stops.
func (g *group) runConsumerProtocol() {
	defer close(g.stopped)
	g.mu.Lock()
	g.memberID, g.generation = newMemberID(), epochJoin
	g.assignor = g.opts.RemoteAssignor // "" until the broker's default is known
	g.mu.Unlock()
	g.resolveTopics()
	backoff := g.c.cfg.RetryBackoff
	var target map[tp]bool // the coordinator's assignment not reached yet; nil: reached
	wait := time.Duration(0)
	for {
		select {
		case <-g.stop:
			return
		case <-time.After(wait):
		}
		resp, err := g.consumerHeartbeat()
		if err == nil && resp.ErrorCode != 0 {
			err = kerr.ForCode(resp.ErrorCode)
			if resp.ErrorMessage != nil {
				err = fmt.Errorf("%w (%s)", err, *resp.ErrorMessage)
			}
		}
		if err != nil {
			wait = g.consumerHeartbeatFailed(err, backoff)
			backoff = min(backoff*2, 2*time.Second)
			if g.memberEpoch() == epochJoin {
				target = nil
			}
			continue
		}
		backoff = g.c.cfg.RetryBackoff
		g.mu.Lock()
		if resp.MemberID != nil && *resp.MemberID != "" {
			g.memberID = *resp.MemberID
		}
		g.generation = resp.MemberEpoch
		g.mu.Unlock()
		wait = time.Duration(resp.HeartbeatIntervalMillis) * time.Millisecond
		if resp.Assignment != nil {
			target = g.assignmentTarget(resp.Assignment)
		}
		if target != nil {
			changed, reached := g.reconcile(target)
			if g.heardTarget != nil { // heard while a revocation waited: newer than target
				target, g.heardTarget = g.heardTarget, nil
				changed, reached = true, false
			}
			if reached {
				target = nil
			}
			if changed {
				wait = 0 // tell the coordinator what is owned now
			} else if !reached {
				wait = min(wait, metadataWatchInterval) // a topic's name is still to be learnt
			}
		}
	}
}

// consumerKeepAlive heartbeats while a revocation waits for the
// application: the member's epoch follows the coordinator's, and a new
// target assignment is kept for the loop, which reconciles it next.
func (g *group) consumerKeepAlive() {
	resp, err := g.consumerHeartbeat()
	if err != nil || resp.ErrorCode != 0 {
		return // the loop's next heartbeat meets the error again and handles it
	}
	g.mu.Lock()
	g.generation = resp.MemberEpoch
	g.mu.Unlock()
	if resp.Assignment != nil {
		g.heardTarget = g.assignmentTarget(resp.Assignment)
	}
}

// newMemberID is a member id of the client's own (ConsumerGroupHeartbeat
// v1 asks the client for one): 16 random bytes, base64url, as Java's
// Uuid prints them.
func newMemberID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (g *group) memberEpoch() int32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.generation
}

// consumerHeartbeat sends one ConsumerGroupHeartbeat with what the member
// owns.
func (g *group) consumerHeartbeat() (*kmsg.ConsumerGroupHeartbeatResponse, error) {
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	g.mu.Lock()
	req.Group, req.MemberID, req.MemberEpoch = g.opts.GroupID, g.memberID, g.generation
	owned := g.owned
	g.mu.Unlock()
	if g.opts.InstanceID != "" {
		req.InstanceID = kmsg.StringPtr(g.opts.InstanceID)
	}
	req.RebalanceTimeoutMillis = int32(g.opts.RebalanceTimeout / time.Millisecond)
	if g.sub.pattern != nil {
		// The coordinator matches the expression (RE2/J, as Go's RE2)
		// against the cluster's topics itself, names included.
		req.SubscribedTopicRegex = kmsg.StringPtr(g.sub.expression(true))
	} else {
		req.SubscribedTopicNames = g.sub.names
	}
	if g.opts.RemoteAssignor != "" {
		req.ServerAssignor = kmsg.StringPtr(g.opts.RemoteAssignor)
	}
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	m := g.c.meta.Load()
	byTopic := map[string][]int32{}
	for _, a := range owned {
		byTopic[a.Topic] = append(byTopic[a.Topic], a.Partition)
	}
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		t := kmsg.NewConsumerGroupHeartbeatRequestTopic()
		if m != nil && m.topics[topic] != nil {
			t.TopicID = m.topics[topic].id
		}
		t.Partitions = byTopic[topic]
		req.Topics = append(req.Topics, t)
	}
	resp, err := g.do(req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.ConsumerGroupHeartbeatResponse), nil
}

// consumerHeartbeatFailed reacts to a failed heartbeat and returns how
// long to wait before the next. A coordinator on the move is looked for
// again, keeping the assignment; a member the coordinator no longer knows
// (fenced, unknown) loses its partitions and joins again.
func (g *group) consumerHeartbeatFailed(err error, backoff time.Duration) time.Duration {
	var ke *kerr.Error
	switch {
	case coordinatorRetriable(err):
		g.c.log.Debugf(obs.Group, "group %s: heartbeat: %v; looking for the coordinator again", g.opts.GroupID, err)
		g.forgetCoordinator()
	case errors.As(err, &ke) && (ke.Code == kerr.FencedMemberEpoch || ke.Code == kerr.UnknownMemberID):
		g.c.log.Infof(obs.Group, "group %s: %v; joining again", g.opts.GroupID, err)
		g.lose()
		g.mu.Lock()
		g.state, g.generation = memberJoining, epochJoin
		if ke.Code == kerr.UnknownMemberID {
			g.memberID = newMemberID()
		}
		g.mu.Unlock()
		return 0
	case errors.Is(err, conn.ErrUnsupported) || (errors.As(err, &ke) && ke.Code == kerr.UnsupportedVersion):
		g.c.reportError(fmt.Errorf("consumer group %s: the broker does not support group_protocol=consumer (KIP-848, Kafka 4.0+): %w",
			g.opts.GroupID, err))
	default:
		g.c.reportError(fmt.Errorf("consumer group %s: %w", g.opts.GroupID, err))
	}
	return backoff
}

// assignmentTarget reads the coordinator's assignment; a topic id the
// metadata does not name yet is asked for and stays out until it does.
func (g *group) assignmentTarget(a *kmsg.ConsumerGroupHeartbeatResponseAssignment) map[tp]bool {
	target := map[tp]bool{}
	g.pendingIDs = nil
	m := g.c.meta.Load()
	for _, t := range a.Topics {
		name, ok := "", false
		if m != nil {
			name, ok = m.byID[t.TopicID]
		}
		if !ok {
			g.pendingIDs = append(g.pendingIDs, t)
			continue
		}
		for _, p := range t.Partitions {
			target[tp{name, p}] = true
		}
	}
	if len(g.pendingIDs) > 0 {
		go g.resolveTopics() // a topic a pattern matched may be new to the client
	}
	return target
}

// reconcile moves the assignment toward target: partitions no longer in
// it are given up (committed first with auto-commit; on_revoke), new ones
// start (on_assign). changed says whether the owned set changed; reached
// whether nothing is left to do (every topic id was named).
func (g *group) reconcile(target map[tp]bool) (changed, reached bool) {
	if len(g.pendingIDs) > 0 {
		if m := g.c.meta.Load(); m != nil {
			kept := g.pendingIDs[:0]
			for _, t := range g.pendingIDs {
				if name, ok := m.byID[t.TopicID]; ok {
					for _, p := range t.Partitions {
						target[tp{name, p}] = true
					}
				} else {
					kept = append(kept, t)
				}
			}
			g.pendingIDs = kept
		}
	}
	revoked, added := g.towards(target)
	if len(revoked) > 0 {
		g.giveUp(revoked)
	}
	if len(added) > 0 || len(revoked) > 0 || g.memberState() != memberStable {
		if err := g.start(added, true); err != nil {
			g.c.reportError(fmt.Errorf("consumer group %s: %w", g.opts.GroupID, err))
			return len(revoked) > 0, false // the offsets are asked for again at the next heartbeat
		}
	}
	return len(revoked) > 0 || len(added) > 0, len(g.pendingIDs) == 0
}

func (g *group) memberState() memberState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state
}

// compareTP orders partitions by topic, then partition number.
func compareTP(a, b tp) int {
	switch {
	case a.topic < b.topic:
		return -1
	case a.topic > b.topic:
		return 1
	}
	return int(a.partition - b.partition)
}

// leaveConsumerGroup tells the coordinator the member leaves (a static
// member closing says it will come back).
func (g *group) leaveConsumerGroup(forever bool) error {
	g.mu.Lock()
	if g.generation == epochJoin && len(g.owned) == 0 {
		g.mu.Unlock()
		return nil // never joined
	}
	g.generation = epochLeave
	if !forever && g.opts.InstanceID != "" {
		g.generation = epochStaticLeave
	}
	g.mu.Unlock()
	resp, err := g.consumerHeartbeat()
	if err == nil && resp.ErrorCode != 0 {
		err = kerr.ForCode(resp.ErrorCode)
	}
	return err
}
