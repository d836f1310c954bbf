package connapi

import (
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/wire"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzFetchResponse feeds arbitrary bytes to the path a fetch response
// takes: the response decoder at several versions, then each partition's
// records through fetchedRecords. It must return errors, never panic.
func FuzzFetchResponse(f *testing.F) {
	for _, codec := range []compress.Codec{compress.None, compress.Gzip, compress.Zstd} {
		var b wire.Builder
		opts := wire.NoProducer
		opts.Codec = codec
		b.Reset(nil, opts)
		for i := 0; i < 4; i++ {
			b.Append(int64(1000+i), []byte("key"), []byte("a value"), []wire.Header{{Key: "h", Value: []byte("v")}})
		}
		batch, err := b.Finish(nil)
		if err != nil {
			f.Fatal(err)
		}
		for _, version := range []int16{4, 11, 12} {
			resp := kmsg.NewPtrFetchResponse()
			resp.SetVersion(version)
			t := kmsg.NewFetchResponseTopic()
			t.Topic = "topic"
			p := kmsg.NewFetchResponseTopicPartition()
			p.HighWatermark = 4
			p.RecordBatches = append([]byte(nil), batch...)
			p.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 1, FirstOffset: 0}}
			t.Partitions = append(t.Partitions, p)
			resp.Topics = append(resp.Topics, t)
			f.Add(version, resp.AppendTo(nil))
		}
	}
	f.Fuzz(func(t *testing.T, version int16, body []byte) {
		resp := kmsg.NewPtrFetchResponse()
		resp.SetVersion(max(version, 0) % (resp.MaxVersion() + 1))
		if resp.ReadFrom(body) != nil {
			return
		}
		for _, tp := range resp.Topics {
			for i := range tp.Partitions {
				fetchedRecords(&tp.Partitions[i], 0)
			}
		}
	})
}

// FuzzResponses decodes arbitrary bytes as every response kfk reads, at
// every version: the decoders must fail cleanly on damaged input.
func FuzzResponses(f *testing.F) {
	for _, key := range readKeys {
		resp := kmsg.ResponseForKey(key)
		for v := int16(0); v <= resp.MaxVersion(); v += 3 {
			resp.SetVersion(v)
			f.Add(key, v, resp.AppendTo(nil))
		}
	}
	f.Fuzz(func(t *testing.T, key, version int16, body []byte) {
		resp := kmsg.ResponseForKey(readKeys[int(uint16(key))%len(readKeys)])
		resp.SetVersion(max(version, 0) % (resp.MaxVersion() + 1))
		resp.ReadFrom(body)
	})
}

// readKeys are the API keys whose responses the library decodes.
var readKeys = []int16{
	0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 28, 32, 33, 36, 37, 42, 60,
}
