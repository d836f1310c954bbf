package client

import (
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Partition numbers a broker should never send neither crash the client
// nor size its tables.
func TestMetadataIgnoresImpossiblePartitionNumbers(t *testing.T) {
	resp := kmsg.NewPtrMetadataResponse()
	topic := kmsg.NewMetadataResponseTopic()
	topic.Topic = kmsg.StringPtr("t")
	for _, n := range []int32{1, -1, math.MaxInt32, 0} {
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition, p.Leader = n, 7
		topic.Partitions = append(topic.Partitions, p)
	}
	resp.Topics = append(resp.Topics, topic)
	m := newMetadata(resp, false)
	if n, _, _ := m.topic("t"); n != 4 {
		t.Fatalf("%d partitions", n)
	}
	for _, p := range []int32{0, 1} {
		if leader, ok := m.leader("t", p); !ok || leader != 7 {
			t.Fatalf("partition %d: leader %d %v", p, leader, ok)
		}
	}
	if _, ok := m.leader("t", 3); ok {
		t.Fatal("an unlisted partition has a leader")
	}
}
