package wire

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C is the Castagnoli CRC that record batches carry.
func CRC32C(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// A batch's CRC covers its header fields, known only when it is finished,
// then its records, appended long before: a producer's backlog can be
// larger than the caches, and a CRC over memory that has left them ran at
// a third of the speed. So the records' CRC is computed as they are
// appended and joined to the header's at the end: crc(A || B) is crc(A)
// times x^(8·len(B)), modulo the polynomial, plus crc(B), in GF(2).
// Polynomials here are in the CRC's reflected bit order: x^0 is the top
// bit.

// castagnoliReflected is the Castagnoli polynomial in that order.
const castagnoliReflected = 0x82f63b78

// xPow2 holds x^(2^k) modulo the polynomial, for k from 0.
var xPow2 = func() (t [64]uint32) {
	t[0] = 1 << 30 // x^1
	for k := 1; k < len(t); k++ {
		t[k] = mulModCastagnoli(t[k-1], t[k-1])
	}
	return t
}()

// mulModCastagnoli is a·b modulo the polynomial.
func mulModCastagnoli(a, b uint32) uint32 {
	var p uint32
	for bit := uint32(1) << 31; bit != 0 && a != 0; bit >>= 1 {
		if a&bit != 0 {
			p ^= b
			a ^= bit
		}
		b = b>>1 ^ castagnoliReflected&-(b&1) // b·x
	}
	return p
}

// combineCRC32C is the CRC32C of A followed by B from their CRCs and
// B's length.
func combineCRC32C(crcA, crcB uint32, lenB int) uint32 {
	shift := uint32(1) << 31 // x^0
	for k, n := 3, uint64(lenB); n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			shift = mulModCastagnoli(xPow2[k], shift) // x^(8·2^i) = x^(2^(i+3))
		}
	}
	return mulModCastagnoli(shift, crcA) ^ crcB
}
