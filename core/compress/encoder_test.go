package compress

import (
	"bytes"
	"testing"
)

// An Encoder, used batch after batch, writes what Compress writes, and
// that reads back whole: its state carries nothing from one batch into
// the next.
func TestEncoderWritesWhatCompressWrites(t *testing.T) {
	var e Encoder
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		for _, in := range [][]byte{sample(), nil, []byte("x"), sample()[100:]} {
			got, err := e.Compress([]byte("prefix"), c, in)
			if err != nil || !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatalf("%v: %v", c, err)
			}
			want, _ := Compress(nil, c, in)
			if !bytes.Equal(got[len("prefix"):], want) {
				t.Fatalf("%v: %d bytes of %d compressed to %d bytes, Compress wrote %d", c, len(in), len(in),
					len(got)-len("prefix"), len(want))
			}
			out, err := Decompress(nil, c, want, 1<<20)
			if err != nil || !bytes.Equal(out, in) {
				t.Fatalf("%v: round trip of %d bytes gave %d (%v)", c, len(in), len(out), err)
			}
		}
	}
}
