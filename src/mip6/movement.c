/*
 * Mobile node movement detection and care-of address selection (RFC 6275
 * §11.5). The rules are in movement.h; this file applies each input to the
 * per-interface tables and then runs move_eval() exactly once.
 */
#include "mip6/movement.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "conf/conf.h"

#define MOVE_NEVER UINT64_MAX

static const struct name_entry move_state_names[] = {
	{ MOVE_ST_START, "start" },
	{ MOVE_ST_HOME, "home" },
	{ MOVE_ST_AWAY, "away" },
	{ MOVE_ST_DETACHED, "detached" },
};

const char *move_state_name(unsigned s)
{
	return names_get(move_state_names, NAMES_COUNT(move_state_names), s);
}

/* Nothing returns to START once a decision was made. */
static int move_set_state(struct move *m, enum move_state to, const char *reason)
{
	if (to == MOVE_ST_START || to >= MOVE_ST_COUNT) {
		LOG_ERR(LOG_SUB_MIP6, "movement: illegal move %s -> %s",
			move_state_name(m->state), move_state_name(to));
		return M6E_PROTO;
	}
	if (m->state != to)
		LOG_INFO(LOG_SUB_MIP6, "movement: %s -> %s (%s)", move_state_name(m->state),
			 move_state_name(to), reason);
	m->state = to;
	return 0;
}

int move_init(struct move *m, const struct move_params *p, const struct move_ops *ops, void *arg)
{
	if (!ops || !ops->coa_changed || !ops->returned_home || !ops->left_home || !p ||
	    p->home_prefix.len > 128 || p->n_pref > MOVE_PREF_MAX)
		return M6E_INVAL;
	memset(m, 0, sizeof(*m));
	m->p = *p;
	m->ops = ops;
	m->arg = arg;
	m->state = MOVE_ST_START;
	return 0;
}

void move_params_from_conf(const struct conf_mobile_node *c, struct move_params *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->home_prefix = c->home_prefix;
	for (i = 0; i < c->n_preferred_interfaces && i < MOVE_PREF_MAX; i++)
		memcpy(p->pref[i], c->preferred_interfaces[i], MOVE_IFNAME_MAX);
	p->n_pref = i;
	p->home_needs_router = true;
}

static uint64_t move_until(uint64_t now_ms, uint32_t s)
{
	return s == MOVE_LIFETIME_INFINITE ? MOVE_NEVER : now_ms + (uint64_t)s * 1000u;
}

static struct move_if *move_if_find(struct move *m, unsigned ifindex, bool create)
{
	struct move_if *free_slot = NULL;
	size_t i;

	for (i = 0; i < MOVE_IF_MAX; i++) {
		if (m->ifs[i].used && m->ifs[i].ifindex == ifindex)
			return &m->ifs[i];
		if (!m->ifs[i].used && !free_slot)
			free_slot = &m->ifs[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->ifindex = ifindex;
	free_slot->cand_since_ms = MOVE_NEVER;
	return free_slot;
}

/* Position in the preference list; unknown interfaces after every listed one. */
static size_t move_if_rank(const struct move *m, const struct move_if *f)
{
	size_t i;

	for (i = 0; i < m->p.n_pref; i++)
		if (f->name[0] && strncmp(m->p.pref[i], f->name, MOVE_IFNAME_MAX) == 0)
			return i;
	return m->p.n_pref;
}

/* Is a is more preferred than b? */
static bool move_if_better(const struct move *m, const struct move_if *a, const struct move_if *b)
{
	size_t ra = move_if_rank(m, a), rb = move_if_rank(m, b);

	return ra != rb ? ra < rb : a->ifindex < b->ifindex;
}

static bool move_ra_live(const struct move_if *f, uint64_t now_ms)
{
	return f->ra_until_ms > now_ms;
}

static bool move_has_router(const struct move_if *f, uint64_t now_ms)
{
	return f->has_router || move_ra_live(f, now_ms);
}

static bool move_usable(const struct move_ifaddr *x, uint64_t now_ms)
{
	return !(x->a.flags & (MOVE_AF_TENTATIVE | MOVE_AF_DADFAILED)) && x->valid_until_ms > now_ms;
}

static bool move_deprecated(const struct move_ifaddr *x, uint64_t now_ms)
{
	return (x->a.flags & MOVE_AF_DEPRECATED) || x->pref_until_ms <= now_ms;
}

static bool move_is_home_addr(const struct move *m, const struct in6_addr *a)
{
	return m->p.home_prefix.len > 0 && prefix_contains(&m->p.home_prefix, a);
}

static bool move_is_candidate(const struct move *m, const struct move_if *f,
			      const struct move_ifaddr *x, uint64_t now_ms)
{
	return f->up && move_has_router(f, now_ms) && x->a.scope == MOVE_SCOPE_GLOBAL &&
	       addr_is_unicast_routable(&x->a.addr) && move_usable(x, now_ms) &&
	       !move_is_home_addr(m, &x->a.addr);
}

/* R6275-11.5.4.a: the primary CoA should come from a prefix the current
 * router advertised. */
static bool move_advertised(const struct move_if *f, const struct in6_addr *a, uint64_t now_ms)
{
	size_t i;

	if (!move_ra_live(f, now_ms))
		return false;
	for (i = 0; i < f->n_ra_prefixes; i++)
		if (prefix_contains(&f->ra_prefixes[i], a))
			return true;
	return false;
}

/* Sort key within one interface: smaller is better. */
static unsigned move_addr_rank(const struct move *m, const struct move_if *f,
			       const struct move_ifaddr *x, uint64_t now_ms)
{
	unsigned r = 0;

	if (move_deprecated(x, now_ms))
		r += 4; /* R6275-11.5.3.a */
	if (!move_advertised(f, &x->a.addr, now_ms))
		r += 2;
	if (!(m->has_coa && addr_eq(&m->coa, &x->a.addr)))
		r += 1;
	return r;
}

/* The interface's best candidate, or NULL. */
static const struct move_ifaddr *move_if_best(const struct move *m, const struct move_if *f,
					      uint64_t now_ms)
{
	const struct move_ifaddr *best = NULL;
	unsigned best_r = 0;
	size_t i;

	for (i = 0; i < f->n_addrs; i++) {
		const struct move_ifaddr *x = &f->addrs[i];
		unsigned r;

		if (!move_is_candidate(m, f, x, now_ms))
			continue;
		r = move_addr_rank(m, f, x, now_ms);
		if (!best || r < best_r ||
		    (r == best_r && memcmp(&x->a.addr, &best->a.addr, sizeof(x->a.addr)) < 0)) {
			best = x;
			best_r = r;
		}
	}
	return best;
}

/* R6275-11.5.2.a: home-prefix address (plus router, if configured) or an RA
 * that advertises the home prefix. */
static bool move_if_home(const struct move *m, const struct move_if *f, uint64_t now_ms)
{
	size_t i;

	if (!f->up || m->p.home_prefix.len == 0)
		return false;
	if (move_ra_live(f, now_ms))
		for (i = 0; i < f->n_ra_prefixes; i++)
			if (f->ra_prefixes[i].len == m->p.home_prefix.len &&
			    prefix_contains(&m->p.home_prefix, &f->ra_prefixes[i].addr))
				return true;
	if (m->p.home_needs_router && !move_has_router(f, now_ms))
		return false;
	for (i = 0; i < f->n_addrs; i++)
		if (move_usable(&f->addrs[i], now_ms) && move_is_home_addr(m, &f->addrs[i].a.addr))
			return true;
	return false;
}

static void move_emit_coa(struct move *m, const struct move_if *f, const struct move_ifaddr *x,
			  const char *reason)
{
	struct in6_addr old = m->coa;
	bool had = m->has_coa;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (x && had && addr_eq(&old, &x->a.addr) && m->coa_ifindex == f->ifindex)
		return;
	m->has_coa = x != NULL;
	m->coa_ifindex = x ? f->ifindex : 0;
	if (x)
		m->coa = x->a.addr;
	else
		memset(&m->coa, 0, sizeof(m->coa));
	if (!had && !x)
		return;
	LOG_NOTICE(LOG_SUB_MIP6, "movement: CoA %s -> %s on %s (%s)",
		   had ? addr_fmt(&old, a, sizeof(a)) : "none",
		   x ? addr_fmt(&x->a.addr, b, sizeof(b)) : "none", f ? f->name : "-", reason);
	m->ops->coa_changed(m->arg, had ? &old : NULL, x ? &x->a.addr : NULL, m->coa_ifindex,
			    reason);
}

/* The one decision after every input. */
static void move_eval(struct move *m, uint64_t now_ms, const char *reason)
{
	const struct move_if *home = NULL, *best_f = NULL, *cur_f = NULL;
	const struct move_ifaddr *best_x = NULL, *cur_x = NULL;
	size_t i;

	m->events++;
	for (i = 0; i < MOVE_IF_MAX; i++) {
		struct move_if *f = &m->ifs[i];
		const struct move_ifaddr *x;

		if (!f->used)
			continue;
		if (!home && move_if_home(m, f, now_ms))
			home = f;
		x = move_if_best(m, f, now_ms);
		if (!x) {
			f->cand_since_ms = MOVE_NEVER;
			continue;
		}
		if (f->cand_since_ms == MOVE_NEVER)
			f->cand_since_ms = now_ms;
		if (m->has_coa && f->ifindex == m->coa_ifindex) {
			cur_f = f;
			cur_x = x;
		}
		if (!best_f || move_if_better(m, f, best_f)) {
			best_f = f;
			best_x = x;
		}
	}

	if (home) {
		bool was_home = m->state == MOVE_ST_HOME;

		/* R6275-11.5.5.a: no CoA at home; mn deregisters */
		if (m->has_coa) {
			m->has_coa = false;
			m->coa_ifindex = 0;
			memset(&m->coa, 0, sizeof(m->coa));
		}
		m->home_ifindex = home->ifindex;
		move_set_state(m, MOVE_ST_HOME, reason);
		if (!was_home)
			m->ops->returned_home(m->arg, home->ifindex, reason);
		return;
	}
	if (m->state == MOVE_ST_HOME) {
		move_set_state(m, best_f ? MOVE_ST_AWAY : MOVE_ST_DETACHED, reason);
		m->home_ifindex = 0;
		m->ops->left_home(m->arg, reason);
	}

	/* Keep the current interface unless a strictly better one has had a
	 * candidate for hold_ms (R6275-11.5.1.a: stay with what still works). */
	if (cur_f && best_f != cur_f &&
	    (best_f->cand_since_ms > now_ms || now_ms - best_f->cand_since_ms < m->p.hold_ms)) {
		best_f = cur_f;
		best_x = cur_x;
	}
	move_set_state(m, best_x ? MOVE_ST_AWAY : MOVE_ST_DETACHED, reason);
	move_emit_coa(m, best_f, best_x, reason);
}

int move_link(struct move *m, uint64_t now_ms, unsigned ifindex, const char *name, bool up)
{
	struct move_if *f;

	if (ifindex == 0)
		return M6E_INVAL;
	f = move_if_find(m, ifindex, true);
	if (!f)
		return M6E_NOSPACE;
	if (name) {
		strncpy(f->name, name, MOVE_IFNAME_MAX - 1);
		f->name[MOVE_IFNAME_MAX - 1] = '\0';
	}
	f->up = up;
	if (!up) {
		/* R6275-11.5.4.a: invalidate what the link no longer reaches;
		 * the kernel will report addresses and routes again. */
		f->has_router = false;
		f->ra_until_ms = 0;
		f->n_ra_prefixes = 0;
	}
	move_eval(m, now_ms, up ? "link up" : "link down");
	return 0;
}

static struct move_ifaddr *move_addr_find(struct move_if *f, const struct in6_addr *a)
{
	size_t i;

	for (i = 0; i < f->n_addrs; i++)
		if (addr_eq(&f->addrs[i].a.addr, a))
			return &f->addrs[i];
	return NULL;
}

int move_addr_add(struct move *m, uint64_t now_ms, unsigned ifindex, const struct move_addr *a)
{
	struct move_if *f;
	struct move_ifaddr *x;
	const char *reason;

	if (ifindex == 0 || a->plen > 128)
		return M6E_INVAL;
	f = move_if_find(m, ifindex, true);
	if (!f)
		return M6E_NOSPACE;
	x = move_addr_find(f, &a->addr);
	if (x) {
		reason = a->flags & MOVE_AF_DEPRECATED ? "address deprecated" :
			 a->flags & MOVE_AF_DADFAILED  ? "address DAD failed" :
							 "address changed";
	} else {
		if (f->n_addrs == MOVE_ADDR_MAX)
			return M6E_NOSPACE;
		x = &f->addrs[f->n_addrs++];
		reason = "address added";
	}
	x->a = *a;
	x->pref_until_ms = move_until(now_ms, a->preferred_s);
	x->valid_until_ms = move_until(now_ms, a->valid_s);
	move_eval(m, now_ms, reason);
	return 0;
}

int move_addr_del(struct move *m, uint64_t now_ms, unsigned ifindex, const struct in6_addr *a)
{
	struct move_if *f = move_if_find(m, ifindex, false);
	struct move_ifaddr *x = f ? move_addr_find(f, a) : NULL;

	if (!x)
		return M6E_NOTFOUND;
	*x = f->addrs[--f->n_addrs];
	move_eval(m, now_ms, "address removed");
	return 0;
}

int move_router(struct move *m, uint64_t now_ms, unsigned ifindex, const struct in6_addr *router,
		bool add)
{
	struct move_if *f;

	if (ifindex == 0)
		return M6E_INVAL;
	f = move_if_find(m, ifindex, add);
	if (!f)
		return add ? M6E_NOSPACE : M6E_NOTFOUND;
	if (!add) {
		if (!f->has_router || !addr_eq(&f->router, router))
			return M6E_NOTFOUND;
		f->has_router = false;
		move_eval(m, now_ms, "default router removed");
		return 0;
	}
	f->has_router = true;
	f->router = *router;
	move_eval(m, now_ms, "default router added");
	return 0;
}

int move_ra_input(struct move *m, uint64_t now_ms, const struct move_ra *ra)
{
	struct move_if *f;
	size_t i, n = 0;

	if (ra->ifindex == 0 || ra->n_prefixes > MOVE_PREFIX_MAX)
		return M6E_INVAL;
	f = move_if_find(m, ra->ifindex, true);
	if (!f)
		return M6E_NOSPACE;
	for (i = 0; i < ra->n_prefixes; i++)
		if (ra->prefixes[i].len <= 128)
			f->ra_prefixes[n++] = ra->prefixes[i];
	f->n_ra_prefixes = n;
	f->ra_router = ra->router;
	f->ra_until_ms = now_ms + (uint64_t)ra->router_lifetime_s * 1000u;
	move_eval(m, now_ms, "router advertisement");
	return 0;
}

static void move_min(uint64_t *t, uint64_t v, uint64_t now_ms)
{
	if (v > now_ms && v < *t)
		*t = v;
}

uint64_t move_next_timeout(const struct move *m, uint64_t now_ms)
{
	uint64_t t = MOVE_NEVER;
	size_t i, j;

	for (i = 0; i < MOVE_IF_MAX; i++) {
		const struct move_if *f = &m->ifs[i];

		if (!f->used)
			continue;
		move_min(&t, f->ra_until_ms, now_ms);
		for (j = 0; j < f->n_addrs; j++) {
			move_min(&t, f->addrs[j].pref_until_ms, now_ms);
			move_min(&t, f->addrs[j].valid_until_ms, now_ms);
		}
		/* a pending switch to a better interface */
		if (m->has_coa && f->ifindex != m->coa_ifindex && f->cand_since_ms != MOVE_NEVER &&
		    m->p.hold_ms > 0)
			move_min(&t, f->cand_since_ms + m->p.hold_ms, now_ms);
	}
	return t;
}

void move_tick(struct move *m, uint64_t now_ms)
{
	move_eval(m, now_ms, "timer");
}

const struct in6_addr *move_coa(const struct move *m, unsigned *ifindex)
{
	if (ifindex)
		*ifindex = m->has_coa ? m->coa_ifindex : 0;
	return m->has_coa ? &m->coa : NULL;
}
