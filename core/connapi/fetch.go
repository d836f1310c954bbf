package connapi

import (
	"bytes"
	"fmt"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FetchOptions bound a fetch.
type FetchOptions struct {
	MaxBytes       int32 // per partition
	MaxWaitMs      int32
	MinBytes       int32
	IsolationLevel int8 // 0 read_uncommitted, 1 read_committed
}

// Fetch reads from each partition at its Offset, in one request.
// Result: {topics => [{topic, partitions => [{partition, error_code,
// high_watermark, last_stable_offset, log_start_offset, records =>
// [{offset, timestamp, key, value, headers}]}]}]}. Control records,
// records before the requested offset (a batch may start earlier) and, for
// read_committed, records of aborted transactions are left out.
func Fetch(c *conn.Conn, tps []TopicPartition, o FetchOptions, cb Callback) {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = o.MaxWaitMs
	req.MinBytes = o.MinBytes
	req.MaxBytes = max(o.MaxBytes*int32(max(len(tps), 1)), o.MaxBytes)
	req.IsolationLevel = o.IsolationLevel
	req.SessionEpoch = -1 // no fetch session: every request is complete
	start := map[string]map[int32]int64{}
	for _, g := range groupByTopic(tps) {
		t := kmsg.NewFetchRequestTopic()
		t.Topic = g.topic
		start[g.topic] = map[int32]int64{}
		for _, tp := range g.parts {
			p := kmsg.NewFetchRequestTopicPartition()
			p.Partition = tp.Partition
			p.FetchOffset = tp.Offset
			p.PartitionMaxBytes = o.MaxBytes
			p.CurrentLeaderEpoch = tp.LeaderEpoch
			p.LogStartOffset = -1
			t.Partitions = append(t.Partitions, p)
			start[g.topic][tp.Partition] = tp.Offset
		}
		req.Topics = append(req.Topics, t)
	}
	do(c, req, cb, func(resp *kmsg.FetchResponse) tree.Value {
		topics := make([]tree.Value, 0, len(resp.Topics))
		for _, t := range resp.Topics {
			parts := make([]tree.Value, 0, len(t.Partitions))
			for _, p := range t.Partitions {
				recs, err := fetchedRecords(&p, start[t.Topic][p.Partition])
				code := p.ErrorCode
				fields := []any{"partition", tree.I(p.Partition), "error_code", tree.I(code),
					"high_watermark", tree.I(p.HighWatermark), "last_stable_offset", tree.I(p.LastStableOffset),
					"log_start_offset", tree.I(p.LogStartOffset), "records", tree.L(recs...)}
				if err != nil {
					fields = append(fields, "decode_error", tree.S(err.Error()))
				}
				parts = append(parts, tree.M(fields...))
			}
			topics = append(topics, tree.M("topic", tree.S(t.Topic), "partitions", tree.L(parts...)))
		}
		return tree.M("topics", tree.L(topics...))
	})
}

// fetchedRecords decodes one partition's records as result trees.
func fetchedRecords(p *kmsg.FetchResponseTopicPartition, from int64) ([]tree.Value, error) {
	aborted := wire.NewAbortedFilter(AbortedTxns(p.AbortedTransactions))
	var r wire.Reader
	r.Reset(p.RecordBatches)
	var b wire.Batch
	var it wire.RecordIter
	var rec wire.Record
	out := []tree.Value{}
	for {
		ok, err := r.Next(&b)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		if b.IsControl() {
			aborted.Marker(&b)
			continue
		}
		if b.IsTransactional() && aborted.Skips(&b) {
			continue
		}
		for b.Records(&it); it.Next(&rec); {
			if rec.Offset < from {
				continue
			}
			out = append(out, recordTree(&rec))
		}
		if it.Err() != nil {
			return out, fmt.Errorf("batch at offset %d: %w", b.BaseOffset, it.Err())
		}
	}
}

// recordTree copies a record out of the fetch buffer into a result tree.
func recordTree(r *wire.Record) tree.Value {
	fields := []any{"offset", tree.I(r.Offset), "timestamp", tree.I(r.Timestamp),
		"key", tree.B(bytes.Clone(r.Key)), "value", tree.B(bytes.Clone(r.Value))}
	if r.NumHeaders > 0 {
		var hs []any
		r.Headers(func(k, v []byte) bool {
			hs = append(hs, string(k), tree.B(bytes.Clone(v)))
			return true
		})
		fields = append(fields, "headers", tree.M(hs...))
	}
	return tree.M(fields...)
}

// AbortedTxns converts a fetch response's aborted transactions.
func AbortedTxns(in []kmsg.FetchResponseTopicPartitionAbortedTransaction) []wire.AbortedTxn {
	out := make([]wire.AbortedTxn, len(in))
	for i, t := range in {
		out[i] = wire.AbortedTxn{ProducerID: t.ProducerID, FirstOffset: t.FirstOffset}
	}
	return out
}
