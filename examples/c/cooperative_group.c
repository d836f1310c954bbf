/* cooperative_group: two members of one consumer group with
 * cooperative-sticky (KIP-429). The first owns all six partitions of TOPIC;
 * when the second joins, the first gives up only the three that move (its
 * REVOKE event lists just those) and keeps the others, and the second is
 * assigned those three. Both members deliver to one queue.
 *
 *   cooperative_group [brokers] [topic]   (127.0.0.1:9092 kfk-coop)
 */
#include <stdio.h>
#include <string.h>

#include <kfk.h>

enum { PARTITIONS = 6 };

/* One member: its name and which partitions it owns now. */
typedef struct member {
    const char *name;
    kfk_client_t *client;
    int owned[PARTITIONS];
    int count;
} member_t;

static int done;

static void on_group(const kfk_event_t *ev, void *opaque) {
    member_t *m = opaque;
    if (ev->type != KFK_EVENT_ASSIGN && ev->type != KFK_EVENT_REVOKE && ev->type != KFK_EVENT_LOST)
        return;
    int add = ev->type == KFK_EVENT_ASSIGN;
    printf("%s %s", m->name, add ? "assigned" : "revoked");
    for (size_t i = 0; ev->result && i < ev->result->n; i++) {
        int32_t p = (int32_t)kfk_val_get(kfk_val_at(ev->result, i), "partition")->i;
        if (p >= 0 && p < PARTITIONS && m->owned[p] != add) {
            m->owned[p] = add;
            m->count += add ? 1 : -1;
        }
        printf(" %d", p);
    }
    printf("\n");
    fflush(stdout);
}

static void on_done(const kfk_event_t *ev, void *opaque) {
    (void)opaque;
    if (ev->err)
        fprintf(stderr, "%s: %s\n", kfk_err_name(ev->err), ev->errstr);
    done = ev->err ? -1 : 1;
}

/* Polls q until *a owns want_a partitions and *b (may be NULL) want_b. */
static int settle(kfk_queue_t *q, member_t *a, int want_a, member_t *b, int want_b) {
    for (int i = 0; i < 300; i++) {
        if (a->count == want_a && (!b || b->count == want_b))
            return 0;
        kfk_poll(q, 100, 0);
    }
    fprintf(stderr, "the group did not settle\n");
    return -1;
}

static int open_client(member_t *m, kfk_queue_t *q, const char *brokers) {
    char err[256];
    kfk_conf_t *conf;
    kfk_conf_new(&conf);
    if (kfk_conf_set(conf, "brokers", brokers, err, sizeof err) ||
        kfk_client_new(q, conf, &m->client, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        kfk_conf_destroy(conf);
        return -1;
    }
    kfk_conf_destroy(conf);
    return 0;
}

static int subscribe(member_t *m, const char *topic, const char *group) {
    const char *topics[] = {topic};
    const char *options[] = {"group_id", group, "partition_assignment_strategy", "cooperative-sticky"};
    return kfk_subscribe(m->client, topics, 1, options, 2, on_group, m) ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *brokers = argc > 1 ? argv[1] : "127.0.0.1:9092";
    const char *topic = argc > 2 ? argv[2] : "kfk-coop";
    char group[256];
    snprintf(group, sizeof group, "%s-group", topic);

    kfk_queue_t *q;
    kfk_queue_new(&q);
    member_t first = {.name = "first"}, second = {.name = "second"};
    if (open_client(&first, q, brokers) || open_client(&second, q, brokers))
        return 1;
    /* The topic first: subscribing to a missing one would auto-create it
     * with the broker's default partition count. */
    kfk_new_topic_t nt = {topic, PARTITIONS, 1, 0, NULL, 0};
    kfk_admin_create_topics(first.client, &nt, 1, 10000, on_done, NULL);
    while (!done)
        kfk_poll(q, 100, 0);
    if (subscribe(&first, topic, group) || settle(q, &first, PARTITIONS, NULL, 0) ||
        subscribe(&second, topic, group) || settle(q, &first, PARTITIONS / 2, &second, PARTITIONS / 2))
        return 1;
    printf("first keeps %d, second has %d\n", first.count, second.count);
    member_t *members[] = {&second, &first};
    for (int i = 0; i < 2; i++) {
        done = 0;
        kfk_client_close(members[i]->client, 10000, on_done, NULL);
        while (!done)
            kfk_poll(q, 100, 0);
        kfk_client_destroy(members[i]->client);
    }
    kfk_poll(q, 0, 0);
    kfk_queue_destroy(q);
    return 0;
}
