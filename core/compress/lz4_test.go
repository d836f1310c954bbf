package compress

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// The frame's fixed header, checksum byte included, is what an independent
// writer (pierrec's) makes with the same settings.
func TestLZ4HeaderMatchesAnotherWriter(t *testing.T) {
	var ref bytes.Buffer
	w := lz4.NewWriter(&ref)
	if err := w.Apply(lz4.ChecksumOption(false), lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("header")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ours := appendLZ4Frame(new(lz4.CompressorCCompat), nil, []byte("header"))
	if !bytes.Equal(ours[:7], ref.Bytes()[:7]) {
		t.Fatalf("header % x, another writer's % x", ours[:7], ref.Bytes()[:7])
	}
}

// Input over several blocks, with an incompressible block among them
// (stored as is, its size flagged), comes back whole through another
// reader (pierrec's) and through Decompress.
func TestLZ4FrameOfManyBlocks(t *testing.T) {
	random := make([]byte, lz4BlockSize)
	rand.New(rand.NewSource(1)).Read(random)
	in := append(bytes.Repeat([]byte("kafka record "), 2*lz4BlockSize/13), random...)
	in = append(in, bytes.Repeat([]byte{0}, lz4BlockSize/2)...)
	enc := appendLZ4Frame(new(lz4.CompressorCCompat), []byte("prefix"), in)[len("prefix"):]

	stored := 0
	for rest := enc[7:]; ; {
		size := binary.LittleEndian.Uint32(rest)
		if size == lz4EndMark {
			break
		}
		if size&lz4BlockStored != 0 {
			stored++
		}
		if n := size &^ lz4BlockStored; n > lz4BlockSize {
			t.Fatalf("a block of %d bytes", n)
		} else {
			rest = rest[4+n:]
		}
	}
	if stored != 1 {
		t.Fatalf("%d stored blocks, want the random one", stored)
	}

	var ref bytes.Buffer
	if _, err := ref.ReadFrom(lz4.NewReader(bytes.NewReader(enc))); err != nil || !bytes.Equal(ref.Bytes(), in) {
		t.Fatalf("another reader: %v, %d of %d bytes", err, ref.Len(), len(in))
	}
	out, err := Decompress(nil, LZ4, enc, len(in))
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("Decompress: %v", err)
	}
}
