package client_test

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// TestExactlyOnceAcrossCrashes runs a consume-process-produce loop (in a
// child process: TestEOSProcessorProcess) with transactions and a consumer
// group, kills it with SIGKILL at random moments several times, restarts
// it, and checks that the output topic read with read_committed holds
// exactly one copy of every input record.
func TestExactlyOnceAcrossCrashes(t *testing.T) {
	a := admin(t)
	in, out := kafkatest.CreateTopic(t, a, "client", 3), kafkatest.CreateTopic(t, a, "client", 3)
	p := newClient(t, "linger_ms", "2")
	const n = 3000
	var col collector
	for i := 0; i < n; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: in, Partition: -1, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)

	env := kafkatest.Brokers(t)
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEOSProcessorProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "KFK_TEST_BROKERS="+strings.Join(env.Brokers, ","),
			"KFK_EOS_INPUT="+in, "KFK_EOS_OUTPUT="+out)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// progress is how many input records the group has committed (stable
	// offsets: GroupLag waits while a transaction is finishing).
	progress := func() int64 {
		lag, err := adminCall(t, func(cb func(tree.Value, error)) { p.GroupLag("eos-"+in, cb) })
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for i := 1; i < len(lag.Items); i += 2 { // a map's items: key, value, ...
			sum += lag.Items[i].Path("committed").Int
		}
		return sum
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	const crashes = 5
	var committed []int64
	for i := 0; i < crashes; i++ {
		before := int64(0)
		if i > 0 {
			before = committed[i-1]
		}
		cmd := start()
		// Each run is killed only once it has committed something of its
		// own (however slowly a loaded machine starts it), then at a
		// random moment inside its next transactions.
		// (Asked after the kill, the group's offsets would stay unstable
		// until the next run fences the killed transaction.)
		seen := progress()
		for deadline := time.Now().Add(90 * time.Second); seen <= before; seen = progress() {
			if time.Now().After(deadline) {
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				t.Fatalf("run %d committed nothing past %d in 90 s", i+1, before)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.Intn(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		committed = append(committed, seen)
	}
	// The kills must have landed mid-stream: work must be left for the
	// last run (the processor's pace bounds what a run can do).
	if committed[crashes-1] >= n {
		t.Fatalf("input records committed after each kill: %v of %d; the kills did not land mid-stream", committed, n)
	}
	last := start()
	defer func() {
		last.Process.Signal(syscall.SIGKILL)
		last.Wait()
	}()

	seen, total := readCommittedOutput(newClient(t, "isolation_level", "read_committed"), out, 3, n, 120*time.Second)
	var dups, missing []string
	for i := 0; i < n; i++ {
		switch seen[fmt.Sprintf("out-%d", i)] {
		case 0:
			missing = append(missing, fmt.Sprint(i))
		case 1:
		default:
			dups = append(dups, fmt.Sprint(i))
		}
	}
	sort.Strings(dups)
	if len(dups) > 0 || len(missing) > 0 || total != n {
		t.Fatalf("after %d crashes: %d records read committed, %d duplicated (%.20v), %d missing (%.20v)",
			crashes, total, len(dups), dups, len(missing), missing)
	}
	t.Logf("%d records processed exactly once across %d SIGKILLs (committed after each: %v)", n, crashes, committed)
}

// readCommittedOutput reads out's partitions from the earliest offset with
// reader (read_committed) until n records came or wait passed, and two
// seconds more (anything further would be a duplicate); it counts each
// value and the records read.
func readCommittedOutput(reader *client.Client, out string, partitions, n int, wait time.Duration) (map[string]int, int) {
	var assign []client.Assignment
	for part := int32(0); part < int32(partitions); part++ {
		assign = append(assign, client.Assignment{Topic: out, Partition: part, Offset: client.OffsetEarliest})
	}
	reader.Assign(assign)
	seen, total := map[string]int{}, 0
	count := func(ms []client.Message) {
		for _, m := range ms {
			seen[string(m.Value)]++
			total++
		}
	}
	for deadline := time.Now().Add(wait); total < n && time.Now().Before(deadline); {
		count(pollFor(reader, 500*time.Millisecond))
	}
	count(pollFor(reader, 2*time.Second))
	return seen, total
}

// TestEOSProcessorProcess is the processor of TestExactlyOnceAcrossCrashes;
// it runs only as that test's child process, until it is killed.
func TestEOSProcessorProcess(t *testing.T) {
	in, out := os.Getenv("KFK_EOS_INPUT"), os.Getenv("KFK_EOS_OUTPUT")
	if in == "" {
		t.Skip("the child process of TestExactlyOnceAcrossCrashes")
	}
	group := "eos-" + in
	began := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "processor %d +%.1fs: %s\n", os.Getpid(), time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	c := kafkatest.Client(t, strings.Split(os.Getenv("KFK_TEST_BROKERS"), ","), client.Handler{OnError: func(err error) { logf("%v", err) }},
		"transactional_id", "eos-"+in, "isolation_level", "read_committed", "linger_ms", "5")
	err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{in}, InstanceID: "processor",
		AutoOffsetReset: "earliest", SessionTimeout: 10 * time.Second, HeartbeatInterval: 300 * time.Millisecond,
		OnAssign: func(parts []client.Assignment) { logf("assigned %v", parts) },
		OnRevoke: func(parts []client.Assignment) { logf("revoked %v", parts) }})
	if err != nil {
		t.Fatal(err)
	}
	// Small transactions at a slow, steady pace, so that kills land
	// mid-stream: what a poll returns beyond one transaction waits in
	// backlog.
	var backlog []client.Message
	for {
		if len(backlog) == 0 {
			done := make(chan struct{})
			c.Poll(0, func(ms []client.Message) { backlog = append(backlog, ms...) }, func(int, error) { close(done) })
			<-done
			continue
		}
		batch := backlog[:min(len(backlog), 25)]
		backlog = backlog[len(batch):]
		if err := c.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		next := map[int32]int64{}
		for _, m := range batch {
			rec := client.Record{Timestamp: client.TimestampNow, Topic: out, Partition: m.Partition, Key: m.Key, Value: append([]byte("out-"), m.Value...)}
			if err := c.Produce(rec, nil); err != nil {
				t.Fatal(err)
			}
			next[m.Partition] = m.Offset + 1
		}
		var offsets []client.Assignment
		for part, off := range next {
			offsets = append(offsets, client.Assignment{Topic: in, Partition: part, Offset: off})
		}
		if err := end(t, func(cb func(error)) { c.SendOffsetsToTransaction(group, offsets, cb) }); err != nil {
			t.Fatal(err)
		}
		if err := end(t, c.CommitTransaction); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
	}
}
