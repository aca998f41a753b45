/*
 * Dynamic Home Agent Address Discovery engines (RFC 6275 §10.5.1, §11.4.1).
 * Wire layout (RFC 6275 §6.5, §6.6; built and parsed in wire/icmp6.c):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |            Checksum           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Identifier          |            Reserved           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   .            Home Agent Addresses (reply only, 16 each)         .
 */
#include "mip6/dhaad.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "mip6/mip6.h"

/* ---- HA side ---- */

void dhaad_hal_init(struct dhaad_hal *l)
{
	memset(l, 0, sizeof(*l));
}

static struct dhaad_hal_entry *hal_lookup(struct dhaad_hal *l, const struct in6_addr *lla)
{
	for (unsigned i = 0; i < l->n; i++)
		if (addr_eq(&l->e[i].lla, lla))
			return &l->e[i];
	return NULL;
}

const struct dhaad_hal_entry *dhaad_hal_find(const struct dhaad_hal *l,
					     const struct in6_addr *lla)
{
	return hal_lookup((struct dhaad_hal *)l, lla);
}

static void hal_remove(struct dhaad_hal *l, struct dhaad_hal_entry *e)
{
	size_t i = (size_t)(e - l->e);
	l->e[i] = l->e[l->n - 1];
	l->n--;
}

static struct dhaad_hal_entry *hal_create(struct dhaad_hal *l, const struct in6_addr *lla)
{
	struct dhaad_hal_entry *e;

	if (l->n >= DHAAD_HAL_MAX) {
		l->n_full++;
		return NULL;
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->lla = *lla;
	return e;
}

static void hal_add_addr(struct dhaad_hal_entry *e, const struct in6_addr *a)
{
	for (unsigned i = 0; i < e->n_addr; i++)
		if (addr_eq(&e->addr[i], a))
			return;
	if (e->n_addr < DHAAD_HA_ADDR_MAX)
		e->addr[e->n_addr++] = *a;
}

int dhaad_hal_add_self(struct dhaad_hal *l, const struct in6_addr *lla,
		       const struct in6_addr *addr, int16_t pref)
{
	struct dhaad_hal_entry *e;

	if (!addr_is_unicast_routable(addr))
		return M6E_INVAL;
	e = hal_lookup(l, lla);
	if (!e && !(e = hal_create(l, lla)))
		return M6E_NOSPACE;
	e->pref = pref;
	e->permanent = true;
	e->n_addr = 0;
	hal_add_addr(e, addr);
	return 0;
}

int dhaad_hal_input_ra(struct dhaad_hal *l, uint64_t now_ms, const struct in6_addr *src,
		       const struct nd_ra *ra)
{
	struct dhaad_hal_entry *e = hal_lookup(l, src);
	uint32_t lifetime_s = ra->router_lifetime;
	int16_t pref = 0;

	/* Our own entry comes from the config, not from our own RAs echoed. */
	if (e && e->permanent)
		return 0;
	/* R6275-10.5.1.a: H clear -> no longer a home agent. */
	if (!(ra->flags & ND_RA_H)) {
		if (e)
			hal_remove(l, e);
		return 0;
	}
	/* R6275-7.4.a: the HA Information option overrides the router's values. */
	if (ra->opts.has_ha_info) {
		lifetime_s = ra->opts.ha_lifetime;
		pref = (int16_t)ra->opts.ha_pref;
	}
	if (lifetime_s == 0) {
		if (e)
			hal_remove(l, e);
		return 0;
	}
	if (!e && !(e = hal_create(l, src)))
		return M6E_NOSPACE;
	e->pref = pref;
	e->expires_ms = now_ms + (uint64_t)lifetime_s * 1000u;
	/* RFC 6275 §7.2: with R the prefix field holds the router's address. */
	for (unsigned i = 0; i < ra->opts.n_pio; i++) {
		const struct nd_pio *p = &ra->opts.pio[i];
		if ((p->flags & ND_PIO_R) && addr_is_unicast_routable(&p->prefix))
			hal_add_addr(e, &p->prefix);
	}
	return 0;
}

uint64_t dhaad_hal_next_timeout(const struct dhaad_hal *l)
{
	uint64_t next = MIP6_NEVER;

	for (unsigned i = 0; i < l->n; i++)
		if (!l->e[i].permanent && l->e[i].expires_ms < next)
			next = l->e[i].expires_ms;
	return next;
}

void dhaad_hal_tick(struct dhaad_hal *l, uint64_t now_ms)
{
	/* R6275-10.5.1.a: MUST delete when the lifetime expires. */
	for (unsigned i = 0; i < l->n;) {
		if (!l->e[i].permanent && l->e[i].expires_ms <= now_ms)
			hal_remove(l, &l->e[i]);
		else
			i++;
	}
}

/* splitmix64: a deterministic stream from the caller's seed. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct hal_item {
	int16_t pref;
	struct in6_addr addr;
};

unsigned dhaad_hal_sorted(const struct dhaad_hal *l, uint64_t seed, struct in6_addr *out,
			  unsigned max)
{
	struct hal_item it[DHAAD_HAL_MAX * DHAAD_HA_ADDR_MAX];
	unsigned n = 0;

	for (unsigned i = 0; i < l->n; i++)
		for (unsigned j = 0; j < l->e[i].n_addr; j++)
			it[n++] = (struct hal_item){ l->e[i].pref, l->e[i].addr[j] };
	/* R6275-10.5.1.b: shuffle, then a stable sort by decreasing preference
	 * leaves equal preferences (and one HA's addresses) in random order. */
	for (unsigned i = n; i > 1; i--) {
		unsigned k = (unsigned)(rng_next(&seed) % i);
		struct hal_item t = it[i - 1];
		it[i - 1] = it[k];
		it[k] = t;
	}
	for (unsigned i = 1; i < n; i++) {
		struct hal_item t = it[i];
		unsigned k = i;
		while (k > 0 && it[k - 1].pref < t.pref) {
			it[k] = it[k - 1];
			k--;
		}
		it[k] = t;
	}
	if (n > max)
		n = max;
	for (unsigned i = 0; i < n; i++)
		out[i] = it[i].addr;
	return n;
}

int dhaad_hal_answer(const struct dhaad_hal *l, const struct in6_addr *self,
		     const struct in6_addr *req_src, uint16_t id, uint64_t seed, size_t room,
		     struct dhaad_tx *tx)
{
	unsigned fit;

	if (!addr_is_unicast_routable(req_src))
		return M6E_INVAL;
	/* Octets after the 8-octet header, 16 per address (R6275-10.5.1.b). */
	fit = room < 8 ? 0 : (unsigned)((room - 8) / 16);
	if (fit > ICMP6_DHAAD_MAX_HA)
		fit = ICMP6_DHAAD_MAX_HA;
	memset(tx, 0, sizeof(*tx));
	tx->type = ICMP6_TYPE_DHAAD_REPLY;
	tx->src = *self;
	tx->dst = *req_src; /* R6275-6.5.a: straight back to the CoA */
	tx->msg.id = id;
	tx->msg.n_ha = dhaad_hal_sorted(l, seed, tx->msg.ha, fit);
	tx->msg.n_ha_wire = tx->msg.n_ha;
	return 0;
}

/* ---- MN side ---- */

static const char *const client_state_names[] = {
	[DHAAD_CLIENT_IDLE] = "idle",
	[DHAAD_CLIENT_WAITING] = "waiting",
	[DHAAD_CLIENT_DONE] = "done",
	[DHAAD_CLIENT_FAILED] = "failed",
};

static const char *const drop_names[] = {
	[DHAAD_DROP_NONE] = "none",
	[DHAAD_DROP_NOT_WAITING] = "no request outstanding",
	[DHAAD_DROP_ID] = "identifier mismatch",
	[DHAAD_DROP_EMPTY] = "empty home agent list",
};

const char *dhaad_client_state_name(unsigned s)
{
	return s < sizeof(client_state_names) / sizeof(client_state_names[0]) ?
		       client_state_names[s] : "?";
}

const char *dhaad_drop_name(unsigned why)
{
	return why < DHAAD_DROP_COUNT ? drop_names[why] : "?";
}

static void client_set_state(struct dhaad_client *c, enum dhaad_client_state s)
{
	LOG_DEBUG(LOG_SUB_MIP6, "dhaad client %s -> %s", dhaad_client_state_name(c->state),
		  dhaad_client_state_name(s));
	c->state = s;
}

void dhaad_client_init(struct dhaad_client *c, const struct dhaad_client_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->arg = arg;
}

static void client_send(struct dhaad_client *c)
{
	struct dhaad_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = ICMP6_TYPE_DHAAD_REQUEST;
	tx.src = c->src;
	tx.dst = c->dst;
	tx.msg.id = c->id;
	c->ops->send(c->arg, &tx);
}

int dhaad_client_start(struct dhaad_client *c, uint64_t now_ms, const struct in6_addr *coa,
		       const struct prefix6 *home, uint16_t id)
{
	struct in6_addr any;
	int rc = icmp6_ha_anycast(home, &any);

	if (rc < 0)
		return rc;
	c->src = *coa;
	c->dst = any;
	c->id = id;
	c->retx = 0;
	c->timeout_ms = DHAAD_INITIAL_TIMEOUT_MS;
	c->due_ms = now_ms + c->timeout_ms;
	client_set_state(c, DHAAD_CLIENT_WAITING);
	client_send(c);
	return 0;
}

static int client_drop(struct dhaad_client *c, enum dhaad_drop d, enum dhaad_drop *why)
{
	c->drops[d]++;
	if (why)
		*why = d;
	return M6E_PROTO;
}

int dhaad_client_input(struct dhaad_client *c, uint64_t now_ms, const struct icmp6_dhaad *rep,
		       enum dhaad_drop *why)
{
	(void)now_ms;
	if (c->state != DHAAD_CLIENT_WAITING)
		return client_drop(c, DHAAD_DROP_NOT_WAITING, why);
	if (rep->id != c->id) /* R6275-11.4.1.a: match the Request */
		return client_drop(c, DHAAD_DROP_ID, why);
	if (rep->n_ha == 0)
		return client_drop(c, DHAAD_DROP_EMPTY, why);
	c->ha = *rep;
	client_set_state(c, DHAAD_CLIENT_DONE);
	if (why)
		*why = DHAAD_DROP_NONE;
	/* The list is in preference order: the first is the one to use. */
	c->ops->result(c->arg, 0, &c->ha.ha[0], c->ha.n_ha);
	return 0;
}

uint64_t dhaad_client_next_timeout(const struct dhaad_client *c)
{
	return c->state == DHAAD_CLIENT_WAITING ? c->due_ms : MIP6_NEVER;
}

void dhaad_client_tick(struct dhaad_client *c, uint64_t now_ms)
{
	if (c->state != DHAAD_CLIENT_WAITING || now_ms < c->due_ms)
		return;
	if (c->retx >= DHAAD_RETRIES) {
		client_set_state(c, DHAAD_CLIENT_FAILED);
		c->ops->result(c->arg, M6E_AGAIN, NULL, 0);
		return;
	}
	/* R6275-11.4.1.a: INITIAL_DHAAD_TIMEOUT doubling, DHAAD_RETRIES. */
	c->retx++;
	c->timeout_ms *= 2;
	c->due_ms = now_ms + c->timeout_ms;
	client_send(c);
}
