/* The librdkafka side of the produce benchmark: the same workload as
 * kfk_produce.c (COUNT messages of SIZE bytes, null keys, acks, linger,
 * compression), timed from the first produce to the last delivery report.
 *
 *   rdkafka_produce brokers topic count size acks compression
 * Prints one line: "msgs=N bytes=B seconds=S".
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    if (m->err)
        failed++;
    else
        delivered++;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s brokers topic count size acks compression\n", argv[0]);
        return 2;
    }
    long count = atol(argv[3]), size = atol(argv[4]);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", argv[1]}, {"acks", argv[5]}, {"linger.ms", "5"},
                           {"compression.codec", argv[6]}, {"queue.buffering.max.messages", "1000000"},
                           {"batch.size", "1000000"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, argv[2], NULL);
    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    double start = now();
    for (long i = 0; i < count; i++) {
        while (rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1)
            rd_kafka_poll(rk, 10);
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    while (delivered + failed < count)
        rd_kafka_poll(rk, 50);
    double secs = now() - start;
    printf("msgs=%ld bytes=%ld seconds=%.6f failed=%ld\n", delivered, delivered * size, secs, failed);
    rd_kafka_topic_destroy(t);
    rd_kafka_destroy(rk);
    free(payload);
    return failed ? 1 : 0;
}
