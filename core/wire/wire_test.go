package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type rec struct {
	ts         int64
	key, value []byte
	headers    []Header
}

func sampleRecords(n int) []rec {
	out := make([]rec, n)
	for i := range out {
		out[i] = rec{ts: 1700000000000 + int64(i), key: []byte(fmt.Sprintf("key-%d", i)),
			value: bytes.Repeat([]byte{byte(i)}, i%50)}
		switch i % 4 {
		case 1:
			out[i].key = nil
		case 2:
			out[i].value = nil
		case 3:
			out[i].headers = []Header{{"h1", []byte("v1")}, {"null", nil}, {"", []byte{}}}
		}
	}
	return out
}

func build(t testing.TB, recs []rec, codec compress.Codec, opts BatchOptions) []byte {
	var b Builder
	opts.Codec = codec
	b.Reset(nil, opts)
	for _, r := range recs {
		before := b.Size()
		want := b.RecordSize(r.ts, r.key, r.value, r.headers)
		b.Append(r.ts, r.key, r.value, r.headers)
		if got := b.Size() - before; got != want {
			t.Fatalf("RecordSize = %d, Append added %d", want, got)
		}
	}
	out, err := b.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), out...)
}

func decodeAll(t testing.TB, data []byte) ([]Batch, [][]Record) {
	var r Reader
	r.Reset(data)
	var batches []Batch
	var all [][]Record
	for {
		var b Batch
		ok, err := r.Next(&b)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return batches, all
		}
		var it RecordIter
		b.Records(&it)
		var recs []Record
		var x Record
		for it.Next(&x) {
			x.Key, x.Value = bytes.Clone(x.Key), bytes.Clone(x.Value)
			x.headers = bytes.Clone(x.headers)
			recs = append(recs, x)
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		batches = append(batches, b)
		all = append(all, recs)
	}
}

func TestRoundTripEveryCodec(t *testing.T) {
	in := sampleRecords(200)
	for _, codec := range []compress.Codec{compress.None, compress.Gzip, compress.Snappy, compress.LZ4, compress.Zstd} {
		data := build(t, in, codec, BatchOptions{ProducerID: 7, ProducerEpoch: 3, BaseSequence: 100, Transactional: true})
		batches, recs := decodeAll(t, data)
		if len(batches) != 1 || len(recs[0]) != len(in) {
			t.Fatalf("%v: got %d batches", codec, len(batches))
		}
		b := batches[0]
		if b.Codec() != codec || !b.IsTransactional() || b.IsControl() || b.ProducerID != 7 ||
			b.ProducerEpoch != 3 || b.BaseSequence != 100 || b.LastOffsetDelta != 199 || b.MaxTimestamp != in[199].ts {
			t.Fatalf("%v: header %+v", codec, b)
		}
		for i, r := range recs[0] {
			w := in[i]
			if r.Offset != int64(i) || r.Timestamp != w.ts || !sameBytes(r.Key, w.key) || !sameBytes(r.Value, w.value) {
				t.Fatalf("%v: record %d = %+v", codec, i, r)
			}
			var got []Header
			r.Headers(func(k, v []byte) bool { got = append(got, Header{string(k), v}); return true })
			if len(got) != len(w.headers) {
				t.Fatalf("%v: record %d headers %v", codec, i, got)
			}
			for j := range got {
				if got[j].Key != w.headers[j].Key || !sameBytes(got[j].Value, w.headers[j].Value) {
					t.Fatalf("%v: header %d of record %d = %+v", codec, j, i, got[j])
				}
			}
		}
	}
}

// A batch continued in small buffers whenever the next record does not
// fit comes out byte for byte as one built in a single buffer, whether
// joined by the caller (which gets every buffer back, in order) or by
// Finish, and compressed or not.
func TestBatchSpanningBuffersKeepsItsBytes(t *testing.T) {
	in := sampleRecords(200)
	for _, codec := range []compress.Codec{compress.None, compress.LZ4} {
		for _, callerJoins := range []bool{true, false} {
			want := build(t, in, codec, BatchOptions{ProducerID: 7})
			var b Builder
			var given [][]byte
			b.Reset(make([]byte, 0, BatchHeaderSize), BatchOptions{Codec: codec, ProducerID: 7})
			given = append(given, b.buf)
			for _, r := range in {
				if need := b.RecordSize(r.ts, r.key, r.value, r.headers); b.Room() < need {
					buf := make([]byte, 0, need+50)
					b.Continue(buf)
					given = append(given, buf)
				}
				b.Append(r.ts, r.key, r.value, r.headers)
			}
			if b.Spans() != len(given) || b.Spans() < 3 {
				t.Fatalf("the batch spans %d buffers; %d were given", b.Spans(), len(given))
			}
			if callerJoins {
				left := b.Join(make([]byte, 0, b.Size()))
				if len(left) != len(given) {
					t.Fatalf("Join handed back %d buffers of %d", len(left), len(given))
				}
				for i := range left {
					if &left[i][:1][0] != &given[i][:1][0] {
						t.Fatalf("buffer %d handed back is not the one given", i)
					}
				}
			}
			got, err := b.Finish(nil)
			if err != nil {
				t.Fatal(err)
			}
			if b.Spans() != 1 || !bytes.Equal(got, want) {
				t.Fatalf("codec %v, joined by the caller %v: the batch differs from one built in one buffer", codec, callerJoins)
			}
		}
	}
}

// sameBytes compares with null (nil) and empty kept apart.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// kmsg, generated from Kafka's own message definitions, checks our encoding.
func TestKmsgReadsOurBatches(t *testing.T) {
	in := sampleRecords(20)
	data := build(t, in, compress.None, NoProducer)
	var kb kmsg.RecordBatch
	if err := kb.ReadFrom(data); err != nil {
		t.Fatal(err)
	}
	if kb.Magic != 2 || kb.NumRecords != 20 || kb.ProducerID != -1 || kb.FirstSequence != -1 ||
		uint32(kb.CRC) != crc32.Checksum(data[21:], crc32.MakeTable(crc32.Castagnoli)) ||
		int(kb.Length) != len(data)-12 {
		t.Fatalf("kmsg header %+v", kb)
	}
	p := kb.Records
	for i := range in {
		var kr kmsg.Record
		length, n := ReadVarint(p)
		if err := kr.ReadFrom(p); err != nil {
			t.Fatal(err)
		}
		p = p[n+int(length):]
		if kr.OffsetDelta != int32(i) || !sameBytes(kr.Key, in[i].key) || !sameBytes(kr.Value, in[i].value) ||
			len(kr.Headers) != len(in[i].headers) {
			t.Fatalf("record %d: kmsg read %+v", i, kr)
		}
	}
}

// And we read batches kmsg encodes.
func TestWeReadKmsgBatches(t *testing.T) {
	var body []byte
	for i := 0; i < 3; i++ {
		r := kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: int64(i * 10), Key: []byte{byte('a' + i)},
			Value: []byte("v"), Headers: []kmsg.Header{{Key: "k", Value: []byte("x")}}}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // the body after a 1-byte zero length
		body = r.AppendTo(body)
	}
	kb := kmsg.RecordBatch{FirstOffset: 500, Magic: 2, LastOffsetDelta: 2, FirstTimestamp: 1000,
		MaxTimestamp: 1020, ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 3, Records: body,
		PartitionLeaderEpoch: 4}
	raw := kb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], CRC32C(raw[21:]))
	batches, recs := decodeAll(t, raw)
	if len(batches) != 1 || batches[0].PartitionLeaderEpoch != 4 || len(recs[0]) != 3 {
		t.Fatalf("decoded %+v", batches)
	}
	if r := recs[0][2]; r.Offset != 502 || r.Timestamp != 1020 || string(r.Key) != "c" || r.NumHeaders != 1 {
		t.Fatalf("record %+v", r)
	}
}

func TestTruncatedTailAndCorruption(t *testing.T) {
	one := build(t, sampleRecords(5), compress.None, NoProducer)
	two := append(append([]byte(nil), one...), one...)
	batches, _ := decodeAll(t, two[:len(two)-3]) // the broker cut the second batch
	if len(batches) != 1 {
		t.Fatalf("got %d batches from a truncated fetch", len(batches))
	}
	bad := append([]byte(nil), one...)
	bad[len(bad)-1] ^= 0xff
	var r Reader
	r.Reset(bad)
	var b Batch
	if _, err := r.Next(&b); err == nil {
		t.Fatal("CRC mismatch not detected")
	}
	r.Reset(bad)
	r.SkipCRC = true
	if ok, err := r.Next(&b); !ok || err != nil {
		t.Fatalf("SkipCRC: %v", err)
	}
}

// NextOffsetAfter agrees with decoding on where whole batches end, from
// the headers alone, and gives up where only decoding can tell.
func TestNextOffsetAfter(t *testing.T) {
	at := func(base int64, n int) []byte {
		b := build(t, sampleRecords(n), compress.LZ4, NoProducer)
		binary.BigEndian.PutUint64(b, uint64(base))
		return b
	}
	two := append(at(100, 5), at(105, 3)...)
	bad := bytes.Clone(two)
	bad[len(bad)-1] ^= 0xff // a CRC the headers do not check
	negative := bytes.Clone(two)
	binary.BigEndian.PutUint32(negative[len(at(100, 5))+offLength:], 0xffffffff)
	for _, c := range []struct {
		name string
		data []byte
		next int64
		ok   bool
	}{
		{"empty", nil, -1, true},
		{"two whole batches", two, 108, true},
		{"the second cut short", two[:len(two)-3], 105, true},
		{"only a cut batch", two[:30], -1, true},
		{"a damaged record section", bad, 108, true},
		{"a negative length", negative, -1, false},
		{"a legacy message", legacyMessage(7, 1, 0, 0, nil, []byte("v")), -1, false},
	} {
		if next, ok := NextOffsetAfter(c.data); next != c.next || ok != c.ok {
			t.Errorf("%s: NextOffsetAfter = %d, %v; want %d, %v", c.name, next, ok, c.next, c.ok)
		}
	}
}

func TestControlBatch(t *testing.T) {
	var b Builder
	b.Reset(nil, BatchOptions{ProducerID: 1, ProducerEpoch: 0, BaseSequence: -1, Transactional: true})
	b.Append(1, []byte{0, 0, 0, ControlCommit}, []byte{0, 0, 0, 0, 0, 0}, nil)
	raw, _ := b.Finish(nil)
	raw[offAttributes+1] |= attrControl
	binary.BigEndian.PutUint32(raw[offCRC:], CRC32C(raw[offAttributes:]))
	batches, _ := decodeAll(t, raw)
	if !batches[0].IsControl() || batches[0].ControlType() != ControlCommit {
		t.Fatalf("control batch not recognised: %+v", batches[0])
	}
}

// legacyMessage encodes one magic 0/1 message.
func legacyMessage(offset int64, magic int8, attrs byte, ts int64, key, value []byte) []byte {
	body := []byte{byte(magic), attrs}
	if magic == 1 {
		body = binary.BigEndian.AppendUint64(body, uint64(ts))
	}
	for _, f := range [][]byte{key, value} {
		if f == nil {
			body = binary.BigEndian.AppendUint32(body, 0xffffffff)
		} else {
			body = append(binary.BigEndian.AppendUint32(body, uint32(len(f))), f...)
		}
	}
	msg := binary.BigEndian.AppendUint64(nil, uint64(offset))
	msg = binary.BigEndian.AppendUint32(msg, uint32(4+len(body)))
	msg = binary.BigEndian.AppendUint32(msg, crc32.ChecksumIEEE(body))
	return append(msg, body...)
}

func TestLegacyMessageSets(t *testing.T) {
	plain := append(legacyMessage(10, 0, 0, 0, []byte("k0"), []byte("v0")),
		legacyMessage(11, 1, 0, 1234, nil, []byte("v1"))...)
	_, recs := decodeAll(t, plain)
	if len(recs) != 2 || recs[0][0].Offset != 10 || string(recs[0][0].Value) != "v0" ||
		recs[1][0].Key != nil || recs[1][0].Timestamp != 1234 {
		t.Fatalf("plain legacy: %+v", recs)
	}
	// A magic 1 gzip wrapper: inner offsets 0..2 relative, wrapper offset 22.
	var inner []byte
	for i := 0; i < 3; i++ {
		inner = append(inner, legacyMessage(int64(i), 1, 0, 5, nil, []byte{byte('a' + i)})...)
	}
	z, _ := compress.Compress(nil, compress.Gzip, inner)
	_, recs = decodeAll(t, legacyMessage(22, 1, byte(compress.Gzip), 5, nil, z))
	if len(recs[0]) != 3 || recs[0][0].Offset != 20 || recs[0][2].Offset != 22 || string(recs[0][1].Value) != "b" {
		t.Fatalf("compressed legacy: %+v", recs)
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 64, 300, -300, 1 << 40, -(1 << 62), 1<<63 - 1, -1 << 63} {
		enc := AppendVarint(nil, v)
		got, n := ReadVarint(enc)
		if got != v || n != len(enc) || VarintLen(v) != len(enc) {
			t.Fatalf("varint %d: got %d (%d bytes of %d)", v, got, n, len(enc))
		}
		if _, n := ReadVarint(enc[:len(enc)-1]); n != 0 {
			t.Fatalf("truncated varint %d accepted", v)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	var bb Builder
	key, value := []byte("key-123"), bytes.Repeat([]byte("x"), 100)
	bb.Reset(make([]byte, 0, 1<<20), NoProducer)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if bb.Size() > 1<<19 {
			bb.Reset(bb.buf, NoProducer)
		}
		bb.Append(int64(i), key, value, nil)
	}
}

func BenchmarkDecode(b *testing.B) {
	data := build(b, sampleRecords(1000), compress.None, NoProducer)
	var r Reader
	var batch Batch
	var it RecordIter
	var rec Record
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		r.Reset(data)
		for ok, _ := r.Next(&batch); ok; ok, _ = r.Next(&batch) {
			for batch.Records(&it); it.Next(&rec); {
			}
		}
	}
}

// A batch whose producer fields are set before Finish comes out byte for
// byte as one stamped after it (the CRC computed once, not twice).
func TestSetSequenceBeforeFinishMatchesStampingAfter(t *testing.T) {
	in := sampleRecords(20)
	build := func(before bool) []byte {
		var b Builder
		b.Reset(nil, NoProducer)
		for _, r := range in {
			b.Append(r.ts, r.key, r.value, r.headers)
		}
		if before {
			b.SetSequence(42, 3, 1000)
		}
		out, err := b.Finish(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !before {
			SetBaseSequence(out, 42, 3, 1000)
		}
		return out
	}
	before, after := build(true), build(false)
	if !bytes.Equal(before, after) {
		t.Fatal("the batches differ")
	}
	batches, _ := decodeAll(t, before)
	if len(batches) != 1 || batches[0].ProducerID != 42 || batches[0].ProducerEpoch != 3 || batches[0].BaseSequence != 1000 {
		t.Fatalf("decoded %+v", batches)
	}
}
