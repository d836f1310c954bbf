/* librdkafka doing kfk_bench.c's work (same modes, arguments and report
 * line), for the side-by-side benchmark (bench/run.py).
 *
 *   rdkafka_bench produce|consume|latency|idle brokers topic[,topic...] count size acks compression [partitions]
 *
 * Settings match kfk_bench: linger 5 ms (0 for latency), batches up to
 * 1 MB, Nagle off (kfk's sockets are TCP_NODELAY), one in flight for
 * latency. produce gives every record its topic and partition as kfk_bench
 * does. The consumer uses assign() (the earliest offset; the end for idle),
 * no group. */
#include <librdkafka/rdkafka.h>

#include "bench_util.h"

static long done_count, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    if (m->err)
        failed++;
    done_count++;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
}

static rd_kafka_t *open_client(rd_kafka_type_t type, const char *brokers, const char *acks, const char *linger,
                               const char *compression, int one_in_flight) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *producer_kv[][2] = {{"acks", acks}, {"linger.ms", linger}, {"compression.codec", compression},
                                    {"queue.buffering.max.messages", "1000000"}, {"batch.size", "1000000"},
                                    {"max.in.flight", one_in_flight ? "1" : "5"}};
    const char *consumer_kv[][2] = {{"group.id", "rdkafka-bench"}, {"enable.auto.commit", "false"}};
    set(conf, "bootstrap.servers", brokers);
    set(conf, "socket.nagle.disable", "true");
    if (type == RD_KAFKA_PRODUCER)
        for (size_t i = 0; i < sizeof producer_kv / sizeof producer_kv[0]; i++)
            set(conf, producer_kv[i][0], producer_kv[i][1]);
    else
        for (size_t i = 0; i < sizeof consumer_kv / sizeof consumer_kv[0]; i++)
            set(conf, consumer_kv[i][0], consumer_kv[i][1]);
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return rk;
}

/* Waits for the topics' metadata, as kfk_bench's connect does. */
static void connect_to(rd_kafka_t *rk, rd_kafka_topic_t **ts, int n_topics) {
    for (int i = 0; i < n_topics; i++) {
        const struct rd_kafka_metadata *md;
        while (rd_kafka_metadata(rk, 0, ts[i], &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            ;
        rd_kafka_metadata_destroy(md);
    }
}

static void produce(rd_kafka_t *rk, rd_kafka_topic_t **ts, int n_topics, long count, const bench_values_t *values,
                    long size, int partitions, long idle_kb) {
    double start = bench_now(), cpu = bench_cpu();
    for (long i = 0; i < count; i++) {
        rd_kafka_topic_t *t = ts[i % n_topics];
        int32_t part = (int32_t)(i / n_topics % partitions);
        char *value = (char *)bench_value(values, i);
        while (rd_kafka_produce(t, part, RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, NULL) == -1) {
            rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) { /* refused at once: no delivery report will come */
                if (!failed)
                    fprintf(stderr, "rd_kafka_produce: %s\n", rd_kafka_err2str(err));
                failed++;
                done_count++;
                break;
            }
            rd_kafka_poll(rk, 10);
        }
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    while (done_count < count)
        rd_kafka_poll(rk, 50);
    double secs = bench_now() - start;
    bench_print_throughput(done_count - failed, (done_count - failed) * size, secs, failed, count, bench_cpu() - cpu,
                           idle_kb);
}

/* Every partition of the topics, at offset. */
static rd_kafka_topic_partition_list_t *all_partitions(char **topics, int n_topics, int partitions,
                                                       int64_t offset) {
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n_topics * partitions);
    for (int t = 0; t < n_topics; t++)
        for (int p = 0; p < partitions; p++)
            rd_kafka_topic_partition_list_add(parts, topics[t], p)->offset = offset;
    return parts;
}

static void consume(rd_kafka_t *rk, char **topics, int n_topics, int partitions, long count, long idle_kb) {
    long consumed = 0, bytes = 0;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = all_partitions(topics, n_topics, partitions,
                                                            RD_KAFKA_OFFSET_BEGINNING);
    double start = bench_now(), cpu = bench_cpu();
    rd_kafka_assign(rk, parts);
    while (consumed < count) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            consumed++;
            bytes += m->len;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    double secs = bench_now() - start;
    bench_print_throughput(consumed, bytes, secs, 0, consumed, bench_cpu() - cpu, idle_kb);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
}

/* An application waiting for records that do not come, polling. */
static void idle(rd_kafka_t *rk, char **topics, int n_topics, int partitions, long seconds) {
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = all_partitions(topics, n_topics, partitions, RD_KAFKA_OFFSET_END);
    rd_kafka_assign(rk, parts);
    rd_kafka_message_t *m;
    for (double warm = bench_now() + IDLE_WARMUP_S; bench_now() < warm;)
        if ((m = rd_kafka_consumer_poll(rk, 100)))
            rd_kafka_message_destroy(m);
    long idle_kb = bench_status_kb("VmRSS");
    double start = bench_now(), cpu = bench_cpu();
    while (bench_now() - start < seconds)
        if ((m = rd_kafka_consumer_poll(rk, 100)))
            rd_kafka_message_destroy(m);
    bench_print_idle(bench_now() - start, bench_cpu() - cpu, idle_kb);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(rk);
}

static void latency(rd_kafka_t *rk, rd_kafka_topic_t *t, long count, char *payload, long size) {
    double *us = malloc(count * sizeof *us);
    for (long i = -1; i < count; i++) { /* i = -1: an untimed warm-up */
        long before = done_count;
        double t0 = bench_now();
        rd_kafka_produce(t, 0, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL);
        while (done_count == before)
            rd_kafka_poll(rk, 100);
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
    int is_latency = strcmp(mode, "latency") == 0, is_consume = strcmp(mode, "consume") == 0,
        is_idle = strcmp(mode, "idle") == 0;
    if (!is_latency && !is_consume && !is_idle && strcmp(mode, "produce") != 0) {
        fprintf(stderr, BENCH_USAGE, argv[0]);
        return 2;
    }
    rd_kafka_t *rk = open_client(is_consume || is_idle ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, argv[2],
                                 is_latency ? "1" : argv[6], is_latency ? "0" : "5", argv[7], is_latency);
    rd_kafka_topic_t **ts = malloc(n_topics * sizeof *ts);
    for (int i = 0; i < n_topics; i++)
        ts[i] = rd_kafka_topic_new(rk, topics[i], NULL);
    connect_to(rk, ts, n_topics);
    long idle_kb = bench_status_kb("VmRSS");
    bench_values_t values = bench_values(size);
    if (is_consume)
        consume(rk, topics, n_topics, partitions, count, idle_kb);
    else if (is_idle)
        idle(rk, topics, n_topics, partitions, count);
    else if (is_latency)
        latency(rk, ts[0], count, values.pool, size);
    else
        produce(rk, ts, n_topics, count, &values, size, partitions, idle_kb);
    for (int i = 0; i < n_topics; i++)
        rd_kafka_topic_destroy(ts[i]);
    free(ts);
    rd_kafka_destroy(rk);
    free(values.pool);
    free(topics);
    return failed ? 1 : 0;
}
