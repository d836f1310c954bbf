package client_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeMember is a client of f subscribed to topic in group (manual
// commits, from the earliest offset, quick heartbeats); opts changes the
// group options.
func fakeMember(t *testing.T, f *kafkatest.FakeCluster, group, topic string, opts ...func(*client.GroupOptions)) *client.Client {
	t.Helper()
	c := fakeClient(t, f)
	o := client.GroupOptions{GroupID: group, Topics: []string{topic}, AutoOffsetReset: "earliest",
		HeartbeatInterval: 20 * time.Millisecond, SessionTimeout: 10 * time.Second, RebalanceTimeout: 5 * time.Second}
	for _, fn := range opts {
		fn(&o)
	}
	if err := c.Subscribe(o); err != nil {
		t.Fatal(err)
	}
	return c
}

// owned is the sorted partitions c's group membership holds.
func owned(c *client.Client) []int32 {
	_, _, parts := c.GroupState()
	var out []int32
	for _, p := range parts {
		out = append(out, p.Partition)
	}
	slices.Sort(out)
	return out
}

// committed reads group's committed offsets of topic's partitions through
// another client; -1 where the group committed none.
func committed(t *testing.T, f *kafkatest.FakeCluster, group, topic string, partitions int) []int64 {
	t.Helper()
	c := fakeClient(t, f)
	lag, err := adminCall(t, func(cb func(tree.Value, error)) { c.GroupLag(group, cb) })
	if err != nil {
		t.Fatalf("group lag: %v", err)
	}
	out := make([]int64, partitions)
	for p := range out {
		out[p] = -1
		if v := lag.Path(fmt.Sprintf("%s:%d", topic, p), "committed"); v.Kind == tree.Int {
			out[p] = v.Int
		}
	}
	return out
}

// countRequests counts the requests of key the cluster receives (after
// every control function before it), and lets the cluster answer; it
// also keeps the node each came to.
func countRequests(f *kafkatest.FakeCluster, key kmsg.Key) func() []int32 {
	var mu sync.Mutex
	var nodes []int32
	f.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		nodes = append(nodes, f.CurrentNode())
		mu.Unlock()
		return nil, nil, false
	})
	return func() []int32 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(nodes)
	}
}

// One member owns every partition; a second joins and the partitions are
// split between them, each reading only its own; both commit; a new
// member after both left resumes every partition from the committed
// offsets (not from the earliest, where auto_offset_reset points).
func TestFakeGroupSplitsPartitionsCommitsAndResumes(t *testing.T) {
	const topic, group, partitions = "shared", "split", 4
	f := kafkatest.Fake(t, 3, kfake.SeedTopics(partitions, topic))
	p := fillPartitions(t, f, topic, partitions, 10)

	m1 := fakeMember(t, f, group, topic)
	eventually(t, "the first member owning every partition", func() bool { return len(owned(m1)) == partitions })
	_, gen1, _ := m1.GroupState()

	m2 := fakeMember(t, f, group, topic)
	eventually(t, "two members with two partitions each", func() bool {
		return len(owned(m1)) == 2 && len(owned(m2)) == 2
	})
	_, genA, _ := m1.GroupState()
	_, genB, _ := m2.GroupState()
	if genA != genB || genA <= gen1 {
		t.Fatalf("generations %d and %d after the second join, %d before", genA, genB, gen1)
	}
	all := append(owned(m1), owned(m2)...)
	slices.Sort(all)
	if len(slices.Compact(all)) != partitions {
		t.Fatalf("the members own %v and %v: not a split of %d partitions", owned(m1), owned(m2), partitions)
	}
	for _, m := range []*client.Client{m1, m2} {
		mine := owned(m)
		got := byPartition(pollN(t, m, 20))
		for _, part := range mine {
			checkRun(t, fmt.Sprintf("member owning %v", mine), got[part], part, 0, 10)
		}
		if len(got) != len(mine) {
			t.Fatalf("a member owning %v read partitions %v", mine, got)
		}
		if err := errorAfter(t, m.Commit); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	if got := committed(t, f, group, topic, partitions); fmt.Sprint(got) != "[10 10 10 10]" {
		t.Fatalf("committed offsets %v, want 10 each", got)
	}

	var more []client.Record
	for part := 0; part < partitions; part++ {
		for off := 10; off < 13; off++ {
			more = append(more, rec(topic, int32(part), "", fmt.Sprintf("p%d-%d", part, off)))
		}
	}
	delivered(t, p, more...)
	for _, m := range []*client.Client{m1, m2} {
		if err := errorAfter(t, m.Unsubscribe); err != nil {
			t.Fatalf("unsubscribe: %v", err)
		}
	}
	assigned := make(chan []client.Assignment, 1)
	m3 := fakeMember(t, f, group, topic, func(o *client.GroupOptions) {
		o.OnAssign = func(parts []client.Assignment) { assigned <- parts }
	})
	select {
	case parts := <-assigned:
		starts := map[int32]int64{}
		for _, a := range parts {
			starts[a.Partition] = a.Offset
		}
		if fmt.Sprint(starts) != "map[0:10 1:10 2:10 3:10]" {
			t.Fatalf("the new member starts at %v, want the committed 10 everywhere", starts)
		}
	case <-time.After(fakeWait):
		t.Fatal("the new member got no assignment")
	}
	got := byPartition(pollN(t, m3, 4*3))
	for part := int32(0); part < partitions; part++ {
		checkRun(t, "the new member", got[part], part, 10, 3)
	}
}

// A coordinator that answers heartbeats and commits with NOT_COORDINATOR
// and COORDINATOR_NOT_AVAILABLE for a while, and then one that moves to
// another node, is looked for again: the member does not rejoin (no
// JoinGroup, no SyncGroup, the same member id, generation and
// partitions), and its commits succeed once the coordinator answers.
func TestFakeGroupRidesOutCoordinatorErrorsAndMoves(t *testing.T) {
	const topic, group, partitions = "steady", "steady-group", 2
	f := kafkatest.Fake(t, 3, kfake.SeedTopics(partitions, topic))
	p := fillPartitions(t, f, topic, partitions, 10)
	joins, syncs := countRequests(f, kmsg.JoinGroup), countRequests(f, kmsg.SyncGroup)

	m := fakeMember(t, f, group, topic)
	eventually(t, "the member owning both partitions", func() bool { return len(owned(m)) == partitions })
	member, gen, _ := m.GroupState()
	pollN(t, m, 20)
	joined, synced := len(joins()), len(syncs())

	// The next 6 heartbeats and 3 commits fail, alternating the two codes.
	codes := []int16{16, 15} // NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE
	var hbFaults, commitFaults atomic.Int32
	f.ControlKey(int16(kmsg.Heartbeat), func(req kmsg.Request) (kmsg.Response, error, bool) {
		n := hbFaults.Add(1)
		if n > 6 {
			f.DropControl()
			return nil, nil, false
		}
		f.KeepControl()
		resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = codes[n%2]
		return resp, nil, true
	})
	heartbeats := countRequests(f, kmsg.Heartbeat) // those answered by the cluster
	f.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		n := commitFaults.Add(1)
		if n > 3 {
			f.DropControl()
			return nil, nil, false
		}
		f.KeepControl()
		oc := req.(*kmsg.OffsetCommitRequest)
		resp := oc.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range oc.Topics {
			t := kmsg.NewOffsetCommitResponseTopic()
			t.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewOffsetCommitResponseTopicPartition()
				p.Partition, p.ErrorCode = rp.Partition, codes[n%2]
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return resp, nil, true
	})
	if err := errorAfter(t, m.Commit); err != nil {
		t.Fatalf("commit through coordinator errors: %v", err)
	}
	eventually(t, "the heartbeats answered again after the errors", func() bool {
		return hbFaults.Load() > 6 && len(heartbeats()) >= 2
	})
	if n := commitFaults.Load(); n != 4 {
		t.Fatalf("the commit was tried %d times, want 3 refused and 1 served", n)
	}
	if got := committed(t, f, group, topic, partitions); fmt.Sprint(got) != "[10 10]" {
		t.Fatalf("committed offsets %v, want 10 each", got)
	}
	stayed := func(when string) {
		t.Helper()
		nowMember, nowGen, _ := m.GroupState()
		if nowMember != member || nowGen != gen || len(owned(m)) != partitions {
			t.Fatalf("%s: member %s generation %d owning %v; it was %s, generation %d, owning all %d",
				when, nowMember, nowGen, owned(m), member, gen, partitions)
		}
		if j, s := len(joins()), len(syncs()); j != joined || s != synced {
			t.Fatalf("%s: the member rejoined (%d JoinGroup and %d SyncGroup requests)", when, j-joined, s-synced)
		}
	}
	stayed("after the coordinator errors")

	// The coordinator moves: the old node answers NOT_COORDINATOR.
	old := f.CoordinatorFor(group)
	for i := 0; f.CoordinatorFor(group) == old; i++ {
		if i == 100 {
			t.Fatal("the coordinator does not move")
		}
		f.RehashCoordinators()
	}
	moved := f.CoordinatorFor(group)
	before := len(heartbeats())
	eventually(t, "a heartbeat to the new coordinator", func() bool {
		return slices.Contains(heartbeats()[before:], moved)
	})
	var recs []client.Record
	for part := 0; part < partitions; part++ {
		recs = append(recs, rec(topic, int32(part), "", fmt.Sprintf("p%d-10", part)))
	}
	delivered(t, p, recs...)
	got := byPartition(pollN(t, m, partitions))
	for part := int32(0); part < partitions; part++ {
		checkRun(t, "after the move", got[part], part, 10, 1)
	}
	if err := errorAfter(t, m.Commit); err != nil {
		t.Fatalf("commit after the coordinator moved: %v", err)
	}
	if got := committed(t, f, group, topic, partitions); fmt.Sprint(got) != "[11 11]" {
		t.Fatalf("committed offsets %v after the move, want 11 each", got)
	}
	stayed("after the coordinator moved")
}

// A commit made just before the member leaves (confluent-kafka's close
// serves on_revoke, whose commit is asynchronous, then leaves at once)
// goes out with the member's generation and succeeds: leaving waits for
// it, and it does not take the leaving for a reason to fail. Each round
// is a new member of a new group; the race lost half the rounds before.
func TestFakeCommitJustBeforeLeavingCounts(t *testing.T) {
	const topic, rounds = "commit-leave", 8
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	fillPartitions(t, f, topic, 1, 5)
	for round := 0; round < rounds; round++ {
		group := fmt.Sprintf("commit-leave-%d", round)
		c := fakeMember(t, f, group, topic)
		pollN(t, c, 5)
		committedErr := make(chan error, 1)
		c.Commit(func(err error) { committedErr <- err })
		left := make(chan error, 1)
		c.Unsubscribe(func(err error) { left <- err })
		if err := <-committedErr; err != nil {
			t.Fatalf("round %d: the commit made before leaving failed: %v", round, err)
		}
		if err := <-left; err != nil {
			t.Fatalf("round %d: leaving: %v", round, err)
		}
		if got := committed(t, f, group, topic, 1); got[0] != 5 {
			t.Fatalf("round %d: committed %v, want offset 5", round, got)
		}
	}
}

// A subscription's topics are in the client's metadata refreshes while it
// lasts, and not after Unsubscribe: an idle client that left a group must
// not keep asking for them, nor bring one back that was deleted where
// brokers create the topics asked for.
func TestFakeRefreshesForgetTopicsOnceUnsubscribed(t *testing.T) {
	f := kafkatest.Fake(t, 1, kfake.AllowAutoTopicCreation(), kfake.SeedTopics(2, "followed"))
	refreshAsks := refreshAsksFor(t, f, "followed")
	c := fakeMember(t, f, "g", "followed")
	eventually(t, "the member owns both partitions", func() bool { return len(owned(c)) == 2 })
	if !refreshAsks(c) {
		t.Fatal("a refresh while subscribed does not ask for the subscribed topic")
	}
	if err := errorAfter(t, c.Unsubscribe); err != nil {
		t.Fatal(err)
	}
	deleted, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteTopics([]string{"followed"}, 5000, cb) })
	if err != nil || deleted.Path("topics", "0", "error_code").Int != 0 {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if refreshAsks(c) {
		t.Fatal("a refresh after Unsubscribe still asks for the topic")
	}
	if f.TopicInfo("followed") != nil {
		t.Fatal("the deleted topic was created again")
	}
}

// refreshAsksFor returns a check that makes c refresh its metadata and
// reports whether the Metadata request asked for topic.
func refreshAsksFor(t *testing.T, f *kafkatest.FakeCluster, topic string) func(c *client.Client) bool {
	var mu sync.Mutex
	var asked []string // the topics of the latest Metadata request
	f.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		asked = asked[:0]
		for _, rt := range req.(*kmsg.MetadataRequest).Topics {
			if rt.Topic != nil {
				asked = append(asked, *rt.Topic)
			}
		}
		mu.Unlock()
		return nil, nil, false
	})
	return func(c *client.Client) bool {
		t.Helper()
		if _, err := adminCall(t, func(cb func(tree.Value, error)) { c.RefreshMetadata(nil, cb) }); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(asked, topic)
	}
}
