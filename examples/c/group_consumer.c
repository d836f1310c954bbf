/* group_consumer: join consumer group GROUP on TOPIC, print assignments as
 * they come, read COUNT messages (or stop after 10 idle seconds), commit,
 * and leave.
 *
 *   group_consumer [brokers] [topic] [group] [count]
 *                  (127.0.0.1:9092 kfk-perf kfk-group 1000)
 */
#include <stdio.h>
#include <stdlib.h>

#include <kfk.h>

static long received;
static int step_done, connected;

static void print_partitions(const char *what, const kfk_val_t *list) {
    printf("%s:", what);
    for (size_t i = 0; list && i < list->n; i++) {
        const kfk_val_t *p = kfk_val_at(list, i);
        printf(" %s[%lld]@%lld", kfk_val_get(p, "topic")->s, (long long)kfk_val_get(p, "partition")->i,
               (long long)kfk_val_get(p, "offset")->i);
    }
    printf("\n");
    fflush(stdout);
}

static void on_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    switch (ev->type) {
    case KFK_EVENT_MESSAGE:
        received++;
        break;
    case KFK_EVENT_ASSIGN:
        print_partitions("assigned", ev->result);
        break;
    case KFK_EVENT_REVOKE:
        print_partitions("revoked", ev->result);
        break;
    default:
        if (ev->err)
            fprintf(stderr, "%s: %s\n", kfk_err_name(ev->err), ev->errstr);
        step_done = connected = ev->err ? -1 : 1;
    }
}

static void wait_step(kfk_queue_t *q) {
    while (!step_done)
        kfk_poll(q, 100, 0);
    step_done = 0;
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-perf";
    const char *group = argc > 3 ? argv[3] : "kfk-group";
    long count = argc > 4 ? atol(argv[4]) : 1000;
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (kfk_conf_set(conf, "brokers", brokers, err, sizeof err) ||
        kfk_conf_set(conf, "auto_offset_reset", "earliest", err, sizeof err)) {
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
    wait_step(q);
    if (connected < 0)
        return 1;

    const char *topics[] = {topic};
    const char *options[] = {"group_id", group, "heartbeat_interval_ms", "500", "auto_commit", "0"};
    if (kfk_subscribe(client, topics, 1, options, 3, on_event, NULL) != KFK_OK) {
        fprintf(stderr, "subscribe refused its options\n");
        return 1;
    }
    int idle = 0;
    while (received < count && idle < 20) {
        long before = received;
        kfk_consume(client, on_event, NULL);
        wait_step(q);
        idle = received == before ? idle + 1 : 0;
    }
    kfk_commit(client, on_event, NULL);
    wait_step(q);
    kfk_unsubscribe(client, on_event, NULL);
    wait_step(q);
    printf("consumed %ld messages in group %s, committed, left\n", received, group);
    kfk_client_destroy(client);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    return received >= count ? 0 : 1;
}
