package client

import (
	"strings"
	"testing"
)

// Partitions confluent-kafka 2.16 (librdkafka 2.16) computes for these
// keys, from its consistent(), fnv1a() and murmur2() helpers. The
// broker-side comparison is TestLibrdkafkaPartitionersPlaceKeysAlike.
func TestLibrdkafkaHashes(t *testing.T) {
	for _, c := range []struct {
		key                     string
		n                       int32
		consistent, fnv, murmur int32
	}{
		{"", 7, 0, 2, 2},
		{"", 100, 0, 35, 81},
		{"", 2147483647, 0, 2128831035, 275646681},
		{"a", 7, 4, 6, 5},
		{"a", 2147483647, 1756872260, 468965076, 584102524},
		{"key-0", 100, 40, 57, 41},
		{"key-1", 3, 2, 1, 0},
		{"user_12345", 2147483647, 691519812, 725725142, 909358193},
		{"\xff\xfe\x00\x01", 100, 97, 45, 69},
		{"hello world", 2147483647, 222957957, 712294489, 1221641059},
		{"kfk", 7, 0, 4, 6},
		{strings.Repeat("x", 1000), 100, 70, 61, 46},
	} {
		key := []byte(c.key)
		if got := crc32Partition(key, c.n); got != c.consistent {
			t.Errorf("consistent(%q, %d) = %d, librdkafka says %d", c.key, c.n, got, c.consistent)
		}
		if got := fnv1aPartition(key, c.n); got != c.fnv {
			t.Errorf("fnv1a(%q, %d) = %d, librdkafka says %d", c.key, c.n, got, c.fnv)
		}
	}
}

// Null and empty keys per partitioner: librdkafka's rules, and kfk's own
// murmur2 (null keys round-robin) unchanged.
func TestPartitionerNullAndEmptyKeys(t *testing.T) {
	for _, c := range []struct {
		name        string
		null, empty int32 // -1: random (spread over several partitions)
	}{
		{"consistent", 0, 0},
		{"consistent_random", -1, -1},
		{"fnv1a", 2, 2}, // FNV-1a of nothing, modulo 7
		{"fnv1a_random", -1, 2},
		{"murmur2_random", -1, 2},
		{"random", -1, -1},
	} {
		p := &producer{cfg: &Config{Partitioner: c.name}, roundRobin: map[string]int32{}, sticky: map[string]int32{}}
		for _, k := range []struct {
			key  []byte
			want int32
		}{{nil, c.null}, {[]byte{}, c.empty}} {
			seen := map[int32]bool{}
			for i := 0; i < 200; i++ {
				part := p.partitionLocked("t", k.key, 7)
				if part < 0 || part >= 7 {
					t.Fatalf("%s: partition %d of 7", c.name, part)
				}
				seen[part] = true
			}
			switch {
			case k.want >= 0 && (len(seen) != 1 || !seen[k.want]):
				t.Errorf("%s, key %v: partitions %v, want only %d", c.name, k.key, seen, k.want)
			case k.want < 0 && len(seen) < 2:
				// 200 random picks among 7 all equal: about 7^-199.
				t.Errorf("%s, key %v: partitions %v, want them spread at random", c.name, k.key, seen)
			}
		}
	}
	p := &producer{cfg: &Config{Partitioner: "murmur2"}, roundRobin: map[string]int32{}, sticky: map[string]int32{}}
	for i := int32(0); i < 14; i++ {
		if got := p.partitionLocked("t", nil, 7); got != i%7 {
			t.Fatalf("murmur2 null key %d went to %d, want round-robin %d", i, got, i%7)
		}
	}
}

func TestPartitionerOptionNames(t *testing.T) {
	for _, name := range partitioners {
		c := NewConfig()
		if err := c.Set("partitioner", name); err != nil || c.Partitioner != name {
			t.Errorf("partitioner=%s: %v, got %q", name, err, c.Partitioner)
		}
	}
	if err := NewConfig().Set("partitioner", "crc32"); err == nil || !strings.Contains(err.Error(), "consistent_random") {
		t.Errorf("an unknown partitioner is refused with the list of names, got %v", err)
	}
}
