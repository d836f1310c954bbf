package connapi_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// dial connects to the first address of addrs with opts and waits for it.
func dial(t *testing.T, addrs []string, opts conn.Options) (*conn.Conn, error) {
	t.Helper()
	host, port := kafkatest.HostPort(t, addrs)
	done := make(chan error, 1)
	c := conn.New(opts, conn.Handler{OnConnect: func() { done <- nil }, OnError: func(err error) { done <- err }})
	if err := c.Connect(host, port, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-time.After(20 * time.Second):
		t.Fatal("connect did not complete")
	}
	t.Cleanup(c.Close)
	return c, nil
}

func mustDial(t *testing.T) *conn.Conn {
	t.Helper()
	c, err := dial(t, kafkatest.Brokers(t).Brokers, conn.Options{ClientID: "kfk-test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// call runs one request and waits for its result.
func call(t *testing.T, issue func(connapi.Callback)) (tree.Value, error) {
	t.Helper()
	type res struct {
		v   tree.Value
		err error
	}
	ch := make(chan res, 1)
	issue(func(v tree.Value, err error) { ch <- res{v, err} })
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(30 * time.Second):
		t.Fatal("request did not complete")
	}
	return tree.Value{}, nil
}

func mustCall(t *testing.T, issue func(connapi.Callback)) tree.Value {
	t.Helper()
	v, err := call(t, issue)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func intAt(v tree.Value, path ...string) int64 { return v.Path(path...).Int }
func strAt(v tree.Value, path ...string) string {
	return string(v.Path(path...).Bytes)
}

func TestHandshakeAndMetadata(t *testing.T) {
	c := mustDial(t)
	if !c.Connected() || c.State() != conn.Ready {
		t.Fatalf("state %d", c.State())
	}
	vers := c.APIVersions()
	if vers[0] < 3 || vers[1] < 4 || vers[18] < 3 {
		t.Fatalf("versions %v", vers)
	}
	topic := kafkatest.CreateTopic(t, c, "conn", 3)
	md := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, []string{topic}, false, cb) })
	if strAt(md, "topics", "0", "name") != topic || len(md.Path("topics", "0", "partitions").Items) != 3 {
		t.Fatalf("metadata %v", md)
	}
	if intAt(md, "brokers", "0", "port") == 0 || md.Path("controller_id").Kind != tree.Int {
		t.Fatalf("metadata brokers %v", md)
	}
	all := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) })
	if len(all.Path("topics").Items) < 1 {
		t.Fatal("metadata for all topics listed none")
	}
}

func TestProduceFetchEveryCodec(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 1)
	var want []connapi.Record
	for i, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		codecID, _ := compress.ParseCodec(codec)
		recs := []connapi.Record{
			{Key: []byte("k-" + codec), Value: []byte("v-" + codec), Timestamp: 1700000000000 + int64(i),
				Headers: []wire.Header{{Key: "codec", Value: []byte(codec)}, {Key: "nil", Value: nil}}},
			{Key: nil, Value: []byte{}, Timestamp: 1700000000000 + int64(i)},
		}
		res := mustCall(t, func(cb connapi.Callback) {
			connapi.Produce(c, topic, 0, recs, connapi.ProduceOptions{Acks: -1, TimeoutMs: 10000,
				Compression: codecID, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}, cb)
		})
		if code := intAt(res, "topics", "0", "partitions", "0", "error_code"); code != 0 {
			t.Fatalf("%s: produce error %d", codec, code)
		}
		if off := intAt(res, "topics", "0", "partitions", "0", "base_offset"); off != int64(2*i) {
			t.Fatalf("%s: base offset %d", codec, off)
		}
		want = append(want, recs...)
	}
	res := mustCall(t, func(cb connapi.Callback) {
		connapi.Fetch(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, Offset: 3, LeaderEpoch: -1}},
			connapi.FetchOptions{MaxBytes: 1 << 20, MaxWaitMs: 100, MinBytes: 1}, cb)
	})
	p := res.Path("topics", "0", "partitions", "0")
	if intAt(p, "error_code") != 0 || intAt(p, "high_watermark") != 10 {
		t.Fatalf("fetch partition %v", p)
	}
	got := p.Path("records").Items
	if len(got) != 7 { // offsets 3..9: records before the fetch offset are dropped
		t.Fatalf("fetched %d records", len(got))
	}
	for i, r := range got {
		w := want[i+3]
		if intAt(r, "offset") != int64(i+3) || intAt(r, "timestamp") != w.Timestamp {
			t.Fatalf("record %d: %v", i+3, r)
		}
		if k := r.Path("key"); (w.Key == nil) != (k.Kind == tree.Null) || string(k.Bytes) != string(w.Key) {
			t.Fatalf("record %d key %v", i+3, k)
		}
		if v := r.Path("value"); v.Kind != tree.Bytes || string(v.Bytes) != string(w.Value) {
			t.Fatalf("record %d value %v", i+3, v)
		}
		if len(w.Headers) > 0 && (strAt(r, "headers", "codec") != string(w.Headers[0].Value) || r.Path("headers", "nil").Kind != tree.Null) {
			t.Fatalf("record %d headers %v", i+3, r.Path("headers"))
		}
	}
	lo := mustCall(t, func(cb connapi.Callback) {
		connapi.ListOffsets(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, LeaderEpoch: -1}}, -1, 0, cb)
	})
	if intAt(lo, "topics", "0", "partitions", "0", "offset") != 10 {
		t.Fatalf("latest offset %v", lo)
	}
	lo = mustCall(t, func(cb connapi.Callback) {
		connapi.ListOffsets(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, LeaderEpoch: -1}}, -2, 0, cb)
	})
	if intAt(lo, "topics", "0", "partitions", "0", "offset") != 0 {
		t.Fatalf("earliest offset %v", lo)
	}
}

func TestAcksZeroAndPipelining(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 1)
	const n = 200
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		acks := int16(1)
		if i%2 == 0 {
			acks = 0
		}
		connapi.Produce(c, topic, 0, []connapi.Record{{Value: []byte(fmt.Sprint(i)), Timestamp: time.Now().UnixMilli()}},
			connapi.ProduceOptions{Acks: acks, TimeoutMs: 5000, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1},
			func(v tree.Value, err error) {
				if err == nil && acks == 0 && v.Kind != tree.Null {
					err = errors.New("acks=0 produced a result")
				}
				done <- err
			})
	}
	for i := 0; i < n; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	lo := mustCall(t, func(cb connapi.Callback) {
		connapi.ListOffsets(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, LeaderEpoch: -1}}, -1, 0, cb)
	})
	if intAt(lo, "topics", "0", "partitions", "0", "offset") != n {
		t.Fatalf("expected %d records, latest offset %v", n, lo)
	}
}

// findCoordinator retries COORDINATOR_NOT_AVAILABLE, which a broker
// answers while it creates the internal offsets or transaction topic.
func findCoordinator(t *testing.T, c *conn.Conn, key string, keyType int8) tree.Value {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		co := mustCall(t, func(cb connapi.Callback) { connapi.FindCoordinator(c, key, keyType, cb) })
		if code := intAt(co, "error_code"); code == 0 {
			return co
		} else if code != 15 || time.Now().After(deadline) {
			t.Fatalf("find coordinator: %v", co)
		}
	}
}

func TestGroupCalls(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 2)
	group := kafkatest.UniqueTopic(t, "group")
	co := findCoordinator(t, c, group, connapi.KeyTypeGroup)
	if intAt(co, "port") == 0 {
		t.Fatalf("coordinator %v", co)
	}
	// KIP-394: the first join without a member id is answered with
	// MEMBER_ID_REQUIRED and the id to use.
	j := mustCall(t, func(cb connapi.Callback) {
		connapi.JoinGroup(c, group, "", []string{topic}, 10000, 10000, nil, cb)
	})
	member := strAt(j, "member_id")
	if intAt(j, "error_code") == 79 {
		j = mustCall(t, func(cb connapi.Callback) {
			connapi.JoinGroup(c, group, member, []string{topic}, 10000, 10000, nil, cb)
		})
	}
	if intAt(j, "error_code") != 0 || strAt(j, "leader") != member || strAt(j, "members", "0", "topics", "0") != topic {
		t.Fatalf("join %v", j)
	}
	gen := int32(intAt(j, "generation_id"))
	s := mustCall(t, func(cb connapi.Callback) {
		connapi.SyncGroup(c, group, gen, member, []connapi.MemberAssignment{{MemberID: member,
			Partitions: map[string][]int32{topic: {0, 1}}}}, nil, cb)
	})
	if intAt(s, "error_code") != 0 || strAt(s, "assignment", "0", "topic") != topic ||
		len(s.Path("assignment", "0", "partitions").Items) != 2 {
		t.Fatalf("sync %v", s)
	}
	if h := mustCall(t, func(cb connapi.Callback) { connapi.Heartbeat(c, group, gen, member, nil, cb) }); intAt(h, "error_code") != 0 {
		t.Fatalf("heartbeat %v", h)
	}
	meta := "m"
	oc := mustCall(t, func(cb connapi.Callback) {
		connapi.OffsetCommit(c, group, gen, member, []connapi.TopicPartition{
			{Topic: topic, Partition: 0, Offset: 42, LeaderEpoch: -1, Metadata: &meta},
			{Topic: topic, Partition: 1, Offset: 7, LeaderEpoch: -1}}, cb)
	})
	if intAt(oc, "topics", "0", "partitions", "0", "error_code") != 0 || intAt(oc, "topics", "0", "partitions", "1", "error_code") != 0 {
		t.Fatalf("commit %v", oc)
	}
	of := mustCall(t, func(cb connapi.Callback) { connapi.OffsetFetch(c, group, []string{topic}, cb) })
	got := map[int64]int64{}
	for _, p := range of.Path("topics", "0", "partitions").Items {
		got[intAt(p, "partition")] = intAt(p, "offset")
	}
	if got[0] != 42 || got[1] != 7 || strAt(of, "topics", "0", "partitions", "0", "metadata") != "m" && strAt(of, "topics", "0", "partitions", "1", "metadata") != "m" {
		t.Fatalf("offset fetch %v", of)
	}
	if l := mustCall(t, func(cb connapi.Callback) { connapi.LeaveGroup(c, group, member, nil, cb) }); intAt(l, "error_code") != 0 {
		t.Fatalf("leave %v", l)
	}
	if h := mustCall(t, func(cb connapi.Callback) { connapi.Heartbeat(c, group, gen, member, nil, cb) }); intAt(h, "error_code") == 0 {
		t.Fatal("heartbeat after leaving succeeded")
	}
}

// retryConcurrent repeats a transaction call while the coordinator answers
// CONCURRENT_TRANSACTIONS (the previous transaction is still completing).
func retryConcurrent(t *testing.T, attempt func() tree.Value) tree.Value {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res := attempt()
		if code := intAt(res, "error_code"); code == 0 {
			return res
		} else if code != 51 || time.Now().After(deadline) {
			t.Fatalf("transaction call: %v", res)
		}
	}
}

func TestTransactionCalls(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 1)
	txnID := kafkatest.UniqueTopic(t, "txn")
	findCoordinator(t, c, txnID, connapi.KeyTypeTxn)
	var pid int64
	var epoch int16
	for deadline := time.Now().Add(30 * time.Second); ; { // the txn log may still be loading
		ip := mustCall(t, func(cb connapi.Callback) { connapi.InitProducerID(c, &txnID, 60000, cb) })
		if intAt(ip, "error_code") == 0 {
			pid, epoch = intAt(ip, "producer_id"), int16(intAt(ip, "producer_epoch"))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("init producer id %v", ip)
		}
		time.Sleep(200 * time.Millisecond)
	}
	produceTxn := func(value string, seq int32) {
		res := mustCall(t, func(cb connapi.Callback) {
			connapi.Produce(c, topic, 0, []connapi.Record{{Value: []byte(value), Timestamp: time.Now().UnixMilli()}},
				connapi.ProduceOptions{Acks: -1, TimeoutMs: 10000, ProducerID: pid, ProducerEpoch: epoch,
					BaseSequence: seq, TransactionalID: &txnID}, cb)
		})
		if code := intAt(res, "topics", "0", "partitions", "0", "error_code"); code != 0 {
			t.Fatalf("transactional produce: error %d", code)
		}
	}
	seq := int32(0)
	for _, commit := range []bool{false, true} {
		retryConcurrent(t, func() tree.Value {
			ap := mustCall(t, func(cb connapi.Callback) {
				connapi.AddPartitionsToTxn(c, txnID, pid, epoch, []connapi.TopicPartition{{Topic: topic, Partition: 0}}, cb)
			})
			return ap.Path("topics", "0", "partitions", "0")
		})
		produceTxn(fmt.Sprintf("txn-%v", commit), seq)
		seq++
		end := retryConcurrent(t, func() tree.Value {
			return mustCall(t, func(cb connapi.Callback) { connapi.EndTxn(c, txnID, pid, epoch, commit, cb) })
		})
		if e, ok := end.Get("producer_epoch"); ok && int16(e.Int) != epoch {
			// transactions v2 bump the epoch; sequences restart with it
			pid, epoch, seq = intAt(end, "producer_id"), int16(e.Int), 0
		}
	}
	// read_committed sees only the committed record, read_uncommitted both.
	for isolation, want := range map[int8][]string{1: {"txn-true"}, 0: {"txn-false", "txn-true"}} {
		var values []string
		for deadline := time.Now().Add(20 * time.Second); len(values) < len(want) && time.Now().Before(deadline); {
			res := mustCall(t, func(cb connapi.Callback) {
				connapi.Fetch(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}},
					connapi.FetchOptions{MaxBytes: 1 << 20, MaxWaitMs: 200, MinBytes: 1, IsolationLevel: isolation}, cb)
			})
			values = values[:0]
			for _, r := range res.Path("topics", "0", "partitions", "0", "records").Items {
				values = append(values, strAt(r, "value"))
			}
		}
		if fmt.Sprint(values) != fmt.Sprint(want) {
			t.Fatalf("isolation %d: got %v, want %v", isolation, values, want)
		}
	}
}

func TestDeleteTopicsAndErrors(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 1)
	again := mustCall(t, func(cb connapi.Callback) {
		connapi.CreateTopics(c, []connapi.NewTopic{{Name: topic, NumPartitions: 1, ReplicationFactor: 1}}, 5000, cb)
	})
	if intAt(again, "topics", "0", "error_code") != 36 {
		t.Fatalf("creating an existing topic: %v", again)
	}
	del := mustCall(t, func(cb connapi.Callback) { connapi.DeleteTopics(c, []string{topic}, 10000, cb) })
	if intAt(del, "topics", "0", "error_code") != 0 || strAt(del, "topics", "0", "name") != topic {
		t.Fatalf("delete %v", del)
	}
	del = mustCall(t, func(cb connapi.Callback) { connapi.DeleteTopics(c, []string{topic + "-missing"}, 5000, cb) })
	if intAt(del, "topics", "0", "error_code") != 3 {
		t.Fatalf("deleting an unknown topic: %v", del)
	}
}

func TestRawRequest(t *testing.T) {
	c := mustDial(t)
	res := mustCall(t, func(cb connapi.Callback) { connapi.Raw(c, 18, 0, nil, cb) }) // ApiVersions v0, empty body
	body := res.Path("body").Bytes
	if len(body) < 6 || body[0] != 0 || body[1] != 0 {
		t.Fatalf("raw ApiVersions answer %x", body)
	}
}

func TestDisconnectFailsPending(t *testing.T) {
	c := mustDial(t)
	topic := kafkatest.CreateTopic(t, c, "conn", 1)
	errs := make(chan error, 1)
	// A fetch that waits on the broker for 5 s is surely pending when we cut.
	connapi.Fetch(c, []connapi.TopicPartition{{Topic: topic, Partition: 0, Offset: 0, LeaderEpoch: -1}},
		connapi.FetchOptions{MaxBytes: 1 << 20, MaxWaitMs: 5000, MinBytes: 1 << 20},
		func(v tree.Value, err error) {
			if err == nil {
				err = fmt.Errorf("fetch completed before the disconnect: %v", v)
			}
			errs <- err
		})
	time.Sleep(100 * time.Millisecond)
	if c.Pending() != 1 {
		t.Fatalf("pending = %d: %v", c.Pending(), <-errs)
	}
	c.Disconnect()
	if err := <-errs; !errors.Is(err, conn.ErrDisconnected) || err.Error() != "disconnected" {
		t.Fatalf("pending request ended with %v", err)
	}
	if _, err := call(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) }); !errors.Is(err, conn.ErrNotConnected) {
		t.Fatalf("request after disconnect: %v", err)
	}
}

func TestAutoReconnect(t *testing.T) {
	env := kafkatest.Brokers(t)
	host, port := kafkatest.HostPort(t, env.Brokers)
	connects := make(chan struct{}, 4)
	c := conn.New(conn.Options{AutoReconnect: true, ReconnectDelay: 100 * time.Millisecond},
		conn.Handler{OnConnect: func() { connects <- struct{}{} }})
	t.Cleanup(c.Close)
	c.Connect(host, port, 5*time.Second)
	<-connects
	// Requests made while the connection is re-established wait for it.
	c.Connect(host, port, 5*time.Second)
	res := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) })
	if len(res.Path("brokers").Items) == 0 {
		t.Fatal("metadata after reconnect is empty")
	}
}

func TestSASL(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLBrokers) == 0 {
		t.Skip("KFK_TEST_SASL_BROKERS not set")
	}
	for _, m := range []conn.SASL{
		{Mechanism: "PLAIN", Username: env.PlainUser, Password: env.PlainPass},
		{Mechanism: "SCRAM-SHA-256", Username: env.Scram256User, Password: env.Scram256Pass},
		{Mechanism: "SCRAM-SHA-512", Username: env.Scram512User, Password: env.Scram512Pass},
	} {
		c, err := dial(t, env.SASLBrokers, conn.Options{SASL: &m})
		if err != nil {
			t.Fatalf("%s: %v", m.Mechanism, err)
		}
		if md := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) }); len(md.Path("brokers").Items) == 0 {
			t.Fatalf("%s: no brokers", m.Mechanism)
		}
		bad := m
		bad.Password = "wrong-" + m.Password
		_, err = dial(t, env.SASLBrokers, conn.Options{SASL: &bad})
		if !errors.Is(err, conn.ErrSASL) {
			t.Fatalf("%s with a wrong password: %v", m.Mechanism, err)
		}
		if err != nil && containsSecret(err.Error(), bad.Password) {
			t.Fatalf("%s: the error shows the password: %v", m.Mechanism, err)
		}
	}
}

func containsSecret(s, secret string) bool {
	return len(secret) > 0 && len(s) >= len(secret) && (func() bool {
		for i := 0; i+len(secret) <= len(s); i++ {
			if s[i:i+len(secret)] == secret {
				return true
			}
		}
		return false
	})()
}

func TestTLS(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.TLSBrokers) == 0 {
		t.Skip("KFK_TEST_TLS_BROKERS not set")
	}
	pem, err := os.ReadFile(env.TLSCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := dial(t, env.TLSBrokers, conn.Options{TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatalf("TLS with the test CA: %v", err)
	}
	if md := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) }); len(md.Path("brokers").Items) == 0 {
		t.Fatal("no brokers over TLS")
	}
	// Verification is on by default: the system roots do not know the test CA.
	if _, err := dial(t, env.TLSBrokers, conn.Options{TLS: &tls.Config{}}); !errors.Is(err, conn.ErrTLS) {
		t.Fatalf("unknown CA accepted: %v", err)
	}
	// A name the certificate does not carry is refused.
	if _, err := dial(t, env.TLSBrokers, conn.Options{TLS: &tls.Config{RootCAs: pool, ServerName: "not-the-broker"}}); !errors.Is(err, conn.ErrTLS) {
		t.Fatalf("wrong host name accepted: %v", err)
	}
	if _, err := dial(t, env.TLSBrokers, conn.Options{TLS: &tls.Config{InsecureSkipVerify: true}}); err != nil {
		t.Fatalf("skip-verify: %v", err)
	}
	kafkatest.Report(t, "security", "TLS verification on by default: an unknown CA and a wrong host name are refused by the broker's listener",
		map[string]int64{"refusals checked": 2})
}

// SASL over TLS against the real broker: SCRAM and PLAIN authenticate over
// a verified TLS connection; a wrong password or an unknown CA is refused.
func TestSASLOverTLS(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLTLSBrokers) == 0 {
		t.Skip("KFK_TEST_SASL_TLS_BROKERS not set")
	}
	pem, err := os.ReadFile(env.TLSCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	refused := 0
	for _, m := range []conn.SASL{
		{Mechanism: "PLAIN", Username: env.PlainUser, Password: env.PlainPass},
		{Mechanism: "SCRAM-SHA-256", Username: env.Scram256User, Password: env.Scram256Pass},
		{Mechanism: "SCRAM-SHA-512", Username: env.Scram512User, Password: env.Scram512Pass},
	} {
		c, err := dial(t, env.SASLTLSBrokers, conn.Options{TLS: &tls.Config{RootCAs: pool}, SASL: &m})
		if err != nil {
			t.Fatalf("%s over TLS: %v", m.Mechanism, err)
		}
		if md := mustCall(t, func(cb connapi.Callback) { connapi.Metadata(c, nil, true, cb) }); len(md.Path("brokers").Items) == 0 {
			t.Fatalf("%s over TLS: no brokers", m.Mechanism)
		}
		bad := m
		bad.Password = "wrong-" + m.Password
		_, err = dial(t, env.SASLTLSBrokers, conn.Options{TLS: &tls.Config{RootCAs: pool}, SASL: &bad})
		if !errors.Is(err, conn.ErrSASL) || containsSecret(err.Error(), bad.Password) {
			t.Fatalf("%s over TLS with a wrong password: %v", m.Mechanism, err)
		}
		// Without the test CA the TLS handshake fails before any credential is sent.
		_, err = dial(t, env.SASLTLSBrokers, conn.Options{TLS: &tls.Config{}, SASL: &m})
		if !errors.Is(err, conn.ErrTLS) {
			t.Fatalf("%s over TLS with an unknown CA: %v", m.Mechanism, err)
		}
		refused += 2
	}
	kafkatest.Report(t, "security", "PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over TLS against the broker; wrong password and unknown CA refused, no password in errors",
		map[string]int64{"mechanisms": 3, "refusals checked": int64(refused)})
}
