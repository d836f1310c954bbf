package client_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// member is one group consumer, polling in the background.
type member struct {
	c    *client.Client
	mu   sync.Mutex
	seen map[string]int // "partition/offset" -> times
	stop chan struct{}
	done chan struct{}
}

func startMember(t *testing.T, group, topic string, extra ...string) *member {
	t.Helper()
	return startMemberAs(t, "", group, topic, extra...)
}

// startMemberAs starts a static member (KIP-345) when instance is set.
func startMemberAs(t *testing.T, instance, group, topic string, extra ...string) *member {
	t.Helper()
	m := &member{c: newClient(t, append([]string{"auto_offset_reset", "earliest"}, extra...)...),
		seen: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	err := m.c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, AutoCommit: true,
		HeartbeatInterval: 300 * time.Millisecond, SessionTimeout: 10 * time.Second, AutoCommitInterval: 200 * time.Millisecond,
		InstanceID: instance})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(m.done)
		for {
			select {
			case <-m.stop:
				return
			default:
			}
			done := make(chan struct{})
			m.c.Poll(0, func(ms []client.Message) {
				m.mu.Lock()
				for _, x := range ms {
					m.seen[fmt.Sprintf("%d/%d", x.Partition, x.Offset)]++
				}
				m.mu.Unlock()
			}, func(int, error) { close(done) })
			select {
			case <-done:
			case <-time.After(2 * time.Second):
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return m
}

func (m *member) halt() {
	close(m.stop)
	<-m.done
}

func (m *member) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

func assignedPartitions(c *client.Client) []int32 {
	_, _, parts := c.GroupState()
	var out []int32
	for _, p := range parts {
		out = append(out, p.Partition)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestGroupSharesPartitionsAndTakesOver(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 6)
	group := "g-" + topic
	p := newClient(t, "linger_ms", "1")
	var col collector
	const n = 600
	for i := 0; i < n; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 6), Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)

	m1 := startMember(t, group, topic)
	m2 := startMember(t, group, topic)
	waitFor(t, "two members with 3 partitions each", func() bool {
		return len(assignedPartitions(m1.c)) == 3 && len(assignedPartitions(m2.c)) == 3
	})
	waitFor(t, "every message consumed", func() bool { return m1.count()+m2.count() >= n })

	// m2 leaves: m1 takes all six partitions.
	m2.halt()
	left := make(chan error, 1)
	m2.c.Unsubscribe(func(err error) { left <- err })
	if err := <-left; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remaining member owning all partitions", func() bool { return len(assignedPartitions(m1.c)) == 6 })

	// New records after the takeover reach m1; nothing committed is re-read
	// beyond at-least-once.
	for i := n; i < n+60; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 6), Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	waitFor(t, "the new messages", func() bool {
		m1.mu.Lock()
		defer m1.mu.Unlock()
		for part := 0; part < 6; part++ {
			if m1.seen[fmt.Sprintf("%d/%d", part, n/6+9)] == 0 {
				return false
			}
		}
		return true
	})
	m1.halt()

	// Offsets were committed: a new member of the group starts after them.
	m1.c.Unsubscribe(func(err error) { left <- err })
	<-left
	m3 := startMember(t, group, topic)
	defer m3.halt()
	waitFor(t, "the new member's assignment", func() bool { return len(assignedPartitions(m3.c)) == 6 })
	// A marker on each partition: a committed message read again would
	// come before it, so once the markers are in, all that was read is.
	const markerOffset = (n + 60) / 6
	for part := 0; part < 6; part++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(part), Value: []byte("marker")}, col.fn())
	}
	col.wait(t)
	waitFor(t, "the markers read by the new member", func() bool {
		m3.mu.Lock()
		defer m3.mu.Unlock()
		for part := 0; part < 6; part++ {
			if m3.seen[fmt.Sprintf("%d/%d", part, markerOffset)] == 0 {
				return false
			}
		}
		return true
	})
	if got := m3.count(); got != 6 {
		t.Fatalf("a new member re-read %d committed messages", got-6)
	}
}

func TestStickyAssignorKeepsPartitions(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	group := "sticky-" + topic
	m1 := startMember(t, group, topic)
	defer m1.halt()
	waitFor(t, "m1 owning all", func() bool { return len(assignedPartitions(m1.c)) == 4 })
	m2 := startMember(t, group, topic)
	defer m2.halt()
	waitFor(t, "a 2/2 split", func() bool {
		return len(assignedPartitions(m1.c)) == 2 && len(assignedPartitions(m2.c)) == 2
	})
	before1, before2 := fmt.Sprint(assignedPartitions(m1.c)), fmt.Sprint(assignedPartitions(m2.c))
	m3 := startMember(t, group, topic)
	waitFor(t, "three members assigned 2/1/1", func() bool {
		return len(assignedPartitions(m3.c)) == 1 && len(assignedPartitions(m1.c))+len(assignedPartitions(m2.c)) == 3
	})
	m3.halt()
	left := make(chan error, 1)
	m3.c.Unsubscribe(func(err error) { left <- err })
	<-left
	waitFor(t, "back to 2/2", func() bool {
		return len(assignedPartitions(m1.c)) == 2 && len(assignedPartitions(m2.c)) == 2
	})
	// The partitions each member kept through the two rebalances are its own.
	kept := 0
	for _, p := range assignedPartitions(m1.c) {
		if containsPart(before1, p) {
			kept++
		}
	}
	for _, p := range assignedPartitions(m2.c) {
		if containsPart(before2, p) {
			kept++
		}
	}
	if kept < 3 {
		t.Fatalf("sticky assignor moved too much: before %s %s, after %v %v", before1, before2,
			assignedPartitions(m1.c), assignedPartitions(m2.c))
	}
}

func containsPart(list string, p int32) bool {
	for _, x := range parseInts(list) {
		if x == p {
			return true
		}
	}
	return false
}

func parseInts(s string) []int32 {
	var out []int32
	var cur int32
	in := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			cur = cur*10 + int32(r-'0')
			in = true
		} else if in {
			out = append(out, cur)
			cur, in = 0, false
		}
	}
	return out
}

// TestStaticMemberRestartsWithoutRebalance closes and restarts each of two
// static members in turn (one of them leads the group): each gets its
// partitions back, and the group's generation never moves.
func TestStaticMemberRestartsWithoutRebalance(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	group := "static-" + topic
	members := []*member{startMemberAs(t, "s0", group, topic), startMemberAs(t, "s1", group, topic)}
	waitFor(t, "a 2/2 split", func() bool {
		return len(assignedPartitions(members[0].c)) == 2 && len(assignedPartitions(members[1].c)) == 2
	})
	_, gen, _ := members[0].c.GroupState()
	for i, instance := range []string{"s0", "s1"} {
		other := members[1-i]
		before := fmt.Sprint(assignedPartitions(members[i].c))
		members[i].halt()
		closed := make(chan error, 1)
		members[i].c.Close(5*time.Second, func(err error) { closed <- err })
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		members[i] = startMemberAs(t, instance, group, topic)
		waitFor(t, instance+" back with its partitions", func() bool {
			return fmt.Sprint(assignedPartitions(members[i].c)) == before
		})
		time.Sleep(time.Second) // heartbeats would have seen a rebalance by now
		_, otherGen, _ := other.c.GroupState()
		_, newGen, _ := members[i].c.GroupState()
		if otherGen != gen || newGen != gen {
			t.Fatalf("restarting %s moved the generation from %d to %d/%d", instance, gen, otherGen, newGen)
		}
		if got := len(assignedPartitions(other.c)); got != 2 {
			t.Fatalf("the other member holds %d partitions during the restart of %s", got, instance)
		}
	}
	for _, m := range members {
		m.halt()
	}
	// Unsubscribing leaves at once, static or not: the last one left takes all.
	left := make(chan error, 1)
	members[0].c.Unsubscribe(func(err error) { left <- err })
	if err := <-left; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remaining static member owning all partitions", func() bool { return len(assignedPartitions(members[1].c)) == 4 })
}

// A group subscribed before its topic exists gets the partitions once the
// topic appears, and the new ones when it grows: the leader watches the
// metadata its assignment was made from.
func TestGroupFollowsTopicCreationAndGrowth(t *testing.T) {
	topic := kafkatest.UniqueTopic(t, "late")
	m := startMember(t, "g-"+topic, topic)
	defer m.halt()
	waitFor(t, "partition 0 of the topic created after the join", func() bool {
		return fmt.Sprint(assignedPartitions(m.c)) == "[0]"
	})
	grown := make(chan error, 1)
	m.c.CreatePartitions(topic, 3, 10000, func(err error) { grown <- err })
	if err := <-grown; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the two new partitions assigned", func() bool {
		return fmt.Sprint(assignedPartitions(m.c)) == "[0 1 2]"
	})
	p := newClient(t)
	var col collector
	p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 2, Value: []byte("new")}, col.fn())
	col.wait(t)
	waitFor(t, "the record on a new partition consumed", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.seen["2/0"] == 1
	})
}

// on_assign gets each partition's real starting offset (committed, or
// where auto_offset_reset puts it), and on_revoke the positions reached.
func TestAssignAndRevokeReportRealOffsets(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 2)
	p := newClient(t)
	var col collector
	for i := 0; i < 5; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("v")}, col.fn())
	}
	col.wait(t)
	type event struct {
		assign bool
		parts  map[int32]int64
	}
	subscribe := func(c *client.Client, group string, reset client.OffsetReset) chan event {
		events := make(chan event, 4)
		report := func(assign bool) func([]client.Assignment) {
			return func(parts []client.Assignment) {
				e := event{assign, map[int32]int64{}}
				for _, x := range parts {
					e.parts[x.Partition] = x.Offset
				}
				events <- e
			}
		}
		err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, AutoOffsetReset: reset,
			HeartbeatInterval: 300 * time.Millisecond, OnAssign: report(true), OnRevoke: report(false)})
		if err != nil {
			t.Fatal(err)
		}
		return events
	}
	next := func(events chan event) event {
		select {
		case e := <-events:
			return e
		case <-time.After(60 * time.Second):
			t.Fatal("no assignment")
			return event{}
		}
	}
	for _, tc := range []struct {
		reset client.OffsetReset
		want  map[int32]int64
	}{{"latest", map[int32]int64{0: 5, 1: 0}}, {"earliest", map[int32]int64{0: 0, 1: 0}}} {
		c := newClient(t)
		events := subscribe(c, kafkatest.UniqueTopic(t, "group-"+string(tc.reset)), tc.reset)
		e := next(events)
		if !e.assign || fmt.Sprint(e.parts) != fmt.Sprint(tc.want) {
			t.Fatalf("auto_offset_reset %s: on_assign got %v, want %v", tc.reset, e.parts, tc.want)
		}
		if tc.reset != "earliest" {
			continue
		}
		// Consume everything, then leave: on_revoke says where it got to.
		if got := pollUntil(t, c, 5); len(got) != 5 {
			t.Fatalf("consumed %d records", len(got))
		}
		done := make(chan error, 1)
		c.Unsubscribe(func(err error) { done <- err })
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if e := next(events); e.assign || e.parts[0] != 5 {
			t.Fatalf("on_revoke got %v (assign %v), want partition 0 at 5", e.parts, e.assign)
		}
	}
}

// Subscribing, unsubscribing and closing at the same time from several
// goroutines leaves each membership once; none of it may crash the host
// (a second leave of one member used to close a closed channel).
func TestConcurrentSubscribeUnsubscribeClose(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 2)
	c := kafkatest.OpenClient(t, kafkatest.Brokers(t).Brokers, client.Handler{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := c.Subscribe(client.GroupOptions{GroupID: kafkatest.UniqueTopic(t, "racing"), Topics: []string{topic},
				HeartbeatInterval: 300 * time.Millisecond}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			c.Unsubscribe(func(err error) { done <- err })
			<-done
		}()
	}
	wg.Wait()
	kafkatest.CloseClient(t, c)
}
