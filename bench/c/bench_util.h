/* What every C benchmark program shares: the clock, the process's CPU time
 * and memory (from /proc/self/status) and the report lines the driver
 * parses.
 *
 * Every program prints exactly one line of key=value pairs on stdout. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of the whole process so far (every thread:
 * the library's own threads and goroutines included). */
static inline double bench_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* A /proc/self/status field in kB ("VmRSS", "VmHWM"), or -1. */
static inline long bench_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = atol(line + n + 1);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

static int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The produce and consume report line. records is how many the run
 * handled (delivered, failed or read); cpu_s is bench_cpu() over the timed
 * part, so cpu_us_per_msg is the process's CPU per record. */
static inline void bench_print_throughput(long msgs, long bytes, double secs, long failed, long records,
                                          double cpu_s, long idle_kb) {
    printf("msgs=%ld bytes=%ld seconds=%.6f failed=%ld rss_idle_kb=%ld rss_peak_kb=%ld cpu_us_per_msg=%.3f\n",
           msgs, bytes, secs, failed, idle_kb, bench_status_kb("VmHWM"), records ? cpu_s / records * 1e6 : 0.0);
}

/* The topic argument: one name or several separated by commas. They are
 * cut out of arg in place; *n gets how many. Record i of produce goes to
 * topic i % T and partition (i / T) % P, so every partition of every topic
 * gets the same share. */
static inline char **bench_topics(char *arg, int *n) {
    int count = 1;
    for (char *c = arg; *c; c++)
        count += *c == ',';
    char **names = malloc(count * sizeof *names);
    *n = 0;
    for (char *name = strtok(arg, ","); name; name = strtok(NULL, ","))
        names[(*n)++] = name;
    if (*n == 0) {
        fprintf(stderr, "no topic given\n");
        exit(2);
    }
    return names;
}

/* The idle report line: CPU the process used while assigned and idle, per
 * 10 seconds. */
static inline void bench_print_idle(double secs, double cpu_s, long idle_kb) {
    printf("msgs=0 seconds=%.3f idle_cpu_ms_per_10s=%.1f rss_idle_kb=%ld rss_peak_kb=%ld\n", secs,
           secs > 0 ? cpu_s / secs * 10 * 1e3 : 0.0, idle_kb, bench_status_kb("VmHWM"));
}

/* The optional 8th argument: how many partitions produce spreads its
 * records over, consume and idle assign, per topic; 1 when absent. */
static inline int bench_partitions(int argc, char **argv) {
    int p = argc > 8 ? atoi(argv[8]) : 1;
    if (p < 1) {
        fprintf(stderr, "partitions must be at least 1: %s\n", argv[8]);
        exit(2);
    }
    return p;
}

/* Sorts us[0..n-1] and prints the latency report line. */
static inline void bench_print_latency(double *us, long n) {
    qsort(us, n, sizeof *us, bench_cmp_double);
#define AT(q) us[(long)((q) * (n - 1) + 0.5)]
    printf("msgs=%ld min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
           n, us[0], AT(0.5), AT(0.9), AT(0.99), us[n - 1]);
#undef AT
}

/* The values produce sends. By default every record carries the same
 * size bytes of 'x', which every codec squeezes to almost nothing, so a
 * compressed row measures little of its codec. With BENCH_PAYLOAD=text
 * record i is its own size-byte slice of a pool of words and numbers, made
 * the same in every program, that compresses about as log lines do (zstd
 * about 3.5x, lz4 2x). */
typedef struct {
    char *pool;
    long pool_len, size;
} bench_values_t;

#define BENCH_TEXT_POOL (16L << 20)

static inline bench_values_t bench_values(long size) {
    bench_values_t v = {.size = size};
    const char *kind = getenv("BENCH_PAYLOAD");
    if (!kind || strcmp(kind, "text") != 0) {
        v.pool = malloc(size ? size : 1);
        memset(v.pool, 'x', size);
        v.pool_len = size;
        return v;
    }
    static const char *words[] = {"order ",   "user ",  "status=", "ok ",    "failed ", "GET ",  "POST ",
                                  "/api/v2/", "items ", "price ",  "total ", "id ",     "ts ",   "shipped ",
                                  "cart ",    "event ", "page ",   "view ",  "click ",  "info ", "warn "};
    size_t n_words = sizeof words / sizeof words[0];
    v.pool_len = BENCH_TEXT_POOL + size;
    v.pool = malloc(v.pool_len + 32);
    unsigned long long x = 0x2545F4914F6CDD1DULL;
    for (long at = 0; at < v.pool_len;) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (x % 5 == 0) {
            at += snprintf(v.pool + at, 32, "%llu ", (x >> 24) % 1000000);
        } else {
            const char *w = words[x % n_words];
            size_t n = strlen(w);
            memcpy(v.pool + at, w, n);
            at += n;
        }
    }
    return v;
}

/* Record i's value: with a text pool a slice starting at a stride of a
 * prime from the last one's, so that neighbours in a batch differ. */
static inline const char *bench_value(const bench_values_t *v, long i) {
    if (v->pool_len == v->size)
        return v->pool;
    return v->pool + (i * 7919L * (v->size + 1)) % (v->pool_len - v->size);
}

/* idle: count is the seconds measured, after a warm-up of IDLE_WARMUP_S. */
#define BENCH_USAGE                                                                                             \
    "usage: %s produce|consume|latency|idle brokers topic[,topic...] count size acks compression [partitions]\n"
#define IDLE_WARMUP_S 3

#endif
