package client_test

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// The Java client is the other reference: its console tools (from the
// broker's own jars) read what kfk writes, with every codec, keys, headers
// and transactions, and kfk reads what they write.
func javaTool(t *testing.T, stdin string, class string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kafkatest.Script(), append([]string{"run-class", class}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v\n%s\n%s", class, args, err, out, stderr)
	}
	return string(out)
}

const (
	consoleConsumer = "org.apache.kafka.tools.consumer.ConsoleConsumer"
	consoleProducer = "org.apache.kafka.tools.ConsoleProducer"
)

// consoleRead reads n records of topic from the beginning with the Java
// console consumer, one "headers<TAB>key<TAB>value" line each.
func consoleRead(t *testing.T, broker, topic string, n int, extra ...string) []string {
	t.Helper()
	args := append([]string{"--bootstrap-server", broker, "--topic", topic, "--from-beginning",
		"--max-messages", fmt.Sprint(n), "--timeout-ms", "30000",
		"--formatter-property", "print.key=true", "--formatter-property", "print.headers=true"}, extra...)
	out := strings.TrimRight(javaTool(t, "", consoleConsumer, args...), "\n")
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	sort.Strings(lines)
	return lines
}

func TestJavaConsoleConsumerReadsEveryCodec(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	var want []string
	// Each codec at its default level, and the others kfk can write
	// (compression_level): all are frames Java's decoders read.
	for _, variant := range []string{"none", "gzip", "gzip/1", "gzip/9", "snappy", "lz4", "lz4/9", "zstd", "zstd/1", "zstd/19"} {
		codec, level, _ := strings.Cut(variant, "/")
		c := newClient(t, "compression", codec, "compression_level", cmp.Or(level, "-1"), "linger_ms", "5")
		var col collector
		values := spanningValues(codec)
		for i := 0; i < 4+len(values); i++ {
			key, value := fmt.Sprintf("%s-key-%d", variant, i), fmt.Sprintf("%s-value-%d", variant, i)
			if i >= 4 {
				value = values[i-4]
			}
			c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Key: []byte(key), Value: []byte(value),
				Headers: []wire.Header{{Key: "codec", Value: []byte(codec)}}}, col.fn())
			want = append(want, fmt.Sprintf("codec:%s\t%s\t%s", codec, key, value))
		}
		for _, d := range col.wait(t) {
			if d.Err != nil {
				t.Fatalf("%s: %v", variant, d.Err)
			}
		}
	}
	sort.Strings(want)
	if got := consoleRead(t, env.Brokers[0], topic, len(want)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the Java consumer read\n%.3000s\nwant\n%.3000s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestKfkReadsTheJavaConsoleProducer(t *testing.T) {
	env := kafkatest.Brokers(t)
	a := admin(t)
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		topic := kafkatest.CreateTopic(t, a, "client", 1)
		values := spanningValues(codec)
		for i := 0; i < 20; i++ {
			values = append(values, fmt.Sprintf("v%d", i))
		}
		var lines []string
		for i, v := range values {
			lines = append(lines, fmt.Sprintf("k%d:%s", i, v))
		}
		javaTool(t, strings.Join(lines, "\n")+"\n", consoleProducer, "--bootstrap-server", env.Brokers[0], "--topic", topic,
			"--compression-codec", codec, "--reader-property", "parse.key=true", "--reader-property", "key.separator=:")
		c := newClient(t)
		c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
		got := pollUntil(t, c, len(values))
		if len(got) != len(values) {
			t.Fatalf("%s: read %d of the Java producer's %d records", codec, len(got), len(values))
		}
		for i, m := range got {
			if string(m.Key) != fmt.Sprintf("k%d", i) || string(m.Value) != values[i] || m.Offset != int64(i) {
				t.Fatalf("%s: record %d: key %s, %d bytes of value at offset %d", codec, i, m.Key, len(m.Value), m.Offset)
			}
		}
	}
}

// A Java read_committed consumer sees a kfk transaction's records only if
// it committed.
func TestJavaReadCommittedSeesOnlyCommittedTransactions(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	c := newClient(t, "transactional_id", "java-interop-"+topic)
	for _, commit := range []bool{false, true} {
		if err := c.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		var col collector
		for i := 0; i < 3; i++ {
			c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Key: []byte("k"), Value: []byte(fmt.Sprintf("committed=%v %d", commit, i))}, col.fn())
		}
		end := c.AbortTransaction
		if commit {
			end = c.CommitTransaction
		}
		done := make(chan error, 1)
		end(func(err error) { done <- err })
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		col.wait(t)
	}
	got := consoleRead(t, env.Brokers[0], topic, 3, "--command-property", "isolation.level=read_committed")
	want := []string{"NO_HEADERS\tk\tcommitted=true 0", "NO_HEADERS\tk\tcommitted=true 1", "NO_HEADERS\tk\tcommitted=true 2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("read_committed Java consumer read %q", got)
	}
}

// A kfk member and a Java console consumer share one group (the classic
// protocol; they agree on the range assignor): the partitions are split
// between them and every record is read once.
func TestMixedGroupWithTheJavaConsumer(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 4)
	group := "mixed-" + topic
	m := startMember(t, group, topic, "client_id", "kfk-member")
	defer m.halt()
	waitFor(t, "the kfk member owning all four partitions", func() bool { return len(assignedPartitions(m.c)) == 4 })

	javaRead := make(chan []string, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, kafkatest.Script(), "run-class", consoleConsumer, "--bootstrap-server",
			env.Brokers[0], "--topic", topic, "--group", group, "--max-messages", "20", "--timeout-ms", "60000",
			"--command-property", "auto.offset.reset=earliest", "--command-property", "client.id=java-member").Output()
		javaRead <- strings.Fields(string(out))
	}()
	waitFor(t, "the Java consumer taking its share", func() bool { return len(assignedPartitions(m.c)) == 2 })
	kept := assignedPartitions(m.c)
	p := newClient(t)
	var col collector
	for i := 0; i < 40; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 4), Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	java := <-javaRead // it leaves once it has read its two partitions' 20
	waitFor(t, "the kfk member owning all four again", func() bool { return len(assignedPartitions(m.c)) == 4 })
	// A marker on each partition: what the Java member committed, read
	// again, would come before it.
	for part := 0; part < 4; part++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(part), Value: []byte("marker")}, col.fn())
	}
	col.wait(t)
	waitFor(t, "the kfk member reading the markers", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for part := 0; part < 4; part++ {
			if m.seen[fmt.Sprintf("%d/10", part)] == 0 {
				return false
			}
		}
		return true
	})
	if got := m.count() - 4; got != 20 {
		t.Fatalf("the kfk member read %d records, want the 20 of its two partitions", got)
	}

	// The Java consumer read the other two partitions' records, kfk the rest.
	if len(java) != 20 {
		t.Fatalf("the Java member read %d records (%v), want the 20 of two partitions", len(java), java)
	}
	for _, v := range java {
		var i int
		fmt.Sscan(v, &i)
		for _, mine := range kept {
			if int32(i%4) == mine {
				t.Fatalf("record %s of partition %d, kept by kfk, was read by Java too", v, mine)
			}
		}
	}
}

// A KIP-848 group (group_protocol=consumer) of a kfk member and the Java
// console consumer (group.protocol=consumer): the coordinator moves half
// the partitions from kfk to Java, which reads exactly those, and gives
// them back when Java leaves.
func TestJavaConsumerProtocolGroupWithKfk(t *testing.T) {
	env := kafkatest.Brokers(t)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 4)
	p := newClient(t, "linger_ms", "5")
	var col collector
	for i := 0; i < 40; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 4),
			Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	group := kafkatest.UniqueTopic(t, "java-kip848")
	c := newClient(t)
	var revoked atomic.Int64 // partitions the coordinator took from kfk
	if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, Protocol: client.ConsumerProtocol,
		OnRevoke: func(parts []client.Assignment) { revoked.Add(int64(len(parts))) }}); err != nil {
		t.Fatal(err)
	}
	owned := func() int {
		_, _, parts := c.GroupState()
		return len(parts)
	}
	waitFor(t, "the kfk member to own every partition", func() bool { return owned() == 4 })
	javaDone := make(chan string, 1)
	go func() {
		javaDone <- javaTool(t, "", consoleConsumer, "--bootstrap-server", env.Brokers[0], "--topic", topic,
			"--group", group, "--consumer-property", "group.protocol=consumer", "--from-beginning",
			"--max-messages", "20", "--timeout-ms", "60000", "--formatter-property", "print.partition=true")
	}()
	var out string
	select {
	case out = <-javaDone:
	case <-time.After(90 * time.Second):
	}
	if got := revoked.Load(); got != 2 {
		t.Errorf("the kfk member gave %d partitions to the Java member, want half its 4", got)
	}
	parts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			parts[f[0]]++
		}
	}
	if len(parts) != 2 {
		t.Fatalf("the Java member read %v (partition: records), want 2 partitions of 10", parts)
	}
	for part, n := range parts {
		if n != 10 {
			t.Fatalf("the Java member read %d records of %s, want 10", n, part)
		}
	}
	waitFor(t, "the kfk member to own every partition again", func() bool { return owned() == 4 })
}
