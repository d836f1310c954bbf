// Package soak runs kfk for a bounded time under steady load (make soak)
// and checks that its resources stay flat.
package soak_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// sample is the process's resources at one moment.
type sample struct {
	rssKB, goroutines, fds int64
}

func measure(t *testing.T) sample {
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var rss int64
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return sample{rssKB: rss, goroutines: int64(runtime.NumGoroutine()), fds: int64(len(fds))}
}

// For KFK_SOAK_DURATION (make soak: 10 minutes), an idempotent producer
// writes about 2,000 records a second while three group members consume
// them and one member leaves and rejoins every 20 s (a rebalance each
// time). RSS, goroutines and open descriptors are sampled every 10 s; after
// a warm-up (the first fifth) they must stay flat.
func TestSoak(t *testing.T) {
	v := os.Getenv("KFK_SOAK_DURATION")
	if v == "" {
		t.Skip("KFK_SOAK_DURATION not set (make soak)")
	}
	duration, err := time.ParseDuration(v)
	if err != nil {
		t.Fatal(err)
	}
	brokers := kafkatest.Brokers(t).Brokers
	topic := kafkatest.UniqueTopic(t, "soak")
	host, port := kafkatest.HostPort(t, brokers)
	ready := make(chan error, 1)
	a := conn.New(conn.Options{}, conn.Handler{OnConnect: func() { ready <- nil }, OnError: func(err error) { ready <- err }})
	a.Connect(host, port, 10*time.Second)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 6, ReplicationFactor: 1}}, 10000,
		func(v tree.Value, err error) { created <- err })
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	a.Close()

	var produced, failed, consumed, rebalances atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	p := kafkatest.OpenClient(t, brokers, client.Handler{}, "idempotent", "1", "linger_ms", "5")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for tick := time.NewTicker(10 * time.Millisecond); ; {
			select {
			case <-stop:
				tick.Stop()
				return
			case <-tick.C:
			}
			for i := 0; i < 20; i++ {
				err := p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: -1, Value: []byte("soak record with some bytes in it")},
					func(d client.Delivery) {
						if d.Err != nil {
							failed.Add(1)
						}
					})
				if err == nil {
					produced.Add(1)
				}
			}
		}
	}()
	groupID := kafkatest.UniqueTopic(t, "soak-group")
	subscribe := func(c *client.Client) {
		err := c.Subscribe(client.GroupOptions{GroupID: groupID, Topics: []string{topic}, AutoCommit: true,
			SessionTimeout: 10 * time.Second, HeartbeatInterval: time.Second, AutoOffsetReset: "earliest"})
		if err != nil {
			t.Error(err)
		}
	}
	members := make([]*client.Client, 3)
	for i := range members {
		members[i] = kafkatest.OpenClient(t, brokers, client.Handler{}, "fetch_max_wait_ms", "100")
		subscribe(members[i])
		wg.Add(1)
		go func(c *client.Client) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				done := make(chan struct{})
				c.Poll(0, func(ms []client.Message) { consumed.Add(int64(len(ms))) }, func(int, error) { close(done) })
				<-done
			}
		}(members[i])
	}

	var samples []sample
	start := time.Now()
	sampleTick, churnTick := time.NewTicker(10*time.Second), time.NewTicker(20*time.Second)
	for churned := 0; time.Since(start) < duration; {
		select {
		case <-sampleTick.C:
			s := measure(t)
			samples = append(samples, s)
			t.Logf("%4.0fs rss %d KiB, goroutines %d, fds %d, produced %d, consumed %d, rebalances %d",
				time.Since(start).Seconds(), s.rssKB, s.goroutines, s.fds, produced.Load(), consumed.Load(), rebalances.Load())
		case <-churnTick.C:
			m := members[churned%len(members)]
			left := make(chan error, 1)
			m.Unsubscribe(func(err error) { left <- err })
			if err := <-left; err != nil {
				t.Errorf("unsubscribe: %v", err)
			}
			subscribe(m)
			churned++
			rebalances.Add(2)
		}
	}
	sampleTick.Stop()
	churnTick.Stop()
	close(stop)
	wg.Wait()
	kafkatest.CloseClient(t, p)
	for _, m := range members {
		kafkatest.CloseClient(t, m)
	}

	if len(samples) < 5 {
		t.Fatalf("only %d samples: run longer than %v", len(samples), duration)
	}
	if failed.Load() > 0 {
		t.Errorf("%d of %d records failed", failed.Load(), produced.Load())
	}
	if consumed.Load() < produced.Load()*9/10 {
		t.Errorf("consumed %d of %d produced", consumed.Load(), produced.Load())
	}
	warm, tail := samples[len(samples)/5:len(samples)*2/5+1], samples[len(samples)*4/5:]
	peak := func(ss []sample) sample {
		var m sample
		for _, s := range ss {
			m.rssKB, m.goroutines, m.fds = max(m.rssKB, s.rssKB), max(m.goroutines, s.goroutines), max(m.fds, s.fds)
		}
		return m
	}
	before, after := peak(warm), peak(tail)
	// Flat, with room for the heap's own breathing and a rebalance in flight.
	if after.rssKB > before.rssKB*3/2+32<<10 {
		t.Errorf("RSS grew from %d to %d KiB", before.rssKB, after.rssKB)
	}
	if after.goroutines > before.goroutines+30 {
		t.Errorf("goroutines grew from %d to %d", before.goroutines, after.goroutines)
	}
	if after.fds > before.fds+10 {
		t.Errorf("open descriptors grew from %d to %d", before.fds, after.fds)
	}
	kafkatest.Report(t, "resources", fmt.Sprintf("soak for %v: idempotent producer, three group members, a member leaving and rejoining every 20 s; RSS, goroutines and fds flat after warm-up", duration),
		map[string]int64{"messages produced": produced.Load(), "messages consumed": consumed.Load(), "rebalances": rebalances.Load(),
			"RSS KiB after warm-up": before.rssKB, "RSS KiB at the end": after.rssKB,
			"goroutines after warm-up": before.goroutines, "goroutines at the end": after.goroutines,
			"fds after warm-up": before.fds, "fds at the end": after.fds})
}
