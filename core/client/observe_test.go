package client_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/obs"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// observer keeps what a client's log and statistics handlers receive.
type observer struct {
	mu      sync.Mutex
	entries []obs.Entry
	stats   []map[string]any
}

func (o *observer) handler() client.Handler {
	return client.Handler{
		OnLog: func(e obs.Entry) {
			o.mu.Lock()
			o.entries = append(o.entries, e)
			o.mu.Unlock()
		},
		OnStats: func(doc []byte) {
			var m map[string]any
			if err := json.Unmarshal(doc, &m); err != nil {
				panic(fmt.Sprintf("statistics are not JSON: %v\n%s", err, doc))
			}
			o.mu.Lock()
			o.stats = append(o.stats, m)
			o.mu.Unlock()
		},
	}
}

// lines returns every log line as "level context: message".
func (o *observer) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, len(o.entries))
	for i, e := range o.entries {
		out[i] = fmt.Sprintf("%s %s: %s", e.Level, e.Context, e.Message)
	}
	return out
}

func (o *observer) logged(substr string) bool {
	for _, l := range o.lines() {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

func (o *observer) latest() map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.stats) == 0 {
		return nil
	}
	return o.stats[len(o.stats)-1]
}

// path walks a decoded JSON document; missing steps give nil.
func path(doc any, keys ...string) any {
	for _, k := range keys {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[k]
	}
	return doc
}

func num(doc any, keys ...string) int64 {
	f, _ := path(doc, keys...).(float64)
	return int64(f)
}

// The statistics count what a test produced and consumed, their lag agrees
// with Lag(), and the group and broker sections describe what happened.
func TestStatisticsMatchWhatHappened(t *testing.T) {
	topic := kafkatest.CreateTopic(t, admin(t), "client", 2)
	var o observer
	c := kafkatest.Client(t, kafkatest.Brokers(t).Brokers, o.handler(), "statistics_interval_ms", "100", "linger_ms", "1",
		"auto_offset_reset", "earliest", "client_id", "stats-test")
	const n = 100
	var col collector
	for i := 0; i < n; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 2), Value: []byte("0123456789")}, col.fn())
	}
	col.wait(t)
	group := "stats-" + topic
	if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{topic}, HeartbeatInterval: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := len(pollUntil(t, c, n)); got != n {
		t.Fatalf("consumed %d", got)
	}
	committed := make(chan error, 1)
	c.Commit(func(err error) { committed <- err })
	if err := <-committed; err != nil {
		t.Fatal(err)
	}

	var doc map[string]any
	waitFor(t, "statistics counting every record", func() bool {
		doc = o.latest()
		return doc != nil && num(doc, "msgs_produced") == n && num(doc, "msgs_consumed") == n &&
			num(doc, "topics", topic, "partitions", "1", "committed_offset") == n/2
	})
	if num(doc, "bytes_produced") != n*10 || num(doc, "bytes_consumed") != n*10 {
		t.Errorf("bytes produced %d, consumed %d; want %d", num(doc, "bytes_produced"), num(doc, "bytes_consumed"), n*10)
	}
	if path(doc, "client_id") != "stats-test" || num(doc, "msgs_failed") != 0 || num(doc, "queue_msgs") != 0 {
		t.Errorf("client totals: %v", doc)
	}
	lag := make(chan tree.Value, 1)
	c.Lag(func(v tree.Value, err error) {
		if err != nil {
			t.Error(err)
		}
		lag <- v
	})
	lags := <-lag
	for _, p := range []string{"0", "1"} {
		part := path(doc, "topics", topic, "partitions", p)
		if num(part, "high_watermark") != n/2 || num(part, "consumed_offset") != n/2 || num(part, "leader") < 0 {
			t.Errorf("partition %s: %v", p, part)
		}
		if want := lags.Path(topic+":"+p, "lag").Int; num(part, "lag") != want {
			t.Errorf("partition %s: statistics lag %d, Lag() says %d", p, num(part, "lag"), want)
		}
	}
	if path(doc, "group", "state") != "stable" || path(doc, "group", "group_id") != group ||
		num(doc, "group", "generation") < 1 || num(doc, "group", "rebalances") < 1 ||
		path(doc, "group", "assignor") != "sticky" || path(doc, "group", "rebalance_protocol") != "eager" ||
		fmt.Sprint(path(doc, "group", "assignment")) != fmt.Sprintf("[%s:0 %s:1]", topic, topic) {
		t.Errorf("group: %v", path(doc, "group"))
	}
	brokers, _ := path(doc, "brokers").(map[string]any)
	if len(brokers) == 0 {
		t.Fatalf("no brokers in %v", doc)
	}
	for id, b := range brokers {
		if path(b, "state") != "up" || num(b, "connects") < 1 || num(b, "requests") < 1 ||
			num(b, "responses") < 1 || num(b, "bytes_out") < 1 || num(b, "bytes_in") < 1 {
			t.Errorf("broker %s: %v", id, b)
		}
	}
	// Round trips are per window: some statistics saw them.
	sawRTT := false
	o.mu.Lock()
	for _, s := range o.stats {
		for _, b := range s["brokers"].(map[string]any) {
			if num(b, "rtt_us", "count") > 0 && num(b, "rtt_us", "p99") >= num(b, "rtt_us", "min") {
				sawRTT = true
			}
		}
	}
	o.mu.Unlock()
	if !sawRTT {
		t.Error("no statistics window had round trips")
	}
}

// A produce the broker refuses with a retriable error (its topic was
// deleted behind the client's back) shows up in the producer's debug trace,
// with the error, and in the retries table; a rebalance shows up in the
// group's trace with the assignment.
func TestDebugTracesRetriesAndRebalances(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 1)
	var o observer
	c := kafkatest.Client(t, kafkatest.Brokers(t).Brokers, o.handler(), "debug", "producer,group", "log_level", "info",
		"linger_ms", "0", "retry_backoff_ms", "50", "statistics_interval_ms", "100")
	var col collector
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("before")}, col.fn())
	if d := col.wait(t); d[0].Err != nil {
		t.Fatal(d[0].Err)
	}
	res := kafkatest.Call(t, func(cb connapi.Callback) { connapi.DeleteTopics(a, []string{topic}, 10000, cb) })
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("delete topic: %d", code)
	}
	// The broker drops the partition shortly after the controller agreed:
	// wait until it refuses fetches, so the next produce is refused too.
	waitFor(t, "the broker to drop the deleted partition", func() bool {
		r := kafkatest.Call(t, func(cb connapi.Callback) {
			connapi.Fetch(a, []connapi.TopicPartition{{Topic: topic, Partition: 0, LeaderEpoch: -1}},
				connapi.FetchOptions{MaxBytes: 1024}, cb)
		})
		return r.Path("topics", "0", "partitions", "0", "error_code").Int != 0
	})
	// The client still believes in the topic: the broker refuses the
	// produce, the client retries and its metadata refresh re-creates the
	// topic (auto-creation is on).
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte("after")}, col.fn())
	col.wait(t)
	retried := regexp.MustCompile(`debug producer: retrying 1 records to ` + regexp.QuoteMeta(topic) +
		`\[0\] \(attempt 2\) after: (UNKNOWN_TOPIC_OR_PARTITION|NOT_LEADER_OR_FOLLOWER)`)
	var cause string
	for _, l := range o.lines() {
		if m := retried.FindStringSubmatch(l); m != nil {
			cause = m[1]
		}
	}
	if cause == "" {
		t.Fatalf("no retry traced in\n%s", strings.Join(o.lines(), "\n"))
	}
	waitFor(t, "the retry in the statistics", func() bool { return num(o.latest(), "retries", cause) > 0 })

	plain := kafkatest.CreateTopic(t, a, "client", 1)
	group := "traced-" + plain
	if err := c.Subscribe(client.GroupOptions{GroupID: group, Topics: []string{plain}, HeartbeatInterval: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// The log names the real starting offset (latest of an empty topic: 0).
	assigned := fmt.Sprintf("info group: group %s: generation 1 assigned %s[0]@0", group, plain)
	waitFor(t, "the assignment in the log", func() bool { return o.logged(assigned) })
	if !o.logged("debug group: group " + group + ": joined generation 1 as ") {
		t.Errorf("no join traced in\n%s", strings.Join(o.lines(), "\n"))
	}
	for _, l := range o.lines() {
		if strings.Contains(l, "debug protocol:") || strings.Contains(l, "debug metadata:") {
			t.Fatalf("a context not asked for was traced: %s", l)
		}
	}
}

// With SASL and every debug context on, the password appears in no log
// line and no statistics; a wrong password's error does not show it either.
func TestCredentialsNeverLogged(t *testing.T) {
	env := kafkatest.Brokers(t)
	if len(env.SASLBrokers) == 0 {
		t.Skip("the broker has no SASL listener")
	}
	var o observer
	c := kafkatest.Client(t, env.SASLBrokers, o.handler(), "debug", "all", "statistics_interval_ms", "50",
		"security.protocol", "SASL_PLAINTEXT", "sasl_mechanism", "SCRAM-SHA-512",
		"sasl_username", env.Scram512User, "sasl_password", env.Scram512Pass)
	topic := kafkatest.CreateTopic(t, admin(t), "client", 1)
	var col collector
	c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Value: []byte("secret-free")}, col.fn())
	if d := col.wait(t); d[0].Err != nil {
		t.Fatal(d[0].Err)
	}
	waitFor(t, "statistics", func() bool { return o.latest() != nil })

	wrong := "not-the-password-" + topic
	var errs []string
	var mu sync.Mutex
	cfg := client.NewConfig()
	for k, v := range map[string]string{"brokers": strings.Join(env.SASLBrokers, ","), "security.protocol": "SASL_PLAINTEXT",
		"sasl_mechanism": "SCRAM-SHA-256", "sasl_username": env.Scram256User, "sasl_password": wrong, "debug": "all"} {
		if err := cfg.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	h := o.handler()
	h.OnError = func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() }
	bad, err := client.New(*cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	bad.Connect(func(_ tree.Value, err error) { done <- err })
	if err := <-done; err == nil || !strings.Contains(err.Error(), "sasl") {
		t.Fatalf("a wrong password connected, or failed without saying sasl: %v", err)
	} else {
		errs = append(errs, err.Error())
	}
	bad.Close(time.Second, nil)

	o.mu.Lock()
	for _, s := range o.stats {
		doc, _ := json.Marshal(s)
		errs = append(errs, string(doc))
	}
	o.mu.Unlock()
	for _, text := range append(o.lines(), errs...) {
		for _, secret := range []string{env.Scram512Pass, wrong} {
			if strings.Contains(text, secret) {
				t.Fatalf("a password appears in %q", text)
			}
		}
	}
	ce := &client.ConfigError{Key: "sasl_password", Value: wrong, Reason: "refused"}
	if strings.Contains(ce.Error(), wrong) {
		t.Fatalf("a configuration error shows the password: %v", ce)
	}
	if !o.logged("sasl SCRAM-SHA-512 user=" + env.Scram512User) {
		t.Errorf("the connect trace does not name the user:\n%s", strings.Join(o.lines(), "\n"))
	}
}
