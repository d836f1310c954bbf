// Package wire is Kafka's record format, the hot path of producing and
// consuming: record batches (magic 2) built in place into a caller's
// buffer, and decoded without allocating per record, plus the legacy
// message sets (magic 0 and 1) that old topics may still hold.
package wire

import (
	"errors"
	"fmt"
)

// ErrCorrupt wraps every decoding failure; the wrapped text says where.
var ErrCorrupt = errors.New("corrupt record data")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// AppendVarint appends v zigzag-encoded, as record fields are.
func AppendVarint(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// VarintLen is the encoded size of v.
func VarintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// ReadVarint decodes a zigzag varint from the start of b, returning the
// value and the bytes used (0 on truncated or over-long input).
func ReadVarint(b []byte) (int64, int) {
	var u uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, 0
			}
			return int64(u>>1) ^ -int64(u&1), i + 1
		}
	}
	return 0, 0
}
