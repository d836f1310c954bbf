package conn

import (
	"bufio"
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// produceFrame is a produce request encoded without its record batches.
// The writer sends the framing and the batches in turn, so the batches,
// most of a request's bytes, are not copied into a request-sized buffer
// first: encoding that buffer, and faulting in a new one of megabytes for
// every request, was a fifth of the producer's CPU at many partitions.
type produceFrame struct {
	framing []byte // header and fields, less the batches
	cuts    []int  // where in framing each partition's batch goes, in request order
}

// lastFramedProduce is the last produce version framed here; later ones
// address topics by id and go through kmsg's encoder.
const lastFramedProduce = 12

// frames reports whether req is written as a produceFrame.
func frames(req kmsg.Request) (*kmsg.ProduceRequest, bool) {
	p, ok := req.(*kmsg.ProduceRequest)
	return p, ok && p.Version >= 3 && p.Version <= lastFramedProduce
}

// encode frames req (its version chosen) with correlation id corr and
// returns the request's size on the wire, batches included.
func (f *produceFrame) encode(req *kmsg.ProduceRequest, corr int32, clientID string) int {
	flexible := req.Version >= 9
	be := binary.BigEndian
	dst := appendHeader(f.framing[:0], req.Key(), req.Version, corr, clientID, flexible)
	f.cuts = f.cuts[:0]
	batches := 0
	if req.TransactionID == nil {
		dst = appendNullLen(dst, flexible, 2)
	} else {
		dst = appendLen(dst, len(*req.TransactionID), flexible, 2)
		dst = append(dst, *req.TransactionID...)
	}
	dst = be.AppendUint16(dst, uint16(req.Acks))
	dst = be.AppendUint32(dst, uint32(req.TimeoutMillis))
	dst = appendLen(dst, len(req.Topics), flexible, 4)
	for i := range req.Topics {
		t := &req.Topics[i]
		dst = appendLen(dst, len(t.Topic), flexible, 2)
		dst = append(dst, t.Topic...)
		dst = appendLen(dst, len(t.Partitions), flexible, 4)
		for j := range t.Partitions {
			p := &t.Partitions[j]
			dst = be.AppendUint32(dst, uint32(p.Partition))
			if p.Records == nil {
				dst = appendNullLen(dst, flexible, 4)
			} else {
				dst = appendLen(dst, len(p.Records), flexible, 4)
			}
			f.cuts = append(f.cuts, len(dst))
			batches += len(p.Records)
			if flexible {
				dst = append(dst, 0) // no tagged fields
			}
		}
		if flexible {
			dst = append(dst, 0)
		}
	}
	if flexible {
		dst = append(dst, 0)
	}
	size := len(dst) + batches
	be.PutUint32(dst, uint32(size-4))
	f.framing = dst
	return size
}

// writeTo writes the framed request to w, each batch at its cut.
func (f *produceFrame) writeTo(w *bufio.Writer, req *kmsg.ProduceRequest) error {
	from, cut := 0, 0
	for i := range req.Topics {
		for _, p := range req.Topics[i].Partitions {
			if _, err := w.Write(f.framing[from:f.cuts[cut]]); err != nil {
				return err
			}
			if _, err := w.Write(p.Records); err != nil {
				return err
			}
			from = f.cuts[cut]
			cut++
		}
	}
	_, err := w.Write(f.framing[from:])
	return err
}

// appendHeader appends a request header (v1, or v2 when flexible) after
// the 4 bytes of the size, which the caller fills in.
func appendHeader(dst []byte, key, version int16, corr int32, clientID string, flexible bool) []byte {
	be := binary.BigEndian
	dst = append(dst, 0, 0, 0, 0)
	dst = be.AppendUint16(dst, uint16(key))
	dst = be.AppendUint16(dst, uint16(version))
	dst = be.AppendUint32(dst, uint32(corr))
	// The client id is never compact: brokers read it before they know
	// the version's encoding.
	dst = be.AppendUint16(dst, uint16(len(clientID)))
	dst = append(dst, clientID...)
	if flexible {
		dst = append(dst, 0) // no tagged fields
	}
	return dst
}

// appendLen appends the length of a string, array or bytes field: a
// uvarint of n+1 in flexible versions, else an int of width bytes.
func appendLen(dst []byte, n int, flexible bool, width int) []byte {
	if flexible {
		return binary.AppendUvarint(dst, uint64(n)+1)
	}
	if width == 2 {
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

// appendNullLen appends the length of a null string or bytes field.
func appendNullLen(dst []byte, flexible bool, width int) []byte {
	if flexible {
		return append(dst, 0)
	}
	if width == 2 {
		return append(dst, 0xff, 0xff)
	}
	return append(dst, 0xff, 0xff, 0xff, 0xff)
}
