/* Internal to libkfk: the pieces of C that the Go side of capi calls. */
#ifndef KFK_SHIM_H
#define KFK_SHIM_H
#include <stdint.h>
#include "kfk.h"

/* One callback to run and its event. */
typedef struct {
    uintptr_t cb;
    const kfk_event_t *ev;
} kfk__call_t;

/* Runs n user callbacks in order, with the thread marked as "inside a
 * callback" so that a nested kfk_poll is refused instead of deadlocking:
 * one call from Go for a whole poll's events instead of one per event. */
void kfk__invoke_many(const kfk__call_t *calls, size_t n);

#endif
