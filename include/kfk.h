/*
 * kfk.h — the public C interface of libkfk, a Kafka client.
 *
 * Conventions
 * -----------
 * - Every public name starts with kfk_ / KFK_. Only these symbols are ABI.
 * - Functions return kfk_err_t: 0 (KFK_OK) on success; Kafka's broker error
 *   codes keep their own numbers (1.., and -1 UNKNOWN_SERVER_ERROR); errors
 *   raised by the library itself are -100 and below (KFK_ERR_*).
 *   kfk_err_name() and kfk_err_string() describe any code.
 * - Handles (kfk_queue_t *, kfk_conn_t *, ...) are opaque. They are never
 *   dereferenced: a destroyed, stale or forged handle makes a call return
 *   KFK_ERR_INVALID_HANDLE instead of crashing.
 * - Nothing blocks unless its documentation says "blocks", and for how
 *   long.
 * - Network I/O never waits on the caller's thread. A call that makes a
 *   request may write it to a connection whose socket is free at once
 *   (without waiting: what the socket does not take is written by the
 *   library's own threads); all reading, connecting and waiting happens
 *   on the library's threads. No event callback is ever run on them:
 *   callbacks run only inside kfk_poll()/kfk_poll_batch(), on the thread
 *   that called it. (The one exception is a C partition function, see
 *   kfk_partitioner_fn.)
 * - Threads: any function may be called from any thread. Where calls on
 *   one handle must not overlap, or where their order matters, the
 *   function's "Threads:" note says so.
 * - Strings passed in are NUL-terminated UTF-8 unless a length is given.
 *   Byte buffers (keys, values) are pointer + length; a NULL pointer means
 *   Kafka's null, a non-NULL pointer with length 0 means empty.
 * - Input memory is copied during the call: the caller may free it as soon
 *   as the call returns.
 * - Memory handed out in events belongs to the library and is valid until
 *   the callback returns (kfk_poll) or until the next poll of the same queue
 *   (kfk_poll_batch).
 * - fork(): the library does not survive fork(). In a child process every
 *   entry point returns KFK_ERR_FORKED (or NULL/-1 where it returns no
 *   kfk_err_t) without touching the parent's state. Load and use the
 *   library after forking.
 * - The library's own memory is managed by the Go runtime inside it, with
 *   a collector target of GOGC=200; a GOGC (or GOMEMLIMIT) in the
 *   environment when the library loads overrides it. The runtime runs
 *   two processors (GOMAXPROCS) more than the CPUs it may use, since two
 *   of the library's threads can hold one while they wait; a GOMAXPROCS
 *   in the environment overrides that too.
 * - Signals: the Go runtime inside the library handles only the
 *   synchronous signals (SIGSEGV, SIGBUS, SIGFPE...), SIGPIPE and SIGURG,
 *   passing on to the host's earlier handlers what is not its own. The
 *   library's threads block every other signal, so signals sent to the
 *   process are handled on the host's threads. A host handler can still
 *   interrupt a host thread while it is inside a kfk_* call, on the Go
 *   runtime's stack: install handlers with SA_ONSTACK (the Go runtime adds
 *   it to those present when the library loads).
 */
#ifndef KFK_H
#define KFK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KFK_API __attribute__((visibility("default")))
#else
#define KFK_API
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */
/* ------------------------------------------------------------------ */

/** Version of this header as 0xMMmmpp (major, minor, patch). */
#define KFK_VERSION 0x000400
#define KFK_VERSION_STR "0.4.0"

/** Version of the loaded library, same encoding as KFK_VERSION. A program
 *  can compare it with KFK_VERSION to detect a header/library mismatch:
 *  the major byte must be equal and the library's minor not lower. */
KFK_API int kfk_version(void);
/** The loaded library's version as a string, e.g. "0.1.0". Static. */
KFK_API const char *kfk_version_str(void);
/* Threads: kfk_version*, kfk_err_*, kfk_murmur2 and kfk_crc32c keep no
 * state: any thread, any time, also inside callbacks. */

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef int32_t kfk_err_t;

#define KFK_OK 0
/* Local errors: -100 and below, clear of Kafka's own codes (which include
 * -1, UNKNOWN_SERVER_ERROR). Numbers are never reused or renumbered. */
#define KFK_ERR_INVALID_ARG     -101   /* a NULL pointer, negative size, bad value */
#define KFK_ERR_INVALID_HANDLE  -102   /* destroyed, stale, forged or wrong-type handle */
#define KFK_ERR_FORKED          -103   /* called in a child of fork() */
#define KFK_ERR_REENTRANT       -104   /* kfk_poll called from inside a callback */
#define KFK_ERR_TIMED_OUT       -105   /* a blocking call or a request timed out */
#define KFK_ERR_DISCONNECTED    -106   /* the connection closed with the request pending */
#define KFK_ERR_NOT_CONNECTED   -107   /* a request on a connection that is not ready */
#define KFK_ERR_CONNECT         -108   /* dial/resolve failed */
#define KFK_ERR_TLS             -109   /* TLS handshake or certificate failure */
#define KFK_ERR_SASL            -110   /* SASL authentication failed */
#define KFK_ERR_PROTOCOL        -111   /* malformed or unexpected bytes from the broker */
#define KFK_ERR_UNSUPPORTED     -112   /* the broker does not support a needed API version */
#define KFK_ERR_CONFIG          -113   /* unknown configuration key or bad value */
#define KFK_ERR_CLOSED          -114   /* the object was closed */
#define KFK_ERR_INTERNAL        -115   /* a bug in kfk (a recovered panic); please report */
#define KFK_ERR_QUEUE_FULL      -116   /* a buffer limit was reached */
#define KFK_ERR_STATE           -117   /* the call is not valid in the object's current state */
#define KFK_ERR_NO_BUFFER_SPACE -118   /* a caller-supplied buffer is too small */
#define KFK_ERR_PURGED_QUEUE    -119   /* kfk_purge removed the message before it was sent */
#define KFK_ERR_PURGED_INFLIGHT -120   /* kfk_purge removed the message after a send: it may be written */

/** Symbolic name of an error code, e.g. "UNKNOWN_TOPIC_OR_PARTITION" or
 *  "KFK_ERR_TIMED_OUT"; "NONE" for 0; "UNKNOWN" for every code this
 *  library does not know (all 32 bits count: 65539 is not
 *  UNKNOWN_TOPIC_OR_PARTITION (3)). Never NULL; static storage. */
KFK_API const char *kfk_err_name(kfk_err_t err);
/** One-line human description of an error code; one fixed text for every
 *  unknown code. Never NULL; static. */
KFK_API const char *kfk_err_string(kfk_err_t err);
/** 1 if a broker error code is retriable per Kafka, else 0 (0 for local
 *  and unknown codes). */
KFK_API int kfk_err_retriable(kfk_err_t err);
/** Table of every known code (KFK_OK, the local codes and Kafka's), for
 *  bindings: fills codes[0..n-1] (when codes is non-NULL) and returns how
 *  many codes exist. */
KFK_API size_t kfk_err_codes(kfk_err_t *codes, size_t n);

/* ------------------------------------------------------------------ */
/* Utilities                                                           */
/* ------------------------------------------------------------------ */

/** Kafka (Java client) compatible murmur2 of data, masked to a non-negative
 *  31-bit value, as the default partitioner uses it. -1 on NULL data with
 *  non-zero len. */
KFK_API int32_t kfk_murmur2(const void *data, size_t len);
/** CRC32C (Castagnoli) of data, as RecordBatch v2 uses it. */
KFK_API uint32_t kfk_crc32c(const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* Result values                                                       */
/* ------------------------------------------------------------------ */

/*
 * Request results are trees of kfk_val_t: maps, lists, integers, byte
 * strings and null — the shapes documented for each call (they are the
 * structures of EV::Kafka: e.g. a produce result is
 * {topics => [{topic, partitions => [{partition, error_code, base_offset}]}]}).
 * A binding converts a tree to its native values with one generic function.
 * Names and messages are STR (UTF-8 text); record keys and values are BYTES.
 */
typedef enum kfk_val_type {
    KFK_VAL_NULL = 0,
    KFK_VAL_INT  = 1, /* i */
    KFK_VAL_STR  = 2, /* s, n bytes (NUL-terminated as a convenience) */
    KFK_VAL_LIST = 3, /* items[0..n-1] */
    KFK_VAL_MAP  = 4, /* items[0..2n-1]: key, value, key, value... keys are STR */
    KFK_VAL_BOOL = 5, /* i is 0 or 1 */
    KFK_VAL_BYTES = 6 /* like STR, but binary data (record keys, values) */
} kfk_val_type_t;

typedef struct kfk_val {
    int32_t type;               /* kfk_val_type_t */
    int32_t reserved;
    int64_t i;
    const char *s;
    size_t n;
    const struct kfk_val *items;
} kfk_val_t;

/** In a MAP value, the value stored under key, or NULL. */
KFK_API const kfk_val_t *kfk_val_get(const kfk_val_t *map, const char *key);
/** Item idx of a LIST value, or NULL when out of range or not a list. */
KFK_API const kfk_val_t *kfk_val_at(const kfk_val_t *list, size_t idx);
/* Threads: kfk_val_get and kfk_val_at only read the tree: any thread, as
 * long as the tree is still valid (see kfk_poll and kfk_poll_batch). */

/* ------------------------------------------------------------------ */
/* Records and headers (inputs and outputs)                            */
/* ------------------------------------------------------------------ */

typedef struct kfk_header {
    const char *key;            /* header key bytes */
    size_t key_len;
    const void *value;          /* NULL = null value */
    size_t value_len;
} kfk_header_t;

/** A record to produce. key/value NULL = Kafka null. */
typedef struct kfk_record {
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const kfk_header_t *headers;
    size_t header_count;
    int64_t timestamp;          /* milliseconds since the epoch; -1 = now */
} kfk_record_t;

/** A topic-partition with an offset, used by several calls. */
typedef struct kfk_topic_partition {
    const char *topic;
    int32_t partition;
    int32_t leader_epoch;       /* -1 when unknown */
    int64_t offset;
    const char *metadata;       /* commit metadata, may be NULL */
} kfk_topic_partition_t;

/* ------------------------------------------------------------------ */
/* Event queues                                                        */
/* ------------------------------------------------------------------ */

typedef struct kfk_queue_s kfk_queue_t;
typedef struct kfk_conn_s kfk_conn_t;
typedef struct kfk_conf_s kfk_conf_t;
typedef struct kfk_client_s kfk_client_t;

/** A message: what kfk_produce takes, and what delivery reports (and, for
 *  consumers, received messages) carry. Inputs: topic, partition (-1 = the
 *  partitioner chooses), key, value, headers, timestamp (-1 = now), opaque.
 *  Outputs: partition, offset (-1 when unknown), timestamp and
 *  timestamp_type, err. A timestamp given to produce that is negative means
 *  "now"; 0 and above are stored as they are. */
typedef struct kfk_message {
    const char *topic;
    int32_t partition;
    kfk_err_t err;              /* delivery: 0 or why it failed */
    int64_t offset;
    int64_t timestamp;          /* ms since the epoch */
    const void *key;            /* NULL = null key */
    size_t key_len;
    const void *value;          /* NULL = null value */
    size_t value_len;
    const kfk_header_t *headers;
    size_t header_count;
    void *opaque;               /* the caller's per-message tag */
    int32_t timestamp_type;     /* outputs: KFK_TIMESTAMP_* (what timestamp is) */
    int32_t reserved;           /* a share group record's delivery count: read it
                                   with kfk_message_delivery_count() */
} kfk_message_t;

/* What kfk_message_t.timestamp is: the producer's create time, or the time
 * the broker appended the record (a topic with
 * message.timestamp.type=LogAppendTime). */
#define KFK_TIMESTAMP_NOT_AVAILABLE   0
#define KFK_TIMESTAMP_CREATE_TIME     1
#define KFK_TIMESTAMP_LOG_APPEND_TIME 2

typedef enum kfk_event_type {
    KFK_EVENT_NONE       = 0,
    KFK_EVENT_RESULT     = 1, /* a request completed: err, result */
    KFK_EVENT_CONNECT    = 2, /* a connection became ready */
    KFK_EVENT_ERROR      = 3, /* a connection-level error: err, errstr */
    KFK_EVENT_DISCONNECT = 4, /* a connection closed: err, errstr (why) */
    KFK_EVENT_DELIVERY   = 5, /* a produced message's report: msg, err */
    KFK_EVENT_MESSAGE    = 6, /* a consumed message: msg (key, value, headers) */
    KFK_EVENT_ASSIGN     = 7, /* group assignment: result [{topic, partition, offset}] */
    KFK_EVENT_REVOKE     = 8, /* partitions taken away: result [{topic, partition, offset}]
                                 (with the subscribe option revoke_wait, before the member
                                 gives them up: answer with kfk_revoke_done) */
    KFK_EVENT_LOG        = 9, /* a client's log line: result {level (KFK_LOG_*), level_name,
                                 context, message, ts_ms} (see log_level, debug) */
    KFK_EVENT_STATS      = 10, /* a client's statistics: result is a STR holding a JSON
                                 document (see statistics_interval_ms, docs/STATISTICS.md) */
    KFK_EVENT_LOST       = 11, /* partitions lost without being given up (the member's
                                 session or generation is gone; nothing was committed):
                                 result [{topic, partition, offset}] */
    KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH = 12 /* the client needs an OAUTHBEARER token
                                 (sasl_oauthbearer_method=application): answer with
                                 kfk_oauthbearer_set_token or _set_token_failure */
} kfk_event_type_t;

/* Log levels of KFK_EVENT_LOG, syslog's numbers. */
#define KFK_LOG_ERROR 3
#define KFK_LOG_WARN  4
#define KFK_LOG_INFO  6
#define KFK_LOG_DEBUG 7

/** One completion or notification. */
typedef struct kfk_event {
    int32_t type;               /* kfk_event_type_t */
    kfk_err_t err;              /* 0 or an error code */
    const char *errstr;         /* NULL when err == 0, else a message */
    void *opaque;               /* the opaque given with the call, or with
                                   the handler that receives the event */
    void *source;               /* the handle the event comes from
                                   (e.g. a kfk_conn_t *) */
    const kfk_val_t *result;    /* RESULT: the result tree, NULL on error */
    const kfk_message_t *msg;   /* DELIVERY: topic, partition, offset,
                                   timestamp, err, opaque (no key/value);
                                   MESSAGE: the whole consumed message */
} kfk_event_t;

/** A completion callback. Runs inside kfk_poll/kfk_poll_batch on the
 *  polling thread. ev and everything it points to is valid until the
 *  callback returns. It may call any kfk function except kfk_poll and
 *  kfk_poll_batch (of any queue: KFK_ERR_REENTRANT) and kfk_queue_destroy
 *  of the queue being served; events its calls cause come with a later
 *  poll. */
typedef void (*kfk_cb)(const kfk_event_t *ev, void *opaque);

/** Create an event queue. Completions of every connection and client
 *  attached to it are delivered through it. */
KFK_API kfk_err_t kfk_queue_new(kfk_queue_t **out);
/** Destroy a queue. Objects attached to it must be destroyed first
 *  (KFK_ERR_STATE otherwise). Undelivered events are dropped. A callback
 *  may destroy any queue but the one it is being served from
 *  (KFK_ERR_REENTRANT).
 *  Threads: a poll of q running on another thread returns first (destroy
 *  waits for it); the events it returned are invalid afterwards. */
KFK_API kfk_err_t kfk_queue_destroy(kfk_queue_t *q);

/** A non-blocking file descriptor that is readable whenever the queue holds
 *  events. It becomes readable when the queue goes from empty to non-empty
 *  and is cleared only by a poll that empties the queue. Register it with
 *  poll(2)/epoll/EV/asyncio/libuv; never read or close it yourself.
 *  Returns -1 for an invalid handle. */
KFK_API int kfk_queue_fd(kfk_queue_t *q);

/** Serve events: waits up to timeout_ms (0 = don't wait, -1 = forever) for
 *  the first event, then runs the callback of each event that is ready
 *  (the one given with the call; otherwise the queue's handler, see
 *  kfk_queue_set_handler; otherwise the event is dropped), at most
 *  max_events (0 = no limit). Blocks (up to timeout_ms, plus the time the
 *  callbacks take). Returns the number of events served, or a negative
 *  kfk_err_t (KFK_ERR_REENTRANT inside a callback).
 *  Threads: poll a queue from one thread at a time (kfk_poll and
 *  kfk_poll_batch alike). Polls of one queue from two threads are
 *  serialized, the second waiting for the first, and each poll releases
 *  the memory of the one before it. Different queues may be polled in
 *  parallel; the other kfk_queue_* calls and kfk_wake may run meanwhile. */
KFK_API int kfk_poll(kfk_queue_t *q, int timeout_ms, int max_events);

/** Batch form: waits like kfk_poll, then takes up to max events: those
 *  that came with a callback have it run, the others are copied into out
 *  (the queue's handler is not used). Blocks like kfk_poll. Returns how
 *  many were written to out, or a negative kfk_err_t. What they point to
 *  stays valid until the next kfk_poll/kfk_poll_batch on this queue,
 *  whichever thread makes it, or kfk_queue_destroy.
 *  Threads: as kfk_poll. */
KFK_API int kfk_poll_batch(kfk_queue_t *q, kfk_event_t *out, int max, int timeout_ms);

/** Make a blocked kfk_poll/kfk_poll_batch on q return (with 0) soon.
 *  Threads: any thread, e.g. one that waits for signals with sigwait().
 *  It is not async-signal-safe: do not call it inside a signal handler. */
KFK_API kfk_err_t kfk_wake(kfk_queue_t *q);

/** Handler for events that came without a callback (e.g. connection
 *  notifications), used by kfk_poll. NULL clears it.
 *  Threads: any thread; a poll uses the handler set when it takes its
 *  events. */
KFK_API kfk_err_t kfk_queue_set_handler(kfk_queue_t *q, kfk_cb cb, void *opaque);

/** Number of events waiting in the queue, or a negative kfk_err_t.
 *  Threads: any thread (so is kfk_queue_fd). */
KFK_API int64_t kfk_queue_length(kfk_queue_t *q);

/* ------------------------------------------------------------------ */
/* Conn: one broker connection (EV::Kafka::Conn)                       */
/* ------------------------------------------------------------------ */

/* Connection states (kfk_conn_state). */
#define KFK_CONN_DISCONNECTED 0
#define KFK_CONN_RESOLVING    1
#define KFK_CONN_CONNECTING   2
#define KFK_CONN_TLS          3
#define KFK_CONN_HANDSHAKE    4 /* ApiVersions */
#define KFK_CONN_AUTH         5 /* SASL */
#define KFK_CONN_READY        6

/** Create a connection whose events go to queue q. It is not connected. */
KFK_API kfk_err_t kfk_conn_new(kfk_queue_t *q, kfk_conn_t **out);
/** Close (pending requests complete with KFK_ERR_DISCONNECTED, delivered
 *  by later polls) and free the handle.
 *  Threads: any thread; a request racing with it on c is refused
 *  (KFK_ERR_INVALID_HANDLE) or completes with KFK_ERR_DISCONNECTED. */
KFK_API kfk_err_t kfk_conn_destroy(kfk_conn_t *c);

/** Where connection-level events (CONNECT, ERROR, DISCONNECT) go. Without a
 *  handler they go to the queue's handler or kfk_poll_batch's array.
 *  Threads: any thread; it applies to events queued after it returns. */
KFK_API kfk_err_t kfk_conn_set_event_handler(kfk_conn_t *c, kfk_cb cb, void *opaque);

/* Settings. Threads: configure a connection from one thread at a time:
 * each kfk_conn_set_* call replaces the connection's options as a whole,
 * so two running at once on c can lose one change. Client id, TLS, SASL
 * and the request timeout apply from the next kfk_conn_connect. */

/** Client id sent in every request header (default "kfk"). */
KFK_API kfk_err_t kfk_conn_set_client_id(kfk_conn_t *c, const char *client_id);
/** TLS: enable, optional CA file (PEM; NULL = system roots), skip_verify
 *  (1 disables certificate checks: for tests only). server_name overrides
 *  the name verified (NULL = the host given to connect). */
KFK_API kfk_err_t kfk_conn_set_tls(kfk_conn_t *c, int enable, const char *ca_file,
                                   int skip_verify, const char *server_name);
/** SASL: mechanism "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512",
 *  "OAUTHBEARER" (password is then the bearer token, username unused) or
 *  "GSSAPI" (username is the client's Kerberos principal, NAME or
 *  NAME@REALM, and password its password: both may be NULL, see
 *  kfk_conn_set_kerberos); NULL disables. */
KFK_API kfk_err_t kfk_conn_set_sasl(kfk_conn_t *c, const char *mechanism,
                                    const char *username, const char *password);
/** GSSAPI (after kfk_conn_set_sasl(c, "GSSAPI", ...), else KFK_ERR_STATE):
 *  the brokers' Kerberos service (NULL = "kafka"; the broker's principal
 *  is SERVICE/HOST@REALM, HOST as given to kfk_conn_connect), a keytab to
 *  log in with (NULL = the password, or else the credential cache kinit
 *  fills: $KRB5CCNAME or /tmp/krb5cc_UID) and the krb5.conf (NULL =
 *  $KRB5_CONFIG or /etc/krb5.conf). The login is the connection's own,
 *  kept across reconnects and renewed; kfk_conn_destroy ends it. */
KFK_API kfk_err_t kfk_conn_set_kerberos(kfk_conn_t *c, const char *service_name, const char *keytab,
                                        const char *config_file);
/** Reconnect automatically delay_ms after the connection drops (or a
 *  connect attempt fails). Default off; delay 0 = 1000 ms. */
KFK_API kfk_err_t kfk_conn_set_auto_reconnect(kfk_conn_t *c, int enable, int delay_ms);
/** Per-request timeout (default 30000 ms, plus the request's own broker-side
 *  wait for fetch). A request that times out closes the connection. */
KFK_API kfk_err_t kfk_conn_set_request_timeout(kfk_conn_t *c, int timeout_ms);

/* Connecting. Threads: kfk_conn_connect and kfk_conn_disconnect may be
 * called from any thread; the last call wins. The state queries below
 * may run at any time. */

/** Start connecting to host:port (DNS is resolved off the caller's thread;
 *  an empty host is KFK_ERR_INVALID_ARG).
 *  timeout_ms bounds resolve+dial+TLS+handshake (0 = no limit). Completion is
 *  a CONNECT or an ERROR event. Requests made before the connection is
 *  ready wait for it. */
KFK_API kfk_err_t kfk_conn_connect(kfk_conn_t *c, const char *host, int port, int timeout_ms);
/** Close the connection; pending requests complete with
 *  KFK_ERR_DISCONNECTED ("disconnected"). Turns auto-reconnect off. */
KFK_API kfk_err_t kfk_conn_disconnect(kfk_conn_t *c);
/** 1 when the handshake is complete and requests can be sent, 0 when not,
 *  negative kfk_err_t for a bad handle. */
KFK_API int kfk_conn_connected(kfk_conn_t *c);
/** One of KFK_CONN_*, or a negative kfk_err_t. */
KFK_API int kfk_conn_state(kfk_conn_t *c);
/** Requests awaiting a response, or a negative kfk_err_t. */
KFK_API int64_t kfk_conn_pending(kfk_conn_t *c);
/** Negotiated maximum version per API key: fills max_versions[key] for key
 *  in [0, n) with the broker's max usable version or -1. Returns the number
 *  of keys the broker supports, KFK_ERR_NOT_CONNECTED before negotiation. */
KFK_API int kfk_conn_api_versions(kfk_conn_t *c, int16_t *max_versions, size_t n);

/*
 * Requests. Each takes a completion callback and opaque (cb may be NULL:
 * the RESULT event then goes to kfk_poll_batch's array or the queue's
 * handler). The return value reports only an immediate refusal (bad handle
 * or argument); everything else, including "not connected", arrives as the
 * event's err. Result trees are documented per call.
 *
 * Threads: requests may be made on one connection from many threads at
 * once. The broker gets them, and answers them, in the order the library
 * accepted them: a thread's own requests keep their order; between
 * threads, whichever call came first goes first.
 */

/** Metadata for topics (n = -1: all topics; any other negative n is
 *  KFK_ERR_INVALID_ARG).
 *  Result: {controller_id, cluster_id, brokers => [{node_id, host, port, rack}],
 *           topics => [{name, error_code, is_internal, partitions =>
 *             [{partition, leader, leader_epoch, replicas => [..], isr => [..], error_code}]}]} */
KFK_API kfk_err_t kfk_conn_metadata(kfk_conn_t *c, const char *const *topics, int n,
                                    kfk_cb cb, void *opaque);

/** Options for kfk_conn_produce_batch. Initialize with kfk_produce_opts_init. */
typedef struct kfk_produce_opts {
    int32_t acks;               /* -1, 0, 1 (default 1) */
    int32_t timeout_ms;         /* broker-side timeout (default 30000) */
    const char *compression;    /* NULL/"none", "gzip", "snappy", "lz4", "zstd" */
    int64_t producer_id;        /* -1 unless idempotent/transactional */
    int16_t producer_epoch;     /* -1 */
    int16_t reserved;
    int32_t base_sequence;      /* -1 */
    const char *transactional_id; /* NULL unless transactional */
} kfk_produce_opts_t;

/** Fill *opts with the defaults: acks 1, timeout_ms 30000, compression
 *  NULL (none), producer_id -1, producer_epoch -1, base_sequence -1,
 *  transactional_id NULL. A NULL opts is ignored. kfk_conn_produce_batch
 *  uses these when given NULL options. Threads: any thread (it writes
 *  only *opts). */
KFK_API void kfk_produce_opts_init(kfk_produce_opts_t *opts);

/** Produce records as one RecordBatch to topic/partition. opts may be NULL.
 *  With acks = 0 the broker sends no response: the RESULT event comes once
 *  the request is written, with result NULL.
 *  Result: {topics => [{topic, partitions => [{partition, error_code,
 *           base_offset, log_append_time, log_start_offset}]}]} */
KFK_API kfk_err_t kfk_conn_produce_batch(kfk_conn_t *c, const char *topic, int32_t partition,
                                         const kfk_record_t *records, size_t n,
                                         const kfk_produce_opts_t *opts,
                                         kfk_cb cb, void *opaque);

/** Options for fetches. Initialize with kfk_fetch_opts_init. */
typedef struct kfk_fetch_opts {
    int32_t max_bytes;          /* per partition, default 1048576 */
    int32_t max_wait_ms;        /* default 500 */
    int32_t min_bytes;          /* default 1 */
    int32_t isolation_level;    /* 0 read_uncommitted (default), 1 read_committed */
} kfk_fetch_opts_t;

/** Fill *opts with the defaults: max_bytes 1048576, max_wait_ms 500,
 *  min_bytes 1, isolation_level 0 (read_uncommitted). A NULL opts is
 *  ignored. kfk_conn_fetch uses these when given NULL options. Threads: any
 *  thread (it writes only *opts). */
KFK_API void kfk_fetch_opts_init(kfk_fetch_opts_t *opts);

/** Fetch from the partitions in tps (each with its start offset).
 *  Result: {topics => [{topic, partitions => [{partition, error_code,
 *           high_watermark, last_stable_offset, log_start_offset,
 *           records => [{offset, timestamp, key, value, headers => {k => v}}]}]}]}
 *  key/value are null when null. Control records are not listed. */
KFK_API kfk_err_t kfk_conn_fetch(kfk_conn_t *c, const kfk_topic_partition_t *tps, size_t n,
                                 const kfk_fetch_opts_t *opts, kfk_cb cb, void *opaque);

/** Offsets by timestamp (-1 latest, -2 earliest) for one partition.
 *  Result: {topics => [{topic, partitions => [{partition, error_code,
 *           timestamp, offset, leader_epoch}]}]} */
KFK_API kfk_err_t kfk_conn_list_offsets(kfk_conn_t *c, const char *topic, int32_t partition,
                                        int64_t timestamp, kfk_cb cb, void *opaque);

/** Find the coordinator for key; key_type 0 = group, 1 = transaction.
 *  Result: {error_code, error_message, node_id, host, port} */
KFK_API kfk_err_t kfk_conn_find_coordinator(kfk_conn_t *c, const char *key, int key_type,
                                            kfk_cb cb, void *opaque);

/** JoinGroup with the consumer protocol (assignors offered: "sticky",
 *  "range", "roundrobin"; the subscription lists topics). member_id "" on
 *  the first join. group_instance_id may be NULL (KIP-345 static membership
 *  when set). Timeouts in ms (0 = defaults 30000 / 60000).
 *  Result: {error_code, generation_id, protocol, leader, member_id,
 *           members => [{member_id, group_instance_id, topics => [..]}]} */
KFK_API kfk_err_t kfk_conn_join_group(kfk_conn_t *c, const char *group_id, const char *member_id,
                                      const char *const *topics, size_t n_topics,
                                      int session_timeout_ms, int rebalance_timeout_ms,
                                      const char *group_instance_id,
                                      kfk_cb cb, void *opaque);

/** One member's partitions, for kfk_conn_sync_group (offsets ignored). */
typedef struct kfk_member_assignment {
    const char *member_id;
    const kfk_topic_partition_t *partitions;
    size_t n;
} kfk_member_assignment_t;

/** SyncGroup; the leader passes every member's assignment, others n = 0.
 *  Result: {error_code, assignment => [{topic, partitions => [..]}]} */
KFK_API kfk_err_t kfk_conn_sync_group(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                                      const char *member_id,
                                      const kfk_member_assignment_t *assignments, size_t n,
                                      const char *group_instance_id,
                                      kfk_cb cb, void *opaque);

/** Heartbeat. Result: {error_code} */
KFK_API kfk_err_t kfk_conn_heartbeat(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                                     const char *member_id, const char *group_instance_id,
                                     kfk_cb cb, void *opaque);

/** LeaveGroup. Result: {error_code} */
KFK_API kfk_err_t kfk_conn_leave_group(kfk_conn_t *c, const char *group_id, const char *member_id,
                                       const char *group_instance_id, kfk_cb cb, void *opaque);

/** OffsetCommit of tps[i].offset (with metadata). Outside a group (a
 *  consumer assigning partitions itself, a tool) pass generation_id -1
 *  and member_id NULL or "".
 *  Result: {topics => [{topic, partitions => [{partition, error_code}]}]} */
KFK_API kfk_err_t kfk_conn_offset_commit(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                                         const char *member_id,
                                         const kfk_topic_partition_t *tps, size_t n,
                                         kfk_cb cb, void *opaque);

/** OffsetFetch of the group's committed offsets for topics (n = 0: all).
 *  Result: {error_code, topics => [{topic, partitions => [{partition,
 *           offset, metadata, error_code}]}]} */
KFK_API kfk_err_t kfk_conn_offset_fetch(kfk_conn_t *c, const char *group_id,
                                        const char *const *topics, size_t n,
                                        kfk_cb cb, void *opaque);

/** A topic to create. */
typedef struct kfk_new_topic {
    const char *name;
    int32_t num_partitions;     /* -1 = broker default */
    int16_t replication_factor; /* -1 = broker default */
    int16_t reserved;
    const char *const *config;  /* key, value, key, value...; may be NULL */
    size_t config_n;            /* number of key/value pairs */
} kfk_new_topic_t;

/** CreateTopics. Result: {topics => [{name, error_code, error_message}]} */
KFK_API kfk_err_t kfk_conn_create_topics(kfk_conn_t *c, const kfk_new_topic_t *topics, size_t n,
                                         int timeout_ms, kfk_cb cb, void *opaque);

/** DeleteTopics. Result: {topics => [{name, error_code}]} */
KFK_API kfk_err_t kfk_conn_delete_topics(kfk_conn_t *c, const char *const *names, size_t n,
                                         int timeout_ms, kfk_cb cb, void *opaque);

/** InitProducerId; transactional_id NULL for an idempotent producer.
 *  Result: {error_code, producer_id, producer_epoch} */
KFK_API kfk_err_t kfk_conn_init_producer_id(kfk_conn_t *c, const char *transactional_id,
                                            int txn_timeout_ms, kfk_cb cb, void *opaque);

/** AddPartitionsToTxn for tps (offsets ignored).
 *  Result: {topics => [{topic, partitions => [{partition, error_code}]}]} */
KFK_API kfk_err_t kfk_conn_add_partitions_to_txn(kfk_conn_t *c, const char *transactional_id,
                                                 int64_t producer_id, int16_t producer_epoch,
                                                 const kfk_topic_partition_t *tps, size_t n,
                                                 kfk_cb cb, void *opaque);

/** AddOffsetsToTxn (before kfk_conn_txn_offset_commit). Result: {error_code} */
KFK_API kfk_err_t kfk_conn_add_offsets_to_txn(kfk_conn_t *c, const char *transactional_id,
                                              int64_t producer_id, int16_t producer_epoch,
                                              const char *group_id, kfk_cb cb, void *opaque);

/** EndTxn: commit (committed = 1) or abort (0). Result: {error_code} */
KFK_API kfk_err_t kfk_conn_end_txn(kfk_conn_t *c, const char *transactional_id,
                                   int64_t producer_id, int16_t producer_epoch, int committed,
                                   kfk_cb cb, void *opaque);

/** TxnOffsetCommit (API 28). generation_id -1 and member_id NULL outside a group.
 *  Result: {topics => [{topic, partitions => [{partition, error_code}]}]} */
KFK_API kfk_err_t kfk_conn_txn_offset_commit(kfk_conn_t *c, const char *transactional_id,
                                             const char *group_id, int64_t producer_id,
                                             int16_t producer_epoch, int32_t generation_id,
                                             const char *member_id,
                                             const kfk_topic_partition_t *tps, size_t n,
                                             kfk_cb cb, void *opaque);

/** Send any request: body is the request body (after the header) encoded
 *  for api_key at api_version. Result: {api_key, api_version, body} where
 *  body is the raw response body (after the header). For custom protocols
 *  and debugging. */
KFK_API kfk_err_t kfk_conn_raw_request(kfk_conn_t *c, int16_t api_key, int16_t api_version,
                                       const void *body, size_t len, kfk_cb cb, void *opaque);

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

/*
 * String key/value options, so new ones never change the ABI. Keys are
 * EV::Kafka's option names; librdkafka/Java spellings are accepted too:
 *
 *   brokers (bootstrap.servers)   host:port,...            127.0.0.1:9092
 *   client_id (client.id)                                  kfk
 *   tls 0/1, tls_ca_file (ssl.ca.location), tls_skip_verify 0/1
 *   security.protocol             PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL
 *   sasl_mechanism (sasl.mechanisms)  PLAIN|SCRAM-SHA-256|SCRAM-SHA-512|OAUTHBEARER|GSSAPI
 *   sasl_username, sasl_password  (GSSAPI: a principal and its password,
 *                                 to log in with instead of a keytab)
 *   sasl_kerberos_service_name (sasl.kerberos.service.name)  GSSAPI: the
 *                                 brokers' service; each broker's principal
 *                                 is SERVICE/HOST@REALM, HOST as in its
 *                                 address                         kafka
 *   sasl_kerberos_principal (sasl.kerberos.principal)  GSSAPI: the client's
 *                                 principal, NAME or NAME@REALM (default:
 *                                 the keytab's first, or the credential
 *                                 cache's)
 *   sasl_kerberos_keytab (sasl.kerberos.keytab)  GSSAPI: a keytab to log in
 *                                 with; the login is kept and renewed for
 *                                 the client's life. Without a keytab or
 *                                 a password, the tickets come from the
 *                                 credential cache that kinit fills
 *   sasl_kerberos_ccache          GSSAPI: that cache   $KRB5CCNAME or
 *                                 /tmp/krb5cc_UID
 *   sasl_kerberos_config          GSSAPI: the krb5.conf (realms, KDCs)
 *                                 $KRB5_CONFIG or /etc/krb5.conf
 *   sasl_oauthbearer_token        OAUTHBEARER: a bearer token the application
 *                                 obtained, sent as it is (never logged)
 *   sasl_oauthbearer_unsecure_jwt (enable.sasl.oauthbearer.unsecure.jwt)  0/1:
 *                                 OAUTHBEARER with unsigned JWTs the client
 *                                 mints, for development brokers only   0
 *   sasl_oauthbearer_config (sasl.oauthbearer.config)  the unsigned JWTs'
 *                                 claims: principal=NAME [scope=A,B]
 *                                 [lifeSeconds=N] [principalClaimName=sub]
 *                                 [scopeClaimName=scope] [extension_NAME=V]
 *   sasl_oauthbearer_method (sasl.oauthbearer.method)  default|oidc|application:
 *                                 oidc fetches tokens from a token endpoint
 *                                 with the client credentials grant
 *                                 (KIP-768), replacing each at 80% of its
 *                                 lifetime; application asks the
 *                                 application with
 *                                 KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH (see
 *                                 kfk_oauthbearer_set_token)      default
 *   sasl_oauthbearer_token_endpoint_url (sasl.oauthbearer.token.endpoint.url)
 *   sasl_oauthbearer_client_id (sasl.oauthbearer.client.id)
 *   sasl_oauthbearer_client_secret (sasl.oauthbearer.client.secret)
 *   sasl_oauthbearer_scope (sasl.oauthbearer.scope)  optional
 *   sasl_oauthbearer_ca_file (https.ca.location)  PEM CAs for an https token
 *                                 endpoint                   system roots
 *   sasl_oauthbearer_extensions (sasl.oauthbearer.extensions)  NAME=VALUE,...
 *                                 SASL extensions sent with the token
 *                                 (KIP-342)
 *   acks                          -1 (all), 0, 1           -1
 *   linger_ms (linger.ms)         how long a batch waits for more records;
 *                                 while a request is in flight to its
 *                                 broker, a batch that is not full waits
 *                                 for that request to be answered too,
 *                                 and grows meanwhile              5
 *   batch_size (batch.size)       bytes                    16384
 *   batch_num_messages (batch.num.messages)  records; a batch is sent
 *                                 once it holds this many      10000
 *   compression (compression.type) none|gzip|snappy|lz4|zstd  none;
 *                                 full batches waiting to be sent are
 *                                 compressed on up to one library thread
 *                                 per core while compressing runs below
 *                                 about 1 GB/s
 *   compression_level (compression.level)  -1 or 0: the codec's default
 *                                 (zstd 3, LZ4's fast mode); gzip 1-9,
 *                                 lz4 1-12 (3 and up its high-
 *                                 compression mode: about a sixth
 *                                 smaller, 4-12x the CPU),
 *                                 zstd 1-22 (1-2 about 1.4x as fast, 10
 *                                 and up about a tenth as fast, with
 *                                 tens of MB more memory); a level the
 *                                 codec lacks fails kfk_client_new     0
 *   idempotent (enable.idempotence) 0/1                    0
 *   transactional_id (transactional.id)  enables kfk_txn_*; implies idempotent;
 *                                 messages produced outside a transaction
 *                                 go as plain idempotent batches
 *   transaction_timeout_ms                                 60000
 *   isolation_level               read_uncommitted|read_committed  read_uncommitted
 *   auto_offset_reset             earliest|latest          latest
 *   partitioner                   murmur2 (null keys round-robin),
 *                                 murmur2_random, sticky, round_robin, and
 *                                 librdkafka's, placing keys as it does:
 *                                 consistent (CRC32; null and empty keys
 *                                 to one partition), consistent_random
 *                                 (CRC32; null and empty keys at random),
 *                                 random, fnv1a (FNV-1a; null keys to one
 *                                 partition), fnv1a_random (null keys at
 *                                 random)                            murmur2
 *   delivery_timeout_ms (delivery.timeout.ms, message.timeout.ms)  120000
 *   retry_backoff_ms              first retry delay        100
 *   max_in_flight                 requests per broker      5
 *   max_buffered_messages (queue.buffering.max.messages)   1000000
 *   max_buffered_kbytes (queue.buffering.max.kbytes)       1048576
 *   message_max_bytes                                      1000000
 *   request_timeout_ms                                     30000
 *   metadata_refresh              seconds, 0 = off         300
 *   allow_auto_create_topics (allow.auto.create.topics)  0/1: a broker
 *                                 that allows it creates a missing topic
 *                                 the client produces to, consumes or
 *                                 asks about                   1
 *   fetch_max_wait_ms, fetch_max_bytes, fetch_min_bytes    500, 1048576, 1
 *   fetch_partition_max_bytes (max.partition.fetch.bytes)  1048576
 *   prefetch_bytes                no new fetch while this much is
 *                                 buffered ahead of kfk_consume        8388608
 *   check_crcs (check.crcs)       0/1: verify each fetched batch's
 *                                 CRC32C; off saves about an eighth of
 *                                 a consumer's CPU on 1 KB records and
 *                                 trusts TCP's and the broker's checks
 *                                 (librdkafka's default is off)        1
 *   max_poll_records (max.poll.records)  records one kfk_consume hands
 *                                 over at most (the rest stay buffered),
 *                                 0 = no bound                       0
 *   log_level (log.level)         off|error|warn|info|debug (or 0-7)  warn
 *                                 LOG events at this level or more severe
 *   debug                         comma list of broker, protocol, producer,
 *                                 consumer, group, txn, metadata, all: LOG
 *                                 events with level debug tracing those parts
 *                                 (at most 500 lines/s per context)   none
 *   statistics_interval_ms (statistics.interval.ms)  a STATS event this
 *                                 often, 0 = none                    0
 *   delivery_reports              all|failed: with failed, a message
 *                                 produced with a NULL callback and a NULL
 *                                 opaque gets a DELIVERY event only when it
 *                                 fails (kfk_flush still waits for it) all
 *
 * Logs are never printed by the library: LOG events carry them to the
 * application (the bindings route them to their language's logger).
 * Passwords never appear in log lines, statistics or error messages.
 *
 * Partitioning with custom logic, two ways: set a C partition function
 * with kfk_conf_set_partitioner(), or ask kfk_client_partition_count() and
 * pass an explicit partition to kfk_produce (the partitioner then runs on
 * your thread, in your language: what the bindings do).
 */

/** Create a configuration with every option at its default (above).
 *  kfk_client_new copies it, so one conf can make several clients and may
 *  be destroyed as soon as they are made.
 *  Threads: a conf is meant to be filled by one thread. The library
 *  serializes the calls on one conf (kfk_conf_set,
 *  kfk_conf_set_partitioner, kfk_client_new reading it), so concurrent
 *  calls do not corrupt it, but which of two concurrent settings of one
 *  key wins is unspecified. */
KFK_API kfk_err_t kfk_conf_new(kfk_conf_t **out);
/** Free conf. Clients made from it are not affected. */
KFK_API kfk_err_t kfk_conf_destroy(kfk_conf_t *conf);
/** Set one option. On error (KFK_ERR_CONFIG), errbuf (may be NULL) gets a
 *  NUL-terminated message naming the key. */
KFK_API kfk_err_t kfk_conf_set(kfk_conf_t *conf, const char *key, const char *value,
                               char *errbuf, size_t errlen);

/** A custom partitioner: the partition (0 .. partition_count-1) for a
 *  message produced without an explicit one. key is NULL for a null key.
 *  A result out of range fails that message (its DELIVERY event has err
 *  UNKNOWN_TOPIC_OR_PARTITION). It runs inside kfk_produce on the calling
 *  thread, or on a library thread for a message that waited for its
 *  topic's metadata; calls never overlap, even when several threads
 *  produce. It must be quick and must not call kfk functions. */
typedef int32_t (*kfk_partitioner_fn)(const char *topic, const void *key, size_t key_len,
                                      int32_t partition_count, void *opaque);
/** Use fn (with opaque) instead of the partitioner option for clients made
 *  from conf; fn NULL goes back to the option. */
KFK_API kfk_err_t kfk_conf_set_partitioner(kfk_conf_t *conf, kfk_partitioner_fn fn, void *opaque);

/* ------------------------------------------------------------------ */
/* Client: the cluster (EV::Kafka::Client)                             */
/* ------------------------------------------------------------------ */

/** Create a client from conf (copied: conf may be destroyed afterwards),
 *  delivering its events to q. Validation errors name the key in errbuf. */
KFK_API kfk_err_t kfk_client_new(kfk_queue_t *q, const kfk_conf_t *conf, kfk_client_t **out,
                                 char *errbuf, size_t errlen);
/** Free the handle, closing the client first if it is still open, without
 *  a flush: buffered messages fail with KFK_ERR_CLOSED (their DELIVERY
 *  events are queued before it returns). With a subscription it blocks
 *  for up to 1000 ms while the member leaves the group.
 *  Threads: any thread; other calls racing with it on c fail with
 *  KFK_ERR_INVALID_HANDLE or KFK_ERR_CLOSED. */
KFK_API kfk_err_t kfk_client_destroy(kfk_client_t *c);

/*
 * Threads, for every kfk_client_* call, produce, flush and the consumer
 * and admin calls: any thread, concurrently on one client, unless the
 * call's own note restricts it (kfk_produce*, kfk_assign, kfk_consume,
 * subscriptions, transactions, close).
 */

/** Where client-level events go: ERROR (every bootstrap broker failing, a
 *  broker connection lost), LOG and STATS. Without a handler they go to the
 *  queue's handler or kfk_poll_batch's array. It applies to events queued
 *  after it returns. */
KFK_API kfk_err_t kfk_client_set_event_handler(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Fetch cluster metadata from the first bootstrap broker that answers.
 *  RESULT: the metadata tree (as kfk_conn_metadata). An idempotent or
 *  transactional client also gets its producer id first (InitProducerId,
 *  as EV::Kafka does on connect; at most request_timeout_ms, after which
 *  it is asked for again before the first send). */
KFK_API kfk_err_t kfk_client_connect(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Refresh metadata now, including topics (n may be 0; a broker that
 *  auto-creates topics creates them). RESULT: the metadata tree. */
KFK_API kfk_err_t kfk_client_metadata(kfk_client_t *c, const char *const *topics, size_t n,
                                      kfk_cb cb, void *opaque);
/** Partitions of topic per the client's metadata; -1 when the topic is
 *  unknown; a negative kfk_err_t (below -100) for a bad handle or a NULL
 *  topic. */
KFK_API int32_t kfk_client_partition_count(kfk_client_t *c, const char *topic);
/** The idempotent or transactional producer's id and epoch (either out
 *  pointer may be NULL). KFK_ERR_STATE while the client has none: it is
 *  neither idempotent nor transactional, or InitProducerId has not
 *  completed yet (it runs with the first produce or transaction). */
KFK_API kfk_err_t kfk_client_producer_id(kfk_client_t *c, int64_t *producer_id,
                                         int16_t *producer_epoch);

/** Queue a message for delivery (key, value and headers are copied). The
 *  DELIVERY event carries msg->opaque and goes to cb (NULL: the batch pull
 *  or the queue's handler). Returns at once: KFK_ERR_QUEUE_FULL when the
 *  buffer limits are reached, KFK_ERR_INVALID_ARG for a bad message (NULL
 *  topic, partition below -1, NULL buffer with a length),
 *  MESSAGE_TOO_LARGE (10) above message_max_bytes, INVALID_TOPIC_EXCEPTION
 *  (17) for a topic name Kafka refuses, KFK_ERR_STATE while a transaction
 *  commits or aborts, KFK_ERR_CLOSED once the client is closed, and a
 *  fenced transactional producer's error. A refused message gets no
 *  DELIVERY event.
 *  Threads: kfk_produce, kfk_produce_batch and kfk_produce_many may run on
 *  many threads at once on one client. One thread's messages to one
 *  partition are sent in the order of its calls (a retry can reorder them
 *  unless the client is idempotent or max_in_flight is 1); between threads
 *  the order is the order the calls took the client's lock.
 *  Cost: with linger_ms above 0, a message the producer has room for (and
 *  without headers) is copied in C and encoded into its batch by a library
 *  thread a moment later, so the call itself is a lock and a copy. */
KFK_API kfk_err_t kfk_produce(kfk_client_t *c, const kfk_message_t *msg, kfk_cb cb);
/** Queue n messages in one call (for bindings). *accepted (may be NULL)
 *  is how many were queued before an error stopped the call.
 *  Threads: as kfk_produce; the n messages are queued one by one, so
 *  another thread's messages may come in between. */
KFK_API kfk_err_t kfk_produce_batch(kfk_client_t *c, const kfk_message_t *msgs, size_t n,
                                    kfk_cb cb, size_t *accepted);
/** Queue n messages with one completion (EV::Kafka's produce_many): no
 *  DELIVERY events, but one RESULT to cb with opaque once every message
 *  has its outcome. Its err is 0 when all were delivered, else the first
 *  failure's; its result is NULL when all were delivered, else a list with
 *  a map {index, error_code, error} per failed message. A message the
 *  library refuses at once (too large, a bad topic name, the buffer full,
 *  a NULL topic) is listed there too and does not stop the others.
 *  *accepted (may be NULL) is how many were queued. The call itself fails
 *  only for a bad handle or a NULL msgs with n > 0; then no RESULT comes.
 *  n = 0 completes at once. Threads: as kfk_produce_batch. */
KFK_API kfk_err_t kfk_produce_many(kfk_client_t *c, const kfk_message_t *msgs, size_t n,
                                   kfk_cb cb, void *opaque, size_t *accepted);
/** Queue n records for one topic with one completion, given as columns
 *  so that a binding crosses into the library once for all of them:
 *  record i's value is the next value_lens[i] bytes of values (the values
 *  back to back, in order), or null when value_lens[i] is
 *  KFK_NULL_LENGTH (-1; a null takes no bytes; 0 is an empty value). Keys
 *  likewise in keys/key_lens; keys and key_lens both NULL make every key
 *  null. Every record gets partition (-1: the partitioner), the time of
 *  the call as its timestamp, and the same header_count headers (NULL
 *  with 0: none). Completion and *accepted as kfk_produce_many, with
 *  index i naming record i. The call itself fails with
 *  KFK_ERR_INVALID_ARG (and no RESULT) for a NULL topic, a partition below
 *  -1, a NULL value_lens with n > 0, a length below -1, bytes with a NULL
 *  buffer, or bad headers. Threads: as kfk_produce_batch. */
KFK_API kfk_err_t kfk_produce_values(kfk_client_t *c, const char *topic, int32_t partition,
                                     const void *values, const int32_t *value_lens,
                                     const void *keys, const int32_t *key_lens, size_t n,
                                     const kfk_header_t *headers, size_t header_count,
                                     kfk_cb cb, void *opaque, size_t *accepted);
/* The length that marks a null key or value in kfk_produce_values. */
#define KFK_NULL_LENGTH (-1)
/** Answer KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH (sasl_oauthbearer_method=
 *  application): the token to present until expires_at_ms (ms since the
 *  epoch), who it is for (principal, only logged; may be NULL), and
 *  n_extensions SASL extensions (KIP-342) as name/value pairs
 *  (2 * n_extensions strings; NULL with 0). The client asks again, with
 *  the same event, once 80% of the token's life has passed (sooner for
 *  a token living under 15 s, to keep up to 3 s of it), and whenever a
 *  connection finds no valid token; a connection waits up to
 *  request_timeout_ms for the answer. KFK_ERR_INVALID_ARG (with the reason
 *  in errbuf) for an empty, expired or NULL token or bad extensions,
 *  KFK_ERR_STATE for a client that does not take application tokens.
 *  Threads: any thread; the event comes to kfk_poll's thread like every
 *  event, so it is usually answered there. */
KFK_API kfk_err_t kfk_oauthbearer_set_token(kfk_client_t *c, const char *token, int64_t expires_at_ms,
                                            const char *principal, const char *const *extensions,
                                            size_t n_extensions, char *errbuf, size_t errlen);
/** Answer the event with why the application has no token: connections
 *  waiting for one fail with KFK_ERR_SASL and that reason. */
KFK_API kfk_err_t kfk_oauthbearer_set_token_failure(kfk_client_t *c, const char *reason);
/** Replace the SASL PLAIN or SCRAM username and password: connections
 *  made and sessions re-authenticated from now on use them; connections
 *  already authenticated stay. The strings are copied. KFK_ERR_INVALID_ARG
 *  for a NULL one, KFK_ERR_STATE for a client that does not authenticate
 *  with SASL PLAIN or SCRAM. Threads: any thread. */
KFK_API kfk_err_t kfk_client_set_sasl_credentials(kfk_client_t *c, const char *username, const char *password);
/** Send everything buffered now; RESULT (result NULL) once every queued
 *  message has its delivery report, or err KFK_ERR_TIMED_OUT after
 *  timeout_ms (0 = no limit). Threads: any thread; concurrent flushes each
 *  get their RESULT, and messages produced meanwhile are waited for too. */
KFK_API kfk_err_t kfk_flush(kfk_client_t *c, int timeout_ms, kfk_cb cb, void *opaque);

#define KFK_PURGE_QUEUE    0x1  /* messages never sent */
#define KFK_PURGE_INFLIGHT 0x2  /* messages sent and waiting to be sent again */
/** Fail messages the producer holds instead of sending them; each gets its
 *  delivery report (DELIVERY event or callback) with err
 *  KFK_ERR_PURGED_QUEUE or KFK_ERR_PURGED_INFLIGHT, served by kfk_poll as
 *  usual, and a flush waiting for them completes. KFK_PURGE_QUEUE: the
 *  messages not yet in a produce request (waiting for metadata, lingering,
 *  or queued behind others). KFK_PURGE_INFLIGHT: those sent before whose
 *  request failed and that wait to be sent again (the broker may have
 *  written them); not for an idempotent or transactional producer, whose
 *  sent messages keep their sequence numbers. A request on the wire
 *  cannot be recalled: its messages get the broker's answer. Purging
 *  messages of an open transaction makes it fail: kfk_txn_commit reports
 *  the error, kfk_txn_abort ends it. purged (may be NULL) receives how
 *  many messages were purged. KFK_ERR_INVALID_ARG for other flag bits.
 *  Threads: any thread. */
KFK_API kfk_err_t kfk_purge(kfk_client_t *c, int flags, size_t *purged);
/** Flush (up to timeout_ms; 0 = no limit), then close every connection;
 *  RESULT when done. Messages still buffered fail with KFK_ERR_CLOSED.
 *  With a subscription it first blocks while the member leaves the group,
 *  for up to timeout_ms or 1000 ms, whichever is longer.
 *  Threads: any thread. */
KFK_API kfk_err_t kfk_client_close(kfk_client_t *c, int timeout_ms, kfk_cb cb, void *opaque);

/* ---- consuming with manual assignment ---- */

/* Special offsets for kfk_assign and kfk_seek. */
#define KFK_OFFSET_LATEST   -1
#define KFK_OFFSET_EARLIEST -2

/** Replace the partitions consumed: each tps[i] from tps[i].offset
 *  (>= 0, KFK_OFFSET_EARLIEST or KFK_OFFSET_LATEST). Fetching starts at
 *  once and is kept one response ahead of kfk_consume (bounded). Messages
 *  fetched but not yet handed over are dropped.
 *  Threads: any thread; of two concurrent calls the later one wins. A
 *  subscription assigns partitions itself (at every rebalance): do not
 *  mix kfk_assign with kfk_subscribe on one client. */
KFK_API kfk_err_t kfk_assign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Move a partition's position; RESULT (result NULL) once it is set. */
KFK_API kfk_err_t kfk_seek(kfk_client_t *c, const char *topic, int32_t partition, int64_t offset,
                           kfk_cb cb, void *opaque);
/** Add partitions to those consumed, each from tps[i].offset (as
 *  kfk_assign), leaving the others, their positions and what was fetched
 *  for them as they are. KFK_ERR_STATE, changing nothing, when one is
 *  assigned already. Threads: as kfk_assign; not with kfk_subscribe. */
KFK_API kfk_err_t kfk_incremental_assign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Stop consuming some partitions (offsets not used), leaving the others
 *  as they are; their fetched messages are dropped. KFK_ERR_STATE,
 *  changing nothing, when one is not assigned.
 *  Threads: as kfk_assign; not with kfk_subscribe. */
KFK_API kfk_err_t kfk_incremental_unassign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Pause assigned partitions (offsets not used): they are not fetched and
 *  kfk_consume hands over none of their messages, while the others flow.
 *  What was fetched for them already is kept, and positions stay, so
 *  after kfk_resume their messages go on where they stopped, none lost or
 *  repeated. A partition's pause ends with its assignment (a new
 *  kfk_assign, a rebalance that takes it away; a cooperative rebalance
 *  keeps the pause of the partitions kept), as in librdkafka.
 *  KFK_ERR_STATE when a partition is not assigned (the others are still
 *  paused). Threads: any thread. */
KFK_API kfk_err_t kfk_pause(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Undo kfk_pause: fetching goes on and a waiting kfk_consume gets the
 *  messages kept. KFK_ERR_STATE as kfk_pause. Threads: any thread. */
KFK_API kfk_err_t kfk_resume(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Hand over fetched messages: one MESSAGE event per message (msg with
 *  topic, partition, offset, timestamp, key, value, headers), then a
 *  RESULT event {count}; all with opaque, to cb (NULL: batch pull / queue
 *  handler). With nothing fetched yet it waits for the next fetch
 *  responses (at most about fetch_max_wait_ms on idle partitions).
 *  Threads: any thread, but meant for one consumer at a time: calls that
 *  overlap (one made before the previous one's RESULT) split the messages
 *  between them, and a partition's messages keep their order on the
 *  queue only across calls that do not overlap. */
KFK_API kfk_err_t kfk_consume(kfk_client_t *c, kfk_cb cb, void *opaque);
/** kfk_consume handing over at most max messages (0: max_poll_records;
 *  a max above a non-zero max_poll_records is cut to it). The rest stay
 *  fetched for the next call (and count as consumed only once handed
 *  over). For a layer that hands its own caller a bounded number of
 *  messages per call. KFK_ERR_INVALID_ARG for a max above 2^24.
 *  Threads: as kfk_consume. */
KFK_API kfk_err_t kfk_consume_max(kfk_client_t *c, size_t max, kfk_cb cb, void *opaque);
/** Earliest and latest offsets of each partition of topic (a missing
 *  topic fails with UNKNOWN_TOPIC_OR_PARTITION, 3; it is not created).
 *  RESULT: {"0" => {earliest, latest}, "1" => ...}. */
KFK_API kfk_err_t kfk_offsets_for(kfk_client_t *c, const char *topic, kfk_cb cb, void *opaque);
/** Lag of every assigned partition.
 *  RESULT: {"topic:0" => {current, latest, lag}, ...}. */
KFK_API kfk_err_t kfk_lag(kfk_client_t *c, kfk_cb cb, void *opaque);

/* ---- consumer groups ---- */

/** Join a consumer group and consume what it assigns (classic protocol).
 *  options are key/value string pairs (n_options pairs):
 *    group_id (required), session_timeout_ms (30000),
 *    rebalance_timeout_ms (60000), heartbeat_interval_ms (3000),
 *    auto_commit 0/1 (1), auto_commit_interval_ms (5000),
 *    group_instance_id (KIP-345 static membership: kfk_client_close does
 *    not leave the group, so a restart with the same id within the session
 *    timeout gets its partitions back without a rebalance), assignor
 *    (partition_assignment_strategy, partition.assignment.strategy: a
 *    comma list in preference order of sticky, range, roundrobin,
 *    cooperative-sticky; sticky), auto_offset_store 0/1 (1; 0:
 *    commits take the offsets given to kfk_store_offsets),
 *    auto_offset_reset (earliest|latest; default the client's) for
 *    partitions without a committed offset,
 *    group_protocol (group.protocol: classic, or consumer for KIP-848's
 *    protocol, where the coordinator assigns and members move partitions
 *    one by one; Kafka 4.0+), group_remote_assignor
 *    (group.remote.assignor: uniform or range, for consumer; the broker's
 *    default), revoke_wait 0/1 (0; see below), assign_empty 0/1 (0; 1:
 *    an incremental member, cooperative-sticky or KIP-848, gets an ASSIGN
 *    of no partitions for each rebalance that adds it none, as
 *    librdkafka's rebalance callback is called).
 *  With revoke_wait 1 a revocation waits for the application, as
 *  librdkafka's rebalance callback does: REVOKE is delivered while the
 *  member still owns the partitions (offset: the position reached), so a
 *  kfk_commit or kfk_commit_offsets made while serving it commits them
 *  with the current generation; the member gives them up (committing
 *  first with auto_commit) once the application calls kfk_revoke_done
 *  and the commits begun before it are done, or after
 *  rebalance_timeout_ms (max.poll.interval.ms) with a warning in the log,
 *  heartbeating meanwhile. Eager, cooperative and KIP-848 members alike. LOST partitions are never waited for, nor those given up by
 *  kfk_unsubscribe or kfk_client_close (commit before leaving).
 *  With cooperative-sticky alone the member rebalances incrementally
 *  (KIP-429, with Java and librdkafka members alike): it keeps consuming
 *  what it keeps, REVOKE lists only partitions taken away and ASSIGN only
 *  new ones. A list with an eager assignor rebalances eagerly, as Java
 *  does: REVOKE everything, then ASSIGN everything.
 *  ASSIGN, REVOKE and LOST events go to cb with opaque (NULL: batch pull
 *  or the queue's handler); messages arrive through kfk_consume. The member runs
 *  on a library thread and does not wait for these events to be polled
 *  (except a REVOKE with revoke_wait).
 *  A subscription already in force is left first, and that blocks: until
 *  the old member has committed (with auto_commit) and sent LeaveGroup,
 *  normally a few round trips, longer (up to about rebalance_timeout_ms
 *  plus request_timeout_ms) if it was joining the group.
 *  Threads: any thread; kfk_subscribe, kfk_unsubscribe, kfk_client_close
 *  and kfk_client_destroy racing on one client leave each membership
 *  once, and the last subscription to take its place wins. */
KFK_API kfk_err_t kfk_subscribe(kfk_client_t *c, const char *const *topics, size_t n_topics,
                                const char *const *options, size_t n_options,
                                kfk_cb cb, void *opaque);
/** Commit the positions of the messages consumed so far.
 *  RESULT (result NULL) when done. While the group rebalances or its
 *  coordinator moves it waits, up to request_timeout_ms, then fails
 *  rather than report a commit it could not make.
 *  Threads: any thread, concurrently with consuming. */
KFK_API kfk_err_t kfk_commit(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Commit tps[i].offset (>= 0: the next offset to read) for each
 *  partition, as the group member of the current generation: any
 *  offsets, lower than those committed too, of partitions assigned or
 *  not. Waits for a rebalance and the coordinator as kfk_commit does.
 *  RESULT (result NULL) when done; its err is KFK_ERR_STATE without a
 *  subscription. Immediate: KFK_ERR_INVALID_ARG for n == 0, a NULL topic,
 *  a negative partition or offset. Threads: any thread. */
KFK_API kfk_err_t kfk_commit_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n,
                                     kfk_cb cb, void *opaque);
/** Store offsets to commit (tps[i].offset >= 0, the next offset to read)
 *  for assigned partitions. With the subscribe option auto_offset_store
 *  (enable.auto.offset.store) 0, kfk_commit, auto-commit and the commits
 *  on revoke and on leaving commit the offsets stored, not the positions
 *  of the messages consumed; a partition assigned anew has none stored.
 *  KFK_ERR_STATE when a partition is not assigned (the others are still
 *  stored). Threads: any thread. */
KFK_API kfk_err_t kfk_store_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n);
/** Copy the member id the group coordinator gave this member, NUL-
 *  terminated, into buf (size bytes); "" until it has one.
 *  KFK_ERR_STATE without a subscription, KFK_ERR_NO_BUFFER_SPACE when it
 *  does not fit (member ids are under 100 bytes), KFK_ERR_INVALID_ARG for
 *  a NULL buf or size 0. Threads: any thread. */
KFK_API kfk_err_t kfk_group_member_id(kfk_client_t *c, char *buf, size_t size);
/** Tell the member that the REVOKE it is waiting for (subscribe option
 *  revoke_wait) has been served: it hands over no more messages of those
 *  partitions and gives them up (the next owner goes on after what was
 *  handed over by then, or after what was committed). Does nothing
 *  when no revocation waits (without revoke_wait, without a subscription,
 *  or after the wait timed out), so answering every REVOKE is safe.
 *  Threads: any thread. */
KFK_API kfk_err_t kfk_revoke_done(kfk_client_t *c);
/** Commit (with auto_commit), leave the group (static members too) and stop
 *  consuming its partitions. RESULT when done.
 *  Threads: see kfk_subscribe. */
KFK_API kfk_err_t kfk_unsubscribe(kfk_client_t *c, kfk_cb cb, void *opaque);

/* ---- share groups (KIP-932, "queues"; Kafka 4.1+) ----
 * The members of a share group read the same partitions together: the
 * broker hands each record to one member at a time, under an acquisition
 * lock (the group's share.record.lock.duration.ms, 30 s by default), and
 * counts its deliveries. Each record handed over is then accepted
 * (processed), released (delivered again, to any member) or rejected
 * (never delivered again); a record whose lock runs out, or whose member
 * leaves or dies, is delivered again. A share subscription is separate
 * from kfk_subscribe/kfk_assign: its records come only through
 * kfk_share_consume and never move the consumer's positions. */

/* What becomes of a record (kfk_share_acknowledge). */
#define KFK_ACK_ACCEPT  1 /* processed: never delivered again */
#define KFK_ACK_RELEASE 2 /* not processed now: deliver it again */
#define KFK_ACK_REJECT  3 /* unprocessable: never delivered again */

/** Join the share group and fetch from the topics' partitions it assigns.
 *  options are key/value string pairs (n_options pairs):
 *    group_id (group.id, required),
 *    share_acknowledgement_mode (share.acknowledgement.mode): implicit
 *    (default: what one kfk_share_consume handed over is accepted by the
 *    next kfk_share_consume, kfk_share_commit or kfk_share_unsubscribe) or
 *    explicit (acknowledge every record with kfk_share_acknowledge),
 *    share_acquire_mode (share.acquire.mode): batch_optimized (default:
 *    the broker hands out whole record batches) or record_limit (at most
 *    max_poll_records records per fetch; Kafka 4.2+).
 *  Where a new group starts reading is the group's share.auto.offset.reset
 *  config (latest unless set with an admin tool), not auto_offset_reset.
 *  Immediate: KFK_ERR_CONFIG for a bad option; KFK_ERR_INVALID_ARG for no
 *  topics. The member runs on a library thread; there are no ASSIGN or
 *  REVOKE events (a partition is shared, nothing is given up).
 *  A share subscription already in force is left first, and that blocks
 *  until it has settled what it held and left (a few round trips).
 *  Threads: any thread; share subscribe, unsubscribe, kfk_client_close and
 *  kfk_client_destroy racing on one client leave each membership once. */
KFK_API kfk_err_t kfk_share_subscribe(kfk_client_t *c, const char *const *topics, size_t n_topics,
                                      const char *const *options, size_t n_options);
/** Hand over acquired records: one MESSAGE event per record (msg as with
 *  kfk_consume; its delivery count through kfk_message_delivery_count),
 *  then a RESULT event {count}; all with opaque, to cb (NULL: batch pull /
 *  queue handler). In implicit mode it first accepts what the previous
 *  call handed over. With nothing fetched it waits for the next fetch
 *  responses (about 2 * fetch_max_wait_ms + 1 s at most). A member fetches
 *  again only when it has handed over everything fetched, since fetched
 *  records are locked away from the other members.
 *  KFK_ERR_STATE (in the RESULT) without a share subscription.
 *  Threads: as kfk_consume. */
KFK_API kfk_err_t kfk_share_consume(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Settle one record handed over by kfk_share_consume (explicit mode):
 *  type is KFK_ACK_ACCEPT, KFK_ACK_RELEASE or KFK_ACK_REJECT. It goes to
 *  that partition's leader with the member's next request there: a fetch
 *  for a waiting kfk_share_consume, else a ShareAcknowledge of its own as
 *  soon as none is in flight; kfk_share_commit reports the broker's
 *  answer. Immediate: KFK_ERR_INVALID_ARG for a bad type or a NULL
 *  topic; KFK_ERR_STATE without a share subscription, in implicit mode,
 *  or for a record not handed over or settled already.
 *  Threads: any thread. */
KFK_API kfk_err_t kfk_share_acknowledge(kfk_client_t *c, const char *topic, int32_t partition,
                                        int64_t offset, int type);
/** Send the acknowledgements made so far (implicit mode: accepting what
 *  the last kfk_share_consume handed over) without waiting for the next
 *  fetch. RESULT once the broker has answered for each partition:
 *  [{topic, partition, error_code, by_fetch}] (sorted; error_code e.g.
 *  INVALID_RECORD_STATE (121) when a record's lock had run out and it
 *  went to another member), or an empty list when nothing was to be sent.
 *  It also lists the partitions whose acknowledgements a fetch carried and
 *  the broker answered since the last commit, so every acknowledgement's
 *  outcome is reported once: by_fetch is true for those when this commit
 *  sent nothing of the partition's itself, else false. A partition not
 *  answered within request_timeout_ms gets KFK_ERR_TIMED_OUT or the error
 *  that kept it from being sent. The event's err is KFK_ERR_STATE without
 *  a share subscription, else 0.
 *  Threads: any thread, concurrently with consuming. */
KFK_API kfk_err_t kfk_share_commit(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Settle what the member holds (implicit mode: accept what the last
 *  kfk_share_consume handed over; records not acknowledged or never handed
 *  over are released, to go to other members), close its share sessions
 *  and leave the group. kfk_client_close does the same. RESULT when done.
 *  Threads: see kfk_share_subscribe. */
KFK_API kfk_err_t kfk_share_unsubscribe(kfk_client_t *c, kfk_cb cb, void *opaque);
/** How many times the share group has handed msg's record out, this time
 *  included (1 the first time), for a MESSAGE of kfk_share_consume; 0 for
 *  any other message; KFK_ERR_INVALID_ARG for NULL. It reads the
 *  message's last field, which kfk_message_t keeps as `reserved` so its
 *  layout does not change. Threads: any thread (no library state). */
KFK_API int32_t kfk_message_delivery_count(const kfk_message_t *msg);

/* ---- transactions (needs the transactional_id option) ----
 * Threads: kfk_txn_begin, then kfk_txn_commit or kfk_txn_abort, are one
 * sequence per client: make them from one thread (or in order under a lock
 * of yours), and start the next only after the previous RESULT.
 * kfk_produce may run on other threads meanwhile: a message belongs to the
 * transaction when it is accepted after kfk_txn_begin returned and before
 * kfk_txn_commit/kfk_txn_abort is called; while those run, kfk_produce
 * returns KFK_ERR_STATE. */

/** Open a transaction; messages produced until commit or abort belong to
 *  it. Immediate: KFK_ERR_STATE when one is open already or the client is
 *  not transactional; a fenced producer gets PRODUCER_FENCED (90) or
 *  INVALID_PRODUCER_EPOCH (47), and a producer that failed to register a
 *  partition with the transaction gets that failure's error. */
KFK_API kfk_err_t kfk_txn_begin(kfk_client_t *c);
/** Commit consumer offsets inside the open transaction: tps[i].offset per
 *  partition (n = 0: the positions consumed so far of the client's own
 *  assignment). RESULT (result NULL) when done. Call it before
 *  kfk_txn_commit and wait for its RESULT. */
KFK_API kfk_err_t kfk_txn_send_offsets(kfk_client_t *c, const char *group_id,
                                       const kfk_topic_partition_t *tps, size_t n,
                                       kfk_cb cb, void *opaque);
/** Flush, then commit the transaction. RESULT when done; a fenced
 *  producer gets PRODUCER_FENCED (90) or INVALID_PRODUCER_EPOCH (47), with
 *  a message saying so. */
KFK_API kfk_err_t kfk_txn_commit(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Flush, then abort the transaction. RESULT when done. */
KFK_API kfk_err_t kfk_txn_abort(kfk_client_t *c, kfk_cb cb, void *opaque);

/* ---- admin ----
 * Each call completes with one RESULT event to cb with opaque. Calls about
 * several resources report a per-resource error_code in the result; calls
 * about one resource (alter configs, create partitions) fail with the
 * broker's error as the event's err.
 * Threads: any thread; calls are independent of each other. */

/** CreateTopics through any broker. Result: {topics => [{name,
 *  error_code, error_message}]} (error_code TOPIC_ALREADY_EXISTS (36) for
 *  a topic that exists). */
KFK_API kfk_err_t kfk_admin_create_topics(kfk_client_t *c, const kfk_new_topic_t *topics,
                                          size_t n, int timeout_ms, kfk_cb cb, void *opaque);
/** DeleteTopics. Result: {topics => [{name, error_code, error_message}]}. */
KFK_API kfk_err_t kfk_admin_delete_topics(kfk_client_t *c, const char *const *names,
                                          size_t n, int timeout_ms, kfk_cb cb, void *opaque);
/** Result: {cluster_id, controller_id, brokers => [{node_id, host, port, rack}]}. */
KFK_API kfk_err_t kfk_admin_describe_cluster(kfk_client_t *c, kfk_cb cb, void *opaque);
/** The groups of every broker. Result: {groups => [{group_id,
 *  protocol_type, state, type}]} sorted by group_id; state is lower case
 *  (stable, empty, preparingrebalance, ...). */
KFK_API kfk_err_t kfk_admin_list_groups(kfk_client_t *c, kfk_cb cb, void *opaque);
/** Result: {groups => [{group_id, error_code, state, protocol_type,
 *  protocol, members => [{member_id, group_instance_id, client_id,
 *  client_host, assignment => {topic => [partition, ...]}}]}]}. */
KFK_API kfk_err_t kfk_admin_describe_groups(kfk_client_t *c, const char *const *groups, size_t n,
                                            kfk_cb cb, void *opaque);
/** Every config of each topic. Result: {topics => [{name, error_code,
 *  error_message, configs => {key => {value, source, read_only,
 *  sensitive}}}]}; value is null when sensitive; source is e.g.
 *  "dynamic_topic_config" or "default_config". */
KFK_API kfk_err_t kfk_admin_describe_topic_configs(kfk_client_t *c,
                                                   const char *const *topics, size_t n,
                                                   kfk_cb cb, void *opaque);
/** Set some configs of topic, leaving the others: kv holds n_pairs
 *  key, value pairs; a NULL value resets that key to its default.
 *  RESULT (result NULL); err is the broker's refusal, if any. */
KFK_API kfk_err_t kfk_admin_alter_topic_configs(kfk_client_t *c, const char *topic,
                                                const char *const *kv, size_t n_pairs,
                                                kfk_cb cb, void *opaque);
/** Grow topic to total_partitions. RESULT (result NULL); err
 *  INVALID_PARTITIONS (37) when that is not more than it has. */
KFK_API kfk_err_t kfk_admin_create_partitions(kfk_client_t *c, const char *topic,
                                              int32_t total_partitions, int timeout_ms,
                                              kfk_cb cb, void *opaque);
/** Delete the records of each tps[i] before tps[i].offset
 *  (KFK_OFFSET_LATEST: all so far), asking each partition's leader.
 *  Result: {partitions => [{topic, partition, low_watermark, error_code}]}. */
KFK_API kfk_err_t kfk_admin_delete_records(kfk_client_t *c, const kfk_topic_partition_t *tps,
                                           size_t n, int timeout_ms, kfk_cb cb, void *opaque);
/** A group's committed offsets against the latest ones. Result:
 *  {"topic:partition" => {committed, latest, lag}} for every partition the
 *  group committed. */
KFK_API kfk_err_t kfk_admin_group_lag(kfk_client_t *c, const char *group_id, kfk_cb cb,
                                      void *opaque);
/** Delete groups with no members (consumer, classic or share groups),
 *  each at its coordinator. Result: {groups => [{group_id, error_code,
 *  error_message}]} in the order given; error_code NON_EMPTY_GROUP (68)
 *  for a group with members, GROUP_ID_NOT_FOUND (69) for an unknown one. */
KFK_API kfk_err_t kfk_admin_delete_groups(kfk_client_t *c, const char *const *groups, size_t n,
                                          kfk_cb cb, void *opaque);

/* Share groups (KIP-932; Kafka 4.0+). */

/** The share groups of every broker; n = 0: in any state, else only those
 *  in one of states ("empty", "stable", "dead"). Result: {groups =>
 *  [{group_id, state}]} sorted by group_id; state is lower case. */
KFK_API kfk_err_t kfk_admin_list_share_groups(kfk_client_t *c, const char *const *states, size_t n,
                                              kfk_cb cb, void *opaque);
/** Result: {groups => [{group_id, error_code, error_message, state,
 *  epoch, assignment_epoch, assignor, members => [{member_id, rack_id,
 *  member_epoch, client_id, client_host, subscribed_topics => [topic],
 *  assignment => {topic => [partition, ...]}}]}]} in the order given;
 *  error_code GROUP_ID_NOT_FOUND (69) for an unknown group. */
KFK_API kfk_err_t kfk_admin_describe_share_groups(kfk_client_t *c, const char *const *groups,
                                                  size_t n, kfk_cb cb, void *opaque);
/** A share group's start offsets (every record before one is
 *  acknowledged) against the latest ones. Result: {"topic:partition" =>
 *  {start_offset, latest, lag}} for every partition with a start offset
 *  (the broker has one once acknowledgements were written). lag is the
 *  broker's count of records not yet acknowledged where it gives one
 *  (DescribeShareGroupOffsets v1), else latest - start_offset. A partition the broker
 *  refuses fails the call, naming it. */
KFK_API kfk_err_t kfk_admin_share_group_offsets(kfk_client_t *c, const char *group_id, kfk_cb cb,
                                                void *opaque);
/** Move the start offset of a share group with no members to
 *  tps[i].offset on each partition (KFK_OFFSET_EARLIEST or
 *  KFK_OFFSET_LATEST: that offset, looked up first). Result: {partitions
 *  => [{topic, partition, error_code, error_message}]}; err
 *  NON_EMPTY_GROUP (68) while the group has members. */
KFK_API kfk_err_t kfk_admin_alter_share_group_offsets(kfk_client_t *c, const char *group_id,
                                                      const kfk_topic_partition_t *tps, size_t n,
                                                      kfk_cb cb, void *opaque);
/** Make a share group with no members forget its start offsets on
 *  topics. Result: {topics => [{topic, error_code, error_message}]}; err
 *  NON_EMPTY_GROUP (68) while the group has members. */
KFK_API kfk_err_t kfk_admin_delete_share_group_offsets(kfk_client_t *c, const char *group_id,
                                                       const char *const *topics, size_t n,
                                                       kfk_cb cb, void *opaque);

/* Creation options, groups' offsets, offsets by time, topic descriptions,
 * leader elections, ACLs, SCRAM credentials, configs of any resource. */

/** kfk_admin_create_topics with the broker only checking the topics:
 *  none is created. The same result; error_code 0 where the topic would
 *  be created. */
KFK_API kfk_err_t kfk_admin_validate_create_topics(kfk_client_t *c, const kfk_new_topic_t *topics,
                                                   size_t n, int timeout_ms, kfk_cb cb, void *opaque);
/** kfk_admin_create_topics with the partitions placed: topic i takes the
 *  next num_partitions * replication_factor node ids of replicas (both
 *  counts above 0), replication_factor ids per partition, leader first;
 *  n_replicas is the sum. With validate_only the broker checks the topics
 *  and creates none. The same result. */
KFK_API kfk_err_t kfk_admin_create_topics_placed(kfk_client_t *c, const kfk_new_topic_t *topics,
                                                 size_t n, const int32_t *replicas, size_t n_replicas,
                                                 int validate_only, int timeout_ms, kfk_cb cb,
                                                 void *opaque);
/** kfk_admin_create_partitions with the broker only checking the change:
 *  RESULT (result NULL), err the refusal it would get. */
KFK_API kfk_err_t kfk_admin_validate_create_partitions(kfk_client_t *c, const char *topic,
                                                       int32_t total_partitions, int timeout_ms,
                                                       kfk_cb cb, void *opaque);
/** kfk_admin_create_partitions with the new partitions placed: each takes
 *  the next replicas_per_partition node ids of replicas, leader first
 *  (n_replicas a multiple of it, one group per new partition). With
 *  validate_only the broker checks the change and makes none. */
KFK_API kfk_err_t kfk_admin_create_partitions_placed(kfk_client_t *c, const char *topic,
                                                     int32_t total_partitions, const int32_t *replicas,
                                                     size_t n_replicas, int replicas_per_partition,
                                                     int validate_only, int timeout_ms, kfk_cb cb,
                                                     void *opaque);
/** kfk_admin_describe_cluster, with authorized_operations: the operations
 *  the client may perform on the cluster ("alter", "describe_configs"...).
 *  Result: {cluster_id, controller_id, brokers => [{node_id, host, port,
 *  rack}], authorized_operations => [...]}. */
KFK_API kfk_err_t kfk_admin_describe_cluster_operations(kfk_client_t *c, kfk_cb cb, void *opaque);
/** kfk_admin_describe_groups, each group with authorized_operations: the
 *  operations the client may perform on it ("read", "describe",
 *  "delete"). */
KFK_API kfk_err_t kfk_admin_describe_groups_operations(kfk_client_t *c, const char *const *groups,
                                                       size_t n, kfk_cb cb, void *opaque);
/** Set group_id's committed offsets: tps[i].offset (>= 0), leader_epoch
 *  and metadata per partition, committed from outside the group; the
 *  broker refuses it while the group has members (UNKNOWN_MEMBER_ID, 25).
 *  Result: {partitions => [{topic, partition, error_code}]}. */
KFK_API kfk_err_t kfk_admin_alter_group_offsets(kfk_client_t *c, const char *group_id,
                                                const kfk_topic_partition_t *tps, size_t n,
                                                kfk_cb cb, void *opaque);
/** Ask each partition's leader for an offset: tps[i].offset is
 *  KFK_OFFSET_LATEST, KFK_OFFSET_EARLIEST, -3 (the record with the largest
 *  timestamp) or a timestamp in ms (the first offset at or after it).
 *  isolation_level 1 reads committed. Result: {partitions => [{topic,
 *  partition, error_code, offset, timestamp, leader_epoch}]} in the order
 *  given; offset -1 when no record qualifies. Like every kfk_admin_ call
 *  it creates no topic: a missing one's partitions have error_code 3
 *  (UNKNOWN_TOPIC_OR_PARTITION). */
KFK_API kfk_err_t kfk_admin_list_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n,
                                         int isolation_level, kfk_cb cb, void *opaque);
/** Describe topics (creating none). Result: {brokers => [{node_id, host,
 *  port, rack}], topics => [{name, topic_id (16 bytes), error_code,
 *  is_internal, partitions => [{partition, leader, replicas, isr}],
 *  authorized_operations}]}; authorized_operations lists the operations
 *  the client may perform ("read", "describe_configs"...) when
 *  include_authorized_operations is non-zero, else is null. */
KFK_API kfk_err_t kfk_admin_describe_topics(kfk_client_t *c, const char *const *topics, size_t n,
                                            int include_authorized_operations, kfk_cb cb,
                                            void *opaque);
/** Elect leaders of tps (n = 0: every partition): election_type 0 the
 *  preferred replica, 1 any replica (unclean). Result: {partitions =>
 *  [{topic, partition, error_code, error_message}]}; ELECTION_NOT_NEEDED
 *  (84) where the wanted leader leads already. */
KFK_API kfk_err_t kfk_admin_elect_leaders(kfk_client_t *c, int election_type,
                                          const kfk_topic_partition_t *tps, size_t n, int timeout_ms,
                                          kfk_cb cb, void *opaque);
/* ACLs: an ACL is 7 strings: resource type ("topic", "group", "cluster",
 * "transactional_id", "delegation_token", "user"), resource name, pattern
 * type ("literal", "prefixed"), principal ("User:alice"), host ("*"),
 * operation ("read", "write", "describe_configs"...) and permission type
 * ("allow", "deny"); names in any case. A filter may also use "any" for
 * the enums, "match" for the pattern type, and NULL for name, principal
 * and host (any). A broker without an authorizer answers
 * SECURITY_DISABLED (54). */
/** Create n ACLs (acls holds 7 * n strings). Result: {results =>
 *  [{error_code, error_message}]}, one per ACL. */
KFK_API kfk_err_t kfk_admin_create_acls(kfk_client_t *c, const char *const *acls, size_t n, kfk_cb cb,
                                        void *opaque);
/** The ACLs matching filter (7 strings). Result: {acls =>
 *  [{resource_type, resource_name, pattern_type, principal, host,
 *  operation, permission_type}]} (names in lower case); the broker's
 *  refusal is the event's err. */
KFK_API kfk_err_t kfk_admin_describe_acls(kfk_client_t *c, const char *const *filter, kfk_cb cb,
                                          void *opaque);
/** Delete the ACLs matching each of n filters (7 * n strings). Result:
 *  {results => [{error_code, error_message, acls => [an ACL as
 *  kfk_admin_describe_acls gives it, with error_code, error_message]}]},
 *  one per filter. */
KFK_API kfk_err_t kfk_admin_delete_acls(kfk_client_t *c, const char *const *filters, size_t n,
                                        kfk_cb cb, void *opaque);
/** The SCRAM credentials of users (n = 0: every user having some).
 *  Result: {users => [{user, error_code, error_message, credentials =>
 *  [{mechanism, iterations}]}]}, mechanism "SCRAM-SHA-256" or
 *  "SCRAM-SHA-512"; RESOURCE_NOT_FOUND (91) for a user without any. */
KFK_API kfk_err_t kfk_admin_describe_user_scram_credentials(kfk_client_t *c,
                                                            const char *const *users, size_t n,
                                                            kfk_cb cb, void *opaque);
/** A change to a user's SCRAM credential: with a password, set it (the
 *  library salts and hashes the password; only the salted password is
 *  sent), with password NULL, delete the credential of mechanism. */
typedef struct kfk_scram_credential {
    const char *user;
    int32_t mechanism;          /* 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 */
    int32_t iterations;         /* 4096..16384; unused when deleting */
    const void *password;       /* NULL: delete */
    size_t password_len;
    const void *salt;           /* NULL: random */
    size_t salt_len;
} kfk_scram_credential_t;

/** Set and delete SCRAM credentials (the broker takes one change per user
 *  and call). Result: {users => [{user, error_code, error_message}]}; the
 *  event's err names iterations outside 4096..16384. */
KFK_API kfk_err_t kfk_admin_alter_user_scram_credentials(kfk_client_t *c,
                                                         const kfk_scram_credential_t *creds,
                                                         size_t n, kfk_cb cb, void *opaque);
/** Every config of each resource: resources holds n pairs of resource
 *  type ("topic", "broker", "broker_logger", "client_metrics", "group")
 *  and name (a broker by its node id; "" for the cluster-wide broker
 *  default). Result: {resources => [{type, name, error_code,
 *  error_message, configs => {key => {value, source, read_only,
 *  sensitive}}}]} in the order given. */
KFK_API kfk_err_t kfk_admin_describe_configs(kfk_client_t *c, const char *const *resources, size_t n,
                                             kfk_cb cb, void *opaque);
/** Change configs: ops holds n changes of 5 strings: resource type,
 *  resource name (as kfk_admin_describe_configs), operation ("set",
 *  "delete", "append", "subtract"), config name, value (NULL for delete).
 *  With validate_only the broker checks and changes nothing. Result:
 *  {resources => [{type, name, error_code, error_message}]}, one per
 *  resource in the order first named. */
KFK_API kfk_err_t kfk_admin_incremental_alter_configs(kfk_client_t *c, const char *const *ops,
                                                      size_t n, int validate_only, kfk_cb cb,
                                                      void *opaque);

#ifdef __cplusplus
}
#endif
#endif /* KFK_H */
