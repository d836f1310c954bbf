// Package compress implements Kafka's four record-batch codecs: gzip and
// zstd (klauspost/compress), lz4 in the LZ4 frame format that Kafka has
// written since KIP-57 (pierrec/lz4), and snappy (golang/snappy). Snappy is
// written in the xerial framing the Java client uses, since Java consumers
// read only that; both xerial and raw snappy are read.
package compress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec is a compression type with Kafka's attribute number.
type Codec int8

const (
	None   Codec = 0
	Gzip   Codec = 1
	Snappy Codec = 2
	LZ4    Codec = 3
	Zstd   Codec = 4
)

var names = [...]string{"none", "gzip", "snappy", "lz4", "zstd"}

func (c Codec) String() string {
	if c >= 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// ParseCodec accepts "none" (or ""), "gzip", "snappy", "lz4", "zstd".
func ParseCodec(s string) (Codec, error) {
	if s == "" {
		return None, nil
	}
	for i, n := range names {
		if n == s {
			return Codec(i), nil
		}
	}
	return None, fmt.Errorf("unknown compression %q (none, gzip, snappy, lz4, zstd)", s)
}

// ErrTooLarge is returned when decompressed data would exceed the limit.
var ErrTooLarge = errors.New("decompressed data exceeds the limit")

// Compress appends src compressed with codec to dst.
func Compress(dst []byte, codec Codec, src []byte) ([]byte, error) {
	switch codec {
	case None:
		return append(dst, src...), nil
	case Gzip:
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		return compressStream(dst, w, src)
	case Snappy:
		return appendXerial(dst, src), nil
	case LZ4:
		c := lz4Compressors.Get().(*lz4.CompressorCCompat)
		defer lz4Compressors.Put(c)
		return appendLZ4Frame(c, dst, src), nil
	case Zstd:
		return zstdEncoder().EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("unknown compression codec %d", codec)
}

// compressStream appends src compressed through w to dst.
func compressStream(dst []byte, w *gzip.Writer, src []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w.Reset(buf)
	if _, err := w.Write(src); err != nil {
		return dst, err
	}
	if err := w.Close(); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}

// Decompress appends the decompression of src to dst, refusing output
// beyond limit bytes (a hostile or corrupt batch cannot exhaust memory).
func Decompress(dst []byte, codec Codec, src []byte, limit int) ([]byte, error) {
	switch codec {
	case None:
		if len(src) > limit {
			return dst, ErrTooLarge
		}
		return append(dst, src...), nil
	case Gzip:
		r := gzipReaders.Get().(*gzip.Reader)
		defer gzipReaders.Put(r)
		if err := r.Reset(bytes.NewReader(src)); err != nil {
			return dst, err
		}
		return readLimited(dst, r, limit)
	case Snappy:
		return decodeSnappy(dst, src, limit)
	case LZ4:
		r := lz4Readers.Get().(*lz4.Reader)
		defer lz4Readers.Put(r)
		r.Reset(bytes.NewReader(src))
		return readLimited(dst, r, limit)
	case Zstd:
		out, err := zstdDecoder().DecodeAll(src, dst)
		if err != nil {
			return dst, err
		}
		if len(out)-len(dst) > limit {
			return dst, ErrTooLarge
		}
		return out, nil
	}
	return dst, fmt.Errorf("unknown compression codec %d", codec)
}

// readLimited appends all of r to dst, failing past limit bytes.
func readLimited(dst []byte, r io.Reader, limit int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return dst, err
	}
	if n > int64(limit) {
		return dst, ErrTooLarge
	}
	return buf.Bytes(), nil
}

var (
	gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}
	gzipReaders = sync.Pool{New: func() any { return new(gzip.Reader) }}
	lz4Readers  = sync.Pool{New: func() any { return lz4.NewReader(nil) }}

	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
)

// The zstd encoder and decoder are costly to build and safe for concurrent
// EncodeAll/DecodeAll, so one of each serves the process. Frames carry no
// content checksum, as librdkafka's and Java's do not (the batch has a
// CRC).
func initZstd() {
	zstdEnc = newZstdEncoder(DefaultLevel)
	zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))
}

// newZstdEncoder is an encoder for one EncodeAll at a time, at level
// (DefaultLevel: zstd's 3, librdkafka's and Java's default).
func newZstdEncoder(level Level) *zstd.Encoder {
	speed := zstd.SpeedDefault
	if level > DefaultLevel {
		speed = zstd.EncoderLevelFromZstd(int(min(level, MaxLevel(Zstd))))
	}
	e, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(speed),
		zstd.WithEncoderCRC(false))
	return e
}

func zstdEncoder() *zstd.Encoder { zstdOnce.Do(initZstd); return zstdEnc }
func zstdDecoder() *zstd.Decoder { zstdOnce.Do(initZstd); return zstdDec }

// xerial framing: an 8-byte magic, two big-endian int32 versions, then
// blocks of big-endian int32 length + raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialBlock = 32 << 10

func appendXerial(dst, src []byte) []byte {
	dst = append(dst, xerialMagic...)
	dst = binary.BigEndian.AppendUint32(dst, 1) // version
	dst = binary.BigEndian.AppendUint32(dst, 1) // minimum compatible version
	for len(src) > 0 {
		n := min(len(src), xerialBlock)
		need := snappy.MaxEncodedLen(n)
		dst = slices.Grow(dst, 4+need)
		at := len(dst)
		enc := snappy.Encode(dst[at+4:at+4+need], src[:n])
		binary.BigEndian.PutUint32(dst[at:at+4], uint32(len(enc)))
		dst = dst[:at+4+len(enc)]
		src = src[n:]
	}
	return dst
}

func decodeSnappy(dst, src []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialMagic) {
		return appendSnappyBlock(dst, src, limit, len(dst))
	}
	if len(src) < 16 {
		return dst, errors.New("snappy: truncated xerial header")
	}
	start := len(dst)
	for rest := src[16:]; len(rest) > 0; {
		if len(rest) < 4 {
			return dst, errors.New("snappy: truncated xerial block length")
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return dst, errors.New("snappy: xerial block longer than the data")
		}
		var err error
		if dst, err = appendSnappyBlock(dst, rest[:n], limit, start); err != nil {
			return dst, err
		}
		rest = rest[n:]
	}
	return dst, nil
}

// appendSnappyBlock decodes one raw snappy block onto dst; start is where
// this batch's output began, for the limit.
func appendSnappyBlock(dst, block []byte, limit, start int) ([]byte, error) {
	n, err := snappy.DecodedLen(block)
	if err != nil {
		return dst, err
	}
	if len(dst)-start+n > limit {
		return dst, ErrTooLarge
	}
	dst = slices.Grow(dst, n)
	dec, err := snappy.Decode(dst[len(dst):len(dst)+n], block)
	if err != nil {
		return dst, err
	}
	return dst[:len(dst)+len(dec)], nil
}
