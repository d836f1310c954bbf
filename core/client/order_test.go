package client_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// Records produced to a new topic while the client is still connecting to
// its leader keep their order: requests that waited for the connection go
// out before any made after it is ready (a race once let them overtake).
func TestOrderKeptWhileLeaderConnectionOpens(t *testing.T) {
	if os.Getenv("KFK_TEST_SKIP_CLUSTER") == "1" {
		t.Skip("KFK_TEST_SKIP_CLUSTER=1")
	}
	brokers := kafkatest.Cluster(t)
	for iter := 0; iter < 5; iter++ {
		cfg := client.NewConfig()
		cfg.Set("brokers", strings.Join(brokers, ","))
		cfg.Set("idempotent", "1")
		cfg.Set("linger_ms", "5")
		cfg.Set("batch_size", "4096")
		c, _ := client.New(*cfg, client.Handler{})
		connected := make(chan error, 1)
		c.Connect(func(_ tree.Value, err error) { connected <- err })
		<-connected
		a := dialAny(t, brokers)
		topic := kafkatest.UniqueTopic(t, "order")
		kafkatest.Call(t, func(cb connapi.Callback) {
			connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 1, ReplicationFactor: 3}}, 20000, cb)
		})
		leader := waitForLeader(t, a, topic)
		var col collector
		for i := 0; i < 3000; i++ {
			c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("%06d", i))}, col.fn())
		}
		col.wait(t)
		reader := dialAny(t, []string{brokers[leader-1]})
		recs := fetchAll(t, reader, topic, 0)
		for i, r := range recs {
			if got := string(r.Path("value").Bytes); got != fmt.Sprintf("%06d", i) {
				t.Fatalf("iter %d: offset %d is %s (of %d)", iter, i, got, len(recs))
			}
		}
		c.Close(time.Second, nil)
	}
}
