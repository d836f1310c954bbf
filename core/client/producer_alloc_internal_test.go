package client

import (
	"reflect"
	"runtime"
	"testing"
)

// placingProducer is a producer whose sender never sends (nothing lingers
// out within a test), for driving placement and delivery by hand.
func placingProducer(t testing.TB) *producer {
	cfg := NewConfig()
	for k, v := range map[string]string{"linger_ms": "3600000", "batch_size": "1000000"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(*cfg, Handler{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(0, nil) })
	return c.producer
}

// placeAndDeliver places perBatch records of 100 bytes in each of
// partitions partitions, then finishes every batch as delivered, its
// reports given back as a handler gives them back: one batch's life on
// the produce path, without the network.
func placeAndDeliver(p *producer, partitions, perBatch int) {
	pr := pendingRecord{rec: Record{Topic: "alloc", Value: make([]byte, 100)}, placement: placement{queued: p.clock.now(), size: 164}}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < partitions*perBatch; i++ {
		pr.rec.Partition = int32(i % partitions)
		p.placeLocked(&pr.rec, &pr.placement, partitions)
	}
	deliverAllLocked(p)
}

// deliverAllLocked seals every open batch and finishes it as delivered.
func deliverAllLocked(p *producer) {
	for _, ps := range p.rotation {
		p.sealLocked(ps)
		for _, b := range ps.ready {
			p.sequenceLocked(b)
			if err := p.encode(b); err != nil {
				panic(err)
			}
			reports := p.finishBatchLocked(p.reportSpares.get(1), b, 0, nil)
			p.mu.Unlock() // the reports go back as a handler gives them back
			p.recycleReports(reports)
			p.mu.Lock()
		}
		ps.ready = ps.ready[:0]
	}
}

// In steady state, placing a record in its batch and delivering it
// allocates nothing per record: buffers and bookkeeping come back from
// delivered batches. What remains is per batch (the batch itself).
func TestPlacingRecordsAllocatesNothingPerRecord(t *testing.T) {
	for _, partitions := range []int{1, 64} {
		p := placingProducer(t)
		const perBatch = 200
		placeAndDeliver(p, partitions, perBatch) // sizes learned, spares filled
		allocs := testing.AllocsPerRun(20, func() { placeAndDeliver(p, partitions, perBatch) })
		if perRecord := allocs / float64(partitions*perBatch); perRecord > 0.02 {
			t.Errorf("%d partitions: %.3f allocations per record (%.0f per round of %d)",
				partitions, perRecord, allocs, partitions*perBatch)
		}
	}
}

func BenchmarkPlaceRecords(b *testing.B) {
	for _, partitions := range []int{1, 1024} {
		b.Run(map[int]string{1: "1-partition", 1024: "1024-partitions"}[partitions], func(b *testing.B) {
			p := placingProducer(b)
			const perBatch = 100
			placeAndDeliver(p, partitions, perBatch)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += partitions * perBatch {
				placeAndDeliver(p, partitions, perBatch)
			}
		})
	}
}

// produceAndDeliver is placeAndDeliver through produce, as a kfk_produce
// call goes: the clock, the lock, the topic's metadata.
func produceAndDeliver(p *producer, partitions, perBatch int) {
	value := make([]byte, 100)
	for i := 0; i < partitions*perBatch; i++ {
		if err := p.produce(&Record{Topic: "alloc", Partition: int32(i % partitions), Value: value, Timestamp: -1}, nil, p.clock.now()); err != nil {
			panic(err)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	deliverAllLocked(p)
}

func BenchmarkProduceRecords(b *testing.B) {
	p := placingProducer(b)
	p.c.meta.Store(&metadata{topics: map[string]*topicMeta{"alloc": {partitions: make([]partitionMeta, 1)}}})
	const perBatch = 1000
	produceAndDeliver(p, 1, perBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += perBatch {
		produceAndDeliver(p, 1, perBatch)
	}
}

// At many partitions every batch grows while it waits its turn. Growing
// by further buffers, rather than by moves into larger ones that leave the
// old to the collector, allocates little beyond the records' own bytes:
// moves allocated three and a half times their bytes, this 1.6 times.
func TestManyPartitionsBatchesGrowWithoutGarbage(t *testing.T) {
	p := placingProducer(t)
	const partitions, perPartition = 256, 300
	pr := pendingRecord{rec: Record{Topic: "grow", Value: make([]byte, 100)}, placement: placement{queued: p.clock.now(), size: 164}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p.mu.Lock()
	for i := 0; i < partitions*perPartition; i++ {
		pr.rec.Partition = int32(i % partitions)
		p.placeLocked(&pr.rec, &pr.placement, partitions)
	}
	encoded := 0
	for _, ps := range p.rotation {
		encoded += ps.open.builder.Size()
	}
	p.mu.Unlock()
	runtime.ReadMemStats(&after)
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > uint64(5*encoded/2) {
		t.Fatalf("placing %d bytes of batches allocated %d bytes (%.1fx)", encoded, allocated,
			float64(allocated)/float64(encoded))
	}
}

// A burst into a new producer: every batch and its bookkeeping is fresh
// memory, as when an application starts by queueing more than the broker
// takes (make bench-partitions).
func BenchmarkColdBurst(b *testing.B) {
	for _, partitions := range []int{1, 256} {
		b.Run(map[int]string{1: "1-partition", 256: "256-partitions"}[partitions], func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				placeAndDeliver(placingProducer(b), partitions, 300000/partitions)
			}
		})
	}
}

// A batch keeps a recordMeta per record; were it to hold a pointer, the
// collector would scan every queued record's and put a write barrier on
// each growth of the slice (a tenth of a 256-partition burst's CPU).
func TestRecordMetaHoldsNoPointer(t *testing.T) {
	var walk func(reflect.Type) bool
	walk = func(ty reflect.Type) bool {
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				if !walk(ty.Field(i).Type) {
					return false
				}
			}
			return true
		case reflect.Array:
			return walk(ty.Elem())
		default:
			return ty.Kind() <= reflect.Complex128 // booleans and numbers
		}
	}
	if !walk(reflect.TypeOf(recordMeta{})) {
		t.Fatal("recordMeta holds a pointer")
	}
}
