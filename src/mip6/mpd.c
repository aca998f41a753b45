/*
 * Mobile Prefix Discovery engines (RFC 6275 §10.6, §11.4.2, §11.4.3).
 * Wire layout (RFC 6275 §6.7, §6.8; built and parsed in wire/nd.c):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |            Checksum           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Identifier          |M|O|        Reserved           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Options (MPA: Prefix Information with the R bit) ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-
 * (MPS: M, O and Reserved are one 16-bit Reserved field, no options used.)
 */
#include "mip6/mpd.h"

#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "mip6/mip6.h"

static const char *const drop_names[] = {
	[MPD_DROP_NONE] = "none",
	[MPD_DROP_UNPROTECTED] = "not IPsec-protected",
	[MPD_DROP_NO_HAO] = "no home address option",
	[MPD_DROP_NOT_REGISTERED] = "mobile node not registered",
	[MPD_DROP_RATE] = "rate limited",
	[MPD_DROP_NOT_WAITING] = "no solicitation outstanding",
	[MPD_DROP_SRC] = "not from the registered home agent",
	[MPD_DROP_NO_RH2] = "no type 2 routing header for the home address",
	[MPD_DROP_ID] = "identifier mismatch",
};

const char *mpd_drop_name(unsigned why)
{
	return why < MPD_DROP_COUNT ? drop_names[why] : "?";
}

static int drop(uint64_t *drops, enum mpd_drop d, enum mpd_drop *why)
{
	drops[d]++;
	if (why)
		*why = d;
	LOG_RL(LOG_LVL_DEBUG, LOG_SUB_MIP6, "mpd drop: %s", mpd_drop_name(d));
	return d == MPD_DROP_RATE ? M6E_AGAIN : M6E_PROTO;
}

/* ---- HA side ---- */

void mpd_server_init(struct mpd_server *s, const struct in6_addr *self,
		     const struct mpd_server_ops *ops, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->self = *self;
	s->ops = ops;
	s->arg = arg;
}

/* Eviction rank: a free slot first, then idle ones, then pending ones, the
 * longest since its last MPA first within each group. */
static bool mn_better_victim(const struct mpd_mn *a, const struct mpd_mn *b)
{
	if (a->used != b->used)
		return !a->used;
	if (a->pending != b->pending)
		return !a->pending;
	return a->last_mpa_ms < b->last_mpa_ms;
}

/* The MN's slot, created (evicting the best victim) when absent. */
static struct mpd_mn *mn_lookup(struct mpd_server *s, const struct in6_addr *hoa)
{
	struct mpd_mn *victim = &s->mn[0];

	for (unsigned i = 0; i < MPD_MN_MAX; i++) {
		struct mpd_mn *m = &s->mn[i];
		if (m->used && addr_eq(&m->hoa, hoa))
			return m;
		if (mn_better_victim(m, victim))
			victim = m;
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->hoa = *hoa;
	return victim;
}

/* Send an MPA with every home prefix to hoa at coa (R6275-10.6.3.a). */
static void server_send_mpa(struct mpd_server *s, uint64_t now_ms, struct mpd_mn *m,
			    const struct in6_addr *coa, uint16_t id)
{
	struct mpd_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = ICMP6_TYPE_MPA;
	tx.src = s->self;
	tx.dst = *coa;
	tx.has_rh2 = true; /* R4877-4.2.l */
	tx.hoa = m->hoa;
	tx.protect = MPD_PROT_ESP_MP;
	tx.mp.id = id;
	tx.mp.flags = 0; /* R6275-10.4.4.a: no DHCPv6 support, M and O clear */
	tx.mp.opts.n_pio = s->n_pio;
	memcpy(tx.mp.opts.pio, s->pio, s->n_pio * sizeof(s->pio[0]));
	m->sent = true;
	m->last_mpa_ms = now_ms;
	s->ops->send(s->arg, &tx);
}

static bool pio_set_eq(const struct nd_pio *a, unsigned na, const struct nd_pio *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (a[i].plen != b[i].plen || a[i].flags != b[i].flags ||
		    a[i].valid != b[i].valid || a[i].preferred != b[i].preferred ||
		    !addr_eq(&a[i].prefix, &b[i].prefix))
			return false;
	return true;
}

int mpd_server_set_prefixes(struct mpd_server *s, uint64_t now_ms, const struct nd_pio *pio,
			    unsigned n, bool notify, uint16_t id)
{
	struct nd_pio np[ND_PIO_MAX];
	struct mpd_binding b[MPD_BINDINGS_MAX];
	unsigned nb;

	if (n > ND_PIO_MAX)
		return M6E_RANGE;
	for (unsigned i = 0; i < n; i++) {
		struct prefix6 p = { pio[i].prefix, pio[i].plen };
		np[i] = pio[i];
		/* R6275-6.8.a: the modified PIO (§7.2), R set, our full address. */
		np[i].flags |= ND_PIO_R;
		if (prefix_contains(&p, &s->self))
			np[i].prefix = s->self;
	}
	if (pio_set_eq(np, n, s->pio, s->n_pio))
		return 0;
	memcpy(s->pio, np, n * sizeof(np[0]));
	s->n_pio = n;
	if (!notify)
		return 0;
	/* R6275-6.8.a, R6275-10.6.2.a: unsolicited MPAs to registered MNs only. */
	nb = s->ops->bindings(s->arg, b, MPD_BINDINGS_MAX);
	for (unsigned i = 0; i < nb; i++) {
		struct mpd_mn *m = mn_lookup(s, &b[i].hoa);
		m->pending = true;
		m->id = id;
		m->retx = 0;
		m->timeout_ms = MPD_PREFIX_ADV_TIMEOUT_MS;
		m->due_ms = now_ms + m->timeout_ms;
		server_send_mpa(s, now_ms, m, &b[i].coa, id);
	}
	return 0;
}

int mpd_server_input_mps(struct mpd_server *s, uint64_t now_ms, const struct mpd_rx *rx,
			 const struct nd_mp *mps, enum mpd_drop *why)
{
	struct in6_addr coa;
	struct mpd_mn *m;

	if (!rx->esp) /* RFC 3776 §3.3 */
		return drop(s->drops, MPD_DROP_UNPROTECTED, why);
	if (!rx->has_hao) /* R4877-4.2.k */
		return drop(s->drops, MPD_DROP_NO_HAO, why);
	if (!s->ops->registered(s->arg, &rx->hao, &coa))
		return drop(s->drops, MPD_DROP_NOT_REGISTERED, why);
	m = mn_lookup(s, &rx->hao);
	/* Any MPS acknowledges the pending unsolicited MPA (R6275-10.6.2.d). */
	m->pending = false;
	/* R6275-6.8.a: at most one MPA per second per MN. */
	if (m->sent && now_ms - m->last_mpa_ms < MPD_MIN_INTERVAL_MS)
		return drop(s->drops, MPD_DROP_RATE, why);
	if (why)
		*why = MPD_DROP_NONE;
	/* R6275-6.8.a: copy the Identifier; R6275-10.6.3.a: to the MPS source.
	 * R6275-6.7.a: options of the MPS are ignored. */
	server_send_mpa(s, now_ms, m, &rx->src, mps->id);
	return 0;
}

uint64_t mpd_server_next_timeout(const struct mpd_server *s)
{
	uint64_t next = MIP6_NEVER;

	for (unsigned i = 0; i < MPD_MN_MAX; i++)
		if (s->mn[i].used && s->mn[i].pending && s->mn[i].due_ms < next)
			next = s->mn[i].due_ms;
	return next;
}

void mpd_server_tick(struct mpd_server *s, uint64_t now_ms)
{
	for (unsigned i = 0; i < MPD_MN_MAX; i++) {
		struct mpd_mn *m = &s->mn[i];
		struct in6_addr coa;

		if (!m->used || !m->pending || now_ms < m->due_ms)
			continue;
		/* R6275-10.6.2.d: stop when the binding is gone or after
		 * PREFIX_ADV_RETRIES retransmissions. */
		if (m->retx >= MPD_PREFIX_ADV_RETRIES ||
		    !s->ops->registered(s->arg, &m->hoa, &coa)) {
			m->pending = false;
			continue;
		}
		m->retx++;
		m->timeout_ms *= 2;
		m->due_ms = now_ms + m->timeout_ms;
		server_send_mpa(s, now_ms, m, &coa, m->id);
	}
}

/* ---- MN side ---- */

static const char *const client_state_names[] = {
	[MPD_CLIENT_IDLE] = "idle",
	[MPD_CLIENT_WAITING] = "waiting",
	[MPD_CLIENT_FAILED] = "failed",
};

const char *mpd_client_state_name(unsigned st)
{
	return st < sizeof(client_state_names) / sizeof(client_state_names[0]) ?
		       client_state_names[st] : "?";
}

static void client_set_state(struct mpd_client *c, enum mpd_client_state st)
{
	LOG_DEBUG(LOG_SUB_MIP6, "mps client %s -> %s", mpd_client_state_name(c->state),
		  mpd_client_state_name(st));
	c->state = st;
}

void mpd_client_init(struct mpd_client *c, const struct mpd_client_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->arg = arg;
}

static void client_send(struct mpd_client *c)
{
	struct mpd_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.type = ICMP6_TYPE_MPS;
	tx.src = c->coa;
	tx.dst = c->ha;
	tx.has_hao = true; /* R6275-11.4.2.a, R4877-4.2.k */
	tx.hoa = c->hoa;
	tx.protect = MPD_PROT_ESP_MP;
	tx.mp.id = c->id;
	c->ops->send(c->arg, &tx);
}

int mpd_client_start(struct mpd_client *c, uint64_t now_ms, const struct in6_addr *coa,
		     const struct in6_addr *hoa, const struct in6_addr *ha, uint16_t id)
{
	if (!addr_is_unicast_routable(ha))
		return M6E_INVAL;
	c->coa = *coa;
	c->hoa = *hoa;
	c->ha = *ha;
	c->have_ha = true;
	c->id = id;
	c->retx = 0;
	c->timeout_ms = MPD_PREFIX_ADV_TIMEOUT_MS; /* R6275-11.8.a */
	c->due_ms = now_ms + c->timeout_ms;
	client_set_state(c, MPD_CLIENT_WAITING);
	client_send(c);
	return 0;
}

int mpd_client_input_mpa(struct mpd_client *c, uint64_t now_ms, const struct mpd_rx *rx,
			 const struct nd_mp *mpa, enum mpd_drop *why)
{
	bool changed;

	(void)now_ms;
	/* R6275-11.4.3.a, in its order: source, RH2, protection, Identifier. */
	if (!c->have_ha || !addr_eq(&rx->src, &c->ha))
		return drop(c->drops, MPD_DROP_SRC, why);
	if (!rx->has_rh2 || !addr_eq(&rx->rh2, &c->hoa))
		return drop(c->drops, MPD_DROP_NO_RH2, why);
	if (!rx->esp)
		return drop(c->drops, MPD_DROP_UNPROTECTED, why);
	/* Unsolicited or already answered: discard (the caller SHOULD send an
	 * MPS, which mpd_client_start does). */
	if (c->state != MPD_CLIENT_WAITING)
		return drop(c->drops, MPD_DROP_NOT_WAITING, why);
	if (mpa->id != c->id)
		return drop(c->drops, MPD_DROP_ID, why);
	changed = !c->have_last || !pio_set_eq(mpa->opts.pio, mpa->opts.n_pio,
					       c->last.opts.pio, c->last.opts.n_pio) ||
		  mpa->flags != c->last.flags;
	c->last = *mpa;
	c->have_last = true;
	client_set_state(c, MPD_CLIENT_IDLE);
	if (why)
		*why = MPD_DROP_NONE;
	c->ops->prefixes(c->arg, mpa, changed);
	return 0;
}

uint64_t mpd_client_next_timeout(const struct mpd_client *c)
{
	return c->state == MPD_CLIENT_WAITING ? c->due_ms : MIP6_NEVER;
}

void mpd_client_tick(struct mpd_client *c, uint64_t now_ms)
{
	if (c->state != MPD_CLIENT_WAITING || now_ms < c->due_ms)
		return;
	if (c->retx >= MPD_PREFIX_ADV_RETRIES) {
		client_set_state(c, MPD_CLIENT_FAILED);
		if (c->ops->failed)
			c->ops->failed(c->arg);
		return;
	}
	c->retx++;
	c->timeout_ms *= 2;
	c->due_ms = now_ms + c->timeout_ms;
	client_send(c);
}
