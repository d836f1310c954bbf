/* Share groups (KIP-932) through the C ABI, against a real broker:
 * records with their delivery counts, explicit acknowledgements, a
 * released record coming back, commit results, and the calls' refusals. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
        CHECK_EQ_INT(kfk_admin_list_share_groups(c, NULL, 0, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_describe_share_groups(c, topics, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_share_group_offsets(c, "g", NULL, NULL), KFK_ERR_INVALID_HANDLE);
        CHECK_EQ_INT(kfk_admin_delete_groups(c, topics, 1, NULL, NULL), KFK_ERR_INVALID_HANDLE);
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
    enum { CONSUME_FOR_S = 60 };
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    consumed_n = 0;
    do {
        consumed = 0;
        CHECK_EQ_INT(kfk_share_consume(client, on_share_message, (void *)0x5348), KFK_OK);
        CHECK(kt_wait(q, &consumed, 10000));
        for (int i = 0; i < consumed_n && i < 64; i++)
            if (got_offset[i] == offset)
                return got_count[i];
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < CONSUME_FOR_S);
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

/* One admin call's RESULT: its err, the integers at up to three paths,
 * the item count at count_path, and whether the listed group is among
 * groups. */
typedef struct admin_result {
    int done;
    kfk_err_t err;
    long long a, b, c;
    size_t count;
    int listed;
    const char *path_a, *path_b, *path_c, *count_path, *listed_group;
} admin_result_t;

static void on_admin(const kfk_event_t *ev, void *opaque) {
    admin_result_t *r = opaque;
    CHECK_EQ_INT(ev->type, KFK_EVENT_RESULT);
    r->err = ev->err;
    const kfk_val_t *v = ev->result;
    r->a = r->path_a ? kt_int(v, r->path_a) : 0;
    r->b = r->path_b ? kt_int(v, r->path_b) : 0;
    r->c = r->path_c ? kt_int(v, r->path_c) : 0;
    const kfk_val_t *counted = r->count_path ? kt_path(v, r->count_path) : v;
    r->count = counted ? counted->n : 0;
    r->listed = 0;
    const kfk_val_t *groups = kt_path(v, "groups");
    for (size_t i = 0; r->listed_group && groups && i < groups->n; i++) {
        const kfk_val_t *id = kfk_val_get(kfk_val_at(groups, i), "group_id");
        r->listed |= id && id->n == strlen(r->listed_group) && memcmp(id->s, r->listed_group, id->n) == 0;
    }
    r->done = 1;
}

#define ADMIN(r, call) do { (r).done = 0; CHECK_EQ_INT(call, KFK_OK); CHECK(kt_wait(q, &(r).done, 30000)); } while (0)

/* Waits (60 s at most) until the share group's offsets on partition 0
 * of topic are start (any, when negative) and lag. */
static int share_offsets_reach(const char *group, const char *topic, long long start, long long lag) {
    char start_path[192], lag_path[192];
    snprintf(start_path, sizeof start_path, "%s:0.start_offset", topic);
    snprintf(lag_path, sizeof lag_path, "%s:0.lag", topic);
    admin_result_t offs = {.path_a = start_path, .path_b = lag_path};
    for (int round = 0; round < 300; round++) {
        ADMIN(offs, kfk_admin_share_group_offsets(client, group, on_admin, &offs));
        CHECK_EQ_INT(offs.err, 0);
        if (offs.count > 0 && (start < 0 || offs.a == start) && offs.b == lag)
            return 1;
        kfk_poll(q, 200, 0);
    }
    return 0;
}

static void test_share_admin(void) {
    char topic[128], group[160];
    kt_unique(topic, sizeof topic, "cshareadmin");
    snprintf(group, sizeof group, "sg-%s", topic);
    connect_client();
    for (int i = 0; i < 4; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = "v", .value_len = 1};
        CHECK_EQ_INT(kfk_produce(client, &m, NULL), KFK_OK);
    }
    done = 0;
    CHECK_EQ_INT(kfk_flush(client, 30000, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(30000), 0);
    share_group_from_earliest(group);
    const char *topics[] = {topic};
    const char *opts[] = {"group_id", group};
    CHECK_EQ_INT(kfk_share_subscribe(client, topics, 1, opts, 1), KFK_OK);
    CHECK(consume_until(3) == 1);
    committed = 0;
    CHECK_EQ_INT(kfk_share_commit(client, on_commit, NULL), KFK_OK); /* accepts all four */
    CHECK(kt_wait(q, &committed, 30000));
    CHECK_EQ_INT(commit_code, 0);

    const char *stable[] = {"stable"}, *empty[] = {"empty"};
    admin_result_t listed = {.listed_group = group};
    ADMIN(listed, kfk_admin_list_share_groups(client, stable, 1, on_admin, &listed));
    CHECK_EQ_INT(listed.err, 0);
    CHECK(listed.listed);
    ADMIN(listed, kfk_admin_list_share_groups(client, empty, 1, on_admin, &listed));
    CHECK(!listed.listed);

    char assigned[192];
    snprintf(assigned, sizeof assigned, "groups.0.members.0.assignment.%s.0", topic);
    const char *gids[] = {group, "no-such-share-group-kfk"};
    admin_result_t described = {.path_a = "groups.0.error_code", .path_b = assigned,
                                .path_c = "groups.1.error_code", .count_path = "groups.0.members"};
    ADMIN(described, kfk_admin_describe_share_groups(client, gids, 2, on_admin, &described));
    CHECK_EQ_INT(described.err, 0);
    CHECK_EQ_INT(described.a, 0);
    CHECK_EQ_INT(described.count, 1);
    CHECK_EQ_INT(described.b, 0);
    CHECK_EQ_INT(described.c, 69); /* GROUP_ID_NOT_FOUND */

    /* all four accepted: nothing left to read (where the start offset
       stands then is the broker's choice) */
    CHECK(share_offsets_reach(group, topic, -1, 0));

    kfk_topic_partition_t back = {.topic = topic, .partition = 0, .leader_epoch = -1, .offset = 1};
    admin_result_t refused = {0};
    ADMIN(refused, kfk_admin_alter_share_group_offsets(client, group, &back, 1, on_admin, &refused));
    CHECK_EQ_INT(refused.err, 68); /* NON_EMPTY_GROUP: the member is still in */
    done = 0;
    CHECK_EQ_INT(kfk_share_unsubscribe(client, on_done, NULL), KFK_OK);
    CHECK_EQ_INT(wait_done(30000), 0);
    listed.listed = 0;
    for (int round = 0; round < 300 && !listed.listed; round++) {
        ADMIN(listed, kfk_admin_list_share_groups(client, empty, 1, on_admin, &listed));
        kfk_poll(q, 200, 0);
    }
    CHECK(listed.listed);

    admin_result_t altered = {.path_a = "partitions.0.error_code", .path_b = "partitions.0.partition",
                              .count_path = "partitions"};
    ADMIN(altered, kfk_admin_alter_share_group_offsets(client, group, &back, 1, on_admin, &altered));
    CHECK_EQ_INT(altered.err, 0);
    CHECK_EQ_INT(altered.count, 1);
    CHECK_EQ_INT(altered.a, 0);
    CHECK(share_offsets_reach(group, topic, 1, 3));

    admin_result_t forgotten = {.path_a = "topics.0.error_code", .count_path = "topics"};
    ADMIN(forgotten, kfk_admin_delete_share_group_offsets(client, group, topics, 1, on_admin, &forgotten));
    CHECK_EQ_INT(forgotten.err, 0);
    CHECK_EQ_INT(forgotten.count, 1);
    CHECK_EQ_INT(forgotten.a, 0);
    admin_result_t none = {0};
    ADMIN(none, kfk_admin_share_group_offsets(client, group, on_admin, &none));
    CHECK_EQ_INT(none.err, 0);
    CHECK_EQ_INT(none.count, 0);

    admin_result_t deleted = {.path_a = "groups.0.error_code"};
    for (int round = 0; round < 2; round++) {
        ADMIN(deleted, kfk_admin_delete_groups(client, gids, 1, on_admin, &deleted));
        CHECK_EQ_INT(deleted.err, 0);
        CHECK_EQ_INT(deleted.a, round == 0 ? 0 : 69); /* then GROUP_ID_NOT_FOUND */
    }

    /* bad arguments are refused before anything is sent */
    kfk_topic_partition_t below = back, no_topic = back;
    below.offset = -3; /* below KFK_OFFSET_EARLIEST */
    no_topic.topic = NULL;
    const char *null_name[] = {NULL};
    CHECK_EQ_INT(kfk_admin_list_share_groups(client, NULL, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_list_share_groups(client, null_name, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_describe_share_groups(client, gids, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_share_group_offsets(client, NULL, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_share_group_offsets(client, NULL, &back, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_share_group_offsets(client, group, &back, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_share_group_offsets(client, group, &below, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_alter_share_group_offsets(client, group, &no_topic, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_share_group_offsets(client, NULL, topics, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_share_group_offsets(client, group, topics, 0, NULL, NULL), KFK_ERR_INVALID_ARG);
    CHECK_EQ_INT(kfk_admin_delete_groups(client, gids, 0, NULL, NULL), KFK_ERR_INVALID_ARG);

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
        {"share group admin: list, describe, offsets, alter, delete", test_share_admin, 1},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
