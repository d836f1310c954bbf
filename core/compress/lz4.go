package compress

import (
	"encoding/binary"
	"slices"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// The LZ4 frame kfk writes: the layout Kafka's Java client writes (64 KiB
// independent blocks, no checksums: the batch has its own CRC), compressed
// block by block straight into the caller's buffer. lz4.Writer would copy
// every byte into its own block buffer first and its output once more,
// which cost about half of compressing the bench's 1 MB batches.
const (
	lz4FrameMagic   = 0x184D2204
	lz4FrameFlags   = 0x60 // FLG: version 01, independent blocks, nothing optional
	lz4FrameBlock64 = 0x40 // BD: blocks of at most 64 KiB
	// lz4HeaderCheck is the frame descriptor's checksum byte, the second
	// byte of XXH32 over FLG and BD; both are fixed, so it is too.
	lz4HeaderCheck = 0x82
	lz4BlockSize   = 64 << 10
	lz4BlockStored = 1 << 31 // a block size's flag: its bytes are not compressed
	lz4EndMark     = 0
)

// The default compressor is LZ4's reference fast algorithm (what
// librdkafka's liblz4 runs): on 64 KiB blocks of text it is about a fifth
// faster than pierrec's own and compresses as well.
var lz4Compressors = sync.Pool{New: func() any { return new(lz4.CompressorCCompat) }}

// lz4Compressor compresses one block (pierrec's fast and high-compression
// compressors both do).
type lz4Compressor interface {
	CompressBlock(src, dst []byte) (int, error)
}

// lz4HighLevel is the lowest level that compresses in LZ4's
// high-compression mode, as liblz4 counts levels (LZ4HC_CLEVEL_MIN):
// below it, librdkafka's lz4 stays in the fast mode.
const lz4HighLevel = 3

// newLZ4Compressor is the compressor for level: the fast one below
// lz4HighLevel, otherwise the high-compression one, searching deeper with
// each level up to pierrec's deepest.
func newLZ4Compressor(level Level) lz4Compressor {
	if level < lz4HighLevel {
		return new(lz4.CompressorCCompat)
	}
	depths := [...]lz4.CompressionLevel{lz4.Level1, lz4.Level2, lz4.Level3, lz4.Level4, lz4.Level5, lz4.Level6,
		lz4.Level7, lz4.Level8, lz4.Level9}
	return &lz4.CompressorHC{Level: depths[min(int(level-lz4HighLevel), len(depths)-1)]}
}

// appendLZ4Frame appends src as one LZ4 frame to dst, compressed by c.
func appendLZ4Frame(c lz4Compressor, dst, src []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, lz4FrameMagic)
	dst = append(dst, lz4FrameFlags, lz4FrameBlock64, lz4HeaderCheck)
	for len(src) > 0 {
		n := min(len(src), lz4BlockSize)
		bound := lz4.CompressBlockBound(n)
		dst = slices.Grow(dst, 4+bound)
		at := len(dst)
		block := dst[at : at+4+bound]
		size, err := c.CompressBlock(src[:n], block[4:])
		if err != nil || size == 0 || size >= n {
			// Incompressible: the frame format stores such a block as is.
			size = copy(block[4:], src[:n])
			le.PutUint32(block, uint32(size)|lz4BlockStored)
		} else {
			le.PutUint32(block, uint32(size))
		}
		dst = dst[:at+4+size]
		src = src[n:]
	}
	return le.AppendUint32(dst, lz4EndMark)
}
