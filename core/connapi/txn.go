package connapi

import (
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// InitProducerID gets a producer id and epoch; txnID nil for an idempotent
// (non-transactional) producer. Result: {error_code, producer_id, producer_epoch}.
func InitProducerID(c *conn.Conn, txnID *string, txnTimeoutMs int32, cb Callback) {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = txnID
	req.TransactionTimeoutMillis = txnTimeoutMs
	do(c, req, cb, func(resp *kmsg.InitProducerIDResponse) tree.Value {
		return tree.M("error_code", tree.I(resp.ErrorCode), "producer_id", tree.I(resp.ProducerID),
			"producer_epoch", tree.I(resp.ProducerEpoch))
	})
}

// AddPartitionsToTxn registers partitions with the transaction.
// Result: {topics => [{topic, partitions => [{partition, error_code}]}]}.
func AddPartitionsToTxn(c *conn.Conn, txnID string, producerID int64, epoch int16, tps []TopicPartition, cb Callback) {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.TransactionalID = txnID
	req.ProducerID = producerID
	req.ProducerEpoch = epoch
	for _, g := range groupByTopic(tps) {
		t := kmsg.NewAddPartitionsToTxnRequestTopic()
		t.Topic = g.topic
		for _, tp := range g.parts {
			t.Partitions = append(t.Partitions, tp.Partition)
		}
		req.Topics = append(req.Topics, t)
	}
	do(c, req, cb, func(resp *kmsg.AddPartitionsToTxnResponse) tree.Value {
		return partitionErrors(len(resp.Topics),
			func(i int) (string, int) { return resp.Topics[i].Topic, len(resp.Topics[i].Partitions) },
			func(i, j int) (int32, int16) {
				p := resp.Topics[i].Partitions[j]
				return p.Partition, p.ErrorCode
			})
	})
}

// AddOffsetsToTxn adds the group's offsets topic to the transaction, before
// TxnOffsetCommit. Result: {error_code}.
func AddOffsetsToTxn(c *conn.Conn, txnID string, producerID int64, epoch int16, groupID string, cb Callback) {
	req := kmsg.NewPtrAddOffsetsToTxnRequest()
	req.TransactionalID = txnID
	req.ProducerID = producerID
	req.ProducerEpoch = epoch
	req.Group = groupID
	do(c, req, cb, func(resp *kmsg.AddOffsetsToTxnResponse) tree.Value {
		return tree.M("error_code", tree.I(resp.ErrorCode))
	})
}

// EndTxn commits or aborts the transaction. Result: {error_code}, plus
// {producer_id, producer_epoch} from brokers with transactions v2
// (KIP-890), which bump the epoch at the end of every transaction: the
// next transaction must use the new epoch.
func EndTxn(c *conn.Conn, txnID string, producerID int64, epoch int16, commit bool, cb Callback) {
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID = txnID
	req.ProducerID = producerID
	req.ProducerEpoch = epoch
	req.Commit = commit
	do(c, req, cb, func(resp *kmsg.EndTxnResponse) tree.Value {
		if resp.GetVersion() >= 5 {
			return tree.M("error_code", tree.I(resp.ErrorCode), "producer_id", tree.I(resp.ProducerID),
				"producer_epoch", tree.I(resp.ProducerEpoch))
		}
		return tree.M("error_code", tree.I(resp.ErrorCode))
	})
}

// TxnOffsetCommit commits consumer offsets inside the transaction.
// generation -1 and memberID "" when not in a group.
// Result: {topics => [{topic, partitions => [{partition, error_code}]}]}.
func TxnOffsetCommit(c *conn.Conn, txnID, groupID string, producerID int64, epoch int16, generation int32, memberID string, offsets []TopicPartition, cb Callback) {
	req := TxnOffsetCommitRequest(txnID, groupID, producerID, epoch, generation, memberID, offsets)
	do(c, req, cb, func(resp *kmsg.TxnOffsetCommitResponse) tree.Value {
		return partitionErrors(len(resp.Topics),
			func(i int) (string, int) { return resp.Topics[i].Topic, len(resp.Topics[i].Partitions) },
			func(i, j int) (int32, int16) {
				p := resp.Topics[i].Partitions[j]
				return p.Partition, p.ErrorCode
			})
	})
}

// TxnOffsetCommitRequest is the TxnOffsetCommit request committing offsets
// within a transaction (generation -1 and no member id outside a group).
func TxnOffsetCommitRequest(txnID, groupID string, producerID int64, epoch int16, generation int32, memberID string,
	offsets []TopicPartition) *kmsg.TxnOffsetCommitRequest {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID = txnID
	req.Group = groupID
	req.ProducerID = producerID
	req.ProducerEpoch = epoch
	req.Generation = generation
	req.MemberID = memberID
	for _, g := range groupByTopic(offsets) {
		t := kmsg.NewTxnOffsetCommitRequestTopic()
		t.Topic = g.topic
		for _, tp := range g.parts {
			p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			p.Partition = tp.Partition
			p.Offset = tp.Offset
			p.LeaderEpoch = tp.LeaderEpoch
			p.Metadata = tp.Metadata
			t.Partitions = append(t.Partitions, p)
		}
		req.Topics = append(req.Topics, t)
	}
	return req
}
