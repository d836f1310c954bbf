package connapi

import (
	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record is one record to produce.
type Record struct {
	Key, Value []byte // nil = null
	Headers    []wire.Header
	Timestamp  int64 // milliseconds since the epoch
}

// ProduceOptions are the request- and batch-level settings of Produce.
type ProduceOptions struct {
	Acks            int16 // -1, 0, 1
	TimeoutMs       int32
	Compression     compress.Codec
	ProducerID      int64 // -1 unless idempotent
	ProducerEpoch   int16
	BaseSequence    int32
	TransactionalID *string
}

// ParseCompression maps a compression name ("" = none) to its codec.
func ParseCompression(name string) (compress.Codec, error) { return compress.ParseCodec(name) }

// Produce writes recs as one record batch to topic/partition. With acks 0
// the broker does not answer and cb gets a Null result once the request is
// written. Result: {topics => [{topic, partitions => [{partition,
// error_code, base_offset, log_append_time, log_start_offset}]}]}.
func Produce(c *conn.Conn, topic string, partition int32, recs []Record, o ProduceOptions, cb Callback) {
	var b wire.Builder
	b.Reset(nil, wire.BatchOptions{Codec: o.Compression, ProducerID: o.ProducerID, ProducerEpoch: o.ProducerEpoch,
		BaseSequence: o.BaseSequence, Transactional: o.TransactionalID != nil})
	for _, r := range recs {
		b.Append(r.Timestamp, r.Key, r.Value, r.Headers)
	}
	batch, err := b.Finish(nil)
	if err != nil {
		cb(tree.Value{}, err)
		return
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks = o.Acks
	req.TimeoutMillis = o.TimeoutMs
	req.TransactionID = o.TransactionalID
	t := kmsg.NewProduceRequestTopic()
	t.Topic = topic
	p := kmsg.NewProduceRequestTopicPartition()
	p.Partition = partition
	p.Records = batch
	t.Partitions = []kmsg.ProduceRequestTopicPartition{p}
	req.Topics = []kmsg.ProduceRequestTopic{t}
	c.Do(req, func(resp kmsg.Response, err error) {
		switch {
		case err != nil:
			cb(tree.Value{}, err)
		case resp == nil: // acks=0: written, no answer
			cb(tree.Value{}, nil)
		default:
			cb(produceTree(resp.(*kmsg.ProduceResponse)), nil)
		}
	})
}

func produceTree(resp *kmsg.ProduceResponse) tree.Value {
	topics := make([]tree.Value, 0, len(resp.Topics))
	for _, t := range resp.Topics {
		parts := make([]tree.Value, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			parts = append(parts, tree.M("partition", tree.I(p.Partition), "error_code", tree.I(p.ErrorCode),
				"base_offset", tree.I(p.BaseOffset), "log_append_time", tree.I(p.LogAppendTime),
				"log_start_offset", tree.I(p.LogStartOffset), "error_message", tree.OptS(p.ErrorMessage)))
		}
		topics = append(topics, tree.M("topic", tree.S(t.Topic), "partitions", tree.L(parts...)))
	}
	return tree.M("topics", tree.L(topics...))
}
