package conn

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// A damaged ApiVersions answer fails the handshake instead of leaving a
// ready connection on which every request is "unsupported".
func TestDamagedAPIVersionsAreRefused(t *testing.T) {
	key := func(k, lo, hi int16) kmsg.ApiVersionsResponseApiKey {
		v := kmsg.NewApiVersionsResponseApiKey()
		v.ApiKey, v.MinVersion, v.MaxVersion = k, lo, hi
		return v
	}
	good := []kmsg.ApiVersionsResponseApiKey{key(0, 0, 11), key(3, 0, 12), key(18, 0, 4)}
	if err := checkAPIKeys(good); err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]kmsg.ApiVersionsResponseApiKey{
		"no Metadata":    {key(0, 0, 11), key(18, 0, 4)},
		"no ApiVersions": {key(3, 0, 12)},
		"empty range":    {key(3, 5, 2), key(18, 0, 4)},
		"negative":       {key(3, -1, 12), key(18, 0, 4)},
		"listed twice":   {key(3, 0, 12), key(18, 0, 4), key(3, 0, 12)},
		"nothing":        nil,
	} {
		if err := checkAPIKeys(keys); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
