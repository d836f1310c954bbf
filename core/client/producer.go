package client

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/wire"
)

// Record is one record to produce.
// Produce keeps no reference to Key, Value or header values once it
// returns: they are encoded straight into the open batch (or copied, for a
// record that must wait for metadata), so callers may reuse their buffers.
type Record struct {
	Topic     string
	Partition int32 // -1: chosen by the partitioner
	Key       []byte
	Value     []byte
	Headers   []wire.Header
	Timestamp int64 // ms since the epoch, stored as given (0 too); TimestampNow or any negative = now
	// Tag comes back unchanged in the record's Delivery: a caller that
	// routes reports itself (Handler.OnDeliveries) says where with it.
	Tag Tag
}

// TimestampType says what a record's timestamp is.
type TimestampType int8

const (
	TimestampNotAvailable  TimestampType = iota
	TimestampCreateTime                  // set by the producer
	TimestampLogAppendTime               // set by the broker (message.timestamp.type=LogAppendTime)
)

// TimestampNow as a Record's Timestamp stamps it with the time it is
// produced. (0 is a valid time, as in the C ABI.)
const TimestampNow int64 = -1

// Tag is a record's caller-defined routing data, opaque to the client.
type Tag [2]uintptr

// Delivery is the outcome of one produced record.
type Delivery struct {
	Topic         string
	Partition     int32
	Offset        int64 // -1 when unknown (acks=0, or an error)
	Timestamp     int64
	TimestampType TimestampType
	Err           error
	Tag           Tag // the record's
}

// DeliveryFunc receives a record's delivery report, on a client goroutine.
// A record produced without one is reported to Handler.OnDeliveries.
type DeliveryFunc func(Delivery)

// Errors Produce returns at once, or a delivery reports.
var (
	ErrQueueFull        = errors.New("producer queue is full")
	ErrRecordTooLarge   = errors.New("record is larger than message_max_bytes")
	ErrDeliveryTimeout  = errors.New("record not acknowledged within delivery_timeout_ms")
	ErrInvalidTopic     = errors.New("invalid topic name")
	ErrInvalidPartition = errors.New("partition does not exist")
)

// placement is what produce settled about a record before it takes its
// place in a batch. It is apart from the record so that the caller's
// record can be placed where it is, without a copy.
type placement struct {
	done   DeliveryFunc
	queued instant // its delivery timeout counts from here
	size   int
	inTxn  bool // produced inside a transaction (else a plain batch, even for a transactional producer)
}

// pendingRecord is a record waiting for metadata to be partitioned.
type pendingRecord struct {
	rec Record // detached: its bytes are the producer's own
	placement
}

// recordMeta is what a batch keeps per record for its delivery report.
// It holds no pointer, so the collector neither scans a batch's records
// nor puts a write barrier on their growth: at 256 partitions that was a
// tenth of a burst's CPU.
type recordMeta struct {
	timestamp int64
	tag       Tag
}

// ownDone is a record with a DeliveryFunc of its own: rec is its index in
// the batch. Records produced through the C ABI's queue have none, so a
// batch of them keeps no list.
type ownDone struct {
	rec  int
	done DeliveryFunc
}

// doneOf is record i's own DeliveryFunc in dones (in record order), or nil.
func doneOf(dones []ownDone, i int) DeliveryFunc {
	if len(dones) == 0 {
		return nil
	}
	k := sort.Search(len(dones), func(k int) bool { return dones[k].rec >= i })
	if k < len(dones) && dones[k].rec == i {
		return dones[k].done
	}
	return nil
}

// Reports is the delivery reports of one batch's records (or of one record
// that failed before it reached a batch). They share the topic, partition,
// outcome and timestamp type, and their offsets follow each other, so a
// record's Delivery is made from the batch's bookkeeping when it is read:
// reporting a record costs no memory of its own.
type Reports struct {
	Topic      string
	Partition  int32
	BaseOffset int64 // the first record's offset; -1 when unknown (acks=0, or an error)
	AppendTime int64 // the broker's LogAppendTime for every record; -1: each its create time
	Err        error
	recs       []recordMeta
	dones      []ownDone // the records with a DeliveryFunc of their own
	failedOnly bool      // delivery_reports=failed: a success without a tag is nobody's
}

// Len is how many records r reports.
func (r *Reports) Len() int { return len(r.recs) }

// At is the report of r's record i.
func (r *Reports) At(i int) Delivery {
	m := &r.recs[i]
	d := Delivery{Topic: r.Topic, Partition: r.Partition, Offset: -1, Timestamp: m.timestamp,
		TimestampType: TimestampCreateTime, Err: r.Err, Tag: m.tag}
	if r.BaseOffset >= 0 {
		d.Offset = r.BaseOffset + int64(i)
	}
	if r.AppendTime >= 0 {
		d.Timestamp, d.TimestampType = r.AppendTime, TimestampLogAppendTime
	}
	return d
}

// Tag is record i's tag (what a handler routes by, without making its
// whole Delivery).
func (r *Reports) Tag(i int) Tag { return r.recs[i].tag }

// Routed reports whether record i's report is for Handler.OnDeliveries:
// it has no DeliveryFunc of its own, and delivery_reports does not leave
// it out.
func (r *Reports) Routed(i int) bool {
	return doneOf(r.dones, i) == nil && r.wanted(i)
}

// wanted reports whether record i's report is to be given at all:
// delivery_reports=failed leaves out a success without a tag.
func (r *Reports) wanted(i int) bool {
	return !(r.failedOnly && r.Err == nil && r.recs[i].tag == Tag{})
}

// batch is one record batch for one partition, from the first append to
// the last delivery report.
type batch struct {
	ps       *partitionState
	builder  wire.Builder
	recs     []recordMeta
	dones    []ownDone // its records with a DeliveryFunc of their own
	bytes    int       // buffered bytes accounted to this batch
	payload  int       // its records' key and value bytes, for the statistics
	created  time.Time
	deadline time.Time

	raw        []byte // the finished batch, from its first send
	sealedSize int    // its size when sealed (a compressor may then be rewriting the builder's buffer)
	inTxn      bool   // part of the open transaction
	seq        int32  // base sequence (idempotent), -1 otherwise
	epoch      int16
	producerID int64
	attempts   int

	// finishing is held while the batch is compressed ahead of its send
	// (into ahead, without a sequence: compress_ahead.go) or finished for
	// its first send by the sender, which sets taken: from then on a
	// compressor leaves it alone, as its buffer is recycled once it has
	// been delivered.
	finishing sync.Mutex
	taken     bool
	ahead     []byte
	aheadErr  error
}

// partitionState is the producer's view of one partition.
type partitionState struct {
	topic     string
	partition int32
	open      *batch   // accepting records
	ready     []*batch // sealed, waiting to be sent, in order
	inflight  int
	// inflightTo is the broker the in-flight batches went to. Batches of a
	// partition are only ever in flight to one broker at a time: after a
	// leader change, new sends wait until the old leader has answered, or
	// a later batch could be written before an earlier one is retried.
	inflightTo int32
	nextSeq    int32 // next base sequence (idempotent)
	// seqKnown: the broker has acknowledged a batch of this partition since
	// its sequences last started at 0. Until then only one batch may be in
	// flight: a broker with no state for the producer accepts any first
	// sequence, so a later batch could be written ahead of a first one that
	// failed (KIP-360).
	seqKnown bool
	backoff  time.Time // no sends before this (after an error)
	failures int       // consecutive retriable failures, for the backoff
	// lastBytes and lastRecords are the size of the last batch sealed:
	// what the next one is likely to hold, for sizing its buffers.
	lastBytes   int
	lastRecords int
}

// producer batches records per partition and sends them to leaders.
type producer struct {
	c   *Client
	cfg *Config

	mu sync.Mutex
	// rotation is every partitionState in creation order; the sender's
	// pass starts at rotation[turn], the first partition a full request
	// turned away last time, so that bounded requests serve all in turn.
	rotation        []*partitionState
	turn            int
	waiting         map[string][]*pendingRecord // topic -> records awaiting metadata
	buffered        int                         // records not yet reported
	bufBytes        int64
	inflightBy      map[int32]int // requests in flight per broker
	flushing        atomic.Int32  // flush calls in progress (changed under mu): send everything now
	flushWaiters    []*flushWaiter
	roundRobin      map[string]int32
	sticky          map[string]int32
	pid             producerID
	txn             txnState
	closed          bool
	lastWaitRefresh time.Time                 // when metadata was last asked for records waiting for it
	waitRefreshGap  time.Duration             // and how long after that it is asked again
	buffers         spares[byte]              // delivered batches' buffers
	reportSpares    spares[Reports]           // slices of reports handed out, for the next
	metas           spares[recordMeta]        // and their per-record slices
	dones           spares[ownDone]           // and their lists of records' own DeliveryFuncs
	topics          map[string]*producedTopic // every valid topic produced to
	hot             *producedTopic            // the last of them, or nil

	clock producerClock
	// passing is held through a pass of the sender's: one at a time, so
	// that requests are handed to a connection in the order planned.
	passing sync.Mutex
	// senderDue is when the sender goroutine next passes unwoken, in Unix
	// nanoseconds (0: at once), written under passing: a pass done on
	// another goroutine wakes it only for work due sooner.
	senderDue atomic.Int64
	wake      chan struct{}
	stop      chan struct{}
	// encoder is the sender's, used under passing.
	encoder compress.Encoder

	ahead aheadCompressors // compress_ahead.go
}

type flushWaiter struct {
	done    func(error)
	once    sync.Once
	timeout *time.Timer // set under producer.mu; stopped when the flush ends
}

func newProducer(c *Client) *producer {
	p := &producer{
		c: c, cfg: &c.cfg,
		topics:     map[string]*producedTopic{},
		waiting:    map[string][]*pendingRecord{},
		inflightBy: map[int32]int{},
		roundRobin: map[string]int32{},
		sticky:     map[string]int32{},
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		pid:        producerID{id: -1, epoch: -1},
		// Set again as records begin waiting; never zero, which would
		// make the sender ask on every pass.
		waitRefreshGap: firstWaitRefresh,
	}
	p.encoder.Level = p.cfg.CompressionLevel
	p.buffers.limit = max(spareBatchBytes, 2*(p.cfg.BatchSize+wire.BatchHeaderSize))
	p.metas.limit = spareRecordMetas
	p.dones.limit = spareRecordMetas
	p.reportSpares.limit = spareReports
	go p.run()
	return p
}

// refuseLocked is why a record of size bytes cannot be queued now (the
// producer closed, its transaction failing or ending, its buffer full),
// or nil.
func (p *producer) refuseLocked(size int) error {
	if p.closed {
		return ErrClosed
	}
	if p.cfg.TransactionalID != "" {
		switch {
		case p.txn.fatal != nil:
			return p.txn.fatal
		case p.txn.open && p.txn.abortable != nil:
			return p.txn.abortable
		case p.txn.ending:
			return fmt.Errorf("%w: the transaction is being committed or aborted", ErrTxnInProgress)
		}
	}
	if p.buffered >= p.cfg.MaxBufferedMsgs || p.bufBytes+int64(size) > p.cfg.MaxBufferedBytes {
		return fmt.Errorf("%w: %d records, %d bytes buffered", ErrQueueFull, p.buffered, p.bufBytes)
	}
	return nil
}

// ProducerID is the idempotent or transactional producer's id and epoch;
// ok is false until InitProducerId has given one.
func (c *Client) ProducerID() (id int64, epoch int16, ok bool) {
	p := c.producer
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid.id, p.pid.epoch, p.pid.id >= 0
}

func (p *producer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Produce queues r; done (may be nil) gets its delivery report. An error
// returned here means the record was not queued and done will not run.
func (c *Client) Produce(r Record, done DeliveryFunc) error {
	return c.producer.produce(&r, done, c.producer.clock.now())
}

// ProduceMany is Produce of each of rs in order, done (may be nil) getting
// each one's report, with one reading of the clock for them all and the
// producer's lock taken once per recordsPerLock records: for a caller
// handing over records gathered a moment ago. refused is told of each
// record Produce would have refused, with why, once the lock is let go.
func (c *Client) ProduceMany(rs []Record, done DeliveryFunc, refused func(r *Record, err error)) {
	p := c.producer
	now := p.clock.now()
	type refusal struct {
		i   int
		err error
	}
	var refusals []refusal
	for start := 0; start < len(rs); start += recordsPerLock {
		end := min(start+recordsPerLock, len(rs))
		var q queued
		p.mu.Lock()
		for i := start; i < end; i++ {
			if err := p.queueLocked(&rs[i], done, now, &q); err != nil {
				refusals = append(refusals, refusal{i, err})
			}
		}
		p.mu.Unlock()
		for _, r := range refusals {
			refused(&rs[r.i], r.err)
		}
		refusals = refusals[:0]
		p.afterQueued(&q, false)
	}
}

// recordsPerLock is how many records ProduceMany queues under one hold of
// the producer's lock: enough that taking it costs little per record, few
// enough that the sender, which needs it for each pass, waits
// microseconds.
const recordsPerLock = 256

// Room is what Produce would take now without refusing for a full
// buffer or a closed client: records and bytes of record size (key, value
// and headers plus 64 bytes each), and the largest single record. A caller
// that accepts records on the client's behalf and hands them over later
// stays within it, so that Produce will not refuse them then.
func (c *Client) Room() (records int, bytes int64, largest int) {
	p := c.producer
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.cfg.TransactionalID != "" {
		return 0, 0, 0
	}
	return p.cfg.MaxBufferedMsgs - p.buffered, p.cfg.MaxBufferedBytes - p.bufBytes, p.cfg.MaxMessageBytes
}

// ReportRefused reports r, which the caller had accepted on the client's
// behalf and Produce then refused with err, to Handler.OnDeliveries with
// its tag, as a queued record's failure is reported, so that its producer
// hears of it.
func (c *Client) ReportRefused(r *Record, err error) {
	c.producer.c.counts.msgsFailed.Add(1)
	c.producer.report([]Reports{{Topic: r.Topic, Partition: r.Partition, BaseOffset: -1, AppendTime: -1, Err: err,
		recs: []recordMeta{{timestamp: r.Timestamp, tag: r.Tag}}}})
}

// validTopic applies Kafka's rule for topic names (1 to 249 of
// [a-zA-Z0-9._-], not "." or ".."), so a name the broker would refuse is
// refused at once rather than sent and retried until the delivery timeout.
func validTopic(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// producedTopic remembers what produce looked up for a topic: the name
// check, and the partition count and states behind map lookups, are a
// noticeable share of a record's cost. Producers mostly repeat one topic
// (producer.hot); one that rotates among topics finds each in
// producer.topics with one lookup.
type producedTopic struct {
	name  string
	meta  *metadata // the metadata n, code and known came from
	n     int
	code  int16
	known bool
	parts []*partitionState // indexed by partition number, made by stateLocked
}

// producerClock gives produce its timestamps and deadlines from a single
// monotonic clock reading (time.Now makes two). Wall time is derived from
// a base that the sender renews every second, so that it follows clock
// adjustments.
type producerClock struct {
	base atomic.Pointer[clockBase]
}

type clockBase struct {
	at       time.Time // with its monotonic reading
	unixNano int64     // at's wall time
}

// instant is a reading of the producer's clock: an offset from its base.
// A record needs its time in milliseconds, and as a time.Time only when it
// starts a batch or waits, so that is made only then.
type instant struct {
	base  *clockBase
	since time.Duration
}

func (i instant) unixMilli() int64 {
	return (i.base.unixNano + int64(i.since)) / int64(time.Millisecond)
}

func (i instant) time() time.Time { return i.base.at.Add(i.since) }

func (c *producerClock) now() instant {
	b := c.base.Load()
	if b == nil {
		b = c.renew()
	}
	return instant{b, time.Since(b.at)}
}

func (c *producerClock) renew() *clockBase {
	now := time.Now()
	b := &clockBase{at: now, unixNano: now.UnixNano()}
	c.base.Store(b)
	return b
}

func (c *producerClock) renewEvery(d time.Duration) {
	if b := c.base.Load(); b == nil || time.Since(b.at) >= d {
		c.renew()
	}
}

// produce works on r in place (its caller's copy): a record is large, and
// copying it from call to call was a noticeable share of its cost.
func (p *producer) produce(r *Record, done DeliveryFunc, now instant) error {
	var q queued
	p.mu.Lock()
	err := p.queueLocked(r, done, now, &q)
	alone := p.buffered == 1
	p.mu.Unlock()
	if err != nil {
		return err
	}
	p.afterQueued(&q, alone)
	return nil
}

// queued is what queueing records under the producer's lock leaves to do
// once it is let go.
type queued struct {
	failed  []Reports // records that failed as they were placed
	news    bool      // the sender has a batch it has not seen, or one sealed
	refresh []string  // topics whose records began waiting for metadata
}

// queueLocked takes r into its partition's open batch, or to wait for its
// topic's metadata, and notes in q what is to be done after. An error
// means r was not taken.
func (p *producer) queueLocked(r *Record, done DeliveryFunc, now instant, q *queued) error {
	if r.Timestamp < 0 {
		r.Timestamp = now.unixMilli()
	}
	size := len(r.Key) + len(r.Value) + 64
	for _, h := range r.Headers {
		size += len(h.Key) + len(h.Value) + 8
	}
	if size > p.cfg.MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes", ErrRecordTooLarge, size)
	}
	if p.hot == nil || r.Topic != p.hot.name {
		t := p.topics[r.Topic]
		if t == nil {
			if !validTopic(r.Topic) {
				return fmt.Errorf("%w: %q", ErrInvalidTopic, r.Topic)
			}
			t = &producedTopic{name: r.Topic}
			p.topics[r.Topic] = t
		}
		p.hot = t
	}
	t := p.hot
	if err := p.refuseLocked(size); err != nil {
		return err
	}
	// A transactional producer outside a transaction sends plain
	// idempotent batches, as EV::Kafka does.
	inTxn := p.txn.open
	p.buffered++
	p.bufBytes += int64(size)
	m := p.c.meta.Load()
	if m != t.meta {
		t.meta, t.n, t.code, t.known = m, 0, 0, false
		if m != nil {
			t.n, t.code, t.known = m.topic(r.Topic)
		}
	}
	n, code, known := t.n, t.code, t.known
	if !known || (code != 0 && n == 0) || (len(p.waiting) > 0 && len(p.waiting[r.Topic]) > 0) {
		// Partitioning needs the partition count: wait for metadata. Once
		// records of a topic wait, later ones queue behind them, so that
		// metadata arriving in between cannot reorder them.
		if len(p.waiting[r.Topic]) == 0 {
			q.refresh = append(q.refresh, r.Topic)
			p.lastWaitRefresh, p.waitRefreshGap = now.time(), firstWaitRefresh
		}
		p.waiting[r.Topic] = append(p.waiting[r.Topic], &pendingRecord{rec: r.detached(),
			placement: placement{done: done, queued: now, size: size, inTxn: inTxn}})
		return nil
	}
	// On the stack, as r stays: no allocation per record.
	pl := placement{done: done, queued: now, size: size, inTxn: inTxn}
	failed, news := p.placeLocked(r, &pl, n)
	q.failed = append(q.failed, failed...)
	q.news = q.news || news
	return nil
}

// afterQueued does what queueing left to do: metadata to ask for, reports
// of records that failed, and the sender to wake. alone says the record
// just queued is the only one buffered.
func (p *producer) afterQueued(q *queued, alone bool) {
	for _, topic := range q.refresh {
		p.c.refreshMetadata([]string{topic}, func(*metadata, error) { p.placeWaiting() })
	}
	if q.failed != nil {
		p.report(q.failed)
	}
	switch {
	case q.news && alone && p.cfg.Linger == 0:
		// Nothing else waits, so the record may go at once: sending it
		// from here, rather than waking the sender for it, takes a thread
		// wake-up off a produce round trip. Under load records find
		// others buffered and the sender gathers them.
		p.passHere()
	case q.news:
		p.signal()
	}
}

// newBatchLocked starts ps's open batch, its buffers sized for what the
// partition's last batch held: a large batch_size must not cost a large
// buffer, and its page faults, for every batch that ends up holding a few
// records, nor a busy partition's batch many reallocations as it grows.
func (p *producer) newBatchLocked(ps *partitionState, pl *placement) *batch {
	bytes, records := min(p.cfg.BatchSize, initialBatchBytes)+wire.BatchHeaderSize, initialBatchRecords
	if ps.lastRecords > 0 {
		bytes, records = min(p.cfg.BatchSize+wire.BatchHeaderSize, ps.lastBytes), ps.lastRecords
	}
	created := pl.queued.time()
	b := &batch{ps: ps, created: created, deadline: created.Add(p.cfg.DeliveryTimeout), seq: -1,
		recs: p.metas.get(records), inTxn: pl.inTxn}
	opts := wire.NoProducer
	opts.Codec, opts.Transactional = p.cfg.Compression, pl.inTxn
	b.builder.Reset(p.buffers.get(bytes), opts)
	ps.open = b
	return b
}

// nextBufferSize is the size of the buffer b continues in once the next
// record, of need bytes, does not fit its current one: half the batch so
// far, up to grownBatchBytes, so that the last buffer's unused room stays
// small beside the batch (a thousand partitions' batches wait at once);
// room for a few records at least; and no more than batch_size leaves.
func (p *producer) nextBufferSize(b *batch, need int) int {
	size := max(min(b.builder.Size()/2, grownBatchBytes), 4*need)
	return max(need, min(size, p.cfg.BatchSize+wire.BatchHeaderSize-b.builder.Size()))
}

const (
	initialBatchBytes   = 16 << 10 // a partition's first batch's buffer, before it grows
	grownBatchBytes     = 8 << 10  // and each further buffer, at most (see nextBufferSize)
	initialBatchRecords = 64       // and room for its records' bookkeeping
	spareBatchBytes     = 8 << 20  // delivered batches' buffers kept for reuse, at least
	spareRecordMetas    = 1 << 17  // their recordMeta slices' elements kept (3 MiB), and as many ownDones
	spareReports        = 1 << 12  // delivery reports' slices' elements kept, one per batch (320 KiB)
)

// detached returns r with its byte slices copied into one buffer of its own.
func (r Record) detached() Record {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Value)
	}
	buf := make([]byte, 0, n)
	take := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	r.Key, r.Value = take(r.Key), take(r.Value)
	if r.Headers != nil {
		hs := make([]wire.Header, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = wire.Header{Key: h.Key, Value: take(h.Value)}
		}
		r.Headers = hs
	}
	return r
}

// placeWaiting partitions records that were waiting for metadata.
func (p *producer) placeWaiting() {
	m := p.c.meta.Load()
	var failed []Reports
	p.mu.Lock()
	for topic, recs := range p.waiting {
		n, code, known := 0, int16(0), false
		if m != nil {
			n, code, known = m.topic(topic)
		}
		if known && n > 0 {
			for _, pr := range recs {
				if f, _ := p.placeLocked(&pr.rec, &pr.placement, n); f != nil {
					failed = append(failed, f...)
				}
			}
			delete(p.waiting, topic)
			continue
		}
		if known && code != 0 && !kerr.ForCode(code).Retriable {
			for _, pr := range recs {
				failed = append(failed, p.failPendingLocked(pr, kerr.ForCode(code))...)
			}
			delete(p.waiting, topic)
		}
		// Otherwise (auto-creation under way, leader election): the
		// sender loop retries metadata until the delivery timeout.
	}
	p.mu.Unlock()
	p.report(failed)
	p.signal()
}

// placeLocked chooses r's partition among n and appends it to that
// partition's open batch. It returns reports for a record it had to fail,
// and whether the sender has news: a batch it has not seen (whose linger
// it must time) or one sealed, that it can act on before the partition's
// next response (senderHasWorkLocked). A record joining a known open batch
// is not news, and not waking the sender for it saves a goroutine switch
// per record.
func (p *producer) placeLocked(r *Record, pl *placement, n int) (failed []Reports, news bool) {
	part := r.Partition
	if part < 0 {
		part = p.partitionLocked(r.Topic, r.Key, int32(n))
	}
	if part < 0 || int(part) >= n {
		return p.failLocked(r, pl, fmt.Errorf("%w: %s has %d partitions, none numbered %d", ErrInvalidPartition, r.Topic, n, part)), false
	}
	ps := p.stateLocked(r.Topic, part, n)
	b := ps.open
	need := 0
	sealed, started := false, false
	if b != nil {
		need = b.builder.RecordSize(r.Timestamp, r.Key, r.Value, r.Headers)
		if b.inTxn != pl.inTxn || b.builder.Count() > 0 && b.builder.Size()+need > p.cfg.BatchSize {
			p.sealLocked(ps)
			p.compressAheadLocked(b)
			b, sealed = nil, true
		}
	}
	if b == nil {
		b, started = p.newBatchLocked(ps, pl), true
	} else if b.builder.Room() < need {
		b.builder.Continue(p.buffers.get(p.nextBufferSize(b, need)))
	}
	b.builder.Append(r.Timestamp, r.Key, r.Value, r.Headers)
	if pl.done != nil {
		if b.dones == nil {
			b.dones = p.dones.get(cap(b.recs))
		}
		b.dones = append(b.dones, ownDone{rec: len(b.recs), done: pl.done})
	}
	b.recs = append(b.recs, recordMeta{timestamp: r.Timestamp, tag: r.Tag})
	b.bytes += pl.size
	b.payload += len(r.Key) + len(r.Value)
	// Full by bytes or by records. The record count bounds small records'
	// batches, as librdkafka's batch.num.messages does: with a large
	// batch_size a 10 B record's batch would otherwise hold 50,000
	// records, and the requests in flight their bookkeeping besides.
	if b.builder.Size() >= p.cfg.BatchSize || len(b.recs) >= p.cfg.BatchRecords {
		p.sealLocked(ps)
		p.compressAheadLocked(b)
		sealed = true
	}
	return nil, (sealed || started) && p.senderHasWorkLocked(ps, sealed)
}

// senderHasWorkLocked says whether a batch of ps just started or sealed
// gives the sender something to do before ps's next response: a linger to
// time when nothing of ps is in flight, a full batch to send while ps and
// its broker are below their in-flight limits. Otherwise the response
// wakes it (handleResponse); waking it now would cost a goroutine
// hand-off per batch that finds nothing to do (with batch_size's default
// of 16 KiB, about one per 160 records of 100 B).
func (p *producer) senderHasWorkLocked(ps *partitionState, sealed bool) bool {
	if ps.inflight == 0 {
		return true
	}
	return sealed && ps.inflight < p.partitionInFlightLimit() && p.inflightBy[ps.inflightTo] < p.cfg.MaxInFlight
}

func (p *producer) nextRoundRobinLocked(topic string, n int32) int32 {
	next := p.roundRobin[topic]
	p.roundRobin[topic] = (next + 1) % n
	return next % n
}

func (p *producer) stateLocked(topic string, part int32, n int) *partitionState {
	t := p.hot
	if t == nil || topic != t.name {
		if t = p.topics[topic]; t == nil { // placed without produce (tests)
			t = &producedTopic{name: topic}
			p.topics[topic] = t
		}
	}
	parts := t.parts
	if len(parts) < n {
		grown := make([]*partitionState, n)
		copy(grown, parts)
		parts = grown
		t.parts = parts
	}
	if parts[part] == nil {
		parts[part] = &partitionState{topic: topic, partition: part}
		p.rotation = append(p.rotation, parts[part])
		p.c.want(topic) // refreshes must keep covering it
	}
	return parts[part]
}

// sealLocked moves the open batch to the ready queue. A sticky partitioner
// moves to another partition at this point, as Kafka's does.
func (p *producer) sealLocked(ps *partitionState) {
	b := ps.open
	if b == nil {
		return
	}
	ps.open = nil
	ps.ready = append(ps.ready, b)
	if b.builder.Spans() > 1 {
		// Joined here, under the lock the spares need, so that the
		// buffers it leaves serve the open batches at once.
		for _, buf := range b.builder.Join(p.buffers.get(b.builder.Size())) {
			p.buffers.put(buf)
		}
	}
	b.sealedSize = b.builder.Size()
	ps.lastBytes, ps.lastRecords = b.sealedSize, b.builder.Count()
	if p.cfg.Partitioner == "sticky" {
		delete(p.sticky, ps.topic)
	}
}

// report hands out delivery reports (collected under the lock, delivered
// outside it): each to its function, those without one to
// Handler.OnDeliveries, all in one call, which keeps rs (see
// ReleaseDeliveries). rs is not used afterwards.
func (p *producer) report(rs []Reports) {
	if len(rs) == 0 {
		return
	}
	routed := 0
	failedOnly := p.cfg.DeliveryReports == ReportFailed
	for k := range rs {
		r := &rs[k]
		r.failedOnly = failedOnly
		dones := r.dones
		for i := range r.recs {
			if len(dones) > 0 && dones[0].rec == i {
				dones[0].done(r.At(i))
				dones = dones[1:]
			} else if r.wanted(i) {
				routed++
			}
		}
	}
	if sink := p.c.handler.OnDeliveries; sink != nil && routed > 0 {
		sink(rs, routed)
	} else {
		p.recycleReports(rs)
	}
	p.checkFlushed()
}

// ReleaseDeliveries gives back a slice Handler.OnDeliveries received, once
// nothing reads it any more: later batches and reports reuse its memory.
// A slice not given back is simply collected.
func (c *Client) ReleaseDeliveries(rs []Reports) {
	c.producer.recycleReports(rs)
}

func (p *producer) recycleReports(rs []Reports) {
	p.mu.Lock()
	for i := range rs {
		p.metas.put(rs[i].recs)
		if rs[i].dones != nil {
			clear(rs[i].dones) // drop the delivery functions
			p.dones.put(rs[i].dones)
		}
	}
	clear(rs)
	p.reportSpares.put(rs)
	p.mu.Unlock()
}

func (p *producer) failPendingLocked(pr *pendingRecord, err error) []Reports {
	return p.failLocked(&pr.rec, &pr.placement, err)
}

// failLocked releases a record that never reached a batch, and gives its
// report.
func (p *producer) failLocked(r *Record, pl *placement, err error) []Reports {
	p.buffered--
	p.bufBytes -= int64(pl.size)
	p.c.counts.msgsFailed.Add(1)
	rep := Reports{Topic: r.Topic, Partition: r.Partition, BaseOffset: -1, AppendTime: -1, Err: err,
		recs: []recordMeta{{timestamp: r.Timestamp, tag: r.Tag}}}
	if pl.done != nil {
		rep.dones = []ownDone{{done: pl.done}}
	}
	return []Reports{rep}
}

// finishBatchLocked releases b's records with their outcome, appending
// their reports to dst.
func (p *producer) finishBatchLocked(dst []Reports, b *batch, baseOffset int64, err error) []Reports {
	return p.finishBatchAtLocked(dst, b, baseOffset, -1, err)
}

// finishBatchAtLocked is finishBatchLocked for a batch the broker stamped
// with its LogAppendTime (appendTime >= 0): every record reports that time,
// as Java and librdkafka do. The reports take over b's record bookkeeping.
func (p *producer) finishBatchAtLocked(dst []Reports, b *batch, baseOffset, appendTime int64, err error) []Reports {
	if err != nil {
		baseOffset = -1
	}
	dst = append(dst, Reports{Topic: b.ps.topic, Partition: b.ps.partition, BaseOffset: baseOffset,
		AppendTime: appendTime, Err: err, recs: b.recs, dones: b.dones})
	n := len(b.recs)
	p.buffered -= n
	p.bufBytes -= int64(b.bytes)
	b.recs, b.dones = nil, nil
	if err == nil {
		p.c.counts.msgsProduced.Add(int64(n))
		p.c.counts.bytesProduced.Add(int64(b.payload))
		// The broker answered (or, with acks=0, the request was written):
		// nothing reads the batch's bytes any more.
		if b.raw != nil {
			p.buffers.put(b.raw)
			b.raw = nil
		}
	} else {
		p.c.counts.msgsFailed.Add(int64(n))
		p.c.log.Debugf(obs.Producer, "%d records to %s[%d] failed: %v", n, b.ps.topic, b.ps.partition, err)
	}
	return dst
}

// Flush sends every buffered record at once and calls cb when all have been
// reported, or with ErrDeliveryTimeout-like timeout error when timeout passes.
func (c *Client) Flush(timeout time.Duration, cb func(error)) { c.producer.flush(timeout, cb) }

// ErrFlushTimeout is given to a flush that did not finish in time.
var ErrFlushTimeout = errors.New("flush timed out with records still in flight")

func (p *producer) flush(timeout time.Duration, cb func(error)) {
	w := &flushWaiter{done: cb}
	p.mu.Lock()
	if p.buffered == 0 {
		p.mu.Unlock()
		cb(nil)
		return
	}
	p.flushing.Add(1)
	p.flushWaiters = append(p.flushWaiters, w)
	if timeout > 0 {
		w.timeout = time.AfterFunc(timeout, func() { p.endFlush(w, ErrFlushTimeout) })
	}
	p.mu.Unlock()
	p.signal()
}

// checkFlushed completes flushes once nothing is buffered. It runs after
// every response's reports; with no flush waiting it takes no lock, which
// the next produce of a round trip may already want. A flush registered
// too late for the load to see it either found nothing buffered (and
// completed) or is seen by the check after a later response.
func (p *producer) checkFlushed() {
	if p.flushing.Load() == 0 {
		return
	}
	p.mu.Lock()
	if p.buffered > 0 || len(p.flushWaiters) == 0 {
		p.mu.Unlock()
		return
	}
	waiters := p.flushWaiters
	p.mu.Unlock()
	for _, w := range waiters {
		p.endFlush(w, nil)
	}
}

func (p *producer) endFlush(w *flushWaiter, err error) {
	w.once.Do(func() {
		p.mu.Lock()
		for i, x := range p.flushWaiters {
			if x == w {
				p.flushWaiters = append(p.flushWaiters[:i], p.flushWaiters[i+1:]...)
				p.flushing.Add(-1)
				break
			}
		}
		if w.timeout != nil {
			w.timeout.Stop() // an application flushing often leaves no timers behind
		}
		p.mu.Unlock()
		if w.done != nil {
			w.done(err)
		}
	})
}

// close fails whatever is still buffered (after the client's flush).
func (p *producer) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	var failed []Reports
	for topic, recs := range p.waiting {
		for _, pr := range recs {
			failed = append(failed, p.failPendingLocked(pr, ErrClosed)...)
		}
		delete(p.waiting, topic)
	}
	for _, t := range p.topics {
		for _, ps := range t.parts {
			if ps == nil {
				continue
			}
			p.sealLocked(ps)
			for _, b := range ps.ready {
				failed = p.finishBatchLocked(failed, b, -1, ErrClosed)
			}
			ps.ready = nil
		}
	}
	p.mu.Unlock()
	p.ahead.drop()
	close(p.stop)
	p.report(failed)
}
