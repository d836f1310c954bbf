package conn

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// apiVersionsKey is ApiVersions' key, compared with int16 keys throughout.
const apiVersionsKey = int16(kmsg.ApiVersions)

// floors are the lowest versions kfk sends. Kafka 4.0 removed older versions
// (KIP-896) but some brokers still advertise them, so they are never trusted.
// The share group calls' v0 was Kafka 4.0's early access to KIP-932, with
// other rules, removed in 4.1.
var floors = map[int16]int16{
	int16(kmsg.Produce):             3,
	int16(kmsg.Fetch):               4,
	int16(kmsg.ListOffsets):         1,
	int16(kmsg.OffsetCommit):        2,
	int16(kmsg.OffsetFetch):         1,
	int16(kmsg.JoinGroup):           2,
	int16(kmsg.CreateTopics):        2,
	int16(kmsg.DeleteTopics):        1,
	int16(kmsg.ShareGroupHeartbeat): 1,
	int16(kmsg.ShareFetch):          1,
	int16(kmsg.ShareAcknowledge):    1,
}

// ceilings are the highest versions kfk sends where a newer version changes
// meaning rather than adding fields: Produce and Fetch v13 and the commit
// calls v10 address topics by ID; OffsetFetch v8 batches groups;
// AddPartitionsToTxn v4 is for brokers only; ApiVersions v5 needs the
// cluster ID.
var ceilings = map[int16]int16{
	int16(kmsg.Produce):            12,
	int16(kmsg.Fetch):              12,
	int16(kmsg.OffsetCommit):       9,
	int16(kmsg.OffsetFetch):        7,
	int16(kmsg.ApiVersions):        4,
	int16(kmsg.AddPartitionsToTxn): 3,
	int16(kmsg.TxnOffsetCommit):    4,
}

// versions is the broker's supported range per API key, from ApiVersions.
type versions struct {
	min, max [128]int16
	known    [128]bool
}

func (v *versions) set(key, min, max int16) {
	if key >= 0 && int(key) < len(v.known) {
		v.known[key], v.min[key], v.max[key] = true, min, max
	}
}

// maxima returns the usable maximum per key the broker supports.
func (v *versions) maxima() map[int16]int16 {
	m := make(map[int16]int16)
	for k := range v.known {
		if v.known[k] {
			m[int16(k)] = v.max[k]
		}
	}
	return m
}

// choose picks the highest version of key that kfk and the broker both
// speak, honoring the floor, the ceiling and a caller cap.
func (v *versions) choose(key, ours int16, caps map[int16]int16) (int16, error) {
	if key < 0 || int(key) >= len(v.known) || !v.known[key] {
		return 0, fmt.Errorf("%w: broker does not support %s", ErrUnsupported, kmsg.NameForKey(key))
	}
	best := min(ours, v.max[key])
	if c, ok := ceilings[key]; ok {
		best = min(best, c)
	}
	if c, ok := caps[key]; ok {
		best = min(best, c)
	}
	floor := max(v.min[key], floors[key])
	if best < floor {
		return 0, fmt.Errorf("%w: %s: broker supports v%d-v%d, kfk needs v%d or newer",
			ErrUnsupported, kmsg.NameForKey(key), v.min[key], v.max[key], floor)
	}
	return best, nil
}

// isFlexible reports whether key at version uses KIP-482 flexible encoding.
func isFlexible(key, version int16) bool {
	req := kmsg.RequestForKey(key)
	if req == nil {
		return false
	}
	req.SetVersion(version)
	return req.IsFlexible()
}
