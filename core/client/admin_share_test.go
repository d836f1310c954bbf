package client_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// listedShareGroups is ListShareGroups(states): group id => state.
func listedShareGroups(t *testing.T, c *client.Client, states ...string) map[string]string {
	t.Helper()
	v, err := adminCall(t, func(cb func(tree.Value, error)) { c.ListShareGroups(states, cb) })
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range v.Path("groups").Items {
		out[string(g.Path("group_id").Bytes)] = string(g.Path("state").Bytes)
	}
	return out
}

func shareOffsets(t *testing.T, c *client.Client, group string) tree.Value {
	t.Helper()
	v, err := adminCall(t, func(cb func(tree.Value, error)) { c.ShareGroupOffsets(group, cb) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A share group with one member is listed, described (member, subscription,
// assignment) and its start offsets follow the acknowledgements; once the
// member leaves, its offsets are moved, forgotten, and the group deleted.
func TestAdminShareGroups(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 2)
	group := shareGroup(t, a, topic)
	const perPartition = 5
	p := newClient(t, "linger_ms", "1")
	var col collector
	for i := range 2 * perPartition {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 2), Value: []byte("v")}, col.fn())
	}
	col.wait(t)
	m := shareConsumer(t, group, topic, client.ShareAckExplicit, "client_id", "share-admin-member")
	got := sharePollUntil(t, m, "every record", func(ms []client.Message) bool { return len(ms) >= 2*perPartition })
	c := newClient(t)
	acceptAll(t, m, got)
	for _, r := range commitAcks(t, m) {
		if r.Err != nil {
			t.Fatalf("%s[%d]: %v", r.Topic, r.Partition, r.Err)
		}
	}
	// Every record acknowledged: no lag on either partition. (A start
	// offset is known once acknowledgements were written: before, the
	// broker has none to report.)
	waitFor(t, "no lag", func() bool {
		offs := shareOffsets(t, c, group)
		for part := range 2 {
			at := offs.Path(fmt.Sprintf("%s:%d", topic, part))
			if at.Kind != tree.Map || at.Path("latest").Int != perPartition || at.Path("lag").Int != 0 {
				return false
			}
		}
		return true
	})

	if state := listedShareGroups(t, c)[group]; state != "stable" {
		t.Fatalf("share group %s listed as %q, want stable", group, state)
	}
	if _, listed := listedShareGroups(t, c, "empty")[group]; listed {
		t.Fatalf("share group %s with a member listed among the empty ones", group)
	}

	desc, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.DescribeShareGroups([]string{group, "no-such-share-group-" + topic}, cb)
	})
	if err != nil {
		t.Fatal(err)
	}
	g := desc.Path("groups", "0")
	member := g.Path("members", "0")
	if g.Path("error_code").Int != 0 || string(g.Path("state").Bytes) != "stable" || len(g.Path("members").Items) != 1 ||
		g.Path("epoch").Int < 1 || g.Path("assignment_epoch").Int < 1 {
		t.Fatalf("describe share group: %v", g)
	}
	if string(member.Path("client_id").Bytes) != "share-admin-member" || len(member.Path("client_host").Bytes) == 0 ||
		member.Path("subscribed_topics").String() != fmt.Sprintf("[%q]", topic) ||
		member.Path("assignment", topic).String() != "[0,1]" {
		t.Fatalf("describe share group member: %v", member)
	}
	if unknown := desc.Path("groups", "1"); unknown.Path("error_code").Int != int64(kerr.GroupIDNotFound) {
		t.Fatalf("describe unknown share group: %v", unknown)
	}

	// Partition 0 goes to its end (looked up), partition 1 back to 2: its
	// last three records are to be read again.
	moves := []client.Assignment{{Topic: topic, Partition: 1, Offset: 2}, {Topic: topic, Partition: 0, Offset: client.OffsetLatest}}
	_, err = adminCall(t, func(cb func(tree.Value, error)) { c.AlterShareGroupOffsets(group, moves, cb) })
	if !isCode(err, kerr.NonEmptyGroup) {
		t.Fatalf("altering the offsets of a group with a member: %v, want NON_EMPTY_GROUP", err)
	}
	_, err = adminCall(t, func(cb func(tree.Value, error)) { c.DeleteShareGroupOffsets(group, []string{topic}, cb) })
	if !isCode(err, kerr.NonEmptyGroup) {
		t.Fatalf("deleting the offsets of a group with a member: %v, want NON_EMPTY_GROUP", err)
	}
	left := make(chan error, 1)
	m.ShareUnsubscribe(func(err error) { left <- err })
	if err := <-left; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the group empty", func() bool { return listedShareGroups(t, c, "empty")[group] == "empty" })

	altered, err := adminCall(t, func(cb func(tree.Value, error)) { c.AlterShareGroupOffsets(group, moves, cb) })
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, r := range altered.Path("partitions").Items {
		if r.Path("error_code").Int != 0 {
			t.Fatalf("alter share offsets: %v", altered)
		}
		parts = append(parts, fmt.Sprintf("%s:%d", r.Path("topic").Bytes, r.Path("partition").Int))
	}
	if !slices.Equal(parts, []string{topic + ":0", topic + ":1"}) {
		t.Fatalf("alter share offsets answered for %v", parts)
	}
	offs := shareOffsets(t, c, group)
	want := fmt.Sprintf("{%s:0:{start_offset:5,latest:5,lag:0},%s:1:{start_offset:2,latest:5,lag:3}}", topic, topic)
	if offs.String() != want {
		t.Fatalf("share offsets after moving them: %v, want %s", offs, want)
	}

	deleted, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteShareGroupOffsets(group, []string{topic}, cb) })
	if err != nil || deleted.Path("topics", "0", "error_code").Int != 0 || string(deleted.Path("topics", "0", "topic").Bytes) != topic {
		t.Fatalf("delete share offsets: %v, %v", deleted, err)
	}
	if offs := shareOffsets(t, c, group); len(offs.Items) != 0 {
		t.Fatalf("share offsets after deleting them: %v", offs)
	}

	gone, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteGroups([]string{group, group + "-unknown"}, cb) })
	if err != nil {
		t.Fatal(err)
	}
	codes := []int64{gone.Path("groups", "0", "error_code").Int, gone.Path("groups", "1", "error_code").Int}
	if !slices.Equal(codes, []int64{0, int64(kerr.GroupIDNotFound)}) || string(gone.Path("groups", "1", "group_id").Bytes) != group+"-unknown" {
		t.Fatalf("delete groups: %v", gone)
	}
	if _, listed := listedShareGroups(t, c)[group]; listed {
		t.Fatalf("share group %s listed after its deletion", group)
	}
}
