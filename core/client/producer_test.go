package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/murmur2"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// newClient is a connected client of the test broker with options kv,
// closed when the test ends.
func newClient(t *testing.T, kv ...string) *client.Client {
	t.Helper()
	return kafkatest.Client(t, kafkatest.Brokers(t).Brokers, client.Handler{}, kv...)
}

// admin is a raw connection for creating and reading back topics.
func admin(t *testing.T) *conn.Conn {
	t.Helper()
	return kafkatest.Dial(t, kafkatest.Brokers(t).Brokers, conn.Options{})
}

// fetchAll reads every record of a partition.
func fetchAll(t *testing.T, a *conn.Conn, topic string, partition int32) []tree.Value {
	t.Helper()
	var out []tree.Value
	for offset := int64(0); ; {
		res := kafkatest.Call(t, func(cb connapi.Callback) {
			connapi.Fetch(a, []connapi.TopicPartition{{Topic: topic, Partition: partition, Offset: offset, LeaderEpoch: -1}},
				connapi.FetchOptions{MaxBytes: 4 << 20, MaxWaitMs: 0, MinBytes: 0}, cb)
		})
		recs := res.Path("topics", "0", "partitions", "0", "records").Items
		if len(recs) == 0 {
			return out
		}
		out = append(out, recs...)
		offset = recs[len(recs)-1].Path("offset").Int + 1
	}
}

type collector struct {
	mu  sync.Mutex
	got []client.Delivery
	wg  sync.WaitGroup
}

func (c *collector) fn() client.DeliveryFunc {
	c.wg.Add(1)
	return func(d client.Delivery) {
		c.mu.Lock()
		c.got = append(c.got, d)
		c.mu.Unlock()
		c.wg.Done()
	}
}

func (c *collector) wait(t *testing.T) []client.Delivery {
	t.Helper()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("delivery reports did not all arrive")
	}
	return c.got
}

func TestProduceKeyedRecordsLandOnMurmur2Partitions(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 4)
	c := newClient(t, "linger_ms", "2", "compression", "lz4")
	var col collector
	const n = 2000
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("key-%d", i%50))
		err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: key, Value: []byte(fmt.Sprint(i)),
			Headers: []wire.Header{{Key: "i", Value: []byte(fmt.Sprint(i))}}}, col.fn())
		if err != nil {
			t.Fatal(err)
		}
	}
	reports := col.wait(t)
	seen := map[int32]map[int64]bool{}
	for _, d := range reports {
		if d.Err != nil {
			t.Fatalf("delivery error: %v", d.Err)
		}
		if seen[d.Partition] == nil {
			seen[d.Partition] = map[int64]bool{}
		}
		if d.Offset < 0 || seen[d.Partition][d.Offset] {
			t.Fatalf("bad or duplicate offset %d on partition %d", d.Offset, d.Partition)
		}
		seen[d.Partition][d.Offset] = true
	}
	total := 0
	for p := int32(0); p < 4; p++ {
		recs := fetchAll(t, a, topic, p)
		total += len(recs)
		last := -1
		for _, r := range recs {
			key := r.Path("key").Bytes
			if want := murmur2.Partition(key, 4); want != p {
				t.Fatalf("key %s on partition %d, murmur2 says %d", key, p, want)
			}
			// Order per key (and so per partition) is kept.
			var i int
			fmt.Sscan(string(r.Path("value").Bytes), &i)
			if i <= last {
				t.Fatalf("partition %d: record %d after %d", p, i, last)
			}
			last = i
		}
	}
	if total != n || len(reports) != n {
		t.Fatalf("%d records stored, %d reports, want %d", total, len(reports), n)
	}
}

func TestIdempotentProducerAndEveryCodec(t *testing.T) {
	a := admin(t)
	for _, codec := range []string{"none", "gzip", "snappy", "zstd"} {
		topic := kafkatest.CreateTopic(t, a, "client", 1)
		c := newClient(t, "idempotent", "1", "compression", codec, "linger_ms", "1", "batch_size", "2000")
		var col collector
		for i := 0; i < 500; i++ {
			if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("%04d", i))}, col.fn()); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range col.wait(t) {
			if d.Err != nil {
				t.Fatalf("%s: %v", codec, d.Err)
			}
		}
		recs := fetchAll(t, a, topic, 0)
		if len(recs) != 500 {
			t.Fatalf("%s: %d records", codec, len(recs))
		}
		for i, r := range recs {
			if string(r.Path("value").Bytes) != fmt.Sprintf("%04d", i) {
				t.Fatalf("%s: record %d is %s", codec, i, r.Path("value").Bytes)
			}
		}
	}
}

func TestNullKeysRoundRobinAndExplicitPartition(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 3)
	c := newClient(t, "linger_ms", "0")
	var col collector
	for i := 0; i < 30; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Value: []byte("x")}, col.fn())
	}
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 2, Key: []byte("pinned"), Value: []byte("y")}, col.fn())
	counts := map[int32]int{}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		counts[d.Partition]++
	}
	if counts[0] != 10 || counts[1] != 10 || counts[2] != 11 {
		t.Fatalf("distribution %v", counts)
	}
	err := make(chan error, 1)
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 7, Value: []byte("z")}, func(d client.Delivery) { err <- d.Err })
	if e := <-err; !errors.Is(e, client.ErrInvalidPartition) {
		t.Fatalf("partition 7 of 3: %v", e)
	}
}

func TestAutoCreatedTopicAcksZeroAndFlush(t *testing.T) {
	c := newClient(t, "acks", "0", "linger_ms", "50")
	topic := kafkatest.UniqueTopic(t, "auto")
	var col collector
	for i := 0; i < 100; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: []byte{byte(i)}, Value: []byte("v")}, col.fn())
	}
	flushed := make(chan error, 1)
	c.Flush(30*time.Second, func(err error) { flushed <- err })
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	for _, d := range col.wait(t) {
		if d.Err != nil || d.Offset != -1 {
			t.Fatalf("acks=0 delivery %+v", d)
		}
	}
	a := admin(t)
	deadline := time.Now().Add(60 * time.Second)
	for len(fetchAll(t, a, topic, 0)) < 100 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := len(fetchAll(t, a, topic, 0)); got != 100 {
		t.Fatalf("auto-created topic holds %d records", got)
	}
}

func TestQueueFullAndTooLarge(t *testing.T) {
	c := newClient(t, "max_buffered_messages", "10", "linger_ms", "10000", "message_max_bytes", "1000")
	topic := kafkatest.UniqueTopic(t, "full")
	var full error
	for i := 0; i < 11; i++ {
		if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Value: []byte("v")}, nil); err != nil {
			full = err
		}
	}
	if !errors.Is(full, client.ErrQueueFull) {
		t.Fatalf("11th record: %v", full)
	}
	if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Value: make([]byte, 2000)}, nil); !errors.Is(err, client.ErrRecordTooLarge) {
		t.Fatalf("large record: %v", err)
	}
	if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: "", Partition: -1}, nil); !errors.Is(err, client.ErrInvalidTopic) {
		t.Fatalf("empty topic: %v", err)
	}
}

func TestDeliveryTimeoutForUnknownTopic(t *testing.T) {
	c := newClient(t, "delivery_timeout_ms", "1500")
	errc := make(chan error, 1)
	// A legal name Kafka refuses to auto-create, because it collides with
	// an existing topic once '.' and '_' are treated alike: it never gets
	// metadata. (Illegal names are refused by Produce itself.)
	dotted := kafkatest.CreateTopic(t, admin(t), "client", 1) + ".x"
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(admin(t), []connapi.NewTopic{{Name: dotted, NumPartitions: 1, ReplicationFactor: 1}}, 10000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	colliding := strings.ReplaceAll(dotted, ".", "_")
	if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: "bad name!", Value: []byte("v")}, nil); !errors.Is(err, client.ErrInvalidTopic) {
		t.Fatalf("an illegal topic name: %v", err)
	}
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: colliding, Partition: -1, Value: []byte("v")}, func(d client.Delivery) { errc <- d.Err })
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("record to an invalid topic was delivered")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery report")
	}
}

func TestBootstrapFailover(t *testing.T) {
	env := kafkatest.Brokers(t)
	cfg := client.NewConfig()
	// The first address refuses connections; the client moves on.
	cfg.Set("brokers", "127.0.0.1:1,"+env.Brokers[0])
	c, err := client.New(*cfg, client.Handler{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	c.Connect(func(v tree.Value, err error) {
		if err == nil && len(v.Path("brokers").Items) == 0 {
			err = errors.New("no brokers in metadata")
		}
		done <- err
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.Close(time.Second, nil)

	cfg.Set("brokers", "127.0.0.1:1,127.0.0.1:2")
	c, _ = client.New(*cfg, client.Handler{})
	c.Connect(func(_ tree.Value, err error) { done <- err })
	if err := <-done; !errors.Is(err, client.ErrNoBroker) {
		t.Fatalf("no reachable broker: %v", err)
	}
	c.Close(time.Second, nil)
}

func TestConfig(t *testing.T) {
	cfg := client.NewConfig()
	for k, v := range map[string]string{"bootstrap.servers": "a:1,b:2", "linger.ms": "7", "enable.idempotence": "true",
		"compression.type": "zstd", "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
		"sasl.username": "u", "sasl.password": "p", "acks": "all", "metadata.max.age.ms": "60000"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	if len(cfg.Brokers) != 2 || cfg.Linger != 7*time.Millisecond || !cfg.Idempotent || !cfg.TLS ||
		cfg.SASL.Mechanism != "SCRAM-SHA-512" || cfg.Acks != -1 || cfg.MetadataRefresh != time.Minute {
		t.Fatalf("config %+v", cfg)
	}
	for k, v := range map[string]string{"acks": "2", "linger_ms": "-1", "compression": "brotli", "batch_size": "x",
		"no_such_key": "1", "partitioner": "magic"} {
		err := cfg.Set(k, v)
		var ce *client.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), k) {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	if err := cfg.Set("sasl.password", "bad\x00"); err == nil {
		cfg.Set("acks", "1")
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "acks") {
			t.Fatalf("idempotent with acks=1: %v", err)
		}
	}
}

// TestCustomPartitionFuncAndBufferReuse routes records with a PartitionFunc
// and reuses the caller's buffer right after every Produce, both for a topic
// with metadata (encoded in place) and one without (held until metadata).
func TestCustomPartitionFuncAndBufferReuse(t *testing.T) {
	a := admin(t)
	known := kafkatest.CreateTopic(t, a, "client", 3)
	unknown := kafkatest.UniqueTopic(t, "reuse") // auto-created on first use
	env := kafkatest.Brokers(t)
	cfg := client.NewConfig()
	cfg.Set("brokers", strings.Join(env.Brokers, ","))
	var calls atomic.Int32
	cfg.PartitionFunc = func(topic string, key []byte, n int32) int32 {
		calls.Add(1)
		if string(key) == "bad" {
			return n // out of range: the record fails
		}
		return int32(len(key)) % n
	}
	c, err := client.New(*cfg, client.Handler{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(5*time.Second, nil)
	connected := make(chan error, 1)
	c.Connect(func(tree.Value, error) {
		c.RefreshMetadata([]string{known}, func(_ tree.Value, err error) { connected <- err })
	})
	if err := <-connected; err != nil || c.PartitionCount(known) != 3 {
		t.Fatalf("metadata for %s: %v", known, err)
	}
	var col collector
	buf := make([]byte, 8)
	const per = 30
	for _, topic := range []string{known, unknown} {
		for i := 0; i < per; i++ {
			key := bytes.Repeat([]byte("k"), i%3)
			copy(buf, fmt.Sprintf("v%07d", i))
			if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: key, Value: buf,
				Headers: []wire.Header{{Key: "h", Value: buf[:2]}}}, col.fn()); err != nil {
				t.Fatal(err)
			}
			copy(buf, "--------") // the caller's buffer is its own again
		}
	}
	bad := make(chan error, 1)
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: known, Partition: -1, Key: []byte("bad"), Value: []byte("v")}, func(d client.Delivery) { bad <- d.Err })
	if err := <-bad; !errors.Is(err, client.ErrInvalidPartition) {
		t.Fatalf("partitioner returning an out-of-range partition: %v", err)
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}
	if got := calls.Load(); got != 2*per+1 {
		t.Fatalf("partitioner called %d times, want %d", got, 2*per+1)
	}
	for _, topic := range []string{known, unknown} {
		n := int32(c.PartitionCount(topic))
		total := 0
		for part := int32(0); part < n; part++ {
			for _, r := range fetchAll(t, a, topic, part) {
				var i int
				fmt.Sscanf(string(r.Path("value").Bytes), "v%07d", &i)
				if string(r.Path("value").Bytes) != fmt.Sprintf("v%07d", i) || int32(len(r.Path("key").Bytes))%n != part ||
					string(r.Path("headers", "h").Bytes) != "v0" {
					t.Fatalf("%s[%d]: record %v", topic, part, r)
				}
				total++
			}
		}
		if total != per {
			t.Fatalf("%s holds %d records in %d partitions, want %d", topic, total, n, per)
		}
	}
}

// Timestamps are stored as given (0 included; negative means now), and a
// LogAppendTime topic's delivery reports and messages carry the broker's
// time, saying so, as Java and librdkafka do.
func TestTimestampsAsGivenAndLogAppendTime(t *testing.T) {
	a := admin(t)
	createTime := kafkatest.CreateTopic(t, a, "client", 1)
	appendTime := kafkatest.UniqueTopic(t, "append-time")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: appendTime, NumPartitions: 1, ReplicationFactor: 1,
			Config: map[string]string{"message.timestamp.type": "LogAppendTime"}}}, 10000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	p := newClient(t)
	var col collector
	given := []int64{0, 1000, client.TimestampNow}
	for _, topic := range []string{createTime, appendTime} {
		for _, ts := range given {
			p.Produce(client.Record{Topic: topic, Partition: 0, Value: []byte("v"), Timestamp: ts}, col.fn())
		}
	}
	before := time.Now().UnixMilli()
	ds := col.wait(t)
	after := time.Now().UnixMilli()
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].Topic != ds[j].Topic {
			return ds[i].Topic == createTime
		}
		return ds[i].Offset < ds[j].Offset
	})
	recent := func(ts int64) bool { return ts >= before-60000 && ts <= after }
	for i, d := range ds {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		if d.Topic == createTime {
			want := given[i]
			if d.TimestampType != client.TimestampCreateTime || (want >= 0 && d.Timestamp != want) || (want < 0 && !recent(d.Timestamp)) {
				t.Fatalf("CreateTime topic, record %d given %d: delivery timestamp %d (type %d)", i, want, d.Timestamp, d.TimestampType)
			}
		} else if d.TimestampType != client.TimestampLogAppendTime || !recent(d.Timestamp) {
			t.Fatalf("LogAppendTime topic, offset %d: delivery timestamp %d (type %d)", d.Offset, d.Timestamp, d.TimestampType)
		}
	}
	for _, topic := range []string{createTime, appendTime} {
		c := newClient(t)
		c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
		got := pollUntil(t, c, len(given))
		if len(got) != len(given) {
			t.Fatalf("%s: consumed %d records", topic, len(got))
		}
		for i, m := range got {
			d := ds[i]
			if topic == appendTime {
				d = ds[len(given)+i]
			}
			if m.Timestamp != d.Timestamp || m.TimestampType != d.TimestampType {
				t.Fatalf("%s offset %d: consumed timestamp %d (type %d), delivery said %d (type %d)",
					topic, m.Offset, m.Timestamp, m.TimestampType, d.Timestamp, d.TimestampType)
			}
		}
	}
}

// An idempotent or transactional client has its producer id once
// connected, as EV::Kafka's connect promises.
func TestConnectGetsTheProducerID(t *testing.T) {
	for _, kv := range [][]string{{"idempotent", "1"}, {"transactional_id", kafkatest.UniqueTopic(t, "connect-pid")}} {
		c := newClient(t, kv...)
		if id, epoch, ok := c.ProducerID(); !ok || id < 0 || epoch < 0 {
			t.Fatalf("%s: after connect the producer id is %d, epoch %d (known: %v)", kv[0], id, epoch, ok)
		}
	}
	if _, _, ok := newClient(t).ProducerID(); ok {
		t.Fatal("a plain client has a producer id")
	}
}
