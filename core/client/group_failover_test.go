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

// On the 3-node cluster a group member with auto_commit off works through
// a topic of 6 partitions, committing after every commitEvery records,
// while the group coordinator's node is killed (SIGKILL) and restarted
// 5 s later, twice. A coordinator move is no rebalance: the member keeps
// its generation and partitions, every commit() succeeds, the committed
// offsets end at each partition's end, and no partition gives back more
// than one commit interval of records.
func TestGroupCommitsThroughCoordinatorKills(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	a := dialAny(t, brokers)
	topic := kafkatest.UniqueTopic(t, "coordinator-kill")
	const partitions, n, commitEvery = 6, 24000, 1000
	res := call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: partitions, ReplicationFactor: 3,
			Config: map[string]string{"min.insync.replicas": "2"}}}, 20000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: %d", code)
	}
	waitForLeader(t, a, topic)
	p := kafkatest.Client(t, brokers, client.Handler{}, "idempotent", "1", "linger_ms", "5")
	var col collector
	for i := 0; i < n; i++ {
		for p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % partitions),
			Value: []byte(fmt.Sprint(i))}, col.fn()) != nil {
			time.Sleep(time.Millisecond) // the buffer is full: let it drain
		}
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}

	var logMu sync.Mutex
	var rejoins []string // group log lines of rejoins and assignments
	onLog := func(e obs.Entry) {
		if strings.Contains(e.Message, "rejoining") || strings.Contains(e.Message, "assigned") {
			logMu.Lock()
			rejoins = append(rejoins, e.Message)
			logMu.Unlock()
		}
	}
	group := kafkatest.UniqueTopic(t, "coordinator-kill-group")
	c := kafkatest.Client(t, brokers, client.Handler{OnLog: onLog}, "metadata_refresh", "1", "max_poll_records", "200",
		"debug", "group", "log_level", "info")
	if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, AutoOffsetReset: "earliest",
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	commit := func() error {
		done := make(chan error, 1)
		c.Commit(func(err error) { done <- err })
		return <-done
	}
	// coordinator asks a live broker which node coordinates the group.
	coordinator := func() int {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			r := call(t, func(cb connapi.Callback) { connapi.FindCoordinator(dialAny(t, brokers), group, 0, cb) })
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

	seen := make([]map[int64]int, partitions)
	for i := range seen {
		seen[i] = map[int64]int{}
	}
	unique, sinceCommit, commits, failedCommits := 0, 0, 0, 0
	generation := int32(-1)
	var restarted []chan struct{}
	for deadline := time.Now().Add(4 * time.Minute); unique < n && time.Now().Before(deadline); {
		done := make(chan struct{})
		c.Poll(func(ms []client.Message) {
			for _, m := range ms {
				// Record i went to partition i%6 at offset i/6: every byte
				// handed over is checked, rebalances and failovers or not.
				if want := fmt.Sprint(m.Offset*partitions + int64(m.Partition)); string(m.Value) != want {
					t.Errorf("partition %d offset %d: value %q, produced %q", m.Partition, m.Offset, m.Value, want)
				}
				if seen[m.Partition][m.Offset]++; seen[m.Partition][m.Offset] == 1 {
					unique++
				}
			}
			sinceCommit += len(ms)
		}, func(int, error) { close(done) })
		<-done
		if generation < 0 {
			if _, gen, owned := c.GroupState(); len(owned) == partitions {
				generation = gen // assigned: from here on, nothing may move it
				logMu.Lock()
				rejoins = nil
				logMu.Unlock()
			}
		}
		if sinceCommit >= commitEvery {
			commits++
			if err := commit(); err != nil {
				failedCommits++
				t.Errorf("commit %d: %v", commits, err)
			}
			sinceCommit = 0
		}
		// The first kill at a quarter; the second at half, once the first
		// node is back; the end only after the second is back too.
		switch {
		case len(restarted) == 0 && unique >= n/4:
			restarted = append(restarted, kill())
		case len(restarted) == 1 && unique >= n/2:
			<-restarted[0]
			restarted = append(restarted, kill())
		}
		if unique >= n && len(restarted) == 2 {
			<-restarted[1]
		}
	}
	if unique != n {
		t.Fatalf("processed %d of %d records", unique, n)
	}
	if err := commit(); err != nil {
		t.Fatalf("final commit: %v", err)
	}
	_, lastGeneration, owned := c.GroupState()
	logMu.Lock()
	defer logMu.Unlock()
	t.Logf("%d commits (%d failed); rejoins and assignments after the first: %q", commits, failedCommits, rejoins)
	if lastGeneration != generation || len(owned) != partitions || len(rejoins) > 0 {
		t.Errorf("the member went from generation %d to %d (owning %d partitions): a coordinator move made it rejoin",
			generation, lastGeneration, len(owned))
	}
	for part, offs := range seen {
		again := 0
		for _, times := range offs {
			again += times - 1
		}
		if again > commitEvery {
			t.Errorf("partition %d: %d records delivered again, more than one commit interval (%d)", part, again, commitEvery)
		}
	}

	// What the group committed, as a new member (or another client) reads it.
	lag := make(chan tree.Value, 1)
	kafkatest.Client(t, brokers, client.Handler{}).GroupLag(group, func(v tree.Value, err error) {
		if err != nil {
			t.Error(err)
		}
		lag <- v
	})
	v := <-lag
	for part := 0; part < partitions; part++ {
		got := v.Path(fmt.Sprintf("%s:%d", topic, part), "committed").Int
		if want := int64(n / partitions); got != want {
			t.Errorf("partition %d: committed offset %d, want its end %d", part, got, want)
		}
	}
}
