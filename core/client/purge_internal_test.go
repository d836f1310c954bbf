package client

import (
	"errors"
	"testing"
)

// Which batches Purge takes: PurgeQueue those never sent, PurgeInFlight
// those sent before that wait for a retry without a sequence; a batch with
// a sequence stays whatever the flags.
func TestPurgeChoosesBatchesBySequenceAndAttempts(t *testing.T) {
	cfg := NewConfig()
	if err := cfg.Set("brokers", "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	c, err := New(*cfg, Handler{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(0, nil)
	p := c.producer
	reports := map[string]error{}
	p.mu.Lock()
	ps := p.stateLocked("t", 0, 1)
	add := func(value string, attempts int, seq int32) {
		pr := &pendingRecord{rec: Record{Topic: "t", Partition: 0, Value: []byte(value)},
			placement: placement{queued: p.clock.now(), size: 64, done: func(d Delivery) { reports[value] = d.Err }}}
		p.buffered++
		p.bufBytes += int64(pr.size)
		p.placeLocked(&pr.rec, &pr.placement, 1)
		if attempts >= 0 { // sealed, else left open
			p.sealLocked(ps)
			b := ps.ready[len(ps.ready)-1]
			b.attempts, b.seq = attempts, seq
		}
	}
	add("sequenced retry", 1, 0)
	add("retry", 1, -1)
	add("never sent", 0, -1)
	add("open", -1, -1)
	p.mu.Unlock()

	if n := c.Purge(PurgeQueue); n != 2 {
		t.Fatalf("PurgeQueue took %d records, want 2", n)
	}
	if n := c.Purge(PurgeInFlight); n != 1 {
		t.Fatalf("PurgeInFlight took %d records, want 1", n)
	}
	want := map[string]error{"never sent": ErrPurged, "open": ErrPurged, "retry": ErrPurgedInFlight}
	if len(reports) != len(want) {
		t.Fatalf("reports %v, want %v", reports, want)
	}
	for value, err := range want {
		if !errors.Is(reports[value], err) {
			t.Errorf("%s: %v, want %v", value, reports[value], err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(ps.ready) != 1 || ps.ready[0].seq != 0 || ps.open != nil || p.buffered != 1 {
		t.Fatalf("left %d ready batches, open %v, %d buffered; want the sequenced retry alone", len(ps.ready), ps.open != nil, p.buffered)
	}
}
