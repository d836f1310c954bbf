package conn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// produceRequest has two topics, one partition with a null batch, and
// batches of sizes that need multi-byte lengths.
func produceRequest(version int16, txnID *string) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version, req.Acks, req.TimeoutMillis, req.TransactionID = version, -1, 30000, txnID
	for ti, name := range []string{"orders", "a-much-longer-topic-name.v2"} {
		t := kmsg.NewProduceRequestTopic()
		t.Topic = name
		for pi, size := range []int{0, 61, 300, 70000} {
			p := kmsg.NewProduceRequestTopicPartition()
			p.Partition = int32(pi * (ti + 1))
			if size > 0 || ti == 1 {
				p.Records = bytes.Repeat([]byte{byte(ti*16 + pi)}, size)
			}
			t.Partitions = append(t.Partitions, p)
		}
		req.Topics = append(req.Topics, t)
	}
	return req
}

// The framed request and its batches, written in turn, are byte for byte
// what kmsg encodes, in every version kfk sends.
func TestProduceFrameMatchesKmsg(t *testing.T) {
	txn := "txn-1"
	for v := int16(3); v <= lastFramedProduce; v++ {
		for _, id := range []*string{nil, &txn} {
			t.Run(fmt.Sprintf("v%d/txn=%v", v, id != nil), func(t *testing.T) {
				req := produceRequest(v, id)
				want := kmsg.NewRequestFormatter(kmsg.FormatterClientID("kfk-test")).AppendRequest(nil, req, 77)
				var f produceFrame
				size := f.encode(req, 77, "kfk-test")
				var got bytes.Buffer
				w := bufio.NewWriterSize(&got, 4096)
				if err := f.writeTo(w, req); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if size != len(want) || !bytes.Equal(got.Bytes(), want) {
					t.Fatalf("framed request differs from kmsg's: size %d, wrote %d bytes, want %d", size, got.Len(), len(want))
				}
			})
		}
	}
}

// Versions that address topics by id are left to kmsg.
func TestProduceFrameLeavesTopicIDVersions(t *testing.T) {
	if _, ok := frames(produceRequest(lastFramedProduce+1, nil)); ok {
		t.Fatal("a topic-id version was framed")
	}
	if _, ok := frames(kmsg.NewPtrMetadataRequest()); ok {
		t.Fatal("a metadata request was framed")
	}
}

// Writing a produce request allocates nothing once the frame's buffers
// have grown: no request-sized buffer per request.
func TestProduceFrameAllocations(t *testing.T) {
	req := produceRequest(9, nil)
	var f produceFrame
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	allocs := testing.AllocsPerRun(100, func() {
		f.encode(req, 1, "kfk")
		if err := f.writeTo(w, req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%.1f allocations per produce request written", allocs)
	}
}

func BenchmarkProduceFrame(b *testing.B) {
	req := produceRequest(9, nil)
	var f produceFrame
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	b.ReportAllocs()
	b.SetBytes(int64(f.encode(req, 1, "kfk")))
	for i := 0; i < b.N; i++ {
		f.encode(req, int32(i), "kfk")
		if err := f.writeTo(w, req); err != nil {
			b.Fatal(err)
		}
	}
}
