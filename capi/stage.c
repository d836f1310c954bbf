/* The produce stage: see stage.h. */
#include "stage.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    STAGE_SLOTS = 4096,             /* client handles whose slot index is below this get a stage */
    STAGE_FIRST_BYTES = 64 << 10,   /* a stage buffer's first size */
    STAGE_MOST_BYTES = 256 << 10,   /* and the most it grows to before records go to Go directly */
    STAGE_TOPIC_MAX = 249,          /* Kafka's longest topic name */
    STAGE_LARGEST_RECORD = 4 << 10, /* a larger record goes to Go directly (see kfk__stage_put) */
    HANDLE_KIND_CLIENT = 4,         /* handles.go: kindClient */
    GATHER_RECORDS = 256,           /* a mover gathering records wakes at this many */
    GATHER_BYTES = 64 << 10,        /* or at this many bytes staged */
};

/* What the mover is waiting for. Waking a thread costs a system call and
 * a switch, more than staging a record: a slow producer (an interpreter)
 * would pay one per record. So the first record wakes an idle mover, which
 * then gathers what follows for a moment, woken early only by a full
 * measure of records. */
enum { MOVER_BUSY, MOVER_IDLE, MOVER_GATHERING };

struct kfk__stage {
    pthread_mutex_t mu;
    pthread_cond_t staged; /* signalled when records arrive while the mover waits */
    uint64_t handle;       /* the client it stages for; 0 while it takes nothing */
    int closed, mover; /* mover: MOVER_* */

    char topic[STAGE_TOPIC_MAX + 1];
    size_t topic_len; /* 0: no topic admitted */
    int64_t max_size, room_records, room_bytes;

    unsigned char *buf, *spare;
    size_t len, cap, spare_cap;
    uint32_t count;       /* written with the lock held, read without it by kfk__stage_count */
    int64_t staged_bytes; /* the staged records' sizes */
};

static kfk__stage_t *_Atomic stages[STAGE_SLOTS];
static pthread_mutex_t stages_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(uint64_t h) { return (size_t)((uint32_t)h >> 8) - 1; }

kfk__stage_t *kfk__stage_open(uint64_t h) {
    size_t i = slot_of(h);
    if ((h & 0xff) != HANDLE_KIND_CLIENT || i >= STAGE_SLOTS)
        return NULL;
    pthread_mutex_lock(&stages_mu);
    kfk__stage_t *s = stages[i];
    if (!s && (s = calloc(1, sizeof *s))) {
        /* The lock is held for a copy: a thread that finds it taken
         * spins a little before sleeping (glibc's adaptive mutex). */
        pthread_mutexattr_t mattr;
        pthread_mutexattr_init(&mattr);
        pthread_mutexattr_settype(&mattr, PTHREAD_MUTEX_ADAPTIVE_NP);
        pthread_mutex_init(&s->mu, &mattr);
        pthread_mutexattr_destroy(&mattr);
        pthread_condattr_t cattr;
        pthread_condattr_init(&cattr);
        pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
        pthread_cond_init(&s->staged, &cattr);
        pthread_condattr_destroy(&cattr);
        stages[i] = s;
    }
    pthread_mutex_unlock(&stages_mu);
    if (!s)
        return NULL;
    pthread_mutex_lock(&s->mu);
    s->handle = h;
    s->closed = 0, s->mover = MOVER_BUSY;
    s->topic_len = 0;
    s->max_size = s->room_records = s->room_bytes = 0;
    s->len = 0, s->staged_bytes = 0; /* the slot's last client took all it staged before closing */
    __atomic_store_n(&s->count, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&s->mu);
    return s;
}

/* Sets the room from the producer's, less what is staged and not in the
 * producer yet: the records a take hands over go in after it. */
static void set_room_locked(kfk__stage_t *s, int64_t max_size, int64_t records, int64_t bytes, int64_t taken,
                            int64_t taken_bytes) {
    s->max_size = max_size;
    s->room_records = records - s->count - taken;
    s->room_bytes = bytes - s->staged_bytes - taken_bytes;
}

int kfk__stage_admit(kfk__stage_t *s, const char *topic, size_t len, int64_t max_size, int64_t records,
                     int64_t bytes) {
    int ok = 1;
    pthread_mutex_lock(&s->mu);
    if (len <= STAGE_TOPIC_MAX && (len != s->topic_len || memcmp(topic, s->topic, len) != 0)) {
        if (s->count == 0) {
            memcpy(s->topic, topic, len);
            s->topic[len] = 0;
            s->topic_len = len;
        } else {
            ok = 0;
        }
    }
    set_room_locked(s, max_size, records, bytes, 0, 0);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* The record's size as the producer counts it (producer.go: produce). */
static int64_t record_size(const kfk_message_t *m) {
    return (int64_t)(m->key ? m->key_len : 0) + (int64_t)(m->value ? m->value_len : 0) + 64;
}

/* Whether name (NUL-terminated) is the admitted topic: compared in one
 * pass, without measuring name first. */
static int same_topic(const kfk__stage_t *s, const char *name) {
    return s->topic_len > 0 && strncmp(name, s->topic, s->topic_len) == 0 && name[s->topic_len] == 0;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes room for need more bytes; 0 if the buffer would pass its cap. */
static int reserve(kfk__stage_t *s, size_t need) {
    if (s->len + need <= s->cap)
        return 1;
    if (!s->buf && s->spare && need <= s->spare_cap) {
        s->buf = s->spare, s->cap = s->spare_cap;
        s->spare = NULL, s->spare_cap = 0;
        return 1;
    }
    size_t cap = s->cap ? s->cap : STAGE_FIRST_BYTES;
    while (cap < s->len + need)
        cap *= 2;
    if (cap > STAGE_MOST_BYTES)
        return 0;
    unsigned char *grown = realloc(s->buf, cap);
    if (!grown)
        return 0;
    s->buf = grown, s->cap = cap;
    return 1;
}

int kfk__stage_put(uint64_t h, const kfk_message_t *m, kfk_cb cb) {
    size_t i = slot_of(h);
    if ((h & 0xff) != HANDLE_KIND_CLIENT || i >= STAGE_SLOTS || !m || !m->topic || m->partition < -1 ||
        m->header_count || (m->key && m->key_len > INT32_MAX) || (m->value && m->value_len > INT32_MAX))
        return 0;
    kfk__stage_t *s = stages[i];
    if (!s)
        return 0;
    int64_t size = record_size(m);
    /* Staging copies a record twice (into the stage, then into its batch):
     * for a large one that costs more than the crossing into Go it spares
     * (10 KB records: 5-9 % more CPU per record staged than direct). */
    if (size > STAGE_LARGEST_RECORD)
        return 0;
    size_t key_len = m->key ? m->key_len : 0, value_len = m->value ? m->value_len : 0;
    size_t need = sizeof(kfk__staged_t) + ((key_len + value_len + 7) & ~(size_t)7);
    int64_t timestamp = m->timestamp < 0 ? now_ms() : m->timestamp;

    pthread_mutex_lock(&s->mu);
    if (s->handle != h || s->closed || size > s->max_size || s->room_records < 1 || s->room_bytes < size ||
        !same_topic(s, m->topic) || !reserve(s, need)) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    kfk__staged_t *r = (kfk__staged_t *)(s->buf + s->len);
    *r = (kfk__staged_t){.timestamp = timestamp, .cb = (uintptr_t)cb, .opaque = (uintptr_t)m->opaque,
                         .partition = m->partition, .key_len = m->key ? (int32_t)key_len : -1,
                         .value_len = m->value ? (int32_t)value_len : -1};
    unsigned char *data = (unsigned char *)(r + 1);
    if (key_len)
        memcpy(data, m->key, key_len);
    if (value_len)
        memcpy(data + key_len, m->value, value_len);
    s->len += need;
    __atomic_store_n(&s->count, s->count + 1, __ATOMIC_RELAXED);
    s->staged_bytes += size;
    s->room_records--;
    s->room_bytes -= size;
    int wake = s->mover == MOVER_IDLE ||
               (s->mover == MOVER_GATHERING && (s->count >= GATHER_RECORDS || s->len >= GATHER_BYTES));
    if (wake)
        s->mover = MOVER_BUSY;
    pthread_mutex_unlock(&s->mu);
    /* Signalled once the lock is free: a mover woken with it held would
     * only wake to sleep on the lock, and wake this thread to release it. */
    if (wake)
        pthread_cond_signal(&s->staged);
    return 1;
}

static int gathered(const kfk__stage_t *s) {
    return s->closed || s->count >= GATHER_RECORDS || s->len >= GATHER_BYTES;
}

int kfk__stage_wait(kfk__stage_t *s, int64_t gather_ns) {
    pthread_mutex_lock(&s->mu);
    while (s->count == 0 && !s->closed) {
        s->mover = MOVER_IDLE;
        pthread_cond_wait(&s->staged, &s->mu);
    }
    if (!gathered(s) && gather_ns > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t ns = until.tv_nsec + gather_ns;
        until.tv_sec += ns / 1000000000, until.tv_nsec = ns % 1000000000;
        while (!gathered(s)) {
            s->mover = MOVER_GATHERING;
            if (pthread_cond_timedwait(&s->staged, &s->mu, &until) != 0)
                break;
        }
    }
    s->mover = MOVER_BUSY;
    int open = s->count > 0 || !s->closed;
    pthread_mutex_unlock(&s->mu);
    return open;
}

void kfk__stage_take(kfk__stage_t *s, void *back, size_t back_cap, int64_t max_size, int64_t records,
                     int64_t bytes, void **buf, size_t *cap, size_t *len, size_t *count) {
    pthread_mutex_lock(&s->mu);
    if (back && !s->spare && !s->closed) {
        s->spare = back, s->spare_cap = back_cap;
        back = NULL;
    }
    int64_t taken = s->count, taken_bytes = s->staged_bytes;
    *buf = NULL, *cap = *len = *count = 0;
    if (taken > 0) {
        *buf = s->buf, *cap = s->cap, *len = s->len, *count = s->count;
        s->buf = NULL, s->len = s->cap = 0;
        __atomic_store_n(&s->count, 0, __ATOMIC_RELAXED);
        s->staged_bytes = 0;
    }
    set_room_locked(s, max_size, records, bytes, taken, taken_bytes);
    pthread_mutex_unlock(&s->mu);
    free(back);
}

uint32_t kfk__stage_count(const kfk__stage_t *s) { return __atomic_load_n(&s->count, __ATOMIC_RELAXED); }

void kfk__stage_close(kfk__stage_t *s) {
    pthread_mutex_lock(&s->mu);
    s->handle = 0;
    s->closed = 1;
    free(s->spare);
    s->spare = NULL, s->spare_cap = 0;
    pthread_cond_broadcast(&s->staged);
    pthread_mutex_unlock(&s->mu);
}
