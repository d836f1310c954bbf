/* The C ABI contract without a broker: versions, error names, utilities,
 * handle validation on every entry point, the event queue and its fd,
 * re-entrancy, fork(), and signals kept off the library's threads. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <netinet/in.h>
#include <unistd.h>

#include "harness.h"

static void test_version(void) {
    CHECK_EQ_INT(kfk_version(), KFK_VERSION);
    CHECK_EQ_STR(kfk_version_str(), KFK_VERSION_STR);
}

static void test_error_names(void) {
    CHECK_EQ_STR(kfk_err_name(0), "NONE");
    CHECK_EQ_STR(kfk_err_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
    CHECK_EQ_STR(kfk_err_name(6), "NOT_LEADER_OR_FOLLOWER");
    CHECK_EQ_STR(kfk_err_name(79), "MEMBER_ID_REQUIRED");
    CHECK_EQ_STR(kfk_err_name(-1), "UNKNOWN_SERVER_ERROR");
    CHECK_EQ_STR(kfk_err_name(KFK_ERR_TIMED_OUT), "KFK_ERR_TIMED_OUT");
    CHECK_EQ_STR(kfk_err_name(KFK_ERR_INVALID_HANDLE), "KFK_ERR_INVALID_HANDLE");
    CHECK(strlen(kfk_err_string(3)) > 0);
    CHECK(strlen(kfk_err_string(KFK_ERR_FORKED)) > 0);
    /* Unknown codes share one name and text; all 32 bits count. */
    CHECK_EQ_STR(kfk_err_name(31999), "UNKNOWN");
    CHECK_EQ_STR(kfk_err_name(65539), "UNKNOWN");
    CHECK_EQ_STR(kfk_err_name(-99), "UNKNOWN");
    CHECK_EQ_STR(kfk_err_name(-199), "UNKNOWN");
    CHECK_EQ_STR(kfk_err_string(65539), kfk_err_string(31999));
    CHECK_EQ_STR(kfk_err_string(-199), kfk_err_string(31999));
    CHECK_EQ_INT(kfk_err_retriable(65539), 0);
    CHECK_EQ_INT(kfk_err_retriable(65536 + 6), 0);
    CHECK_EQ_INT(kfk_err_retriable(6), 1);
    CHECK_EQ_INT(kfk_err_retriable(36), 0);
    size_t n = kfk_err_codes(NULL, 0);
    CHECK(n > 100);
    kfk_err_t *codes = calloc(n, sizeof *codes);
    CHECK_EQ_INT(kfk_err_codes(codes, n), n);
    int saw_ok = 0, saw_local = 0, saw_kafka = 0;
    for (size_t i = 0; i < n; i++) {
        saw_ok |= codes[i] == KFK_OK;
        saw_local |= codes[i] == KFK_ERR_FORKED;
        saw_kafka |= codes[i] == 36;
        CHECK(strcmp(kfk_err_name(codes[i]), "UNKNOWN") != 0);
    }
    CHECK(saw_ok && saw_local && saw_kafka);
    free(codes);
}

static void test_utilities(void) {
    /* Java client vectors (Utils.murmur2 & 0x7fffffff). */
    CHECK_EQ_INT(kfk_murmur2("21", 2), -973932308 & 0x7fffffff);
    CHECK_EQ_INT(kfk_murmur2("foobar", 6), -790332482 & 0x7fffffff);
    CHECK_EQ_INT(kfk_murmur2("abc", 3), 479470107);
    CHECK_EQ_INT(kfk_murmur2(NULL, 3), -1);
    CHECK_EQ_INT(kfk_crc32c("123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(kfk_crc32c("", 0), 0);
}

/* Handles that must be refused: NULL, forged, and one that was destroyed. */
static void check_bad_conn(kfk_conn_t *c) {
    kfk_topic_partition_t tp = {"t", 0, -1, 0, NULL};
    kfk_record_t rec = {"k", 1, "v", 1, NULL, 0, -1};
    const char *topics[] = {"t"};
    kfk_new_topic_t nt = {"t", 1, 1, 0, NULL, 0};
    int16_t vers[4];
    CHECK_EQ_INT(kfk_conn_destroy(c), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_event_handler(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_client_id(c, "x"), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_tls(c, 1, NULL, 0, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_sasl(c, "PLAIN", "u", "p"), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_auto_reconnect(c, 1, 10), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_set_request_timeout(c, 10), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_connect(c, "127.0.0.1", 9092, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_disconnect(c), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_connected(c), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_state(c), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_pending(c), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_api_versions(c, vers, 4), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_metadata(c, topics, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_produce_batch(c, "t", 0, &rec, 1, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_fetch(c, &tp, 1, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_list_offsets(c, "t", 0, -1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_find_coordinator(c, "g", 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_join_group(c, "g", "", topics, 1, 0, 0, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_sync_group(c, "g", 1, "m", NULL, 0, NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_heartbeat(c, "g", 1, "m", NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_leave_group(c, "g", "m", NULL, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_offset_commit(c, "g", -1, "", &tp, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_offset_fetch(c, "g", topics, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_create_topics(c, &nt, 1, 1000, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_delete_topics(c, topics, 1, 1000, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_init_producer_id(c, NULL, 1000, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_add_partitions_to_txn(c, "x", 1, 0, &tp, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_add_offsets_to_txn(c, "x", 1, 0, "g", NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_end_txn(c, "x", 1, 0, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_txn_offset_commit(c, "x", "g", 1, 0, -1, NULL, &tp, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_raw_request(c, 18, 0, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
}

static void check_bad_queue(kfk_queue_t *q) {
    kfk_event_t evs[2];
    kfk_conn_t *c = (kfk_conn_t *)0x1;
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_queue_fd(q), -1);
    CHECK_EQ_INT(kfk_poll(q, 0, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_poll_batch(q, evs, 2, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_wake(q), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_queue_set_handler(q, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_queue_length(q), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_ERR_INVALID_HANDLE);
    CHECK(c == NULL);
}

static void test_bad_handles(void) {
    check_bad_conn(NULL);
    check_bad_conn((kfk_conn_t *)(uintptr_t)0xdeadbeefcafeULL);
    check_bad_queue(NULL);
    check_bad_queue((kfk_queue_t *)(uintptr_t)0x123456789ULL);

    kfk_queue_t *q;
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    /* a conn handle is not a queue handle, and vice versa */
    CHECK_EQ_INT(kfk_poll((kfk_queue_t *)c, 0, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_state((kfk_conn_t *)q), KFK_ERR_INVALID_HANDLE);
    /* a queue with a conn attached cannot be destroyed */
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_ERR_STATE);
    CHECK_EQ_INT(kfk_conn_state(c), KFK_CONN_DISCONNECTED);
    CHECK_EQ_INT(kfk_conn_connected(c), 0);
    CHECK_EQ_INT(kfk_conn_destroy(c), KFK_OK);
    check_bad_conn(c); /* stale */
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_OK);
    check_bad_queue(q); /* stale */
}

static void test_bad_arguments(void) {
    kfk_queue_t *q;
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    CHECK_EQ_INT(kfk_conn_connect(c, NULL, 9092, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "", 9092, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 0, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 70000, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 9092, -5), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_sasl(c, "KERBEROS", "u", "p"), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_kerberos(c, NULL, "/k", NULL), KFK_ERR_STATE); /* before GSSAPI */
    CHECK_EQ_INT(kfk_conn_set_sasl(c, "GSSAPI", NULL, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_kerberos(c, NULL, NULL, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_sasl(c, NULL, NULL, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_tls(c, 1, "/nonexistent/ca.pem", 0, NULL), KFK_ERR_TLS);
    CHECK_EQ_INT(kfk_conn_set_request_timeout(c, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_client_id(c, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_metadata(c, NULL, 2, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_metadata(c, NULL, -2, NULL, NULL), KFK_ERR_INVALID_ARG); /* only -1 is "all" */
    const char *with_null[] = {"a", NULL};
    CHECK_EQ_INT(kfk_conn_metadata(c, with_null, 2, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_produce_batch(c, NULL, 0, NULL, 0, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_produce_batch(c, "t", 0, NULL, 1, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_fetch(c, NULL, 1, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_topic_partition_t no_topic = {NULL, 0, -1, 0, NULL};
    CHECK_EQ_INT(kfk_conn_fetch(c, &no_topic, 1, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_find_coordinator(c, "g", 7, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_list_offsets(c, "t", -1, -1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_poll_batch(q, NULL, 4, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_api_versions(c, NULL, 0), KFK_ERR_NOT_CONNECTED);
    kfk_conn_destroy(c);
    kfk_queue_destroy(q);
}

/* A request on a connection that was never connected fails through its
 * callback with KFK_ERR_NOT_CONNECTED, and the queue fd signals it. */
static int not_connected_err, not_connected_done;
static void on_not_connected(const kfk_event_t *ev, void *opaque) {
    CHECK(opaque == (void *)0x42);
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    CHECK(ev->result == NULL);
    CHECK(ev->errstr != NULL);
    not_connected_err = ev->err;
    not_connected_done = 1;
}

static void test_queue_fd_and_not_connected(void) {
    kfk_queue_t *q;
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    int fd = kfk_queue_fd(q);
    CHECK(fd >= 0);
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK_EQ_INT(poll(&pfd, 1, 0), 0); /* empty queue: not readable */
    CHECK_EQ_INT(kfk_conn_metadata(c, NULL, -1, on_not_connected, (void *)0x42), KFK_OK);
    CHECK_EQ_INT(kt_readable(fd, 2000), 1); /* readable once the event is queued */
    CHECK_EQ_INT(kfk_queue_length(q), 1);
    CHECK_EQ_INT(kfk_poll(q, 0, 0), 1);
    CHECK_EQ_INT(not_connected_done, 1);
    CHECK_EQ_INT(not_connected_err, KFK_ERR_NOT_CONNECTED);
    pfd.revents = 0;
    CHECK_EQ_INT(poll(&pfd, 1, 0), 0); /* drained: not readable again */
    CHECK_EQ_INT(kfk_poll(q, 0, 0), 0);
    kfk_conn_destroy(c);
    kfk_queue_destroy(q);
}

/* Events without a callback are returned by kfk_poll_batch. */
static void test_poll_batch(void) {
    kfk_queue_t *q;
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    for (intptr_t i = 1; i <= 5; i++)
        CHECK_EQ_INT(kfk_conn_metadata(c, NULL, -1, NULL, (void *)i), KFK_OK);
    kfk_event_t evs[3];
    int n = kfk_poll_batch(q, evs, 3, 1000);
    CHECK_EQ_INT(n, 3);
    for (int i = 0; i < n; i++) {
        CHECK_EQ_INT((intptr_t)evs[i].opaque, i + 1);
        CHECK_EQ_INT(evs[i].err, KFK_ERR_NOT_CONNECTED);
        CHECK(evs[i].source == (void *)c);
    }
    CHECK(poll(&(struct pollfd){kfk_queue_fd(q), POLLIN, 0}, 1, 0) == 1); /* 2 left */
    n = kfk_poll_batch(q, evs, 3, 1000);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT((intptr_t)evs[1].opaque, 5);
    CHECK_EQ_INT(kfk_poll_batch(q, evs, 3, 0), 0);
    kfk_conn_destroy(c);
    kfk_queue_destroy(q);
}

/* A refused connection reports an ERROR event; polling from inside its
 * callback is refused with KFK_ERR_REENTRANT. */
static int reentrant_rc, error_seen;
static kfk_queue_t *reentrant_q;
static int destroy_served_rc, destroy_other_rc;
static kfk_queue_t *other_q;
static void on_error_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_ERROR) {
        CHECK(ev->err == KFK_ERR_CONNECT);
        CHECK(ev->errstr && strstr(ev->errstr, "127.0.0.1"));
        reentrant_rc = kfk_poll(reentrant_q, 0, 0);
        /* A callback may destroy any queue but the one it is served from. */
        destroy_served_rc = kfk_queue_destroy(reentrant_q);
        destroy_other_rc = kfk_queue_destroy(other_q);
        error_seen = 1;
    }
}

static int closed_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s); /* nothing listens there now */
    return ntohs(a.sin_port);
}

static void test_connect_refused_and_reentrancy(void) {
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(&reentrant_q), KFK_OK);
    CHECK_EQ_INT(kfk_queue_new(&other_q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(reentrant_q, &c), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_event_handler(c, on_error_event, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_conn_connect(c, "127.0.0.1", closed_port(), 2000), KFK_OK);
    CHECK(kt_wait(reentrant_q, &error_seen, 5000));
    CHECK_EQ_INT(reentrant_rc, KFK_ERR_REENTRANT);
    CHECK_EQ_INT(destroy_served_rc, KFK_ERR_REENTRANT);
    CHECK_EQ_INT(destroy_other_rc, KFK_OK);
    CHECK_EQ_INT(kfk_queue_destroy(other_q), KFK_ERR_INVALID_HANDLE); /* it is gone */
    CHECK_EQ_INT(kfk_conn_state(c), KFK_CONN_DISCONNECTED);
    kfk_conn_destroy(c);
    kfk_queue_destroy(reentrant_q);
}

/* kfk_wake makes a blocked poll return early. */
static void test_wake(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_wake(q), KFK_OK);
    CHECK_EQ_INT(kfk_poll(q, 60000, 0), 0); /* returns at once, not after 60 s */
    kfk_queue_destroy(q);
}

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *wake_soon(void *q) {
    usleep(20 * 1000);
    kfk_wake(q);
    return NULL;
}

/* A poll sleeping past its first moments (with a timeout, or none) is
 * woken from another thread; after it, shorter polls each end by their own
 * deadline, and none before it. */
static void test_poll_timeouts(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    pthread_t waker;
    CHECK(pthread_create(&waker, NULL, wake_soon, q) == 0);
    CHECK_EQ_INT(kfk_poll(q, 60000, 0), 0); /* woken, not after 60 s */
    CHECK(pthread_join(waker, NULL) == 0);
    CHECK(pthread_create(&waker, NULL, wake_soon, q) == 0);
    CHECK_EQ_INT(kfk_poll(q, -1, 0), 0); /* no timeout: woken */
    CHECK(pthread_join(waker, NULL) == 0);
    for (int i = 0; i < 3; i++) {
        double start = seconds_now();
        CHECK_EQ_INT(kfk_poll(q, 50, 0), 0);
        double took = seconds_now() - start;
        CHECK(took >= 0.049);
        CHECK(took < 30); /* its own deadline, not the 60 s one */
    }
    kfk_queue_destroy(q);
}

/* Sizes that cannot be real: (size_t)-1 (a negative int passed as size_t)
 * and 2^40, each with a valid pointer to one element, on every entry point
 * that takes a count or a length. The library must refuse them
 * (KFK_ERR_INVALID_ARG) before reading past the element or allocating. */
#define HUGE_COUNT 2
static const size_t huge_sizes[HUGE_COUNT] = {(size_t)-1, (size_t)1 << 40};

static kfk_client_t *offline_client(kfk_queue_t *q) {
    kfk_conf_t *conf;
    kfk_client_t *c = NULL;
    char err[128];
    CHECK_EQ_INT(kfk_conf_new(&conf), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_client_new(q, conf, &c, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    return c;
}

/* Records a figure for docs/RELIABILITY.md when KFK_REPORT_DIR is set
 * (make reliability-report); called only once the checks passed. */
static void report_figure(const char *file, const char *test, const char *what, const char *key, int count) {
    const char *dir = getenv("KFK_REPORT_DIR");
    char path[1024];
    if (!dir || kt_failed_checks)
        return;
    snprintf(path, sizeof path, "%s/%s.json", dir, file);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "{\"area\": \"caller input (C ABI)\", \"test\": \"%s\", \"what\": \"%s\", \"figures\": {\"%s\": %d}}\n",
            test, what, key, count);
    fclose(f);
}

static int huge_checks;
#define CHECK_HUGE(call) do { CHECK_EQ_INT(call, KFK_ERR_INVALID_ARG); huge_checks++; } while (0)

static void test_huge_sizes(void) {
    kfk_queue_t *q;
    kfk_conn_t *c;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    kfk_client_t *cl = offline_client(q);
    kfk_topic_partition_t tp = {"t", 0, 0, -1, NULL};
    const char *names[] = {"t"};
    const char *kv[] = {"retention.ms", "1000"};
    kfk_new_topic_t nt = {"t", 1, 1, 0, NULL, 0};
    kfk_header_t hdr = {"h", 1, "v", 1};
    kfk_produce_opts_t po;
    kfk_produce_opts_init(&po);
    char byte = 'x';
    for (int i = 0; i < HUGE_COUNT; i++) {
        size_t n = huge_sizes[i];
        kfk_record_t rec = {"k", 1, "v", 1, NULL, 0, -1};
        /* the low-level connection */
        CHECK_HUGE(kfk_conn_produce_batch(c, "t", 0, &rec, n, &po, NULL, NULL));
        rec.key_len = n;
        CHECK_HUGE(kfk_conn_produce_batch(c, "t", 0, &rec, 1, &po, NULL, NULL));
        rec.key_len = 1, rec.value_len = n;
        CHECK_HUGE(kfk_conn_produce_batch(c, "t", 0, &rec, 1, &po, NULL, NULL));
        rec.value_len = 1, rec.headers = &hdr, rec.header_count = n;
        CHECK_HUGE(kfk_conn_produce_batch(c, "t", 0, &rec, 1, &po, NULL, NULL));
        CHECK_HUGE(kfk_conn_fetch(c, &tp, n, NULL, NULL, NULL));
        CHECK_HUGE(kfk_conn_join_group(c, "g", "", names, n, 1000, 1000, NULL, NULL, NULL));
        kfk_member_assignment_t ma = {"m", &tp, 1};
        CHECK_HUGE(kfk_conn_sync_group(c, "g", 1, "m", &ma, n, NULL, NULL, NULL));
        ma.n = n;
        CHECK_HUGE(kfk_conn_sync_group(c, "g", 1, "m", &ma, 1, NULL, NULL, NULL));
        CHECK_HUGE(kfk_conn_offset_commit(c, "g", -1, "", &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_conn_offset_fetch(c, "g", names, n, NULL, NULL));
        CHECK_HUGE(kfk_conn_create_topics(c, &nt, n, 1000, NULL, NULL));
        kfk_new_topic_t with_config = {"t", 1, 1, 0, kv, n};
        CHECK_HUGE(kfk_conn_create_topics(c, &with_config, 1, 1000, NULL, NULL));
        CHECK_HUGE(kfk_conn_delete_topics(c, names, n, 1000, NULL, NULL));
        CHECK_HUGE(kfk_conn_add_partitions_to_txn(c, "x", 1, 0, &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_conn_txn_offset_commit(c, "x", "g", 1, 0, -1, NULL, &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_conn_raw_request(c, 3, 0, &byte, n, NULL, NULL));
        /* the cluster client */
        kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1, .key = "k", .key_len = n};
        CHECK_HUGE(kfk_produce(cl, &m, NULL));
        m.key_len = 1, m.value = "v", m.value_len = n;
        CHECK_HUGE(kfk_produce(cl, &m, NULL));
        m.value_len = 1, m.headers = &hdr, m.header_count = n;
        CHECK_HUGE(kfk_produce(cl, &m, NULL));
        m.header_count = 0;
        CHECK_HUGE(kfk_produce_batch(cl, &m, n, NULL, NULL));
        CHECK_HUGE(kfk_produce_many(cl, &m, n, NULL, NULL, NULL));
        CHECK_HUGE(kfk_client_metadata(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_assign(cl, &tp, n));
        CHECK_HUGE(kfk_subscribe(cl, names, n, kv, 0, NULL, NULL));
        CHECK_HUGE(kfk_subscribe(cl, names, 1, kv, n, NULL, NULL));
        CHECK_HUGE(kfk_txn_send_offsets(cl, "g", &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_create_topics(cl, &nt, n, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_delete_topics(cl, names, n, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_groups(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_topic_configs(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_alter_topic_configs(cl, "t", kv, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_delete_records(cl, &tp, n, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_delete_groups(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_list_share_groups(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_share_groups(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_alter_share_group_offsets(cl, "g", &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_delete_share_group_offsets(cl, "g", names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_groups_operations(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_alter_group_offsets(cl, "g", &tp, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_list_offsets(cl, &tp, n, 0, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_topics(cl, names, n, 0, NULL, NULL));
        CHECK_HUGE(kfk_admin_elect_leaders(cl, 0, &tp, n, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_create_acls(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_delete_acls(cl, names, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_user_scram_credentials(cl, names, n, NULL, NULL));
        kfk_scram_credential_t cred = {"u", 1, 4096, "p", 1, NULL, 0};
        CHECK_HUGE(kfk_admin_alter_user_scram_credentials(cl, &cred, n, NULL, NULL));
        cred.password_len = n;
        CHECK_HUGE(kfk_admin_alter_user_scram_credentials(cl, &cred, 1, NULL, NULL));
        cred.password_len = 1, cred.salt = "s", cred.salt_len = n;
        CHECK_HUGE(kfk_admin_alter_user_scram_credentials(cl, &cred, 1, NULL, NULL));
        CHECK_HUGE(kfk_admin_describe_configs(cl, kv, n, NULL, NULL));
        CHECK_HUGE(kfk_admin_incremental_alter_configs(cl, kv, n, 0, NULL, NULL));
        CHECK_HUGE(kfk_admin_validate_create_topics(cl, &nt, n, 1000, NULL, NULL));
        int32_t node = 1;
        CHECK_HUGE(kfk_admin_create_topics_placed(cl, &nt, n, &node, 1, 0, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_create_topics_placed(cl, &nt, 1, &node, n, 0, 1000, NULL, NULL));
        CHECK_HUGE(kfk_admin_create_partitions_placed(cl, "t", 2, &node, n, 1, 0, 1000, NULL, NULL));
    }
    printf("# %d huge or negative sizes refused\n", huge_checks);
    report_figure("c-abi-sizes", "test_abi: huge and negative sizes",
                  "(size_t)-1 and 2^40 as every count and length of every entry point that takes one: KFK_ERR_INVALID_ARG, nothing read or allocated",
                  "calls with bad sizes", huge_checks);
    kfk_client_destroy(cl);
    kfk_conn_destroy(c);
    kfk_queue_destroy(q);
}

/* Topic names Kafka refuses are refused at the call (17,
 * INVALID_TOPIC_EXCEPTION), never sent. */
static void test_invalid_topic_names(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    kfk_client_t *cl = offline_client(q);
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    const char *bad[] = {"", ".", "..", "a/b", "with space", "tab\there", "caf\xc3\xa9", long_name};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kfk_message_t m = {.topic = bad[i], .partition = -1, .timestamp = -1};
        CHECK_EQ_INT(kfk_produce(cl, &m, NULL), 17);
    }
    report_figure("c-abi-topics", "test_abi: invalid topic names",
                  "empty, ., .., slash, space, tab, non-ASCII and 299-character topic names refused at the call",
                  "names refused", (int)(sizeof bad / sizeof bad[0]));
    kfk_client_destroy(cl);
    kfk_queue_destroy(q);
}

/* A closed client: produce is refused with KFK_ERR_CLOSED; every other
 * call is either refused at once or completes through its callback, none
 * of them hangs, and the ones that need a broker fail. A destroyed client
 * is an invalid handle. */
static int offline_closed, closed_calls_done, closed_calls_failed;
static void on_offline_closed(const kfk_event_t *ev, void *opaque) {
    (void)ev, (void)opaque;
    offline_closed = 1;
}
static void on_closed_call(const kfk_event_t *ev, void *needs_broker) {
    if (ev->type != KFK_EVENT_RESULT)
        return;
    closed_calls_done++;
    if (needs_broker)
        closed_calls_failed += ev->err != 0;
}

static void test_closed_client(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    kfk_client_t *cl = offline_client(q);
    CHECK_EQ_INT(kfk_client_close(cl, 0, on_offline_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &offline_closed, 10000));
    kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1};
    kfk_topic_partition_t tp = {"t", 0, 0, -1, NULL};
    const char *names[] = {"t"};
    const char *group[] = {"group_id", "g"};
    void *broker = (void *)1;
    CHECK_EQ_INT(kfk_produce(cl, &m, NULL), KFK_ERR_CLOSED);
    int issued = 0, needs_broker = 0;
#define CLOSED_CALL(call, nb) do { kfk_err_t rc = (call); \
        CHECK(rc == KFK_OK || rc == KFK_ERR_CLOSED || rc == KFK_ERR_STATE); \
        if (rc == KFK_OK) { issued++; needs_broker += (nb) != NULL; } } while (0)
    CLOSED_CALL(kfk_client_connect(cl, on_closed_call, broker), broker);
    CLOSED_CALL(kfk_client_metadata(cl, names, 1, on_closed_call, broker), broker);
    CLOSED_CALL(kfk_admin_list_groups(cl, on_closed_call, broker), broker);
    CLOSED_CALL(kfk_admin_share_group_offsets(cl, "g", on_closed_call, broker), broker);
    CLOSED_CALL(kfk_offsets_for(cl, "t", on_closed_call, broker), broker);
    CLOSED_CALL(kfk_flush(cl, 100, on_closed_call, NULL), NULL);
    CLOSED_CALL(kfk_assign(cl, &tp, 1), NULL);
    CLOSED_CALL(kfk_consume(cl, on_closed_call, NULL), NULL);
    CLOSED_CALL(kfk_subscribe(cl, names, 1, group, 1, NULL, NULL), NULL);
    CLOSED_CALL(kfk_txn_begin(cl), NULL);
    CLOSED_CALL(kfk_client_close(cl, 0, on_closed_call, NULL), NULL);
#undef CLOSED_CALL
    /* assign and subscribe answer at once; every callback must come */
    int want = issued - 2;
    for (int i = 0; i < 200 && closed_calls_done < want; i++)
        kfk_poll(q, 100, 0);
    CHECK_EQ_INT(closed_calls_done, want);
    CHECK_EQ_INT(closed_calls_failed, needs_broker);
    report_figure("c-abi-closed", "test_abi: calls on a closed client",
                  "every call on a closed client refused or completed through its callback; none hangs",
                  "calls on a closed client", issued + 1);
    CHECK_EQ_INT(kfk_client_partition_count(cl, "t"), -1);
    CHECK_EQ_INT(kfk_client_partition_count(cl, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_client_destroy(cl), KFK_OK);
    CHECK_EQ_INT(kfk_client_partition_count(cl, "t"), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_produce(cl, &m, NULL), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_client_destroy(cl), KFK_ERR_INVALID_HANDLE);
    while (kfk_poll(q, 0, 0) > 0) {}
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_OK);
}

/* Every handle kind passed where another kind is expected. */
static void test_wrong_handle_kinds(void) {
    kfk_queue_t *q;
    kfk_conn_t *c;
    kfk_conf_t *conf;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    CHECK_EQ_INT(kfk_conn_new(q, &c), KFK_OK);
    CHECK_EQ_INT(kfk_conf_new(&conf), KFK_OK);
    kfk_client_t *cl = offline_client(q);
    kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1};
    char err[64];
    kfk_client_t *out = (kfk_client_t *)0x1;
    void *not_client[] = {q, c, conf};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(kfk_produce((kfk_client_t *)not_client[i], &m, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_destroy((kfk_client_t *)not_client[i]), KFK_ERR_INVALID_HANDLE);
    }
    void *not_conf[] = {q, c, cl};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ_INT(kfk_conf_set((kfk_conf_t *)not_conf[i], "acks", "1", err, sizeof err), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_client_new(q, (kfk_conf_t *)not_conf[i], &out, err, sizeof err), KFK_ERR_INVALID_HANDLE);
        CHECK(out == NULL);
        out = (kfk_client_t *)0x1;
    }
    CHECK_EQ_INT(kfk_client_new((kfk_queue_t *)cl, conf, &out, err, sizeof err), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_poll((kfk_queue_t *)cl, 0, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_poll((kfk_queue_t *)conf, 0, 0), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_state((kfk_conn_t *)cl), KFK_ERR_INVALID_HANDLE);
    CHECK_EQ_INT(kfk_conn_state((kfk_conn_t *)conf), KFK_ERR_INVALID_HANDLE);
    /* a conf handle stays valid until destroyed, and only then */
    CHECK_EQ_INT(kfk_conf_destroy(conf), KFK_OK);
    CHECK_EQ_INT(kfk_conf_destroy(conf), KFK_ERR_INVALID_HANDLE);
    kfk_client_destroy(cl);
    kfk_conn_destroy(c);
    kfk_queue_destroy(q);
}

/* After fork(), the child gets KFK_ERR_FORKED from every entry point and
 * never enters the Go runtime (which would hang). */
static void test_fork(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    kfk_client_t *parent_client = offline_client(q);
    pid_t pid = fork();
    if (pid == 0) {
        kfk_queue_t *q2 = NULL;
        kfk_conn_t *c2 = NULL;
        kfk_conf_t *conf2 = NULL;
        kfk_message_t m = {.topic = "t", .partition = -1, .timestamp = -1};
        int ok = kfk_queue_new(&q2) == KFK_ERR_FORKED && q2 == NULL &&
                 kfk_conf_new(&conf2) == KFK_ERR_FORKED && conf2 == NULL &&
                 kfk_produce(parent_client, &m, NULL) == KFK_ERR_FORKED &&
                 kfk_flush(parent_client, 0, NULL, NULL) == KFK_ERR_FORKED &&
                 kfk_client_partition_count(parent_client, "t") == KFK_ERR_FORKED &&
                 kfk_client_destroy(parent_client) == KFK_ERR_FORKED &&
                 kfk_poll(q, 0, 0) == KFK_ERR_FORKED &&
                 kfk_conn_new(q, &c2) == KFK_ERR_FORKED &&
                 kfk_queue_fd(q) == -1 &&
                 strcmp(kfk_err_name(3), "KFK_ERR_FORKED") == 0;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the parent is unaffected */
    CHECK_EQ_INT(kfk_poll(q, 0, 0), 0);
    CHECK_EQ_INT(kfk_client_destroy(parent_client), KFK_OK);
    kfk_queue_destroy(q);
}

/* A process-directed signal never runs a host handler on one of the
 * library's threads, where a handler installed without SA_ONSTACK (as
 * Perl's %SIG and Ruby's trap install them) would run on a small goroutine
 * stack. The main thread blocks SIGUSR1, so the kernel must choose another
 * thread that does not: a host thread waiting in pause() is the only one. */
static volatile pid_t usr1_tids[512];
static volatile int usr1_count;
static volatile int usr1_stop;

static void on_usr1(int sig) {
    (void)sig;
    int n = usr1_count;
    if (n < 512)
        usr1_tids[n] = (pid_t)syscall(SYS_gettid);
    usr1_count = n + 1;
}

static void *usr1_waiter(void *tid) {
    *(pid_t *)tid = (pid_t)syscall(SYS_gettid);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    while (!usr1_stop)
        pause();
    return NULL;
}

static void test_signals_reach_host_threads(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK); /* the library's threads are running */
    /* The thread that loaded the library has its own mask back. */
    sigset_t now;
    CHECK(pthread_sigmask(SIG_BLOCK, NULL, &now) == 0);
    CHECK(!sigismember(&now, SIGINT) && !sigismember(&now, SIGTERM) && !sigismember(&now, SIGUSR1));
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK(pthread_sigmask(SIG_BLOCK, &usr1, &old) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_ONSTACK, deliberately */
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    pid_t waiter_tid = 0;
    pthread_t waiter;
    CHECK(pthread_create(&waiter, NULL, usr1_waiter, &waiter_tid) == 0);
    while (waiter_tid == 0)
        usleep(1000);
    /* Each signal is sent once the last was handled: standard signals
     * pending together coalesce, and how many would depends on the load. */
    enum { SIGNALS = 200, HANDLED_WITHIN_MS = 10000 };
    for (int i = 0; i < SIGNALS; i++) {
        kill(getpid(), SIGUSR1);
        int waited_ms = 0;
        while (usr1_count <= i && waited_ms++ < HANDLED_WITHIN_MS)
            usleep(1000);
        if (usr1_count <= i) {
            fprintf(stderr, "  signal %d was not handled within %d ms\n", i + 1, HANDLED_WITHIN_MS);
            break;
        }
    }
    int got = usr1_count;
    CHECK_EQ_INT(got, SIGNALS);
    int elsewhere = 0;
    for (int i = 0; i < got && i < 512; i++)
        elsewhere += usr1_tids[i] != waiter_tid;
    CHECK_EQ_INT(elsewhere, 0);
    usr1_stop = 1;
    pthread_kill(waiter, SIGUSR1);
    CHECK(pthread_join(waiter, NULL) == 0);
    CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);
    kfk_queue_destroy(q);
}

int main(void) {
    static const kt_test_t tests[] = {
        {"version", test_version, 0},
        {"error names", test_error_names, 0},
        {"murmur2 and crc32c", test_utilities, 0},
        {"NULL, forged, stale and wrong-type handles", test_bad_handles, 0},
        {"bad arguments", test_bad_arguments, 0},
        {"queue fd and not-connected results", test_queue_fd_and_not_connected, 0},
        {"batch pull", test_poll_batch, 0},
        {"refused connect and re-entrant poll", test_connect_refused_and_reentrancy, 0},
        {"wake", test_wake, 0},
        {"poll timeouts", test_poll_timeouts, 0},
        {"huge and negative sizes", test_huge_sizes, 0},
        {"invalid topic names", test_invalid_topic_names, 0},
        {"calls on a closed client", test_closed_client, 0},
        {"every handle kind where another is expected", test_wrong_handle_kinds, 0},
        {"fork", test_fork, 0},
        {"host signals stay off the library's threads", test_signals_reach_host_threads, 0},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
