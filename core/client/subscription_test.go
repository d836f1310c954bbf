package client_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// createNamedTopic creates topic with partitions.
func createNamedTopic(t *testing.T, name string, partitions int32) {
	t.Helper()
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(admin(t), []connapi.NewTopic{{Name: name, NumPartitions: partitions, ReplicationFactor: 1}}, 10000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic %s: error %d", name, code)
	}
}

// ownedTopics lists what c owns as "topic[partition]" with the prefix cut.
func ownedTopics(c *client.Client, prefix string) []string {
	_, _, parts := c.GroupState()
	var out []string
	for _, p := range parts {
		out = append(out, fmt.Sprintf("%s[%d]", p.Topic[len(prefix):], p.Partition))
	}
	slices.Sort(out)
	return out
}

// A subscription to a pattern ("^prefix-.*", librdkafka's spelling) takes
// every topic it matches, and a topic created later once the member looks
// again (every metadata_refresh); a topic it does not match stays out.
// With the classic protocol the member matches; with KIP-848's, the
// coordinator does.
func TestPatternSubscriptionFollowsNewTopics(t *testing.T) {
	for _, protocol := range []string{client.ClassicProtocol, client.ConsumerProtocol} {
		t.Run(protocol, func(t *testing.T) {
			prefix := kafkatest.UniqueTopic(t, "pattern")
			createNamedTopic(t, prefix+"-a", 2)
			createNamedTopic(t, prefix+"-b", 1)
			createNamedTopic(t, "x"+prefix+"-unmatched", 1)
			c := newClient(t, "metadata_refresh", "1")
			err := c.Subscribe(client.GroupOptions{GroupID: prefix, Topics: []string{"^" + prefix + "-.*"},
				Protocol: protocol, HeartbeatInterval: 200 * time.Millisecond, AutoOffsetReset: "earliest"})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"-a[0]", "-a[1]", "-b[0]"}
			waitFor(t, fmt.Sprintf("the member to own %v", want), func() bool {
				return slices.Equal(ownedTopics(c, prefix), want)
			})
			createNamedTopic(t, prefix+"-c", 1)
			want = append(want, "-c[0]")
			waitFor(t, fmt.Sprintf("the member to own %v, the new topic's partition too", want), func() bool {
				return slices.Equal(ownedTopics(c, prefix), want)
			})
			p := newClient(t)
			delivered(t, p, rec(prefix+"-c", 0, "k", "from the new topic"))
			var got []client.Message
			for deadline := time.Now().Add(30 * time.Second); len(got) == 0 && time.Now().Before(deadline); {
				got = pollOnce(t, c)
			}
			if len(got) != 1 || got[0].Topic != prefix+"-c" || string(got[0].Value) != "from the new topic" {
				t.Fatalf("consumed %v, want the record of the new topic", got)
			}
		})
	}
}

// A pattern that is no regular expression is refused, naming it.
func TestPatternSubscriptionRefusesABadExpression(t *testing.T) {
	c := newClient(t)
	err := c.Subscribe(client.GroupOptions{GroupID: "g", Topics: []string{"plain", "^orders-(.*"}})
	var ce *client.ConfigError
	if !errors.As(err, &ce) || ce.Key != "topics" || ce.Value != "^orders-(.*" {
		t.Fatalf("a bad pattern: %v", err)
	}
}
