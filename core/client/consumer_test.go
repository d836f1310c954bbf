package client_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// pollUntil polls until want messages arrived (or 30 s pass).
func pollUntil(t *testing.T, c *client.Client, want int) []client.Message {
	t.Helper()
	var got []client.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		done := make(chan struct{})
		c.Poll(0, func(ms []client.Message) { got = append(got, ms...) }, func(int, error) { close(done) })
		<-done
	}
	return got
}

// pollFor polls for d and returns whatever arrived.
func pollFor(c *client.Client, d time.Duration) []client.Message {
	var got []client.Message
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		done := make(chan struct{})
		c.Poll(0, func(ms []client.Message) { got = append(got, ms...) }, func(int, error) { close(done) })
		<-done
	}
	return got
}

func TestAssignPollSeekOffsetsLag(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 3)
	p := newClient(t, "linger_ms", "1", "compression", "snappy")
	var col collector
	const n = 3000
	for i := 0; i < n; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 3), Key: []byte(fmt.Sprint(i)),
			Value: []byte(fmt.Sprintf("v%d", i)), Headers: []wire.Header{{Key: "n", Value: []byte(fmt.Sprint(i))}}}, col.fn())
	}
	col.wait(t)

	c := newClient(t, "fetch_max_bytes", "65536")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}, {Topic: topic, Partition: 1, Offset: client.OffsetEarliest},
		{Topic: topic, Partition: 2, Offset: 500}})
	got := pollUntil(t, c, n-500)
	if len(got) != n-500 {
		t.Fatalf("polled %d messages, want %d", len(got), n-500)
	}
	next := map[int32]int64{0: 0, 1: 0, 2: 500}
	for _, m := range got {
		if m.Offset != next[m.Partition] {
			t.Fatalf("partition %d: offset %d, expected %d", m.Partition, m.Offset, next[m.Partition])
		}
		next[m.Partition]++
		var i int
		fmt.Sscan(string(m.Key), &i)
		if string(m.Value) != fmt.Sprintf("v%d", i) || int32(i%3) != m.Partition || len(m.Headers) != 1 ||
			string(m.Headers[0].Value) != fmt.Sprint(i) || m.Topic != topic || m.Timestamp <= 0 {
			t.Fatalf("message %+v", m)
		}
	}

	ch := make(chan tree.Value, 1)
	c.OffsetsFor(topic, func(v tree.Value, err error) {
		if err != nil {
			t.Error(err)
		}
		ch <- v
	})
	offs := <-ch
	if offs.Path("1", "earliest").Int != 0 || offs.Path("1", "latest").Int != n/3 {
		t.Fatalf("offsets_for %v", offs)
	}
	c.Lag(func(v tree.Value, err error) {
		if err != nil {
			t.Error(err)
		}
		ch <- v
	})
	lag := <-ch
	if l := lag.Path(topic + ":0"); l.Path("lag").Int != 0 || l.Path("current").Int != n/3 || l.Path("latest").Int != n/3 {
		t.Fatalf("lag %v", lag)
	}

	seeked := make(chan error, 1)
	c.Seek(topic, 0, client.OffsetEarliest, func(err error) { seeked <- err })
	if err := <-seeked; err != nil {
		t.Fatal(err)
	}
	again := pollUntil(t, c, n/3)
	if len(again) != n/3 || again[0].Offset != 0 || again[0].Partition != 0 {
		t.Fatalf("after seek to earliest: %d messages", len(again))
	}
	c.Seek(topic, 1, client.OffsetLatest, func(err error) { seeked <- err })
	if err := <-seeked; err != nil {
		t.Fatal(err)
	}
	p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 1, Value: []byte("new")}, nil)
	latest := pollUntil(t, c, 1)
	if len(latest) != 1 || string(latest[0].Value) != "new" {
		t.Fatalf("after seek to latest: %+v", latest)
	}
}

func TestReadCommittedSkipsAborted(t *testing.T) {
	// transactions are written with the Conn API in connapi's tests; here
	// the consumer's isolation option is checked to reach the broker.
	c := newClient(t, "isolation_level", "read_committed", "auto_offset_reset", "earliest")
	if cfg := c.Config(); cfg.IsolationLevel != "read_committed" || cfg.AutoOffsetReset != "earliest" {
		t.Fatalf("config %+v", cfg)
	}
	topic := kafkatest.UniqueTopic(t, "rc")
	p := newClient(t)
	var col collector
	p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Value: []byte("x")}, col.fn())
	col.wait(t)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	if got := pollUntil(t, c, 1); len(got) != 1 {
		t.Fatalf("read_committed consumer got %d messages", len(got))
	}
}

// TestFetchSessionFollowsSeeksAndAssignments consumes through an
// incremental fetch session while positions jump, partitions leave, and the
// session is lost, checking every message arrives once.
func TestFetchSessionFollowsSeeksAndAssignments(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	p := newClient(t, "linger_ms", "1")
	produce := func(partition int32, n int) {
		var col collector
		for i := 0; i < n; i++ {
			p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: partition, Value: []byte(fmt.Sprint(i))}, col.fn())
		}
		col.wait(t)
	}
	for part := int32(0); part < 4; part++ {
		produce(part, 50)
	}
	c := newClient(t, "fetch_max_wait_ms", "100")
	var all []client.Assignment
	for part := int32(0); part < 4; part++ {
		all = append(all, client.Assignment{Topic: topic, Partition: part, Offset: 0})
	}
	c.Assign(all)
	expect := func(what string, want map[int32][2]int64) {
		t.Helper()
		total := 0
		for _, r := range want {
			total += int(r[1] - r[0])
		}
		got := pollUntil(t, c, total)
		got = append(got, pollFor(c, 300*time.Millisecond)...) // room for a duplicate to show
		next := map[int32]int64{}
		for part, r := range want {
			next[part] = r[0]
		}
		for _, m := range got {
			r, ok := want[m.Partition]
			if !ok || m.Offset != next[m.Partition] || m.Offset >= r[1] {
				t.Fatalf("%s: got %s[%d]@%d, expected offsets %v (next %v)", what, m.Topic, m.Partition, m.Offset, want, next)
			}
			next[m.Partition]++
		}
		if len(got) != total {
			t.Fatalf("%s: %d messages, want %d", what, len(got), total)
		}
	}
	expect("first read", map[int32][2]int64{0: {0, 50}, 1: {0, 50}, 2: {0, 50}, 3: {0, 50}})
	sessions := c.FetchSessions()
	if len(sessions) != 1 {
		t.Fatalf("sessions %v, want one with the single broker", sessions)
	}
	for _, id := range sessions {
		if id == 0 {
			t.Fatal("the broker gave no fetch session")
		}
	}

	produce(2, 10)
	expect("one partition moves", map[int32][2]int64{2: {50, 60}})

	seeked := make(chan error, 1)
	c.Seek(topic, 1, 45, func(err error) { seeked <- err })
	if err := <-seeked; err != nil {
		t.Fatal(err)
	}
	expect("after seek", map[int32][2]int64{1: {45, 50}})

	c.SkewFetchSessions()
	produce(3, 5)
	expect("after the session was lost", map[int32][2]int64{3: {50, 55}})
	for broker, id := range c.FetchSessions() {
		if id == 0 || id == sessions[broker] {
			t.Fatalf("session with broker %d is %d after the old one (%d) was refused; want a new one", broker, id, sessions[broker])
		}
	}

	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 50}})
	produce(0, 3)
	produce(3, 3) // no longer assigned: must not arrive
	expect("after reassignment", map[int32][2]int64{0: {50, 53}})
}

// numberedTopic is a new one-partition topic holding values 0..n-1.
func numberedTopic(t *testing.T, n int) string {
	t.Helper()
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	p := newClient(t)
	var col collector
	for i := 0; i < n; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	return topic
}

// A poll right after a seek reads from the new position, even while a
// fetch from the old one is still waiting at the broker.
func TestPollAfterSeekReadsNewPosition(t *testing.T) {
	const n = 10
	topic := numberedTopic(t, n)

	c := newClient(t, "fetch_max_wait_ms", "2000")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: n}})
	seek := func(offset int64) {
		done := make(chan error, 1)
		c.Seek(topic, 0, offset, func(err error) { done <- err })
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// Nothing at the end: this poll ends with a fetch, and the next fetch
	// (a 2 s long poll at offset n) is sent as it returns.
	if got := pollOnce(t, c); len(got) != 0 {
		t.Fatalf("polled %d messages at the end of the partition", len(got))
	}
	for _, to := range []struct{ offset, first int64 }{{client.OffsetEarliest, 0}, {3, 3}, {n, -1}, {7, 7}} {
		seek(to.offset)
		got := pollOnce(t, c)
		if to.first < 0 {
			if len(got) != 0 {
				t.Fatalf("seek to the end: polled %d messages", len(got))
			}
			continue
		}
		if len(got) != int(n-to.first) || got[0].Offset != to.first {
			t.Fatalf("seek to %d: the first poll got %d messages (want %d from offset %d)", to.offset, len(got), n-to.first, to.first)
		}
	}
}

// max_poll_records bounds each poll; the rest stays buffered, in order.
func TestMaxPollRecordsBoundsEachPoll(t *testing.T) {
	const n = 1000
	topic := numberedTopic(t, n)
	c := newClient(t, "max.poll.records", "70")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	var got []client.Message
	for deadline := time.Now().Add(30 * time.Second); len(got) < n && time.Now().Before(deadline); {
		batch := pollOnce(t, c)
		if len(batch) > 70 {
			t.Fatalf("one poll handed over %d records, max_poll_records is 70", len(batch))
		}
		got = append(got, batch...)
	}
	if len(got) != n {
		t.Fatalf("polled %d records, want %d", len(got), n)
	}
	for i, m := range got {
		if m.Offset != int64(i) || string(m.Value) != fmt.Sprint(i) {
			t.Fatalf("record %d: offset %d value %q", i, m.Offset, m.Value)
		}
	}
}

// Against a broker: a paused partition hands nothing over while the other
// flows, records coming meanwhile included; resumed, it goes on from where
// it stopped, every record once and in order.
func TestPauseHoldsOnePartitionWhileTheOtherFlows(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 2)
	p := newClient(t, "linger_ms", "1")
	produce := func(from, to int) {
		var col collector
		for i := from; i < to; i++ {
			p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 2),
				Value: []byte(fmt.Sprint(i))}, col.fn())
		}
		col.wait(t)
	}
	produce(0, 200)
	c := newClient(t, "max_poll_records", "10")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}, {Topic: topic, Partition: 1, Offset: 0}})
	got := pollUntil(t, c, 1)
	if err := c.Pause([]client.Assignment{{Topic: topic, Partition: 0}}); err != nil {
		t.Fatal(err)
	}
	paused := len(got)
	produce(200, 240)
	count := func(part int32) int {
		n := 0
		for _, m := range got {
			if m.Partition == part {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(30 * time.Second); count(1) < 120 && time.Now().Before(deadline); {
		got = append(got, pollOnce(t, c)...)
	}
	for _, m := range got[paused:] {
		if m.Partition == 0 {
			t.Fatalf("paused partition 0 handed over offset %d", m.Offset)
		}
	}
	if err := c.Resume([]client.Assignment{{Topic: topic, Partition: 0}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); count(0) < 120 && time.Now().Before(deadline); {
		got = append(got, pollOnce(t, c)...)
	}
	next := map[int32]int64{}
	for _, m := range got {
		if m.Offset != next[m.Partition] || string(m.Value) != fmt.Sprint(2*m.Offset+int64(m.Partition)) {
			t.Fatalf("partition %d: offset %d (%q), want %d", m.Partition, m.Offset, m.Value, next[m.Partition])
		}
		next[m.Partition]++
	}
	if next[0] != 120 || next[1] != 120 {
		t.Fatalf("read %v records per partition, want 120 each", next)
	}
}
