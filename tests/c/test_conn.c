/* The Conn API through the C ABI against a real broker: every call once,
 * driven both by kfk_poll callbacks and by poll(2) on kfk_queue_fd with the
 * batch pull; SASL and TLS when the broker offers them. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

/* One request's completion, captured by on_result. Values of interest are
 * copied out, since the event memory is only valid inside the callback. */
typedef struct {
    int done;
    kfk_err_t err;
    long long a, b, c; /* selected integers from the result */
    char text[256];    /* a selected string */
    int count;         /* a selected list length */
    void (*extract)(const kfk_val_t *v, void *self);
} result_t;

static void on_result(const kfk_event_t *ev, void *opaque) {
    result_t *r = opaque;
    r->err = ev->err;
    if (ev->err)
        snprintf(r->text, sizeof r->text, "%s", ev->errstr);
    else if (r->extract && ev->result)
        r->extract(ev->result, r);
    r->done = 1;
}

static kfk_queue_t *q;
static kfk_conn_t *c;

/* Retries while a topic gets its leader, a coordinator loads or a
 * transaction completes: 60 s in all, for a loaded machine. */
enum { RETRIES = 300, RETRY_DELAY_US = 200000 };

/* Sends with issue() and waits for on_result. */
#define RUN(res, call) do { void (*keep)(const kfk_val_t *, void *) = (res).extract; \
    memset(&(res), 0, sizeof(res)); (res).extract = keep; \
    CHECK_EQ_INT((call), KFK_OK); CHECK(kt_wait(q, &(res).done, 30000)); } while (0)

static void copy_str(char *dst, size_t len, const kfk_val_t *v) {
    if (v && (v->type == KFK_VAL_STR || v->type == KFK_VAL_BYTES))
        snprintf(dst, len, "%.*s", (int)v->n, v->s);
}

static void x_error_code(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
}

static void x_partition_code(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.partitions.0.error_code");
}

static void x_create(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.error_code");
    copy_str(r->text, sizeof r->text, kt_path(v, "topics.0.name"));
}

static void x_metadata(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "controller_id");
    r->b = kt_int(v, "brokers.0.port");
    const kfk_val_t *topics = kfk_val_get(v, "topics");
    r->count = topics ? (int)topics->n : -1;
    if (topics && topics->n > 0) {
        r->c = (long long)kt_path(v, "topics.0.partitions")->n;
        copy_str(r->text, sizeof r->text, kt_path(v, "topics.0.name"));
    }
}

static void x_produce(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.partitions.0.error_code");
    r->b = kt_int(v, "topics.0.partitions.0.base_offset");
}

static void x_fetch(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.partitions.0.error_code");
    r->b = kt_int(v, "topics.0.partitions.0.high_watermark");
    const kfk_val_t *recs = kt_path(v, "topics.0.partitions.0.records");
    r->count = recs ? (int)recs->n : -1;
    if (recs && recs->n >= 2) {
        /* record 0: key "k1", value "v1", header h=x; record 1: null key */
        const kfk_val_t *k0 = kt_path(recs, "0.key"), *k1 = kt_path(recs, "1.key");
        const kfk_val_t *h = kt_path(recs, "0.headers.h");
        r->c = kt_int(recs, "1.offset");
        snprintf(r->text, sizeof r->text, "%.*s|%.*s|%s|%.*s", (int)k0->n, k0->s,
                 (int)kt_path(recs, "0.value")->n, kt_path(recs, "0.value")->s,
                 k1->type == KFK_VAL_NULL ? "null" : "set", h ? (int)h->n : 0, h ? h->s : "");
    }
}

static void x_offset(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.partitions.0.error_code");
    r->b = kt_int(v, "topics.0.partitions.0.offset");
}

static void x_coordinator(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
    r->b = kt_int(v, "port");
}

static void x_join(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
    r->b = kt_int(v, "generation_id");
    copy_str(r->text, sizeof r->text, kfk_val_get(v, "member_id"));
}

static void x_sync(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
    r->count = (int)kt_path(v, "assignment.0.partitions")->n;
}

static void x_offset_fetch(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "topics.0.partitions.0.offset");
}

static void x_init_pid(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
    r->b = kt_int(v, "producer_id");
    r->c = kt_int(v, "producer_epoch");
}

static void x_end_txn(const kfk_val_t *v, void *self) {
    result_t *r = self;
    r->a = kt_int(v, "error_code");
    const kfk_val_t *e = kfk_val_get(v, "producer_epoch");
    r->c = e ? e->i : -1;
}

static char topic[128];

static void create_topic(int partitions) {
    result_t r = {.extract = x_create};
    kt_unique(topic, sizeof topic, "ctest");
    kfk_new_topic_t nt = {topic, partitions, 1, 0, NULL, 0};
    RUN(r, kfk_conn_create_topics(c, &nt, 1, 10000, on_result, &r));
    CHECK_EQ_INT(r.err, 0);
    CHECK_EQ_INT(r.a, 0);
    CHECK_EQ_STR(r.text, topic);
    /* wait until each new partition's leader serves requests */
    for (int p = 0; p < partitions; p++) {
        int i = 0;
        for (; i < RETRIES; i++) {
            result_t f = {.extract = x_fetch};
            kfk_topic_partition_t tp = {topic, p, -1, 0, NULL};
            kfk_fetch_opts_t fo;
            kfk_fetch_opts_init(&fo);
            fo.max_wait_ms = 0;
            RUN(f, kfk_conn_fetch(c, &tp, 1, &fo, on_result, &f));
            if (f.err == 0 && f.a == 0)
                break;
            usleep(RETRY_DELAY_US);
        }
        CHECK(i < RETRIES && "partition never became available");
    }
}

static void test_connect_and_metadata(void) {
    CHECK(kt_connect(&q, &c));
    CHECK_EQ_INT(kfk_conn_connected(c), 1);
    CHECK_EQ_INT(kfk_conn_state(c), KFK_CONN_READY);
    int16_t vers[64];
    CHECK(kfk_conn_api_versions(c, vers, 64) > 20);
    CHECK(vers[0] >= 3 && vers[1] >= 4 && vers[3] >= 1);
    create_topic(2);
    result_t r = {.extract = x_metadata};
    const char *topics[] = {topic};
    RUN(r, kfk_conn_metadata(c, topics, 1, on_result, &r));
    CHECK_EQ_INT(r.err, 0);
    CHECK(r.a >= 0 && r.b > 0);
    CHECK_EQ_INT(r.count, 1);
    CHECK_EQ_INT(r.c, 2);
    CHECK_EQ_STR(r.text, topic);
}

static void test_produce_fetch_offsets(void) {
    const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; i++) {
        kfk_header_t h = {"h", 1, "x", 1};
        kfk_record_t recs[2] = {
            {"k1", 2, "v1", 2, &h, 1, -1},
            {NULL, 0, "", 0, NULL, 0, 1700000000000LL},
        };
        kfk_produce_opts_t po;
        kfk_produce_opts_init(&po);
        po.acks = -1;
        po.compression = codecs[i];
        result_t r = {.extract = x_produce};
        RUN(r, kfk_conn_produce_batch(c, topic, 0, recs, 2, &po, on_result, &r));
        CHECK_EQ_INT(r.err, 0);
        CHECK_EQ_INT(r.a, 0);
        CHECK_EQ_INT(r.b, 2 * i);
    }
    kfk_topic_partition_t tp = {topic, 0, -1, 8, NULL};
    result_t f = {.extract = x_fetch};
    RUN(f, kfk_conn_fetch(c, &tp, 1, NULL, on_result, &f));
    CHECK_EQ_INT(f.err, 0);
    CHECK_EQ_INT(f.a, 0);
    CHECK_EQ_INT(f.b, 10);
    CHECK_EQ_INT(f.count, 2);
    CHECK_EQ_INT(f.c, 9);
    CHECK_EQ_STR(f.text, "k1|v1|null|x");

    result_t lo = {.extract = x_offset};
    RUN(lo, kfk_conn_list_offsets(c, topic, 0, -1, on_result, &lo));
    CHECK_EQ_INT(lo.a, 0);
    CHECK_EQ_INT(lo.b, 10);
    RUN(lo, kfk_conn_list_offsets(c, topic, 0, -2, on_result, &lo));
    CHECK_EQ_INT(lo.b, 0);
}

/* acks=0 completes with a NULL result once written; the fd + batch pull
 * path drains many completions without callbacks. */
static void test_fd_batch_pull(void) {
    enum { N = 500 };
    kfk_produce_opts_t po;
    kfk_produce_opts_init(&po);
    for (intptr_t i = 0; i < N; i++) {
        po.acks = i % 2 ? 1 : 0;
        kfk_record_t rec = {NULL, 0, &i, sizeof i, NULL, 0, -1};
        CHECK_EQ_INT(kfk_conn_produce_batch(c, topic, 1, &rec, 1, &po, NULL, (void *)(i + 1)), KFK_OK);
    }
    int fd = kfk_queue_fd(q);
    int seen = 0, acks0_null = 0, bad = 0;
    static char seen_tag[N + 1];
    memset(seen_tag, 0, sizeof seen_tag);
    kfk_event_t evs[64];
    while (seen < N) {
        if (!kt_readable(fd, 10000))
            break;
        int n = kfk_poll_batch(q, evs, 64, 0);
        CHECK(n >= 0);
        for (int i = 0; i < n; i++) {
            intptr_t tag = (intptr_t)evs[i].opaque;
            if (evs[i].type != KFK_EVENT_RESULT || tag < 1 || tag > N || seen_tag[tag] || evs[i].err) {
                bad++;
                continue;
            }
            seen_tag[tag] = 1;
            if ((tag - 1) % 2 == 0)
                acks0_null += evs[i].result == NULL;
            else
                bad += kt_int(evs[i].result, "topics.0.partitions.0.error_code") != 0;
            seen++;
        }
    }
    CHECK_EQ_INT(seen, N);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(acks0_null, N / 2);
    CHECK_EQ_INT(kfk_conn_pending(c), 0);
}

static void test_group_calls(void) {
    char group[128];
    kt_unique(group, sizeof group, "cgroup");
    result_t r = {.extract = x_coordinator};
    for (int i = 0; i < RETRIES; i++) { /* the offsets topic may still be created */
        RUN(r, kfk_conn_find_coordinator(c, group, 0, on_result, &r));
        if (r.a != 15)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(r.a, 0);
    CHECK(r.b > 0);

    const char *topics[] = {topic};
    result_t j = {.extract = x_join};
    for (int i = 0; i < RETRIES; i++) { /* the coordinator may still be loading */
        RUN(j, kfk_conn_join_group(c, group, "", topics, 1, 10000, 10000, NULL, on_result, &j));
        if (j.a < 14 || j.a > 16)
            break;
        usleep(RETRY_DELAY_US);
    }
    char member[256];
    snprintf(member, sizeof member, "%s", j.text);
    if (j.a == 79) { /* MEMBER_ID_REQUIRED: rejoin with the id given */
        RUN(j, kfk_conn_join_group(c, group, member, topics, 1, 10000, 10000, NULL, on_result, &j));
    }
    CHECK_EQ_INT(j.a, 0);
    int32_t gen = (int32_t)j.b;

    kfk_topic_partition_t parts[2] = {{topic, 0, -1, 0, NULL}, {topic, 1, -1, 0, NULL}};
    kfk_member_assignment_t plan = {member, parts, 2};
    result_t s = {.extract = x_sync};
    RUN(s, kfk_conn_sync_group(c, group, gen, member, &plan, 1, NULL, on_result, &s));
    CHECK_EQ_INT(s.a, 0);
    CHECK_EQ_INT(s.count, 2);

    result_t h = {.extract = x_error_code};
    RUN(h, kfk_conn_heartbeat(c, group, gen, member, NULL, on_result, &h));
    CHECK_EQ_INT(h.a, 0);

    kfk_topic_partition_t commit = {topic, 0, -1, 5, "meta"};
    result_t oc = {.extract = x_partition_code};
    RUN(oc, kfk_conn_offset_commit(c, group, gen, member, &commit, 1, on_result, &oc));
    CHECK_EQ_INT(oc.a, 0);
    result_t of = {.extract = x_offset_fetch};
    RUN(of, kfk_conn_offset_fetch(c, group, topics, 1, on_result, &of));
    CHECK_EQ_INT(of.a, 5);

    result_t l = {.extract = x_error_code};
    RUN(l, kfk_conn_leave_group(c, group, member, NULL, on_result, &l));
    CHECK_EQ_INT(l.a, 0);
}

static void test_transaction_calls(void) {
    char txn[128];
    kt_unique(txn, sizeof txn, "ctxn");
    /* Finding the transaction coordinator first, as a client does, also
       creates the transaction log on a fresh broker. */
    result_t co = {.extract = x_coordinator};
    for (int i = 0; i < RETRIES; i++) {
        RUN(co, kfk_conn_find_coordinator(c, txn, 1, on_result, &co));
        if (co.a != 15)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(co.a, 0);
    result_t ip = {.extract = x_init_pid};
    for (int i = 0; i < RETRIES; i++) {
        RUN(ip, kfk_conn_init_producer_id(c, txn, 60000, on_result, &ip));
        if (ip.a == 0)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(ip.a, 0);
    int64_t pid = ip.b;
    int16_t epoch = (int16_t)ip.c;

    kfk_topic_partition_t tp = {topic, 0, -1, 0, NULL};
    result_t ap = {.extract = x_partition_code};
    RUN(ap, kfk_conn_add_partitions_to_txn(c, txn, pid, epoch, &tp, 1, on_result, &ap));
    CHECK_EQ_INT(ap.a, 0);

    kfk_produce_opts_t po;
    kfk_produce_opts_init(&po);
    po.acks = -1;
    po.producer_id = pid;
    po.producer_epoch = epoch;
    po.base_sequence = 0;
    po.transactional_id = txn;
    kfk_record_t rec = {NULL, 0, "in-txn", 6, NULL, 0, -1};
    result_t pr = {.extract = x_produce};
    RUN(pr, kfk_conn_produce_batch(c, topic, 0, &rec, 1, &po, on_result, &pr));
    CHECK_EQ_INT(pr.a, 0);

    result_t et = {.extract = x_end_txn};
    for (int i = 0; i < RETRIES; i++) {
        RUN(et, kfk_conn_end_txn(c, txn, pid, epoch, 1, on_result, &et));
        if (et.a != 51)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(et.a, 0);
    if (et.c >= 0)
        epoch = (int16_t)et.c;

    /* a no-op transaction exercising the offsets path */
    char group[128];
    kt_unique(group, sizeof group, "ctxngroup");
    result_t ao = {.extract = x_error_code};
    for (int i = 0; i < RETRIES; i++) {
        RUN(ao, kfk_conn_add_offsets_to_txn(c, txn, pid, epoch, group, on_result, &ao));
        if (ao.a != 51)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(ao.a, 0);
    kfk_topic_partition_t off = {topic, 0, -1, 3, NULL};
    result_t to = {.extract = x_partition_code};
    for (int i = 0; i < RETRIES; i++) {
        RUN(to, kfk_conn_txn_offset_commit(c, txn, group, pid, epoch, -1, NULL, &off, 1, on_result, &to));
        if (to.a != 15 && to.a != 51)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(to.a, 0);
    for (int i = 0; i < RETRIES; i++) {
        RUN(et, kfk_conn_end_txn(c, txn, pid, epoch, 0, on_result, &et));
        if (et.a != 51)
            break;
        usleep(RETRY_DELAY_US);
    }
    CHECK_EQ_INT(et.a, 0);
}

static void test_raw_request_and_delete(void) {
    result_t raw = {0};
    RUN(raw, kfk_conn_raw_request(c, 18, 0, NULL, 0, on_result, &raw));
    CHECK_EQ_INT(raw.err, 0);

    result_t d = {.extract = x_create};
    const char *names[] = {topic};
    RUN(d, kfk_conn_delete_topics(c, names, 1, 10000, on_result, &d));
    CHECK_EQ_INT(d.a, 0);
    RUN(d, kfk_conn_delete_topics(c, names, 1, 10000, on_result, &d));
    CHECK(d.a == 3 || d.err == 0); /* gone: UNKNOWN_TOPIC_OR_PARTITION */
}

/* Disconnect with a request in flight: it completes with DISCONNECTED.
 * The request is a fetch of an empty partition that asks for more bytes
 * than will come, so the broker holds it for its whole wait. */
static void test_disconnect_pending(void) {
    create_topic(1);
    result_t r = {0};
    kfk_topic_partition_t tp = {topic, 0, -1, 0, NULL};
    kfk_fetch_opts_t fo;
    kfk_fetch_opts_init(&fo);
    fo.max_wait_ms = 30000;
    fo.min_bytes = 1 << 30;
    CHECK_EQ_INT(kfk_conn_fetch(c, &tp, 1, &fo, on_result, &r), KFK_OK);
    usleep(200000);
    CHECK_EQ_INT(kfk_conn_pending(c), 1);
    CHECK_EQ_INT(kfk_conn_disconnect(c), KFK_OK);
    CHECK(kt_wait(q, &r.done, 5000));
    CHECK_EQ_INT(r.err, KFK_ERR_DISCONNECTED);
    CHECK_EQ_STR(r.text, "disconnected");
    CHECK_EQ_INT(kfk_conn_connected(c), 0);
    CHECK_EQ_INT(kfk_conn_destroy(c), KFK_OK);
    CHECK_EQ_INT(kfk_poll(q, 0, 0), 0);
    CHECK_EQ_INT(kfk_queue_destroy(q), KFK_OK);
}

/* SASL and TLS listeners, when the broker has them. */
static int connect_to(const char *list, kfk_conn_t *conn, kfk_queue_t *queue) {
    char host[256];
    const char *colon = strrchr(list, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - list), list);
    static result_t r;
    memset(&r, 0, sizeof r);
    kfk_conn_set_event_handler(conn, on_result, &r);
    CHECK_EQ_INT(kfk_conn_connect(conn, host, atoi(colon + 1), 10000), KFK_OK);
    kt_wait(queue, &r.done, 20000);
    return r.err == 0 ? 0 : r.err;
}

static void test_sasl_and_tls(void) {
    const char *sasl = kt_env("KFK_TEST_SASL_BROKERS"), *tls = kt_env("KFK_TEST_TLS_BROKERS");
    if (!sasl || !tls) {
        fprintf(stderr, "  (no SASL/TLS listeners configured: skipped)\n");
        return;
    }
    kfk_queue_t *sq;
    kfk_conn_t *sc;
    CHECK_EQ_INT(kfk_queue_new(&sq), KFK_OK);
    const char *mechs[][3] = {
        {"PLAIN", "KFK_TEST_PLAIN_USER", "KFK_TEST_PLAIN_PASS"},
        {"SCRAM-SHA-256", "KFK_TEST_SCRAM256_USER", "KFK_TEST_SCRAM256_PASS"},
        {"SCRAM-SHA-512", "KFK_TEST_SCRAM512_USER", "KFK_TEST_SCRAM512_PASS"},
    };
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
        kfk_conn_set_sasl(sc, mechs[i][0], kt_env(mechs[i][1]), kt_env(mechs[i][2]));
        CHECK_EQ_INT(connect_to(sasl, sc, sq), 0);
        kfk_conn_destroy(sc);
        CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
        kfk_conn_set_sasl(sc, mechs[i][0], kt_env(mechs[i][1]), "wrong-password");
        CHECK_EQ_INT(connect_to(sasl, sc, sq), KFK_ERR_SASL);
        kfk_conn_destroy(sc);
    }
    const char *oauth = kt_env("KFK_TEST_OAUTH_BROKERS");
    for (int expired = 0; oauth && expired < 2; expired++) { /* the token is the password */
        char token[400];
        kt_unsigned_jwt(token, expired ? -60 : 600);
        CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
        CHECK_EQ_INT(kfk_conn_set_sasl(sc, "OAUTHBEARER", NULL, token), KFK_OK);
        CHECK_EQ_INT(connect_to(oauth, sc, sq), expired ? KFK_ERR_SASL : 0);
        kfk_conn_destroy(sc);
    }
    CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
    CHECK_EQ_INT(kfk_conn_set_sasl(sc, "OAUTHBEARER", NULL, NULL), KFK_ERR_INVALID_ARG);
    kfk_conn_destroy(sc);
    const char *gssapi = kt_env("KFK_TEST_GSSAPI_BROKERS");
    for (int wrong = 0; gssapi && wrong < 2; wrong++) { /* a keytab, then a wrong password */
        CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
        CHECK_EQ_INT(kfk_conn_set_sasl(sc, "GSSAPI", kt_env(wrong ? "KFK_TEST_KRB5_USER" : "KFK_TEST_KRB5_PRINCIPAL"),
                                       wrong ? "wrong-password" : NULL), KFK_OK);
        CHECK_EQ_INT(kfk_conn_set_kerberos(sc, kt_env("KFK_TEST_KRB5_SERVICE"), wrong ? NULL : kt_env("KFK_TEST_KRB5_KEYTAB"),
                                           kt_env("KFK_TEST_KRB5_CONFIG")), KFK_OK);
        CHECK_EQ_INT(connect_to(gssapi, sc, sq), wrong ? KFK_ERR_SASL : 0);
        kfk_conn_destroy(sc);
    }
    CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
    kfk_conn_set_tls(sc, 1, kt_env("KFK_TEST_TLS_CA"), 0, NULL);
    CHECK_EQ_INT(connect_to(tls, sc, sq), 0);
    kfk_conn_destroy(sc);
    CHECK_EQ_INT(kfk_conn_new(sq, &sc), KFK_OK);
    kfk_conn_set_tls(sc, 1, NULL, 0, NULL); /* system roots do not know the test CA */
    CHECK_EQ_INT(connect_to(tls, sc, sq), KFK_ERR_TLS);
    kfk_conn_destroy(sc);
    kfk_poll(sq, 0, 0);
    CHECK_EQ_INT(kfk_queue_destroy(sq), KFK_OK);
}

int main(void) {
    static const kt_test_t tests[] = {
        {"connect, api versions, create topic, metadata", test_connect_and_metadata, 1},
        {"produce every codec, fetch, list offsets", test_produce_fetch_offsets, 1},
        {"fd + batch pull of 500 pipelined produces (acks 0 and 1)", test_fd_batch_pull, 1},
        {"group calls", test_group_calls, 1},
        {"transaction calls", test_transaction_calls, 1},
        {"raw request and delete topics", test_raw_request_and_delete, 1},
        {"disconnect with a pending request", test_disconnect_pending, 1},
        {"SASL and TLS", test_sasl_and_tls, 1},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
