// Command franzbench does kfk_bench.c's work with franz-go (kgo), for the
// side-by-side benchmark (bench/run.py). Same modes, arguments and report
// line:
//
//	franzbench produce|consume|latency brokers topic count size acks compression
//
// Settings match kfk_bench: linger 5 ms (0 for latency), batches up to
// 1 MB, one request in flight for latency; the consumer reads partition 0
// from the earliest offset without a group.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) < 8 {
		fmt.Fprintln(os.Stderr, "usage: franzbench produce|consume|latency brokers topic count size acks compression")
		os.Exit(2)
	}
	mode, brokers, topic := os.Args[1], os.Args[2], os.Args[3]
	count, _ := strconv.Atoi(os.Args[4])
	size, _ := strconv.Atoi(os.Args[5])
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchMaxBytes(1000000),
		kgo.MaxBufferedRecords(1000000), kgo.AllowAutoTopicCreation()}
	switch mode {
	case "produce":
		opts = append(opts, kgo.ProducerLinger(5*time.Millisecond), acksOpt(os.Args[6]),
			kgo.ProducerBatchCompression(codec(os.Args[7])))
	case "latency":
		opts = append(opts, kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.LeaderAck()),
			kgo.MaxProduceRequestsInflightPerBroker(1))
	case "consume":
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			topic: {0: kgo.NewOffset().AtStart()}}))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
	if mode != "produce" || os.Args[6] != "-1" {
		opts = append(opts, kgo.DisableIdempotentWrite()) // idempotence needs acks=all
	}
	// consume is timed from here: kgo starts fetching as soon as the
	// client exists (connecting included, which the C programs exclude).
	start, cpuStart := time.Now(), cpuTime()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cl.Close()
	ctx := context.Background()
	if mode != "consume" {
		if err := cl.Ping(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	idle := statusKB("VmRSS")
	value := []byte(strings.Repeat("x", size))
	switch mode {
	case "produce":
		start, cpuStart = time.Now(), cpuTime()
		var wg sync.WaitGroup
		var mu sync.Mutex
		failed := 0
		wg.Add(count)
		for i := 0; i < count; i++ {
			cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					if failed == 0 {
						fmt.Fprintln(os.Stderr, "produce:", err)
					}
					failed++
					mu.Unlock()
				}
				wg.Done()
			})
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		fmt.Printf("msgs=%d bytes=%d seconds=%.6f failed=%d rss_idle_kb=%d rss_peak_kb=%d cpu_us_per_msg=%.3f\n",
			count-failed, (count-failed)*size, secs, failed, idle, statusKB("VmHWM"), perRecord(cpuStart, count))
	case "consume":
		got, bytes := 0, 0
		for got < count {
			fs := cl.PollFetches(ctx)
			fs.EachError(func(t string, p int32, err error) { fmt.Fprintln(os.Stderr, "fetch:", t, p, err) })
			fs.EachRecord(func(r *kgo.Record) {
				got++
				bytes += len(r.Value)
			})
		}
		secs := time.Since(start).Seconds()
		fmt.Printf("msgs=%d bytes=%d seconds=%.6f failed=0 rss_idle_kb=%d rss_peak_kb=%d cpu_us_per_msg=%.3f\n",
			got, bytes, secs, idle, statusKB("VmHWM"), perRecord(cpuStart, got))
	case "latency":
		us := make([]float64, 0, count)
		for i := -1; i < count; i++ { // i = -1: an untimed warm-up
			t0 := time.Now()
			if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
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
}

func acksOpt(acks string) kgo.Opt {
	switch acks {
	case "0":
		return kgo.RequiredAcks(kgo.NoAck())
	case "1":
		return kgo.RequiredAcks(kgo.LeaderAck())
	}
	return kgo.RequiredAcks(kgo.AllISRAcks())
}

func codec(name string) kgo.CompressionCodec {
	switch name {
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "gzip":
		return kgo.GzipCompression()
	}
	return kgo.NoCompression()
}

// statusKB reads a /proc/self/status field in kB ("VmRSS", "VmHWM").
func statusKB(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			return kb
		}
	}
	return -1
}

// cpuTime is the user + system CPU the process has used, as the C
// programs measure it (getrusage of the whole process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perRecord is the CPU used since from, in µs per record.
func perRecord(from time.Duration, records int) float64 {
	return float64(cpuTime()-from) / float64(time.Microsecond) / float64(max(records, 1))
}
