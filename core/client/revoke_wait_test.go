package client_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// waitingMember is an application consuming with RevokeWait and
// auto-commit off: its revocations reach its own loop, as they reach an
// application's poll, which commits what it processed and then answers
// with RevokeDone, between two polls, never during one.
type waitingMember struct {
	c       *client.Client
	revokes chan []client.Assignment
	hold    atomic.Bool // stop reading (revocations are still served)
	stop    chan struct{}
	stopped chan struct{}

	mu         sync.Mutex
	read       []string
	revoked    int     // revocations served
	commitErrs []error // of the commits made while serving them
}

func startWaitingMember(t *testing.T, opts client.GroupOptions) *waitingMember {
	t.Helper()
	w := &waitingMember{c: newClient(t, "max_poll_records", "10"), revokes: make(chan []client.Assignment, 16),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	opts.AutoCommit, opts.RevokeWait, opts.AutoOffsetReset = false, true, client.ResetEarliest
	opts.OnRevoke = func(parts []client.Assignment) { w.revokes <- parts }
	if err := w.c.Subscribe(opts); err != nil {
		t.Fatal(err)
	}
	go w.loop()
	t.Cleanup(w.end)
	return w
}

func (w *waitingMember) loop() {
	defer close(w.stopped)
	for {
		select {
		case <-w.stop:
			return
		case <-w.revokes:
			w.serveRevoke()
			continue
		default:
		}
		if w.hold.Load() {
			select {
			case <-w.stop:
				return
			case <-w.revokes:
				w.serveRevoke()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		done := make(chan struct{})
		w.c.Poll(0, func(ms []client.Message) {
			w.mu.Lock()
			for _, m := range ms {
				w.read = append(w.read, string(m.Value))
			}
			w.mu.Unlock()
		}, func(int, error) { close(done) })
		<-done
	}
}

// serveRevoke commits what was read, then lets the member give the
// partitions up.
func (w *waitingMember) serveRevoke() {
	errc := make(chan error, 1)
	w.c.Commit(func(err error) { errc <- err })
	err := <-errc
	w.mu.Lock()
	w.revoked++
	if err != nil {
		w.commitErrs = append(w.commitErrs, err)
	}
	w.mu.Unlock()
	w.c.RevokeDone()
}

func (w *waitingMember) end() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.stopped
}

func (w *waitingMember) reads() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.read...)
}

// A member whose revocations wait for the application commits what it
// processed while serving the revocation, with auto-commit off, and the
// partitions' next owner starts right after it: every record is read
// once across the group. Eager, cooperative and KIP-848 members.
func TestRevokeWaitCommitsBeforeGivingUp(t *testing.T) {
	for _, tc := range []struct{ name, assignor, protocol string }{
		{"eager", "sticky", client.ClassicProtocol},
		{"cooperative", "cooperative-sticky", client.ClassicProtocol},
		{"consumer", "", client.ConsumerProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const partitions, records, firstPart = 4, 400, 100
			a := admin(t)
			topic := kafkatest.CreateTopic(t, a, "client", partitions)
			p := newClient(t)
			var col collector
			for i := 0; i < records; i++ {
				p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % partitions),
					Value: []byte(fmt.Sprint(i))}, col.fn())
			}
			col.wait(t)
			opts := client.GroupOptions{GroupID: kafkatest.UniqueTopic(t, "revokewait"), Topics: []string{topic},
				Assignor: tc.assignor, Protocol: tc.protocol, HeartbeatInterval: 200 * time.Millisecond}
			first := startWaitingMember(t, opts)
			waitFor(t, "the first member to read part of the records", func() bool {
				if len(first.reads()) >= firstPart {
					first.hold.Store(true)
					return true
				}
				return false
			})
			second := startWaitingMember(t, opts)
			waitFor(t, "the partitions to be shared", func() bool { return shareAll(first.c, second.c, partitions) })
			first.hold.Store(false)
			waitFor(t, "the group to read every record", func() bool {
				seen := map[string]bool{}
				for _, v := range append(first.reads(), second.reads()...) {
					seen[v] = true
				}
				return len(seen) == records
			})
			first.end()
			second.end()
			first.mu.Lock()
			defer first.mu.Unlock()
			if first.revoked == 0 || len(first.commitErrs) > 0 {
				t.Fatalf("the first member served %d revocations, its commits failed with %v", first.revoked, first.commitErrs)
			}
			counts := map[string]int{}
			for _, v := range append(first.read, second.reads()...) {
				counts[v]++
			}
			for v, n := range counts {
				if n > 1 {
					t.Errorf("record %s read %d times", v, n)
				}
			}
		})
	}
}

// A member waiting for an application that never answers gives the
// partitions up after the rebalance timeout, says so in the log, and the
// group's rebalance completes.
func TestRevokeWaitWithoutAnswerTimesOut(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	group := kafkatest.UniqueTopic(t, "revokewait")
	var o observer
	silent := kafkatest.Client(t, kafkatest.Brokers(t).Brokers, o.handler())
	var revokes atomic.Int32
	if err := silent.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, RevokeWait: true,
		RebalanceTimeout: 3 * time.Second, HeartbeatInterval: 200 * time.Millisecond,
		OnRevoke: func([]client.Assignment) { revokes.Add(1) }}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first member to own every partition", func() bool { return len(ownedSet(silent)) == 4 })
	other := newClient(t)
	if err := other.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, HeartbeatInterval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the partitions to be shared", func() bool { return shareAll(silent, other, 4) })
	if !o.logged("did not answer the revocation") {
		t.Errorf("no warning of the unanswered revocation; the log:\n%q", o.lines())
	}
	if revokes.Load() != 1 {
		t.Errorf("on_revoke ran %d times, want once (before the wait, not again after it)", revokes.Load())
	}
}
