/* Share groups (KIP-932) through the C ABI, against a real broker:
 * records with their delivery counts, explicit acknowledgements, a
 * released record coming back, commit results, and the calls' refusals. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void test_bad_share_handles(void) {
    kfk_client_t *bad[] = {NULL, (kfk_client_t *)(uintptr_t)0xfeedfacecafeULL};
    const char *topics[] = {"t"};
    for (int i = 0; i < 2; i++) {
        kfk_client_t *c = bad[i];
        CHECK_EQ_INT(kfk_share_subscribe(c, topics, 1, NULL, 0), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_share_consume(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_share_acknowledge(c, "t", 0, 0, KFK_ACK_ACCEPT), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_share_commit(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_share_unsubscribe(c, NULL, NULL), KFK_ERR_INVALID_HANDLE);
    }
    CHECK_EQ_INT(kfk_message_delivery_count(NULL), KFK_ERR_INVALID_ARG);
    kfk_message_t plain = {.topic = "t"};
    CHECK_EQ_INT(kfk_message_delivery_count(&plain), 0);
}

static kfk_queue_t *q;
static kfk_client_t *client;

static int done;
static kfk_err_t done_err;
static void on_done(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    done_err = ev->err;
    done = 1;
}

/* Waits for the RESULT of a call made with on_done; returns its err. */
static kfk_err_t wait_done(int timeout_ms) {
    CHECK(kt_wait(q, &done, timeout_ms));
    done = 0;
    return done_err;
}

static void connect_client(void) {
    char err[256];
    kfk_conf_t *conf = kt_conf();
    CHECK(conf != NULL);
    kfk_queue_new(&q);
    CHECK_EQ_INT(kfk_client_new(q, conf, &client, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    done = 0;
    CHECK_EQ_INT(kfk_client_connect(client, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(15000), 0);
}

/* share.auto.offset.reset=earliest for group (share groups start at the
 * latest record): IncrementalAlterConfigs v0 of a GROUP resource, encoded
 * here since the client has no call for group configs yet. */
static int configured;
static void on_configured(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    const kfk_val_t *body = kt_path(ev->result, "body");
    /* throttle_time_ms, then the first resource's error code */
    CHECK(body != NULL && body->n >= 10);
    if (body && body->n >= 10) {
        const unsigned char *b = (const unsigned char *)body->s;
        CHECK_EQ_INT((b[8] << 8) | b[9], 0);
    }
    configured = 1;
}

/* Big-endian writers of the request body; each returns the bytes written. */
static size_t put_i32(unsigned char *p, int32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((uint32_t)v >> (24 - 8 * i));
    return 4;
}

static size_t put_str(unsigned char *p, const char *s) {
    size_t n = strlen(s);
    p[0] = (unsigned char)(n >> 8);
    p[1] = (unsigned char)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

static void share_group_from_earliest(const char *group) {
    enum { INCREMENTAL_ALTER_CONFIGS = 44, GROUP_RESOURCE = 32, CONFIG_SET = 0 };
    unsigned char body[512], *p = body;
    p += put_i32(p, 1); /* resources */
    *p++ = GROUP_RESOURCE;
    p += put_str(p, group);
    p += put_i32(p, 1); /* configs */
    p += put_str(p, "share.auto.offset.reset");
    *p++ = CONFIG_SET;
    p += put_str(p, "earliest");
    *p++ = 0; /* validate_only */
    kfk_queue_t *cq;
    kfk_conn_t *c;
    CHECK(kt_connect(&cq, &c));
    configured = 0;
    CHECK_EQ_INT(kfk_conn_raw_request(c, INCREMENTAL_ALTER_CONFIGS, 0, body, (size_t)(p - body), on_configured, NULL),
                 KFK_OK);
    CHECK(kt_wait(cq, &configured, 15000));
    kfk_conn_destroy(c);
    kfk_queue_destroy(cq);
}

/* What kfk_share_consume handed over: offsets and delivery counts. */
static int consumed, consumed_n;
static int64_t got_offset[64];
static int32_t got_count[64];
static void on_share_message(const kfk_event_t *ev, void *opaque) {
    CHECK(opaque == (void *)0x5348);
    if (ev->type == KFK_EVENT_MESSAGE) {
        if (consumed_n < 64) {
            got_offset[consumed_n] = ev->msg->offset;
            got_count[consumed_n] = kfk_message_delivery_count(ev->msg);
        }
        consumed_n++;
        return;
    }
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    done_err = ev->err;
    consumed = 1;
}

/* Consumes until offset arrives (or 60 s pass); returns its delivery
 * count, 0 if it never came. */
static int32_t consume_until(int64_t offset) {
    consumed_n = 0;
    for (int round = 0; round < 30; round++) {
        consumed = 0;
        CHECK_EQ_INT(kfk_share_consume(client, on_share_message, (void *)0x5348), KFK_OK);
        CHECK(kt_wait(q, &consumed, 10000));
        for (int i = 0; i < consumed_n && i < 64; i++)
            if (got_offset[i] == offset)
                return got_count[i];
    }
    return 0;
}

static int committed;
static long long commit_code = -1;
static size_t commit_n;
static void on_commit(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    CHECK_EQ_INT(ev->err, 0);
    commit_n = ev->result ? ev->result->n : 0;
    commit_code = commit_n ? kt_int(ev->result, "0.error_code") : -1;
    committed = 1;
}

static void test_share_acknowledge_release_reject(void) {
    char topic[128], group[160];
    kt_unique(topic, sizeof topic, "cshare");
    snprintf(group, sizeof group, "sg-%s", topic);
    connect_client();
    for (int i = 0; i < 3; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    done = 0;
    CHECK_EQ_INT(kfk_flush(client, 30000, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(30000), 0);
    share_group_from_earliest(group);

    const char *topics[] = {topic};
    const char *bad_opts[] = {"group_id", group, "share_acknowledgement_mode", "sometimes"};
    CHECK_EQ_INT(kfk_share_subscribe(client, topics, 1, bad_opts, 2), KFK_ERR_CONFIG);
    CHECK_EQ_INT(kfk_share_subscribe(client, topics, 0, bad_opts, 1), KFK_ERR_INVALID_ARG);
    consumed = 0;
    CHECK_EQ_INT(kfk_share_consume(client, on_share_message, (void *)0x5348), KFK_OK);
    CHECK(kt_wait(q, &consumed, 10000));
    CHECK_EQ_INT(done_err, KFK_ERR_STATE); /* not subscribed yet */

    const char *opts[] = {"group.id", group, "share.acknowledgement.mode", "explicit"};
    CHECK_EQ_INT(kfk_share_subscribe(client, topics, 1, opts, 2), KFK_OK);
    CHECK_EQ_INT(consume_until(2), 1);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 0, KFK_ACK_RELEASE), KFK_OK);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 1, KFK_ACK_REJECT), KFK_OK);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 2, 7), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_share_acknowledge(client, NULL, 0, 2, KFK_ACK_ACCEPT), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 2, KFK_ACK_ACCEPT), KFK_OK);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 2, KFK_ACK_ACCEPT), KFK_ERR_STATE); /* settled */
    committed = 0;
    CHECK_EQ_INT(kfk_share_commit(client, on_commit, NULL), KFK_OK);
    CHECK(kt_wait(q, &committed, 30000));
    CHECK_EQ_INT(commit_n, 1);
    CHECK_EQ_INT(commit_code, 0);

    CHECK_EQ_INT(consume_until(0), 2); /* the released record, delivered again */
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 0, KFK_ACK_ACCEPT), KFK_OK);
    done = 0;
    CHECK_EQ_INT(kfk_share_unsubscribe(client, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(30000), 0);

    /* implicit mode refuses explicit acknowledgements */
    const char *implicit[] = {"group_id", group};
    CHECK_EQ_INT(kfk_share_subscribe(client, topics, 1, implicit, 1), KFK_OK);
    CHECK_EQ_INT(kfk_share_acknowledge(client, topic, 0, 0, KFK_ACK_ACCEPT), KFK_ERR_STATE);
    committed = 0;
    CHECK_EQ_INT(kfk_share_commit(client, on_commit, NULL), KFK_OK);
    CHECK(kt_wait(q, &committed, 30000));
    CHECK_EQ_INT(commit_n, 0); /* nothing to send */

    done = 0;
    CHECK_EQ_INT(kfk_client_close(client, 10000, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(30000), 0);
    CHECK_EQ_INT(kfk_client_destroy(client), KFK_OK);
    kfk_poll(q, 0, 0);
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_OK);
}

int main(void) {
    static const kt_test_t tests[] = {
        {"NULL and forged handles in the share calls", test_bad_share_handles, 0},
        {"share group: delivery counts, release, reject, commit", test_share_acknowledge_release_reject, 1},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
