/* A tiny test harness for the C suites: CHECK macros, a test list, a TAP-ish
 * report ending with "N passed, N failed", and helpers to wait for events. */
#ifndef KFK_TEST_HARNESS_H
#define KFK_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kfk.h"

extern int kt_failed_checks;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    kt_failed_checks++; } } while (0)

#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) { fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", \
        __FILE__, __LINE__, #a, _a, #b, _b); kt_failed_checks++; } } while (0)

#define CHECK_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp(_a, _b) != 0) { fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", \
        __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); kt_failed_checks++; } } while (0)

typedef struct kt_test {
    const char *name;
    void (*fn)(void);
    int needs_broker;
} kt_test_t;

/* Runs the tests, prints one line per test and a summary; returns the exit code. */
int kt_run(const kt_test_t *tests, size_t n);

/* The first broker of KFK_TEST_BROKERS split into host and port; 0 if unset. */
int kt_broker(char *host, size_t hostlen, int *port);
/* A new conf for the test broker (bootstrap.servers) with linger_ms 2;
 * NULL without a broker. The caller destroys it. */
kfk_conf_t *kt_conf(void);
/* Another KFK_TEST_* variable, or NULL. */
const char *kt_env(const char *name);
/* Writes into out (400 bytes) an unsigned JWT for "kfk-c" valid for life_s
 * seconds (negative: expired), as the test broker's OAUTHBEARER listener
 * accepts; returns its expiry in ms since the epoch. */
int64_t kt_unsigned_jwt(char *out, int life_s);

/* Polls q until *flag becomes non-zero or timeout_ms passes; returns *flag. */
int kt_wait(kfk_queue_t *q, const int *flag, int timeout_ms);

/* Waits up to timeout_ms for fd to become readable, going on after a
 * signal interrupts the wait (the Go runtime signals threads that ran Go
 * code); returns 1 when readable, 0 when the time ran out. */
int kt_readable(int fd, int timeout_ms);

/* A unique name with the given prefix (static buffer per call site is fine). */
void kt_unique(char *buf, size_t len, const char *prefix);

/* Value helpers: the integer / string at a path of map keys and list
 * indexes, e.g. kt_int(v, "topics.0.partitions.0.error_code"). */
long long kt_int(const kfk_val_t *v, const char *path);
const kfk_val_t *kt_path(const kfk_val_t *v, const char *path);

/* Connects a fresh conn on a fresh queue to the test broker and waits for
 * readiness; returns 0 on failure. */
int kt_connect(kfk_queue_t **q, kfk_conn_t **c);

#endif
