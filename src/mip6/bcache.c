/* Binding Cache: a sorted array of pointers to home registrations (see
 * bcache.h): insertion and removal move 8 octets per later entry, not the
 * whole entries, and an entry stays where it is while it exists. */
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "mip6/bcache.h"
#include "mip6/mip6.h"

static const struct name_entry bcache_state_names[] = {
	{ BCE_DAD_PENDING, "dad-pending" },
	{ BCE_VALID, "valid" },
	{ BCE_DELETING, "deleting" },
};

static const struct name_entry bcache_event_names[] = {
	{ BCACHE_EV_ADDED, "added" },     { BCACHE_EV_MOVED, "moved" },
	{ BCACHE_EV_REFRESHED, "refreshed" }, { BCACHE_EV_DELETED, "deleted" },
	{ BCACHE_EV_EXPIRED, "expired" },
};

const char *bcache_state_name(unsigned s)
{
	return names_get(bcache_state_names, NAMES_COUNT(bcache_state_names), s);
}

const char *bcache_event_name(unsigned ev)
{
	return names_get(bcache_event_names, NAMES_COUNT(bcache_event_names), ev);
}

int bcache_init(struct bcache *bc, size_t max)
{
	memset(bc, 0, sizeof(*bc));
	bc->max = max;
	return 0;
}

void bcache_fini(struct bcache *bc)
{
	for (size_t i = 0; i < bc->n; i++)
		free(bc->v[i]);
	free(bc->v);
	memset(bc, 0, sizeof(*bc));
}

/* Index of hoa, or of where it would be inserted (*found false). */
static size_t bcache_search(const struct bcache *bc, const struct in6_addr *hoa, bool *found)
{
	size_t lo = 0, hi = bc->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(&bc->v[mid]->hoa, hoa, sizeof(*hoa));
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct bcache_entry *bcache_lookup(struct bcache *bc, const struct in6_addr *hoa)
{
	bool found;
	size_t i = bcache_search(bc, hoa, &found);
	return found ? bc->v[i] : NULL;
}

int bcache_insert(struct bcache *bc, const struct in6_addr *hoa, struct bcache_entry **out)
{
	bool found;
	size_t i = bcache_search(bc, hoa, &found);

	if (found)
		return M6E_EXISTS;
	if (bc->max && bc->n >= bc->max)
		return M6E_NOSPACE;
	if (bc->n == bc->cap) {
		size_t ncap = bc->cap ? bc->cap * 2 : 16;
		struct bcache_entry **nv = realloc(bc->v, ncap * sizeof(*nv));
		if (!nv)
			return M6E_NOMEM;
		bc->v = nv;
		bc->cap = ncap;
	}
	struct bcache_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return M6E_NOMEM;
	e->hoa = *hoa;
	e->state = BCE_DAD_PENDING;
	memmove(&bc->v[i + 1], &bc->v[i], (bc->n - i) * sizeof(*bc->v));
	bc->v[i] = e;
	bc->n++;
	if (out)
		*out = e;
	return 0;
}

int bcache_remove(struct bcache *bc, const struct in6_addr *hoa)
{
	bool found;
	size_t i = bcache_search(bc, hoa, &found);

	if (!found)
		return M6E_NOTFOUND;
	free(bc->v[i]);
	memmove(&bc->v[i], &bc->v[i + 1], (bc->n - i - 1) * sizeof(*bc->v));
	bc->n--;
	return 0;
}

size_t bcache_count(const struct bcache *bc)
{
	return bc->n;
}

const struct bcache_entry *bcache_at(const struct bcache *bc, size_t i)
{
	return i < bc->n ? bc->v[i] : NULL;
}

uint64_t bcache_next_expiry(const struct bcache *bc)
{
	uint64_t t = MIP6_NEVER;

	for (size_t i = 0; i < bc->n; i++)
		if (bc->v[i]->expires_ms < t)
			t = bc->v[i]->expires_ms;
	return t;
}

long bcache_find_expired(const struct bcache *bc, uint64_t now_ms)
{
	for (size_t i = 0; i < bc->n; i++)
		if (bc->v[i]->expires_ms <= now_ms)
			return (long)i;
	return -1;
}

/* Allowed moves: DAD ends in VALID (or removal); a VALID entry is refreshed
 * or deregistered; a DELETING entry may be registered again, which needs DAD
 * again because no binding exists (R6275-10.3.1.g). */
static bool bcache_move_ok(enum bcache_state from, enum bcache_state to)
{
	switch (from) {
	case BCE_DAD_PENDING:
		return to == BCE_VALID || to == BCE_DAD_PENDING;
	case BCE_VALID:
		return to == BCE_VALID || to == BCE_DELETING;
	case BCE_DELETING:
		return to == BCE_DAD_PENDING || to == BCE_VALID;
	default:
		return false;
	}
}

int bcache_set_state(struct bcache_entry *e, enum bcache_state to)
{
	char a[ADDR_STRLEN];

	if (!bcache_move_ok(e->state, to)) {
		LOG_ERR(LOG_SUB_MIP6, "binding %s: illegal move %s -> %s",
			addr_fmt(&e->hoa, a, sizeof(a)), bcache_state_name(e->state),
			bcache_state_name(to));
		return M6E_PROTO;
	}
	if (e->state != to)
		LOG_DEBUG(LOG_SUB_MIP6, "binding %s: %s -> %s", addr_fmt(&e->hoa, a, sizeof(a)),
			  bcache_state_name(e->state), bcache_state_name(to));
	e->state = to;
	return 0;
}
