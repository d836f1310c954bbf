package client_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// confluentProduce produces one record per key (nil: a null key) to topic
// with confluent-kafka (librdkafka) and its partitioner, and returns the
// partition each landed on, from the delivery reports.
const confluentProduce = `
import json, sys
from confluent_kafka import Producer
brokers, topic, partitioner = sys.argv[1:4]
keys = json.load(sys.stdin)
p = Producer({"bootstrap.servers": brokers, "partitioner": partitioner, "linger.ms": 5})
where = [None] * len(keys)
def report(i):
    def done(err, msg):
        if err is not None:
            raise SystemExit("delivery %d failed: %s" % (i, err))
        where[i] = msg.partition()
    return done
for i, k in enumerate(keys):
    p.produce(topic, value=b"librdkafka", key=None if k is None else bytes.fromhex(k), on_delivery=report(i))
if p.flush(60) != 0:
    raise SystemExit("confluent-kafka did not deliver everything")
print(json.dumps(where))
`

func librdkafkaPlacement(t *testing.T, brokers, topic, partitioner string, keys [][]byte) []int32 {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if exec.Command(py, "-c", "import confluent_kafka").Run() != nil {
		t.Skip("confluent-kafka is not installed (pip install confluent-kafka)")
	}
	in := make([]*string, len(keys))
	for i, k := range keys {
		if k != nil {
			s := hex.EncodeToString(k)
			in[i] = &s
		}
	}
	stdin, _ := json.Marshal(in)
	cmd := exec.Command(py, "-c", confluentProduce, brokers, topic, partitioner)
	cmd.Stdin = strings.NewReader(string(stdin))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("confluent-kafka producer: %v\n%s", err, out)
	}
	var where []int32
	if err := json.Unmarshal(out, &where); err != nil || len(where) != len(keys) {
		t.Fatalf("confluent-kafka producer printed %q: %v", out, err)
	}
	return where
}

// Each of librdkafka's partitioners, named the same in kfk, puts the same
// keys on the same partitions as confluent-kafka does: both produce the
// same keys to one topic and the delivery reports are compared. Null and
// empty keys are compared where librdkafka places them by hash; where it
// places them at random, kfk must spread them too.
func TestLibrdkafkaPartitionersPlaceKeysAlike(t *testing.T) {
	env := kafkatest.Brokers(t)
	a := admin(t)
	var keyed [][]byte
	for i := 0; i < 200; i++ {
		keyed = append(keyed, []byte(fmt.Sprintf("key-%d", i)))
	}
	keyed = append(keyed, []byte{0xff, 0xfe, 0, 1}, []byte(strings.Repeat("long key ", 50)))
	for _, c := range []struct {
		name string
		// which of a null and an empty key librdkafka hashes (rather than
		// placing at random)
		hashNull, hashEmpty bool
	}{
		{"consistent", true, true},
		{"consistent_random", false, false},
		{"fnv1a", true, true},
		{"fnv1a_random", false, true},
		{"murmur2_random", false, true},
		{"random", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			topic := kafkatest.CreateTopic(t, a, "client", 7)
			keys := append([][]byte(nil), keyed...)
			if c.name == "random" {
				keys = nil
			}
			if c.hashNull {
				keys = append(keys, nil)
			}
			if c.hashEmpty {
				keys = append(keys, []byte{})
			}
			var want []int32
			if len(keys) > 0 {
				want = librdkafkaPlacement(t, env.Brokers[0], topic, c.name, keys)
			}
			cl := newClient(t, "partitioner", c.name)
			var col collector
			for i, k := range keys {
				cl.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: k,
					Value: []byte("kfk"), Tag: client.Tag{uintptr(i)}}, col.fn())
			}
			for _, d := range col.wait(t) {
				if d.Err != nil {
					t.Fatal(d.Err)
				}
				if i := int(d.Tag[0]); d.Partition != want[i] {
					t.Errorf("key %q: kfk chose partition %d, librdkafka %d", keys[i], d.Partition, want[i])
				}
			}
			if !c.hashNull || !c.hashEmpty {
				// The keys librdkafka places at random: 100 of them must not
				// all land on one of 7 partitions (chance 7^-99).
				seen := map[int32]bool{}
				var k []byte // null, or empty where librdkafka hashes null keys
				if c.hashNull {
					k = []byte{}
				}
				var col2 collector
				for i := 0; i < 100; i++ {
					cl.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Key: k, Value: []byte("random")}, col2.fn())
				}
				for _, d := range col2.wait(t) {
					if d.Err != nil {
						t.Fatal(d.Err)
					}
					seen[d.Partition] = true
				}
				if len(seen) < 2 {
					t.Errorf("keys placed at random all went to %v", seen)
				}
			}
		})
	}
}
