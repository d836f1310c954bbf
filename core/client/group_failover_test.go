package client_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// The scenario of TestGroupCommitsThroughCoordinatorKills: a topic of
// killPartitions partitions holding killRecords records, committed every
// killCommitEvery.
const (
	killPartitions  = 6
	killRecords     = 24000
	killCommitEvery = 1000
)

// On the 3-node cluster a group (one member, then two, then two
// cooperative ones) with auto_commit
// off works through a topic of 6 partitions, committing after every 1,000
// records, while the group coordinator's node is killed (SIGKILL) and
// restarted 5 s later, twice. A coordinator move is no rebalance: the
// members keep their generations and partitions, every commit() succeeds,
// the committed offsets end at each partition's end, and no partition
// gives back more than one commit interval of records.
func TestGroupCommitsThroughCoordinatorKills(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	a := dialAny(t, brokers)
	topic := kafkatest.UniqueTopic(t, "coordinator-kill")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: killPartitions, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "2"}}}, 20000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	waitForLeader(t, a, topic)
	p := kafkatest.Client(t, brokers, client.Handler{}, "idempotent", "1", "linger_ms", "5")
	var col collector
	for i := 0; i < killRecords; i++ {
		for p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % killPartitions),
			Value: []byte(fmt.Sprint(i))}, col.fn()) != nil {
			time.Sleep(time.Millisecond) // the buffer is full: let it drain
		}
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}

	for _, run := range []struct {
		members  int
		assignor string
	}{{1, "sticky"}, {2, "sticky"}, {2, "cooperative-sticky"}} {
		t.Run(fmt.Sprintf("members=%d,%s", run.members, run.assignor), func(t *testing.T) {
			group := kafkatest.UniqueTopic(t, "coordinator-kill-group")
			commitThroughKills(t, brokers, topic, group, run.members, run.assignor)
			checkCommittedEnds(t, brokers, topic, group, killRecords/killPartitions, killPartitions)
		})
	}
}

// commitThroughKills runs the scenario of TestGroupCommitsThroughCoordinatorKills
// with members members of group (with assignor) polled in turn, until
// every record of topic was processed and committed.
func commitThroughKills(t *testing.T, brokers []string, topic, group string, members int, assignor string) {
	var logMu sync.Mutex
	var rejoins []string // group log lines of rejoins and assignments
	onLog := func(e obs.Entry) {
		if strings.Contains(e.Message, "rejoining") || strings.Contains(e.Message, "assigned") {
			logMu.Lock()
			rejoins = append(rejoins, e.Message)
			logMu.Unlock()
		}
	}
	type member struct {
		c           *client.Client
		sinceCommit int
	}
	ms := make([]*member, members)
	for i := range ms {
		c := kafkatest.Client(t, brokers, client.Handler{OnLog: onLog}, "metadata_refresh", "1", "max_poll_records", "200",
			"debug", "group", "log_level", "info")
		if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, AutoOffsetReset: "earliest",
			HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 30 * time.Second, Assignor: assignor}); err != nil {
			t.Fatal(err)
		}
		ms[i] = &member{c: c}
	}
	commit := func(c *client.Client) error {
		done := make(chan error, 1)
		c.Commit(func(err error) { done <- err })
		return <-done
	}
	// coordinator asks a live broker which node coordinates the group.
	coordinator := func() int {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			r := kafkatest.Call(t, func(cb connapi.Callback) { connapi.FindCoordinator(dialAny(t, brokers), group, 0, cb) })
			if r.Path("error_code").Int == 0 && r.Path("node_id").Int > 0 {
				return int(r.Path("node_id").Int)
			}
		}
		t.Fatal("the group has no coordinator")
		return -1
	}
	// kill stops the coordinator's node and restarts it 5 s later; the
	// returned channel closes once it serves again.
	kill := func() chan struct{} {
		node := coordinator()
		kafkatest.NodeStop(t, node, true)
		t.Logf("killed the coordinator, node %d", node)
		restarted := make(chan struct{})
		go func() {
			defer close(restarted)
			time.Sleep(5 * time.Second) // the outage, part of the scenario
			kafkatest.NodeStart(t, node)
		}()
		return restarted
	}
	// settled: every partition has its owner; the generations from then
	// on may not move.
	settled := func() []int32 {
		owned, gens := 0, make([]int32, len(ms))
		for i, m := range ms {
			_, gen, parts := m.c.GroupState()
			owned += len(parts)
			gens[i] = gen
			if len(parts) == 0 {
				return nil
			}
		}
		if owned != killPartitions {
			return nil
		}
		return gens
	}

	seen := make([]map[int64]int, killPartitions)
	for i := range seen {
		seen[i] = map[int64]int{}
	}
	unique, commits, failedCommits := 0, 0, 0
	var generations []int32
	var restarted []chan struct{}
	for deadline := time.Now().Add(4 * time.Minute); unique < killRecords && time.Now().Before(deadline); {
		for _, m := range ms {
			done := make(chan struct{})
			m.c.Poll(0, func(msgs []client.Message) {
				for _, x := range msgs {
					// Record i went to partition i%6 at offset i/6: every
					// byte handed over is checked.
					if want := fmt.Sprint(x.Offset*killPartitions + int64(x.Partition)); string(x.Value) != want {
						t.Errorf("partition %d offset %d: value %q, produced %q", x.Partition, x.Offset, x.Value, want)
					}
					if seen[x.Partition][x.Offset]++; seen[x.Partition][x.Offset] == 1 {
						unique++
					}
				}
				m.sinceCommit += len(msgs)
			}, func(int, error) { close(done) })
			<-done
			if m.sinceCommit >= killCommitEvery {
				commits++
				if err := commit(m.c); err != nil {
					failedCommits++
					t.Errorf("commit %d: %v", commits, err)
				}
				m.sinceCommit = 0
			}
		}
		if generations == nil {
			if generations = settled(); generations != nil {
				logMu.Lock()
				rejoins = nil
				logMu.Unlock()
			}
		}
		// The first kill at a quarter; the second at half, once the first
		// node is back; the end only after the second is back too.
		switch {
		case len(restarted) == 0 && unique >= killRecords/4:
			restarted = append(restarted, kill())
		case len(restarted) == 1 && unique >= killRecords/2:
			<-restarted[0]
			restarted = append(restarted, kill())
		}
		if unique >= killRecords && len(restarted) == 2 {
			<-restarted[1]
		}
	}
	if unique != killRecords {
		t.Fatalf("processed %d of %d records", unique, killRecords)
	}
	for _, m := range ms {
		if err := commit(m.c); err != nil {
			t.Fatalf("final commit: %v", err)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	t.Logf("%d commits (%d failed); rejoins and assignments once settled: %q", commits, failedCommits, rejoins)
	if now := settled(); fmt.Sprint(now) != fmt.Sprint(generations) || len(rejoins) > 0 {
		t.Errorf("generations went from %v to %v: a coordinator move made a member rejoin", generations, now)
	}
	for part, offs := range seen {
		again := 0
		for _, times := range offs {
			again += times - 1
		}
		if again > killCommitEvery {
			t.Errorf("partition %d: %d records delivered again, more than one commit interval (%d)", part, again, killCommitEvery)
		}
	}
}

// checkCommittedEnds: group's committed offset of each partition of topic
// is its end, as another client reads it.
func checkCommittedEnds(t *testing.T, brokers []string, topic, group string, end int64, partitions int) {
	lag := make(chan tree.Value, 1)
	kafkatest.Client(t, brokers, client.Handler{}).GroupLag(group, func(v tree.Value, err error) {
		if err != nil {
			t.Error(err)
		}
		lag <- v
	})
	v := <-lag
	for part := 0; part < partitions; part++ {
		if got := v.Path(fmt.Sprintf("%s:%d", topic, part), "committed").Int; got != end {
			t.Errorf("partition %d: committed offset %d, want its end %d", part, got, end)
		}
	}
}

// A transactional consume-transform-produce loop (read_committed input, a
// group, offsets committed in each transaction) on the 3-node cluster,
// while the group coordinator's node and then the transaction
// coordinator's node are killed and restarted 5 s later. A processor that
// gets an error it cannot ride out starts over as a restarted process
// would (same transactional id and static member). The output read with
// read_committed holds every input record exactly once.
func TestExactlyOnceThroughCoordinatorKills(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	a := dialAny(t, brokers)
	topics := []string{kafkatest.UniqueTopic(t, "eos-kill-in"), kafkatest.UniqueTopic(t, "eos-kill-out")}
	for _, topic := range topics {
		res := kafkatest.Call(t, func(cb connapi.Callback) {
			connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 3, ReplicationFactor: 3,
				Config: map[string]string{"min.insync.replicas": "2"}}}, 20000, cb)
		})
		if code := res.Path("topics", "0", "error_code").Int; code != 0 {
			t.Fatalf("create topic: %d", code)
		}
		waitForLeader(t, a, topic)
	}
	in, out := topics[0], topics[1]
	const records, perTxn = 3000, 50
	p := kafkatest.Client(t, brokers, client.Handler{}, "idempotent", "1", "linger_ms", "5")
	var col collector
	for i := 0; i < records; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: in, Partition: -1, Key: []byte(fmt.Sprint(i)),
			Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}
	txnID, group := kafkatest.UniqueTopic(t, "eos-kill-txn"), kafkatest.UniqueTopic(t, "eos-kill-group")
	// progress is how many input records the group has committed.
	progress := func() int64 {
		lag, err := adminCall(t, func(cb func(tree.Value, error)) { p.GroupLag(group, cb) })
		if err != nil {
			return -1 // the coordinator is moving: ask again later
		}
		var sum int64
		for i := 1; i < len(lag.Items); i += 2 { // a map's items: key, value, ...
			sum += lag.Items[i].Path("committed").Int
		}
		return sum
	}
	// kill stops the node coordinating key (keyType 0 group, 1 transaction)
	// and restarts it 5 s later; the channel closes once it serves again.
	kill := func(key string, keyType int8) chan struct{} {
		var node int64
		for deadline := time.Now().Add(60 * time.Second); node <= 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			r := kafkatest.Call(t, func(cb connapi.Callback) { connapi.FindCoordinator(dialAny(t, brokers), key, keyType, cb) })
			if r.Path("error_code").Int == 0 {
				node = r.Path("node_id").Int
			}
		}
		kafkatest.NodeStop(t, int(node), true)
		t.Logf("killed node %d, the %s coordinator", node, map[int8]string{0: "group", 1: "transaction"}[keyType])
		restarted := make(chan struct{})
		go func() {
			defer close(restarted)
			time.Sleep(5 * time.Second) // the outage, part of the scenario
			kafkatest.NodeStart(t, int(node))
		}()
		return restarted
	}

	var restarted []chan struct{}
	done := int64(0) // input records committed, as this test last counted them
	// run is one processor's life: it returns when every input record is
	// committed, or with the first error it cannot ride out.
	run := func() error {
		c := kafkatest.OpenClient(t, brokers, client.Handler{}, "transactional_id", txnID, "isolation_level", "read_committed",
			"linger_ms", "5", "max_poll_records", fmt.Sprint(perTxn), "metadata_refresh", "1")
		defer kafkatest.CloseClient(t, c)
		if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{in}, InstanceID: "processor",
			AutoOffsetReset: "earliest", SessionTimeout: 30 * time.Second, HeartbeatInterval: 300 * time.Millisecond}); err != nil {
			return err
		}
		for done < records {
			var batch []client.Message
			polled := make(chan struct{})
			c.Poll(0, func(ms []client.Message) { batch = append(batch, ms...) }, func(int, error) { close(polled) })
			<-polled
			if len(batch) == 0 {
				if n := progress(); n >= 0 {
					done = n
				}
				continue
			}
			if err := c.BeginTransaction(); err != nil {
				return err
			}
			next := map[int32]int64{}
			for _, m := range batch {
				rec := client.Record{Timestamp: client.TimestampNow, Topic: out, Partition: m.Partition, Key: m.Key,
					Value: append([]byte("out-"), m.Value...)}
				if err := c.Produce(rec, nil); err != nil {
					return err
				}
				next[m.Partition] = m.Offset + 1
			}
			var offsets []client.Assignment
			for part, off := range next {
				offsets = append(offsets, client.Assignment{Topic: in, Partition: part, Offset: off})
			}
			if err := end(t, func(cb func(error)) { c.SendOffsetsToTransaction(group, offsets, cb) }); err != nil {
				return err
			}
			if err := end(t, c.CommitTransaction); err != nil {
				return err
			}
			done += int64(len(batch))
			switch {
			case len(restarted) == 0 && done >= records/3:
				restarted = append(restarted, kill(group, 0))
			case len(restarted) == 1 && done >= 2*records/3:
				<-restarted[0]
				restarted = append(restarted, kill(txnID, 1))
			}
		}
		return nil
	}
	starts := 0
	for deadline := time.Now().Add(4 * time.Minute); done < records && time.Now().Before(deadline); {
		starts++
		if err := run(); err != nil {
			t.Logf("processor %d stopped: %v; starting another", starts, err)
		}
	}
	for _, r := range restarted {
		<-r
	}
	if done < records {
		t.Fatalf("%d of %d input records committed", done, records)
	}

	reader := kafkatest.Client(t, brokers, client.Handler{}, "isolation_level", "read_committed")
	seen, total := readCommittedOutput(reader, out, 3, records, 60*time.Second)
	var wrong []string
	for i := 0; i < records; i++ {
		if k := seen[fmt.Sprintf("out-%d", i)]; k != 1 {
			wrong = append(wrong, fmt.Sprintf("%d×%d", i, k))
		}
	}
	if len(wrong) > 0 || total != records {
		t.Fatalf("%d records read committed for %d inputs; not exactly once: %.30v", total, records, wrong)
	}
	t.Logf("%d records exactly once through %d coordinator kills, with %d processor starts", records, len(restarted), starts)
}
