/*
 * stats: a registry of named event counters (packets in/out, drops per
 * reason) that the control socket shows in `mip6sec status`.
 *
 * Counters are statically allocated by their owner and linked into one list
 * on first registration, so counting never allocates and never fails:
 *
 *	static struct stats_counter drop_trunc = STATS_COUNTER("mh", "drop_truncated");
 *	stats_register(&drop_trunc);   (at init; idempotent)
 *	stats_inc(&drop_trunc);        (on the hot path)
 *
 * The list is process-global and single-threaded, like the event loop.
 */
#ifndef M6_BASE_STATS_H
#define M6_BASE_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct stats_counter {
	const char *group; /* subsystem, e.g. "pkt", "ctl", "mh" */
	const char *name;  /* what is counted, e.g. "drop_bad_magic" */
	uint64_t value;
	bool registered;
	struct stats_counter *next;
};

#define STATS_COUNTER(g, n) { .group = (g), .name = (n) }

/* Link c into the registry (a second call is a no-op). */
void stats_register(struct stats_counter *c);
/* Unlink every counter (values are kept); used at shutdown and by tests. */
void stats_unregister_all(void);
/* Registered counters in registration order; NULL ends the list. */
const struct stats_counter *stats_first(void);

static inline void stats_inc(struct stats_counter *c) { c->value++; }
static inline void stats_add(struct stats_counter *c, uint64_t n) { c->value += n; }

#endif
