package client

import (
	"hash/crc32"
	"math/rand/v2"

	"github.com/kfk-dev/kfk/core/murmur2"
)

// Partitioners by name (Config.Partitioner). kfk's own are murmur2 (null
// keys round-robin), murmur2_random, sticky and round_robin. The others
// place keys as librdkafka's partitioners of the same names do, so a
// program moving from librdkafka (confluent-kafka, kcat...) keeps its keys
// on the same partitions:
//
//	consistent         CRC32 of the key; null and empty keys hash like an
//	                   empty key (CRC32 0: partition 0)
//	consistent_random  CRC32 of the key; null and empty keys at random
//	                   (librdkafka's default)
//	random             every record at random
//	fnv1a              FNV-1a of the key; null keys hash like an empty key
//	fnv1a_random       FNV-1a of the key; null keys at random
var partitioners = []string{"murmur2", "murmur2_random", "sticky", "round_robin",
	"consistent", "consistent_random", "random", "fnv1a", "fnv1a_random"}

// crc32Partition is librdkafka's consistent partitioner: the IEEE CRC32
// of the key, as an unsigned number, modulo the partition count.
func crc32Partition(key []byte, n int32) int32 {
	return int32(crc32.ChecksumIEEE(key) % uint32(n))
}

// fnv1a32 is the 32-bit FNV-1a hash made non-negative the way librdkafka
// does it (to agree with Sarama's hash partitioner): read as a signed
// 32-bit number, a negative hash is negated. The one value without a
// positive counterpart, 0x80000000, stays as it is.
func fnv1a32(key []byte) uint32 {
	const offset, prime = 0x811c9dc5, 0x01000193
	h := uint32(offset)
	for _, b := range key {
		h ^= uint32(b)
		h *= prime
	}
	if s := int32(h); s < 0 {
		h = uint32(-s)
	}
	return h
}

// fnv1aPartition is librdkafka's fnv1a partitioner: fnv1a32 of the key,
// unsigned, modulo the partition count.
func fnv1aPartition(key []byte, n int32) int32 {
	return int32(fnv1a32(key) % uint32(n))
}

func randomPartition(n int32) int32 { return rand.Int32N(n) }

// partitionLocked implements the partitioners.
func (p *producer) partitionLocked(topic string, key []byte, n int32) int32 {
	if p.cfg.PartitionFunc != nil {
		return p.cfg.PartitionFunc(topic, key, n)
	}
	switch p.cfg.Partitioner {
	case "round_robin":
		return p.nextRoundRobinLocked(topic, n)
	case "random":
		return randomPartition(n)
	case "consistent":
		return crc32Partition(key, n)
	case "consistent_random":
		if len(key) == 0 {
			return randomPartition(n)
		}
		return crc32Partition(key, n)
	case "fnv1a":
		return fnv1aPartition(key, n)
	case "fnv1a_random":
		if key == nil {
			return randomPartition(n)
		}
		return fnv1aPartition(key, n)
	}
	switch {
	case key != nil:
		return murmur2.Partition(key, n)
	case p.cfg.Partitioner == "sticky":
		part, ok := p.sticky[topic]
		if !ok || part >= n {
			part = p.nextRoundRobinLocked(topic, n)
			p.sticky[topic] = part
		}
		return part
	case p.cfg.Partitioner == "murmur2_random":
		return randomPartition(n)
	}
	return p.nextRoundRobinLocked(topic, n)
}
