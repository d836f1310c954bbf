/* producer: produce COUNT messages of SIZE bytes to TOPIC and report the
 * throughput once every delivery report is in.
 *
 *   producer [brokers] [topic] [count] [size]   (127.0.0.1:9092 kfk-perf 100000 100)
 *
 * Extra settings come from KFK_CONF="key=value,key=value" (e.g.
 * KFK_CONF=compression=lz4,linger_ms=10).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kfk.h>

static long delivered, failed;
static int connected, flushed;
static kfk_err_t first_error;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err) {
        if (!failed++)
            first_error = ev->err, fprintf(stderr, "delivery failed: %s\n", ev->errstr);
    } else {
        delivered++;
    }
}

static void on_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err)
        fprintf(stderr, "connect: %s\n", ev->errstr);
    connected = ev->err ? -1 : 1;
}

static void on_flush(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err)
        fprintf(stderr, "flush: %s\n", ev->errstr);
    flushed = 1;
}

static int set(kfk_conf_t *conf, const char *key, const char *value) {
    char err[256];
    if (kfk_conf_set(conf, key, value, err, sizeof err) != KFK_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-perf";
    long count = argc > 3 ? atol(argv[3]) : 100000;
    long size = argc > 4 ? atol(argv[4]) : 100;
    if (count <= 0 || size < 0) {
        fprintf(stderr, "usage: %s [brokers] [topic] [count] [size]\n", argv[0]);
        return 2;
    }

    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (!set(conf, "brokers", brokers) || !set(conf, "acks", "1") || !set(conf, "linger_ms", "5") ||
        !set(conf, "batch_size", "1000000"))
        return 2;
    char *extra = getenv("KFK_CONF") ? strdup(getenv("KFK_CONF")) : NULL;
    for (char *kv = extra ? strtok(extra, ",") : NULL; kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "KFK_CONF: expected key=value, got %s\n", kv);
            return 2;
        }
        *eq = 0;
        if (!set(conf, kv, eq + 1))
            return 2;
    }
    free(extra);

    kfk_queue_t *q;
    kfk_client_t *client;
    char err[256];
    kfk_queue_new(&q);
    if (kfk_client_new(q, conf, &client, err, sizeof err) != KFK_OK) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    kfk_conf_destroy(conf);
    kfk_client_connect(client, on_connect, NULL);
    while (!connected)
        kfk_poll(q, 100, 0);
    if (connected < 0)
        return 1;

    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    kfk_message_t msg = {.topic = topic, .partition = -1, .timestamp = -1, .value = payload, .value_len = size};
    double start = now();
    for (long i = 0; i < count; i++) {
        kfk_err_t rc;
        while ((rc = kfk_produce(client, &msg, on_delivery)) == KFK_ERR_QUEUE_FULL)
            kfk_poll(q, 10, 0); /* let deliveries drain the buffer */
        if (rc) {
            fprintf(stderr, "produce: %s\n", kfk_err_string(rc));
            return 1;
        }
        if ((i & 1023) == 0)
            kfk_poll(q, 0, 0);
    }
    kfk_flush(client, 60000, on_flush, NULL);
    while (!flushed || delivered + failed < count)
        kfk_poll(q, 100, 0);
    double secs = now() - start;
    printf("%ld messages of %ld bytes in %.3f s: %.0f msg/s, %.1f MB/s, %ld failed\n", delivered, size, secs,
           delivered / secs, delivered * (double)size / secs / 1e6, failed);
    kfk_client_destroy(client);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    free(payload);
    return failed ? 1 : 0;
}
