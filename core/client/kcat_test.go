package client_test

import (
	"fmt"
	"math/rand"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/murmur2"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// kcat (librdkafka) is the reference client here: keys must land on the
// partitions it chooses with the Java-compatible murmur2 partitioner, and
// what kfk writes with each codec must read back through it.
func kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (make deps installs it)")
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestKeysLandWhereLibrdkafkaPutsThem(t *testing.T) {
	env := kafkatest.Brokers(t)
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 5)
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, fmt.Sprintf("key-%d:value-%d", i, i))
	}
	kcat(t, strings.Join(lines, "\n")+"\n", "-P", "-b", env.Brokers[0], "-t", topic, "-K:",
		"-X", "partitioner=murmur2_random")
	c := newClient(t)
	var parts []client.Assignment
	for p := int32(0); p < 5; p++ {
		parts = append(parts, client.Assignment{Topic: topic, Partition: p, Offset: client.OffsetEarliest})
	}
	c.Assign(parts)
	got := pollUntil(t, c, 100)
	if len(got) != 100 {
		t.Fatalf("read %d of kcat's 100 records", len(got))
	}
	for _, m := range got {
		if want := murmur2.Partition(m.Key, 5); m.Partition != want {
			t.Fatalf("librdkafka put %s on partition %d, kfk's murmur2 says %d", m.Key, m.Partition, want)
		}
	}
	// And kfk's producer chooses the same partitions.
	var col collector
	for i := 0; i < 100; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte("again")}, col.fn())
	}
	for _, d := range col.wait(t) {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
	}
	out := kcat(t, "", "-C", "-b", env.Brokers[0], "-t", topic, "-e", "-q", "-f", "%k %p %s\n")
	where := map[string]map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		if where[f[0]] == nil {
			where[f[0]] = map[string]bool{}
		}
		where[f[0]][f[1]] = true
	}
	for key, ps := range where {
		if len(ps) != 1 {
			t.Fatalf("key %s is on partitions %v: kfk and librdkafka disagree", key, ps)
		}
	}
}

// spanningValues are two values of about 65 and 70 KB: a batch holding
// them spans several of LZ4's 64 KiB blocks, and one of those, random
// letters that no codec shrinks, LZ4 stores as is.
func spanningValues(codec string) []string {
	rnd := rand.New(rand.NewSource(int64(len(codec))))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	letters := make([]byte, 70_000)
	for i := range letters {
		letters[i] = alphabet[rnd.Intn(len(alphabet))]
	}
	return []string{codec + "-" + strings.Repeat("kafka record ", 5000), codec + "-" + string(letters)}
}

func TestKcatReadsEveryCodec(t *testing.T) {
	env := kafkatest.Brokers(t)
	a := admin(t)
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		topic := kafkatest.CreateTopic(t, a, "client", 1)
		c := newClient(t, "compression", codec, "linger_ms", "5")
		var col collector
		values := spanningValues(codec)
		for i := 0; i < 20+len(values); i++ {
			value := strings.Repeat(codec, 10) + fmt.Sprint(i)
			if i >= 20 {
				value = values[i-20]
			}
			c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Key: []byte(fmt.Sprintf("k%02d", i)),
				Value: []byte(value), Headers: []wire.Header{{Key: "codec", Value: []byte(codec)}}}, col.fn())
		}
		for _, d := range col.wait(t) {
			if d.Err != nil {
				t.Fatal(d.Err)
			}
		}
		out := kcat(t, "", "-C", "-b", env.Brokers[0], "-t", topic, "-e", "-q", "-f", "%k|%h|%s\n")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		sort.Strings(lines)
		if len(lines) != 20+len(values) {
			t.Fatalf("%s: kcat read %d records:\n%.2000s", codec, len(lines), out)
		}
		want := fmt.Sprintf("k00|codec=%s|%s0", codec, strings.Repeat(codec, 10))
		if lines[0] != want {
			t.Fatalf("%s: kcat read %q, want %q", codec, lines[0], want)
		}
		for i, v := range values {
			if want := fmt.Sprintf("k%02d|codec=%s|%s", 20+i, codec, v); lines[20+i] != want {
				t.Fatalf("%s: kcat read the %d-byte value of k%02d as %d other bytes", codec, len(v), 20+i, len(lines[20+i]))
			}
		}
	}
}

func TestConsumingWhatKcatWrites(t *testing.T) {
	env := kafkatest.Brokers(t)
	a := admin(t)
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		topic := kafkatest.CreateTopic(t, a, "client", 1)
		var lines []string
		for i := 0; i < 30; i++ {
			lines = append(lines, fmt.Sprintf("k%d:%s-%d", i, codec, i))
		}
		kcat(t, strings.Join(lines, "\n")+"\n", "-P", "-b", env.Brokers[0], "-t", topic, "-K:", "-p", "0",
			"-z", codec, "-H", "origin=kcat", "-X", "linger.ms=50")
		c := newClient(t)
		c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: 0}})
		got := pollUntil(t, c, 30)
		if len(got) != 30 {
			t.Fatalf("%s: consumed %d of kcat's 30 records", codec, len(got))
		}
		for i, m := range got {
			if string(m.Key) != fmt.Sprintf("k%d", i) || string(m.Value) != fmt.Sprintf("%s-%d", codec, i) ||
				len(m.Headers) != 1 || m.Headers[0].Key != "origin" || string(m.Headers[0].Value) != "kcat" {
				t.Fatalf("%s: record %d = %+v", codec, i, m)
			}
		}
	}
}
