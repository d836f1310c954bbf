package client_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The share-group admin calls read kfake's share groups; where the broker
// gives no lag, the lag is counted from the latest offset, and a
// partition the broker refuses fails the call naming it.
func TestFakeAdminShareGroups(t *testing.T) {
	const topic = "share-admin-fake"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
	p := fakeClient(t, f)
	delivered(t, p, rec(topic, 0, "", "a"), rec(topic, 0, "", "b"), rec(topic, 0, "", "c"))
	group := shareGroup(t, kafkatest.Dial(t, f.Brokers, conn.Options{}), topic)
	m := fakeClient(t, f, "client_id", "fake-share-member")
	if err := m.ShareSubscribe(client.ShareOptions{GroupID: group, Topics: []string{topic}}); err != nil {
		t.Fatal(err)
	}
	sharePollUntil(t, m, "three records", func(ms []client.Message) bool { return len(ms) == 3 })
	commitAcks(t, m) // implicit mode: accepts what the poll handed over

	c := fakeClient(t, f)
	if state := listedShareGroups(t, c)[group]; state != "stable" {
		t.Fatalf("share group %s listed as %q", group, state)
	}
	desc, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeShareGroups([]string{group}, cb) })
	if err != nil {
		t.Fatal(err)
	}
	member := desc.Path("groups", "0", "members", "0")
	if string(member.Path("client_id").Bytes) != "fake-share-member" || member.Path("assignment", topic).String() != "[0]" {
		t.Fatalf("describe share group: %v", desc)
	}
	want := fmt.Sprintf("{%s:0:{start_offset:3,latest:3,lag:0}}", topic)
	if offs := shareOffsets(t, c, group); offs.String() != want {
		t.Fatalf("share offsets %v, want %s", offs, want)
	}

	// answer makes the next DescribeShareGroupOffsets name partition 0 at
	// start offset 1 with lag and error code as given.
	answer := func(lag int64, code int16) {
		f.ControlKey(int16(kmsg.DescribeShareGroupOffsets), func(req kmsg.Request) (kmsg.Response, error, bool) {
			resp := req.ResponseKind().(*kmsg.DescribeShareGroupOffsetsResponse)
			g := kmsg.NewDescribeShareGroupOffsetsResponseGroup()
			g.GroupID = group
			rt := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopic()
			rt.Topic = topic
			rp := kmsg.NewDescribeShareGroupOffsetsResponseGroupTopicPartition()
			rp.StartOffset, rp.Lag, rp.ErrorCode = 1, lag, code
			rt.Partitions = append(rt.Partitions, rp)
			g.Topics = append(g.Topics, rt)
			resp.Groups = append(resp.Groups, g)
			return resp, nil, true
		})
	}
	answer(-1, 0) // a broker that does not know the lag
	want = fmt.Sprintf("{%s:0:{start_offset:1,latest:3,lag:2}}", topic)
	if offs := shareOffsets(t, c, group); offs.String() != want {
		t.Fatalf("share offsets without the broker's lag %v, want %s", offs, want)
	}
	answer(0, kerr.UnknownTopicOrPartition)
	_, err = adminCall(t, func(cb func(tree.Value, error)) { c.ShareGroupOffsets(group, cb) })
	if !isCode(err, kerr.UnknownTopicOrPartition) || !strings.Contains(err.Error(), topic+":0") {
		t.Fatalf("a refused partition: %v", err)
	}
}
