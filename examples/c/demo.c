/* demo: what `make demo` runs.
 *
 * Produces 100,000 numbered messages to a new 3-partition topic through the
 * C ABI with a live progress line, prints throughput and delivery latency
 * percentiles, then consumes every partition from the start with the same
 * client (kfk_assign + kfk_consume) and checks that each message arrived
 * exactly once.
 *
 *   demo [brokers] [count]      (default $KFK_TEST_BROKERS or 127.0.0.1:9092, 100000)
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kfk.h>

#define PARTITIONS 3
#define VALUE_SIZE 100

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long count, delivered, failed;
static double *sent_at, *latency;

static void on_done(const kfk_event_t *ev, void *opaque) {
    int *flag = opaque;
    if (ev->err)
        fprintf(stderr, "\n%s\n", ev->errstr);
    *flag = ev->err ? -1 : 1;
}

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    long seq = (long)(intptr_t)ev->msg->opaque;
    if (ev->err) {
        if (!failed++)
            fprintf(stderr, "\ndelivery failed: %s\n", ev->errstr);
        return;
    }
    latency[delivered++] = now() - sent_at[seq];
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- reading back with the consumer ---- */

static unsigned char *seen;
static long duplicates, received;

static void on_consumed(const kfk_event_t *ev, void *opaque) {
    int *flag = opaque;
    if (ev->type == KFK_EVENT_MESSAGE) {
        const kfk_message_t *m = ev->msg;
        long seq = m->value && m->value_len >= 8 ? strtol(m->value, NULL, 10) : -1;
        if (seq < 0 || seq >= count) {
            fprintf(stderr, "unexpected record at %s[%d]@%lld\n", m->topic, m->partition, (long long)m->offset);
            return;
        }
        duplicates += seen[seq];
        seen[seq] = 1;
        received++;
        return;
    }
    if (ev->err)
        fprintf(stderr, "consume: %s\n", ev->errstr);
    *flag = ev->err ? -1 : 1; /* the RESULT closing one kfk_consume */
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : getenv("KFK_TEST_BROKERS") ? getenv("KFK_TEST_BROKERS") : "127.0.0.1:9092";
    count = argc > 2 ? atol(argv[2]) : 100000;
    if (count <= 0)
        return 2;
    char topic[64], err[256];
    snprintf(topic, sizeof topic, "kfk-demo-%ld", (long)time(NULL));
    sent_at = calloc(count, sizeof *sent_at);
    latency = calloc(count, sizeof *latency);
    seen = calloc(count, 1);

    kfk_queue_t *q;
    kfk_queue_new(&q);

    /* 1. A new topic with three partitions, made with the low-level Conn. */
    char host[256];
    const char *colon = strchr(brokers, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - brokers), brokers);
    kfk_conn_t *conn;
    kfk_conn_new(q, &conn);
    int flag = 0;
    kfk_conn_set_event_handler(conn, on_done, &flag);
    kfk_conn_connect(conn, host, atoi(colon + 1), 10000);
    while (!flag)
        kfk_poll(q, 100, 0);
    if (flag < 0)
        return 1;
    kfk_new_topic_t nt = {topic, PARTITIONS, 1, 0, NULL, 0};
    flag = 0;
    kfk_conn_create_topics(conn, &nt, 1, 10000, on_done, &flag);
    while (!flag)
        kfk_poll(q, 100, 0);
    printf("kfk %s demo: topic %s, %d partitions, broker %s\n", kfk_version_str(), topic, PARTITIONS, brokers);

    /* 2. Produce through the cluster client. */
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    kfk_conf_set(conf, "brokers", brokers, err, sizeof err);
    kfk_conf_set(conf, "acks", "-1", err, sizeof err);
    kfk_conf_set(conf, "idempotent", "1", err, sizeof err);
    kfk_conf_set(conf, "compression", "lz4", err, sizeof err);
    kfk_client_t *client;
    if (kfk_client_new(q, conf, &client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kfk_conf_destroy(conf);
    flag = 0;
    kfk_client_connect(client, on_done, &flag);
    while (!flag)
        kfk_poll(q, 100, 0);
    if (flag < 0)
        return 1;

    char value[VALUE_SIZE];
    memset(value, '.', sizeof value);
    double start = now(), last_print = 0;
    for (long i = 0; i < count; i++) {
        snprintf(value, sizeof value, "%08ld", i);
        value[8] = ' ';
        char key[16];
        int klen = snprintf(key, sizeof key, "k%ld", i % 1000);
        kfk_message_t m = {.topic = topic, .partition = -1, .timestamp = -1, .key = key, .key_len = klen,
                           .value = value, .value_len = sizeof value, .opaque = (void *)(intptr_t)i};
        sent_at[i] = now();
        kfk_err_t rc;
        while ((rc = kfk_produce(client, &m, on_delivery)) == KFK_ERR_QUEUE_FULL)
            kfk_poll(q, 5, 0);
        if (rc) {
            fprintf(stderr, "produce: %s\n", kfk_err_string(rc));
            return 1;
        }
        if ((i & 255) == 0) {
            kfk_poll(q, 0, 0);
            if (now() - last_print > 0.1) {
                last_print = now();
                printf("\rproduced %ld  acknowledged %ld  (%.0f msg/s)   ", i + 1, delivered,
                       delivered / (now() - start));
                fflush(stdout);
            }
        }
    }
    flag = 0;
    kfk_flush(client, 60000, on_done, &flag);
    while (!flag || delivered + failed < count)
        kfk_poll(q, 100, 0);
    double secs = now() - start;
    printf("\rproduced %ld  acknowledged %ld                              \n", count, delivered);
    qsort(latency, delivered, sizeof *latency, cmp_double);
    printf("throughput: %.0f msg/s, %.1f MB/s (acks=all, idempotent, lz4, %d-byte values)\n", delivered / secs,
           delivered * (double)VALUE_SIZE / secs / 1e6, VALUE_SIZE);
    if (delivered)
        printf("delivery latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", latency[delivered / 2] * 1e3,
               latency[(long)(delivered * 0.99)] * 1e3, latency[delivered - 1] * 1e3);

    /* 3. Consume every partition from the start and check each message. */
    double read_start = now();
    kfk_topic_partition_t tps[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++)
        tps[p] = (kfk_topic_partition_t){topic, p, -1, KFK_OFFSET_EARLIEST, NULL};
    kfk_assign(client, tps, PARTITIONS);
    for (int idle = 0; received < count && idle < 20;) {
        long before = received;
        flag = 0;
        kfk_consume(client, on_consumed, &flag);
        while (!flag)
            kfk_poll(q, 100, 0);
        if (flag < 0)
            break;
        idle = received == before ? idle + 1 : 0;
    }
    long missing = 0;
    for (long i = 0; i < count; i++)
        missing += !seen[i];
    double read_secs = now() - read_start;
    printf("consumed %ld messages in %.2f s (%.0f msg/s): %ld missing, %ld duplicated\n", received, read_secs,
           received / read_secs, missing, duplicates);

    kfk_client_destroy(client);
    kfk_conn_destroy(conn);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    int ok = failed == 0 && missing == 0 && duplicates == 0;
    printf("%s\n", ok ? "demo OK: every message delivered exactly once" : "demo FAILED");
    return ok ? 0 : 1;
}
