/*
 * Mobile node movement detection and care-of address selection (RFC 6275
 * §11.5.1-§11.5.5). A pure engine: the rtnetlink/RA adapter translates
 * kernel messages into the move_* input calls below, time comes in as
 * now_ms, and decisions leave through struct move_ops. No sockets, no clock.
 *
 * Care-of address candidate rule (R6275-11.5.4.a, R6275-11.5.3.a): an
 * address is a candidate when
 *   - its interface is up and has a default router: a kernel default route
 *     (move_router) or an RA with a non-zero router lifetime that has not
 *     run out (move_ra);
 *   - it is global-scope unicast (addr_is_unicast_routable, scope global);
 *   - it is not tentative (DAD still running) and DAD did not fail;
 *   - its valid lifetime has not run out;
 *   - it is not in the home prefix (that address means "at home").
 * Among an interface's candidates the engine prefers, in order: preferred
 * over deprecated (R6275-11.5.3.a), inside a prefix the current router
 * advertised over outside (R6275-11.5.4.a), the current CoA (no churn), then
 * the lowest address (deterministic).
 * Interfaces rank by the configured preference list (first is best), then
 * unknown interfaces by ifindex.
 *
 * Switching (R6275-11.5.1.a: prefer staying with what still works): the
 * current CoA is kept while it stays a candidate, unless
 *   - a strictly more preferred interface has had a candidate for hold_ms
 *     (hysteresis; 0 switches at once), or
 *   - it became deprecated and its interface has a preferred one.
 * Link down, address loss, DAD failure, expiry or router loss on the CoA's
 * interface reselect at once. Each input is evaluated once, after it is
 * applied, so one event never switches back and forth.
 *
 * A default router change that keeps the CoA valid is not a movement for the
 * home agent: the binding names the CoA, not the router, so no coa_changed
 * is emitted (R6275-11.5.4.a requires a BU only for a new primary CoA).
 *
 * At home (R6275-11.5.2.a, R6275-11.5.5.a): an up interface holds a
 * non-tentative address in the home prefix and (when home_needs_router, the
 * default) has a default router, or a live RA on it advertised the home
 * prefix. Home wins over any care-of address.
 *
 * Timers (the adapter calls move_tick() at move_next_timeout()): the hold-down
 * end of a pending preference switch, RA router-lifetime ends, address
 * preferred and valid lifetime ends.
 */
#ifndef M6_MIP6_MOVEMENT_H
#define M6_MIP6_MOVEMENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

#define MOVE_IF_MAX 16
#define MOVE_ADDR_MAX 8    /* per interface */
#define MOVE_PREFIX_MAX 8  /* RA prefixes kept per interface */
#define MOVE_IFNAME_MAX 16 /* IFNAMSIZ */
#define MOVE_PREF_MAX 8    /* configured preferred interfaces */
#define MOVE_LIFETIME_INFINITE UINT32_MAX

/* Address scope, as rtnetlink's RT_SCOPE_* (ifa_scope) values. */
enum move_scope {
	MOVE_SCOPE_GLOBAL = 0,
	MOVE_SCOPE_SITE = 200,
	MOVE_SCOPE_LINK = 253,
	MOVE_SCOPE_HOST = 254,
};

/* Address flags (the adapter maps IFA_F_TENTATIVE, _DEPRECATED, _DADFAILED). */
#define MOVE_AF_TENTATIVE 0x1u
#define MOVE_AF_DEPRECATED 0x2u
#define MOVE_AF_DADFAILED 0x4u

/* One address report (RTM_NEWADDR): lifetimes in seconds from now. */
struct move_addr {
	struct in6_addr addr;
	unsigned plen;
	enum move_scope scope;
	unsigned flags;         /* MOVE_AF_* */
	uint32_t preferred_s;   /* MOVE_LIFETIME_INFINITE for forever */
	uint32_t valid_s;
};

/* One Router Advertisement (parsed by wire/nd.c, source checked by the adapter). */
struct move_ra {
	unsigned ifindex;
	struct in6_addr router;
	uint32_t router_lifetime_s; /* 0: not a default router */
	struct prefix6 prefixes[MOVE_PREFIX_MAX]; /* on-link PIOs */
	size_t n_prefixes;
};

enum move_state {
	MOVE_ST_START = 0, /* nothing decided yet */
	MOVE_ST_HOME,      /* on the home link */
	MOVE_ST_AWAY,      /* away with a primary care-of address */
	MOVE_ST_DETACHED,  /* away, no usable care-of address */
	MOVE_ST_COUNT
};

struct move_ops {
	/* New primary CoA (R6275-11.5.4.a); old NULL when there was none, coa
	 * NULL (ifindex 0) when none is left. */
	void (*coa_changed)(void *arg, const struct in6_addr *old, const struct in6_addr *coa,
			    unsigned ifindex, const char *reason);
	/* Home link reached (R6275-11.5.5.a): deregister. The CoA is dropped
	 * without a coa_changed; after left_home the next coa_changed has old NULL. */
	void (*returned_home)(void *arg, unsigned ifindex, const char *reason);
	/* Home link lost; a coa_changed follows when a CoA exists. */
	void (*left_home)(void *arg, const char *reason);
};

struct move_params {
	struct prefix6 home_prefix;
	char pref[MOVE_PREF_MAX][MOVE_IFNAME_MAX]; /* best first */
	size_t n_pref;
	unsigned hold_ms;       /* hysteresis before moving to a better interface */
	bool home_needs_router; /* home needs a router besides the home-prefix address */
};

struct move_ifaddr {
	struct move_addr a;
	uint64_t pref_until_ms; /* UINT64_MAX: infinite */
	uint64_t valid_until_ms;
};

struct move_if {
	bool used;
	unsigned ifindex;
	char name[MOVE_IFNAME_MAX];
	bool up;
	struct move_ifaddr addrs[MOVE_ADDR_MAX];
	size_t n_addrs;
	bool has_router;            /* kernel default route via this interface */
	struct in6_addr router;
	struct in6_addr ra_router;  /* last RA */
	uint64_t ra_until_ms;       /* router lifetime end; 0: none */
	struct prefix6 ra_prefixes[MOVE_PREFIX_MAX];
	size_t n_ra_prefixes;
	uint64_t cand_since_ms;     /* has had a candidate since; UINT64_MAX: none */
};

struct move {
	struct move_params p;
	const struct move_ops *ops;
	void *arg;
	enum move_state state;
	struct move_if ifs[MOVE_IF_MAX];
	bool has_coa;
	struct in6_addr coa;
	unsigned coa_ifindex;
	unsigned home_ifindex;
	uint64_t events;            /* inputs applied, for `mip6sec status` */
};

/* M6E_INVAL for missing ops or a bad home prefix length. */
int move_init(struct move *m, const struct move_params *p, const struct move_ops *ops,
	      void *arg);
/* From the mobile-node config: home prefix, preferred_interfaces; hold 0 and
 * home_needs_router true. */
struct conf_mobile_node;
void move_params_from_conf(const struct conf_mobile_node *c, struct move_params *p);

/* Inputs. Each returns 0, or M6E_INVAL (ifindex 0, bad plen), M6E_NOSPACE
 * (tables full; the input is ignored), M6E_NOTFOUND (nothing to remove). */
int move_link(struct move *m, uint64_t now_ms, unsigned ifindex, const char *name, bool up);
int move_addr_add(struct move *m, uint64_t now_ms, unsigned ifindex, const struct move_addr *a);
int move_addr_del(struct move *m, uint64_t now_ms, unsigned ifindex, const struct in6_addr *a);
int move_router(struct move *m, uint64_t now_ms, unsigned ifindex, const struct in6_addr *router,
		bool add);
int move_ra_input(struct move *m, uint64_t now_ms, const struct move_ra *ra);

uint64_t move_next_timeout(const struct move *m, uint64_t now_ms);
void move_tick(struct move *m, uint64_t now_ms);

const char *move_state_name(unsigned s);
/* The current primary CoA, or NULL. */
const struct in6_addr *move_coa(const struct move *m, unsigned *ifindex);

#endif
