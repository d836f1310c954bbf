package kafkatest

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// FakeCluster is an in-process fake Kafka cluster (franz-go's kfake): the
// broker-free tier of the tests runs against it, with no JVM and no jars.
// It speaks the Kafka protocol on loopback ports, so kfk's clients reach
// it like any cluster; the embedded *kfake.Cluster injects faults
// (ControlKey, Fault) and moves leaders and coordinators.
//
// It is no stand-in for Kafka: it differs from the real broker in places,
// so tests against it check kfk's own logic, and every test that checks
// behaviour against Kafka itself uses Brokers or Cluster.
type FakeCluster struct {
	*kfake.Cluster
	Brokers []string // host:port of each broker, node i at index i
}

// Fake starts a fake cluster of nodes brokers (at least 1) with opts added
// to this package's defaults, and closes it when the test ends. The
// defaults suit short tests: groups accept session timeouts from 100 ms,
// and topics are not created on first use (pass
// kfake.AllowAutoTopicCreation() for that). kfake.SeedTopics creates
// topics up front. Unlike Brokers, Fake runs under KFK_TEST_NO_BROKER=1.
func Fake(tb testing.TB, nodes int, opts ...kfake.Opt) *FakeCluster {
	tb.Helper()
	all := append([]kfake.Opt{
		kfake.NumBrokers(max(nodes, 1)),
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
	}, opts...)
	c, err := kfake.NewCluster(all...)
	if err != nil {
		tb.Fatalf("starting a fake cluster: %v", err)
	}
	tb.Cleanup(c.Close)
	return &FakeCluster{Cluster: c, Brokers: c.ListenAddrs()}
}
