package client_test

import (
	"sync"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kfake's share groups check kfk's own share logic without a broker:
// records acquired and handed over once, released ones coming back with
// their delivery count, acknowledgements surviving a refused session
// epoch.
func TestShareFakeReleaseAndStaleSession(t *testing.T) {
	const topic = "share-fake"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f)
	delivered(t, p, rec(topic, 0, "", "a"), rec(topic, 0, "", "b"), rec(topic, 0, "", "c"))
	group := shareGroup(t, kafkatest.Dial(t, f.Brokers, conn.Options{}), topic)
	c := fakeClient(t, f)
	if err := c.ShareSubscribe(client.ShareOptions{GroupID: group, Topics: []string{topic}, AckMode: client.ShareAckExplicit}); err != nil {
		t.Fatal(err)
	}

	first := sharePollUntil(t, c, "three records", func(ms []client.Message) bool { return len(offsets(ms)) == 3 })
	for _, m := range first {
		if m.DeliveryCount != 1 || string(m.Value) != string(rune('a'+m.Offset)) {
			t.Errorf("offset %d: %q, delivery count %d", m.Offset, m.Value, m.DeliveryCount)
		}
		kind := client.AckAccept
		if m.Offset == 1 {
			kind = client.AckRelease
		}
		if err := c.Acknowledge(topic, 0, m.Offset, kind); err != nil {
			t.Fatal(err)
		}
	}
	// The commit's ShareAcknowledge is refused as if the broker had lost
	// count of the session: it opens a new one and sends them again.
	var mu sync.Mutex
	acknowledges := 0
	f.ControlKey(int16(kmsg.ShareAcknowledge), func(req kmsg.Request) (kmsg.Response, error, bool) {
		resp := req.ResponseKind().(*kmsg.ShareAcknowledgeResponse)
		resp.ErrorCode = kerr.InvalidShareSessionEpoch
		return resp, nil, true
	})
	f.ControlKey(int16(kmsg.ShareAcknowledge), func(kmsg.Request) (kmsg.Response, error, bool) {
		f.KeepControl()
		mu.Lock()
		acknowledges++
		mu.Unlock()
		return nil, nil, false
	})
	for _, r := range commitAcks(t, c) {
		if r.Err != nil {
			t.Errorf("%s[%d]: %v", r.Topic, r.Partition, r.Err)
		}
	}
	mu.Lock()
	if acknowledges == 0 {
		t.Error("the acknowledgements were not sent again after the refused epoch")
	}
	mu.Unlock()
	again := sharePollUntil(t, c, "the released record", func(ms []client.Message) bool { return holds(ms, 1) })
	for _, m := range again {
		if m.Offset != 1 || m.DeliveryCount != 2 {
			t.Errorf("after release: offset %d with delivery count %d, want only offset 1 with 2", m.Offset, m.DeliveryCount)
		}
	}
	if err := c.Acknowledge(topic, 0, 1, client.AckAccept); err != nil {
		t.Fatal(err)
	}
	if err := c.Acknowledge(topic, 0, 1, client.AckReject); err == nil {
		t.Error("a record acknowledged twice was taken")
	}
	commitAcks(t, c)
}
