/* Internal to libkfk: the produce stage.
 *
 * kfk_produce would cost each record a call from C into Go (the Go
 * runtime's entry and exit, a lock, a processor to borrow) and the whole
 * encoding of the record on the producing thread. Instead, a record that
 * the library has already agreed to take is copied here, in C, into the
 * client's stage, and a goroutine (stage.go) moves staged records into the
 * producer's batches in bulk, on another thread.
 *
 * "Already agreed" keeps kfk_produce's answers what they were: the Go side
 * admits one topic at a time after a record of it was produced, and says
 * how many records and bytes the producer can still take and how large a
 * record may be; a record that does not fit those (or has headers) is
 * refused by kfk__stage_put and goes to Go as before, which first moves
 * the staged records in so that one thread's records keep their order. */
#ifndef KFK_STAGE_H
#define KFK_STAGE_H
#include <stddef.h>
#include <stdint.h>
#include "kfk.h"

typedef struct kfk__stage kfk__stage_t;

/* One staged record: its fields, then key_len bytes of key and value_len
 * of value, padded to 8 bytes. A length of -1 is Kafka's null. */
typedef struct {
    int64_t timestamp;
    uintptr_t cb;
    uintptr_t opaque;
    int32_t partition;
    int32_t key_len;
    int32_t value_len;
} kfk__staged_t;

/* Takes a copy of msg into the stage of client handle h, or returns 0 if
 * the Go side must take it (no stage, or not admitted). */
int kfk__stage_put(uint64_t h, const kfk_message_t *msg, kfk_cb cb);

/* The stage of client handle h (made on first use; NULL if h's slot is
 * beyond the table). Stages are never freed: a stale pointer read by a
 * producing thread stays safe, and a later client in the slot reuses it. */
kfk__stage_t *kfk__stage_open(uint64_t h);

/* Sets what the stage may take: records of topic (len bytes), each at
 * most max_size, records and bytes in all. The topic changes only while
 * nothing is staged; returns 0 if it could not. */
int kfk__stage_admit(kfk__stage_t *s, const char *topic, size_t len, int64_t max_size, int64_t records,
                     int64_t bytes);

/* Blocks until records are staged, then up to gather_ns more while fewer
 * than a measure of them are, or until the stage is closed; returns 0 once
 * closed and empty. */
int kfk__stage_wait(kfk__stage_t *s, int64_t gather_ns);

/* Hands the staged records over: *buf (*cap bytes) holds *len bytes of
 * *count records (*buf NULL: none). back (may be NULL) is the buffer the
 * last take handed over, done with; max_size, records and bytes are the
 * producer's room now, before the records taken go in. */
void kfk__stage_take(kfk__stage_t *s, void *back, size_t back_cap, int64_t max_size, int64_t records,
                     int64_t bytes, void **buf, size_t *cap, size_t *len, size_t *count);

/* How many records are staged now (a hint: read without the lock). */
uint32_t kfk__stage_count(const kfk__stage_t *s);

/* Takes nothing more and wakes the waiter; what is staged stays to be
 * taken. */
void kfk__stage_close(kfk__stage_t *s);

#endif
