package client_test

import (
	"errors"
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
	// The first ShareAcknowledge is refused as if the broker had lost
	// count of the session: the member opens a new one and sends them
	// again. Set before acknowledging, since an acknowledgement goes as
	// soon as the session has no request in flight, commit or not.
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

// Share subscribe options by kfk's names and Java's; bad values name the
// key.
func TestShareOptions(t *testing.T) {
	o := client.NewShareOptions()
	if o.AckMode != client.ShareAckImplicit || o.AcquireMode != client.ShareAcquireBatches {
		t.Errorf("defaults: %+v", o)
	}
	for _, kv := range [][2]string{{"group.id", "g"}, {"share.acknowledgement.mode", "explicit"},
		{"share_acquire_mode", "record_limit"}} {
		if err := o.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if o.GroupID != "g" || o.AckMode != client.ShareAckExplicit || o.AcquireMode != client.ShareAcquireRecordLimit {
		t.Errorf("set: %+v", o)
	}
	for _, kv := range [][2]string{{"share_acknowledgement_mode", "sometimes"}, {"share.acquire.mode", "all"},
		{"auto_commit", "1"}} {
		var ce *client.ConfigError
		if err := o.Set(kv[0], kv[1]); !errors.As(err, &ce) {
			t.Errorf("%s=%s: %v, want a ConfigError", kv[0], kv[1], err)
		}
	}
	c := kafkatest.Client(t, kafkatest.Fake(t, 1).Brokers, client.Handler{})
	if err := c.ShareSubscribe(client.ShareOptions{Topics: []string{"t"}}); err == nil {
		t.Error("a share subscription without a group id was taken")
	}
	if err := c.Acknowledge("t", 0, 0, client.AckAccept); !errors.Is(err, client.ErrNotShareSubscribed) {
		t.Errorf("acknowledge without a share subscription: %v", err)
	}
}

// A share subscription's topics are in the metadata refreshes while it
// lasts, and not after ShareUnsubscribe.
func TestShareFakeRefreshesForgetTopicsOnceUnsubscribed(t *testing.T) {
	const topic = "share-followed"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	refreshAsks := refreshAsksFor(t, f, topic)
	c := fakeClient(t, f)
	if err := c.ShareSubscribe(client.ShareOptions{GroupID: "sg", Topics: []string{topic}}); err != nil {
		t.Fatal(err)
	}
	if !refreshAsks(c) {
		t.Fatal("a refresh while share subscribed does not ask for the topic")
	}
	if err := errorAfter(t, c.ShareUnsubscribe); err != nil {
		t.Fatal(err)
	}
	if refreshAsks(c) {
		t.Fatal("a refresh after ShareUnsubscribe still asks for the topic")
	}
}
