package client_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// part names one partition of topic for the calls that take assignments
// without offsets.
func part(topic string, partition int32) client.Assignment {
	return client.Assignment{Topic: topic, Partition: partition}
}

// A paused partition is neither fetched nor handed over while the others
// flow; what was fetched for it before the pause is kept, and after the
// resume its records follow on from where they stopped: every record
// once, in order.
func TestFakeConsumerPauseHoldsAPartitionWhileOthersFlow(t *testing.T) {
	const topic = "paused"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(2, topic))
	fetches := watchFetch(f, topic)
	p := fillPartitions(t, f, topic, 2, 10)
	// Small polls leave fetched records of both partitions buffered; the
	// next fetch waits at the broker until records come.
	c := fakeClient(t, f, "max_poll_records", "3", "fetch_max_wait_ms", "5000")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}, {Topic: topic, Partition: 1, Offset: 0}})
	before := pollN(t, c, 1)
	sawFetch(t, fetches, 0, 0, 10) // the fetch in flight at the pause
	if err := c.Pause([]client.Assignment{part(topic, 0)}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	var during []client.Message
	want1 := 10 - len(byPartition(before)[1])
	for len(byPartition(during)[1]) < want1 {
		during = append(during, pollN(t, c, 1)...)
	}
	// The fetch in flight answers with the new records; those after it
	// leave partition 0 out.
	since := len(fetches())
	delivered(t, p, rec(topic, 1, "", "p1-10"), rec(topic, 1, "", "p1-11"))
	for len(byPartition(during)[1]) < want1+2 {
		during = append(during, pollN(t, c, 1)...)
	}
	sawFetch(t, fetches, since, 1, 12) // partition 1 waits at its new end
	if got := byPartition(during)[0]; len(got) > 0 {
		t.Fatalf("paused partition 0 handed over %d records (first at offset %d)", len(got), got[0].Offset)
	}
	for _, f := range fetches()[since:] {
		if f[0] == 0 {
			t.Fatalf("paused partition 0 was fetched at offset %d", f[1])
		}
	}
	checkRun(t, "partition 1", append(byPartition(before)[1], byPartition(during)[1]...), 1, 0, 12)

	// A poll waiting when the partition resumes gets its kept records
	// (the fetch at the end would keep it waiting for seconds).
	var after []client.Message
	done := make(chan struct{})
	c.Poll(0, func(ms []client.Message) { after = append(after, ms...) }, func(int, error) { close(done) })
	if err := c.Resume([]client.Assignment{part(topic, 0)}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	select {
	case <-done:
	case <-time.After(fakeWait):
		t.Fatal("the poll waiting at the resume did not complete")
	}
	if len(after) == 0 {
		t.Fatal("the poll waiting at the resume got nothing")
	}
	want0 := 10 - len(byPartition(before)[0])
	for len(byPartition(after)[0]) < want0 {
		after = append(after, pollN(t, c, 1)...)
	}
	checkRun(t, "partition 0 across the pause", append(byPartition(before)[0], byPartition(after)[0]...), 0, 0, 10)
	if got := byPartition(after)[1]; len(got) > 0 {
		t.Fatalf("partition 1 handed over offset %d again", got[0].Offset)
	}
}

// Pause, Resume and StoreOffsets name the partitions that are not
// assigned and still act on the others; a new assignment forgets pauses.
func TestFakeConsumerPauseNamesUnassignedAndAssignForgetsIt(t *testing.T) {
	const topic = "pause-assign"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(2, topic))
	fillPartitions(t, f, topic, 2, 5)
	c := fakeClient(t, f)
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	for name, call := range map[string]func([]client.Assignment) error{
		"pause": c.Pause, "resume": c.Resume, "store offsets": c.StoreOffsets} {
		err := call([]client.Assignment{part(topic, 0), part(topic, 1)})
		if !errors.Is(err, client.ErrNotAssigned) || err.Error() != "pause-assign[1]: not assigned" {
			t.Fatalf("%s of an unassigned partition: %v", name, err)
		}
	}
	if err := c.Pause([]client.Assignment{part(topic, 0)}); err != nil {
		t.Fatal(err)
	}
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	checkRun(t, "after assigning the paused partition again", pollN(t, c, 5), 0, 0, 5)
}

// IncrementalAssign adds partitions without disturbing the others, and
// IncrementalUnassign removes some; either refuses, changing nothing, a
// partition already assigned or not assigned.
func TestFakeConsumerIncrementalAssignment(t *testing.T) {
	const topic = "incremental"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(3, topic))
	p := fillPartitions(t, f, topic, 3, 5)
	c := fakeClient(t, f, "max_poll_records", "2")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
	first := pollN(t, c, 1)
	if err := c.IncrementalAssign([]client.Assignment{{Topic: topic, Partition: 1, Offset: 2},
		{Topic: topic, Partition: 0, Offset: 0}}); err == nil || err.Error() != "incremental[0]: already assigned" {
		t.Fatalf("adding an assigned partition: %v", err)
	}
	if err := c.IncrementalAssign([]client.Assignment{{Topic: topic, Partition: 1, Offset: 2}}); err != nil {
		t.Fatal(err)
	}
	got := append(first, pollN(t, c, 5-len(first)+3)...)
	for len(byPartition(got)[0]) < 5 || len(byPartition(got)[1]) < 3 {
		got = append(got, pollN(t, c, 1)...)
	}
	checkRun(t, "partition 0 kept", byPartition(got)[0], 0, 0, 5)
	checkRun(t, "partition 1 added at 2", byPartition(got)[1], 1, 2, 3)

	err := c.IncrementalUnassign([]client.Assignment{part(topic, 0), part(topic, 2)})
	if !errors.Is(err, client.ErrNotAssigned) {
		t.Fatalf("removing an unassigned partition: %v", err)
	}
	if err := c.IncrementalUnassign([]client.Assignment{part(topic, 0)}); err != nil {
		t.Fatal(err)
	}
	delivered(t, p, rec(topic, 0, "", "p0-5"), rec(topic, 1, "", "p1-5"))
	more := pollN(t, c, 1)
	if got := byPartition(more)[0]; len(got) > 0 {
		t.Fatalf("removed partition 0 still handed over offset %d", got[0].Offset)
	}
	checkRun(t, "partition 1 after removing 0", more, 1, 5, 1)
}

// With ManualOffsetStore a member commits the offsets stored, not what it
// read: on Commit and (auto-commit) when it leaves; CommitOffsets commits
// any offsets given, lower ones too.
func TestFakeGroupCommitsStoredAndGivenOffsets(t *testing.T) {
	const topic, group = "stored", "stored-group"
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(2, topic))
	fillPartitions(t, f, topic, 2, 10)
	m := fakeMember(t, f, group, topic, func(o *client.GroupOptions) {
		o.AutoCommit, o.AutoCommitInterval = true, time.Hour // only on leaving
		if err := o.Set("enable.auto.offset.store", "false"); err != nil {
			t.Fatal(err)
		}
	})
	eventually(t, "the member owning both partitions", func() bool { return len(owned(m)) == 2 })
	pollN(t, m, 20)
	if err := errorAfter(t, m.Commit); err != nil {
		t.Fatalf("commit with nothing stored: %v", err)
	}
	if got := committed(t, f, group, topic, 2); fmt.Sprint(got) != "[-1 -1]" {
		t.Fatalf("committed %v with nothing stored", got)
	}
	if err := m.StoreOffsets([]client.Assignment{{Topic: topic, Partition: 0, Offset: 4}}); err != nil {
		t.Fatal(err)
	}
	if err := errorAfter(t, m.Commit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got := committed(t, f, group, topic, 2); fmt.Sprint(got) != "[4 -1]" {
		t.Fatalf("committed %v, want the stored 4 and nothing else", got)
	}
	given := []client.Assignment{{Topic: topic, Partition: 0, Offset: 2}, {Topic: topic, Partition: 1, Offset: 7}}
	if err := errorAfter(t, func(cb func(error)) { m.CommitOffsets(given, cb) }); err != nil {
		t.Fatalf("commit offsets: %v", err)
	}
	if got := committed(t, f, group, topic, 2); fmt.Sprint(got) != "[2 7]" {
		t.Fatalf("committed %v, want the given 2 and 7", got)
	}
	if err := m.StoreOffsets([]client.Assignment{{Topic: topic, Partition: 1, Offset: 9}}); err != nil {
		t.Fatal(err)
	}
	if err := errorAfter(t, m.Unsubscribe); err != nil {
		t.Fatalf("unsubscribe: %v", err)
	}
	// Leaving commits what is stored and not committed: 4 (above the 2
	// given) and 9.
	if got := committed(t, f, group, topic, 2); fmt.Sprint(got) != "[4 9]" {
		t.Fatalf("committed %v after leaving, want the stored 4 and 9", got)
	}
	outside := fakeClient(t, f)
	if err := errorAfter(t, func(cb func(error)) { outside.CommitOffsets(given, cb) }); !errors.Is(err, client.ErrNotSubscribed) {
		t.Fatalf("commit offsets without a group: %v", err)
	}
}
