package compress

import (
	"bytes"
	"errors"
	"testing"

	"github.com/golang/snappy"
)

func sample() []byte {
	var b bytes.Buffer
	for i := 0; i < 5000; i++ {
		b.WriteString("kafka record payload ")
		b.WriteByte(byte(i))
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		for _, in := range [][]byte{nil, []byte("x"), sample()} {
			prefix := []byte("prefix")
			enc, err := Compress(append([]byte(nil), prefix...), c, in)
			if err != nil || !bytes.HasPrefix(enc, prefix) {
				t.Fatalf("%v: compress: %v", c, err)
			}
			out, err := Decompress([]byte("p"), c, enc[len(prefix):], 1<<20)
			if err != nil {
				t.Fatalf("%v: decompress: %v", c, err)
			}
			if !bytes.Equal(out[1:], in) || out[0] != 'p' {
				t.Fatalf("%v: round trip of %d bytes gave %d", c, len(in), len(out)-1)
			}
		}
	}
}

func TestRawSnappyIsRead(t *testing.T) {
	in := sample()
	out, err := Decompress(nil, Snappy, snappy.Encode(nil, in), 1<<20)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("raw snappy: %v", err)
	}
}

func TestXerialFraming(t *testing.T) {
	enc, _ := Compress(nil, Snappy, sample())
	if !bytes.HasPrefix(enc, xerialMagic) {
		t.Fatal("snappy output is not xerial-framed")
	}
	if _, err := Decompress(nil, Snappy, enc[:len(enc)-3], 1<<20); err == nil {
		t.Fatal("a truncated xerial block must fail")
	}
}

func TestLimit(t *testing.T) {
	in := sample()
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		enc, _ := Compress(nil, c, in)
		if _, err := Decompress(nil, c, enc, len(in)-1); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%v: limit not enforced: %v", c, err)
		}
	}
}

func TestParseCodec(t *testing.T) {
	for s, want := range map[string]Codec{"": None, "none": None, "gzip": Gzip, "snappy": Snappy, "lz4": LZ4, "zstd": Zstd} {
		if c, err := ParseCodec(s); err != nil || c != want || (s != "" && c.String() != s) {
			t.Errorf("ParseCodec(%q) = %v, %v", s, c, err)
		}
	}
	if _, err := ParseCodec("brotli"); err == nil {
		t.Error("unknown codec accepted")
	}
}

func TestGarbageFails(t *testing.T) {
	for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
		if _, err := Decompress(nil, c, []byte("definitely not compressed data"), 1<<20); err == nil {
			t.Errorf("%v: garbage decoded without error", c)
		}
	}
}

// FuzzDecompress feeds arbitrary bytes to every codec's decoder: errors,
// never panics, and never more output than the limit.
func FuzzDecompress(f *testing.F) {
	for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
		enc, _ := Compress(nil, c, sample())
		f.Add(byte(c), enc)
	}
	f.Add(byte(Snappy), snappy.Encode(nil, []byte("raw snappy block")))
	f.Fuzz(func(t *testing.T, codec byte, data []byte) {
		c := Codec(codec%4 + 1)
		out, err := Decompress(nil, c, data, 1<<16)
		if err == nil && len(out) > 1<<16 {
			t.Fatalf("%v: %d bytes past the limit", c, len(out))
		}
	})
}

// benchEachCodec runs, for every codec, the operation op makes of a 1 MB
// batch of the bench's records (10 KB of one repeated byte each) and of
// text; the operation writes into the buffer it is given.
func benchEachCodec(b *testing.B, op func(c Codec, in []byte) func(dst []byte) error) {
	inputs := map[string][]byte{
		"repeated": bytes.Repeat(append([]byte{0x80, 0x9c, 0x01}, bytes.Repeat([]byte("x"), 10000)...), 100),
		"text":     bytes.Repeat(sample(), 10),
	}
	for name, in := range inputs {
		for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
			run := op(c, in)
			b.Run(name+"/"+c.String(), func(b *testing.B) {
				dst := make([]byte, 0, 2*len(in))
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := run(dst[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkCompress(b *testing.B) {
	benchEachCodec(b, func(c Codec, in []byte) func([]byte) error {
		return func(dst []byte) error { _, err := Compress(dst, c, in); return err }
	})
}

func BenchmarkDecompress(b *testing.B) {
	benchEachCodec(b, func(c Codec, in []byte) func([]byte) error {
		enc, _ := Compress(nil, c, in)
		return func(dst []byte) error { _, err := Decompress(dst, c, enc, 1<<30); return err }
	})
}
