/* Observability through the C ABI, against a real broker: the LOG and
 * STATS events a client sends to its event handler, and the configuration
 * errors of their options. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static void test_option_errors(void) {
    kfk_conf_t *conf;
    char err[256] = "";
    kfk_conf_new(&conf);
    CHECK_EQ_INT(kfk_conf_set(conf, "log_level", "loud", err, sizeof err), KFK_ERR_CONFIG);
    CHECK(strstr(err, "log_level") != NULL);
    CHECK_EQ_INT(kfk_conf_set(conf, "debug", "broker,cgrp", err, sizeof err), KFK_ERR_CONFIG);
    CHECK(strstr(err, "cgrp") != NULL);
    CHECK_EQ_INT(kfk_conf_set(conf, "statistics.interval.ms", "-5", err, sizeof err), KFK_ERR_CONFIG);
    CHECK_EQ_INT(kfk_conf_set(conf, "log_level", "debug", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "debug", "broker, metadata", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "statistics.interval.ms", "100", err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
}

static int connected, delivered, connect_logged, log_shape_ok = 1, stats_seen;
static char stats_doc[8192];

/* The client's own events: LOG lines and STATS documents. */
static void on_client_event(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->type == KFK_EVENT_LOG) {
        const kfk_val_t *msg = kfk_val_get(ev->result, "message");
        const kfk_val_t *ctx = kfk_val_get(ev->result, "context");
        const kfk_val_t *level = kfk_val_get(ev->result, "level");
        const kfk_val_t *name = kfk_val_get(ev->result, "level_name");
        if (!msg || !ctx || !level || !name || msg->type != KFK_VAL_STR || level->type != KFK_VAL_INT ||
            kt_int(ev->result, "ts_ms") <= 0) {
            log_shape_ok = 0;
            return;
        }
        if (level->i == KFK_LOG_DEBUG && strcmp(name->s, "debug") == 0 && strcmp(ctx->s, "broker") == 0 &&
            strstr(msg->s, "connected to ") != NULL)
            connect_logged = 1;
    } else if (ev->type == KFK_EVENT_STATS) {
        CHECK(ev->result != NULL && ev->result->type == KFK_VAL_STR);
        if (ev->result && ev->result->n < sizeof stats_doc) {
            memcpy(stats_doc, ev->result->s, ev->result->n + 1);
            stats_seen++;
        }
    }
}

static void on_connect(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    connected = ev->err == 0 ? 1 : -1;
}

static void on_delivery(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    CHECK_EQ_INT(ev->err, 0);
    delivered++;
}

static int closed;
static void on_closed(const kfk_event_t *ev, void *opaque) {
    (void)ev;
    (void)opaque;
    closed = 1;
}

static void test_log_and_stats_events(void) {
    char host[256], addr[300], err[256], topic[128];
    int port;
    kt_broker(host, sizeof host, &port);
    snprintf(addr, sizeof addr, "%s:%d", host, port);
    kt_unique(topic, sizeof topic, "cobserve");
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    CHECK_EQ_INT(kfk_conf_set(conf, "brokers", addr, err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "debug", "broker", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "statistics_interval_ms", "100", err, sizeof err), KFK_OK);
    CHECK_EQ_INT(kfk_conf_set(conf, "client_id", "c-observe", err, sizeof err), KFK_OK);
    kfk_queue_t *q;
    kfk_client_t *client;
    kfk_queue_new(&q);
    CHECK_EQ_INT(kfk_client_new(q, conf, &client, err, sizeof err), KFK_OK);
    kfk_conf_destroy(conf);
    CHECK_EQ_INT(kfk_client_set_event_handler(client, on_client_event, NULL), KFK_OK);
    CHECK_EQ_INT(kfk_client_connect(client, on_connect, NULL), KFK_OK);
    CHECK(kt_wait(q, &connected, 15000));

    enum { N = 20 };
    for (int i = 0; i < N; i++) {
        kfk_message_t m = {.topic = topic, .partition = -1, .value = "ten bytes!", .value_len = 10, .timestamp = -1};
        CHECK_EQ_INT(kfk_produce(client, &m, on_delivery), KFK_OK);
    }
    for (int waited = 0; waited < 30000 && delivered < N; waited += 50)
        kfk_poll(q, 50, 0);
    CHECK_EQ_INT(delivered, N);

    /* The next statistics after the deliveries count them. */
    static const char *want[] = {"\"msgs_produced\":20", "\"bytes_produced\":200", "\"client_id\":\"c-observe\"",
                                 "\"brokers\":{", "\"state\":\"up\""};
    int matched = 0;
    for (int waited = 0; waited < 10000 && !matched; waited += 50) {
        kfk_poll(q, 50, 0);
        matched = 1;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            if (!strstr(stats_doc, want[i]))
                matched = 0;
    }
    if (!matched)
        fprintf(stderr, "  last statistics: %s\n", stats_doc);
    CHECK(matched);
    CHECK(stats_seen >= 1);
    CHECK(stats_doc[0] == '{');
    CHECK(connect_logged);
    CHECK(log_shape_ok);

    CHECK_EQ_INT(kfk_client_close(client, 10000, on_closed, NULL), KFK_OK);
    CHECK(kt_wait(q, &closed, 15000));
    CHECK_EQ_INT(kfk_client_destroy(client), KFK_OK);
    kfk_queue_destroy(q);
}

int main(void) {
    static const kt_test_t tests[] = {
        {"log_level, debug and statistics options are checked", test_option_errors, 0},
        {"LOG and STATS events reach the client's event handler", test_log_and_stats_events, 1},
    };
    return kt_run(tests, sizeof tests / sizeof tests[0]);
}
