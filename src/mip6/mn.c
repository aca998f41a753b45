/*
 * Mobile node engine: home registration (RFC 6275 §11.5, §11.7, §11.8).
 * See mn.h for the contract and the timers.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "conf/conf.h"
#include "mip6/mn.h"

static const struct name_entry mn_drop_names[] = {
	{ MN_DROP_NONE, "none" },
	{ MN_DROP_NOT_BA, "wrong message type" },
	{ MN_DROP_NOT_FROM_HA, "not from the home agent" },
	{ MN_DROP_UNPROTECTED, "not ESP-protected" },
	{ MN_DROP_NOT_WAITING, "no binding update outstanding" },
	{ MN_DROP_SEQ, "sequence number not outstanding" },
	{ MN_DROP_ZERO_LIFETIME, "accepted with lifetime 0" },
	{ MN_DROP_BE_OTHER, "binding error not for our binding" },
};

const char *mn_drop_name(unsigned why)
{
	return names_get(mn_drop_names, NAMES_COUNT(mn_drop_names), why);
}

static uint16_t mn_random16(struct mn *mn)
{
	uint8_t r[2];

	mn->ops->random(mn->arg, r, sizeof(r));
	return (uint16_t)(r[0] << 8 | r[1]);
}

int mn_init(struct mn *mn, const struct mn_params *p, const struct mn_ops *ops, void *arg)
{
	if (!ops || !ops->send_mh || !ops->event || !ops->random)
		return M6E_INVAL;
	/* R6275-11.8.a/.b: the initial timeouts and the cap keep the RFC bounds. */
	if (p->initial_ms < MIP6_INITIAL_BINDACK_TIMEOUT_MS ||
	    p->first_reg_ms < p->initial_ms || p->max_ms > MIP6_MAX_BINDACK_TIMEOUT_MS ||
	    p->max_ms < p->first_reg_ms || p->lifetime_s < 4 || p->refresh_percent == 0 ||
	    p->refresh_percent > 99)
		return M6E_INVAL;
	memset(mn, 0, sizeof(*mn));
	mn->p = *p;
	mn->ops = ops;
	mn->arg = arg;
	/* R6275-11.7.2.g: start at a random value */
	return bul_add(&mn->bul, &p->ha, &p->hoa, mn_random16(mn), &mn->ha);
}

void mn_params_from_conf(const struct conf_mobile_node *c, struct mn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->hoa = c->home_address;
	p->ha = c->ha_address;
	p->lifetime_s = c->binding_lifetime;
	p->initial_ms = c->initial_bindack_timeout_ms;
	p->first_reg_ms = c->initial_bindack_timeout_first_reg_ms;
	p->max_ms = c->max_bindack_timeout * 1000u;
	p->refresh_percent = 80;
	p->k = false; /* manual SAs (R6275-6.1.7.a); IKE sets it later */
	p->l = false;
}

enum bul_state mn_state(const struct mn *mn)
{
	return mn->ha->state;
}

const struct bul_entry *mn_bul(const struct mn *mn)
{
	return mn->ha;
}

static int mn_drop(struct mn *mn, enum mn_drop r, enum mn_drop *why, int rc)
{
	mn->drops[r]++;
	if (why)
		*why = r;
	return rc;
}

static void mn_report(struct mn *mn, enum mn_event ev, uint8_t status, uint32_t lifetime_s, bool k)
{
	struct mn_report r;

	memset(&r, 0, sizeof(r));
	r.ev = ev;
	r.coa = mn->ha->coa;
	r.status = status;
	r.lifetime_s = lifetime_s;
	r.k = k;
	mn->ops->event(mn->arg, &r);
}

static bool mn_deregistering(const struct bul_entry *b)
{
	return b->state == BUL_DEREGISTERING;
}

/* Send the BU of the current attempt now, or hold it for MAX_UPDATE_RATE. */
static void mn_send_bu(struct mn *mn, uint64_t now_ms)
{
	struct bul_entry *b = mn->ha;
	bool dereg = mn_deregistering(b);
	uint64_t earliest = bul_rate_earliest(b, now_ms);
	struct mip6_tx tx;

	if (earliest > now_ms) { /* R6275-11.8.c */
		b->send_pending = true;
		b->next_ms = earliest;
		return;
	}
	b->send_pending = false;
	/* R6275-11.8.d: every transmission carries a greater number */
	b->seq = (uint16_t)(b->seq + 1u);
	if (b->seq == b->attempt_seq)
		b->attempt_ms = now_ms;
	b->lifetime = dereg ? 0 : (uint16_t)(mn->p.lifetime_s / 4u > 0xffffu ? 0xffffu
									      : mn->p.lifetime_s / 4u);
	memset(&tx, 0, sizeof(tx));
	tx.msg.type = MH_TYPE_BU;
	tx.msg.u.bu.seq = b->seq;
	tx.msg.u.bu.lifetime = b->lifetime;
	/* R6275-11.7.1.b: A and H; K only with dynamic SAs (R6275-6.1.7.a) */
	tx.msg.u.bu.flags = (uint16_t)(MH_BU_F_A | MH_BU_F_H | (mn->p.k ? MH_BU_F_K : 0) |
				       (mn->p.l ? MH_BU_F_L : 0));
	/* R6275-11.7.1.b: the Alternate CoA option in every home registration,
	 * since ESP does not cover the IPv6 source; the HoA when going home. */
	tx.msg.opts.has_alt_coa = true;
	tx.msg.opts.alt_coa = b->coa;
	tx.dst = b->dst;
	tx.hoa = b->hoa;
	/* R6275-11.5.5.a: from home, the source is the HoA and no HAO;
	 * R3776-4.2.h: from a CoA, a HAO. */
	tx.src = b->coa;
	tx.has_hao = !addr_eq(&b->coa, &b->hoa);
	tx.protect = MIP6_PROT_ESP_BU_BA;
	bul_note_sent(b, now_ms);
	if (!dereg && now_ms + (uint64_t)b->lifetime * 4000u > b->may_expire_ms)
		b->may_expire_ms = now_ms + (uint64_t)b->lifetime * 4000u;
	b->next_ms = now_ms + bul_jitter(b->backoff_ms, mn_random16(mn));
	LOG_DEBUG(LOG_SUB_MIP6, "BU seq %u lifetime %u, next in %llu ms", b->seq, b->lifetime,
		  (unsigned long long)(b->next_ms - now_ms));
	mn->ops->send_mh(mn->arg, &tx);
}

/* Begin a new attempt (new CoA, refresh, retry, return home) and send its
 * first BU now. backoff_ms 0 picks the initial timeout; a retry after a
 * rejection keeps the grown one. */
static int mn_start(struct mn *mn, uint64_t now_ms, enum bul_state to, uint32_t backoff_ms)
{
	struct bul_entry *b = mn->ha;
	int rc = bul_set_state(b, to);

	if (rc < 0)
		return rc;
	b->attempt_seq = (uint16_t)(b->seq + 1u);
	/* R6275-11.8.a: 1.5 s when the HA holds no binding for us */
	if (backoff_ms)
		b->backoff_ms = backoff_ms;
	else if (b->expires_ms > now_ms || to == BUL_DEREGISTERING)
		b->backoff_ms = mn->p.initial_ms;
	else
		b->backoff_ms = mn->p.first_reg_ms;
	b->backoff_maxed = false;
	b->refresh_ms = MIP6_NEVER;
	mn_send_bu(mn, now_ms);
	return 0;
}

static void mn_home_done(struct mn *mn, uint8_t status)
{
	struct bul_entry *b = mn->ha;

	if (bul_set_state(b, BUL_IDLE) < 0)
		return;
	b->next_ms = MIP6_NEVER;
	b->refresh_ms = MIP6_NEVER;
	b->expires_ms = 0;
	b->may_expire_ms = 0;
	mn_report(mn, MN_EV_HOME, status, 0, false);
}

int mn_coa_changed(struct mn *mn, uint64_t now_ms, const struct in6_addr *coa)
{
	struct bul_entry *b = mn->ha;

	if (addr_eq(coa, &b->hoa))
		return mn_returned_home(mn, now_ms);
	if (b->state == BUL_FAILED)
		return M6E_PERM;
	if (!addr_is_unicast_routable(coa))
		return M6E_INVAL;
	if (b->state == BUL_REGISTERING && addr_eq(&b->coa, coa))
		return 0; /* already on it */
	b->coa = *coa;
	return mn_start(mn, now_ms, BUL_REGISTERING, 0);
}

int mn_returned_home(struct mn *mn, uint64_t now_ms)
{
	struct bul_entry *b = mn->ha;

	if (b->state == BUL_FAILED || b->state == BUL_DEREGISTERING)
		return 0;
	b->coa = b->hoa;
	if (b->state == BUL_IDLE)
		return 0;
	/* Whatever the HA may have held has lapsed: nothing to delete. */
	if (b->may_expire_ms <= now_ms) {
		if (bul_set_state(b, BUL_DEREGISTERING) == 0)
			mn_home_done(mn, 0);
		return 0;
	}
	return mn_start(mn, now_ms, BUL_DEREGISTERING, 0);
}

/* R6275-11.7.3.b: the binding runs from when the acknowledged BU was sent;
 * for an earlier BU of the attempt, the attempt's start is the safe bound. */
static void mn_registered(struct mn *mn, const struct mh_msg *m)
{
	struct bul_entry *b = mn->ha;
	uint64_t base = m->u.ba.seq == b->seq ? b->sent_ms : b->attempt_ms;
	uint64_t life_ms = (uint64_t)m->u.ba.lifetime * 4000u;

	if (bul_set_state(b, BUL_REGISTERED) < 0)
		return;
	b->expires_ms = base + life_ms;
	/* R6275-11.7.3.e: the HA's Binding Refresh Advice is the interval */
	if (m->opts.has_bra && m->opts.bra_interval < m->u.ba.lifetime)
		b->refresh_ms = base + (uint64_t)m->opts.bra_interval * 4000u;
	else
		b->refresh_ms = base + life_ms * mn->p.refresh_percent / 100u;
	b->next_ms = MIP6_NEVER;
	b->send_pending = false;
	mn_report(mn, MN_EV_REGISTERED, m->u.ba.status, (uint32_t)(life_ms / 1000u),
		  (m->u.ba.flags & MH_BA_F_K) != 0);
}

static uint32_t mn_double(const struct mn *mn, uint32_t t)
{
	return t >= mn->p.max_ms / 2u ? mn->p.max_ms : t * 2u;
}

int mn_input_ba(struct mn *mn, uint64_t now_ms, const struct mip6_rx *rx, enum mn_drop *why)
{
	struct bul_entry *b = mn->ha;
	const struct mh_ba *ba = &rx->msg.u.ba;
	char sb[32];

	if (why)
		*why = MN_DROP_NONE;
	if (rx->msg.type != MH_TYPE_BA)
		return mn_drop(mn, MN_DROP_NOT_BA, why, M6E_INVAL);
	if (!addr_eq(&rx->src, &b->dst))
		return mn_drop(mn, MN_DROP_NOT_FROM_HA, why, M6E_NOTFOUND);
	/* R6275-11.7.3.a, .c: only an ESP-protected BA counts, 135 included */
	if (!rx->esp)
		return mn_drop(mn, MN_DROP_UNPROTECTED, why, M6E_AUTH);
	if (b->state != BUL_REGISTERING && b->state != BUL_DEREGISTERING)
		return mn_drop(mn, MN_DROP_NOT_WAITING, why, M6E_PROTO);
	if (ba->status == MH_BA_SEQ_OUT_OF_WINDOW) {
		/* R6275-11.7.3.c, R6275-11.7.1.h: adopt the HA's number and
		 * send the next one; the backoff carries on. */
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_MIP6, "BA 135: sequence %u -> %u", b->seq, ba->seq);
		b->seq = ba->seq;
		b->attempt_seq = (uint16_t)(ba->seq + 1u);
		mn_send_bu(mn, now_ms);
		return 0;
	}
	if (!bul_seq_outstanding(b, ba->seq))
		return mn_drop(mn, MN_DROP_SEQ, why, M6E_PROTO);
	LOG_RL(LOG_LVL_INFO, LOG_SUB_MIP6, "BA status %s seq %u lifetime %u",
	       mh_ba_status_fmt(ba->status, sb, sizeof(sb)), ba->seq, ba->lifetime);
	if (mn_deregistering(b)) {
		/* Accepted, or 133 (no binding there): either way done. */
		mn_home_done(mn, ba->status);
		return 0;
	}
	if (mh_ba_status_accepted(ba->status)) {
		if (ba->lifetime == 0)
			return mn_drop(mn, MN_DROP_ZERO_LIFETIME, why, M6E_PROTO);
		mn_registered(mn, &rx->msg);
		return 0;
	}
	if (ba->status == MH_BA_DAD_FAILED) { /* R6275-11.7.1.j */
		if (bul_set_state(b, BUL_FAILED) == 0) {
			b->next_ms = MIP6_NEVER;
			mn_report(mn, MN_EV_FAILED, ba->status, 0, false);
		}
		return 0;
	}
	/* R6275-11.7.3.d: retry with a new number, rate-limited by backoff */
	if (bul_set_state(b, BUL_BACKOFF) < 0)
		return M6E_PROTO;
	b->backoff_ms = mn_double(mn, b->backoff_ms);
	b->send_pending = false;
	b->next_ms = now_ms + bul_jitter(b->backoff_ms, mn_random16(mn));
	mn_report(mn, MN_EV_REJECTED, ba->status, 0, false);
	return 0;
}

int mn_input_be(struct mn *mn, uint64_t now_ms, const struct mip6_rx *rx, enum mn_drop *why)
{
	struct bul_entry *b = mn->ha;

	if (why)
		*why = MN_DROP_NONE;
	if (rx->msg.type != MH_TYPE_BE)
		return mn_drop(mn, MN_DROP_NOT_BA, why, M6E_INVAL);
	/* R6275-11.3.6.a: only from a destination in the BUL */
	if (!addr_eq(&rx->src, &b->dst))
		return mn_drop(mn, MN_DROP_NOT_FROM_HA, why, M6E_NOTFOUND);
	/* R6275-11.3.6.b: status 1 from the HA -> it lost our binding (e.g. it
	 * restarted): register again. Status 2 is ignored. */
	if (rx->msg.u.be.status != MH_BE_UNKNOWN_HAO || !addr_eq(&rx->msg.u.be.hoa, &b->hoa) ||
	    b->state != BUL_REGISTERED)
		return mn_drop(mn, MN_DROP_BE_OTHER, why, M6E_PROTO);
	b->expires_ms = 0; /* the HA holds nothing: first-registration timeout */
	return mn_start(mn, now_ms, BUL_REGISTERING, 0);
}

uint64_t mn_next_timeout(const struct mn *mn)
{
	const struct bul_entry *b = mn->ha;
	uint64_t t = MIP6_NEVER;

	switch (b->state) {
	case BUL_REGISTERING:
	case BUL_BACKOFF:
		t = b->next_ms;
		if (b->expires_ms && b->expires_ms < t)
			t = b->expires_ms;
		break;
	case BUL_DEREGISTERING:
		t = b->next_ms < b->may_expire_ms ? b->next_ms : b->may_expire_ms;
		break;
	case BUL_REGISTERED:
		t = b->refresh_ms < b->expires_ms ? b->refresh_ms : b->expires_ms;
		break;
	default:
		break;
	}
	return t;
}

static void mn_expire(struct mn *mn, uint64_t now_ms)
{
	struct bul_entry *b = mn->ha;

	if (b->expires_ms && b->expires_ms <= now_ms) {
		b->expires_ms = 0;
		mn_report(mn, MN_EV_EXPIRED, 0, 0, false);
	}
}

void mn_tick(struct mn *mn, uint64_t now_ms)
{
	struct bul_entry *b = mn->ha;

	switch (b->state) {
	case BUL_REGISTERED:
		if (b->refresh_ms <= now_ms || b->expires_ms <= now_ms)
			mn_start(mn, now_ms, BUL_REGISTERING, 0); /* R6275-11.7.1.a */
		mn_expire(mn, now_ms);
		break;
	case BUL_BACKOFF:
		mn_expire(mn, now_ms);
		if (b->next_ms <= now_ms)
			mn_start(mn, now_ms, BUL_REGISTERING, b->backoff_ms);
		break;
	case BUL_DEREGISTERING:
		if (b->may_expire_ms <= now_ms) { /* nothing can be left at the HA */
			mn_home_done(mn, 0);
			break;
		}
		/* fall through */
	case BUL_REGISTERING:
		mn_expire(mn, now_ms);
		if (b->next_ms > now_ms)
			break;
		if (!b->send_pending) {
			b->backoff_ms = mn_double(mn, b->backoff_ms); /* R6275-11.8.b */
			if (b->backoff_ms >= mn->p.max_ms && !b->backoff_maxed) {
				b->backoff_maxed = true;
				mn_report(mn, MN_EV_NO_ANSWER, 0, 0, false); /* R6275-11.7.1.f */
			}
		}
		mn_send_bu(mn, now_ms);
		break;
	default:
		break;
	}
}
