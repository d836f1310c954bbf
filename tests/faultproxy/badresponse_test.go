package faultproxy_test

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/faultproxy"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// mangler is a Rule that damages responses at random, in the ways a broken
// or hostile broker could: flipped bytes, huge length fields, short
// bodies, frames cut off mid-way, garbage. The correlation ID is kept, so
// the damage reaches the decoders rather than just closing the connection.
type mangler struct {
	mu     sync.Mutex
	rng    *rand.Rand
	chance float64 // of damaging one response
	spare  map[int16]bool
}

func newMangler(t *testing.T, chance float64, spare ...int16) *mangler {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("KFK_FAULT_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("mangling with KFK_FAULT_SEED=%d", seed)
	m := &mangler{rng: rand.New(rand.NewPCG(seed, 1)), chance: chance, spare: map[int16]bool{}}
	for _, k := range spare {
		m.spare[k] = true
	}
	return m
}

func (m *mangler) rule(r *faultproxy.Response) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(r.Frame) <= 4 || m.spare[r.Key] || m.rng.Float64() >= m.chance {
		return false
	}
	body := append([]byte(nil), r.Frame[4:]...)
	switch m.rng.IntN(5) {
	case 0: // flipped bytes
		for i := 0; i < 1+m.rng.IntN(8) && len(body) > 0; i++ {
			body[m.rng.IntN(len(body))] ^= byte(1 + m.rng.IntN(255))
		}
	case 1: // a length or count field turned huge or negative
		if len(body) >= 4 {
			at := m.rng.IntN(len(body) - 3)
			huge := []uint32{0x7fffffff, 0xffffffff, 0x80000000, 0x00ffffff}[m.rng.IntN(4)]
			binary.BigEndian.PutUint32(body[at:], huge)
		}
	case 2: // a short body that says it is complete
		body = body[:m.rng.IntN(len(body)+1)]
	case 3: // the frame stops mid-way and the connection closes
		r.Frame = r.Frame[:4+m.rng.IntN(len(body)+1)]
		r.Close = true
		return true
	case 4: // garbage
		body = make([]byte, m.rng.IntN(512))
		for i := range body {
			body[i] = byte(m.rng.Uint32())
		}
	}
	r.Frame = append(append([]byte(nil), r.Frame[:4]...), body...)
	r.Length = int32(len(r.Frame))
	return true
}

// inputsBudget is how many damaged responses a test feeds the decoders:
// bounded for CI, KFK_FAULT_INPUTS for longer runs.
func inputsBudget(t *testing.T, ci int) int64 {
	if v := os.Getenv("KFK_FAULT_INPUTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("KFK_FAULT_INPUTS=%q", v)
		}
		return int64(n)
	}
	return int64(ci)
}

// Every kind of request the low-level API makes gets damaged responses:
// each call completes (a result or an error), nothing panics, and the
// connection serves normally once the damage stops.
func TestDamagedResponsesGiveErrorsNotPanics(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", 2)
	for i, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		c := newClient(t, env.Brokers, "compression", codec, "linger_ms", "20")
		var d deliveries
		for j := 0; j < 200; j++ {
			c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 2), Key: []byte("k"), Value: []byte("some value to compress, some value to compress")}, d.fn())
		}
		if failed := d.wait(t, time.Minute); len(failed) > 0 {
			t.Fatal(failed[0])
		}
	}
	p := startProxy(t, env.Brokers)
	// A damaged length prefix leaves the connection waiting for bytes that
	// never come until the request timeout: keep it short, or a few such
	// rounds eat the time allowed.
	c := connVia(t, p, conn.Options{AutoReconnect: true, ReconnectDelay: 10 * time.Millisecond, RequestTimeout: time.Second})
	m := newMangler(t, 0.8)
	p.SetRule(m.rule)

	tps := []connapi.TopicPartition{{Topic: topic, Partition: 0, LeaderEpoch: -1}, {Topic: topic, Partition: 1, LeaderEpoch: -1}}
	requests := []func(connapi.Callback){
		func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) },
		func(cb connapi.Callback) { connapi.Fetch(c, tps, connapi.FetchOptions{MaxBytes: 1 << 20}, cb) },
		func(cb connapi.Callback) { connapi.ListOffsets(c, tps, -1, 0, cb) },
		func(cb connapi.Callback) { connapi.FindCoordinator(c, "some-group", 0, cb) },
		func(cb connapi.Callback) { connapi.OffsetFetch(c, "some-group", []string{topic}, cb) },
		func(cb connapi.Callback) {
			connapi.Produce(c, topic, 0, []connapi.Record{{Value: []byte("v")}}, connapi.ProduceOptions{Acks: -1, TimeoutMs: 5000}, cb)
		},
	}
	budget := inputsBudget(t, 3000)
	calls, failed := 0, 0
	for deadline := time.Now().Add(3 * time.Minute); p.Stats().RuleFired < budget && time.Now().Before(deadline); {
		done := newCompletions(len(requests))
		for _, r := range requests {
			r(done.cb())
		}
		failed += done.wait(t, 60*time.Second)
		calls += len(requests)
	}
	p.SetRule(nil)
	damaged := p.Stats().RuleFired
	if damaged < budget {
		t.Fatalf("only %d damaged responses within the time allowed", damaged)
	}
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ch := make(chan error, 1)
		connapi.Metadata(c, nil, true, func(_ tree.Value, e error) { ch <- e })
		if err = <-ch; err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the connection does not recover once responses are whole again: %v", err)
	}
	kafkatest.Report(t, "bad broker input", "damaged responses to 6 request kinds (flips, huge lengths, short, cut, garbage): every call completes, no panic, recovery after",
		map[string]int64{"damaged responses": damaged, "calls": int64(calls), "calls failed": int64(failed)})
}

// A cluster client producing and consuming while a share of its responses
// is damaged keeps working once they are whole again. Address-carrying
// responses are spared: a damaged host name would be looked up in DNS.
func TestClientRecoversFromDamagedResponses(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, direct(t, env.Brokers), "fault", 1)
	p := startProxy(t, env.Brokers)
	c := newClient(t, p.Addrs(), "linger_ms", "2", "delivery_timeout_ms", "5000", "request_timeout_ms", "2000",
		"fetch_max_wait_ms", "50", "retry_backoff_ms", "10")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	m := newMangler(t, 0.3, 3, 10, 60) // Metadata, FindCoordinator, DescribeCluster
	p.SetRule(m.rule)

	// Five seconds of damage, and at least minDamaged damaged responses
	// (a loaded machine answers fewer requests in that time).
	const minDamaged = 20
	var d deliveries
	for start := time.Now(); time.Since(start) < 5*time.Second || p.Stats().RuleFired < minDamaged; {
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("only %d responses damaged in 2 minutes", p.Stats().RuleFired)
		}
		for i := 0; i < 50; i++ {
			if c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("x")}, d.fn()) != nil {
				d.wg.Done()
			}
		}
		done := make(chan struct{})
		c.Poll(0, func([]client.Message) {}, func(int, error) { close(done) })
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("a poll never completed")
		}
	}
	d.wait(t, 2*time.Minute)
	p.SetRule(nil)
	damaged := p.Stats().RuleFired

	// Recovery: the mark is delivered (a record sent into the last moments
	// of damage may spend its own delivery timeout, so three tries), and a
	// consumer seeking to it reads it. Where the consumer stood is not
	// checked: a damaged offset or watermark that still decodes (offsets
	// are outside the batch CRC) may legitimately have moved it.
	mark := []byte("after-the-damage")
	markOffset := int64(-1)
	for try := 0; try < 3 && markOffset < 0; try++ {
		got := make(chan client.Delivery, 1)
		if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: mark}, func(d client.Delivery) { got <- d }); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if d.Err == nil {
				markOffset = d.Offset
			} else {
				t.Logf("try %d after the damage: %v", try+1, d.Err)
			}
		case <-time.After(time.Minute):
			t.Fatal("no delivery report for the record after the damage")
		}
	}
	if markOffset < 0 {
		t.Fatal("the producer does not recover once responses are whole")
	}
	sought := make(chan error, 1)
	c.Seek(topic, 0, markOffset, func(err error) { sought <- err })
	if err := <-sought; err != nil {
		t.Fatal(err)
	}
	found := false
	for deadline := time.Now().Add(time.Minute); !found && time.Now().Before(deadline); {
		done := make(chan struct{})
		c.Poll(0, func(ms []client.Message) {
			for _, msg := range ms {
				found = found || string(msg.Value) == string(mark)
			}
		}, func(int, error) { close(done) })
		<-done
	}
	if !found {
		t.Fatal("the consumer does not read the record written after the damage stopped")
	}
	kafkatest.Report(t, "bad broker input", "cluster client producing and consuming through damaged responses recovers once they are whole",
		map[string]int64{"damaged responses": damaged})
}

// A response whose length prefix promises far more than arrives costs no
// more memory than what arrived; one beyond the limit is refused.
func TestLyingResponseLengthIsBounded(t *testing.T) {
	env := kafkatest.Brokers(t)
	p := startProxy(t, env.Brokers)
	for _, claim := range []int32{200 << 20, 1<<31 - 1} {
		p.SetRule(nil)
		c := connVia(t, p, conn.Options{RequestTimeout: 5 * time.Second})
		p.SetRule(func(r *faultproxy.Response) bool {
			r.Length, r.Close = claim, true
			return true
		})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ch := make(chan error, 1)
		connapi.Metadata(c, nil, true, func(_ tree.Value, e error) { ch <- e })
		select {
		case err := <-ch:
			if err == nil {
				t.Fatalf("a %d-byte claim passed", claim)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the request never completed")
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
			t.Fatalf("a response claiming %d bytes made the client allocate %d bytes", claim, grew)
		}
	}
	kafkatest.Report(t, "bad broker input", "responses whose length prefix lies (200 MiB, 2 GiB) fail without allocating what they claim",
		map[string]int64{"lying frames": 2})
}
