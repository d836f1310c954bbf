package client

import (
	"crypto/tls"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kfk-dev/kfk/core/compress"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/obs"
)

// Config is a client's configuration. Build it with NewConfig and Set (or
// fill it directly from Go); every option's default is in NewConfig.
type Config struct {
	Brokers       []string       // bootstrap host:port list; default 127.0.0.1:9092
	ClientID      string         // default "kfk"
	TLS           bool           // encrypt connections
	TLSCAFile     string         // PEM CA file; default the system roots
	TLSSkipVerify bool           // do not verify certificates (tests only)
	SASL          *conn.SASL     // nil = no authentication
	Kerberos      *conn.Kerberos // GSSAPI's login (nil: the environment's); without GSSAPI no effect, as librdkafka's
	OAuthBearer   OAuthBearer    // OAUTHBEARER's token, unless SASL.Token is set
	Acks          int16          // -1 all in-sync replicas (default), 0 none, 1 leader
	Linger        time.Duration  // batching delay, default 5ms
	BatchSize     int            // bytes per batch before it is sent at once, default 16384
	BatchRecords  int            // records per batch before it is sent at once, default 10000
	Compression   compress.Codec
	// CompressionLevel is Compression's level (compress.Level; default
	// the codec's own), as librdkafka's compression.level.
	CompressionLevel compress.Level
	Idempotent       bool // exactly-once per partition (implied by TransactionalID)
	TransactionalID  string
	// Partitioner names how records without a partition are placed:
	// murmur2 (default; null keys round-robin), murmur2_random, sticky,
	// round_robin, or one of librdkafka's (partitioner.go).
	Partitioner string
	// PartitionFunc, when set, replaces Partitioner for records without an
	// explicit partition: it gets the topic, the key (nil = null) and the
	// partition count and returns a partition in [0, partitions). It runs
	// inside Produce under the producer's lock (or on a client goroutine
	// for records that waited for metadata), so it must be quick and must
	// not call the client. A result out of range fails the record.
	PartitionFunc func(topic string, key []byte, partitions int32) int32
	// DeliveryTimeout bounds how long a record may wait, through retries,
	// for its acknowledgement; default 120s.
	DeliveryTimeout  time.Duration
	RetryBackoff     time.Duration // first retry delay, doubling to 1s; default 100ms
	MaxInFlight      int           // produce requests in flight per broker, default 5 (1..5 when idempotent)
	MaxBufferedMsgs  int           // records buffered before "queue full", default 1,000,000
	MaxBufferedBytes int64         // bytes buffered before "queue full", default 1 GiB
	MaxMessageBytes  int           // largest record accepted, and the batch bytes one produce request holds at most; default 1,000,000
	RequestTimeout   time.Duration // per request, default 30s
	MetadataRefresh  time.Duration // periodic metadata refresh, default 300s; 0 disables
	// AutoCreateTopics lets brokers that allow it create a topic the
	// client asks metadata for and that does not exist (default true).
	AutoCreateTopics   bool
	TransactionTimeout time.Duration // default 60s

	IsolationLevel  IsolationLevel // ReadUncommitted (default) or ReadCommitted
	AutoOffsetReset OffsetReset    // where to start without a valid offset: ResetLatest (default) or ResetEarliest

	FetchMaxWait  time.Duration // default 500ms
	FetchMaxBytes int32         // default 1 MiB
	FetchMinBytes int32         // default 1
	// FetchPartitionMaxBytes caps one partition's share of a fetch
	// response, default 1 MiB.
	FetchPartitionMaxBytes int32
	// PrefetchBytes bounds the fetched messages waiting for Poll, default
	// 8 MiB: enough to keep fetches flowing, small enough that one Poll's
	// burst (and the memory a binding copies it into) stays modest.
	PrefetchBytes int
	// CheckCRCs verifies each fetched batch's CRC32C before its records
	// are handed over (default true). Off, a consumer spends about an eighth
	// less CPU on 1 KB records and trusts TCP's and the broker's checks,
	// as librdkafka does by default (check.crcs=false).
	CheckCRCs bool
	// MaxPollRecords bounds the records one Poll hands over (0, the
	// default: everything fetched), so an application that commits every
	// N records can.
	MaxPollRecords int
	// LendFetchBuffers reads fetch responses into pooled buffers that
	// consumed messages point into: each message Poll hands over must then
	// be given back with ReleaseMessages once its bytes are no longer
	// read, and no sooner (a message never given back only costs its
	// buffer's reuse). Off by default: a Go program keeps its messages.
	LendFetchBuffers bool

	LogLevel obs.Level   // log entries this severe or more go to Handler.OnLog; default warn
	Debug    obs.Context // contexts whose debug tracing goes to Handler.OnLog
	// StatisticsInterval, when set, makes the client hand a statistics
	// JSON document to Handler.OnStats at that interval.
	StatisticsInterval time.Duration

	// DeliveryReports says which reports of records produced with neither
	// a DeliveryFunc nor a Tag reach Handler.OnDeliveries: every one
	// (ReportAll, the default) or the failed ones (ReportFailed), for a
	// caller that has nothing to do with a success nobody asked about.
	DeliveryReports DeliveryReports
}

// DeliveryReports is which anonymous delivery reports are handed out
// (delivery_reports).
type DeliveryReports string

const (
	ReportAll    DeliveryReports = "all"
	ReportFailed DeliveryReports = "failed"
)

// NewConfig returns the defaults.
func NewConfig() *Config {
	return &Config{
		Brokers: []string{"127.0.0.1:9092"}, ClientID: "kfk", Acks: -1, Linger: 5 * time.Millisecond,
		BatchSize: 16384, BatchRecords: 10000, Partitioner: "murmur2", DeliveryTimeout: 120 * time.Second,
		RetryBackoff: 100 * time.Millisecond, MaxInFlight: 5, MaxBufferedMsgs: 1000000,
		MaxBufferedBytes: 1 << 30, MaxMessageBytes: 1000000, RequestTimeout: 30 * time.Second,
		MetadataRefresh: 300 * time.Second, AutoCreateTopics: true, TransactionTimeout: 60 * time.Second,
		FetchMaxWait: 500 * time.Millisecond, FetchMaxBytes: 1 << 20, FetchMinBytes: 1,
		FetchPartitionMaxBytes: 1 << 20, PrefetchBytes: 8 << 20, CheckCRCs: true, IsolationLevel: ReadUncommitted, AutoOffsetReset: ResetLatest,
		LogLevel: obs.LevelWarn, DeliveryReports: ReportAll,
	}
}

// ConfigError names the key whose value was refused.
type ConfigError struct {
	Key, Value, Reason string
}

func (e *ConfigError) Error() string {
	if e.Value == "" && e.Reason == "unknown configuration key" {
		return fmt.Sprintf("%s: %s", e.Key, e.Reason)
	}
	value := e.Value
	if secretKeys[e.Key] {
		value = "(hidden)"
	}
	return fmt.Sprintf("%s=%q: %s", e.Key, value, e.Reason)
}

// option is one configuration key: its setter parses the value.
type option struct {
	doc string
	set func(c *Config, v string) error
}

var options = map[string]option{
	"brokers": {"comma-separated bootstrap host:port list", func(c *Config, v string) error {
		var list []string
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				if !strings.Contains(b, ":") {
					b += ":9092"
				}
				list = append(list, b)
			}
		}
		if len(list) == 0 {
			return errReason("needs at least one host:port")
		}
		c.Brokers = list
		return nil
	}},
	"client_id": {"client identifier sent to brokers", func(c *Config, v string) error { c.ClientID = v; return nil }},
	"tls":       {"0/1: encrypt connections", boolSetter(func(c *Config) *bool { return &c.TLS })},
	"tls_ca_file": {"PEM file of CAs to trust", func(c *Config, v string) error {
		c.TLSCAFile, c.TLS = v, true
		return nil
	}},
	"tls_skip_verify": {"0/1: do not verify certificates", boolSetter(func(c *Config) *bool { return &c.TLSSkipVerify })},
	"sasl_mechanism": {"PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or GSSAPI", func(c *Config, v string) error {
		v = strings.ToUpper(v)
		switch v {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", conn.MechanismOAuthBearer, conn.MechanismGSSAPI:
		default:
			return errReason("must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or GSSAPI")
		}
		c.sasl().Mechanism = v
		return nil
	}},
	"sasl_username": {"SASL user", func(c *Config, v string) error { c.sasl().Username = v; return nil }},
	"sasl_kerberos_service_name": {"GSSAPI: the brokers' Kerberos service (their principals are SERVICE/HOST@REALM)",
		func(c *Config, v string) error { c.kerberos().ServiceName = v; return nil }},
	"sasl_kerberos_principal": {"GSSAPI: the client's principal, NAME or NAME@REALM (default: the keytab's or the credential cache's)",
		func(c *Config, v string) error { c.kerberos().Principal = v; return nil }},
	"sasl_kerberos_keytab": {"GSSAPI: a keytab file to log in with (default: the credential cache kinit fills)",
		func(c *Config, v string) error { c.kerberos().Keytab = v; return nil }},
	"sasl_kerberos_config": {"GSSAPI: the krb5.conf to read (default: $KRB5_CONFIG, then /etc/krb5.conf)",
		func(c *Config, v string) error { c.kerberos().ConfigFile = v; return nil }},
	"sasl_kerberos_ccache": {"GSSAPI: the credential cache used without a keytab or password (default: $KRB5CCNAME, then /tmp/krb5cc_UID)",
		func(c *Config, v string) error { c.kerberos().CCache = v; return nil }},
	"sasl_password": {"SASL password", func(c *Config, v string) error { c.sasl().Password = v; return nil }},
	"sasl_oauthbearer_token": {"OAUTHBEARER: a token the application obtained",
		func(c *Config, v string) error { c.OAuthBearer.Token = v; return nil }},
	"sasl_oauthbearer_unsecure_jwt": {"0/1: OAUTHBEARER with unsigned JWTs (development only)",
		boolSetter(func(c *Config) *bool { return &c.OAuthBearer.UnsecureJWT })},
	"sasl_oauthbearer_config": {"the unsigned JWTs' claims: principal=NAME [scope=A,B] [lifeSeconds=N] [extension_NAME=V]",
		func(c *Config, v string) error {
			if _, err := parseUnsecureJWTConfig(v); err != nil {
				return errReason(err.Error())
			}
			c.OAuthBearer.UnsecureJWTConfig = v
			return nil
		}},
	"sasl_oauthbearer_method": {"OAUTHBEARER tokens: default (a given or unsigned token), oidc (a token endpoint) or application (asked of the application)",
		func(c *Config, v string) error {
			switch v = strings.ToLower(v); v {
			case "default":
				c.OAuthBearer.Method = ""
			case OAuthMethodOIDC, OAuthMethodApplication:
				c.OAuthBearer.Method = v
			default:
				return errReason("must be default, oidc or application")
			}
			return nil
		}},
	"sasl_oauthbearer_token_endpoint_url": {"OIDC: the token endpoint, http(s)",
		func(c *Config, v string) error { c.OAuthBearer.TokenEndpoint = v; return nil }},
	"sasl_oauthbearer_client_id": {"OIDC: the client id",
		func(c *Config, v string) error { c.OAuthBearer.ClientID = v; return nil }},
	"sasl_oauthbearer_client_secret": {"OIDC: the client secret",
		func(c *Config, v string) error { c.OAuthBearer.ClientSecret = v; return nil }},
	"sasl_oauthbearer_scope": {"OIDC: the scope asked for (optional)",
		func(c *Config, v string) error { c.OAuthBearer.Scope = v; return nil }},
	"sasl_oauthbearer_ca_file": {"OIDC: PEM CAs trusted for an https token endpoint (default the system's)",
		func(c *Config, v string) error { c.OAuthBearer.CAFile = v; return nil }},
	"sasl_oauthbearer_extensions": {"OAUTHBEARER SASL extensions, NAME=VALUE,... (KIP-342)",
		func(c *Config, v string) error {
			ext := map[string]string{}
			for _, kv := range strings.Split(v, ",") {
				k, val, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return errReason(fmt.Sprintf("%q is not NAME=VALUE", kv))
				}
				ext[k] = val
			}
			c.OAuthBearer.Extensions = ext
			return nil
		}},
	"acks": {"-1 (all), 0 or 1", func(c *Config, v string) error {
		if v == "all" {
			v = "-1"
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > 1 {
			return errReason("must be -1 (all), 0 or 1")
		}
		c.Acks = int16(n)
		return nil
	}},
	"linger_ms":  {"batching delay in ms", durationSetter(func(c *Config) *time.Duration { return &c.Linger }, time.Millisecond, 0)},
	"batch_size": {"bytes per batch", intSetter(func(c *Config) *int { return &c.BatchSize }, 1, 1<<30)},
	"batch_num_messages": {"records per batch",
		intSetter(func(c *Config) *int { return &c.BatchRecords }, 1, 1000000)},
	"compression": {"none, gzip, snappy, lz4 or zstd", func(c *Config, v string) error {
		codec, err := compress.ParseCodec(strings.ToLower(v))
		if err != nil {
			return errReason("must be none, gzip, snappy, lz4 or zstd")
		}
		c.Compression = codec
		return nil
	}},
	"compression_level": {"the codec's level: -1 or 0 its default, gzip 1-9, lz4 1-12, zstd 1-22", func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < -1 || n > int(compress.MaxLevel(compress.Zstd)) {
			return errReason("must be a number from -1 to 22")
		}
		c.CompressionLevel = compress.Level(max(n, 0))
		return nil
	}},
	"idempotent":       {"0/1: idempotent producer", boolSetter(func(c *Config) *bool { return &c.Idempotent })},
	"transactional_id": {"transactional producer id (implies idempotent)", func(c *Config, v string) error { c.TransactionalID = v; return nil }},
	"partitioner": {"murmur2, murmur2_random, sticky, round_robin, or librdkafka's consistent, consistent_random, random, fnv1a, fnv1a_random",
		func(c *Config, v string) error {
			if !slices.Contains(partitioners, v) {
				return errReason("must be one of " + strings.Join(partitioners, ", "))
			}
			c.Partitioner = v
			return nil
		}},
	"delivery_timeout_ms":   {"how long a record may take to be acknowledged, retries included", durationSetter(func(c *Config) *time.Duration { return &c.DeliveryTimeout }, time.Millisecond, 1)},
	"retry_backoff_ms":      {"first retry delay in ms", durationSetter(func(c *Config) *time.Duration { return &c.RetryBackoff }, time.Millisecond, 1)},
	"max_in_flight":         {"produce requests in flight per broker", intSetter(func(c *Config) *int { return &c.MaxInFlight }, 1, 1000)},
	"max_buffered_messages": {"records buffered before produce fails with queue full", intSetter(func(c *Config) *int { return &c.MaxBufferedMsgs }, 1, 1<<31-1)},
	"max_buffered_kbytes": {"KiB buffered before produce fails with queue full", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errReason("must be a positive number of KiB")
		}
		c.MaxBufferedBytes = n << 10
		return nil
	}},
	"message_max_bytes":  {"largest record accepted, and the most batch bytes in one produce request", intSetter(func(c *Config) *int { return &c.MaxMessageBytes }, 1, 1<<30)},
	"request_timeout_ms": {"per-request timeout in ms", durationSetter(func(c *Config) *time.Duration { return &c.RequestTimeout }, time.Millisecond, 1)},
	"allow_auto_create_topics": {"0/1: brokers that allow it create missing topics the client asks about",
		boolSetter(func(c *Config) *bool { return &c.AutoCreateTopics })},
	"metadata_refresh":       {"periodic metadata refresh in seconds, 0 disables", durationSetter(func(c *Config) *time.Duration { return &c.MetadataRefresh }, time.Second, 0)},
	"transaction_timeout_ms": {"transaction timeout in ms", durationSetter(func(c *Config) *time.Duration { return &c.TransactionTimeout }, time.Millisecond, 1)},
	"fetch_max_wait_ms":      {"broker wait for fetch_min_bytes, in ms", durationSetter(func(c *Config) *time.Duration { return &c.FetchMaxWait }, time.Millisecond, 0)},
	"fetch_max_bytes":        {"bytes per fetch response", int32Setter(func(c *Config) *int32 { return &c.FetchMaxBytes }, 1)},
	"fetch_min_bytes":        {"bytes the broker waits for", int32Setter(func(c *Config) *int32 { return &c.FetchMinBytes }, 0)},
	"fetch_partition_max_bytes": {"bytes per partition in a fetch response",
		int32Setter(func(c *Config) *int32 { return &c.FetchPartitionMaxBytes }, 1)},
	"prefetch_bytes": {"fetched bytes buffered ahead of the application",
		intSetter(func(c *Config) *int { return &c.PrefetchBytes }, 1, 1<<30)},
	"check_crcs": {"0/1: verify each fetched batch's CRC32C",
		boolSetter(func(c *Config) *bool { return &c.CheckCRCs })},
	"max_poll_records": {"records one consume call hands over at most, 0 = no bound",
		intSetter(func(c *Config) *int { return &c.MaxPollRecords }, 0, 1<<30)},
	"isolation_level": {"read_uncommitted or read_committed", func(c *Config, v string) error {
		if level := IsolationLevel(v); level == ReadUncommitted || level == ReadCommitted {
			c.IsolationLevel = level
			return nil
		}
		return errReason("must be read_uncommitted or read_committed")
	}},
	"log_level": {"off, error, warn, info or debug (or 0-7 as syslog)", func(c *Config, v string) error {
		l, err := obs.ParseLevel(v)
		if err != nil {
			return errReason("must be off, error, warn, info or debug")
		}
		c.LogLevel = l
		return nil
	}},
	"debug": {"debug contexts: broker, protocol, producer, consumer, group, txn, metadata or all, comma separated",
		func(c *Config, v string) error {
			ctx, err := obs.ParseContexts(v)
			if err != nil {
				return errReason(err.Error())
			}
			c.Debug = ctx
			return nil
		}},
	"statistics_interval_ms": {"statistics event interval in ms, 0 = none",
		durationSetter(func(c *Config) *time.Duration { return &c.StatisticsInterval }, time.Millisecond, 0)},
	"delivery_reports": {"all, or failed: only failures are reported for records produced with no callback and no opaque",
		func(c *Config, v string) error {
			if r := DeliveryReports(v); r == ReportAll || r == ReportFailed {
				c.DeliveryReports = r
				return nil
			}
			return errReason("must be all or failed")
		}},
	"auto_offset_reset": {"earliest or latest (smallest/largest accepted)", func(c *Config, v string) (err error) {
		c.AutoOffsetReset, err = parseOffsetReset(v)
		return err
	}},
}

// OffsetReset is where consumption of a partition starts when it has no
// valid offset (auto_offset_reset).
type OffsetReset string

const (
	ResetEarliest OffsetReset = "earliest"
	ResetLatest   OffsetReset = "latest"
)

// offset is the special offset the policy resolves.
func (r OffsetReset) offset() int64 {
	if r == ResetEarliest {
		return OffsetEarliest
	}
	return OffsetLatest
}

// parseOffsetReset reads an auto_offset_reset policy, librdkafka's
// spellings included.
func parseOffsetReset(v string) (OffsetReset, error) {
	switch v {
	case "earliest", "smallest", "beginning":
		return ResetEarliest, nil
	case "latest", "largest", "end":
		return ResetLatest, nil
	}
	return "", errReason("must be earliest or latest")
}

// IsolationLevel is which records a consumer sees (isolation_level).
type IsolationLevel string

const (
	ReadUncommitted IsolationLevel = "read_uncommitted" // every record, aborted transactions included
	ReadCommitted   IsolationLevel = "read_committed"   // committed transactions' records only
)

// aliases maps librdkafka / Java spellings to kfk's keys. Values that need
// translation (security.protocol, metadata.max.age.ms...) are in special.
var aliases = map[string]string{
	"bootstrap.servers": "brokers", "metadata.broker.list": "brokers", "client.id": "client_id",
	"ssl.ca.location": "tls_ca_file", "sasl.mechanism": "sasl_mechanism", "sasl.mechanisms": "sasl_mechanism",
	"sasl.username": "sasl_username", "sasl.password": "sasl_password",
	"sasl.kerberos.service.name": "sasl_kerberos_service_name", "sasl.kerberos.principal": "sasl_kerberos_principal",
	"sasl.kerberos.keytab": "sasl_kerberos_keytab", "request.required.acks": "acks",
	"linger.ms": "linger_ms", "queue.buffering.max.ms": "linger_ms", "batch.size": "batch_size", "batch.num.messages": "batch_num_messages",
	"compression.type": "compression", "compression.codec": "compression", "compression.level": "compression_level", "enable.idempotence": "idempotent",
	"transactional.id": "transactional_id", "delivery.timeout.ms": "delivery_timeout_ms",
	"message.timeout.ms": "delivery_timeout_ms", "retry.backoff.ms": "retry_backoff_ms",
	"max.in.flight": "max_in_flight", "max.in.flight.requests.per.connection": "max_in_flight",
	"queue.buffering.max.messages": "max_buffered_messages", "queue.buffering.max.kbytes": "max_buffered_kbytes",
	"message.max.bytes": "message_max_bytes", "request.timeout.ms": "request_timeout_ms",
	"transaction.timeout.ms": "transaction_timeout_ms", "fetch.wait.max.ms": "fetch_max_wait_ms",
	"fetch.max.wait.ms": "fetch_max_wait_ms", "fetch.max.bytes": "fetch_max_bytes", "fetch.min.bytes": "fetch_min_bytes",
	"max.partition.fetch.bytes": "fetch_partition_max_bytes", "check.crcs": "check_crcs", "fetch.message.max.bytes": "fetch_partition_max_bytes",
	"isolation.level": "isolation_level", "auto.offset.reset": "auto_offset_reset",
	"allow.auto.create.topics": "allow_auto_create_topics",
	"statistics.interval.ms":   "statistics_interval_ms", "log.level": "log_level",
	"max.poll.records": "max_poll_records", "enable.sasl.oauthbearer.unsecure.jwt": "sasl_oauthbearer_unsecure_jwt",
	"sasl.oauthbearer.config": "sasl_oauthbearer_config", "sasl.oauthbearer.extensions": "sasl_oauthbearer_extensions",
	"sasl.oauthbearer.method": "sasl_oauthbearer_method", "sasl.oauthbearer.token.endpoint.url": "sasl_oauthbearer_token_endpoint_url",
	"sasl.oauthbearer.client.id": "sasl_oauthbearer_client_id", "sasl.oauthbearer.client.secret": "sasl_oauthbearer_client_secret",
	"sasl.oauthbearer.scope": "sasl_oauthbearer_scope", "https.ca.location": "sasl_oauthbearer_ca_file",
}

// special handles aliases whose values are translated.
var special = map[string]func(c *Config, v string) error{
	"security.protocol": func(c *Config, v string) error {
		switch strings.ToUpper(v) {
		case "PLAINTEXT":
			c.TLS = false
		case "SSL":
			c.TLS = true
		case "SASL_PLAINTEXT":
			c.TLS = false
			c.sasl()
		case "SASL_SSL":
			c.TLS = true
			c.sasl()
		default:
			return errReason("must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
		}
		return nil
	},
	"enable.ssl.certificate.verification": func(c *Config, v string) error {
		b, err := parseBool(v)
		c.TLSSkipVerify = !b
		return err
	},
	"metadata.max.age.ms":                setRefreshMs,
	"topic.metadata.refresh.interval.ms": setRefreshMs,
}

func setRefreshMs(c *Config, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return errReason("must be a non-negative number of ms")
	}
	c.MetadataRefresh = time.Duration(n) * time.Millisecond
	return nil
}

// Set sets one option by name (kfk's names or the librdkafka/Java ones).
func (c *Config) Set(key, value string) error {
	if fn, ok := special[key]; ok {
		if err := fn(c, value); err != nil {
			return withKey(err, key, value)
		}
		return nil
	}
	if alias, ok := aliases[key]; ok {
		key = alias
	}
	opt, ok := options[key]
	if !ok {
		return &ConfigError{Key: key, Reason: "unknown configuration key"}
	}
	if err := opt.set(c, value); err != nil {
		return withKey(err, key, value)
	}
	return nil
}

// Keys lists every kfk option name with its description, sorted.
func Keys() [][2]string {
	out := make([][2]string, 0, len(options))
	for k, o := range options {
		out = append(out, [2]string{k, o.doc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Validate rejects combinations that cannot work.
func (c *Config) Validate() error {
	if c.TransactionalID != "" {
		c.Idempotent = true
	}
	if c.Idempotent {
		if c.Acks != -1 {
			return &ConfigError{Key: "acks", Value: strconv.Itoa(int(c.Acks)), Reason: "an idempotent or transactional producer needs acks=-1"}
		}
		if c.MaxInFlight > 5 {
			return &ConfigError{Key: "max_in_flight", Value: strconv.Itoa(c.MaxInFlight), Reason: "at most 5 with an idempotent producer"}
		}
	}
	if top := compress.MaxLevel(c.Compression); c.CompressionLevel > top && c.Compression != compress.None {
		reason := fmt.Sprintf("%v takes 1-%d (-1 or 0: its default)", c.Compression, top)
		if top == 0 {
			reason = fmt.Sprintf("%v has no levels (-1 or 0)", c.Compression)
		}
		return &ConfigError{Key: "compression_level", Value: strconv.Itoa(int(c.CompressionLevel)), Reason: reason}
	}
	if c.SASL != nil && c.SASL.Mechanism == "" {
		return &ConfigError{Key: "sasl_mechanism", Reason: "SASL needs a mechanism"}
	}
	if c.oauthFromOptions() {
		if _, err := c.OAuthBearer.tokenSource(c.RequestTimeout); err != nil {
			return err
		}
	}
	if len(c.Brokers) == 0 {
		return &ConfigError{Key: "brokers", Reason: "needs at least one host:port"}
	}
	return nil
}

// isolation is the Fetch/ListOffsets isolation level number.
func (c *Config) isolation() int8 {
	if c.IsolationLevel == ReadCommitted {
		return 1
	}
	return 0
}

// tlsConfig builds the TLS settings, nil without TLS.
func (c *Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	return conn.TLSConfig(c.TLSCAFile, c.TLSSkipVerify, "")
}

// oauthFromOptions reports whether OAUTHBEARER's token source comes from
// the sasl_oauthbearer_* options (SASL.Token not set from Go).
func (c *Config) oauthFromOptions() bool {
	return c.SASL != nil && c.SASL.Mechanism == conn.MechanismOAuthBearer && c.SASL.Token == nil
}

func (c *Config) sasl() *conn.SASL {
	if c.SASL == nil {
		c.SASL = &conn.SASL{}
	}
	return c.SASL
}

func (c *Config) kerberos() *conn.Kerberos {
	if c.Kerberos == nil {
		c.Kerberos = &conn.Kerberos{}
	}
	return c.Kerberos
}

type reasonError string

func (e reasonError) Error() string { return string(e) }

func errReason(s string) error { return reasonError(s) }

// secretKeys are the options whose values an error message never shows.
var secretKeys = map[string]bool{"sasl_password": true, "sasl.password": true, "sasl_oauthbearer_token": true,
	"sasl_oauthbearer_client_secret": true, "sasl.oauthbearer.client.secret": true}

func withKey(err error, key, value string) error {
	return &ConfigError{Key: key, Value: value, Reason: err.Error()}
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, errReason("must be 0/1 or true/false")
}

func boolSetter(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseBool(v)
		*field(c) = b
		return err
	}
}

func intSetter(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return errReason(fmt.Sprintf("must be an integer from %d to %d", lo, hi))
		}
		*field(c) = n
		return nil
	}
}

func int32Setter(field func(*Config) *int32, lo int32) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || int32(n) < lo {
			return errReason(fmt.Sprintf("must be an integer of at least %d", lo))
		}
		*field(c) = int32(n)
		return nil
	}
}

func durationSetter(field func(*Config) *time.Duration, unit time.Duration, lo int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < float64(lo) {
			return errReason(fmt.Sprintf("must be a number of at least %d", lo))
		}
		*field(c) = time.Duration(n * float64(unit))
		return nil
	}
}
