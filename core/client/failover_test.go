package client_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// On the 3-node cluster, the leader of the partition is killed (SIGKILL)
// in the middle of an idempotent acks=all produce stream, then restarted.
// Every record must be acknowledged once and stored exactly once, in order.
func TestLeaderKilledDuringIdempotentProduce(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	c := kafkatest.Client(t, brokers, client.Handler{}, "idempotent", "1", "linger_ms", "5", "batch_size", "4096",
		"metadata_refresh", "1")

	a := dialAny(t, brokers)
	topic := kafkatest.UniqueTopic(t, "failover")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 1, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "2"}}}, 20000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	leader := waitForLeader(t, a, topic)

	const n = 20000
	var col collector
	killAt, restartAt := n/4, n/2
	for i := 0; i < n; i++ {
		for {
			err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("%06d", i))}, col.fn())
			if err == nil {
				break
			}
			time.Sleep(time.Millisecond) // queue full while the cluster recovers
		}
		switch i {
		case killAt:
			kafkatest.NodeStop(t, int(leader), true)
		case restartAt:
			kafkatest.NodeStart(t, int(leader))
		}
		if i%500 == 0 {
			time.Sleep(10 * time.Millisecond) // a steady stream, not one burst
		}
	}
	reports := col.wait(t)
	for _, d := range reports {
		if d.Err != nil {
			t.Fatalf("record lost: %v", d.Err)
		}
	}
	// The admin connection may have been to the killed node: open another.
	newLeader := waitForLeader(t, dialAny(t, brokers), topic)
	reader := dialAny(t, []string{brokers[newLeader-1]})
	recs := fetchAll(t, reader, topic, 0)
	if len(recs) != n {
		t.Fatalf("stored %d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if got := string(r.Path("value").Bytes); got != fmt.Sprintf("%06d", i) {
			t.Fatalf("record at offset %d is %s: duplicated or out of order", i, got)
		}
	}
	t.Logf("leader %d killed at record %d and restarted at %d; %d records stored once, in order", leader, killAt, restartAt, n)
}

// dialAny connects to the first of addrs that answers.
func dialAny(t *testing.T, addrs []string) *conn.Conn {
	t.Helper()
	for _, addr := range addrs {
		host, port := kafkatest.HostPort(t, []string{addr})
		ready := make(chan error, 1)
		c := conn.New(conn.Options{}, conn.Handler{OnConnect: func() { ready <- nil }, OnError: func(err error) { ready <- err }})
		c.Connect(host, port, 5*time.Second)
		if err := <-ready; err == nil {
			t.Cleanup(c.Close)
			return c
		}
		c.Close()
	}
	t.Fatal("no broker of the cluster answers")
	return nil
}

// waitForLeader returns the node id leading partition 0, once one does.
func waitForLeader(t *testing.T, a *conn.Conn, topic string) int32 {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		md := kafkatest.Call(t, func(cb connapi.Callback) { connapi.Metadata(a, []string{topic}, false, cb) })
		p := md.Path("topics", "0", "partitions", "0")
		if p.Path("error_code").Int == 0 && p.Path("leader").Int > 0 && len(p.Path("isr").Items) >= 2 {
			return int32(p.Path("leader").Int)
		}
	}
	t.Fatal("partition has no leader")
	return -1
}

// On the 3-node cluster, the leader of the partition being consumed is
// killed mid-stream: the consumer follows the new leader and reads every
// record once, in order, including ones written after the move.
func TestConsumerFollowsLeaderMove(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	newClusterClient := func(kv ...string) *client.Client {
		return kafkatest.Client(t, brokers, client.Handler{}, append([]string{"metadata_refresh", "1"}, kv...)...)
	}
	a := dialAny(t, brokers)
	topic := kafkatest.UniqueTopic(t, "consumer-failover")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 1, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "2"}}}, 20000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	leader := waitForLeader(t, a, topic)

	p := newClusterClient("idempotent", "1", "linger_ms", "2")
	produce := func(from, to int) error {
		var col collector
		for i := from; i < to; i++ {
			for p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("%06d", i))}, col.fn()) != nil {
				time.Sleep(time.Millisecond)
			}
		}
		col.wg.Wait()
		for _, d := range col.got {
			if d.Err != nil {
				return d.Err
			}
		}
		return nil
	}
	const before, after = 6000, 2000
	if err := produce(0, before); err != nil {
		t.Fatal(err)
	}

	// Small fetches so the stream is still being read when the leader dies.
	c := newClusterClient("fetch_max_bytes", "8192", "fetch_partition_max_bytes", "8192", "fetch_max_wait_ms", "100")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	next := 0
	check := func(ms []client.Message) {
		for _, m := range ms {
			if got := string(m.Value); got != fmt.Sprintf("%06d", next) || m.Offset != int64(next) {
				t.Errorf("record %q at offset %d, want %06d", got, m.Offset, next)
			}
			next++
		}
	}
	killed, produced := false, make(chan error, 1)
	for deadline := time.Now().Add(90 * time.Second); next < before+after && time.Now().Before(deadline); {
		done := make(chan struct{})
		c.Poll(0, check, func(int, error) { close(done) })
		<-done
		if !killed && next >= before/3 {
			kafkatest.NodeStop(t, int(leader), true)
			killed = true
			go func() { produced <- produce(before, before+after) }() // onto the new leader
		}
	}
	kafkatest.NodeStart(t, int(leader))
	if killed {
		if err := <-produced; err != nil {
			t.Fatalf("producing after the move: %v", err)
		}
	}
	if !killed || next != before+after {
		t.Fatalf("read %d records of %d (leader %d killed: %v)", next, before+after, leader, killed)
	}
}
