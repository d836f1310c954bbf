/* What every C benchmark program shares: the clock, the process's memory
 * (from /proc/self/status) and the report line the driver parses.
 *
 * Every program prints exactly one line of key=value pairs on stdout. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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

/* Sorts us[0..n-1] and prints the latency report line. */
static inline void bench_print_latency(double *us, long n) {
    qsort(us, n, sizeof *us, bench_cmp_double);
#define AT(q) us[(long)((q) * (n - 1) + 0.5)]
    printf("msgs=%ld min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
           n, us[0], AT(0.5), AT(0.9), AT(0.99), us[n - 1]);
#undef AT
}

#define BENCH_USAGE "usage: %s produce|consume|latency brokers topic count size acks compression\n"

#endif
