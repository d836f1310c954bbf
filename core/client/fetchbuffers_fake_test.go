package client_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// lendingClient is fakeClient with Config.LendFetchBuffers and fetches
// of at most about maxBytes, so that a topic takes many responses.
func lendingClient(t *testing.T, f *kafkatest.FakeCluster, maxBytes int, kv ...string) *client.Client {
	t.Helper()
	cfg := client.NewConfig()
	cfg.LendFetchBuffers = true
	kv = append([]string{"brokers", strings.Join(f.Brokers, ","), "retry_backoff_ms", "10", "fetch_max_wait_ms", "100",
		"fetch_max_bytes", fmt.Sprint(maxBytes), "fetch_partition_max_bytes", fmt.Sprint(maxBytes)}, kv...)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := cfg.Set(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(*cfg, client.Handler{OnError: logErrors(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kafkatest.CloseClient(t, c) })
	done := make(chan error, 1)
	c.Connect(func(_ tree.Value, err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return c
}

// bufferOf is where the array m's bytes lie in starts.
func bufferOf(m client.Message) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(m.Buffer().Bytes())))
}

// With lent fetch buffers, a response's buffer is read into again once
// its messages are released, and never while one of them is held: the
// messages of the first poll, kept unreleased, keep their bytes while
// hundreds of later responses come and go in reused buffers. The topic is
// several times prefetch_bytes, so it cannot all be fetched ahead into
// buffers of its own before the polls.
func TestFakeLentFetchBuffersAreReusedOnlyOnceReleased(t *testing.T) {
	const topic, records = "lent", 1200
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f)
	for i := 0; i < records; i += 20 { // batches of 20 records, about 1 KiB each
		var recs []client.Record
		for j := i; j < i+20; j++ {
			recs = append(recs, rec(topic, 0, "", fmt.Sprintf("p0-%04d-%s", j, strings.Repeat("v", 32))))
		}
		delivered(t, p, recs...)
	}
	c := lendingClient(t, f, 2048, "prefetch_bytes", "32768")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})

	held := pollOnce(t, c)
	for len(held) == 0 {
		held = pollOnce(t, c)
	}
	want := make([]string, len(held))
	heldBuffers := map[uintptr]bool{}
	for i, m := range held {
		if m.Buffer() == nil {
			t.Fatalf("message at offset %d of an uncompressed batch owns its bytes; want them in the fetch buffer", m.Offset)
		}
		want[i] = string(m.Value)
		heldBuffers[bufferOf(m)] = true
	}

	seen := map[uintptr]int{} // polls whose messages lay in each buffer
	got := len(held)
	for got < records {
		ms := pollOnce(t, c)
		polled := map[uintptr]bool{}
		for _, m := range ms {
			if wantValue := fmt.Sprintf("p0-%04d-%s", m.Offset, strings.Repeat("v", 32)); string(m.Value) != wantValue {
				t.Fatalf("offset %d: value %q, want %q", m.Offset, m.Value, wantValue)
			}
			if heldBuffers[bufferOf(m)] {
				t.Fatalf("offset %d was read into a buffer whose messages are still held", m.Offset)
			}
			polled[bufferOf(m)] = true
		}
		for b := range polled {
			seen[b]++
		}
		got += len(ms)
		client.ReleaseMessages(ms)
	}
	reused := 0
	for _, n := range seen {
		if n > 1 {
			reused++
		}
	}
	if reused == 0 {
		t.Errorf("%d responses in %d buffers, none of them reused", got-len(held), len(seen))
	}
	for i, m := range held {
		if string(m.Value) != want[i] {
			t.Fatalf("held message at offset %d changed to %q, was %q", m.Offset, m.Value, want[i])
		}
	}
	client.ReleaseMessages(held)
}

// prefetch_bytes bounds the memory prefetched messages hold, the Message
// values included: at 10-byte records those weigh ten times the records,
// and counting 64 bytes for each let prefetch hold 1.9 times its bound.
func TestFakePrefetchBoundsWhatMessagesHold(t *testing.T) {
	const topic, records, prefetch, fetchMax = "prefetch", 8000, 256 << 10, 4 << 10
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f)
	for i := 0; i < records; i += 50 { // batches of about 1 KiB
		var recs []client.Record
		for j := i; j < i+50; j++ {
			recs = append(recs, rec(topic, 0, "", fmt.Sprintf("value-%04d", j)))
		}
		delivered(t, p, recs...)
	}
	c := lendingClient(t, f, fetchMax, "prefetch_bytes", fmt.Sprint(prefetch))
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})

	// Nothing polls, so fetching stops once the bound is reached.
	messageSize := int(unsafe.Sizeof(client.Message{}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, bytes, busy := c.Prefetched()
		held := n*messageSize + bytes
		if !busy && held >= prefetch/2 {
			// Past the bound by two responses at most (the one decoded
			// when the next went out, and that one): their records, of
			// 16 bytes or more each, as messages.
			if slack := 2 * fetchMax / 16 * (messageSize + 10); held > prefetch+slack {
				t.Fatalf("%d prefetched messages hold %d bytes, past prefetch_bytes %d and two responses (%d)",
					n, held, prefetch, slack)
			}
			if n == records {
				t.Fatalf("all %d records were prefetched: the bound never held", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prefetching did not settle: %d messages, fetching %v", n, busy)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Records of a compressed batch are copied out of the decompressed data:
// they own their bytes and hold no fetch buffer.
func TestFakeLentFetchBuffersLeaveCompressedRecordsTheirOwn(t *testing.T) {
	const topic = "lent-lz4"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f, "compression", "lz4")
	delivered(t, p, rec(topic, 0, "k", "compressed"), rec(topic, 0, "", ""))
	c := lendingClient(t, f, 1<<20)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	ms := pollN(t, c, 2)
	if string(ms[0].Key) != "k" || string(ms[0].Value) != "compressed" || ms[1].Key != nil || ms[1].Value == nil || len(ms[1].Value) != 0 {
		t.Fatalf("got %q=%q and %q=%q, want k=compressed and null=empty", ms[0].Key, ms[0].Value, ms[1].Key, ms[1].Value)
	}
	for _, m := range ms {
		if m.Buffer() != nil {
			t.Fatalf("offset %d of a compressed batch points into a fetch buffer", m.Offset)
		}
	}
	client.ReleaseMessages(ms)
}
