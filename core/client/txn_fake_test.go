package client_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// readValues reads partition 0 of topic from the start with isolation
// until its last stable offset, and returns the values.
func readValues(t *testing.T, f *kafkatest.FakeCluster, topic, isolation string, want int) []string {
	t.Helper()
	c := fakeClient(t, f, "isolation_level", isolation)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	var out []string
	for _, m := range pollN(t, c, want) {
		out = append(out, string(m.Value))
	}
	return out
}

// Transactions: records of a committed transaction are read by a
// read_committed consumer, those of an aborted one are not (though they
// are in the log, as read_uncommitted shows); the markers are never
// handed over; and offsets sent in a transaction become the group's
// committed offsets with the commit. A reader's last record is one written
// after the transactions, so reading up to it shows all a reader gets.
func TestFakeTransactionsCommitAbortAndOffsets(t *testing.T) {
	const topic, group = "txn", "txn-group"
	f := kafkatest.Fake(t, 3, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f, "transactional_id", "txn-fake")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.BeginTransaction(); !errors.Is(err, client.ErrTxnInProgress) {
		t.Fatalf("a second begin: %v", err)
	}
	if err := errorAfter(t, p.AbortTransaction); err != nil {
		t.Fatalf("aborting an empty transaction: %v", err)
	}
	txn := func(commit bool, values ...string) {
		t.Helper()
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		var recs []client.Record
		for _, v := range values {
			recs = append(recs, rec(topic, 0, "", v))
		}
		delivered(t, p, recs...)
		end := p.AbortTransaction
		if commit {
			end = p.CommitTransaction
		}
		if err := errorAfter(t, end); err != nil {
			t.Fatalf("ending the transaction of %v (commit %v): %v", values, commit, err)
		}
	}
	txn(true, "c0", "c1", "c2")
	txn(false, "a0", "a1")
	txn(true, "c3")
	txn(false, "a2")

	// The last transaction commits offsets for a group.
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	delivered(t, p, rec(topic, 0, "", "c4"))
	if err := errorAfter(t, func(cb func(error)) {
		p.SendOffsetsToTransaction(group, []client.Assignment{{Topic: topic, Partition: 0, Offset: 3}}, cb)
	}); err != nil {
		t.Fatalf("send offsets: %v", err)
	}
	// Before the commit the group has no offset (or, to the fake, no
	// existence: GROUP_ID_NOT_FOUND).
	lag, err := adminCall(t, func(cb func(tree.Value, error)) { fakeClient(t, f).GroupLag(group, cb) })
	if v := lag.Path(topic+":0", "committed"); v.Kind != tree.Null || (err != nil && !isCode(err, 69)) {
		t.Fatalf("the group's offset before the transaction commits: %v %v", lag, err)
	}
	if err := errorAfter(t, p.CommitTransaction); err != nil {
		t.Fatalf("commit with offsets: %v", err)
	}
	if got := committed(t, f, group, topic, 1)[0]; got != 3 {
		t.Fatalf("the group's offset after the commit: %d, want 3", got)
	}
	if err := errorAfter(t, p.CommitTransaction); !errors.Is(err, client.ErrNoTransaction) {
		t.Fatalf("commit with no transaction open: %v", err)
	}

	// The end mark, in a transaction of its own.
	txn(true, "end")
	if got := strings.Join(readValues(t, f, topic, "read_committed", 6), ","); got != "c0,c1,c2,c3,c4,end" {
		t.Fatalf("read_committed read %s", got)
	}
	if got := strings.Join(readValues(t, f, topic, "read_uncommitted", 9), ","); got != "c0,c1,c2,a0,a1,c3,a2,c4,end" {
		t.Fatalf("read_uncommitted read %s", got)
	}

	// An open transaction holds read_committed readers back at its first
	// record, which is their "latest" until the commit.
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	open := delivered(t, p, rec(topic, 0, "", "open"))[0].Offset
	rc, ru := fakeClient(t, f, "isolation_level", "read_committed"), fakeClient(t, f)
	if got := latestOffsets(t, rc, topic, 1)[0]; got != open {
		t.Fatalf("read_committed: latest offset %d with a transaction open at %d", got, open)
	}
	if got := latestOffsets(t, ru, topic, 1)[0]; got != open+1 {
		t.Fatalf("read_uncommitted: latest offset %d with a record at %d", got, open)
	}
	fetches := watchFetch(f, topic)
	rc.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetLatest}})
	sawFetch(t, fetches, 0, 0, open)
	if err := errorAfter(t, p.CommitTransaction); err != nil {
		t.Fatal(err)
	}
	if got := pollN(t, rc, 1); got[0].Offset != open || string(got[0].Value) != "open" {
		t.Fatalf("after the commit the read_committed reader got %q at %d first, want %q at %d", got[0].Value, got[0].Offset, "open", open)
	}
}

// unstableOffsets answers the first n OffsetFetch requests that ask for
// stable offsets as a broker does while a transaction that committed
// offsets is still writing its markers: UNSTABLE_OFFSET_COMMIT for every
// partition. One that does not ask for stable offsets is refused too (a
// real broker would answer the offsets before the transaction, a stale
// answer no test can tell from a right one). It returns how many were
// answered so.
func unstableOffsets(f *kafkatest.FakeCluster, topic string, n int) func() int {
	var mu sync.Mutex
	answered := 0
	f.ControlKey(int16(kmsg.OffsetFetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.OffsetFetchRequest)
		mu.Lock()
		defer mu.Unlock()
		f.KeepControl()
		if !r.RequireStable {
			return nil, errors.New("OffsetFetch without require_stable"), true
		}
		if answered == n {
			return nil, nil, false
		}
		answered++
		resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = topic
		rp := kmsg.NewOffsetFetchResponseTopicPartition()
		rp.Partition, rp.Offset, rp.ErrorCode = 0, -1, kerr.UnstableOffsetCommit
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return answered
	}
}

// Offsets a transaction committed are final only once its markers are
// written, a moment after the commit returns; until then the broker
// answers UNSTABLE_OFFSET_COMMIT to whoever asks for stable offsets. The
// group's lag and a member that joins both ask for stable offsets and
// wait: each reads the offset the transaction committed, not the one
// before it (which restarted a member at partitions it had processed).
func TestFakeOffsetsOfAFinishingTransactionAreWaitedFor(t *testing.T) {
	const topic, group = "stable", "stable-group"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	fillPartitions(t, f, topic, 1, 5)
	p := fakeClient(t, f, "transactional_id", "stable-txn")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := errorAfter(t, func(cb func(error)) {
		p.SendOffsetsToTransaction(group, []client.Assignment{{Topic: topic, Partition: 0, Offset: 3}}, cb)
	}); err != nil {
		t.Fatalf("send offsets: %v", err)
	}
	if err := errorAfter(t, p.CommitTransaction); err != nil {
		t.Fatalf("commit: %v", err)
	}

	answered := unstableOffsets(f, topic, 2)
	if got := committed(t, f, group, topic, 1)[0]; got != 3 || answered() != 2 {
		t.Fatalf("the group's committed offset %d after %d unstable answers, want 3 after 2", got, answered())
	}

	answered = unstableOffsets(f, topic, 2)
	m := fakeMember(t, f, group, topic)
	if first := pollN(t, m, 1)[0]; first.Offset != 3 || answered() != 2 {
		t.Fatalf("a joining member began at offset %d after %d unstable answers, want 3 after 2", first.Offset, answered())
	}
}

// A client without a transactional id refuses every transaction call at
// once, sending offsets too (it has no producer id to wait for).
func TestFakeTransactionCallsWithoutTransactionalID(t *testing.T) {
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, "plain"))
	c := fakeClient(t, f)
	if err := c.BeginTransaction(); !errors.Is(err, client.ErrNotTransactional) {
		t.Fatalf("begin: %v", err)
	}
	for name, call := range map[string]func(func(error)){
		"send offsets": func(cb func(error)) {
			c.SendOffsetsToTransaction("g", []client.Assignment{{Topic: "plain", Partition: 0, Offset: 1}}, cb)
		},
		"commit": c.CommitTransaction,
		"abort":  c.AbortTransaction,
	} {
		if err := errorAfter(t, call); !errors.Is(err, client.ErrNotTransactional) {
			t.Fatalf("%s: %v, want ErrNotTransactional", name, err)
		}
	}
}

// The coordinator writes a transaction's markers after EndTxn returns; a
// record a transactional producer sends outside a transaction that reaches
// a partition before them is refused with INVALID_TXN_STATE, and is sent
// again until the markers are in (here: after two refusals).
func TestFakeRecordsOutsideATransactionWaitForItsMarkers(t *testing.T) {
	const topic = "outside"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f, "transactional_id", "outside-txn")
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	delivered(t, p, rec(topic, 0, "", "aborted"))
	if err := errorAfter(t, p.AbortTransaction); err != nil {
		t.Fatalf("abort: %v", err)
	}
	var mu sync.Mutex
	refused := 0
	f.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		defer mu.Unlock()
		if refused == 2 {
			return nil, nil, false
		}
		f.KeepControl()
		refused++
		r := req.(*kmsg.ProduceRequest)
		resp := r.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition, sp.ErrorCode = rp.Partition, kerr.InvalidTxnState
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	delivered(t, p, rec(topic, 0, "", "outside"))
	mu.Lock()
	defer mu.Unlock()
	if refused != 2 {
		t.Fatalf("%d produce requests refused, want 2", refused)
	}
	if got := strings.Join(readValues(t, f, topic, "read_committed", 1), ","); got != "outside" {
		t.Fatalf("read_committed read %s", got)
	}
}
