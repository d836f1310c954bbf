/* consumer: read COUNT messages from the start of every partition of TOPIC
 * and print a one-line summary with the rate.
 *
 *   consumer [brokers] [topic] [count]     (127.0.0.1:9092 kfk-perf 100000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kfk.h>

static long received, bytes;
static int round_done, connected;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_MESSAGE) {
        received++;
        bytes += (long)ev->msg->value_len;
    } else if (ev->err) {
        fprintf(stderr, "%s\n", ev->errstr);
        round_done = connected = -1;
    } else {
        round_done = connected = 1;
    }
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-perf";
    long count = argc > 3 ? atol(argv[3]) : 100000;
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (kfk_conf_set(conf, "brokers", brokers, err, sizeof err) ||
        kfk_conf_set(conf, "fetch_max_bytes", "4194304", err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    kfk_queue_t *q;
    kfk_client_t *client;
    kfk_queue_new(&q);
    if (kfk_client_new(q, conf, &client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kfk_conf_destroy(conf);
    kfk_client_connect(client, on_event, NULL);
    while (!connected)
        kfk_poll(q, 100, 0);
    int32_t n = kfk_client_partition_count(client, topic); /* connect listed every topic */
    if (connected < 0 || n <= 0) {
        fprintf(stderr, "topic %s not found\n", topic);
        return 1;
    }
    kfk_topic_partition_t *tps = calloc(n, sizeof *tps);
    for (int32_t p = 0; p < n; p++)
        tps[p] = (kfk_topic_partition_t){topic, p, -1, KFK_OFFSET_EARLIEST, NULL};
    kfk_assign(client, tps, n);
    double start = now();
    int idle = 0;
    while (received < count && idle < 10) {
        long before = received;
        round_done = 0;
        kfk_consume(client, on_event, NULL);
        while (!round_done)
            kfk_poll(q, 100, 0);
        idle = received == before ? idle + 1 : 0;
    }
    double secs = now() - start;
    printf("%ld messages (%.1f MB) from %d partitions in %.3f s: %.0f msg/s, %.1f MB/s\n", received, bytes / 1e6, n,
           secs, received / secs, bytes / secs / 1e6);
    kfk_client_destroy(client);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    free(tps);
    return received >= count ? 0 : 1;
}
