// Command profile drives kfk's Go core (core/client) directly with the
// workload of bench/c/kfk_bench.c, under the CPU profiler, so the Go side
// of kfk can be profiled without a hook in the library. Comparing its
// rate with kfk_bench's separates the core's cost from the C ABI's.
//
//	go run ./bench/profile -brokers 127.0.0.1:9092 -mode produce -count 500000 -size 100 -cpuprofile cpu.out
//	go tool pprof -top -nodecount 40 cpu.out
//
// -partitions P spreads produced records over partitions 0..P-1 of each
// of the topics listed (record i to topic i % T, partition (i / T) % P),
// as kfk_bench's 8th argument does; -memprofile writes the
// heap live once every record has been produced (after a collection),
// when the most is buffered.
//
// It prints kfk_bench's report line.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/tree"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap brokers")
	topic := flag.String("topic", "kfk-profile", "topic (partition 0, or 0..partitions-1); produce takes a comma-separated list")
	mode := flag.String("mode", "produce", "produce, consume or latency")
	count := flag.Int("count", 200000, "messages (round-trips for latency)")
	size := flag.Int("size", 100, "value size in bytes")
	acks := flag.String("acks", "1", "acks for produce")
	compression := flag.String("compression", "none", "compression for produce")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed part here")
	memprofile := flag.String("memprofile", "", "produce: write a heap profile here once every record is produced")
	partitions := flag.Int("partitions", 1, "produce: record i goes to partition i % partitions")
	stats := flag.Bool("stats", false, "print the client's statistics document (docs/STATISTICS.md) to stderr at the end")
	flag.Parse()

	cfg := client.NewConfig()
	linger := "5"
	if *mode == "latency" {
		linger, *acks = "0", "1"
	}
	for k, v := range map[string]string{"brokers": *brokers, "acks": *acks, "linger_ms": linger,
		"compression": *compression, "batch_size": "1000000", "auto_offset_reset": "earliest"} {
		if err := cfg.Set(k, v); err != nil {
			fail(err)
		}
	}
	c, err := client.New(*cfg, client.Handler{OnError: func(err error) { fmt.Fprintln(os.Stderr, "client:", err) }})
	if err != nil {
		fail(err)
	}
	connected := make(chan error, 1)
	c.Connect(func(_ tree.Value, err error) { connected <- err })
	if err := <-connected; err != nil {
		fail(err)
	}
	// Metadata for the topic first, so the timed part never waits for it.
	refreshed := make(chan error, 1)
	c.RefreshMetadata(strings.Split(*topic, ","), func(_ tree.Value, err error) { refreshed <- err })
	if err := <-refreshed; err != nil {
		fail(err)
	}
	value := []byte(strings.Repeat("x", *size))
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	switch *mode {
	case "produce":
		produce(c, strings.Split(*topic, ","), *count, value, max(*partitions, 1), *memprofile)
	case "consume":
		consume(c, *topic, *count)
	case "latency":
		latency(c, *topic, *count, value)
	default:
		fail(fmt.Errorf("unknown mode %q", *mode))
	}
	if *stats {
		fmt.Fprintf(os.Stderr, "%s\n", c.Statistics())
	}
}

// produce sends record i to topic i % T, partition (i / T) % partitions,
// as kfk_bench does.
func produce(c *client.Client, topics []string, count int, value []byte, partitions int, memprofile string) {
	var wg sync.WaitGroup
	var failed atomic.Int64
	wg.Add(count)
	done := func(d client.Delivery) {
		if d.Err != nil {
			failed.Add(1)
		}
		wg.Done()
	}
	start := time.Now()
	for i := 0; i < count; {
		err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topics[i%len(topics)],
			Partition: int32(i / len(topics) % partitions), Value: value}, done)
		if err == nil {
			i++
			continue
		}
		time.Sleep(time.Millisecond) // queue full: let deliveries drain
	}
	if memprofile != "" {
		writeHeapProfile(memprofile)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	ok := count - int(failed.Load())
	fmt.Printf("msgs=%d bytes=%d seconds=%.6f failed=%d\n", ok, ok*len(value), secs, failed.Load())
}

func consume(c *client.Client, topic string, count int) {
	start := time.Now()
	c.Assign([]client.Assignment{{Topic: topic, Partition: 0, Offset: client.OffsetEarliest}})
	got, bytes := 0, 0
	for got < count {
		polled := make(chan error, 1)
		c.Poll(0, func(msgs []client.Message) {
			for _, m := range msgs {
				got++
				bytes += len(m.Value)
			}
		}, func(_ int, err error) { polled <- err })
		if err := <-polled; err != nil {
			fail(err)
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("msgs=%d bytes=%d seconds=%.6f failed=0\n", got, bytes, secs)
}

func latency(c *client.Client, topic string, count int, value []byte) {
	us := make([]float64, 0, count)
	delivered := make(chan error, 1)
	done := func(d client.Delivery) { delivered <- d.Err }
	for i := -1; i < count; i++ { // i = -1: an untimed warm-up
		t0 := time.Now()
		if err := c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: value}, done); err != nil {
			fail(err)
		}
		if err := <-delivered; err != nil {
			fail(err)
		}
		if i >= 0 {
			us = append(us, float64(time.Since(t0).Nanoseconds())/1e3)
		}
	}
	sort.Float64s(us)
	at := func(q float64) float64 { return us[int(q*float64(len(us)-1)+0.5)] }
	fmt.Printf("msgs=%d min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
		len(us), us[0], at(0.5), at(0.9), at(0.99), us[len(us)-1])
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	runtime.GC() // the profile shows the heap as of the last collection
	if err := pprof.WriteHeapProfile(f); err != nil {
		fail(err)
	}
	f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
