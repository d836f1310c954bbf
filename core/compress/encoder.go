package compress

import (
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Level is a codec's compression level, counted as librdkafka's
// compression.level counts it: DefaultLevel is the codec's own default
// (klauspost's gzip level 5, LZ4's fast mode, zstd's 3); gzip takes 1-9,
// lz4 1-12 (1-2 its fast mode still, 3 and up its high-compression mode,
// as liblz4 counts), zstd 1-22 (in klauspost's four speeds: 1-2 fastest, 3-5 default, 6-9
// better, 10 and up best). Snappy has none.
type Level int8

const DefaultLevel Level = 0

// MaxLevel is the highest level codec takes (0: its default alone).
func MaxLevel(codec Codec) Level {
	switch codec {
	case Gzip:
		return 9
	case LZ4:
		return 12
	case Zstd:
		return 22
	}
	return 0
}

// Encoder compresses with codec state of its own, for one goroutine at a
// time. zstd's state is megabytes of tables: a goroutine that compresses
// batch after batch with its own Encoder finds them in its caches, and
// goroutines with one each compress at once instead of taking turns (as
// users of Compress do). The zero value is ready, at each codec's default
// level; a codec's state is made on its first use.
type Encoder struct {
	// Level applies to whichever codec compresses (set before the first
	// Compress; a level above the codec's MaxLevel counts as its maximum).
	Level Level
	zstd  *zstd.Encoder
	lz4   lz4Compressor
	gzip  *gzip.Writer
}

// Compress appends src compressed with codec to dst.
func (e *Encoder) Compress(dst []byte, codec Codec, src []byte) ([]byte, error) {
	switch codec {
	case Gzip:
		if e.gzip == nil {
			level := gzip.DefaultCompression
			if e.Level > DefaultLevel {
				level = int(min(e.Level, MaxLevel(Gzip)))
			}
			e.gzip, _ = gzip.NewWriterLevel(nil, level)
		}
		return compressStream(dst, e.gzip, src)
	case LZ4:
		if e.lz4 == nil {
			e.lz4 = newLZ4Compressor(e.Level)
		}
		return appendLZ4Frame(e.lz4, dst, src), nil
	case Zstd:
		if e.zstd == nil {
			e.zstd = newZstdEncoder(e.Level)
		}
		return e.zstd.EncodeAll(src, dst), nil
	}
	return Compress(dst, codec, src) // the others keep no state
}
