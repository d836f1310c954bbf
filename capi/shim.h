/* Internal to libkfk: the pieces of C that the Go side of capi calls. */
#ifndef KFK_SHIM_H
#define KFK_SHIM_H
#include <stdint.h>
#include "kfk.h"

/* Runs a user callback with the thread marked as "inside a callback", so
 * that a nested kfk_poll is refused instead of deadlocking. */
void kfk__invoke(uintptr_t cb, const kfk_event_t *ev);

#endif
