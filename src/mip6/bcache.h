/*
 * Binding Cache of the home agent (RFC 6275 §9.1, §10.1; R6275-9.1.b,
 * R6275-10.3.1.f): home registrations keyed by home address.
 *
 * A sorted array of pointers: lookup is O(log n), iteration runs in home-address order
 * (what `mip6sec bindings` prints), insertion and removal move the tail.
 * Pointers returned by bcache_lookup(), bcache_insert() and bcache_at() stay
 * valid until that entry is removed; indexes change on every insertion or
 * removal.
 *
 * The cache stores; it does not decide. ha.c applies the BU rules and moves
 * entries between states with bcache_set_state().
 */
#ifndef M6_MIP6_BCACHE_H
#define M6_MIP6_BCACHE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bcache_state {
	BCE_DAD_PENDING = 0, /* first registration waiting for DAD (R6275-10.3.1.g) */
	BCE_VALID,           /* registered: intercepting for hoa, tunnelling to coa */
	BCE_DELETING,        /* deregistered, kept MAX_DELETE_BCE_TIMEOUT (R6275-10.3.2.e) */
	BCE_STATE_COUNT
};

/* What binding_changed reports to the adapter. */
enum bcache_event {
	BCACHE_EV_ADDED = 0, /* new binding: start proxy ND, /128 route, point SAs at coa */
	BCACHE_EV_MOVED,     /* coa changed: re-point tunnel-mode SAs (RFC 3776 §3.2, §7) */
	BCACHE_EV_REFRESHED, /* same coa, new lifetime */
	BCACHE_EV_DELETED,   /* deregistration: stop intercepting now (R6275-10.3.2.e) */
	BCACHE_EV_EXPIRED,   /* lifetime ran out (R6275-10.3.1.h) */
};

struct bcache_entry {
	struct in6_addr hoa;   /* key */
	struct in6_addr coa;
	enum bcache_state state;
	uint16_t seq;          /* last accepted Sequence Number (R6275-9.1.b) */
	uint16_t flags;        /* MH_BU_F_A, _H, _L, _K as accepted */
	uint16_t lifetime;     /* granted, 4-second units */
	uint64_t expires_ms;   /* binding end; DAD guard / delete timer in the other states */
	uint32_t sa_id;        /* inbound SA of the accepted BU */
	/* The BU waiting for DAD (BCE_DAD_PENDING only). */
	struct in6_addr pend_coa;
	struct in6_addr pend_src, pend_dst;
	bool pend_hao;
	uint16_t pend_flags;
	uint16_t pend_lifetime;
};

struct bcache {
	struct bcache_entry **v; /* sorted by hoa */
	size_t n, cap, max;
};

/* max bounds the entry count (0: unbounded). Returns 0. */
int bcache_init(struct bcache *bc, size_t max);
void bcache_fini(struct bcache *bc);

struct bcache_entry *bcache_lookup(struct bcache *bc, const struct in6_addr *hoa);
/* Add a zeroed entry for hoa in state BCE_DAD_PENDING. Returns 0, M6E_EXISTS,
 * M6E_NOSPACE (max reached) or M6E_NOMEM. */
int bcache_insert(struct bcache *bc, const struct in6_addr *hoa, struct bcache_entry **out);
/* Returns 0 or M6E_NOTFOUND. */
int bcache_remove(struct bcache *bc, const struct in6_addr *hoa);

size_t bcache_count(const struct bcache *bc);
/* The i-th entry in home-address order, or NULL past the end. */
const struct bcache_entry *bcache_at(const struct bcache *bc, size_t i);
/* Earliest expires_ms of any entry, MIP6_NEVER when empty. O(n). */
uint64_t bcache_next_expiry(const struct bcache *bc);
/* Index of an entry whose expires_ms <= now, or -1. */
long bcache_find_expired(const struct bcache *bc, uint64_t now_ms);

/* Move e to state to, logging "old -> new". M6E_PROTO for a move the state
 * machine does not allow (e is unchanged then). */
int bcache_set_state(struct bcache_entry *e, enum bcache_state to);

const char *bcache_state_name(unsigned s);
const char *bcache_event_name(unsigned ev);

#endif
