/* kfk through its C ABI, for the side-by-side benchmark (bench/run.py).
 *
 *   kfk_bench produce|consume|latency|idle brokers topic[,topic...] count size acks compression [partitions]
 *
 * produce: COUNT values of SIZE bytes (null keys), record i to topic
 *          i % TOPICS and partition (i / TOPICS) % PARTITIONS (default 1),
 *          timed from the first kfk_produce to the last delivery report.
 * consume: COUNT messages from every partition of pre-filled topics, from
 *          the earliest offset, timed from kfk_assign to the last message.
 * latency: COUNT produce round-trips, linger 0, one message in flight.
 * idle:    every partition assigned at its end and consumed while nothing
 *          arrives; the CPU of COUNT seconds after a warm-up.
 * rdkafka_bench.c does the same work with librdkafka. */
#include <kfk.h>

#include "bench_util.h"

static kfk_queue_t *q;
static kfk_client_t *client;
static long done_count, failed, consumed, consumed_bytes;
static int connected, consume_done;

static void on_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    connected = ev->err ? -1 : 1;
}

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err)
        failed++;
    done_count++;
}

static void on_consumed(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_MESSAGE) {
        consumed++;
        consumed_bytes += ev->msg->value_len;
    } else {
        consume_done = 1;
    }
}

static int open_client(const char *brokers, const char *acks, const char *linger, const char *compression) {
    char err[512];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    const char *kv[][2] = {{"brokers", brokers}, {"acks", acks}, {"linger_ms", linger},
                           {"compression", compression}, {"batch_size", "1000000"},
                           {"auto_offset_reset", "earliest"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (kfk_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
    kfk_queue_new(&q);
    if (kfk_client_new(q, conf, &client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    kfk_conf_destroy(conf);
    kfk_client_connect(client, on_connect, NULL);
    while (!connected)
        kfk_poll(q, 50, 0);
    return connected < 0 ? -1 : 0;
}

static void produce(char **topics, int n_topics, long count, const bench_values_t *values, long size, int partitions,
                    long idle_kb) {
    kfk_message_t m = {.partition = 0, .timestamp = -1, .value_len = size};
    double start = bench_now(), cpu = bench_cpu();
    for (long i = 0; i < count; i++) {
        kfk_err_t err;
        m.topic = topics[i % n_topics];
        m.partition = (int32_t)(i / n_topics % partitions);
        m.value = bench_value(values, i);
        while ((err = kfk_produce(client, &m, on_delivery)) == KFK_ERR_QUEUE_FULL)
            kfk_poll(q, 10, 0);
        if (err) { /* refused at once: no delivery report will come */
            if (!failed)
                fprintf(stderr, "kfk_produce: %s\n", kfk_err_string(err));
            failed++;
            done_count++;
        }
        if ((i & 1023) == 0)
            kfk_poll(q, 0, 0);
    }
    while (done_count < count)
        kfk_poll(q, 50, 0);
    double secs = bench_now() - start;
    bench_print_throughput(done_count - failed, (done_count - failed) * size, secs, failed, count, bench_cpu() - cpu,
                           idle_kb);
}

/* Assigns every partition of the topics, at offset. */
static void assign_all(char **topics, int n_topics, int partitions, int64_t offset) {
    size_t n = (size_t)n_topics * partitions;
    kfk_topic_partition_t *tps = calloc(n, sizeof *tps);
    for (size_t i = 0; i < n; i++)
        tps[i] = (kfk_topic_partition_t){
            .topic = topics[i / partitions], .partition = (int32_t)(i % partitions), .leader_epoch = -1,
            .offset = offset};
    kfk_assign(client, tps, n);
    free(tps);
}

/* One consume request, served to its end. */
static void consume_once(void) {
    consume_done = 0;
    kfk_consume(client, on_consumed, NULL);
    while (!consume_done)
        kfk_poll(q, 100, 0);
}

static void consume(char **topics, int n_topics, int partitions, long count, long idle_kb) {
    double start = bench_now(), cpu = bench_cpu();
    assign_all(topics, n_topics, partitions, KFK_OFFSET_EARLIEST);
    while (consumed < count)
        consume_once();
    double secs = bench_now() - start;
    bench_print_throughput(consumed, consumed_bytes, secs, 0, consumed, bench_cpu() - cpu, idle_kb);
}

/* An application waiting for records that do not come: consume requests
 * one after another, as a polling loop makes them. */
static void idle(char **topics, int n_topics, int partitions, long seconds) {
    assign_all(topics, n_topics, partitions, KFK_OFFSET_LATEST);
    for (double warm = bench_now() + IDLE_WARMUP_S; bench_now() < warm;)
        consume_once();
    long idle_kb = bench_status_kb("VmRSS");
    double start = bench_now(), cpu = bench_cpu();
    while (bench_now() - start < seconds)
        consume_once();
    bench_print_idle(bench_now() - start, bench_cpu() - cpu, idle_kb);
}

static void latency(const char *topic, long count, const char *payload, long size) {
    kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = payload, .value_len = size};
    double *us = malloc(count * sizeof *us);
    for (long i = -1; i < count; i++) { /* i = -1: an untimed warm-up */
        long before = done_count;
        double t0 = bench_now();
        kfk_produce(client, &m, on_delivery);
        while (done_count == before)
            kfk_poll(q, 100, 0);
        if (i >= 0)
            us[i] = (bench_now() - t0) * 1e6;
    }
    bench_print_latency(us, count);
    free(us);
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, BENCH_USAGE, argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    int n_topics;
    char **topics = bench_topics(argv[3], &n_topics);
    long count = atol(argv[4]), size = atol(argv[5]);
    int partitions = bench_partitions(argc, argv);
    int is_latency = strcmp(mode, "latency") == 0;
    if (open_client(argv[2], is_latency ? "1" : argv[6], is_latency ? "0" : "5", argv[7]))
        return 1;
    long idle_kb = bench_status_kb("VmRSS");
    bench_values_t values = bench_values(size);
    if (strcmp(mode, "produce") == 0)
        produce(topics, n_topics, count, &values, size, partitions, idle_kb);
    else if (strcmp(mode, "consume") == 0)
        consume(topics, n_topics, partitions, count, idle_kb);
    else if (strcmp(mode, "idle") == 0)
        idle(topics, n_topics, partitions, count);
    else if (is_latency)
        latency(topics[0], count, values.pool, size);
    else {
        fprintf(stderr, BENCH_USAGE, argv[0]);
        return 2;
    }
    kfk_client_destroy(client);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    free(values.pool);
    free(topics);
    return failed ? 1 : 0;
}
