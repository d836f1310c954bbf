/* Library load time: dlopen(LIBRARY) and one call of SYMBOL (a version
 * function taking no arguments), timed in a fresh process.
 *
 *   load_time LIBRARY SYMBOL
 * Prints "load_ms=T". For libkfk this includes starting the Go runtime. */
#include <dlfcn.h>

#include "bench_util.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s library symbol\n", argv[0]);
        return 2;
    }
    double start = bench_now();
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    void *(*version)(void) = (void *(*)(void))dlsym(lib, argv[2]);
    if (!version) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    version();
    printf("load_ms=%.3f\n", (bench_now() - start) * 1e3);
    return 0;
}
