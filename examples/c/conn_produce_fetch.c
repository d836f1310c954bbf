/* conn_produce_fetch: the low-level Conn API from C.
 *
 * Connects to one broker, produces a few records to partition 0 of a topic
 * and fetches them back, driving everything from one event loop built on
 * poll(2) and kfk_queue_fd().
 *
 *   conn_produce_fetch [host:port] [topic]     (default 127.0.0.1:9092 kfk-example)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kfk.h>

static int done;

static void print_val(const kfk_val_t *v) {
    switch (v->type) {
    case KFK_VAL_INT: printf("%lld", (long long)v->i); break;
    case KFK_VAL_BOOL: printf(v->i ? "true" : "false"); break;
    case KFK_VAL_STR:
    case KFK_VAL_BYTES: printf("\"%.*s\"", (int)v->n, v->s); break;
    case KFK_VAL_LIST:
        printf("[");
        for (size_t i = 0; i < v->n; i++) { if (i) printf(", "); print_val(&v->items[i]); }
        printf("]");
        break;
    case KFK_VAL_MAP:
        printf("{");
        for (size_t i = 0; i < v->n; i++) {
            if (i) printf(", ");
            printf("%.*s: ", (int)v->items[2 * i].n, v->items[2 * i].s);
            print_val(&v->items[2 * i + 1]);
        }
        printf("}");
        break;
    default: printf("null");
    }
}

static void on_fetch(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err) {
        fprintf(stderr, "fetch failed: %s\n", ev->errstr);
    } else {
        const kfk_val_t *recs = kfk_val_get(kfk_val_at(kfk_val_get(kfk_val_at(kfk_val_get(
            ev->result, "topics"), 0), "partitions"), 0), "records");
        for (size_t i = 0; recs && i < recs->n; i++) {
            print_val(&recs->items[i]);
            printf("\n");
        }
    }
    done = 1;
}

static void on_produce(const kfk_event_t *ev, void *opaque) {
    kfk_conn_t *c = opaque;
    const kfk_val_t *part = ev->result ? kfk_val_at(kfk_val_get(kfk_val_at(kfk_val_get(ev->result, "topics"), 0),
                                                               "partitions"), 0) : NULL;
    if (ev->err || kfk_val_get(part, "error_code")->i != 0) {
        fprintf(stderr, "produce failed: %s\n", ev->err ? ev->errstr : kfk_err_name((kfk_err_t)kfk_val_get(part, "error_code")->i));
        done = 1;
        return;
    }
    printf("produced: ");
    print_val(ev->result);
    printf("\n");
    const char *topic = (const char *)kfk_val_get(kfk_val_at(kfk_val_get(ev->result, "topics"), 0), "topic")->s;
    int64_t base = kfk_val_get(part, "base_offset")->i;
    kfk_topic_partition_t tp = {topic, 0, -1, base, NULL};
    kfk_conn_fetch(c, &tp, 1, NULL, on_fetch, NULL);
}

static void produce(kfk_conn_t *c) {
    const char *topic = getenv("KFK_EXAMPLE_TOPIC");
    kfk_header_t h = {"source", 6, "c-example", 9};
    kfk_record_t recs[] = {
        {"k1", 2, "hello", 5, &h, 1, -1},
        {"k2", 2, "world", 5, NULL, 0, -1},
        {NULL, 0, "no key", 6, NULL, 0, -1},
    };
    kfk_produce_opts_t opts;
    kfk_produce_opts_init(&opts);
    opts.acks = -1;
    opts.compression = "lz4";
    kfk_conn_produce_batch(c, topic, 0, recs, 3, &opts, on_produce, c);
}

static void ask_metadata(kfk_conn_t *c);

/* Metadata for the topic also creates it when the broker auto-creates
 * topics; produce once partition 0 has a leader. */
static void on_metadata(const kfk_event_t *ev, void *opaque) {
    kfk_conn_t *c = opaque;
    static int tries;
    const kfk_val_t *t = ev->result ? kfk_val_at(kfk_val_get(ev->result, "topics"), 0) : NULL;
    const kfk_val_t *p = t ? kfk_val_at(kfk_val_get(t, "partitions"), 0) : NULL;
    if (p && kfk_val_get(t, "error_code")->i == 0 && kfk_val_get(p, "leader")->i >= 0) {
        produce(c);
    } else if (++tries < 100) {
        usleep(100 * 1000); /* a new topic needs a moment to get a leader */
        ask_metadata(c);
    } else {
        fprintf(stderr, "topic %s has no leader\n", getenv("KFK_EXAMPLE_TOPIC"));
        done = 1;
    }
}

static void ask_metadata(kfk_conn_t *c) {
    const char *topics[] = {getenv("KFK_EXAMPLE_TOPIC")};
    kfk_conn_metadata(c, topics, 1, on_metadata, c);
}

static void on_conn_event(const kfk_event_t *ev, void *opaque) {
    kfk_conn_t *c = opaque;
    if (ev->type != KFK_EVENT_CONNECT) {
        fprintf(stderr, "connection: %s: %s\n", kfk_err_name(ev->err), ev->errstr);
        done = 1;
        return;
    }
    ask_metadata(c);
}

int main(int argc, char **argv) {
    const char *addr = argc > 1 ? argv[1] : "127.0.0.1:9092";
    setenv("KFK_EXAMPLE_TOPIC", argc > 2 ? argv[2] : "kfk-example", 1);
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        fprintf(stderr, "usage: %s host:port [topic]\n", argv[0]);
        return 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);

    kfk_queue_t *q;
    kfk_conn_t *c;
    if (kfk_queue_new(&q) != KFK_OK || kfk_conn_new(q, &c) != KFK_OK)
        return 1;
    kfk_conn_set_event_handler(c, on_conn_event, c);
    kfk_err_t err = kfk_conn_connect(c, host, atoi(colon + 1), 5000);
    if (err) {
        fprintf(stderr, "connect: %s\n", kfk_err_string(err));
        return 1;
    }
    /* The application's own loop: wait for the queue's fd, then poll. */
    struct pollfd pfd = {kfk_queue_fd(q), POLLIN, 0};
    while (!done) {
        int ready = poll(&pfd, 1, 10000);
        if (ready < 0 && errno == EINTR) /* a signal: wait again */
            continue;
        if (ready <= 0) {
            fprintf(stderr, "timed out\n");
            break;
        }
        kfk_poll(q, 0, 0);
    }
    kfk_conn_destroy(c);
    kfk_poll(q, 0, 0); /* deliver anything the close completed */
    kfk_queue_destroy(q);
    return 0;
}
