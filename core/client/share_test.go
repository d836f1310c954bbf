package client_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// shareGroup names a new share group reading from the earliest record
// (share groups start at the latest by default), with configs added.
func shareGroup(t *testing.T, a *conn.Conn, topic string, configs ...string) string {
	t.Helper()
	group := "sg-" + topic
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeGroupConfig, group
	configs = append([]string{"share.auto.offset.reset", "earliest"}, configs...)
	for i := 0; i+1 < len(configs); i += 2 {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value = configs[i], kmsg.StringPtr(configs[i+1])
		res.Configs = append(res.Configs, c)
	}
	req.Resources = []kmsg.IncrementalAlterConfigsRequestResource{res}
	done := make(chan error, 1)
	a.Do(req, func(resp kmsg.Response, err error) {
		if err == nil {
			if r := resp.(*kmsg.IncrementalAlterConfigsResponse).Resources; len(r) > 0 && r[0].ErrorCode != 0 {
				err = fmt.Errorf("error %d: %v", r[0].ErrorCode, r[0].ErrorMessage)
			}
		}
		done <- err
	})
	if err := <-done; err != nil {
		t.Fatalf("configuring share group %s: %v", group, err)
	}
	return group
}

func produceValues(t *testing.T, topic string, from, to int) {
	t.Helper()
	p := newClient(t, "linger_ms", "1")
	var col collector
	for i := from; i < to; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}
}

func shareConsumer(t *testing.T, group, topic, mode string, kv ...string) *client.Client {
	t.Helper()
	return shareConsumerWith(t, client.ShareOptions{GroupID: group, Topics: []string{topic}, AckMode: mode}, kv...)
}

func shareConsumerWith(t *testing.T, opts client.ShareOptions, kv ...string) *client.Client {
	t.Helper()
	c := newClient(t, kv...)
	if err := c.ShareSubscribe(opts); err != nil {
		t.Fatal(err)
	}
	return c
}

// sharePoll is one SharePoll, its records.
func sharePoll(t *testing.T, c *client.Client) []client.Message {
	t.Helper()
	var got []client.Message
	done := make(chan error, 1)
	c.SharePoll(func(ms []client.Message) { got = append(got, ms...) }, func(_ int, err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("share poll did not complete")
	}
	return got
}

// sharePollUntil polls c until cond holds of everything received, and returns
// it.
func sharePollUntil(t *testing.T, c *client.Client, what string, cond func([]client.Message) bool) []client.Message {
	t.Helper()
	var all []client.Message
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		all = append(all, sharePoll(t, c)...)
		if cond(all) {
			return all
		}
	}
	t.Fatalf("timed out waiting for %s (got %d records)", what, len(all))
	return nil
}

func commitAcks(t *testing.T, c *client.Client) []client.AckResult {
	t.Helper()
	type outcome struct {
		results []client.AckResult
		err     error
	}
	done := make(chan outcome, 1)
	c.CommitAcknowledgements(func(r []client.AckResult, err error) { done <- outcome{r, err} })
	o := <-done
	if o.err != nil {
		t.Fatalf("commit acknowledgements: %v (%v)", o.err, o.results)
	}
	return o.results
}

// explicitMemberHoldingTwo is a member, in explicit mode, of a new share
// group of a new one-partition topic holding two records, and what it
// received until it held both (offsets 0 and 1).
func explicitMemberHoldingTwo(t *testing.T) (topic, group string, c *client.Client, got []client.Message) {
	t.Helper()
	a := admin(t)
	topic = kafkatest.CreateTopic(t, a, "client", 1)
	group = shareGroup(t, a, topic)
	produceValues(t, topic, 0, 2)
	c = shareConsumer(t, group, topic, client.ShareAckExplicit)
	got = sharePollUntil(t, c, "offsets 0 and 1", func(ms []client.Message) bool { return holds(ms, 0) && holds(ms, 1) })
	return topic, group, c, got
}

// acceptAll acknowledges every one of ms as accepted.
func acceptAll(t *testing.T, c *client.Client, ms []client.Message) {
	t.Helper()
	for _, m := range ms {
		if err := c.Acknowledge(m.Topic, m.Partition, m.Offset, client.AckAccept); err != nil {
			t.Fatal(err)
		}
	}
}

func offsets(ms []client.Message) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.Offset)
	}
	slices.Sort(out)
	return out
}

func holds(ms []client.Message, off int64) bool { return slices.Contains(offsets(ms), off) }

// Three members of a share group on one partition each receive records,
// and together they accept every record exactly once.
func TestShareGroupMembersSplitOnePartition(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	group := shareGroup(t, a, topic)
	const members, n = 3, 300
	var consumers []*client.Client
	for range members {
		// At most 10 records per fetch, not whole batches: one member
		// cannot take everything at once.
		opts := client.ShareOptions{GroupID: group, Topics: []string{topic}, AcquireMode: client.ShareAcquireRecordLimit}
		consumers = append(consumers, shareConsumerWith(t, opts, "max_poll_records", "10"))
	}
	waitFor(t, "every member assigned the partition", func() bool {
		for _, c := range consumers {
			if c.ShareAssigned() != 1 {
				return false
			}
		}
		return true
	})
	produceValues(t, topic, 0, n)

	var mu sync.Mutex
	seen := map[int64]int{}
	got := make([]int, members)
	everyone := make(chan struct{}) // closed once every member has records
	var wg sync.WaitGroup
	for i, c := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
				ms := sharePoll(t, c)
				mu.Lock()
				for _, m := range ms {
					seen[m.Offset]++
					if m.DeliveryCount != 1 {
						t.Errorf("offset %d: delivery count %d, want 1", m.Offset, m.DeliveryCount)
					}
				}
				got[i] += len(ms)
				all := len(seen) == n
				first := len(ms) > 0 && got[i] == len(ms)
				if slices.Min(got) > 0 {
					select {
					case <-everyone:
					default:
						close(everyone)
					}
				}
				mu.Unlock()
				if all {
					return
				}
				if first {
					// Hold the records (their locks keep them from the
					// others) until every member has some.
					select {
					case <-everyone:
					case <-time.After(30 * time.Second):
					}
				}
			}
		}()
	}
	wg.Wait()
	for i, c := range consumers {
		if r := commitAcks(t, c); len(r) > 1 {
			t.Errorf("member %d: results for %d partitions", i, len(r))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("records per member: %v", got)
	for i, k := range got {
		if k == 0 {
			t.Errorf("member %d received nothing", i)
		}
	}
	for off := range int64(n) {
		if seen[off] != 1 {
			t.Errorf("offset %d delivered %d times", off, seen[off])
		}
	}
}

// A released record comes back with delivery count 2; a rejected one
// never comes back.
func TestShareReleaseRedeliversRejectArchives(t *testing.T) {
	topic, _, c, first := explicitMemberHoldingTwo(t)
	for _, m := range first {
		if m.DeliveryCount != 1 {
			t.Errorf("offset %d: first delivery count %d", m.Offset, m.DeliveryCount)
		}
	}
	if err := c.Acknowledge(topic, 0, 0, client.AckRelease); err != nil {
		t.Fatal(err)
	}
	if err := c.Acknowledge(topic, 0, 1, client.AckReject); err != nil {
		t.Fatal(err)
	}
	if err := c.Acknowledge(topic, 0, 1, client.AckAccept); err == nil {
		t.Error("a record acknowledged twice was taken")
	}
	for _, r := range commitAcks(t, c) {
		if r.Err != nil {
			t.Errorf("%s[%d]: %v", r.Topic, r.Partition, r.Err)
		}
	}

	again := sharePollUntil(t, c, "offset 0 again", func(ms []client.Message) bool { return holds(ms, 0) })
	for _, m := range again {
		if m.Offset == 0 && m.DeliveryCount != 2 {
			t.Errorf("released record: delivery count %d, want 2", m.DeliveryCount)
		}
		if err := c.Acknowledge(m.Topic, m.Partition, m.Offset, client.AckAccept); err != nil {
			t.Fatal(err)
		}
	}
	// A record after them: once it arrives, the rejected one would have
	// come before it.
	produceValues(t, topic, 2, 3)
	rest := sharePollUntil(t, c, "offset 2", func(ms []client.Message) bool { return holds(ms, 2) })
	if holds(append(again, rest...), 1) {
		t.Error("the rejected record was delivered again")
	}
}

// Acknowledgements that rode on a fetch, answered before any commit, are
// still in the next commit's results, and in no later one: every
// acknowledgement's outcome reaches the application once, whichever
// request carried it.
func TestShareCommitReportsAcknowledgementsAFetchCarried(t *testing.T) {
	topic, group, c, got := explicitMemberHoldingTwo(t)
	acceptAll(t, c, got)
	observer := newClient(t)
	waitFor(t, "the broker to take the acknowledgements from a fetch", func() bool {
		sharePoll(t, c) // its fetch carries them
		at := shareOffsets(t, observer, group).Path(topic + ":0")
		return at.Kind == tree.Map && at.Path("latest").Int == 2 && at.Path("lag").Int == 0
	})
	results := commitAcks(t, c)
	if len(results) != 1 || results[0].Topic != topic || results[0].Partition != 0 || results[0].Err != nil ||
		!results[0].ByFetch {
		t.Fatalf("commit after the fetch carried the acknowledgements: %+v, want %s[0] taken by the fetch", results, topic)
	}
	if again := commitAcks(t, c); len(again) != 0 {
		t.Fatalf("a second commit reported them again: %+v", again)
	}
}

// Records held by a member that closes without acknowledging them go to
// another member; nothing is lost.
func TestShareClosedMemberReleasesRecords(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	group := shareGroup(t, a, topic)
	const n = 20
	produceValues(t, topic, 0, n)
	first := kafkatest.OpenClient(t, kafkatest.Brokers(t).Brokers, client.Handler{})
	if err := first.ShareSubscribe(client.ShareOptions{GroupID: group, Topics: []string{topic}, AckMode: client.ShareAckExplicit}); err != nil {
		t.Fatal(err)
	}
	held := sharePollUntil(t, first, "some records", func(ms []client.Message) bool { return len(ms) > 0 })
	kafkatest.CloseClient(t, first)

	second := shareConsumer(t, group, topic, client.ShareAckImplicit)
	all := sharePollUntil(t, second, "every record", func(ms []client.Message) bool { return len(offsets(ms)) >= n })
	for _, m := range all {
		if holds(held, m.Offset) && m.DeliveryCount < 2 {
			t.Errorf("offset %d, held by the closed member: delivery count %d", m.Offset, m.DeliveryCount)
		}
	}
	if got := slices.Compact(offsets(all)); len(got) != n {
		t.Errorf("received offsets %v, want 0..%d", got, n-1)
	}
}

// Records held by a member that dies go to another member when their
// acquisition lock runs out (or the broker sees the member gone).
func TestShareCrashedMemberRecordsComeBack(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	group := shareGroup(t, a, topic, "share.record.lock.duration.ms", "2000")
	const n = 10
	produceValues(t, topic, 0, n)
	first := kafkatest.OpenClient(t, kafkatest.Brokers(t).Brokers, client.Handler{})
	if err := first.ShareSubscribe(client.ShareOptions{GroupID: group, Topics: []string{topic}, AckMode: client.ShareAckExplicit}); err != nil {
		t.Fatal(err)
	}
	held := sharePollUntil(t, first, "every record", func(ms []client.Message) bool { return len(offsets(ms)) >= n })
	first.Crash()

	second := shareConsumer(t, group, topic, client.ShareAckImplicit)
	all := sharePollUntil(t, second, "every record again", func(ms []client.Message) bool { return len(offsets(ms)) >= n })
	for _, m := range all {
		if holds(held, m.Offset) && m.DeliveryCount < 2 {
			t.Errorf("offset %d: delivery count %d after a crash", m.Offset, m.DeliveryCount)
		}
	}
}
