package wire

import (
	"encoding/binary"

	"github.com/kfk-dev/kfk/core/compress"
)

// DefaultMaxDecompressed bounds one batch's decompressed records.
const DefaultMaxDecompressed = 256 << 20

// Batch is one decoded batch header with access to its records. For
// magic 0/1 message sets, a Batch holds the legacy messages instead.
type Batch struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	Magic                int8
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32

	records []byte   // magic 2: the (decompressed) records section
	legacy  []Record // magic 0/1: the decoded messages
}

// Codec is the batch's compression.
func (b *Batch) Codec() compress.Codec { return compress.Codec(b.Attributes & attrCodecMask) }

// IsTransactional reports whether a transactional producer wrote the batch.
func (b *Batch) IsTransactional() bool { return b.Attributes&attrTransactional != 0 }

// IsControl reports whether the batch holds a transaction marker.
func (b *Batch) IsControl() bool { return b.Attributes&attrControl != 0 }

// LogAppendTime reports whether record timestamps are the broker's append
// time (then every record's timestamp is MaxTimestamp).
func (b *Batch) LogAppendTime() bool { return b.Attributes&attrLogAppendTime != 0 }

// NextOffset is the offset after the batch's last record.
func (b *Batch) NextOffset() int64 { return b.BaseOffset + int64(b.LastOffsetDelta) + 1 }

// Control marker types, from a control record's key.
const (
	ControlAbort  = 0
	ControlCommit = 1
)

// ControlType returns the marker type of a control batch's record
// (ControlAbort or ControlCommit), or -1 when it cannot be read.
func (b *Batch) ControlType() int {
	var it RecordIter
	b.Records(&it)
	var r Record
	if !b.IsControl() || !it.Next(&r) || len(r.Key) < 4 {
		return -1
	}
	return int(int16(binary.BigEndian.Uint16(r.Key[2:])))
}

// Record is one decoded record. Key, Value and the headers point into the
// fetched (or decompressed) data: valid until the Reader moves on.
type Record struct {
	Offset     int64
	Timestamp  int64
	Key        []byte // nil = null
	Value      []byte // nil = null
	NumHeaders int
	headers    []byte
}

// Headers calls fn for each header of r in order; it stops early when fn
// returns false.
func (r *Record) Headers(fn func(key, value []byte) bool) {
	b := r.headers
	for i := 0; i < r.NumHeaders; i++ {
		k, n := readBytes(b)
		if n == 0 {
			return
		}
		b = b[n:]
		v, n := readBytes(b)
		if n == 0 {
			return
		}
		b = b[n:]
		if !fn(k, v) {
			return
		}
	}
}

// readBytes reads a varint-length-prefixed field (-1 = nil), returning the
// field and bytes used (0 on error).
func readBytes(b []byte) ([]byte, int) {
	l, n := ReadVarint(b)
	if n == 0 || l < -1 || l > int64(len(b)-n) {
		return nil, 0
	}
	if l < 0 {
		return nil, n
	}
	return b[n : n+int(l) : n+int(l)], n + int(l)
}

// RecordIter walks a batch's records without allocating.
type RecordIter struct {
	b    *Batch
	rest []byte
	i    int
	err  error
}

// Records starts it at the batch's first record.
func (b *Batch) Records(it *RecordIter) {
	*it = RecordIter{b: b, rest: b.records}
}

// Err is the decoding error that stopped the iteration, if any.
func (it *RecordIter) Err() error { return it.err }

// Next decodes the next record into r, reporting false at the end or on a
// corrupt record (see Err).
func (it *RecordIter) Next(r *Record) bool {
	b := it.b
	if b.Magic < 2 {
		if it.i >= len(b.legacy) {
			return false
		}
		*r = b.legacy[it.i]
		it.i++
		return true
	}
	if it.i >= int(b.NumRecords) || it.err != nil {
		return false
	}
	length, n := ReadVarint(it.rest)
	if n == 0 || length < 0 || length > int64(len(it.rest)-n) {
		it.err = corrupt("record %d of batch at offset %d: bad length", it.i, b.BaseOffset)
		return false
	}
	rec := it.rest[n : n+int(length)]
	it.rest = it.rest[n+int(length):]
	it.i++
	if err := decodeRecord(rec, b, r); err != nil {
		it.err = err
		return false
	}
	return true
}

func decodeRecord(rec []byte, b *Batch, r *Record) error {
	if len(rec) < 1 {
		return corrupt("empty record in batch at offset %d", b.BaseOffset)
	}
	p := rec[1:] // skip attributes
	tsDelta, n := ReadVarint(p)
	if n == 0 {
		return corrupt("record timestamp in batch at offset %d", b.BaseOffset)
	}
	p = p[n:]
	offDelta, n := ReadVarint(p)
	if n == 0 {
		return corrupt("record offset in batch at offset %d", b.BaseOffset)
	}
	p = p[n:]
	key, n := readBytes(p)
	if n == 0 {
		return corrupt("record key in batch at offset %d", b.BaseOffset)
	}
	p = p[n:]
	value, n := readBytes(p)
	if n == 0 {
		return corrupt("record value in batch at offset %d", b.BaseOffset)
	}
	p = p[n:]
	nh, n := ReadVarint(p)
	if n == 0 || nh < 0 || nh > int64(len(p)) {
		return corrupt("record header count in batch at offset %d", b.BaseOffset)
	}
	r.Offset = b.BaseOffset + offDelta
	r.Timestamp = b.BaseTimestamp + tsDelta
	if b.LogAppendTime() {
		r.Timestamp = b.MaxTimestamp
	}
	r.Key, r.Value = key, value
	r.NumHeaders = int(nh)
	r.headers = p[n:]
	return nil
}

// Reader iterates the batches in the records bytes of one fetched
// partition. The last batch may be cut short by the broker's size limit;
// it is skipped silently, as the next fetch will return it whole.
type Reader struct {
	data []byte
	// SkipCRC turns off CRC verification (it is on by default).
	SkipCRC bool
	// MaxDecompressed bounds one batch's decompressed size (default
	// DefaultMaxDecompressed).
	MaxDecompressed int
	scratch         []byte
}

// Reset points the reader at new data, keeping its buffers.
func (r *Reader) Reset(data []byte) { r.data = data }

// Remaining is how many bytes of the data are still to be read.
func (r *Reader) Remaining() int { return len(r.data) }

// Next decodes the next batch into b. It returns false at the end of the
// data (including a truncated final batch) and an error for corrupt data.
// b's records stay valid until the next call.
func (r *Reader) Next(b *Batch) (bool, error) {
	const minHeader = 17 // offset, length, epoch/crc, magic
	if len(r.data) < minHeader {
		return false, nil
	}
	size := int32(binary.BigEndian.Uint32(r.data[offLength:]))
	if size < 0 {
		return false, corrupt("negative batch length %d", size)
	}
	total := 12 + int(size)
	if total < minHeader {
		return false, corrupt("batch length %d is shorter than a header", size)
	}
	if total > len(r.data) {
		return false, nil // partial batch at the end of a fetch
	}
	raw := r.data[:total]
	r.data = r.data[total:]
	switch magic := int8(raw[offMagic]); magic {
	case 2:
		return true, r.decodeV2(raw, b)
	case 0, 1:
		return true, r.decodeLegacy(raw, b)
	default:
		return false, corrupt("unknown magic %d", magic)
	}
}

// NextOffsetAfter reads only the batch headers of one fetched partition's
// data (no CRC check, no decompression) and returns the offset after its
// last whole batch, or -1 if no batch is whole, so that a consumer can ask
// for what follows while it still decodes these. ok is false if a batch is
// not magic 2 or its length cannot be right: then only decoding can say
// where the data ends.
func NextOffsetAfter(data []byte) (next int64, ok bool) {
	next = -1
	for len(data) >= offMagic+1 {
		size := int32(binary.BigEndian.Uint32(data[offLength:]))
		total := 12 + int(size)
		if size < 0 || total < BatchHeaderSize || int8(data[offMagic]) != 2 {
			return -1, false
		}
		if total > len(data) {
			break // cut short by the size limit, as Reader.Next skips it
		}
		base := int64(binary.BigEndian.Uint64(data[offBaseOffset:]))
		next = base + int64(int32(binary.BigEndian.Uint32(data[offLastOffsetDelta:]))) + 1
		data = data[total:]
	}
	return next, true
}

func (r *Reader) decodeV2(raw []byte, b *Batch) error {
	if len(raw) < BatchHeaderSize {
		return corrupt("batch of %d bytes is shorter than its header", len(raw))
	}
	be := binary.BigEndian
	*b = Batch{
		BaseOffset:           int64(be.Uint64(raw[offBaseOffset:])),
		PartitionLeaderEpoch: int32(be.Uint32(raw[offLeaderEpoch:])),
		Magic:                2,
		Attributes:           int16(be.Uint16(raw[offAttributes:])),
		LastOffsetDelta:      int32(be.Uint32(raw[offLastOffsetDelta:])),
		BaseTimestamp:        int64(be.Uint64(raw[offBaseTimestamp:])),
		MaxTimestamp:         int64(be.Uint64(raw[offMaxTimestamp:])),
		ProducerID:           int64(be.Uint64(raw[offProducerID:])),
		ProducerEpoch:        int16(be.Uint16(raw[offProducerEpoch:])),
		BaseSequence:         int32(be.Uint32(raw[offBaseSequence:])),
		NumRecords:           int32(be.Uint32(raw[offRecordCount:])),
	}
	if !r.SkipCRC && be.Uint32(raw[offCRC:]) != CRC32C(raw[offAttributes:]) {
		return corrupt("CRC mismatch in batch at offset %d", b.BaseOffset)
	}
	// Every record takes at least 7 bytes, which bounds a lying count.
	records := raw[BatchHeaderSize:]
	if b.NumRecords < 0 {
		return corrupt("negative record count in batch at offset %d", b.BaseOffset)
	}
	if codec := b.Codec(); codec != compress.None {
		limit := r.MaxDecompressed
		if limit <= 0 {
			limit = DefaultMaxDecompressed
		}
		var err error
		r.scratch, err = compress.Decompress(r.scratch[:0], codec, records, limit)
		if err != nil {
			return corrupt("batch at offset %d: %s: %v", b.BaseOffset, codec, err)
		}
		records = r.scratch
	}
	if int64(b.NumRecords) > int64(len(records)) {
		return corrupt("batch at offset %d claims %d records in %d bytes", b.BaseOffset, b.NumRecords, len(records))
	}
	b.records = records
	return nil
}
