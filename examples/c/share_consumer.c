/* share_consumer: read TOPIC as a member of share group GROUP (KIP-932,
 * Kafka 4.1+), accept every record and print "partition:offset" for it,
 * one per line; stop after COUNT records or 10 s without one.
 *
 *   share_consumer BROKERS TOPIC GROUP [--count N] [--from-beginning]
 *
 * A share group starts at the latest records unless told otherwise:
 * --from-beginning first moves a new (memberless) group's start to the
 * earliest offset of every partition, as an administrator would. Records
 * handed over but not accepted (beyond COUNT) are released on leaving, for
 * other members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kfk.h>

static kfk_client_t *client;
static long accepted, count = -1;
static int round_done, failed;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RESULT of a call that only has to succeed. */
static void on_done(const kfk_event_t *ev, void *what) {
    if (ev->err) {
        fprintf(stderr, "%s: %s\n", (const char *)what, ev->errstr);
        failed = 1;
    }
    round_done = 1;
}

/* A record: accepted and printed until COUNT; others are left to be
 * released. */
static void on_record(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type != KFK_EVENT_MESSAGE) {
        on_done(ev, "share consume");
        return;
    }
    const kfk_message_t *m = ev->msg;
    if (count >= 0 && accepted >= count)
        return;
    if (kfk_share_acknowledge(client, m->topic, m->partition, m->offset, KFK_ACK_ACCEPT) == KFK_OK) {
        printf("%d:%lld\n", m->partition, (long long)m->offset);
        accepted++;
    }
}

/* Runs one library call whose RESULT goes to on_done, to its end. */
#define WAIT_FOR(q, call)              \
    do {                               \
        round_done = 0;                \
        if ((call) == KFK_OK)          \
            while (!round_done)        \
                kfk_poll((q), 100, 0); \
    } while (0)

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s BROKERS TOPIC GROUP [--count N] [--from-beginning]\n", argv[0]);
        return 2;
    }
    const char *brokers = argv[1], *topic = argv[2], *group = argv[3];
    int from_beginning = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atol(argv[++i]);
        else if (strcmp(argv[i], "--from-beginning") == 0)
            from_beginning = 1;
        else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (kfk_conf_set(conf, "brokers", brokers, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    kfk_queue_t *q;
    kfk_queue_new(&q);
    if (kfk_client_new(q, conf, &client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    kfk_conf_destroy(conf);
    WAIT_FOR(q, kfk_client_connect(client, on_done, (void *)"connect"));
    int32_t partitions = kfk_client_partition_count(client, topic); /* connect listed every topic */
    if (failed || partitions <= 0) {
        fprintf(stderr, "topic %s not found\n", topic);
        return 1;
    }
    if (from_beginning) {
        kfk_topic_partition_t *tps = calloc(partitions, sizeof *tps);
        for (int32_t p = 0; p < partitions; p++)
            tps[p] = (kfk_topic_partition_t){topic, p, -1, KFK_OFFSET_EARLIEST, NULL};
        WAIT_FOR(q, kfk_admin_alter_share_group_offsets(client, group, tps, partitions, on_done,
                                                        (void *)"starting the group at the earliest offsets"));
        free(tps);
        if (failed)
            return 1;
    }
    const char *topics[] = {topic};
    const char *options[] = {"group_id", group, "share_acknowledgement_mode", "explicit"}; /* pairs */
    kfk_err_t rc = kfk_share_subscribe(client, topics, 1, options, 2);
    if (rc != KFK_OK) {
        fprintf(stderr, "share subscribe: %s\n", kfk_err_string(rc));
        return 1;
    }
    double last = now();
    while ((count < 0 || accepted < count) && now() - last < 10 && !failed) {
        long before = accepted;
        WAIT_FOR(q, kfk_share_consume(client, on_record, NULL));
        if (accepted > before)
            last = now();
    }
    fflush(stdout);
    WAIT_FOR(q, kfk_share_unsubscribe(client, on_done, (void *)"leaving the share group"));
    kfk_client_destroy(client);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    return failed ? 1 : 0;
}
