package wire

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/kfk-dev/kfk/core/compress"
)

// Legacy message sets (magic 0 and 1) predate record batches; brokers still
// return them for data written long ago. Each message is
//
//	offset int64, size int32, crc int32 (IEEE), magic int8, attributes int8,
//	[timestamp int64, magic 1 only], key bytes (int32 length), value bytes
//
// and a compressed message wraps a whole inner message set in its value.
// They are rare, so decoding them may allocate.

const legacyMaxDepth = 2 // a wrapper holds plain messages, never wrappers

func (r *Reader) decodeLegacy(raw []byte, b *Batch) error {
	*b = Batch{Magic: int8(raw[offMagic])}
	msgs, err := r.legacyMessages(raw, 0)
	if err != nil {
		return err
	}
	b.legacy = msgs
	b.NumRecords = int32(len(msgs))
	if len(msgs) > 0 {
		b.BaseOffset = msgs[0].Offset
		b.LastOffsetDelta = int32(msgs[len(msgs)-1].Offset - msgs[0].Offset)
	}
	return nil
}

// legacyMessages decodes one message (raw holds exactly one) and, for a
// compressed wrapper, the messages inside it.
func (r *Reader) legacyMessages(raw []byte, depth int) ([]Record, error) {
	be := binary.BigEndian
	if len(raw) < 26 {
		return nil, corrupt("legacy message of %d bytes", len(raw))
	}
	offset := int64(be.Uint64(raw))
	body := raw[12:] // crc onward
	if !r.SkipCRC && be.Uint32(body) != crc32.ChecksumIEEE(body[4:]) {
		return nil, corrupt("CRC mismatch in legacy message at offset %d", offset)
	}
	magic, attrs := int8(body[4]), body[5]
	p := body[6:]
	ts := int64(-1)
	if magic == 1 {
		if len(p) < 8 {
			return nil, corrupt("legacy message at offset %d: truncated timestamp", offset)
		}
		ts = int64(be.Uint64(p))
		p = p[8:]
	}
	key, p, err := legacyBytes(p, offset)
	if err != nil {
		return nil, err
	}
	value, _, err := legacyBytes(p, offset)
	if err != nil {
		return nil, err
	}
	codec := compress.Codec(attrs & attrCodecMask)
	if codec == compress.None {
		return []Record{{Offset: offset, Timestamp: ts, Key: key, Value: value}}, nil
	}
	out, err := r.legacyWrapped(value, codec, offset, depth)
	if err != nil {
		return nil, err
	}
	// Magic 1 wrappers carry the last inner offset; inner offsets are
	// relative to the first (KIP-31). Magic 0 inner offsets are absolute.
	if magic == 1 && len(out) > 0 {
		base := offset - out[len(out)-1].Offset
		for i := range out {
			out[i].Offset += base
			if attrs&attrLogAppendTime != 0 {
				out[i].Timestamp = ts
			}
		}
	}
	return out, nil
}

// legacyWrapped decompresses the value of a compressed legacy message (a
// wrapper at offset) and reads the messages inside it.
func (r *Reader) legacyWrapped(value []byte, codec compress.Codec, offset int64, depth int) ([]Record, error) {
	if depth >= legacyMaxDepth-1 {
		return nil, corrupt("legacy message at offset %d: nested compression", offset)
	}
	limit := r.MaxDecompressed
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	inner, err := compress.Decompress(nil, codec, value, limit)
	if err != nil {
		return nil, corrupt("legacy message at offset %d: %s: %v", offset, codec, err)
	}
	be := binary.BigEndian
	var out []Record
	for len(inner) >= 12 {
		size := int32(be.Uint32(inner[8:]))
		if size < 0 || int(size) > len(inner)-12 {
			break
		}
		msgs, err := r.legacyMessages(inner[:12+size], depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
		inner = inner[12+size:]
	}
	return out, nil
}

func legacyBytes(p []byte, offset int64) ([]byte, []byte, error) {
	if len(p) < 4 {
		return nil, nil, corrupt("legacy message at offset %d: truncated length", offset)
	}
	n := int32(binary.BigEndian.Uint32(p))
	p = p[4:]
	if n < 0 {
		return nil, p, nil
	}
	if int(n) > len(p) {
		return nil, nil, corrupt("legacy message at offset %d: field longer than the message", offset)
	}
	return p[:n:n], p[n:], nil
}
