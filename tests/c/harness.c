#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int kt_failed_checks;

int kt_run(const kt_test_t *tests, size_t n) {
    int passed = 0, failed = 0, skipped = 0;
    char host[256];
    int port;
    int have_broker = kt_broker(host, sizeof host, &port);
    for (size_t i = 0; i < n; i++) {
        if (tests[i].needs_broker && !have_broker) {
            printf("ok %zu - %s # SKIP KFK_TEST_BROKERS is not set\n", i + 1, tests[i].name);
            skipped++;
            continue;
        }
        int before = kt_failed_checks;
        tests[i].fn();
        if (kt_failed_checks == before) {
            printf("ok %zu - %s\n", i + 1, tests[i].name);
            passed++;
        } else {
            printf("not ok %zu - %s\n", i + 1, tests[i].name);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

const char *kt_env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int kt_broker(char *host, size_t hostlen, int *port) {
    const char *list = kt_env("KFK_TEST_BROKERS");
    if (!list)
        return 0;
    const char *colon = strrchr(list, ':');
    const char *comma = strchr(list, ',');
    if (comma && colon > comma) {
        /* take the first entry only */
        colon = memchr(list, ':', (size_t)(comma - list));
    }
    if (!colon || (size_t)(colon - list) >= hostlen)
        return 0;
    memcpy(host, list, (size_t)(colon - list));
    host[colon - list] = 0;
    *port = atoi(colon + 1);
    return *port > 0;
}

kfk_conf_t *kt_conf(void) {
    char host[256], addr[300];
    int port;
    kfk_conf_t *conf;
    if (!kt_broker(host, sizeof host, &port) || kfk_conf_new(&conf) != KFK_OK)
        return NULL;
    snprintf(addr, sizeof addr, "%s:%d", host, port);
    if (kfk_conf_set(conf, "bootstrap.servers", addr, NULL, 0) != KFK_OK ||
        kfk_conf_set(conf, "linger_ms", "2", NULL, 0) != KFK_OK) {
        kfk_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

int kt_wait(kfk_queue_t *q, const int *flag, int timeout_ms) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!*flag) {
        int rc = kfk_poll(q, 100, 0);
        if (rc < 0) {
            fprintf(stderr, "  kfk_poll: %s\n", kfk_err_name(rc));
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed > timeout_ms)
            break;
    }
    return *flag;
}

int kt_readable(int fd, int timeout_ms) {
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        struct pollfd p = {fd, POLLIN, 0};
        int rc = poll(&p, 1, left > 0 ? (int)left : 0);
        if (rc > 0)
            return 1;
        if (rc == 0 || errno != EINTR)
            return 0;
    }
}

void kt_unique(char *buf, size_t len, const char *prefix) {
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, len, "%s-%ld-%d-%u", prefix, (long)ts.tv_nsec, (int)getpid(), counter++);
}

const kfk_val_t *kt_path(const kfk_val_t *v, const char *path) {
    char part[128];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = 0;
        path += n + (path[n] == '.');
        if (v->type == KFK_VAL_LIST)
            v = kfk_val_at(v, (size_t)atol(part));
        else
            v = kfk_val_get(v, part);
    }
    return v;
}

long long kt_int(const kfk_val_t *v, const char *path) {
    const kfk_val_t *x = kt_path(v, path);
    if (!x || (x->type != KFK_VAL_INT && x->type != KFK_VAL_BOOL)) {
        fprintf(stderr, "  no integer at %s\n", path);
        return -999999;
    }
    return x->i;
}

static void on_conn_event(const kfk_event_t *ev, void *opaque) {
    int *state = opaque;
    if (ev->type == KFK_EVENT_CONNECT)
        *state = 1;
    else if (ev->type == KFK_EVENT_ERROR) {
        fprintf(stderr, "  connect error: %s\n", ev->errstr);
        *state = -1;
    }
}

int kt_connect(kfk_queue_t **q, kfk_conn_t **c) {
    char host[256];
    int port;
    static int state;
    state = 0;
    if (!kt_broker(host, sizeof host, &port) || kfk_queue_new(q) != KFK_OK)
        return 0;
    if (kfk_conn_new(*q, c) != KFK_OK)
        return 0;
    kfk_conn_set_event_handler(*c, on_conn_event, &state);
    if (kfk_conn_connect(*c, host, port, 10000) != KFK_OK)
        return 0;
    kt_wait(*q, &state, 15000);
    return state == 1;
}

static void base64url(const char *in, size_t n, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = abc[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = abc[v & 63];
    }
    out[o] = 0;
}

int64_t kt_unsigned_jwt(char *out, int life_s) {
    long long now = (long long)time(NULL);
    char claims[128], header[32], payload[200];
    snprintf(claims, sizeof claims, "{\"sub\":\"kfk-c\",\"iat\":%lld,\"exp\":%lld}", now, now + life_s);
    base64url("{\"alg\":\"none\"}", 14, header);
    base64url(claims, strlen(claims), payload);
    sprintf(out, "%s.%s.", header, payload);
    return (now + life_s) * 1000;
}
