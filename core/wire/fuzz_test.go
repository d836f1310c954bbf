package wire

import (
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
)

// FuzzReader feeds arbitrary bytes to the batch reader: it must return
// errors, never panic, and never allocate beyond its limits.
func FuzzReader(f *testing.F) {
	for _, codec := range []compress.Codec{compress.None, compress.Gzip, compress.Snappy, compress.LZ4, compress.Zstd} {
		f.Add(build(f, sampleRecords(8), codec, NoProducer))
	}
	f.Add(legacyMessage(3, 1, 0, 9, []byte("k"), []byte("v")))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Reader{MaxDecompressed: 1 << 20}
		r.Reset(data)
		var b Batch
		var it RecordIter
		var rec Record
		for i := 0; i < 100; i++ {
			ok, err := r.Next(&b)
			if !ok || err != nil {
				return
			}
			for b.Records(&it); it.Next(&rec); {
				rec.Headers(func(k, v []byte) bool { return true })
			}
			b.ControlType()
		}
	})
}

// FuzzVarint checks that decoding never panics and re-encodes what it read.
func FuzzVarint(f *testing.F) {
	f.Add([]byte{0x80, 0x80, 0x01})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, n := ReadVarint(data)
		if n == 0 {
			return
		}
		if again, m := ReadVarint(AppendVarint(nil, v)); again != v || m != VarintLen(v) {
			t.Fatalf("varint %d does not round-trip", v)
		}
	})
}
