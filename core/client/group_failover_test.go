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

// On the 3-node cluster a group (one member, then two) with auto_commit
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
	res := call(t, func(cb connapi.Callback) {
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

	for _, members := range []int{1, 2} {
		t.Run(fmt.Sprintf("members=%d", members), func(t *testing.T) {
			group := kafkatest.UniqueTopic(t, "coordinator-kill-group")
			commitThroughKills(t, brokers, topic, group, members)
			checkCommittedEnds(t, brokers, topic, group, killRecords/killPartitions, killPartitions)
		})
	}
}

// commitThroughKills runs the scenario of TestGroupCommitsThroughCoordinatorKills
// with members members of group polled in turn, until every record of
// topic was processed and committed.
func commitThroughKills(t *testing.T, brokers []string, topic, group string, members int) {
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
			HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 30 * time.Second}); err != nil {
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
			m.c.Poll(func(msgs []client.Message) {
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
