package wire

import (
	"encoding/binary"
	"hash/crc32"
	"sync"

	"github.com/kfk-dev/kfk/core/compress"
)

// Byte offsets inside a record batch header (magic 2).
const (
	offBaseOffset      = 0
	offLength          = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57
	// BatchHeaderSize is the size of a batch before its records.
	BatchHeaderSize = 61
)

// Batch attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// Header is a record header.
type Header struct {
	Key   string
	Value []byte // nil = null
}

// BatchOptions are the batch-level fields of a batch being built.
type BatchOptions struct {
	Codec         compress.Codec
	ProducerID    int64 // -1 unless idempotent
	ProducerEpoch int16 // -1 unless idempotent
	BaseSequence  int32 // -1 unless idempotent
	Transactional bool
}

// NoProducer is the BatchOptions of a non-idempotent producer.
var NoProducer = BatchOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}

// checksumStride is how many uncompressed records' bytes wait for their
// CRC: few enough that they are still in the caches when it runs.
const checksumStride = 16 << 10

// Builder builds one record batch in place: records are encoded straight
// into its buffers as they are appended, so the producer knows the batch's
// size at every step. A batch may span several buffers while it is open
// (see Continue); it is joined into one before it is finished, which needs
// no copy when it already is one. Append does not allocate.
type Builder struct {
	buf       []byte   // the buffer records are appended to
	filled    [][]byte // the buffers filled before buf, the first holding the header
	filledLen int      // their bytes
	count     int32
	firstTS   int64
	maxTS     int64
	opts      BatchOptions
	// The CRC of the first crcLen bytes of an uncompressed batch's
	// records; the rest start at buf[crcFrom] (see crc.go).
	crc     uint32
	crcLen  int
	crcFrom int
}

// Reset starts a new batch in buf (reusing its capacity).
func (b *Builder) Reset(buf []byte, opts BatchOptions) {
	b.buf = append(buf[:0], make([]byte, BatchHeaderSize)...)
	b.filled, b.filledLen = nil, 0
	b.count, b.firstTS, b.maxTS = 0, 0, 0
	b.opts = opts
	b.crc, b.crcLen, b.crcFrom = 0, 0, BatchHeaderSize
}

// Count is the number of records appended.
func (b *Builder) Count() int { return int(b.count) }

// Size is the encoded size so far, before compression.
func (b *Builder) Size() int { return b.filledLen + len(b.buf) }

// FirstTimestamp is the timestamp of the first record.
func (b *Builder) FirstTimestamp() int64 { return b.firstTS }

// RecordSize is what Append would add for a record: a producer checks it
// against its batch size limit before appending.
func (b *Builder) RecordSize(timestamp int64, key, value []byte, headers []Header) int {
	tsDelta := timestamp - b.firstTS
	if b.count == 0 {
		tsDelta = 0 // this record would set the first timestamp
	}
	body := recordBodySize(tsDelta, b.count, key, value, headers)
	return VarintLen(int64(body)) + body
}

func recordBodySize(tsDelta int64, offsetDelta int32, key, value []byte, headers []Header) int {
	n := 1 + VarintLen(tsDelta) + VarintLen(int64(offsetDelta)) + bytesSize(key) + bytesSize(value) +
		VarintLen(int64(len(headers)))
	for _, h := range headers {
		n += VarintLen(int64(len(h.Key))) + len(h.Key) + bytesSize(h.Value)
	}
	return n
}

func bytesSize(b []byte) int {
	if b == nil {
		return 1
	}
	return VarintLen(int64(len(b))) + len(b)
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return AppendVarint(dst, -1)
	}
	return append(AppendVarint(dst, int64(len(b))), b...)
}

// Room is how many more bytes the buffer holds before an Append needs
// another (see Continue).
func (b *Builder) Room() int { return cap(b.buf) - len(b.buf) }

// Continue keeps appending in buf once the current buffer is full. An
// open batch grows by buffers rather than by moves into larger ones: a
// move leaves the old buffer to the collector, and at a thousand
// partitions, every batch growing at once while it waits its turn, that
// garbage was as much as the batches themselves.
func (b *Builder) Continue(buf []byte) {
	b.checksumPending()
	b.crcFrom = 0
	b.filled = append(b.filled, b.buf)
	b.filledLen += len(b.buf)
	b.buf = buf[:0]
}

// Spans reports how many buffers the batch is in.
func (b *Builder) Spans() int { return len(b.filled) + 1 }

// Join copies a batch that spans several buffers into buf, which must have
// room for Size bytes, continues there, and returns the buffers it left,
// for the caller to reuse.
func (b *Builder) Join(buf []byte) (left [][]byte) {
	joined := buf[:0]
	for _, f := range b.filled {
		joined = append(joined, f...)
	}
	joined = append(joined, b.buf...)
	left = append(b.filled, b.buf)
	b.crcFrom += b.filledLen
	b.buf, b.filled, b.filledLen = joined, nil, 0
	return left
}

// Append adds a record; timestamp is in milliseconds since the epoch.
// nil key or value encode Kafka's null; empty ones encode empty.
func (b *Builder) Append(timestamp int64, key, value []byte, headers []Header) {
	if b.count == 0 {
		b.firstTS, b.maxTS = timestamp, timestamp
	}
	b.maxTS = max(b.maxTS, timestamp)
	tsDelta := timestamp - b.firstTS
	body := recordBodySize(tsDelta, b.count, key, value, headers)
	dst := AppendVarint(b.buf, int64(body))
	dst = append(dst, 0) // record attributes (unused)
	dst = AppendVarint(dst, tsDelta)
	dst = AppendVarint(dst, int64(b.count))
	dst = appendBytes(dst, key)
	dst = appendBytes(dst, value)
	dst = AppendVarint(dst, int64(len(headers)))
	for _, h := range headers {
		dst = AppendVarint(dst, int64(len(h.Key)))
		dst = append(dst, h.Key...)
		dst = appendBytes(dst, h.Value)
	}
	b.buf = dst
	b.count++
	if len(dst)-b.crcFrom >= checksumStride {
		b.checksumPending()
	}
}

// checksumPending brings the records' CRC up to the end of buf, for an
// uncompressed batch (a compressed one's CRC is over what it compresses
// to).
func (b *Builder) checksumPending() {
	if b.opts.Codec != compress.None {
		return
	}
	pending := b.buf[b.crcFrom:]
	b.crc = crc32.Update(b.crc, castagnoli, pending)
	b.crcLen += len(pending)
	b.crcFrom = len(b.buf)
}

// compressScratch holds the buffers records are compressed into before
// they are copied back behind the batch header: one per batch compressed
// at a time, not one per batch.
var compressScratch = sync.Pool{New: func() any { return new([]byte) }}

// Finish completes the header, compresses the records with the batch's
// codec (through enc, or nil for the process's shared codec state),
// computes the CRC and returns the batch. The returned slice aliases the
// builder's buffer until the next Reset. A batch spanning several buffers
// is joined into a new one first; a caller that recycles buffers joins it
// itself.
func (b *Builder) Finish(enc *compress.Encoder) ([]byte, error) {
	if len(b.filled) > 0 {
		b.Join(make([]byte, 0, b.Size()))
	}
	codec := b.opts.Codec
	out := b.buf
	if codec != compress.None && b.count > 0 {
		scratch := compressScratch.Get().(*[]byte)
		defer compressScratch.Put(scratch)
		var err error
		if enc != nil {
			*scratch, err = enc.Compress((*scratch)[:0], codec, b.buf[BatchHeaderSize:])
		} else {
			*scratch, err = compress.Compress((*scratch)[:0], codec, b.buf[BatchHeaderSize:])
		}
		if err != nil {
			return nil, err
		}
		out = append(b.buf[:BatchHeaderSize], *scratch...)
		b.buf = out
	}
	attrs := int16(codec) & attrCodecMask
	if b.opts.Transactional {
		attrs |= attrTransactional
	}
	be := binary.BigEndian
	be.PutUint64(out[offBaseOffset:], 0)
	be.PutUint32(out[offLength:], uint32(len(out)-offLeaderEpoch))
	be.PutUint32(out[offLeaderEpoch:], 0xffffffff) // -1: the broker sets it
	out[offMagic] = 2
	be.PutUint16(out[offAttributes:], uint16(attrs))
	be.PutUint32(out[offLastOffsetDelta:], uint32(max(b.count-1, 0)))
	be.PutUint64(out[offBaseTimestamp:], uint64(b.firstTS))
	be.PutUint64(out[offMaxTimestamp:], uint64(b.maxTS))
	be.PutUint64(out[offProducerID:], uint64(b.opts.ProducerID))
	be.PutUint16(out[offProducerEpoch:], uint16(b.opts.ProducerEpoch))
	be.PutUint32(out[offBaseSequence:], uint32(b.opts.BaseSequence))
	be.PutUint32(out[offRecordCount:], uint32(b.count))
	if b.crcLen == 0 { // a small batch: its records are still in the caches
		be.PutUint32(out[offCRC:], CRC32C(out[offAttributes:]))
		return out, nil
	}
	b.checksumPending()
	header := CRC32C(out[offAttributes:BatchHeaderSize])
	be.PutUint32(out[offCRC:], combineCRC32C(header, b.crc, b.crcLen))
	return out, nil
}

// SetSequence sets the idempotent producer's fields of the batch being
// built, before Finish computes its CRC: stamping them into the finished
// batch instead (SetBaseSequence) computes the CRC a second time.
func (b *Builder) SetSequence(producerID int64, epoch int16, seq int32) {
	b.opts.ProducerID, b.opts.ProducerEpoch, b.opts.BaseSequence = producerID, epoch, seq
}

// SetBaseSequence rewrites the base sequence (and CRC) of a finished batch,
// as an idempotent producer does when it retries a batch under a new
// producer epoch or sequence.
func SetBaseSequence(batch []byte, producerID int64, epoch int16, seq int32) {
	be := binary.BigEndian
	be.PutUint64(batch[offProducerID:], uint64(producerID))
	be.PutUint16(batch[offProducerEpoch:], uint16(epoch))
	be.PutUint32(batch[offBaseSequence:], uint32(seq))
	be.PutUint32(batch[offCRC:], CRC32C(batch[offAttributes:]))
}
