/* The kfk side of the produce benchmark (see rdkafka_produce.c).
 *
 *   kfk_produce brokers topic count size acks compression
 * Prints one line: "msgs=N bytes=B seconds=S".
 */
#include <kfk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long delivered, failed;
static int connected;

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err)
        failed++;
    else
        delivered++;
}

static void on_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    connected = ev->err ? -1 : 1;
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
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    const char *kv[][2] = {{"brokers", argv[1]}, {"acks", argv[5]}, {"linger_ms", "5"},
                           {"compression", argv[6]}, {"batch_size", "1000000"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (kfk_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
    kfk_queue_t *q;
    kfk_client_t *c;
    kfk_queue_new(&q);
    if (kfk_client_new(q, conf, &c, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kfk_conf_destroy(conf);
    kfk_client_connect(c, on_connect, NULL);
    while (!connected)
        kfk_poll(q, 50, 0);
    char *payload = malloc(size ? size : 1);
    memset(payload, 'x', size);
    kfk_message_t m = {.topic = argv[2], .partition = -1, .timestamp = -1, .value = payload, .value_len = size};
    double start = now();
    for (long i = 0; i < count; i++) {
        while (kfk_produce(c, &m, on_delivery) == KFK_ERR_QUEUE_FULL)
            kfk_poll(q, 10, 0);
        if ((i & 1023) == 0)
            kfk_poll(q, 0, 0);
    }
    while (delivered + failed < count)
        kfk_poll(q, 50, 0);
    double secs = now() - start;
    printf("msgs=%ld bytes=%ld seconds=%.6f failed=%ld\n", delivered, delivered * size, secs, failed);
    kfk_client_destroy(c);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    free(payload);
    return failed ? 1 : 0;
}
