package client_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// rebalanceLog records a member's on_assign, on_revoke and on_lost.
type rebalanceLog struct {
	mu     sync.Mutex
	events []string // "assign 0,1,2", "revoke 3", ...
}

func (l *rebalanceLog) note(kind string) func([]client.Assignment) {
	return func(parts []client.Assignment) {
		ps := make([]int, len(parts))
		for i, p := range parts {
			ps[i] = int(p.Partition)
		}
		sort.Ints(ps)
		l.mu.Lock()
		l.events = append(l.events, fmt.Sprintf("%s %v", kind, ps))
		l.mu.Unlock()
	}
}

func (l *rebalanceLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// With cooperative-sticky (KIP-429) a member joining takes partitions
// from the other without stopping it: the first member gives up only the
// partitions that move (on_revoke lists just those), keeps consuming the
// rest, and is never handed its kept partitions again.
func TestCooperativeRebalanceMovesOnlyWhatMoves(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 6)
	group := kafkatest.UniqueTopic(t, "cooperative")
	subscribe := func(log *rebalanceLog) *client.Client {
		return subscribeLogged(t, log, client.GroupOptions{GroupID: group, Topics: []string{topic},
			Assignor: "cooperative-sticky", HeartbeatInterval: 200 * time.Millisecond})
	}
	var first, second rebalanceLog
	c1 := subscribe(&first)
	waitFor(t, "the first member to own every partition", func() bool { return len(ownedSet(c1)) == 6 })
	c2 := subscribe(&second)
	waitFor(t, "the partitions to be shared 3 and 3", func() bool {
		o1, o2 := ownedSet(c1), ownedSet(c2)
		for p := range o1 {
			if o2[p] {
				return false
			}
		}
		return len(o1) == 3 && len(o2) == 3
	})
	kept := ownedSet(c1)
	ev := first.list()
	if len(ev) != 2 || ev[0] != "assign [0 1 2 3 4 5]" {
		t.Fatalf("the first member's events: %q, want the whole assignment, then one revoke of what moved", ev)
	}
	moved := 0
	for p := int32(0); p < 6; p++ {
		if !kept[p] {
			moved++
		}
	}
	if want := fmt.Sprintf("revoke %v", missing(kept)); ev[1] != want || moved != 3 {
		t.Fatalf("the first member's revoke: %q, want %q (only what moved)", ev[1], want)
	}
	if ev := second.list(); len(ev) != 1 || ev[0] != fmt.Sprintf("assign %v", missing(kept)) {
		t.Fatalf("the second member's events: %q, want one assign of the moved partitions", ev)
	}
}

// With AssignEmpty an incremental member hears of each rebalance that
// adds it nothing with an empty on_assign, as librdkafka's rebalance
// callback does: a second member of a one-partition topic gets
// "assign []" and nothing else; the first keeps its partition.
func TestCooperativeAssignEmpty(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	group := kafkatest.UniqueTopic(t, "assign-empty")
	subscribe := func(log *rebalanceLog) *client.Client {
		return subscribeLogged(t, log, client.GroupOptions{GroupID: group, Topics: []string{topic},
			Assignor: "cooperative-sticky", HeartbeatInterval: 200 * time.Millisecond, AssignEmpty: true})
	}
	var first, second rebalanceLog
	c1 := subscribe(&first)
	waitFor(t, "the first member to own the partition", func() bool { return len(ownedSet(c1)) == 1 })
	subscribe(&second)
	waitFor(t, "the second member to hear it got nothing", func() bool {
		ev := second.list()
		return len(ev) > 0 && ev[len(ev)-1] == "assign []"
	})
	for _, e := range second.list() {
		if e != "assign []" {
			t.Fatalf("the second member's events: %q, want empty assigns only", second.list())
		}
	}
	if ev := first.list(); ev[0] != "assign [0]" || strings.Contains(strings.Join(ev, ","), "revoke") {
		t.Fatalf("the first member's events: %q, want its partition kept", ev)
	}
}

// subscribeLogged subscribes a new client with opts, its rebalance
// callbacks noted in log.
func subscribeLogged(t *testing.T, log *rebalanceLog, opts client.GroupOptions) *client.Client {
	t.Helper()
	c := newClient(t)
	opts.OnAssign, opts.OnRevoke, opts.OnLost = log.note("assign"), log.note("revoke"), log.note("lost")
	if err := c.Subscribe(opts); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantCommitted checks that group committed offset want in each of
// topic's partitions 0..partitions-1, asked through c.
func wantCommitted(t *testing.T, c *client.Client, group, topic string, partitions int, want int64) {
	t.Helper()
	lag, err := adminCall(t, func(cb func(tree.Value, error)) { c.GroupLag(group, cb) })
	if err != nil {
		t.Fatal(err)
	}
	for part := 0; part < partitions; part++ {
		if got := lag.Path(fmt.Sprintf("%s:%d", topic, part), "committed").Int; got != want {
			t.Errorf("partition %d: committed %d, want %d", part, got, want)
		}
	}
}

// shareAll reports whether a and b each own some of the partitions 0..n-1,
// together all of them, none twice.
func shareAll(a, b *client.Client, n int) bool {
	oa, ob := ownedSet(a), ownedSet(b)
	for p := range oa {
		if ob[p] {
			return false
		}
	}
	return len(oa) > 0 && len(ob) > 0 && len(oa)+len(ob) == n
}

// ownedSet is owned as a set.
func ownedSet(c *client.Client) map[int32]bool {
	out := map[int32]bool{}
	for _, p := range owned(c) {
		out[p] = true
	}
	return out
}

// missing lists the partitions of 0..5 not in kept.
func missing(kept map[int32]bool) []int {
	var out []int
	for p := 0; p < 6; p++ {
		if !kept[int32(p)] {
			out = append(out, p)
		}
	}
	return out
}

// With group_protocol=consumer (KIP-848) the coordinator assigns: two
// members share the partitions without either stopping, every record is
// read, commits land, and a member leaving hands its partitions over.
func TestConsumerProtocolGroup(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	p := newClient(t)
	var col collector
	for i := 0; i < 400; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 4), Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	group := kafkatest.UniqueTopic(t, "kip848")
	subscribe := func(log *rebalanceLog) *client.Client {
		return subscribeLogged(t, log, client.GroupOptions{GroupID: group, Topics: []string{topic},
			Protocol: client.ConsumerProtocol, AutoOffsetReset: client.ResetEarliest})
	}
	var first, second rebalanceLog
	c1 := subscribe(&first)
	waitFor(t, "the first member to own every partition", func() bool { return len(ownedSet(c1)) == 4 })
	c2 := subscribe(&second)
	waitFor(t, "the partitions to be shared", func() bool { return shareAll(c1, c2, 4) })
	groups, err := adminCall(t, p.ListGroups)
	if err != nil {
		t.Fatal(err)
	}
	kind := ""
	for _, g := range groups.Path("groups").Items {
		if string(g.Path("group_id").Bytes) == group {
			kind = string(g.Path("type").Bytes)
		}
	}
	if kind != "consumer" {
		t.Fatalf("the broker lists the group as type %q, want consumer (KIP-848)", kind)
	}
	for _, ev := range first.list() {
		if strings.HasPrefix(ev, "lost") {
			t.Fatalf("the first member lost partitions: %q", first.list())
		}
	}
	seen := map[string]int{}
	for deadline := time.Now().Add(30 * time.Second); len(seen) < 400 && time.Now().Before(deadline); {
		for _, c := range []*client.Client{c1, c2} {
			done := make(chan struct{})
			c.Poll(0, func(ms []client.Message) {
				for _, m := range ms {
					seen[string(m.Value)]++
				}
			}, func(int, error) { close(done) })
			<-done
		}
	}
	if len(seen) != 400 {
		t.Fatalf("the group read %d of 400 records", len(seen))
	}
	for _, c := range []*client.Client{c1, c2} {
		if err := end(t, c.Commit); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	if err := end(t, c2.Unsubscribe); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the remaining member to own every partition", func() bool { return len(ownedSet(c1)) == 4 })
	wantCommitted(t, p, group, topic, 4, 100)
}

// KIP-848's online migration: a classic group whose members move to the
// consumer protocol one at a time. A consumer-protocol member joins a
// group of a classic member; the broker converts the group and both share
// the partitions (the classic member through JoinGroup and SyncGroup as
// before); once the classic member leaves, the new one owns everything
// and the group is a consumer group. Every record is read; what was
// committed on either protocol stays.
func TestClassicGroupMigratesToConsumerProtocol(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	p := newClient(t)
	var recs []client.Record
	for i := 0; i < 400; i++ {
		recs = append(recs, client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 4),
			Value: []byte(fmt.Sprint(i))})
	}
	delivered(t, p, recs...)
	group := kafkatest.UniqueTopic(t, "migrate")
	var classicLog, consumerLog rebalanceLog
	classic := subscribeLogged(t, &classicLog, client.GroupOptions{GroupID: group, Topics: []string{topic},
		AutoOffsetReset: client.ResetEarliest, HeartbeatInterval: 200 * time.Millisecond})
	waitFor(t, "the classic member to own every partition", func() bool { return len(ownedSet(classic)) == 4 })
	seen := map[string]int{}
	read := func(cs ...*client.Client) {
		for _, c := range cs {
			for _, m := range pollOnce(t, c) {
				seen[string(m.Value)]++
			}
		}
	}
	for deadline := time.Now().Add(30 * time.Second); len(seen) < 100 && time.Now().Before(deadline); {
		read(classic)
	}
	if err := end(t, classic.Commit); err != nil {
		t.Fatalf("classic commit: %v", err)
	}

	modern := subscribeLogged(t, &consumerLog, client.GroupOptions{GroupID: group, Topics: []string{topic},
		Protocol: client.ConsumerProtocol, AutoOffsetReset: client.ResetEarliest})
	waitFor(t, "the two members to share the partitions", func() bool { return shareAll(classic, modern, 4) })
	if err := end(t, classic.Unsubscribe); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consumer-protocol member to own every partition", func() bool { return len(ownedSet(modern)) == 4 })
	for deadline := time.Now().Add(30 * time.Second); len(seen) < 400 && time.Now().Before(deadline); {
		read(modern)
	}
	if len(seen) != 400 {
		t.Fatalf("the group read %d of 400 records across the migration", len(seen))
	}
	groups, err := adminCall(t, p.ListGroups)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Path("groups").Items {
		if string(g.Path("group_id").Bytes) == group && string(g.Path("type").Bytes) != "consumer" {
			t.Fatalf("after the migration the group is of type %q, want consumer", g.Path("type").Bytes)
		}
	}
	if err := end(t, modern.Commit); err != nil {
		t.Fatalf("commit after the migration: %v", err)
	}
	wantCommitted(t, p, group, topic, 4, 100)
}

// Consume-transform-produce under KIP-848's protocol: two transactional
// members, the second joining mid-stream, each commit their input
// offsets with their transactions (TxnOffsetCommit carries the member
// epoch, which moves with the rebalance). Read committed, the output holds
// every input record exactly once, and the group's offsets are at the end
// of each input partition.
func TestConsumerProtocolTransactions(t *testing.T) {
	a := admin(t)
	in, out := kafkatest.CreateTopic(t, a, "client", 3), kafkatest.CreateTopic(t, a, "client", 3)
	const n = 600
	p := newClient(t)
	var recs []client.Record
	for i := 0; i < n; i++ {
		recs = append(recs, client.Record{Timestamp: client.TimestampNow, Topic: in, Partition: int32(i % 3),
			Value: []byte(fmt.Sprint(i))})
	}
	delivered(t, p, recs...)
	group := kafkatest.UniqueTopic(t, "kip848-eos")
	member := func(id string) *client.Client {
		c := newClient(t, "transactional_id", group+"-"+id, "isolation_level", "read_committed",
			"max_poll_records", "50")
		if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{in}, Protocol: client.ConsumerProtocol,
			AutoOffsetReset: client.ResetEarliest}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// process runs one transaction over what one poll of c brings:
	// the records transformed, and the offsets after them.
	processed, by := 0, map[*client.Client]int{}
	process := func(c *client.Client) {
		ms := pollOnce(t, c)
		if len(ms) == 0 {
			return
		}
		if err := c.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		next := map[int32]int64{}
		for _, m := range ms {
			if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: out, Partition: m.Partition,
				Value: append([]byte("out-"), m.Value...)}, nil); err != nil {
				t.Fatal(err)
			}
			next[m.Partition] = m.Offset + 1
		}
		var offsets []client.Assignment
		for part, off := range next {
			offsets = append(offsets, client.Assignment{Topic: in, Partition: part, Offset: off})
		}
		if err := end(t, func(cb func(error)) { c.SendOffsetsToTransaction(group, offsets, cb) }); err != nil {
			t.Fatalf("send offsets: %v", err)
		}
		if err := end(t, c.CommitTransaction); err != nil {
			t.Fatalf("commit: %v", err)
		}
		processed += len(ms)
		by[c] += len(ms)
	}
	first := member("a")
	for deadline := time.Now().Add(60 * time.Second); processed < n/3 && time.Now().Before(deadline); {
		process(first)
	}
	second := member("b")
	waitFor(t, "the members to share the input's partitions", func() bool { return shareAll(first, second, 3) })
	for deadline := time.Now().Add(90 * time.Second); processed < n && time.Now().Before(deadline); {
		process(first)
		process(second)
	}
	seen, total := readCommittedOutput(newClient(t, "isolation_level", "read_committed"), out, 3, n, 60*time.Second)
	if total != n || len(seen) != n || by[first] == 0 || by[second] == 0 {
		t.Fatalf("read committed: %d records, %d distinct, want %d once each (processed %d: %d and %d by the members)",
			total, len(seen), n, processed, by[first], by[second])
	}
	wantCommitted(t, p, group, in, 3, n/3)
}

// Static membership under KIP-848: a static member that closes (not
// unsubscribes) leaves as one coming back; its partitions wait for it,
// the other member is not rebalanced, and the member restarting with the
// same instance id gets the same partitions.
func TestConsumerProtocolStaticMember(t *testing.T) {
	topic := kafkatest.CreateTopic(t, admin(t), "client", 4)
	group := kafkatest.UniqueTopic(t, "kip848-static")
	subscribe := func(log *rebalanceLog, instance string) *client.Client {
		c := newClient(t)
		opts := client.GroupOptions{GroupID: group, Topics: []string{topic}, Protocol: client.ConsumerProtocol,
			InstanceID: instance}
		opts.OnAssign, opts.OnRevoke, opts.OnLost = log.note("assign"), log.note("revoke"), log.note("lost")
		if err := c.Subscribe(opts); err != nil {
			t.Fatal(err)
		}
		return c
	}
	var log1, log2, log1again rebalanceLog
	c1 := subscribe(&log1, "static-1")
	waitFor(t, "the first member to own every partition", func() bool { return len(ownedSet(c1)) == 4 })
	c2 := subscribe(&log2, "static-2")
	waitFor(t, "the members to share the partitions", func() bool { return shareAll(c1, c2, 4) })
	// The assignment is the member's before its on_assign has run.
	waitFor(t, "the second member's on_assign", func() bool {
		l := log2.list()
		return len(l) > 0 && l[len(l)-1] == fmt.Sprintf("assign %v", owned(c2))
	})
	mine, theirs := ownedSet(c1), ownedSet(c2)
	before := log2.list()

	closed := make(chan error, 1)
	c1.Close(10*time.Second, func(err error) { closed <- err })
	if err := <-closed; err != nil {
		t.Fatalf("closing the static member: %v", err)
	}
	back := subscribe(&log1again, "static-1")
	waitFor(t, "the restarted member to own its partitions again", func() bool {
		return fmt.Sprint(ownedSet(back)) == fmt.Sprint(mine)
	})
	if got := ownedSet(c2); fmt.Sprint(got) != fmt.Sprint(theirs) {
		t.Fatalf("the other member's partitions moved from %v to %v", theirs, got)
	}
	if after := log2.list(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the other member was rebalanced: %q, then %q", before, after)
	}
}
