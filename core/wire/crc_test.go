package wire

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
)

func TestCombineCRC32CMatchesOneCRC(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 3<<20)
	rng.Read(data)
	for _, split := range []int{0, 1, 7, 40, 4096, 1 << 20, len(data) - 1, len(data)} {
		a, b := data[:split], data[split:]
		if got, want := combineCRC32C(CRC32C(a), CRC32C(b), len(b)), CRC32C(data); got != want {
			t.Errorf("split at %d: combined %08x, whole %08x", split, got, want)
		}
	}
}

// An uncompressed batch's records are checksummed while they are
// appended: whether in one buffer or several, joined by the caller or by
// Finish, its CRC is the one over its bytes, and a reader accepts it.
func TestBatchChecksummedAsAppendedIsValid(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	var recs []rec
	for total := 0; total < 5*checksumStride; {
		value := make([]byte, rng.Intn(3*checksumStride/2))
		rng.Read(value)
		recs = append(recs, rec{ts: int64(len(recs)), key: []byte{byte(len(recs))}, value: value})
		total += len(value)
	}
	for _, spans := range []string{"one buffer", "joined by the caller", "joined by Finish"} {
		var b Builder
		b.Reset(nil, BatchOptions{Codec: compress.None, ProducerID: 9, ProducerEpoch: 1, BaseSequence: 5})
		for i, r := range recs {
			if spans != "one buffer" && i%3 == 2 {
				b.Continue(make([]byte, 0, b.RecordSize(r.ts, r.key, r.value, nil)+rng.Intn(100)))
			}
			b.Append(r.ts, r.key, r.value, nil)
		}
		if spans == "joined by the caller" {
			b.Join(make([]byte, 0, b.Size()))
		}
		if b.crcLen == 0 {
			t.Fatalf("%s: no record was checksummed as it was appended", spans)
		}
		out, err := b.Finish(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := binary.BigEndian.Uint32(out[offCRC:]), CRC32C(out[offAttributes:]); got != want {
			t.Fatalf("%s: CRC %08x, want %08x", spans, got, want)
		}
		_, got := decodeAll(t, out) // the reader checks the CRC too
		if len(got) != 1 || len(got[0]) != len(recs) {
			t.Fatalf("%s: read back %d batches", spans, len(got))
		}
		for i, x := range got[0] {
			if !bytes.Equal(x.Value, recs[i].value) {
				t.Fatalf("%s: record %d's value differs", spans, i)
			}
		}
	}
}
