package client_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// compression_level (librdkafka's compression.level) takes what the codec
// has, and a level it lacks fails the client's creation naming the key.
func TestCompressionLevelOption(t *testing.T) {
	for _, tc := range []struct {
		codec, level string
		ok           bool
	}{
		{"zstd", "19", true}, {"zstd", "-1", true}, {"gzip", "9", true}, {"lz4", "12", true}, {"snappy", "0", true},
		{"none", "22", true}, {"gzip", "10", false}, {"lz4", "13", false}, {"snappy", "1", false},
	} {
		c := client.NewConfig()
		if err := c.Set("compression.type", tc.codec); err != nil {
			t.Fatal(err)
		}
		if err := c.Set("compression.level", tc.level); err != nil {
			t.Fatalf("%s %s: %v", tc.codec, tc.level, err)
		}
		err := c.Validate()
		var ce *client.ConfigError
		if tc.ok != (err == nil) || !tc.ok && (!errors.As(err, &ce) || ce.Key != "compression_level") {
			t.Errorf("%s level %s: %v", tc.codec, tc.level, err)
		}
	}
	for _, bad := range []string{"-2", "23", "high"} {
		if err := client.NewConfig().Set("compression_level", bad); err == nil {
			t.Errorf("compression_level=%s accepted", bad)
		}
	}
}

// The producer compresses at compression_level: the same records take
// fewer bytes on the wire at a codec's higher level.
func TestFakeProducerCompressesAtItsLevel(t *testing.T) {
	const topic = "levels"
	var recs []client.Record
	for i := 0; i < 400; i++ {
		value := fmt.Sprintf(`{"order": %d, "customer": "c-%d", "items": [%d, %d], "state": "%s"}`,
			i, i%37, i%11, i%5, []string{"new", "paid", "shipped", "delivered"}[i%4])
		recs = append(recs, rec(topic, 0, "", value))
	}
	wire := func(codec, level string) int {
		f := kafkatest.Fake(t, 1, kfake.SeedTopics(1, topic))
		sent := watchProduce(f, topic, nil)
		c := fakeClient(t, f, "compression", codec, "compression_level", level, "linger_ms", "50", "batch_size", "1000000")
		delivered(t, c, recs...)
		n := 0
		for _, b := range sent() {
			n += len(b.body)
		}
		return n
	}
	for _, tc := range []struct{ codec, low, high string }{{"zstd", "1", "19"}, {"lz4", "0", "9"}, {"gzip", "1", "9"}} {
		if low, high := wire(tc.codec, tc.low), wire(tc.codec, tc.high); high >= low {
			t.Errorf("%s: %d bytes at level %s, %d at level %s", tc.codec, low, tc.low, high, tc.high)
		}
	}
}
