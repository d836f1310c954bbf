package client_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// While a produce request is in flight to a broker, a batch due only
// because its linger is over waits for it, and then goes in the next
// request; a full batch does not wait, and partial batches join the
// request it starts. Partitions 0 and 1 are led by broker 0, partition 2
// by broker 1, which has nothing in flight. No timing is involved: the
// first request is held at broker 0 until the test lets it go.
func TestFakePartialBatchesWaitForTheRequestInFlight(t *testing.T) {
	const topic = "backpressure"
	f := kafkatest.Fake(t, 2, kfake.SeedTopics(3, topic))
	for partition, node := range []int32{0, 0, 1} {
		if err := f.MoveTopicPartition(topic, int32(partition), node); err != nil {
			t.Fatal(err)
		}
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var requests []string // each produce request's broker and partitions, in arrival order
	f.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		var parts []int32
		for _, rt := range req.(*kmsg.ProduceRequest).Topics {
			for _, rp := range rt.Partitions {
				parts = append(parts, rp.Partition)
			}
		}
		slices.Sort(parts)
		mu.Lock()
		requests = append(requests, fmt.Sprintf("broker %d %v", f.CurrentNode(), parts))
		first := len(requests) == 1
		mu.Unlock()
		if first {
			f.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})
	arrived := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(requests)
	}
	c := fakeClient(t, f, "linger_ms", "0", "batch_size", "1024")
	done := make(chan client.Delivery, 5)
	produce := func(partition int32, value string) {
		if err := c.Produce(rec(topic, partition, "", value), func(d client.Delivery) { done <- d }); err != nil {
			t.Fatalf("produce to partition %d: %v", partition, err)
		}
	}

	produce(0, "held at broker 0")
	eventually(t, "the first request reaches broker 0", func() bool { return len(arrived()) == 1 })
	produce(1, "partial, for broker 0")
	produce(2, "partial, for broker 1")
	// Partition 2's delivery means the sender has planned partition 1
	// since it was produced.
	if d := <-done; d.Err != nil || d.Partition != 2 {
		t.Fatalf("delivery of partition %d, error %v; want partition 2 delivered", d.Partition, d.Err)
	}
	if n := inFlightBatches(t, c, topic, 1); n != 0 {
		t.Fatalf("partition 1's partial batch went out (%d in flight) while broker 0 had a request in flight", n)
	}
	produce(0, strings.Repeat("x", 2048)) // over batch_size: a full batch
	eventually(t, "the full batch is sent", func() bool { return inFlightBatches(t, c, topic, 0) == 2 })
	close(release)
	for range 3 { // the two records of partition 0 and partition 1's
		if d := <-done; d.Err != nil || d.Partition == 2 {
			t.Fatalf("delivery of partition %d, error %v", d.Partition, d.Err)
		}
	}
	want := []string{"broker 0 [0]", "broker 1 [2]", "broker 0 [0 1]"}
	if got := arrived(); !slices.Equal(got, want) {
		t.Fatalf("produce requests %q, want %q", got, want)
	}
}

// inFlightBatches reads a partition's in_flight_batches from the client's
// statistics document.
func inFlightBatches(t *testing.T, c *client.Client, topic string, partition int) int {
	t.Helper()
	var doc struct {
		Topics map[string]struct {
			Partitions map[int]struct {
				InFlightBatches int `json:"in_flight_batches"`
			} `json:"partitions"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(c.Statistics(), &doc); err != nil {
		t.Fatalf("statistics: %v", err)
	}
	return doc.Topics[topic].Partitions[partition].InFlightBatches
}

// With linger 0, a record that finds nothing else buffered is written to
// its broker before Produce returns: no thread is woken to send it. The
// sender may rarely be mid-pass (its timer) or the socket busy with
// another request, and then the record goes the usual way, so a few
// records are tried; one written at once is what is asked.
func TestFakeLoneRecordIsWrittenByProduce(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("requests are written from the caller's thread on Linux only")
	}
	const topic = "lone"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	c := fakeClient(t, f, "linger_ms", "0")
	done := make(chan client.Delivery, 1)
	produce := func() {
		if err := c.Produce(rec(topic, 0, "", "v"), func(d client.Delivery) { done <- d }); err != nil {
			t.Fatal(err)
		}
	}
	for try := 0; try < 5; try++ {
		before := requestsSent(t, c)
		produce()
		written := requestsSent(t, c) > before
		if d := <-done; d.Err != nil {
			t.Fatal(d.Err)
		}
		if written && try > 0 { // the first record waited for metadata
			return
		}
	}
	t.Fatal("no lone record was written before Produce returned")
}

// requestsSent is the number of requests the client has written to its
// brokers, from its statistics.
func requestsSent(t *testing.T, c *client.Client) int64 {
	t.Helper()
	var doc struct {
		Brokers map[string]struct {
			Requests int64 `json:"requests"`
		} `json:"brokers"`
	}
	if err := json.Unmarshal(c.Statistics(), &doc); err != nil {
		t.Fatalf("statistics: %v", err)
	}
	var n int64
	for _, b := range doc.Brokers {
		n += b.Requests
	}
	return n
}
