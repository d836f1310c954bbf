/* transactional: produce in transactions, commit one and abort one, then
 * read the topic back with read_committed and show only the committed
 * records are visible.
 *
 *   transactional [brokers] [topic]     (127.0.0.1:9092 kfk-txn-example)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kfk.h>

static int done;
static long consumed, committed_seen, aborted_seen;

static void on_done(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_MESSAGE) {
        consumed++;
        committed_seen += ev->msg->value_len >= 9 && memcmp(ev->msg->value, "committed", 9) == 0;
        aborted_seen += ev->msg->value_len >= 7 && memcmp(ev->msg->value, "aborted", 7) == 0;
        return;
    }
    if (ev->type == KFK_EVENT_DELIVERY)
        return;
    if (ev->err)
        fprintf(stderr, "%s: %s\n", kfk_err_name(ev->err), ev->errstr);
    done = ev->err ? -1 : 1;
}

static int wait_done(kfk_queue_t *q) {
    while (!done)
        kfk_poll(q, 100, 0);
    int r = done;
    done = 0;
    return r;
}

static kfk_client_t *client_with(kfk_queue_t *q, const char *brokers, const char *key, const char *value) {
    char err[256];
    kfk_conf_t *conf;
    kfk_client_t *c;
    kfk_conf_new(&conf);
    kfk_conf_set(conf, "brokers", brokers, err, sizeof err);
    if (kfk_conf_set(conf, key, value, err, sizeof err) || kfk_client_new(q, conf, &c, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    kfk_conf_destroy(conf);
    kfk_client_connect(c, on_done, NULL);
    if (wait_done(q) < 0)
        exit(1);
    return c;
}

static void produce(kfk_client_t *c, const char *topic, const char *value, int n) {
    for (int i = 0; i < n; i++) {
        kfk_message_t m = {.topic = topic, .partition = 0, .timestamp = -1, .value = value, .value_len = strlen(value)};
        if (kfk_produce(c, &m, on_done) != KFK_OK)
            exit(1);
    }
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-txn-example";
    char txn_id[64];
    snprintf(txn_id, sizeof txn_id, "kfk-example-txn-%ld", (long)time(NULL));
    kfk_queue_t *q;
    kfk_queue_new(&q);
    kfk_client_t *producer = client_with(q, brokers, "transactional_id", txn_id);

    if (kfk_txn_begin(producer) != KFK_OK)
        return 1;
    produce(producer, topic, "committed", 10);
    kfk_txn_commit(producer, on_done, NULL);
    if (wait_done(q) < 0)
        return 1;
    printf("committed a transaction of 10 records\n");

    kfk_txn_begin(producer);
    produce(producer, topic, "aborted", 5);
    kfk_txn_abort(producer, on_done, NULL);
    if (wait_done(q) < 0)
        return 1;
    printf("aborted a transaction of 5 records\n");

    kfk_client_t *consumer = client_with(q, brokers, "isolation_level", "read_committed");
    kfk_topic_partition_t tp = {topic, 0, -1, KFK_OFFSET_EARLIEST, NULL};
    kfk_assign(consumer, &tp, 1);
    for (int idle = 0; idle < 3;) {
        long before = consumed;
        kfk_consume(consumer, on_done, NULL);
        wait_done(q);
        idle = consumed == before ? idle + 1 : 0;
    }
    printf("read_committed sees %ld committed and %ld aborted records\n", committed_seen, aborted_seen);
    kfk_client_destroy(consumer);
    kfk_client_destroy(producer);
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    return committed_seen >= 10 && aborted_seen == 0 ? 0 : 1;
}
