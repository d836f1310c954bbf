/* metrics: a live one-line summary from kfk's statistics. One client
 * produces to TOPIC and consumes it back (partition 0, from the start) for
 * SECONDS; each statistics document (JSON, docs/STATISTICS.md) becomes a
 * line with the produce and consume rates, the lag and the round trip.
 *
 *   metrics [brokers] [topic] [seconds]     (127.0.0.1:9092 kfk-metrics 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kfk.h>

/* The first integer named `name` in doc, or -1; with every set, the sum
 * (or, with take_max, the largest) of every non-negative one. A real
 * program would use a JSON library; the document is flat enough here. */
static long long json_number(const char *doc, const char *name, int every, int take_max) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    long long acc = 0;
    for (const char *at = strstr(doc, key); at; at = strstr(at + 1, key)) {
        long long v = strtoll(at + strlen(key), NULL, 10);
        if (!every)
            return v;
        if (v >= 0)
            acc = take_max ? (v > acc ? v : acc) : acc + v;
    }
    return every ? acc : -1;
}

static long long last_ts, last_produced, last_consumed;

static void summary(const char *doc) {
    long long ts = json_number(doc, "ts_ms", 0, 0);
    long long produced = json_number(doc, "msgs_produced", 0, 0);
    long long consumed = json_number(doc, "msgs_consumed", 0, 0);
    if (last_ts) {
        double dt = (ts - last_ts) / 1000.0;
        printf("produced %9.0f msg/s  consumed %9.0f msg/s  lag %6lld  rtt p99 %.1f ms\n",
               (produced - last_produced) / dt, (consumed - last_consumed) / dt,
               json_number(doc, "consumer_lag", 1, 0), json_number(doc, "p99", 1, 1) / 1000.0);
        fflush(stdout);
    }
    last_ts = ts;
    last_produced = produced;
    last_consumed = consumed;
}

static int connected;

static void on_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    switch (ev->type) {
    case KFK_EVENT_STATS:
        summary(ev->result->s);
        break;
    case KFK_EVENT_ERROR:
        fprintf(stderr, "kafka: %s\n", ev->errstr);
        break;
    case KFK_EVENT_RESULT: /* connect */
        connected = ev->err ? -1 : 1;
        if (ev->err)
            fprintf(stderr, "connect: %s\n", ev->errstr);
        break;
    default:
        break;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-metrics";
    double seconds = argc > 3 ? atof(argv[3]) : 5;
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (kfk_conf_set(conf, "brokers", brokers, err, sizeof err) ||
        kfk_conf_set(conf, "statistics_interval_ms", "1000", err, sizeof err)) {
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
    kfk_client_set_event_handler(client, on_event, NULL);
    kfk_client_connect(client, on_event, NULL);
    while (!connected)
        kfk_poll(q, 100, 0);
    if (connected < 0)
        return 1;

    kfk_topic_partition_t from_start = {topic, 0, -1, -2 /* earliest */, NULL};
    kfk_assign(client, &from_start, 1);
    long produced = 0;
    for (double end = now() + seconds; now() < end;) {
        for (int i = 0; i < 1000; i++, produced++) {
            char value[32];
            int n = snprintf(value, sizeof value, "reading %ld", produced);
            kfk_message_t m = {.topic = topic, .partition = 0, .value = value, .value_len = (size_t)n,
                               .timestamp = -1};
            if (kfk_produce(client, &m, NULL) != KFK_OK)
                break; /* queue full: let deliveries catch up */
        }
        kfk_consume(client, NULL, NULL); /* messages and delivery reports go to the batch pull */
        kfk_event_t evs[256];
        while (kfk_poll_batch(q, evs, 256, 10) > 0) {
        }
    }
    printf("produced %ld records in %.0f s\n", produced, seconds);
    kfk_client_close(client, 10000, NULL, NULL);
    kfk_poll(q, 1000, 0);
    kfk_client_destroy(client);
    kfk_queue_destroy(q);
    return 0;
}
