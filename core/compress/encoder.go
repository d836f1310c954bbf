package compress

import (
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Encoder compresses with codec state of its own, for one goroutine at a
// time. zstd's state is megabytes of tables: a goroutine that compresses
// batch after batch with its own Encoder finds them in its caches, and
// goroutines with one each compress at once instead of taking turns (as
// users of Compress do). The zero value is ready; a codec's state is made
// on its first use.
type Encoder struct {
	zstd *zstd.Encoder
	lz4  *lz4.CompressorCCompat
	gzip *gzip.Writer
}

// Compress appends src compressed with codec to dst.
func (e *Encoder) Compress(dst []byte, codec Codec, src []byte) ([]byte, error) {
	switch codec {
	case Gzip:
		if e.gzip == nil {
			e.gzip, _ = gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		}
		return compressStream(dst, e.gzip, src)
	case LZ4:
		if e.lz4 == nil {
			e.lz4 = new(lz4.CompressorCCompat)
		}
		return appendLZ4Frame(e.lz4, dst, src), nil
	case Zstd:
		if e.zstd == nil {
			e.zstd = newZstdEncoder()
		}
		return e.zstd.EncodeAll(src, dst), nil
	}
	return Compress(dst, codec, src) // the others keep no state
}
