/*
 * The public entry points of libkfk. Each one first refuses to run in a
 * child of fork() — the Go runtime does not survive fork, and entering it
 * there can hang — then converts handles to the integers the Go side uses
 * and calls the matching kfkgo_* export. Compiling this file against both
 * kfk.h and the cgo-generated _cgo_export.h is what keeps the hand-written
 * header and the Go exports in agreement: a mismatch does not compile.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "kfk.h"
#include "shim.h"
#include "stage.h"
#include "abi_layout.h" /* the structs' layouts, pinned */
#include "_cgo_export.h"

static volatile int kfk__forked;
static __thread int kfk__in_callback;
/* The queue this thread is serving in kfk_poll*: its callbacks may not
 * destroy it (the poll holds it), but may destroy any other queue. */
static __thread kfk_queue_t *kfk__serving;

static void kfk__mark_child(void) { kfk__forked = 1; }

/*
 * Signals meant for the host are kept off the library's threads. A host
 * handler installed after the library loaded (Perl's %SIG, EV::signal,
 * Ruby's trap) lacks SA_ONSTACK, and running it on a Go thread's small
 * stack can corrupt memory. The Go runtime gives every thread it creates
 * the signal mask of its first thread, which inherits the mask of the
 * thread that loads the library. So the loading thread blocks the host's
 * signals just before the runtime starts (a prioritised constructor runs
 * before the runtime's, which sits in the plain .init_array) and gets its
 * own mask back just after (plain constructors run in link order, the Go
 * runtime's first). Signals the runtime needs stay open: the synchronous
 * ones, SIGPIPE, and SIGURG for preemption.
 */
static sigset_t kfk__loader_mask;

__attribute__((constructor(101))) static void kfk__block_host_signals(void) {
    sigset_t host;
    sigfillset(&host);
    int keep[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, SIGPIPE, SIGURG};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        sigdelset(&host, keep[i]);
    pthread_sigmask(SIG_BLOCK, &host, &kfk__loader_mask);
}

__attribute__((constructor)) static void kfk__after_runtime_start(void) {
    pthread_sigmask(SIG_SETMASK, &kfk__loader_mask, NULL);
    pthread_atfork(NULL, NULL, kfk__mark_child);
}

void kfk__invoke_many(const kfk__call_t *calls, size_t n) {
    kfk__in_callback++;
    for (size_t i = 0; i < n; i++)
        ((kfk_cb)calls[i].cb)(calls[i].ev, calls[i].ev->opaque);
    kfk__in_callback--;
}

#define GUARD(value) do { if (kfk__forked) return (value); } while (0)
#define H(handle) ((uint64_t)(uintptr_t)(handle))
#define U(ptr) ((uintptr_t)(ptr))
#define STRS(p) ((char **)(uintptr_t)(p))

/* ---- version, errors, utilities ---------------------------------- */

int kfk_version(void) { return KFK_VERSION; }
const char *kfk_version_str(void) { return KFK_VERSION_STR; }

const char *kfk_err_name(kfk_err_t err) {
    GUARD("KFK_ERR_FORKED");
    return kfkgo_err_name(err);
}

const char *kfk_err_string(kfk_err_t err) {
    GUARD("libkfk cannot be used in a child of fork()");
    return kfkgo_err_string(err);
}

int kfk_err_retriable(kfk_err_t err) {
    GUARD(0);
    return kfkgo_err_retriable(err);
}

size_t kfk_err_codes(kfk_err_t *codes, size_t n) {
    GUARD(0);
    return kfkgo_err_codes(codes, n);
}

int32_t kfk_murmur2(const void *data, size_t len) {
    GUARD(-1);
    return kfkgo_murmur2((void *)data, len);
}

uint32_t kfk_crc32c(const void *data, size_t len) {
    GUARD(0);
    return kfkgo_crc32c((void *)data, len);
}

const kfk_val_t *kfk_val_get(const kfk_val_t *map, const char *key) {
    if (!map || !key || map->type != KFK_VAL_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const kfk_val_t *k = &map->items[2 * i];
        if (k->n == klen && memcmp(k->s, key, klen) == 0)
            return &map->items[2 * i + 1];
    }
    return NULL;
}

const kfk_val_t *kfk_val_at(const kfk_val_t *list, size_t idx) {
    if (!list || list->type != KFK_VAL_LIST || idx >= list->n)
        return NULL;
    return &list->items[idx];
}

void kfk_produce_opts_init(kfk_produce_opts_t *o) {
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->acks = 1;
    o->timeout_ms = 30000;
    o->producer_id = -1;
    o->producer_epoch = -1;
    o->base_sequence = -1;
}

void kfk_fetch_opts_init(kfk_fetch_opts_t *o) {
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->max_bytes = 1048576;
    o->max_wait_ms = 500;
    o->min_bytes = 1;
}

/* ---- queues -------------------------------------------------------- */

kfk_err_t kfk_queue_new(kfk_queue_t **out) {
    GUARD(KFK_ERR_FORKED);
    if (!out)
        return KFK_ERR_INVALID_ARG;
    uint64_t h = 0;
    kfk_err_t rc = kfkgo_queue_new(&h);
    *out = rc == KFK_OK ? (kfk_queue_t *)(uintptr_t)h : NULL;
    return rc;
}

kfk_err_t kfk_queue_destroy(kfk_queue_t *q) {
    GUARD(KFK_ERR_FORKED);
    if (kfk__in_callback && q == kfk__serving)
        return KFK_ERR_REENTRANT;
    return kfkgo_queue_destroy(H(q));
}

int kfk_queue_fd(kfk_queue_t *q) {
    GUARD(-1);
    return kfkgo_queue_fd(H(q));
}

int kfk_poll(kfk_queue_t *q, int timeout_ms, int max_events) {
    GUARD(KFK_ERR_FORKED);
    if (kfk__in_callback)
        return KFK_ERR_REENTRANT;
    kfk__serving = q;
    int n = kfkgo_poll(H(q), timeout_ms, max_events);
    kfk__serving = NULL;
    return n;
}

int kfk_poll_batch(kfk_queue_t *q, kfk_event_t *out, int max, int timeout_ms) {
    GUARD(KFK_ERR_FORKED);
    if (kfk__in_callback)
        return KFK_ERR_REENTRANT;
    kfk__serving = q;
    int n = kfkgo_poll_batch(H(q), out, max, timeout_ms);
    kfk__serving = NULL;
    return n;
}

kfk_err_t kfk_wake(kfk_queue_t *q) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_wake(H(q));
}

kfk_err_t kfk_queue_set_handler(kfk_queue_t *q, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_queue_set_handler(H(q), U(cb), U(opaque));
}

int64_t kfk_queue_length(kfk_queue_t *q) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_queue_length(H(q));
}

/* ---- connections ----------------------------------------------------- */

kfk_err_t kfk_conn_new(kfk_queue_t *q, kfk_conn_t **out) {
    GUARD(KFK_ERR_FORKED);
    if (!out)
        return KFK_ERR_INVALID_ARG;
    uint64_t h = 0;
    kfk_err_t rc = kfkgo_conn_new(H(q), &h);
    *out = rc == KFK_OK ? (kfk_conn_t *)(uintptr_t)h : NULL;
    return rc;
}

kfk_err_t kfk_conn_destroy(kfk_conn_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_destroy(H(c));
}

kfk_err_t kfk_conn_set_event_handler(kfk_conn_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_event_handler(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_conn_set_client_id(kfk_conn_t *c, const char *client_id) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_client_id(H(c), (char *)client_id);
}

kfk_err_t kfk_conn_set_tls(kfk_conn_t *c, int enable, const char *ca_file, int skip_verify,
                           const char *server_name) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_tls(H(c), enable, (char *)ca_file, skip_verify, (char *)server_name);
}

kfk_err_t kfk_conn_set_sasl(kfk_conn_t *c, const char *mechanism, const char *username,
                            const char *password) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_sasl(H(c), (char *)mechanism, (char *)username, (char *)password);
}

kfk_err_t kfk_conn_set_kerberos(kfk_conn_t *c, const char *service_name, const char *keytab,
                                const char *config_file) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_kerberos(H(c), (char *)service_name, (char *)keytab, (char *)config_file);
}

kfk_err_t kfk_conn_set_auto_reconnect(kfk_conn_t *c, int enable, int delay_ms) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_auto_reconnect(H(c), enable, delay_ms);
}

kfk_err_t kfk_conn_set_request_timeout(kfk_conn_t *c, int timeout_ms) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_set_request_timeout(H(c), timeout_ms);
}

kfk_err_t kfk_conn_connect(kfk_conn_t *c, const char *host, int port, int timeout_ms) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_connect(H(c), (char *)host, port, timeout_ms);
}

kfk_err_t kfk_conn_disconnect(kfk_conn_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_disconnect(H(c));
}

int kfk_conn_connected(kfk_conn_t *c) {
    GUARD(KFK_ERR_FORKED);
    int st = kfkgo_conn_state(H(c));
    return st < 0 ? st : st == KFK_CONN_READY;
}

int kfk_conn_state(kfk_conn_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_state(H(c));
}

int64_t kfk_conn_pending(kfk_conn_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_pending(H(c));
}

int kfk_conn_api_versions(kfk_conn_t *c, int16_t *max_versions, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_api_versions(H(c), max_versions, n);
}

kfk_err_t kfk_conn_metadata(kfk_conn_t *c, const char *const *topics, int n, kfk_cb cb,
                            void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_metadata(H(c), STRS(topics), n, U(cb), U(opaque));
}

kfk_err_t kfk_conn_produce_batch(kfk_conn_t *c, const char *topic, int32_t partition,
                                 const kfk_record_t *records, size_t n,
                                 const kfk_produce_opts_t *opts, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    kfk_produce_opts_t defaults;
    if (!opts) {
        kfk_produce_opts_init(&defaults);
        opts = &defaults;
    }
    return kfkgo_conn_produce_batch(H(c), (char *)topic, partition, (kfk_record_t *)records, n,
                                    (kfk_produce_opts_t *)opts, U(cb), U(opaque));
}

kfk_err_t kfk_conn_fetch(kfk_conn_t *c, const kfk_topic_partition_t *tps, size_t n,
                         const kfk_fetch_opts_t *opts, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    kfk_fetch_opts_t defaults;
    if (!opts) {
        kfk_fetch_opts_init(&defaults);
        opts = &defaults;
    }
    return kfkgo_conn_fetch(H(c), (kfk_topic_partition_t *)tps, n, (kfk_fetch_opts_t *)opts,
                            U(cb), U(opaque));
}

kfk_err_t kfk_conn_list_offsets(kfk_conn_t *c, const char *topic, int32_t partition,
                                int64_t timestamp, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_list_offsets(H(c), (char *)topic, partition, timestamp, U(cb), U(opaque));
}

kfk_err_t kfk_conn_find_coordinator(kfk_conn_t *c, const char *key, int key_type, kfk_cb cb,
                                    void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_find_coordinator(H(c), (char *)key, key_type, U(cb), U(opaque));
}

kfk_err_t kfk_conn_join_group(kfk_conn_t *c, const char *group_id, const char *member_id,
                              const char *const *topics, size_t n_topics, int session_timeout_ms,
                              int rebalance_timeout_ms, const char *group_instance_id, kfk_cb cb,
                              void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_join_group(H(c), (char *)group_id, (char *)member_id, STRS(topics), n_topics,
                                 session_timeout_ms, rebalance_timeout_ms,
                                 (char *)group_instance_id, U(cb), U(opaque));
}

kfk_err_t kfk_conn_sync_group(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                              const char *member_id, const kfk_member_assignment_t *assignments,
                              size_t n, const char *group_instance_id, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_sync_group(H(c), (char *)group_id, generation_id, (char *)member_id,
                                 (kfk_member_assignment_t *)assignments, n,
                                 (char *)group_instance_id, U(cb), U(opaque));
}

kfk_err_t kfk_conn_heartbeat(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                             const char *member_id, const char *group_instance_id, kfk_cb cb,
                             void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_heartbeat(H(c), (char *)group_id, generation_id, (char *)member_id,
                                (char *)group_instance_id, U(cb), U(opaque));
}

kfk_err_t kfk_conn_leave_group(kfk_conn_t *c, const char *group_id, const char *member_id,
                               const char *group_instance_id, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_leave_group(H(c), (char *)group_id, (char *)member_id,
                                  (char *)group_instance_id, U(cb), U(opaque));
}

kfk_err_t kfk_conn_offset_commit(kfk_conn_t *c, const char *group_id, int32_t generation_id,
                                 const char *member_id, const kfk_topic_partition_t *tps, size_t n,
                                 kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_offset_commit(H(c), (char *)group_id, generation_id, (char *)member_id,
                                    (kfk_topic_partition_t *)tps, n, U(cb), U(opaque));
}

kfk_err_t kfk_conn_offset_fetch(kfk_conn_t *c, const char *group_id, const char *const *topics,
                                size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_offset_fetch(H(c), (char *)group_id, STRS(topics), n, U(cb), U(opaque));
}

kfk_err_t kfk_conn_create_topics(kfk_conn_t *c, const kfk_new_topic_t *topics, size_t n,
                                 int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_create_topics(H(c), (kfk_new_topic_t *)topics, n, timeout_ms, U(cb),
                                    U(opaque));
}

kfk_err_t kfk_conn_delete_topics(kfk_conn_t *c, const char *const *names, size_t n,
                                 int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_delete_topics(H(c), STRS(names), n, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_conn_init_producer_id(kfk_conn_t *c, const char *transactional_id,
                                    int txn_timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_init_producer_id(H(c), (char *)transactional_id, txn_timeout_ms, U(cb),
                                       U(opaque));
}

kfk_err_t kfk_conn_add_partitions_to_txn(kfk_conn_t *c, const char *transactional_id,
                                         int64_t producer_id, int16_t producer_epoch,
                                         const kfk_topic_partition_t *tps, size_t n, kfk_cb cb,
                                         void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_add_partitions_to_txn(H(c), (char *)transactional_id, producer_id,
                                            producer_epoch, (kfk_topic_partition_t *)tps, n,
                                            U(cb), U(opaque));
}

kfk_err_t kfk_conn_add_offsets_to_txn(kfk_conn_t *c, const char *transactional_id,
                                      int64_t producer_id, int16_t producer_epoch,
                                      const char *group_id, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_add_offsets_to_txn(H(c), (char *)transactional_id, producer_id,
                                         producer_epoch, (char *)group_id, U(cb), U(opaque));
}

kfk_err_t kfk_conn_end_txn(kfk_conn_t *c, const char *transactional_id, int64_t producer_id,
                           int16_t producer_epoch, int committed, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_end_txn(H(c), (char *)transactional_id, producer_id, producer_epoch,
                              committed, U(cb), U(opaque));
}

kfk_err_t kfk_conn_txn_offset_commit(kfk_conn_t *c, const char *transactional_id,
                                     const char *group_id, int64_t producer_id,
                                     int16_t producer_epoch, int32_t generation_id,
                                     const char *member_id, const kfk_topic_partition_t *tps,
                                     size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_txn_offset_commit(H(c), (char *)transactional_id, (char *)group_id,
                                        producer_id, producer_epoch, generation_id,
                                        (char *)member_id, (kfk_topic_partition_t *)tps, n,
                                        U(cb), U(opaque));
}

kfk_err_t kfk_conn_raw_request(kfk_conn_t *c, int16_t api_key, int16_t api_version,
                               const void *body, size_t len, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conn_raw_request(H(c), api_key, api_version, (void *)body, len, U(cb),
                                  U(opaque));
}

/* ---- configuration and client ------------------------------------------ */

kfk_err_t kfk_conf_new(kfk_conf_t **out) {
    GUARD(KFK_ERR_FORKED);
    if (!out)
        return KFK_ERR_INVALID_ARG;
    uint64_t h = 0;
    kfk_err_t rc = kfkgo_conf_new(&h);
    *out = rc == KFK_OK ? (kfk_conf_t *)(uintptr_t)h : NULL;
    return rc;
}

kfk_err_t kfk_conf_set(kfk_conf_t *conf, const char *key, const char *value, char *errbuf,
                       size_t errlen) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conf_set(H(conf), (char *)key, (char *)value, errbuf, errlen);
}

kfk_err_t kfk_conf_destroy(kfk_conf_t *conf) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conf_destroy(H(conf));
}

kfk_err_t kfk_conf_set_partitioner(kfk_conf_t *conf, kfk_partitioner_fn fn, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_conf_set_partitioner(H(conf), fn, opaque);
}

kfk_err_t kfk_client_new(kfk_queue_t *q, const kfk_conf_t *conf, kfk_client_t **out, char *errbuf,
                         size_t errlen) {
    GUARD(KFK_ERR_FORKED);
    if (!out)
        return KFK_ERR_INVALID_ARG;
    uint64_t h = 0;
    kfk_err_t rc = kfkgo_client_new(H(q), H(conf), &h, errbuf, errlen);
    *out = rc == KFK_OK ? (kfk_client_t *)(uintptr_t)h : NULL;
    return rc;
}

kfk_err_t kfk_client_set_event_handler(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_set_event_handler(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_client_connect(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_connect(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_client_metadata(kfk_client_t *c, const char *const *topics, size_t n, kfk_cb cb,
                              void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_metadata(H(c), STRS(topics), n, U(cb), U(opaque));
}

int32_t kfk_client_partition_count(kfk_client_t *c, const char *topic) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_partition_count(H(c), (char *)topic);
}

kfk_err_t kfk_client_producer_id(kfk_client_t *c, int64_t *producer_id, int16_t *producer_epoch) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_producer_id(H(c), producer_id, producer_epoch);
}

kfk_err_t kfk_produce(kfk_client_t *c, const kfk_message_t *msg, kfk_cb cb) {
    GUARD(KFK_ERR_FORKED);
    if (kfk__stage_put(H(c), msg, cb))
        return KFK_OK;
    return kfkgo_produce(H(c), (kfk_message_t *)msg, U(cb));
}

kfk_err_t kfk_produce_batch(kfk_client_t *c, const kfk_message_t *msgs, size_t n, kfk_cb cb,
                            size_t *accepted) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_produce_batch(H(c), (kfk_message_t *)msgs, n, U(cb), accepted);
}

kfk_err_t kfk_produce_many(kfk_client_t *c, const kfk_message_t *msgs, size_t n, kfk_cb cb,
                           void *opaque, size_t *accepted) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_produce_many(H(c), (kfk_message_t *)msgs, n, U(cb), U(opaque), accepted);
}

kfk_err_t kfk_produce_values(kfk_client_t *c, const char *topic, int32_t partition, const void *values,
                             const int32_t *value_lens, const void *keys, const int32_t *key_lens, size_t n,
                             const kfk_header_t *headers, size_t header_count, kfk_cb cb, void *opaque,
                             size_t *accepted) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_produce_values(H(c), (char *)topic, partition, (void *)values, (int32_t *)value_lens,
                                (void *)keys, (int32_t *)key_lens, n, (kfk_header_t *)headers, header_count,
                                U(cb), U(opaque), accepted);
}

kfk_err_t kfk_oauthbearer_set_token(kfk_client_t *c, const char *token, int64_t expires_at_ms,
                                    const char *principal, const char *const *extensions, size_t n_extensions,
                                    char *errbuf, size_t errlen) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_oauthbearer_set_token(H(c), (char *)token, expires_at_ms, (char *)principal, STRS(extensions),
                                       n_extensions, errbuf, errlen);
}

kfk_err_t kfk_oauthbearer_set_token_failure(kfk_client_t *c, const char *reason) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_oauthbearer_set_token_failure(H(c), (char *)reason);
}

kfk_err_t kfk_client_set_sasl_credentials(kfk_client_t *c, const char *username, const char *password) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_set_sasl_credentials(H(c), (char *)username, (char *)password);
}

kfk_err_t kfk_flush(kfk_client_t *c, int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_flush(H(c), timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_purge(kfk_client_t *c, int flags, size_t *purged) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_purge(H(c), flags, purged);
}

kfk_err_t kfk_client_close(kfk_client_t *c, int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_close(H(c), timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_client_destroy(kfk_client_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_client_destroy(H(c));
}

kfk_err_t kfk_assign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_assign(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_seek(kfk_client_t *c, const char *topic, int32_t partition, int64_t offset, kfk_cb cb,
                   void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_seek(H(c), (char *)topic, partition, offset, U(cb), U(opaque));
}

kfk_err_t kfk_incremental_assign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_incremental_assign(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_incremental_unassign(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_incremental_unassign(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_pause(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_pause(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_resume(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_resume(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_consume(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_consume(H(c), 0, U(cb), U(opaque));
}

kfk_err_t kfk_consume_max(kfk_client_t *c, size_t max, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_consume(H(c), max, U(cb), U(opaque));
}

kfk_err_t kfk_offsets_for(kfk_client_t *c, const char *topic, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_offsets_for(H(c), (char *)topic, U(cb), U(opaque));
}

kfk_err_t kfk_lag(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_lag(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_subscribe(kfk_client_t *c, const char *const *topics, size_t n_topics,
                        const char *const *options, size_t n_options, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_subscribe(H(c), STRS(topics), n_topics, STRS(options), n_options, U(cb), U(opaque));
}

kfk_err_t kfk_commit(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_commit(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_store_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_store_offsets(H(c), (kfk_topic_partition_t *)tps, n);
}

kfk_err_t kfk_commit_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n, kfk_cb cb,
                             void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_commit_offsets(H(c), (kfk_topic_partition_t *)tps, n, U(cb), U(opaque));
}

kfk_err_t kfk_group_member_id(kfk_client_t *c, char *buf, size_t size) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_group_member_id(H(c), buf, size);
}

kfk_err_t kfk_revoke_done(kfk_client_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_revoke_done(H(c));
}

kfk_err_t kfk_unsubscribe(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_unsubscribe(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_share_subscribe(kfk_client_t *c, const char *const *topics, size_t n_topics,
                              const char *const *options, size_t n_options) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_share_subscribe(H(c), STRS(topics), n_topics, STRS(options), n_options);
}

kfk_err_t kfk_share_consume(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_share_consume(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_share_acknowledge(kfk_client_t *c, const char *topic, int32_t partition,
                                int64_t offset, int type) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_share_acknowledge(H(c), (char *)topic, partition, offset, type);
}

kfk_err_t kfk_share_commit(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_share_commit(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_share_unsubscribe(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_share_unsubscribe(H(c), U(cb), U(opaque));
}

/* A plain read of the message: no library state, so no fork guard (as
 * kfk_version). */
int32_t kfk_message_delivery_count(const kfk_message_t *msg) {
    return msg ? msg->reserved : KFK_ERR_INVALID_ARG;
}

kfk_err_t kfk_txn_begin(kfk_client_t *c) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_txn_begin(H(c));
}

kfk_err_t kfk_txn_send_offsets(kfk_client_t *c, const char *group_id,
                               const kfk_topic_partition_t *tps, size_t n, kfk_cb cb,
                               void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_txn_send_offsets(H(c), (char *)group_id, (kfk_topic_partition_t *)tps, n, U(cb),
                                  U(opaque));
}

kfk_err_t kfk_txn_commit(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_txn_commit(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_txn_abort(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_txn_abort(H(c), U(cb), U(opaque));
}

/* ---- admin ---- */

kfk_err_t kfk_admin_create_topics(kfk_client_t *c, const kfk_new_topic_t *topics, size_t n, int timeout_ms,
                                  kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_create_topics(H(c), (kfk_new_topic_t *)topics, n, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_delete_topics(kfk_client_t *c, const char *const *names, size_t n, int timeout_ms,
                                  kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_delete_topics(H(c), (char **)names, n, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_cluster(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_cluster(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_admin_list_groups(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_list_groups(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_groups(kfk_client_t *c, const char *const *groups, size_t n, kfk_cb cb,
                                    void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_groups(H(c), (char **)groups, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_topic_configs(kfk_client_t *c, const char *const *topics, size_t n, kfk_cb cb,
                                           void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_topic_configs(H(c), (char **)topics, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_alter_topic_configs(kfk_client_t *c, const char *topic, const char *const *kv,
                                        size_t n_pairs, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_alter_topic_configs(H(c), (char *)topic, (char **)kv, n_pairs, U(cb), U(opaque));
}

kfk_err_t kfk_admin_create_partitions(kfk_client_t *c, const char *topic, int32_t total_partitions,
                                      int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_create_partitions(H(c), (char *)topic, total_partitions, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_delete_records(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n,
                                   int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_delete_records(H(c), (kfk_topic_partition_t *)tps, n, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_group_lag(kfk_client_t *c, const char *group_id, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_group_lag(H(c), (char *)group_id, U(cb), U(opaque));
}

kfk_err_t kfk_admin_list_share_groups(kfk_client_t *c, const char *const *states, size_t n, kfk_cb cb,
                                      void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_list_share_groups(H(c), (char **)states, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_share_groups(kfk_client_t *c, const char *const *groups, size_t n, kfk_cb cb,
                                          void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_share_groups(H(c), (char **)groups, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_share_group_offsets(kfk_client_t *c, const char *group_id, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_share_group_offsets(H(c), (char *)group_id, U(cb), U(opaque));
}

kfk_err_t kfk_admin_alter_share_group_offsets(kfk_client_t *c, const char *group_id,
                                              const kfk_topic_partition_t *tps, size_t n, kfk_cb cb,
                                              void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_alter_share_group_offsets(H(c), (char *)group_id, (kfk_topic_partition_t *)tps, n, U(cb),
                                                 U(opaque));
}

kfk_err_t kfk_admin_delete_share_group_offsets(kfk_client_t *c, const char *group_id,
                                               const char *const *topics, size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_delete_share_group_offsets(H(c), (char *)group_id, (char **)topics, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_delete_groups(kfk_client_t *c, const char *const *groups, size_t n, kfk_cb cb,
                                  void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_delete_groups(H(c), (char **)groups, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_validate_create_topics(kfk_client_t *c, const kfk_new_topic_t *topics, size_t n, int timeout_ms,
                                           kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_validate_create_topics(H(c), (kfk_new_topic_t *)topics, n, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_validate_create_partitions(kfk_client_t *c, const char *topic, int32_t total_partitions,
                                               int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_validate_create_partitions(H(c), (char *)topic, total_partitions, timeout_ms, U(cb),
                                                  U(opaque));
}

kfk_err_t kfk_admin_create_topics_placed(kfk_client_t *c, const kfk_new_topic_t *topics, size_t n,
                                         const int32_t *replicas, size_t n_replicas, int validate_only, int timeout_ms,
                                         kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_create_topics_placed(H(c), (kfk_new_topic_t *)topics, n, (int32_t *)replicas, n_replicas,
                                            validate_only, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_create_partitions_placed(kfk_client_t *c, const char *topic, int32_t total_partitions,
                                             const int32_t *replicas, size_t n_replicas, int replicas_per_partition,
                                             int validate_only, int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_create_partitions_placed(H(c), (char *)topic, total_partitions, (int32_t *)replicas, n_replicas,
                                                replicas_per_partition, validate_only, timeout_ms, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_cluster_operations(kfk_client_t *c, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_cluster_operations(H(c), U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_groups_operations(kfk_client_t *c, const char *const *groups, size_t n, kfk_cb cb,
                                               void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_groups_operations(H(c), (char **)groups, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_alter_group_offsets(kfk_client_t *c, const char *group_id, const kfk_topic_partition_t *tps,
                                        size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_alter_group_offsets(H(c), (char *)group_id, (kfk_topic_partition_t *)tps, n, U(cb),
                                           U(opaque));
}

kfk_err_t kfk_admin_list_offsets(kfk_client_t *c, const kfk_topic_partition_t *tps, size_t n, int isolation_level,
                                 kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_list_offsets(H(c), (kfk_topic_partition_t *)tps, n, isolation_level, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_topics(kfk_client_t *c, const char *const *topics, size_t n,
                                    int include_authorized_operations, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_topics(H(c), (char **)topics, n, include_authorized_operations, U(cb), U(opaque));
}

kfk_err_t kfk_admin_elect_leaders(kfk_client_t *c, int election_type, const kfk_topic_partition_t *tps, size_t n,
                                  int timeout_ms, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_elect_leaders(H(c), election_type, (kfk_topic_partition_t *)tps, n, timeout_ms, U(cb),
                                     U(opaque));
}

kfk_err_t kfk_admin_create_acls(kfk_client_t *c, const char *const *acls, size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_create_acls(H(c), (char **)acls, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_acls(kfk_client_t *c, const char *const *filter, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_acls(H(c), (char **)filter, U(cb), U(opaque));
}

kfk_err_t kfk_admin_delete_acls(kfk_client_t *c, const char *const *filters, size_t n, kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_delete_acls(H(c), (char **)filters, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_user_scram_credentials(kfk_client_t *c, const char *const *users, size_t n,
                                                    kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_user_scram_credentials(H(c), (char **)users, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_alter_user_scram_credentials(kfk_client_t *c, const kfk_scram_credential_t *creds, size_t n,
                                                 kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_alter_user_scram_credentials(H(c), (kfk_scram_credential_t *)creds, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_describe_configs(kfk_client_t *c, const char *const *resources, size_t n, kfk_cb cb,
                                     void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_describe_configs(H(c), (char **)resources, n, U(cb), U(opaque));
}

kfk_err_t kfk_admin_incremental_alter_configs(kfk_client_t *c, const char *const *ops, size_t n, int validate_only,
                                              kfk_cb cb, void *opaque) {
    GUARD(KFK_ERR_FORKED);
    return kfkgo_admin_incremental_alter_configs(H(c), (char **)ops, n, validate_only, U(cb), U(opaque));
}
