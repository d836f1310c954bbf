/* The C ABI contract without a broker: versions, error names, utilities,
 * handle validation on every entry point, the event queue and its fd,
 * re-entrancy, and fork(). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
    CHECK(kfk_err_name(31999) != NULL);
    CHECK_EQ_INT(kfk_err_retriable(6), 1);
    CHECK_EQ_INT(kfk_err_retriable(36), 0);
    size_t n = kfk_err_codes(NULL, 0);
    CHECK(n > 100);
    kfk_err_t *codes = calloc(n, sizeof *codes);
    CHECK_EQ_INT(kfk_err_codes(codes, n), n);
    int saw_local = 0, saw_kafka = 0;
    for (size_t i = 0; i < n; i++) {
        saw_local |= codes[i] == KFK_ERR_FORKED;
        saw_kafka |= codes[i] == 36;
        CHECK(kfk_err_name(codes[i]) != NULL);
    }
    CHECK(saw_local && saw_kafka);
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
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 0, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 70000, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_connect(c, "localhost", 9092, -5), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_sasl(c, "GSSAPI", "u", "p"), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_tls(c, 1, "/nonexistent/ca.pem", 0, NULL), KFK_ERR_TLS);
    CHECK_EQ_INT(kfk_conn_set_request_timeout(c, 0), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_set_client_id(c, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_conn_metadata(c, NULL, 2, NULL, NULL), KFK_ERR_INVALID_ARG);
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
    CHECK_EQ_INT(poll(&pfd, 1, 2000), 1); /* readable once the event is queued */
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
static void on_error_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_ERROR) {
        CHECK(ev->err == KFK_ERR_CONNECT);
        CHECK(ev->errstr && strstr(ev->errstr, "127.0.0.1"));
        reentrant_rc = kfk_poll(reentrant_q, 0, 0);
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
    CHECK_EQ_INT(kfk_conn_new(reentrant_q, &c), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_event_handler(c, on_error_event, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_conn_connect(c, "127.0.0.1", closed_port(), 2000), KFK_OK);
    CHECK(kt_wait(reentrant_q, &error_seen, 5000));
    CHECK_EQ_INT(reentrant_rc, KFK_ERR_REENTRANT);
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

/* After fork(), the child gets KFK_ERR_FORKED from every entry point and
 * never enters the Go runtime (which would hang). */
static void test_fork(void) {
    kfk_queue_t *q;
    CHECK_EQ_INT(kfk_queue_new(&q), KFK_OK);
    pid_t pid = fork();
    if (pid == 0) {
        kfk_queue_t *q2 = NULL;
        kfk_conn_t *c2 = NULL;
        int ok = kfk_queue_new(&q2) == KFK_ERR_FORKED && q2 == NULL &&
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
        {"fork", test_fork, 0},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
