package client

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func produceResponse(parts ...tp) *kmsg.ProduceResponse {
	resp := kmsg.NewPtrProduceResponse()
	for _, p := range parts {
		if n := len(resp.Topics); n == 0 || resp.Topics[n-1].Topic != p.topic {
			t := kmsg.NewProduceResponseTopic()
			t.Topic = p.topic
			resp.Topics = append(resp.Topics, t)
		}
		pt := kmsg.NewProduceResponseTopicPartition()
		pt.Partition, pt.BaseOffset = p.partition, int64(p.partition)*100
		last := &resp.Topics[len(resp.Topics)-1]
		last.Partitions = append(last.Partitions, pt)
	}
	return resp
}

// Each batch gets its own partition's result whatever order the broker
// answers in, and a partition the answer leaves out is marked missing.
func TestResultsForPairsBatchesWithTheirPartitions(t *testing.T) {
	var batches []*batch
	for _, p := range []tp{{"a", 0}, {"a", 1}, {"b", 2}, {"a", 3}} {
		batches = append(batches, &batch{ps: &partitionState{topic: p.topic, partition: p.partition}})
	}
	for name, resp := range map[string]*kmsg.ProduceResponse{
		"in order":  produceResponse(tp{"a", 0}, tp{"a", 1}, tp{"b", 2}, tp{"a", 3}),
		"reordered": produceResponse(tp{"a", 3}, tp{"b", 2}, tp{"a", 1}, tp{"a", 0}),
	} {
		for i, r := range resultsFor(batches, resp) {
			if want := int64(batches[i].ps.partition) * 100; r.missing || r.base != want {
				t.Fatalf("%s: batch %d got %+v, want base offset %d", name, i, r, want)
			}
		}
	}
	rs := resultsFor(batches, produceResponse(tp{"a", 0}, tp{"b", 2}, tp{"a", 3}))
	if rs[0].missing || !rs[1].missing || rs[2].missing || rs[3].missing {
		t.Fatalf("a partition left out of the answer: %+v", rs)
	}
}
