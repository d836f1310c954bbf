package compress

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
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

// Every level of every codec reads back whole, and a codec's highest
// level compresses text-like data smaller than its lowest.
func TestEncoderLevels(t *testing.T) {
	words := strings.Fields("kafka record batch offset partition topic leader replica broker consumer group " +
		"member commit fetch produce acks linger compression header key value timestamp epoch sequence " +
		"transaction marker abort isolation committed latest earliest rebalance assignment coordinator")
	rng := rand.New(rand.NewPCG(1, 2))
	var text []byte
	for len(text) < 256<<10 { // words as text has them: some far more often than others
		w := words[min(rng.IntN(len(words)), rng.IntN(len(words)))]
		text = append(append(text, w...), " \n"[rng.IntN(12)/11])
		if rng.IntN(9) == 0 {
			text = strconv.AppendInt(text, rng.Int64N(100000), 10)
		}
	}
	for _, c := range []Codec{Gzip, LZ4, Zstd, Snappy} {
		sizes := map[Level]int{}
		for level := DefaultLevel; level <= MaxLevel(c)+1; level++ { // one past the maximum counts as it
			e := Encoder{Level: level}
			got, err := e.Compress(nil, c, text)
			if err != nil {
				t.Fatalf("%v level %d: %v", c, level, err)
			}
			out, err := Decompress(nil, c, got, 1<<20)
			if err != nil || !bytes.Equal(out, text) {
				t.Fatalf("%v level %d: round trip of %d bytes gave %d (%v)", c, level, len(text), len(out), err)
			}
			sizes[level] = len(got)
		}
		// The lowest: level 1, but for LZ4, whose levels below 3 are its fast
		// mode, below every level of its high-compression one.
		lowest := Level(1)
		if c == LZ4 {
			lowest = DefaultLevel
			if sizes[1] != sizes[DefaultLevel] || sizes[lz4HighLevel] >= sizes[1] {
				t.Errorf("lz4: %d bytes at its default, %d at level 1, %d at level %d: want the fast mode's "+
					"twice, then fewer", sizes[DefaultLevel], sizes[1], sizes[lz4HighLevel], lz4HighLevel)
			}
		}
		if top := MaxLevel(c); top > 0 && sizes[top] >= sizes[lowest] {
			t.Errorf("%v: level %d wrote %d bytes, level %d %d", c, top, sizes[top], lowest, sizes[lowest])
		}
	}
}
