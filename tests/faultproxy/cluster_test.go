package faultproxy_test

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// Broker faults on the 3-node cluster: nodes restarted one by one and
// leaders and coordinators killed (SIGKILL) while clients work, with
// every record counted. KFK_TEST_SKIP_CLUSTER=1 skips them.

func cluster(t *testing.T) []string {
	t.Helper()
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	return kafkatest.Cluster(t)
}

// anyNode is a raw connection to the first node of brokers that answers;
// a node may be down, so tests open a fresh one after each fault.
func anyNode(t *testing.T, brokers []string) *conn.Conn {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, addr := range brokers {
			ready := make(chan error, 1)
			host, port := kafkatest.HostPort(t, []string{addr})
			c := conn.New(conn.Options{RequestTimeout: 10 * time.Second},
				conn.Handler{OnConnect: func() { ready <- nil }, OnError: func(err error) { ready <- err }})
			c.Connect(host, port, 5*time.Second)
			if <-ready == nil {
				t.Cleanup(c.Close)
				return c
			}
			c.Close()
		}
	}
	t.Fatal("no node of the cluster answers")
	return nil
}

// replicatedTopic creates a topic with replication factor 3 and
// min.insync.replicas 2 and waits until every partition has a leader and
// an ISR of at least two.
func replicatedTopic(t *testing.T, brokers []string, partitions int32) string {
	t.Helper()
	name := kafkatest.UniqueTopic(t, "cluster")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(anyNode(t, brokers), []connapi.NewTopic{{Name: name, NumPartitions: partitions, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "2"}}}, 30000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	leaderOf(t, brokers, name, 0)
	return name
}

// leaderOf waits until the partition has a leader with an ISR of at least
// two and returns the leader's node number.
func leaderOf(t *testing.T, brokers []string, topic string, partition int) int {
	t.Helper()
	a := anyNode(t, brokers)
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		md := kafkatest.Call(t, func(cb connapi.Callback) { connapi.Metadata(a, []string{topic}, false, cb) })
		ready, leader := true, 0
		for i, p := range md.Path("topics", "0", "partitions").Items {
			ok := p.Path("error_code").Int == 0 && p.Path("leader").Int > 0 && len(p.Path("isr").Items) >= 2
			ready = ready && ok
			if i == partition {
				leader = int(p.Path("leader").Int)
			}
		}
		if ready && leader > 0 {
			return leader
		}
	}
	t.Fatalf("%s has no leader with an ISR of two", topic)
	return -1
}

// coordinatorOf returns the node coordinating key (a group or a
// transactional id).
func coordinatorOf(t *testing.T, brokers []string, key string, keyType int8) int {
	t.Helper()
	a := anyNode(t, brokers)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		r := kafkatest.Call(t, func(cb connapi.Callback) { connapi.FindCoordinator(a, key, keyType, cb) })
		if r.Path("error_code").Int == 0 && r.Path("node_id").Int > 0 {
			return int(r.Path("node_id").Int)
		}
	}
	t.Fatalf("no coordinator for %s", key)
	return -1
}

// counted checks what a consumer is handed against "P-SEQ" values: per
// partition, each sequence number once and in order.
type counted struct {
	mu    sync.Mutex
	next  map[int32]int
	total int
	err   error
}

func (c *counted) add(ms []client.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range ms {
		want := fmt.Sprintf("%d-%07d", m.Partition, c.next[m.Partition])
		if string(m.Value) != want && c.err == nil {
			c.err = fmt.Errorf("partition %d offset %d holds %q, want %q: lost, duplicated or reordered", m.Partition, m.Offset, m.Value, want)
		}
		c.next[m.Partition]++
		c.total++
	}
}

func (c *counted) state() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total, c.err
}

// An idempotent acks=all producer and an assigned consumer work through a
// rolling restart of all three nodes, then two SIGKILLs of the leader of
// partition 0 (each restarted). Every record is acknowledged and consumed
// exactly once, in order per partition. KFK_FAULT_MESSAGES sets the count
// (100,000 by default; 1,000,000 for the long run).
func TestRollingRestartAndLeaderKillsUnderLoad(t *testing.T) {
	brokers := cluster(t)
	const partitions = 3
	topic := replicatedTopic(t, brokers, partitions)
	n := messages(t, 100000)
	p := newClient(t, brokers, "idempotent", "1", "acks", "-1", "linger_ms", "10", "metadata_refresh", "1",
		"delivery_timeout_ms", "600000", "max_buffered_messages", "200000")
	c := newClient(t, brokers, "metadata_refresh", "1", "fetch_max_wait_ms", "100")
	var assign []client.Assignment
	for i := int32(0); i < partitions; i++ {
		assign = append(assign, client.Assignment{Topic: topic, Partition: i, Offset: client.OffsetEarliest})
	}
	c.Assign(assign)

	faultsDone := make(chan struct{})
	var d deliveries
	produced := make(chan struct{})
	go func() { // paced while the faults run: the stream must span them
		defer close(produced)
		start, seq := time.Now(), make([]int, partitions)
		for i := 0; i < n; i++ {
			select {
			case <-faultsDone:
			default:
				for float64(i) > float64(n)*time.Since(start).Seconds()/90 {
					time.Sleep(5 * time.Millisecond)
				}
			}
			part := i % partitions
			rec := client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(part), Value: []byte(fmt.Sprintf("%d-%07d", part, seq[part]))}
			for p.Produce(rec, d.fn()) != nil {
				d.wg.Done()
				time.Sleep(time.Millisecond)
			}
			seq[part]++
		}
	}()
	got := &counted{next: map[int32]int{}}
	stopConsumer, consumed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(consumed)
		for {
			select {
			case <-stopConsumer:
				return
			default:
			}
			if total, _ := got.state(); total >= n {
				return
			}
			done := make(chan struct{})
			c.Poll(0, got.add, func(int, error) { close(done) })
			select {
			case <-done:
			case <-time.After(2 * time.Minute):
				got.mu.Lock()
				got.err = fmt.Errorf("a poll never completed")
				got.mu.Unlock()
				return
			}
		}
	}()

	faults := 0
	for node := 1; node <= 3; node++ { // rolling restart, clean shutdowns
		kafkatest.NodeStop(t, node, false)
		time.Sleep(2 * time.Second)
		kafkatest.NodeStart(t, node)
		faults++
		leaderOf(t, brokers, topic, 0)
	}
	for i := 0; i < 2; i++ { // the leader of partition 0, SIGKILL
		leader := leaderOf(t, brokers, topic, 0)
		kafkatest.NodeStop(t, leader, true)
		time.Sleep(3 * time.Second)
		kafkatest.NodeStart(t, leader)
		faults++
	}
	close(faultsDone)
	<-produced
	if failed := d.wait(t, 10*time.Minute); len(failed) > 0 {
		t.Fatalf("%d of %d records failed; first: %v", len(failed), n, failed[0])
	}
	select {
	case <-consumed:
	case <-time.After(10 * time.Minute):
		close(stopConsumer)
		<-consumed
	}
	total, err := got.state()
	if err != nil {
		t.Fatal(err)
	}
	if total != n {
		t.Fatalf("consumed %d of %d records", total, n)
	}
	kafkatest.Report(t, "broker faults (3-node cluster)",
		"rolling restart of all three nodes, then two SIGKILLs of a partition leader, under produce (idempotent, acks=all) and consume load: every record acknowledged and consumed once, in order",
		map[string]int64{"messages checked": int64(n), "node restarts and kills": int64(faults)})
}

// Two members of a consumer group read while their group coordinator is
// killed (SIGKILL) and restarted: the group moves to a new coordinator and
// every record is handed over (duplicates allowed by at-least-once, and
// counted).
func TestGroupCoordinatorKilled(t *testing.T) {
	brokers := cluster(t)
	const partitions = 3
	topic := replicatedTopic(t, brokers, partitions)
	n := messages(t, 100000) / 4
	per := fill(t, brokers, topic, partitions, n)
	groupID := kafkatest.UniqueTopic(t, "group")

	s := newSeen()
	var mu sync.Mutex
	members := make([]*client.Client, 2)
	for i := range members {
		members[i] = newClient(t, brokers, "metadata_refresh", "1", "fetch_max_bytes", "4096",
			"fetch_partition_max_bytes", "2048", "fetch_max_wait_ms", "100", "max_poll_records", "100")
		err := members[i].Subscribe(client.GroupOptions{GroupID: groupID, Topics: []string{topic}, AutoCommit: true,
			AutoCommitInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second,
			HeartbeatInterval: time.Second, AutoOffsetReset: "earliest"})
		if err != nil {
			t.Fatal(err)
		}
	}
	progress := func() int { mu.Lock(); defer mu.Unlock(); return s.total }
	// Half way through, the members wait until the coordinator has been
	// killed, so that the kill always lands mid-stream, however fast this
	// machine reads.
	killed := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if progress() >= n/2 {
					select {
					case <-killed:
					case <-stop:
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				done := make(chan struct{})
				var got int
				m.Poll(0, func(ms []client.Message) { mu.Lock(); s.add(ms); mu.Unlock(); got += len(ms) }, func(int, error) { close(done) })
				<-done
				// About 2,000 records a second per member, so the stream
				// spans the kill on any machine.
				time.Sleep(time.Duration(got)*500*time.Microsecond + 10*time.Millisecond)
			}
		}()
	}
	for deadline := time.Now().Add(2 * time.Minute); progress() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	coordinator := coordinatorOf(t, brokers, groupID, connapi.KeyTypeGroup)
	kafkatest.NodeStop(t, coordinator, true)
	killedAt := progress()
	close(killed)
	time.Sleep(3 * time.Second)
	kafkatest.NodeStart(t, coordinator)
	for deadline := time.Now().Add(5 * time.Minute); progress() < n && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if gaps := s.gaps(per); len(gaps) > 0 {
		t.Fatalf("read %d of %d; never handed over: %v", s.total, n, gaps)
	}
	if len(s.bad) > 0 {
		t.Fatalf("wrong values: %v", s.bad)
	}
	if killedAt >= n {
		t.Fatalf("the coordinator died after everything was read: the test proved nothing")
	}
	// At-least-once allows re-reads, but a revoke's commit that gives up on
	// a loading coordinator once made these members re-read half the topic.
	if s.dup > n/5 {
		t.Fatalf("%d duplicates of %d records: commits are being lost", s.dup, n)
	}
	kafkatest.Report(t, "broker faults (3-node cluster)", "group coordinator killed (SIGKILL) and restarted under two consuming members: no gaps",
		map[string]int64{"messages checked": int64(n), "coordinator kills": 1, "duplicates (at-least-once)": int64(s.dup)})
}

// A transactional producer commits (and every fourth time aborts)
// transactions while its transaction coordinator is killed and restarted.
// A read_committed consumer then sees exactly the committed records, once
// each, in order.
func TestTransactionCoordinatorKilled(t *testing.T) {
	brokers := cluster(t)
	topic := replicatedTopic(t, brokers, 1)
	txnID := kafkatest.UniqueTopic(t, "txn")
	p := newClient(t, brokers, "transactional_id", txnID, "linger_ms", "5", "metadata_refresh", "1",
		"delivery_timeout_ms", "120000", "transaction_timeout_ms", "60000")
	const txns, per = 40, 250
	end := func(commit bool) error {
		done := make(chan error, 1)
		if commit {
			p.CommitTransaction(func(err error) { done <- err })
		} else {
			p.AbortTransaction(func(err error) { done <- err })
		}
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Minute):
			t.Fatal("ending a transaction never completed")
			return nil
		}
	}
	var want []string
	killed, down := false, 0
	defer func() {
		if down > 0 { // the test failed before the restart
			kafkatest.NodeStart(t, down)
		}
	}()
	for i := 0; i < txns; i++ {
		if err := p.BeginTransaction(); err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		commit := i%4 != 3
		for j := 0; j < per; j++ {
			v := fmt.Sprintf("%03d-%04d", i, j)
			p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(v)}, nil)
			if commit {
				want = append(want, v)
			}
		}
		if i == txns/3 {
			down = coordinatorOf(t, brokers, txnID, connapi.KeyTypeTxn)
			kafkatest.NodeStop(t, down, true)
			killed = true
		}
		if err := end(commit); err != nil {
			t.Fatalf("transaction %d (commit %v) after the coordinator was killed: %v", i, commit, err)
		}
		if i == txns/3+3 {
			kafkatest.NodeStart(t, down)
			down = 0
		}
	}
	if !killed {
		t.Fatal("the coordinator was never killed")
	}
	c := newClient(t, brokers, "isolation_level", "read_committed", "metadata_refresh", "1")
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	var got []string
	for deadline := time.Now().Add(3 * time.Minute); len(got) < len(want) && time.Now().Before(deadline); {
		done := make(chan struct{})
		c.Poll(0, func(ms []client.Message) {
			for _, m := range ms {
				got = append(got, string(m.Value))
			}
		}, func(int, error) { close(done) })
		<-done
	}
	if len(got) != len(want) {
		t.Fatalf("read_committed consumer saw %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d is %s, want %s", i, got[i], want[i])
		}
	}
	kafkatest.Report(t, "broker faults (3-node cluster)", "transaction coordinator killed (SIGKILL) mid-stream: every later transaction commits or aborts, read_committed sees exactly the committed records in order",
		map[string]int64{"messages checked": int64(len(want)), "transactions": txns, "coordinator kills": 1})
}
