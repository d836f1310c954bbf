// Package murmur2 is the 32-bit murmur2 hash exactly as Kafka's Java client
// computes it for key partitioning, so that kfk sends a key to the same
// partition the Java client (and librdkafka's murmur2 partitioner) would.
package murmur2

import "encoding/binary"

const (
	seed = 0x9747b28c
	mix  = 0x5bd1e995
)

// Sum32 is the raw hash; as a Java int it is int32(Sum32(data)).
func Sum32(data []byte) uint32 {
	h := uint32(seed) ^ uint32(len(data))
	n := len(data) &^ 3
	for i := 0; i < n; i += 4 {
		k := binary.LittleEndian.Uint32(data[i:])
		k *= mix
		k ^= k >> 24
		k *= mix
		h *= mix
		h ^= k
	}
	switch len(data) & 3 {
	case 3:
		h ^= uint32(data[n+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[n+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[n])
		h *= mix
	}
	h ^= h >> 13
	h *= mix
	h ^= h >> 15
	return h
}

// Positive is the hash with the sign bit cleared, as Kafka's partitioner
// uses it (Utils.toPositive); EV::Kafka's _murmur2 returns this value.
func Positive(data []byte) int32 { return int32(Sum32(data) & 0x7fffffff) }

// Partition picks the partition of key among n, as the Java client's
// default partitioner does for non-null keys.
func Partition(key []byte, n int32) int32 { return Positive(key) % n }
