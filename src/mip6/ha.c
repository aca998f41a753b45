/*
 * Home agent engine: Binding Update processing for home registrations
 * (RFC 6275 §9.5.1, §10.3.1, §10.3.2; RFC 3776 §4.2). See ha.h for the
 * contract and the timers.
 *
 * Order of the checks (each one before any state moves):
 *   drop silently   not a BU, no ESP, source/HoA/CoA not unicast routable,
 *                   H=1 with Nonce Indices, H=0 without a binding
 *   131             this node serves no home registrations
 *   132             HoA outside every home prefix
 *   129             the ESP SA is not the one configured for the HoA
 *   135             Sequence Number not greater than the stored one
 *   139             H=0 for a home-registration binding
 *   133             deregistration without a binding
 *   130             cache full
 *   DAD             first registration: answered by ha_dad_result()
 *   0               accepted
 */
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "conf/conf.h"
#include "mip6/ha.h"

static const struct name_entry ha_drop_names[] = {
	{ HA_DROP_NONE, "none" },
	{ HA_DROP_NOT_BU, "not a binding update" },
	{ HA_DROP_UNPROTECTED, "not ESP-protected" },
	{ HA_DROP_BAD_HOA, "home address not unicast routable" },
	{ HA_DROP_BAD_COA, "care-of address not unicast routable" },
	{ HA_DROP_BAD_SRC, "source not unicast routable" },
	{ HA_DROP_NONCE_IDX, "nonce indices in a home registration" },
	{ HA_DROP_NOT_HOME_REG, "not a home registration" },
	{ HA_DROP_DAD_BUSY, "DAD in progress" },
};

const char *ha_drop_name(unsigned why)
{
	return names_get(ha_drop_names, NAMES_COUNT(ha_drop_names), why);
}

/* Where a BA goes (R6275-9.5.4.g, R6275-10.3.1.n): back to the BU's wire
 * source, from the address it was sent to, with an RH2 carrying the home
 * address when the BU had a HAO (R3776-4.2.j). */
struct ha_reply {
	struct in6_addr src, dst, hoa;
	bool rh2;
	uint32_t sa_id;
};

/* The accepted content of one BU. */
struct ha_bu_fields {
	struct in6_addr coa;
	uint16_t seq, flags, lifetime;
	uint32_t sa_id;
};

int ha_init(struct ha *ha, const struct ha_params *p, const struct ha_ops *ops, void *arg)
{
	if (!ops || !ops->send_mh || !ops->sa_authorised || !ops->binding_changed ||
	    (p->dad && !ops->dad_start) || p->n_prefixes > HA_PREFIX_MAX)
		return M6E_INVAL;
	memset(ha, 0, sizeof(*ha));
	ha->p = *p;
	ha->ops = ops;
	ha->arg = arg;
	ha->be_tokens = HA_BE_BURST;
	return bcache_init(&ha->bc, p->max_bindings);
}

void ha_fini(struct ha *ha)
{
	bcache_fini(&ha->bc);
}

void ha_params_from_conf(const struct conf_home_agent *c, struct ha_params *p)
{
	memset(p, 0, sizeof(*p));
	p->home_reg = c->present;
	p->address = c->address;
	p->n_prefixes = c->n_home_prefixes < HA_PREFIX_MAX ? c->n_home_prefixes : HA_PREFIX_MAX;
	memcpy(p->prefixes, c->home_prefixes, p->n_prefixes * sizeof(p->prefixes[0]));
	p->max_lifetime_s = c->max_binding_lifetime;
	p->dad = c->dad;
	/* Manual SAs cannot follow the CoA: BA K = 0 (R6275-10.3.1.k). */
	p->key_mgmt_mobility = false;
	p->bra_percent = 80;
}

const struct bcache *ha_bcache(const struct ha *ha)
{
	return &ha->bc;
}

static int ha_drop(struct ha *ha, enum ha_drop r, enum ha_drop *why, int rc)
{
	ha->drops[r]++;
	if (why)
		*why = r;
	return rc;
}

static void ha_send_ba(struct ha *ha, const struct ha_reply *to, uint8_t status, uint16_t seq,
		       uint16_t lifetime, bool k)
{
	struct mip6_tx tx;
	char sb[32], a[ADDR_STRLEN];

	memset(&tx, 0, sizeof(tx));
	tx.msg.type = MH_TYPE_BA;
	tx.msg.u.ba.status = status;
	tx.msg.u.ba.seq = seq;
	tx.msg.u.ba.flags = k ? MH_BA_F_K : 0;
	if (mh_ba_status_accepted(status)) {
		tx.msg.u.ba.lifetime = lifetime;
		/* R6275-6.2.4.a, R6275-10.3.1.m: BRA smaller than the lifetime;
		 * none on a deletion. */
		if (ha->p.bra_percent && lifetime >= 2) {
			unsigned bra = (unsigned)lifetime * ha->p.bra_percent / 100;
			if (bra >= lifetime)
				bra = lifetime - 1u;
			tx.msg.opts.has_bra = true;
			tx.msg.opts.bra_interval = (uint16_t)(bra ? bra : 1);
		}
	}
	tx.src = to->src;
	tx.dst = to->dst;
	tx.hoa = to->hoa;
	tx.has_rh2 = to->rh2;
	tx.protect = MIP6_PROT_ESP_BU_BA;
	tx.sa_id = to->sa_id;
	ha->status_sent[status]++;
	LOG_RL(LOG_LVL_INFO, LOG_SUB_MIP6, "BA to %s: status %s seq %u lifetime %u",
	       addr_fmt(&to->hoa, a, sizeof(a)), mh_ba_status_fmt(status, sb, sizeof(sb)), seq,
	       tx.msg.u.ba.lifetime);
	ha->ops->send_mh(ha->arg, &tx);
}

static bool ha_in_home_prefix(const struct ha *ha, const struct in6_addr *hoa)
{
	for (size_t i = 0; i < ha->p.n_prefixes; i++)
		if (prefix_contains(&ha->p.prefixes[i], hoa))
			return true;
	return false;
}

/* Granted lifetime in 4 s units (R6275-10.3.1.h): the BU's, capped by policy
 * and by the prefix's valid lifetime with the two low bits dropped
 * (R6275-10.3.1.j). */
static uint16_t ha_grant(const struct ha *ha, const struct in6_addr *hoa, uint16_t asked)
{
	uint32_t units = asked;
	uint32_t cap = ha->p.max_lifetime_s / 4u;

	if (cap < units)
		units = cap;
	if (ha->ops->prefix_valid_s) {
		uint32_t pv = ha->ops->prefix_valid_s(ha->arg, hoa) >> 2;
		if (pv < units)
			units = pv;
	}
	return (uint16_t)units;
}

/* Commit an accepted registration into e (state checks passed) and answer. */
static void ha_register(struct ha *ha, uint64_t now_ms, struct bcache_entry *e,
			const struct ha_bu_fields *f, const struct ha_reply *to)
{
	enum bcache_event ev;

	if (e->state == BCE_VALID)
		ev = addr_eq(&e->coa, &f->coa) ? BCACHE_EV_REFRESHED : BCACHE_EV_MOVED;
	else
		ev = BCACHE_EV_ADDED;
	if (bcache_set_state(e, BCE_VALID) < 0)
		return;
	e->coa = f->coa;
	e->seq = f->seq;
	e->flags = f->flags & (MH_BU_F_A | MH_BU_F_H | MH_BU_F_L | MH_BU_F_K);
	e->lifetime = f->lifetime;
	e->sa_id = f->sa_id;
	e->expires_ms = now_ms + (uint64_t)f->lifetime * 4000u;
	ha->ops->binding_changed(ha->arg, e, ev);
	/* R6275-10.3.1.i, .l: a BA always, seq copied, lifetime granted. */
	ha_send_ba(ha, to, MH_BA_ACCEPTED, f->seq, f->lifetime,
		   (f->flags & MH_BU_F_K) && ha->p.key_mgmt_mobility);
}

/* Deregistration (R6275-10.3.2): keep the entry, marked, for
 * MAX_DELETE_BCE_TIMEOUT so a delayed BU draws 135; stop intercepting now. */
static void ha_deregister(struct ha *ha, uint64_t now_ms, struct bcache_entry *e,
			  const struct ha_bu_fields *f, const struct ha_reply *to)
{
	if (bcache_set_state(e, BCE_DELETING) < 0)
		return;
	e->seq = f->seq;
	e->lifetime = 0;
	e->expires_ms = now_ms + MIP6_MAX_DELETE_BCE_TIMEOUT_MS;
	ha->ops->binding_changed(ha->arg, e, BCACHE_EV_DELETED);
	/* R6275-10.3.2.c: status 0, lifetime 0, no BRA (ha_send_ba adds none
	 * for lifetime 0); K as for a move to the home address. */
	ha_send_ba(ha, to, MH_BA_ACCEPTED, f->seq, 0,
		   (f->flags & MH_BU_F_K) && ha->p.key_mgmt_mobility);
}

/* Keep the BU that waits for DAD; its BA goes out when DAD answers. */
static void ha_park(struct bcache_entry *e, const struct ha_bu_fields *f, const struct ha_reply *to)
{
	e->seq = f->seq;
	e->sa_id = f->sa_id;
	e->pend_coa = f->coa;
	e->pend_flags = f->flags;
	e->pend_lifetime = f->lifetime;
	e->pend_src = to->src;
	e->pend_dst = to->dst;
	e->pend_hao = to->rh2;
}

/* First registration (R6275-10.3.1.g): park the BU and ask for DAD. */
static int ha_start_dad(struct ha *ha, uint64_t now_ms, struct bcache_entry *e,
			const struct ha_bu_fields *f, const struct ha_reply *to)
{
	struct in6_addr hoa = e->hoa;
	int rc;

	if (bcache_set_state(e, BCE_DAD_PENDING) < 0)
		return M6E_PROTO;
	ha_park(e, f, to);
	e->expires_ms = now_ms + HA_DAD_GUARD_MS;
	rc = ha->ops->dad_start(ha->arg, &hoa, (f->flags & MH_BU_F_L) != 0);
	if (rc < 0) {
		bcache_remove(&ha->bc, &hoa);
		ha_send_ba(ha, to, MH_BA_UNSPECIFIED, f->seq, 0, false);
	}
	return 0;
}

int ha_input_bu(struct ha *ha, uint64_t now_ms, const struct mip6_rx *rx, enum ha_drop *why)
{
	const struct mh_bu *bu = &rx->msg.u.bu;
	struct ha_bu_fields f;
	struct ha_reply to;
	struct bcache_entry *e;
	bool home, dereg;
	int rc;

	if (why)
		*why = HA_DROP_NONE;
	if (rx->msg.type != MH_TYPE_BU)
		return ha_drop(ha, HA_DROP_NOT_BU, why, M6E_INVAL);
	/* R6275-10.3.1.a, R6275-5.1.a: only an ESP-protected BU is considered. */
	if (!rx->esp)
		return ha_drop(ha, HA_DROP_UNPROTECTED, why, M6E_AUTH);
	memset(&to, 0, sizeof(to));
	to.src = rx->dst;
	to.dst = rx->src;
	to.hoa = rx->has_hao ? rx->hao : rx->src; /* R6275-9.5.1.i */
	to.rh2 = rx->has_hao;
	to.sa_id = rx->sa_id;
	memset(&f, 0, sizeof(f));
	f.coa = rx->msg.opts.has_alt_coa ? rx->msg.opts.alt_coa : rx->src;
	f.seq = bu->seq;
	f.flags = bu->flags;
	f.lifetime = bu->lifetime;
	f.sa_id = rx->sa_id;
	home = (bu->flags & MH_BU_F_H) != 0;
	dereg = bu->lifetime == 0 || addr_eq(&f.coa, &to.hoa);

	/* R6275-9.5.4.g: no BA to a source that is not unicast. */
	if (!addr_is_unicast_routable(&rx->src))
		return ha_drop(ha, HA_DROP_BAD_SRC, why, M6E_INVAL);
	if (!addr_is_unicast_routable(&to.hoa)) /* R6275-9.5.1.a */
		return ha_drop(ha, HA_DROP_BAD_HOA, why, M6E_INVAL);
	if (!dereg && !addr_is_unicast_routable(&f.coa)) /* R6275-6.1.7.d */
		return ha_drop(ha, HA_DROP_BAD_COA, why, M6E_INVAL);
	if (home && rx->msg.opts.has_nonce_idx) /* R6275-9.5.1.d */
		return ha_drop(ha, HA_DROP_NONCE_IDX, why, M6E_PROTO);
	e = bcache_lookup(&ha->bc, &to.hoa);
	/* No correspondent registrations here (route optimisation is another
	 * engine); an H=0 BU only matters against a home binding (139). */
	if (!home && !e)
		return ha_drop(ha, HA_DROP_NOT_HOME_REG, why, M6E_UNSUPP);

	if (home && !ha->p.home_reg) { /* R6275-10.3.1.b */
		ha_send_ba(ha, &to, MH_BA_HOME_REG_UNSUPP, f.seq, 0, false);
		return 0;
	}
	if (home && !ha_in_home_prefix(ha, &to.hoa)) { /* R6275-10.3.1.c */
		ha_send_ba(ha, &to, MH_BA_NOT_HOME_SUBNET, f.seq, 0, false);
		return 0;
	}
	/* R3776-4.2.k, R6275-5.1.b: the SA must be the one for this HoA, so an
	 * MN cannot register another MN's home address with its own SA. */
	if (!ha->ops->sa_authorised(ha->arg, &to.hoa, rx->sa_id)) {
		ha_send_ba(ha, &to, MH_BA_PROHIBITED, f.seq, 0, false);
		return 0;
	}
	/* A copy of the BU parked for DAD (the network duplicated it): its BA
	 * comes with the DAD result. */
	if (e && e->state == BCE_DAD_PENDING && f.seq == e->seq)
		return ha_drop(ha, HA_DROP_DAD_BUSY, why, 0);
	/* R6275-9.5.1.b, .e: not greater -> 135 with the last accepted number. */
	if (e && !mip6_seq_gt(f.seq, e->seq)) {
		ha_send_ba(ha, &to, MH_BA_SEQ_OUT_OF_WINDOW, e->seq, 0, false);
		return 0;
	}
	if (!home) { /* R6275-9.5.1.f: the stored flag stays */
		ha_send_ba(ha, &to, MH_BA_REG_TYPE_CHANGE, f.seq, 0, false);
		return 0;
	}

	if (dereg) {
		if (e && e->state == BCE_VALID) {
			ha_deregister(ha, now_ms, e, &f, &to);
			return 0;
		}
		/* R6275-10.3.2.b; a first registration still in DAD is
		 * abandoned, since the MN no longer wants it. */
		if (e && e->state == BCE_DAD_PENDING)
			bcache_remove(&ha->bc, &to.hoa);
		ha_send_ba(ha, &to, MH_BA_NOT_HA_FOR_MN, f.seq, 0, false);
		return 0;
	}

	f.lifetime = ha_grant(ha, &to.hoa, bu->lifetime);
	if (f.lifetime == 0) { /* prefix no longer valid */
		ha_send_ba(ha, &to, MH_BA_NOT_HOME_SUBNET, f.seq, 0, false);
		return 0;
	}
	if (e && e->state == BCE_DAD_PENDING) {
		/* A retransmission while DAD runs: the newer BU replaces the
		 * parked one and DAD's answer covers it. */
		ha_park(e, &f, &to);
		return ha_drop(ha, HA_DROP_DAD_BUSY, why, 0);
	}
	if (!e) {
		rc = bcache_insert(&ha->bc, &to.hoa, &e);
		if (rc < 0) { /* R6275-10.3.1.d */
			ha_send_ba(ha, &to, MH_BA_NO_RESOURCES, f.seq, 0, false);
			return 0;
		}
	}
	if (ha->p.dad && e->state != BCE_VALID)
		return ha_start_dad(ha, now_ms, e, &f, &to);
	ha_register(ha, now_ms, e, &f, &to);
	return 0;
}

int ha_dad_result(struct ha *ha, uint64_t now_ms, const struct in6_addr *hoa, bool unique)
{
	struct bcache_entry *e = bcache_lookup(&ha->bc, hoa);
	struct ha_bu_fields f;
	struct ha_reply to;

	if (!e || e->state != BCE_DAD_PENDING)
		return M6E_NOTFOUND;
	memset(&to, 0, sizeof(to));
	to.src = e->pend_src;
	to.dst = e->pend_dst;
	to.hoa = e->hoa;
	to.rh2 = e->pend_hao;
	to.sa_id = e->sa_id;
	if (!unique) { /* R6275-10.3.1.g: reject the whole BU */
		uint16_t seq = e->seq;
		bcache_remove(&ha->bc, hoa);
		ha_send_ba(ha, &to, MH_BA_DAD_FAILED, seq, 0, false);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.coa = e->pend_coa;
	f.seq = e->seq;
	f.flags = e->pend_flags;
	f.lifetime = e->pend_lifetime;
	f.sa_id = e->sa_id;
	ha_register(ha, now_ms, e, &f, &to);
	return 0;
}

int ha_binding_error(struct ha *ha, uint64_t now_ms, const struct in6_addr *to,
		     const struct in6_addr *from, const struct in6_addr *hoa, uint8_t status)
{
	struct mip6_tx tx;

	/* R6275-9.3.3.a: never to a source that is not unicast */
	if (IN6_IS_ADDR_MULTICAST(to) || IN6_IS_ADDR_UNSPECIFIED(to))
		return M6E_INVAL;
	/* R6275-9.3.3.b: token bucket, like ICMPv6 errors */
	if (now_ms >= ha->be_refill_ms + 1000u / HA_BE_PER_SEC) {
		uint64_t add = (now_ms - ha->be_refill_ms) * HA_BE_PER_SEC / 1000u;
		ha->be_tokens = add >= HA_BE_BURST - ha->be_tokens ? HA_BE_BURST
								   : ha->be_tokens + (unsigned)add;
		ha->be_refill_ms = now_ms;
	}
	if (ha->be_tokens == 0) {
		ha->be_limited++;
		return M6E_AGAIN;
	}
	ha->be_tokens--;
	memset(&tx, 0, sizeof(tx));
	tx.msg.type = MH_TYPE_BE;
	tx.msg.u.be.status = status;
	if (hoa)
		tx.msg.u.be.hoa = *hoa;
	tx.src = *from;
	tx.dst = *to;
	tx.hoa = tx.msg.u.be.hoa;
	/* R6275-6.1.a: no RH2, no HAO; sent directly, unprotected */
	tx.protect = MIP6_PROT_NONE;
	ha->be_sent++;
	ha->ops->send_mh(ha->arg, &tx);
	return 0;
}

uint64_t ha_next_timeout(const struct ha *ha)
{
	return bcache_next_expiry(&ha->bc);
}

void ha_tick(struct ha *ha, uint64_t now_ms)
{
	long i;

	while ((i = bcache_find_expired(&ha->bc, now_ms)) >= 0) {
		struct bcache_entry *e = ha->bc.v[i];
		struct in6_addr hoa = e->hoa;
		char a[ADDR_STRLEN];

		if (e->state == BCE_VALID) { /* R6275-10.3.1.h */
			LOG_INFO(LOG_SUB_MIP6, "binding %s expired", addr_fmt(&hoa, a, sizeof(a)));
			ha->ops->binding_changed(ha->arg, e, BCACHE_EV_EXPIRED);
		} else if (e->state == BCE_DAD_PENDING) {
			LOG_WARN(LOG_SUB_MIP6, "binding %s: no DAD result, BU dropped",
				 addr_fmt(&hoa, a, sizeof(a)));
		}
		bcache_remove(&ha->bc, &hoa);
	}
}
