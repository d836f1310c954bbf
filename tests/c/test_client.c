/* The cluster client and producer through the C ABI, against a real
 * broker: configuration errors, connect, produce with delivery reports,
 * batch produce, flush, queue full, close; and bad handles. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void test_config_errors(void) {
    kfk_conf_t *conf;
    char err[256] = "";
    CHECK_EQ_INT(kfk_conf_new(&conf), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "linger.ms", "10", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "acks", "7", err, sizeof err), KFK_ERR_CONFIG);
    CHECK(strstr(err, "acks") != NULL);
    CHECK_EQ_INT(kfk_conf_set(conf, "no.such.key", "1", err, sizeof err), KFK_ERR_CONFIG);
    CHECK_EQ_INT(kfk_conf_set_partitioner(NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conf_set_partitioner(conf, NULL, NULL), KFK_OK);
    CHECK(strstr(err, "no.such.key") != NULL);
    CHECK_EQ_INT(kfk_conf_set(conf, "compression", "brotli", NULL, 0), KFK_ERR_CONFIG);
    CHECK_EQ_INT(kfk_conf_set(conf, NULL, "x", err, sizeof err), KFK_ERR_INVALID_ARG);
    char tiny[4];
    CHECK_EQ_INT(kfk_conf_set(conf, "batch_size", "huge", tiny, sizeof tiny), KFK_ERR_CONFIG);
    CHECK_EQ_INT(strlen(tiny), 3); /* truncated, NUL-terminated */
    /* a combination that cannot work is refused when the client is built */
    CHECK_EQ_INT(kfk_conf_set(conf, "idempotent", "1", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "acks", "1", err, sizeof err), KFK_OK);
    kfk_queue_t *q;
    kfk_client_t *c = (kfk_client_t *)1;
    kfk_queue_new(&q);
    CHECK_EQ_INT(kfk_client_new(q, conf, &c, err, sizeof err), KFK_ERR_CONFIG);
    CHECK(c == NULL);
    CHECK(strstr(err, "acks") != NULL);
    CHECK_EQ_INT(kfk_conf_destroy(conf), KFK_OK);
    CHECK_EQ_INT(kfk_conf_destroy(conf), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conf_set(conf, "acks", "1", err, sizeof err), KFK_ERR_INVALID_HANDLE);
    kfk_queue_destroy(q);
}

static void test_bad_client_handles(void) {
    kfk_client_t *bad[] = {NULL, (kfk_client_t *)(uintptr_t)0xfeedfacecafeULL};
    kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1};
    for (int i = 0; i < 2; i++) {
        kfk_client_t *c = bad[i];
        CHECK_EQ_INT(kfk_client_set_event_handler(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_connect(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_partition_count(c, "t"), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_metadata(c, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_produce(c, &m, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_produce_batch(c, &m, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_produce_many(c, &m, 1, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_produce_values(c, "t", -1, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL),
                     KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_describe_cluster(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_list_groups(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_group_lag(c, "g", NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_delete_groups(c, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_describe_cluster_operations(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_list_offsets(c, NULL, 0, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_describe_acls(c, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_alter_user_scram_credentials(c, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_flush(c, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_purge(c, KFK_PURGE_QUEUE, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_set_sasl_credentials(c, "u", "p"), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_close(c, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_assign(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_seek(c, "t", 0, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_consume(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_consume_max(c, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_offsets_for(c, "t", NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_lag(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_subscribe(c, NULL, 0, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_commit(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_commit_offsets(c, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_store_offsets(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_pause(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_resume(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_incremental_assign(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_incremental_unassign(c, NULL, 0), KFK_ERR_INVALID_HANDLE);
        char member[8];
        CHECK_EQ_INT(kfk_group_member_id(c, member, sizeof member), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_revoke_done(c), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_unsubscribe(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_txn_begin(c), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_txn_send_offsets(c, "g", NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_txn_commit(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_txn_abort(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_destroy(c), KFK_ERR_INVALID_HANDLE);
    }
}

static kfk_queue_t *q;
static kfk_client_t *client;
static int connected;
static long delivered, delivery_errors;
static long long offsets_sum;
static int64_t first_delivery_timestamp = -1;

static void on_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    if (ev->err)
        fprintf(stderr, "  connect: %s\n", ev->errstr);
    CHECK(ev->err || kt_int(ev->result, "brokers.0.port") > 0);
    connected = ev->err ? -1 : 1;
}

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_DELIVERY);
    CHECK(ev->msg != NULL);
    if (ev->err) {
        delivery_errors++;
        return;
    }
    CHECK(ev->msg->offset >= 0 && ev->msg->partition >= 0 && ev->msg->topic != NULL);
    CHECK(ev->msg->opaque == (void *)0x5151);
    CHECK_EQ_INT(ev->msg->timestamp_type, KFK_TIMESTAMP_CREATE_TIME);
    if (ev->msg->offset == 0)
        first_delivery_timestamp = ev->msg->timestamp;
    offsets_sum += ev->msg->offset;
    delivered++;
}

static kfk_partitioner_fn use_partitioner; /* set on the next client's conf */
static int partitioner_tag;

static void connect_client(const char *extra_key, const char *extra_value) {
    char err[256];
    kfk_conf_t *conf = kt_conf();
    CHECK(conf != NULL);
    if (extra_key)
        CHECK_EQ_INT(kfk_conf_set(conf, extra_key, extra_value, err, sizeof err), KFK_OK);
    if (use_partitioner)
        CHECK_EQ_INT(kfk_conf_set_partitioner(conf, use_partitioner, &partitioner_tag), KFK_OK);
    kfk_queue_new(&q);
    CHECK_EQ_INT(kfk_client_new(q, conf, &client, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    connected = 0;
    CHECK_EQ_INT(kfk_client_connect(client, on_connect, NULL), KFK_OK);
    CHECK(kt_wait(q, &connected, 15000));
    CHECK_EQ_INT(connected, 1);
}

static int closed;
static void on_closed(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    closed = 1;
}

static void close_client(void) {
    closed = 0;
    CHECK_EQ_INT(kfk_client_close(client, 10000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 15000));
    kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1};
    CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_ERR_CLOSED);
    CHECK_EQ_INT(kfk_client_destroy(client), KFK_OK);
    CHECK_EQ_INT(kfk_poll(q, 0, 0) >= 0, 1);
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_OK);
}

static void test_produce_and_flush(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cclient");
    connect_client("compression", "zstd");
    delivered = delivery_errors = offsets_sum = 0;
    enum { N = 5000 };
    kfk_header_t h = {"h", 1, "v", 1};
    for (int i = 0; i < N / 2; i++) {
        kfk_message_t m = {.topic = topic, .partition = -1, .timestamp = -1, .key = "k", .key_len = 1,
                           .value = &i, .value_len = sizeof i, .headers = &h, .header_count = 1,
                           .opaque = (void *)0x5151};
        CHECK_EQ_INT(kfk_produce(client, &m, on_delivery), KFK_OK);
    }
    kfk_message_t batch[N / 2];
    for (int i = 0; i < N / 2; i++)
        batch[i] = (kfk_message_t){.topic = topic, .partition = 0, .timestamp = -1, .value = "x", .value_len = 1,
                                   .opaque = (void *)0x5151};
    size_t accepted = 0;
    CHECK_EQ_INT(kfk_produce_batch(client, batch, N / 2, on_delivery, &accepted), KFK_OK);
    CHECK_EQ_INT(accepted, N / 2);
    closed = 0; /* on_closed doubles as the flush completion */
    CHECK_EQ_INT(kfk_flush(client, 30000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 30000));
    CHECK_EQ_INT(delivered, N);
    CHECK_EQ_INT(delivery_errors, 0);
    /* one partition (auto-created), offsets 0..N-1 */
    CHECK_EQ_INT(offsets_sum, (long long)N * (N - 1) / 2);
    CHECK_EQ_INT(kfk_client_partition_count(client, topic), 1);
    CHECK_EQ_INT(kfk_client_partition_count(client, "never-seen-topic"), -1);
    /* bad messages */
    kfk_message_t no_topic = {.partition = -1};
    CHECK_EQ_INT(kfk_produce(client, &no_topic, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce(client, NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_message_t bad_part = {.topic = topic, .partition = -5};
    CHECK_EQ_INT(kfk_produce(client, &bad_part, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_flush(client, -1, NULL, NULL), KFK_ERR_INVALID_ARG);
    close_client();
}

/* Waits (up to 30 s) until q holds at least n events, without serving them. */
static int queue_reaches(kfk_queue_t *queue, int64_t n) {
    for (int waited_ms = 0; waited_ms < 30000; waited_ms++) {
        if (kfk_queue_length(queue) >= n)
            return 1;
        usleep(1000);
    }
    return 0;
}

/* Produces n records to partition 0 of topic, record i with opaque i + 1
 * and no callback, and waits until their n reports are queued. */
static void produce_numbered(const char *topic, intptr_t n) {
    for (intptr_t i = 0; i < n; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1,
                           .opaque = (void *)(i + 1)};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    CHECK(queue_reaches(q, n));
}

/* Takes the n queued reports of records produced to partition 0 of topic,
 * 7 at a time with kfk_poll_batch: the k-th taken is the record with
 * opaque stride * k + 1, at offset stride * k past the first one's, and
 * the queue's length counts down with every poll. */
static void take_numbered_reports(const char *topic, long n, long stride) {
    kfk_event_t evs[7];
    int64_t first_offset = -1;
    long seen = 0;
    for (int got; (got = kfk_poll_batch(q, evs, 7, 0)) > 0;) {
        for (int i = 0; i < got; i++, seen++) {
            void *opaque = (void *)(intptr_t)(stride * seen + 1);
            CHECK_EQ_INT(evs[i].type, KFK_EVENT_DELIVERY);
            CHECK_EQ_INT(evs[i].err, 0);
            CHECK(evs[i].opaque == opaque);
            CHECK(evs[i].msg->opaque == opaque);
            CHECK_EQ_STR(evs[i].msg->topic, topic);
            if (first_offset < 0)
                first_offset = evs[i].msg->offset;
            CHECK_EQ_INT(evs[i].msg->offset, first_offset + stride * seen);
        }
        CHECK_EQ_INT(kfk_queue_length(q), n - seen);
    }
    CHECK_EQ_INT(seen, n);
}

static long handled_reports;
static void on_handled_report(const kfk_event_t *ev, void *opaque) {
    CHECK(opaque == (void *)0x4a4a); /* the handler's opaque */
    CHECK_EQ_INT(ev->type, KFK_EVENT_DELIVERY);
    CHECK(ev->opaque == (void *)0x4a4a);
    CHECK(ev->msg->opaque == (void *)(intptr_t)(handled_reports + 1)); /* the record's, in order */
    handled_reports++;
}

/* Reports of one produce response wait in the queue together; polls that
 * take a few at a time (kfk_poll_batch's max, kfk_poll's max_events) get
 * each exactly once, in order, and kfk_queue_length counts every one. */
static void test_reports_taken_a_few_at_a_time(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "creports");
    connect_client("linger_ms", "50");
    enum { N = 3000 };
    produce_numbered(topic, N);
    CHECK_EQ_INT(kfk_queue_length(q), N);
    take_numbered_reports(topic, N, 1);

    /* Through the queue's handler, 5 per kfk_poll. */
    CHECK_EQ_INT(kfk_queue_set_handler(q, on_handled_report, (void *)0x4a4a), KFK_OK);
    produce_numbered(topic, N);
    handled_reports = 0;
    for (int n; (n = kfk_poll(q, 0, 5)) > 0;)
        CHECK(n <= 5);
    CHECK_EQ_INT(handled_reports, N);
    CHECK_EQ_INT(kfk_queue_set_handler(q, NULL, NULL), KFK_OK);
    close_client();
}

/* With delivery_reports=failed, a success whose record has neither
 * callback nor opaque is nobody's and is not queued, while its neighbours
 * in the same batch are: polls a few at a time get exactly the tagged
 * ones, in order, each with its own offset. */
static void test_untagged_successes_left_out(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cuntagged");
    connect_client("delivery_reports", "failed");
    enum { N = 3000 };
    for (intptr_t i = 0; i < N; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1,
                           .opaque = i % 2 ? NULL : (void *)(i + 1)};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    CHECK(queue_reaches(q, N / 2));
    take_numbered_reports(topic, N / 2, 2);
    close_client();
}

static void test_queue_full(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cfull");
    connect_client("max_buffered_messages", "3");
    kfk_message_t m = {.topic = topic, .partition = -1, .timestamp = -1, .value = "v", .value_len = 1};
    int full = 0;
    for (int i = 0; i < 10; i++)
        full += kfk_produce(client, &m, NULL) == KFK_ERR_QUEUE_FULL;
    CHECK(full >= 1);
    close_client();
}

/* kfk_produce copies a record the producer will take into the client's
 * stage, in C, and sends the others (here: those with headers) to the
 * producer directly, moving the staged ones in first: records of one
 * thread keep their order across the two ways in, and the reports say so
 * (record i, opaque i + 1, at the i-th offset). */
static void test_staged_and_direct_records_keep_their_order(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cstaged");
    connect_client("linger_ms", "5");
    enum { N = 3000 };
    kfk_header_t h = {"h", 1, "v", 1};
    for (intptr_t i = 0; i < N; i++) {
        unsigned char value[3] = {0, (unsigned char)i, 0xff};
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .opaque = (void *)(i + 1),
                           .key = i % 4 ? "k" : NULL, .key_len = i % 4 == 1 ? 0 : 1,
                           .value = i % 5 ? value : NULL, .value_len = i % 5 == 1 ? 0 : sizeof value,
                           .headers = i % 3 ? NULL : &h, .header_count = i % 3 ? 0 : 1};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    CHECK(queue_reaches(q, N));
    take_numbered_reports(topic, N, 1);
    close_client();
}

/* Busy for about us microseconds, without leaving the thread. */
static void spin_for(long us) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000 + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

/* A record that goes to the producer directly while the stage's mover is
 * moving the records staged before it (taken from the stage, not yet in
 * the producer) waits for that move: each staged record is followed by a
 * direct one after a pause swept across the mover's gathering time, so
 * some direct records come while a move is under way. */
static void test_direct_record_waits_for_a_move_under_way(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cmoving");
    connect_client("linger_ms", "1"); /* the mover gathers for 125 us */
    enum { N = 3000 };
    kfk_header_t h = {"h", 1, "v", 1};
    for (intptr_t i = 0; i < N; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .opaque = (void *)(i + 1),
                           .value = "v", .value_len = 1, .headers = i % 2 ? &h : NULL, .header_count = i % 2};
        if (i % 2)
            spin_for(i / 2 % 250);
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    CHECK(queue_reaches(q, N));
    take_numbered_reports(topic, N, 1);
    close_client();
}

/* Several threads produce to one client at once (through its stage): every
 * record is reported once, without error, and each thread's records keep
 * their order (the opaque carries the thread and the record's number). */
enum { PRODUCERS = 4, PER_PRODUCER = 20000 };
static const char *threads_topic;
static int64_t last_offset_of[PRODUCERS];
static long threads_reported, threads_out_of_order;

static void *produce_from_a_thread(void *arg) {
    intptr_t t = (intptr_t)arg;
    for (intptr_t i = 0; i < PER_PRODUCER; i++) {
        kfk_message_t m = {.topic = threads_topic, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1,
                           .opaque = (void *)(t << 32 | i)};
        kfk_err_t err;
        while ((err = kfk_produce(client, &m, NULL)) == KFK_ERR_QUEUE_FULL)
            usleep(100);
        CHECK_EQ_INT(err, KFK_OK);
    }
    return NULL;
}

static void on_thread_report(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    intptr_t tag = (intptr_t)ev->msg->opaque, t = tag >> 32;
    CHECK(t >= 0 && t < PRODUCERS);
    if (t < 0 || t >= PRODUCERS)
        return;
    if (ev->msg->offset <= last_offset_of[t])
        threads_out_of_order++;
    last_offset_of[t] = ev->msg->offset;
    threads_reported++;
}

static void test_threads_produce_to_one_client(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cthreads");
    threads_topic = topic;
    connect_client("linger_ms", "5");
    CHECK_EQ_INT(kfk_queue_set_handler(q, on_thread_report, NULL), KFK_OK);
    threads_reported = threads_out_of_order = 0;
    for (int t = 0; t < PRODUCERS; t++)
        last_offset_of[t] = -1;
    pthread_t threads[PRODUCERS];
    for (intptr_t t = 0; t < PRODUCERS; t++)
        CHECK_EQ_INT(pthread_create(&threads[t], NULL, produce_from_a_thread, (void *)t), 0);
    for (int t = 0; t < PRODUCERS; t++)
        pthread_join(threads[t], NULL);
    for (int waited = 0; threads_reported < PRODUCERS * PER_PRODUCER && waited < 30000; waited += 10)
        kfk_poll(q, 10, 0);
    CHECK_EQ_INT(threads_reported, PRODUCERS * PER_PRODUCER);
    CHECK_EQ_INT(threads_out_of_order, 0);
    CHECK_EQ_INT(kfk_queue_set_handler(q, NULL, NULL), KFK_OK);
    close_client();
}

/* A client of a broker nobody listens on (127.0.0.1:1) with the options
 * in kv (key, value, ..., NULL; may be NULL), on a queue of its own. */
static kfk_client_t *unreachable_client(kfk_queue_t **queue, const char *const *kv) {
    char err[256];
    kfk_conf_t *conf;
    kfk_client_t *c = NULL;
    CHECK_EQ_INT(kfk_conf_new(&conf), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "brokers", "127.0.0.1:1", err, sizeof err), KFK_OK);
    for (; kv && kv[0]; kv += 2)
        CHECK_EQ_INT(kfk_conf_set(conf, kv[0], kv[1], err, sizeof err), KFK_OK);
    kfk_queue_new(queue);
    CHECK_EQ_INT(kfk_client_new(*queue, conf, &c, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    return c;
}

static int refused_reports;
static void on_refused(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_DELIVERY);
    CHECK_EQ_INT(ev->err, KFK_ERR_PURGED_QUEUE);
    refused_reports++;
}

/* What kfk_produce refuses it refuses at once, staged or not: with no
 * broker to take anything, exactly max_buffered_messages records are
 * accepted and the next is QUEUE_FULL; a record over message_max_bytes is
 * refused as too large; a purge reports every accepted record. */
static void test_staged_records_stay_within_the_limits(void) {
    static const char *const options[] = {"linger_ms", "5", "max_buffered_messages", "50",
                                          "message_max_bytes", "1000", NULL};
    kfk_queue_t *pq;
    kfk_client_t *pc = unreachable_client(&pq, options);
    static char big[2000];
    kfk_message_t m = {.topic = "nowhere", .partition = -1, .timestamp = -1, .value = "v", .value_len = 1};
    int accepted = 0;
    kfk_err_t refused = KFK_OK;
    for (int i = 0; i < 80 && refused == KFK_OK; i++) {
        refused = kfk_produce(pc, &m, on_refused);
        accepted += refused == KFK_OK;
    }
    CHECK_EQ_INT(accepted, 50);
    CHECK_EQ_INT(refused, KFK_ERR_QUEUE_FULL);
    kfk_message_t large = {.topic = "nowhere", .partition = -1, .timestamp = -1, .value = big,
                           .value_len = sizeof big};
    enum { KAFKA_MESSAGE_TOO_LARGE = 10 }; /* Kafka's error code, as kfk_produce returns it */
    CHECK_EQ_INT(kfk_produce(pc, &large, on_refused), KAFKA_MESSAGE_TOO_LARGE);
    size_t n = 0;
    CHECK_EQ_INT(kfk_purge(pc, KFK_PURGE_QUEUE, &n), KFK_OK);
    CHECK_EQ_INT((int)n, 50);
    for (int waited = 0; refused_reports < 50 && waited < 15000; waited += 10)
        kfk_poll(pq, 10, 0);
    CHECK_EQ_INT(refused_reports, 50);
    CHECK_EQ_INT(kfk_client_destroy(pc), KFK_OK);
    kfk_poll(pq, 0, 0);
    CHECK_EQ_INT(kfk_queue_destroy(pq), KFK_OK);
}

static int purged_reports, purge_flushed;
static void on_purged(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_DELIVERY);
    CHECK_EQ_INT(ev->err, KFK_ERR_PURGED_QUEUE);
    CHECK(ev->msg != NULL && ev->msg->offset < 0);
    purged_reports++;
}
static void on_purge_flushed(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    purge_flushed = 1;
}

/* Messages for a broker that cannot be reached: kfk_purge fails each with
 * KFK_ERR_PURGED_QUEUE, and the flush waiting for them completes. */
static void test_purge_unreachable(void) {
    kfk_queue_t *pq;
    kfk_client_t *pc = unreachable_client(&pq, NULL);
    kfk_message_t m = {.topic = "nowhere", .partition = -1, .timestamp = -1, .value = "v", .value_len = 1};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(kfk_produce(pc, &m, on_purged), KFK_OK);
    CHECK_EQ_INT(kfk_flush(pc, 0, on_purge_flushed, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_purge(pc, 0x4, NULL), KFK_ERR_INVALID_ARG);
    size_t n = 0;
    CHECK_EQ_INT(kfk_purge(pc, KFK_PURGE_QUEUE | KFK_PURGE_INFLIGHT, &n), KFK_OK);
    CHECK_EQ_INT((int)n, 3);
    CHECK(kt_wait(pq, &purge_flushed, 15000));
    CHECK_EQ_INT(purged_reports, 3);
    CHECK_EQ_INT(kfk_purge(pc, KFK_PURGE_QUEUE, &n), KFK_OK);
    CHECK_EQ_INT((int)n, 0);
    CHECK(strcmp(kfk_err_name(KFK_ERR_PURGED_QUEUE), "KFK_ERR_PURGED_QUEUE") == 0);
    CHECK_EQ_INT(kfk_client_destroy(pc), KFK_OK);
    kfk_poll(pq, 0, 0);
    CHECK_EQ_INT(kfk_queue_destroy(pq), KFK_OK);
}

static int consumed_total, consume_done;
static char first_value[64];
static int64_t first_offset = -1, first_timestamp = -1;
static int first_timestamp_type = -1;

static void on_consumed(const kfk_event_t *ev, void *opaque) {
    CHECK(opaque == (void *)0x77);
    if (ev->type == KFK_EVENT_MESSAGE) {
        const kfk_message_t *m = ev->msg;
        CHECK(m && m->topic && m->partition == 0);
        if (consumed_total++ == 0) {
            snprintf(first_value, sizeof first_value, "%.*s", (int)m->value_len, (const char *)m->value);
            first_offset = m->offset;
            first_timestamp = m->timestamp;
            first_timestamp_type = m->timestamp_type;
            CHECK_EQ_INT(m->header_count, 1);
            CHECK(m->header_count == 1 && m->headers[0].key_len == 1 && memcmp(m->headers[0].value, "v", 1) == 0);
            CHECK(m->key && m->key_len == 1);
        }
    } else {
        CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
        CHECK_EQ_INT(ev->err, 0);
        consume_done = 1;
    }
}

/* One kfk_consume_max call of up to max messages, waited for: how many
 * it handed over (the first of them in first_value). */
static int consume_up_to(size_t max) {
    consumed_total = 0;
    consume_done = 0;
    CHECK_EQ_INT(kfk_consume_max(client, max, on_consumed, (void *)0x77), KFK_OK);
    CHECK(kt_wait(q, &consume_done, 10000));
    return consumed_total;
}

static int seek_done;
static void on_seek(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    seek_done = 1;
}

static long long lag_value = -1, latest_value = -1;
static int tree_done;
static void on_lag(const kfk_event_t *ev, void *opaque) {
    const char *key = opaque;
    CHECK_EQ_INT(ev->err, 0);
    const kfk_val_t *entry = kfk_val_get(ev->result, key);
    CHECK(entry != NULL);
    if (entry) {
        const kfk_val_t *lag = kfk_val_get(entry, "lag"), *latest = kfk_val_get(entry, "latest");
        lag_value = lag ? lag->i : -1;
        latest_value = latest ? latest->i : -1;
    }
    tree_done = 1;
}

static void test_assign_consume_seek_lag(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cconsume");
    connect_client(NULL, NULL);
    delivered = delivery_errors = offsets_sum = 0;
    kfk_header_t h = {"h", 1, "v", 1};
    for (int i = 0; i < 100; i++) {
        char value[16];
        int n = snprintf(value, sizeof value, "m%d", i);
        /* 0 is a valid timestamp (1970-01-01); only a negative one means now */
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = i == 0 ? 0 : -1, .key = "k", .key_len = 1,
                           .value = value, .value_len = n, .headers = &h, .header_count = 1, .opaque = (void *)0x5151};
        CHECK_EQ_INT(kfk_produce(client, &m, on_delivery), KFK_OK);
    }
    closed = 0;
    kfk_flush(client, 30000, on_closed, NULL);
    CHECK(kt_wait(q, &closed, 30000));
    CHECK_EQ_INT(delivered, 100);
    CHECK_EQ_INT(first_delivery_timestamp, 0);

    kfk_topic_partition_t tp = {topic, 0, -1, 10, NULL};
    CHECK_EQ_INT(kfk_assign(client, &tp, 1), KFK_OK);
    consumed_total = 0;
    for (int round = 0; round < 50 && consumed_total < 90; round++) {
        consume_done = 0;
        CHECK_EQ_INT(kfk_consume(client, on_consumed, (void *)0x77), KFK_OK);
        CHECK(kt_wait(q, &consume_done, 10000));
    }
    CHECK_EQ_INT(consumed_total, 90);
    CHECK_EQ_STR(first_value, "m10");
    CHECK_EQ_INT(first_offset, 10);

    tree_done = 0;
    char key[160];
    snprintf(key, sizeof key, "%s:0", topic);
    CHECK_EQ_INT(kfk_lag(client, on_lag, key), KFK_OK);
    CHECK(kt_wait(q, &tree_done, 10000));
    CHECK_EQ_INT(lag_value, 0);
    CHECK_EQ_INT(latest_value, 100);

    seek_done = 0;
    CHECK_EQ_INT(kfk_seek(client, topic, 0, KFK_OFFSET_EARLIEST, on_seek, NULL), KFK_OK);
    CHECK(kt_wait(q, &seek_done, 10000));
    /* The first consume after the seek reads from the new position (a
     * fetch from the old one may still be waiting at the broker). */
    consumed_total = 0;
    consume_done = 0;
    kfk_consume(client, on_consumed, (void *)0x77);
    CHECK(kt_wait(q, &consume_done, 10000));
    CHECK_EQ_INT(consumed_total, 100);
    CHECK_EQ_STR(first_value, "m0");
    CHECK_EQ_INT(first_timestamp, 0);
    CHECK_EQ_INT(first_timestamp_type, KFK_TIMESTAMP_CREATE_TIME);

    /* kfk_consume_max hands over no more than asked; the rest stays
     * fetched, in order, for the next call. */
    seek_done = 0;
    CHECK_EQ_INT(kfk_seek(client, topic, 0, KFK_OFFSET_EARLIEST, on_seek, NULL), KFK_OK);
    CHECK(kt_wait(q, &seek_done, 10000));
    CHECK_EQ_INT(consume_up_to(30), 30);
    CHECK_EQ_STR(first_value, "m0");
    CHECK_EQ_INT(consume_up_to(0), 70);
    CHECK_EQ_STR(first_value, "m30");
    CHECK_EQ_INT(kfk_consume_max(client, (size_t)1 << 25, on_consumed, NULL), KFK_ERR_INVALID_ARG);

    /* Paused, the partition hands nothing over, not even a record a fetch
     * already waiting at the broker brings; resumed, that record comes. */
    CHECK_EQ_INT(kfk_pause(client, &tp, 1), KFK_OK);
    kfk_message_t late = {.topic = topic, .partition = 0, .timestamp = -1, .key = "k", .key_len = 1,
                          .value = "m100", .value_len = 4, .headers = &h, .header_count = 1,
                          .opaque = (void *)0x5151};
    CHECK_EQ_INT(kfk_produce(client, &late, on_delivery), KFK_OK);
    closed = 0;
    kfk_flush(client, 30000, on_closed, NULL);
    CHECK(kt_wait(q, &closed, 30000));
    consumed_total = 0;
    consume_done = 0;
    CHECK_EQ_INT(kfk_consume(client, on_consumed, (void *)0x77), KFK_OK);
    CHECK(kt_wait(q, &consume_done, 10000));
    CHECK_EQ_INT(consumed_total, 0);
    CHECK_EQ_INT(kfk_resume(client, &tp, 1), KFK_OK);
    for (int round = 0; round < 50 && consumed_total < 1; round++) {
        consume_done = 0;
        CHECK_EQ_INT(kfk_consume(client, on_consumed, (void *)0x77), KFK_OK);
        CHECK(kt_wait(q, &consume_done, 10000));
    }
    CHECK_EQ_INT(consumed_total, 1);
    CHECK_EQ_STR(first_value, "m100");

    kfk_topic_partition_t other = {topic, 1, -1, 0, NULL};
    CHECK_EQ_INT(kfk_pause(client, &other, 1), KFK_ERR_STATE);       /* not assigned */
    CHECK_EQ_INT(kfk_store_offsets(client, &other, 1), KFK_ERR_STATE);
    CHECK_EQ_INT(kfk_incremental_unassign(client, &other, 1), KFK_ERR_STATE);
    CHECK_EQ_INT(kfk_incremental_assign(client, &tp, 1), KFK_ERR_STATE); /* assigned already */
    CHECK_EQ_INT(kfk_pause(client, NULL, 1), KFK_ERR_INVALID_ARG);
    kfk_topic_partition_t negative = {topic, 0, -1, -1, NULL};
    CHECK_EQ_INT(kfk_store_offsets(client, &negative, 1), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_commit_offsets(client, &negative, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_commit_offsets(client, &tp, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    char member[64];
    CHECK_EQ_INT(kfk_group_member_id(client, member, sizeof member), KFK_ERR_STATE); /* no subscription */
    CHECK_EQ_INT(kfk_group_member_id(client, NULL, 8), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_revoke_done(client), KFK_OK); /* nothing waits: nothing to do */

    CHECK_EQ_INT(kfk_assign(client, NULL, 1), KFK_ERR_INVALID_ARG);
    kfk_topic_partition_t bad = {topic, 0, -1, -7, NULL};
    CHECK_EQ_INT(kfk_assign(client, &bad, 1), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_seek(client, NULL, 0, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_offsets_for(client, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    /* not a transactional client */
    CHECK_EQ_INT(kfk_txn_begin(client), KFK_ERR_STATE);
    const char *topics[] = {topic};
    const char *bad_opts[] = {"no_such_option", "1"};
    CHECK_EQ_INT(kfk_subscribe(client, topics, 1, bad_opts, 1, NULL, NULL), KFK_ERR_CONFIG);
    CHECK_EQ_INT(kfk_subscribe(client, topics, 1, NULL, 0, NULL, NULL), KFK_ERR_CONFIG); /* no group_id */
    close_client();
}

/* ---- custom C partitioner and produce_many ---- */

static int partitioner_calls, partitioner_misuse;
static char partitioned_topic[128];

/* Partition = key length modulo the count; the key "bad" gets an
 * out-of-range partition. */
static int32_t by_key_length(const char *topic, const void *key, size_t key_len, int32_t n, void *opaque) {
    partitioner_calls++;
    if (opaque != &partitioner_tag || strcmp(topic, partitioned_topic) != 0 || n != 3 || (key == NULL) != (key_len == 0))
        partitioner_misuse++;
    if (key_len == 3 && memcmp(key, "bad", 3) == 0)
        return n;
    return (int32_t)(key_len % (size_t)n);
}

static long placed, misplaced;
static void on_placed(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    if (ev->msg->partition == (int32_t)(intptr_t)ev->msg->opaque)
        placed++;
    else
        misplaced++;
}

static int many_done;
static kfk_err_t many_err;
static long long many_failed_index = -1, many_failed_code;
static size_t many_failed_count;
static int many_result_null;
static void on_many(const kfk_event_t *ev, void *opaque) {
    CHECK(opaque == (void *)0x4d41);
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    many_err = ev->err;
    many_result_null = ev->result == NULL;
    many_failed_count = ev->result ? ev->result->n : 0;
    if (ev->result) {
        many_failed_index = kt_int(ev->result, "0.index");
        many_failed_code = kt_int(ev->result, "0.error_code");
    }
    many_done = 1;
}

static int topic_created;
static void on_created(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    CHECK_EQ_INT(kt_int(ev->result, "topics.0.error_code"), 0);
    topic_created = 1;
}

static void test_partitioner_and_produce_many(void) {
    kfk_queue_t *aq;
    kfk_conn_t *admin;
    if (!kt_connect(&aq, &admin))
        return;
    kt_unique(partitioned_topic, sizeof partitioned_topic, "cpart");
    kfk_new_topic_t nt = {partitioned_topic, 3, 1, 0, NULL, 0};
    CHECK_EQ_INT(kfk_conn_create_topics(admin, &nt, 1, 10000, on_created, NULL), KFK_OK);
    CHECK(kt_wait(aq, &topic_created, 15000));
    kfk_conn_destroy(admin);
    kfk_queue_destroy(aq);

    use_partitioner = by_key_length;
    connect_client(NULL, NULL);
    use_partitioner = NULL;
    delivered = delivery_errors = 0;
    partitioner_calls = partitioner_misuse = 0;
    placed = misplaced = 0;
    enum { N = 30 };
    for (int i = 0; i < N; i++) {
        int len = i % 3;
        kfk_message_t m = {.topic = partitioned_topic, .partition = -1, .timestamp = -1,
                           .key = len ? "kk" : NULL, .key_len = (size_t)len, .value = "v", .value_len = 1,
                           .opaque = (void *)(intptr_t)len};
        CHECK_EQ_INT(kfk_produce(client, &m, on_placed), KFK_OK);
    }
    closed = 0;
    CHECK_EQ_INT(kfk_flush(client, 30000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 30000));
    CHECK_EQ_INT(placed, N);
    CHECK_EQ_INT(misplaced, 0);
    CHECK_EQ_INT(partitioner_calls, N);
    CHECK_EQ_INT(partitioner_misuse, 0);

    /* produce_many: one RESULT, no DELIVERY events; message 4 fails. */
    kfk_message_t many[8];
    for (int i = 0; i < 8; i++)
        many[i] = (kfk_message_t){.topic = partitioned_topic, .partition = -1, .timestamp = -1,
                                  .key = i == 4 ? "bad" : "k", .key_len = i == 4 ? 3 : 1,
                                  .value = "m", .value_len = 1};
    size_t accepted = 0;
    many_done = 0;
    CHECK_EQ_INT(kfk_produce_many(client, many, 8, on_many, (void *)0x4d41, &accepted), KFK_OK);
    CHECK_EQ_INT(accepted, 8);
    CHECK(kt_wait(q, &many_done, 30000));
    CHECK_EQ_INT(many_err, 3); /* UNKNOWN_TOPIC_OR_PARTITION */
    CHECK_EQ_INT(many_failed_count, 1);
    CHECK_EQ_INT(many_failed_index, 4);
    CHECK_EQ_INT(many_failed_code, 3);
    CHECK_EQ_INT(delivered + delivery_errors, 0);

    many[4] = many[3];
    many_done = 0;
    CHECK_EQ_INT(kfk_produce_many(client, many, 8, on_many, (void *)0x4d41, NULL), KFK_OK);
    CHECK(kt_wait(q, &many_done, 30000));
    CHECK_EQ_INT(many_err, 0);
    CHECK(many_result_null);

    many_done = 0; /* nothing to send: completes at once */
    CHECK_EQ_INT(kfk_produce_many(client, many, 0, on_many, (void *)0x4d41, &accepted), KFK_OK);
    CHECK_EQ_INT(accepted, 0);
    CHECK(kt_wait(q, &many_done, 5000));
    CHECK_EQ_INT(many_err, 0);

    /* Messages refused at once (a NULL topic, a value over
     * message_max_bytes) are listed as failed; the others are delivered. */
    static char huge[1100000];
    many[2].topic = NULL;
    many[5].value = huge, many[5].value_len = sizeof huge;
    many_done = 0;
    CHECK_EQ_INT(kfk_produce_many(client, many, 8, on_many, (void *)0x4d41, &accepted), KFK_OK);
    CHECK_EQ_INT(accepted, 6);
    CHECK(kt_wait(q, &many_done, 30000));
    CHECK_EQ_INT(many_err, KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(many_failed_count, 2);
    CHECK_EQ_INT(many_failed_index, 2);
    many_done = 0; /* none accepted: the RESULT still comes, listing it */
    CHECK_EQ_INT(kfk_produce_many(client, many + 2, 1, on_many, (void *)0x4d41, &accepted), KFK_OK);
    CHECK_EQ_INT(accepted, 0);
    CHECK(kt_wait(q, &many_done, 5000));
    CHECK_EQ_INT(many_failed_count, 1);
    CHECK_EQ_INT(many_failed_index, 0);
    CHECK_EQ_INT(kfk_produce_many(client, NULL, 1, on_many, NULL, NULL), KFK_ERR_INVALID_ARG);
    close_client();
}

/* ---- produce_values: records as columns ---- */

static long anonymous_reports;
static void count_anonymous(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_DELIVERY && ev->msg->opaque == NULL)
        anonymous_reports++;
}

static int values_seen;
static int values_match[5];
static const char *const want_values[5] = {"a", "", NULL, "\0x\0", "\xff\x00\x80"};
static const size_t want_value_lens[5] = {1, 0, 0, 3, 3};
static const char *const want_keys[5] = {NULL, "k1", "", NULL, "k\0"};
static const size_t want_key_lens[5] = {0, 2, 0, 0, 2};

static int same_bytes(const void *got, size_t got_len, const char *want, size_t want_len) {
    if (want == NULL)
        return got == NULL;
    return got != NULL && got_len == want_len && memcmp(got, want, want_len) == 0;
}

static void on_value_consumed(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type != KFK_EVENT_MESSAGE) {
        consume_done = 1;
        return;
    }
    const kfk_message_t *m = ev->msg;
    int i = (int)m->offset;
    if (i < 0 || i >= 5)
        return;
    values_seen++;
    values_match[i] = same_bytes(m->value, m->value_len, want_values[i], want_value_lens[i]) &&
                      same_bytes(m->key, m->key_len, want_keys[i], want_key_lens[i]) && m->header_count == 1 &&
                      m->headers[0].value_len == 2 && memcmp(m->headers[0].value, "hv", 2) == 0;
}

/* Five records in one call: values and keys back to back with their
 * lengths, KFK_NULL_LENGTH for a null, 0 for an empty one; each read back
 * byte for byte with the shared header. One RESULT completes the call;
 * with delivery_reports=failed, successful anonymous reports are not
 * queued. */
static void test_produce_values(void) {
    char topic[128];
    kt_unique(topic, sizeof topic, "cvalues");
    connect_client("delivery_reports", "failed");
    CHECK_EQ_INT(kfk_queue_set_handler(q, count_anonymous, NULL), KFK_OK);
    const char values[] = "a" "\0x\0" "\xff\x00\x80";
    const int32_t value_lens[5] = {1, 0, KFK_NULL_LENGTH, 3, 3};
    const char keys[] = "k1" "k\0";
    const int32_t key_lens[5] = {KFK_NULL_LENGTH, 2, 0, KFK_NULL_LENGTH, 2};
    kfk_header_t h = {"hk", 2, "hv", 2};
    size_t accepted = 0;
    many_done = 0;
    CHECK_EQ_INT(kfk_produce_values(client, topic, 0, values, value_lens, keys, key_lens, 5, &h, 1, on_many,
                                    (void *)0x4d41, &accepted),
                 KFK_OK);
    CHECK_EQ_INT(accepted, 5);
    CHECK(kt_wait(q, &many_done, 30000));
    CHECK_EQ_INT(many_err, 0);
    CHECK(many_result_null);

    /* Anonymous records: no report for a success. */
    anonymous_reports = 0;
    kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = "z", .value_len = 1};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    closed = 0;
    CHECK_EQ_INT(kfk_flush(client, 30000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 30000));
    CHECK_EQ_INT(kfk_poll(q, 0, 0) >= 0, 1);
    CHECK_EQ_INT(anonymous_reports, 0);

    kfk_topic_partition_t tp = {topic, 0, KFK_OFFSET_EARLIEST, 0, NULL};
    CHECK_EQ_INT(kfk_assign(client, &tp, 1), KFK_OK);
    values_seen = 0;
    for (int round = 0; round < 50 && values_seen < 5; round++) {
        consume_done = 0;
        CHECK_EQ_INT(kfk_consume(client, on_value_consumed, NULL), KFK_OK);
        CHECK(kt_wait(q, &consume_done, 10000));
    }
    CHECK_EQ_INT(values_seen, 5);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(values_match[i], 1);

    /* Keys and lengths both NULL: null keys. Bad columns are refused
     * with no RESULT. */
    many_done = 0;
    CHECK_EQ_INT(kfk_produce_values(client, topic, -1, "xy", (const int32_t[]){1, 1}, NULL, NULL, 2, NULL, 0,
                                    on_many, (void *)0x4d41, &accepted),
                 KFK_OK);
    CHECK(kt_wait(q, &many_done, 30000));
    CHECK_EQ_INT(many_err, 0);
    CHECK_EQ_INT(kfk_produce_values(client, NULL, 0, "x", (const int32_t[]){1}, NULL, NULL, 1, NULL, 0, NULL,
                                    NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce_values(client, topic, -2, "x", (const int32_t[]){1}, NULL, NULL, 1, NULL, 0, NULL,
                                    NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce_values(client, topic, 0, "x", NULL, NULL, NULL, 1, NULL, 0, NULL, NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce_values(client, topic, 0, "x", (const int32_t[]){-2}, NULL, NULL, 1, NULL, 0, NULL,
                                    NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce_values(client, topic, 0, NULL, (const int32_t[]){4}, NULL, NULL, 1, NULL, 0, NULL,
                                    NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_produce_values(client, topic, 0, "x", (const int32_t[]){1}, "k", NULL, 1, NULL, 0, NULL,
                                    NULL, NULL),
                 KFK_ERR_INVALID_ARG);
    close_client();
}

/* ---- OAUTHBEARER tokens from the application ---- */

static int token_asks;
static const char *token_failure; /* answer with a failure instead */
static void on_token_refresh(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type != KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH)
        return;
    token_asks++;
    kfk_client_t *c = ev->source;
    if (token_failure) {
        CHECK_EQ_INT(kfk_oauthbearer_set_token_failure(c, token_failure), KFK_OK);
        return;
    }
    char token[400], err[256];
    int64_t expires = kt_unsigned_jwt(token, 600);
    const char *ext[] = {"traceId", "c-test"};
    CHECK_EQ_INT(kfk_oauthbearer_set_token(c, token, expires, "kfk-c", ext, 1, err, sizeof err), KFK_OK);
}

static kfk_err_t oauth_connect_err;
static int oauth_connected;
static void on_oauth_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    oauth_connect_err = ev->err;
    oauth_connected = 1;
}

/* The client asks with KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH on the polling
 * thread; the token set in answer connects it and records go out. A
 * failure answered instead fails the connect with KFK_ERR_SASL and the
 * reason. Bad tokens are refused with the reason. */
static void test_oauthbearer_application_tokens(void) {
    const char *brokers = kt_env("KFK_TEST_OAUTH_BROKERS");
    if (!brokers) {
        printf("# skipped: KFK_TEST_OAUTH_BROKERS is unset\n");
        return;
    }
    for (int failing = 0; failing < 2; failing++) {
        char err[256];
        kfk_conf_t *conf;
        kfk_conf_new(&conf);
        const char *kv[][2] = {{"bootstrap.servers", brokers}, {"security.protocol", "SASL_PLAINTEXT"},
                               {"sasl.mechanisms", "OAUTHBEARER"}, {"sasl_oauthbearer_method", "application"}};
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
            CHECK_EQ_INT(kfk_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err), KFK_OK);
        kfk_queue_t *oq;
        kfk_client_t *oc;
        kfk_queue_new(&oq);
        CHECK_EQ_INT(kfk_queue_set_handler(oq, on_token_refresh, NULL), KFK_OK);
        CHECK_EQ_INT(kfk_client_new(oq, conf, &oc, err, sizeof err), KFK_OK);
        kfk_conf_destroy(conf);
        token_asks = 0;
        token_failure = failing ? "the vault is sealed" : NULL;
        oauth_connected = 0;
        CHECK_EQ_INT(kfk_client_connect(oc, on_oauth_connect, NULL), KFK_OK);
        CHECK(kt_wait(oq, &oauth_connected, 30000));
        CHECK(token_asks >= 1);
        if (failing) {
            CHECK_EQ_INT(oauth_connect_err, KFK_ERR_SASL);
        } else {
            CHECK_EQ_INT(oauth_connect_err, KFK_OK);
            char token[400];
            CHECK_EQ_INT(kfk_oauthbearer_set_token(oc, NULL, 0, NULL, NULL, 0, err, sizeof err), KFK_ERR_INVALID_ARG);
            kt_unsigned_jwt(token, 600);
            CHECK_EQ_INT(kfk_oauthbearer_set_token(oc, token, 1000, NULL, NULL, 0, err, sizeof err),
                         KFK_ERR_INVALID_ARG);
            CHECK(strstr(err, "expired") != NULL);
        }
        closed = 0;
        CHECK_EQ_INT(kfk_client_close(oc, 5000, on_closed, NULL), KFK_OK);
        CHECK(kt_wait(oq, &closed, 15000));
        kfk_client_destroy(oc);
        kfk_queue_destroy(oq);
    }
    /* A client that takes no application tokens. */
    connect_client(NULL, NULL);
    char err[256];
    CHECK_EQ_INT(kfk_oauthbearer_set_token(client, "t", 4102444800000LL, NULL, NULL, 0, err, sizeof err),
                 KFK_ERR_STATE);
    CHECK_EQ_INT(kfk_oauthbearer_set_token_failure(client, "x"), KFK_ERR_STATE);
    close_client();
}

static int sasl_connected;
static kfk_err_t sasl_connect_err;
static void on_sasl_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    sasl_connect_err = ev->err;
    sasl_connected = 1;
}

/* A client created with a wrong password fails to connect; after
 * kfk_client_set_sasl_credentials gives the right one, its next connection
 * logs in. A client without SASL PLAIN or SCRAM refuses the call. */
static void test_set_sasl_credentials(void) {
    const char *brokers = kt_env("KFK_TEST_SASL_BROKERS"), *user = kt_env("KFK_TEST_SCRAM512_USER"),
               *pass = kt_env("KFK_TEST_SCRAM512_PASS");
    if (!brokers || !user || !pass) {
        printf("# skipped: KFK_TEST_SASL_BROKERS or the SCRAM-SHA-512 user is unset\n");
        return;
    }
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    const char *kv[][2] = {{"bootstrap.servers", brokers}, {"security.protocol", "SASL_PLAINTEXT"},
                           {"sasl.mechanisms", "SCRAM-SHA-512"}, {"sasl.username", user},
                           {"sasl.password", "wrong-password"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        CHECK_EQ_INT(kfk_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err), KFK_OK);
    kfk_queue_t *sq;
    kfk_client_t *sc;
    kfk_queue_new(&sq);
    CHECK_EQ_INT(kfk_client_new(sq, conf, &sc, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    sasl_connected = 0;
    CHECK_EQ_INT(kfk_client_connect(sc, on_sasl_connect, NULL), KFK_OK);
    CHECK(kt_wait(sq, &sasl_connected, 30000));
    CHECK(sasl_connect_err != KFK_OK);
    CHECK_EQ_INT(kfk_client_set_sasl_credentials(sc, user, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_client_set_sasl_credentials(sc, user, pass), KFK_OK);
    /* the next connection attempt logs in (a reconnect backoff may pass first) */
    sasl_connect_err = KFK_ERR_SASL;
    for (int attempt = 0; attempt < 20 && sasl_connect_err != KFK_OK; attempt++) {
        sasl_connected = 0;
        CHECK_EQ_INT(kfk_client_connect(sc, on_sasl_connect, NULL), KFK_OK);
        CHECK(kt_wait(sq, &sasl_connected, 30000));
    }
    CHECK_EQ_INT(sasl_connect_err, KFK_OK);
    closed = 0;
    CHECK_EQ_INT(kfk_client_close(sc, 5000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(sq, &closed, 15000));
    kfk_client_destroy(sc);
    kfk_queue_destroy(sq);
    connect_client(NULL, NULL);
    CHECK_EQ_INT(kfk_client_set_sasl_credentials(client, "u", "p"), KFK_ERR_STATE);
    close_client();
}

/* ---- admin ---- */

typedef struct admin_result {
    int done;
    kfk_err_t err;
    long long a, b, c;
    const char *path_a, *path_b, *path_c; /* kt_int paths read into a, b, c */
} admin_result_t;

static void on_admin(const kfk_event_t *ev, void *opaque) {
    admin_result_t *r = opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    r->err = ev->err;
    if (ev->result) {
        r->a = r->path_a ? kt_int(ev->result, r->path_a) : 0;
        r->b = r->path_b ? kt_int(ev->result, r->path_b) : 0;
        r->c = r->path_c ? kt_int(ev->result, r->path_c) : 0;
    }
    r->done = 1;
}

#define ADMIN(r, call) do { CHECK_EQ_INT(call, KFK_OK); CHECK(kt_wait(q, &(r).done, 30000)); } while (0)

static int retention_ok;
static void on_configs(const kfk_event_t *ev, void *opaque) {
    admin_result_t *r = opaque;
    r->err = ev->err;
    /* "retention.ms" has a dot, so no kt_path for the last steps */
    const kfk_val_t *configs = ev->result ? kt_path(ev->result, "topics.0.configs") : NULL;
    const kfk_val_t *value = kfk_val_get(kfk_val_get(configs, "retention.ms"), "value");
    retention_ok = value && value->s && strcmp(value->s, "86400000") == 0;
    r->done = 1;
}

static void test_admin(void) {
    char name[128];
    kt_unique(name, sizeof name, "cadmin");
    connect_client(NULL, NULL);

    admin_result_t cluster = {.path_a = "brokers.0.port", .path_b = "controller_id"};
    ADMIN(cluster, kfk_admin_describe_cluster(client, on_admin, &cluster));
    CHECK_EQ_INT(cluster.err, 0);
    CHECK(cluster.a > 0);

    const char *cfg[] = {"retention.ms", "86400000"};
    kfk_new_topic_t nt = {name, 1, 1, 0, cfg, 1};
    for (int round = 0; round < 2; round++) {
        admin_result_t created = {.path_a = "topics.0.error_code"};
        ADMIN(created, kfk_admin_create_topics(client, &nt, 1, 10000, on_admin, &created));
        CHECK_EQ_INT(created.err, 0);
        CHECK_EQ_INT(created.a, round == 0 ? 0 : 36); /* then TOPIC_ALREADY_EXISTS */
    }

    const char *topics[] = {name};
    admin_result_t configs = {0};
    ADMIN(configs, kfk_admin_describe_topic_configs(client, topics, 1, on_configs, &configs));
    CHECK(retention_ok);

    const char *alter[] = {"retention.ms", NULL, "segment.bytes", "1048576"};
    admin_result_t altered = {0};
    ADMIN(altered, kfk_admin_alter_topic_configs(client, name, alter, 2, on_admin, &altered));
    CHECK_EQ_INT(altered.err, 0);
    admin_result_t bad_alter = {0};
    ADMIN(bad_alter, kfk_admin_alter_topic_configs(client, "no-such-topic-kfk", alter + 2, 1, on_admin, &bad_alter));
    CHECK_EQ_INT(bad_alter.err, 3);

    admin_result_t grown = {0};
    ADMIN(grown, kfk_admin_create_partitions(client, name, 2, 10000, on_admin, &grown));
    CHECK_EQ_INT(grown.err, 0);
    admin_result_t shrunk = {0};
    ADMIN(shrunk, kfk_admin_create_partitions(client, name, 1, 10000, on_admin, &shrunk));
    CHECK_EQ_INT(shrunk.err, 37);

    for (int i = 0; i < 5; i++) {
        kfk_message_t m = {.topic = name, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    closed = 0;
    CHECK_EQ_INT(kfk_flush(client, 30000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 30000));
    kfk_topic_partition_t before = {name, 0, -1, 3, NULL};
    admin_result_t deleted = {.path_a = "partitions.0.low_watermark", .path_b = "partitions.0.error_code"};
    ADMIN(deleted, kfk_admin_delete_records(client, &before, 1, 10000, on_admin, &deleted));
    CHECK_EQ_INT(deleted.err, 0);
    CHECK_EQ_INT(deleted.a, 3);
    CHECK_EQ_INT(deleted.b, 0);

    /* the offsets: earliest 3 after the deletion, latest 5 */
    kfk_topic_partition_t specs[] = {{name, 0, -1, KFK_OFFSET_EARLIEST, NULL}, {name, 0, -1, KFK_OFFSET_LATEST, NULL}};
    admin_result_t offsets = {.path_a = "partitions.0.offset", .path_b = "partitions.1.offset"};
    ADMIN(offsets, kfk_admin_list_offsets(client, specs, 2, 0, on_admin, &offsets));
    CHECK_EQ_INT(offsets.err, 0);
    CHECK_EQ_INT(offsets.a, 3);
    CHECK_EQ_INT(offsets.b, 5);

    /* a group's offsets set from outside, then the group deleted */
    char gid[128];
    kt_unique(gid, sizeof gid, "cadmin-group");
    kfk_topic_partition_t at = {name, 0, -1, 4, NULL};
    admin_result_t set = {.path_a = "partitions.0.error_code"};
    ADMIN(set, kfk_admin_alter_group_offsets(client, gid, &at, 1, on_admin, &set));
    CHECK_EQ_INT(set.err, 0);
    CHECK_EQ_INT(set.a, 0);
    const char *gone_groups[] = {gid};
    admin_result_t group_ops = {.path_a = "groups.0.error_code"};
    ADMIN(group_ops, kfk_admin_describe_groups_operations(client, gone_groups, 1, on_admin, &group_ops));
    CHECK_EQ_INT(group_ops.err, 0);
    CHECK_EQ_INT(group_ops.a, 0);
    admin_result_t dropped = {.path_a = "groups.0.error_code"};
    ADMIN(dropped, kfk_admin_delete_groups(client, gone_groups, 1, on_admin, &dropped));
    CHECK_EQ_INT(dropped.err, 0);
    CHECK_EQ_INT(dropped.a, 0);

    admin_result_t topic_desc = {.path_a = "topics.0.error_code", .path_b = "topics.0.partitions.1.partition"};
    ADMIN(topic_desc, kfk_admin_describe_topics(client, topics, 1, 0, on_admin, &topic_desc));
    CHECK_EQ_INT(topic_desc.err, 0);
    CHECK_EQ_INT(topic_desc.a, 0);
    CHECK_EQ_INT(topic_desc.b, 1);

    /* validation only: nothing created, the refusal a real call would get */
    char checked[128];
    kt_unique(checked, sizeof checked, "cadmin-checked");
    kfk_new_topic_t would = {checked, 1, 1, 0, NULL, 0};
    admin_result_t validated = {.path_a = "topics.0.error_code"};
    ADMIN(validated, kfk_admin_validate_create_topics(client, &would, 1, 10000, on_admin, &validated));
    CHECK_EQ_INT(validated.err, 0);
    CHECK_EQ_INT(validated.a, 0);
    const char *checked_topics[] = {checked};
    admin_result_t not_made = {.path_a = "topics.0.error_code"};
    ADMIN(not_made, kfk_admin_describe_topics(client, checked_topics, 1, 0, on_admin, &not_made));
    CHECK_EQ_INT(not_made.a, 3);
    admin_result_t shrink_checked = {0};
    ADMIN(shrink_checked, kfk_admin_validate_create_partitions(client, name, 1, 10000, on_admin, &shrink_checked));
    CHECK_EQ_INT(shrink_checked.err, 37);
    /* placed: both partitions of a new topic on the controller's node, then a third */
    admin_result_t node = {.path_a = "brokers.0.node_id"};
    ADMIN(node, kfk_admin_describe_cluster(client, on_admin, &node));
    char placed_name[128];
    kt_unique(placed_name, sizeof placed_name, "cadmin-placed");
    kfk_new_topic_t placed_topic = {placed_name, 2, 1, 0, NULL, 0};
    int32_t nodes[] = {(int32_t)node.a, (int32_t)node.a};
    admin_result_t placed = {.path_a = "topics.0.error_code"};
    ADMIN(placed, kfk_admin_create_topics_placed(client, &placed_topic, 1, nodes, 2, 0, 10000, on_admin, &placed));
    CHECK_EQ_INT(placed.err, 0);
    CHECK_EQ_INT(placed.a, 0);
    admin_result_t grown_placed = {0};
    ADMIN(grown_placed, kfk_admin_create_partitions_placed(client, placed_name, 3, nodes, 1, 1, 0, 10000, on_admin,
                                                           &grown_placed));
    CHECK_EQ_INT(grown_placed.err, 0);
    CHECK_EQ_INT(kfk_admin_create_topics_placed(client, &placed_topic, 1, nodes, 1, 0, 1000, NULL, NULL),
                 KFK_ERR_INVALID_ARG); /* 2 partitions x 1 replica need 2 ids */
    CHECK_EQ_INT(kfk_admin_create_partitions_placed(client, placed_name, 4, nodes, 2, 0, 0, 1000, NULL, NULL),
                 KFK_ERR_INVALID_ARG);

    admin_result_t cluster_ops = {.path_a = "controller_id"};
    ADMIN(cluster_ops, kfk_admin_describe_cluster_operations(client, on_admin, &cluster_ops));
    CHECK_EQ_INT(cluster_ops.err, 0);
    CHECK(cluster_ops.a >= 0);

    /* the test broker has no authorizer: SECURITY_DISABLED (54) */
    const char *acl[] = {"topic", name, "literal", "User:alice", "*", "read", "allow"};
    admin_result_t acl_made = {.path_a = "results.0.error_code"};
    ADMIN(acl_made, kfk_admin_create_acls(client, acl, 1, on_admin, &acl_made));
    CHECK_EQ_INT(acl_made.a, 54);
    const char *acl_any[] = {"any", NULL, "any", NULL, NULL, "any", "any"};
    admin_result_t acl_listed = {0};
    ADMIN(acl_listed, kfk_admin_describe_acls(client, acl_any, on_admin, &acl_listed));
    CHECK_EQ_INT(acl_listed.err, 54);

    admin_result_t groups = {0};
    ADMIN(groups, kfk_admin_list_groups(client, on_admin, &groups));
    CHECK_EQ_INT(groups.err, 0);
    const char *gids[] = {"no-such-group-kfk"};
    admin_result_t described = {0};
    ADMIN(described, kfk_admin_describe_groups(client, gids, 1, on_admin, &described));
    CHECK_EQ_INT(described.err, 0);
    admin_result_t lag = {0};
    ADMIN(lag, kfk_admin_group_lag(client, "no-such-group-kfk", on_admin, &lag));
    CHECK_EQ_INT(lag.err, 0);

    /* The second name was never created. (Deleting `name` twice could find
       it back: this client produced to it, so its metadata refreshes ask
       for it, and the broker auto-creates topics.) */
    char never[128];
    kt_unique(never, sizeof never, "cadmin-never");
    const char *doomed[] = {name, never};
    for (int round = 0; round < 2; round++) {
        admin_result_t gone = {.path_a = "topics.0.error_code"};
        ADMIN(gone, kfk_admin_delete_topics(client, doomed + round, 1, 10000, on_admin, &gone));
        CHECK_EQ_INT(gone.a, round == 0 ? 0 : 3);
    }

    /* bad arguments are refused before anything is sent */
    CHECK_EQ_INT(kfk_admin_create_topics(client, NULL, 1, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_topics(client, topics, 0, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_topic_configs(client, NULL, alter, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_create_partitions(client, name, 0, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_records(client, &before, 1, -1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_group_lag(client, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_groups(client, NULL, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_describe_groups_operations(client, NULL, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_validate_create_topics(client, NULL, 1, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_validate_create_partitions(client, name, 0, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_group_offsets(client, NULL, &at, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_topic_partition_t bad_spec = {name, 0, -1, -4, NULL};
    CHECK_EQ_INT(kfk_admin_list_offsets(client, &bad_spec, 1, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_elect_leaders(client, 2, NULL, 0, 1000, NULL, NULL), KFK_ERR_INVALID_ARG);
    const char *bad_acl[] = {"queue", name, "literal", "User:alice", "*", "read", "allow"};
    CHECK_EQ_INT(kfk_admin_create_acls(client, bad_acl, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_create_acls(client, acl_any, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_scram_credential_t bad_mech = {"u", 3, 4096, "p", 1, NULL, 0};
    CHECK_EQ_INT(kfk_admin_alter_user_scram_credentials(client, &bad_mech, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    const char *bad_res[] = {"queue", "x"};
    CHECK_EQ_INT(kfk_admin_describe_configs(client, bad_res, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    const char *bad_op[] = {"topic", name, "replace", "retention.ms", "1"};
    CHECK_EQ_INT(kfk_admin_incremental_alter_configs(client, bad_op, 1, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    close_client();
}

int main(void) {
    static const kt_test_t tests[] = {
        {"configuration errors name the key", test_config_errors, 0},
        {"NULL and forged client handles", test_bad_client_handles, 0},
        {"produce, produce_batch, delivery reports, flush, close", test_produce_and_flush, 1},
        {"delivery reports taken a few at a time", test_reports_taken_a_few_at_a_time, 1},
        {"untagged successes left out, tagged ones in order", test_untagged_successes_left_out, 1},
        {"queue full", test_queue_full, 1},
        {"staged and direct records keep their order", test_staged_and_direct_records_keep_their_order, 1},
        {"a direct record waits for a move under way", test_direct_record_waits_for_a_move_under_way, 1},
        {"staged records stay within the producer's limits", test_staged_records_stay_within_the_limits, 0},
        {"threads produce to one client at once", test_threads_produce_to_one_client, 1},
        {"purge what an unreachable broker never got", test_purge_unreachable, 0},
        {"assign, consume, lag, seek", test_assign_consume_seek_lag, 1},
        {"custom C partitioner, produce_many", test_partitioner_and_produce_many, 1},
        {"produce_values, delivery_reports=failed", test_produce_values, 1},
        {"OAUTHBEARER tokens from the application", test_oauthbearer_application_tokens, 1},
        {"admin calls and their errors", test_admin, 1},
        {"SASL credentials replaced for the next connection", test_set_sasl_credentials, 1},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
