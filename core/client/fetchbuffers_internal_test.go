package client

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/wire"
)

// RecordBatch is a record batch as a broker returns it: n records from
// offset base on, each with the value prefix+"<offset>" (for this
// package's tests and client_test's).
func RecordBatch(tb testing.TB, base int64, n int, codec compress.Codec, prefix string) []byte {
	tb.Helper()
	var b wire.Builder
	opts := wire.NoProducer
	opts.Codec = codec
	b.Reset(nil, opts)
	for i := 0; i < n; i++ {
		b.Append(1, nil, []byte(fmt.Sprint(prefix, base+int64(i))), nil)
	}
	out, err := b.Finish(nil)
	if err != nil {
		tb.Fatal(err)
	}
	out = bytes.Clone(out)
	binary.BigEndian.PutUint64(out, uint64(base)) // the base offset, outside the CRC
	return out
}

// batchOf is RecordBatch with the values "<offset>".
func batchOf(t testing.TB, base int64, n int, codec compress.Codec) []byte {
	return RecordBatch(t, base, n, codec, "")
}

// decodeLent decodes each of parts (one partition's batches each) from one
// buffer lent by pool, as handleFetch does with one response.
func decodeLent(t testing.TB, pool *bufferPool, parts ...[]byte) (*FetchBuffer, [][]Message) {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	fb := pool.lend(size)
	var out [][]Message
	for i, p := range parts {
		at := len(fb.buf)
		fb.buf = append(fb.buf, p...)
		msgs, _, err := decodeBatches("t", int32(i), fb.buf[at:], wire.NewAbortedFilter(nil), 0, fb, true)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msgs)
	}
	return fb, out
}

// checkValues checks that msgs are offsets first.. with their values.
func checkValues(t *testing.T, what string, msgs []Message, first int64, n int) {
	t.Helper()
	if len(msgs) != n {
		t.Fatalf("%s: %d messages, want %d", what, len(msgs), n)
	}
	for i, m := range msgs {
		if off := first + int64(i); m.Offset != off || string(m.Value) != fmt.Sprint(off) {
			t.Fatalf("%s: message %d is offset %d %q, want %d", what, i, m.Offset, m.Value, off)
		}
	}
}

// Messages decoded from a lent buffer live in the buffer's message array,
// which comes back with the buffer: once warm, decoding a response
// allocates a few small things, nothing per message.
func TestDecodingIntoALentBufferAllocatesNothingPerMessage(t *testing.T) {
	pool := &bufferPool{limit: 8 << 20}
	data := append(batchOf(t, 0, 500, compress.None), batchOf(t, 500, 500, compress.None)...)
	run := func() {
		fb, parts := decodeLent(t, pool, data)
		ReleaseMessages(parts[0])
		fb.Release(1) // the decoding's own hold
	}
	run()
	run() // the array is sized from the first response
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 20
	for i := 0; i < runs; i++ {
		run()
	}
	runtime.ReadMemStats(&after)
	// The messages alone would be 1,000 x 128 bytes; the bound leaves
	// room for whatever other goroutines of the test binary allocate
	// meanwhile (the count is the whole process's).
	if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 16<<10 {
		t.Errorf("%d bytes allocated per 1,000-message response, want under 16 KiB", perRun)
	}
}

// Partitions of one response share the array without overlapping once it
// is sized for them, a partition whose copied (compressed) records
// follow plain ones moves out of it, and a buffer read into again brings
// new messages only.
func TestMessagesInALentBufferStayTheirs(t *testing.T) {
	pool := &bufferPool{limit: 8 << 20}
	plain := batchOf(t, 0, 100, compress.None)
	mixed := append(batchOf(t, 0, 50, compress.None), batchOf(t, 50, 50, compress.LZ4)...)
	for round := 0; round < 3; round++ { // the first sizes the array, the others use it
		fb, parts := decodeLent(t, pool, plain, mixed, plain)
		for i, msgs := range parts {
			checkValues(t, fmt.Sprintf("round %d, partition %d", round, i), msgs, 0, 100)
			if msgs[0].Partition != int32(i) {
				t.Fatalf("partition %d's first message says partition %d", i, msgs[0].Partition)
			}
		}
		if parts[1][50].Buffer() != nil || parts[1][0].Buffer() != fb {
			t.Fatal("a copied record holds the buffer, or a plain one does not")
		}
		if round > 0 && (&parts[0][0] != &fb.msgs[:1][0] || &parts[2][0] != &fb.msgs[:101][100]) {
			t.Fatal("the plain partitions' messages are not in the buffer's array, one after the other")
		}
		for _, msgs := range parts {
			ReleaseMessages(msgs)
		}
		fb.Release(1)
	}
	fb, next := decodeLent(t, pool, batchOf(t, 1000, 100, compress.None))
	checkValues(t, "the next response", next[0], 1000, 100)
	if len(pool.free) != 0 || &next[0][0] != &fb.msgs[:1][0] {
		t.Error("the released buffer and its array were not lent again")
	}
}
