#include "ipsec/sa.h"

#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "crypto/crypto.h"

static const struct name_entry state_names[] = {
	{ SA_STATE_MATURE, "mature" },
	{ SA_STATE_DYING, "dying" },
	{ SA_STATE_DEAD, "dead" },
};
static const struct name_entry dir_names[] = { { SA_DIR_IN, "in" }, { SA_DIR_OUT, "out" } };
static const struct name_entry mode_names[] = {
	{ SA_MODE_TRANSPORT, "transport" },
	{ SA_MODE_TUNNEL, "tunnel" },
};

const char *sa_state_name(enum sa_state s)
{
	return names_get(state_names, NAMES_COUNT(state_names), s);
}

const char *sa_dir_name(enum sa_dir d)
{
	return names_get(dir_names, NAMES_COUNT(dir_names), d);
}

const char *sa_mode_name(enum sa_mode m)
{
	return names_get(mode_names, NAMES_COUNT(mode_names), m);
}

static bool limit_below(uint64_t soft, uint64_t hard)
{
	return soft == 0 || hard == 0 || soft <= hard;
}

int sa_new(const struct sa_params *p, uint64_t now_ms, struct sa **out)
{
	*out = NULL;
	/* R4303-2.1.a: SPI 0 is never sent and 1-255 are reserved; 0 would
	 * also be mistaken for the non-ESP marker (R3948-1.a). */
	if (p->spi < 256)
		return M6E_INVAL;
	if ((p->dir != SA_DIR_IN && p->dir != SA_DIR_OUT) ||
	    (p->mode != SA_MODE_TRANSPORT && p->mode != SA_MODE_TUNNEL) || !aead_alg_valid((int)p->alg))
		return M6E_INVAL;
	if (!limit_below(p->soft.bytes, p->hard.bytes) || !limit_below(p->soft.seconds, p->hard.seconds))
		return M6E_INVAL;
	/* R8221-3.a, R4106-2.a: counter-mode AEADs need automated keying (a
	 * manual key reused after a reboot would repeat nonces). */
	if (p->manual && aead_is_combined(p->alg))
		return M6E_PERM;
	struct sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return M6E_NOMEM;
	*sa = (struct sa){
		.spi = p->spi,
		.dir = p->dir,
		.mode = p->mode,
		.alg = p->alg,
		.state = SA_STATE_MATURE,
		.esn = p->esn,
		.manual = p->manual,
		.udp_encap = p->udp_encap,
		.encap_sport = p->encap_sport,
		.encap_dport = p->encap_dport,
		.src = p->src,
		.dst = p->dst,
		.soft = p->soft,
		.hard = p->hard,
		.created_ms = now_ms,
	};
	int rc = aead_new(&sa->aead, p->alg, p->dir == SA_DIR_OUT ? AEAD_SEAL : AEAD_OPEN, p->keymat,
			  p->keymat_len);
	if (rc == 0 && p->dir == SA_DIR_IN)
		rc = replay_init(&sa->replay, p->replay_window, p->esn);
	if (rc) {
		sa_free(sa);
		return rc;
	}
	*out = sa;
	return 0;
}

void sa_free(struct sa *sa)
{
	if (!sa)
		return;
	aead_free(sa->aead);
	replay_fini(&sa->replay);
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

int sa_set_state(struct sa *sa, enum sa_state next)
{
	if (next == sa->state)
		return 0;
	if (next < sa->state || next > SA_STATE_DEAD) {
		LOG_WARN(LOG_SUB_IPSEC, "SA %s spi 0x%08x: refusing %s -> %s", sa_dir_name(sa->dir), sa->spi,
			 sa_state_name(sa->state), sa_state_name(next));
		return M6E_PROTO;
	}
	LOG_INFO(LOG_SUB_IPSEC, "SA %s spi 0x%08x: %s -> %s", sa_dir_name(sa->dir), sa->spi,
		 sa_state_name(sa->state), sa_state_name(next));
	sa->state = next;
	return 0;
}

int sa_next_seq(struct sa *sa, uint64_t *seq)
{
	uint64_t last = sa->esn ? UINT64_MAX : UINT32_MAX;
	if (sa->seq >= last)
		return M6E_RANGE; /* R4303-2.2.a: would cycle; rekey */
	*seq = ++sa->seq;
	return 0;
}

static bool reached(uint64_t limit, uint64_t value)
{
	return limit != 0 && value >= limit;
}

/* Errors from sa_set_state cannot happen here: both callers only move
 * forward. */
static enum sa_state apply_limits(struct sa *sa, uint64_t bytes, uint64_t secs)
{
	if (reached(sa->hard.bytes, bytes) || reached(sa->hard.seconds, secs))
		(void)sa_set_state(sa, SA_STATE_DEAD);
	else if (sa->state == SA_STATE_MATURE && (reached(sa->soft.bytes, bytes) || reached(sa->soft.seconds, secs)))
		(void)sa_set_state(sa, SA_STATE_DYING);
	return sa->state;
}

enum sa_state sa_account(struct sa *sa, size_t bytes)
{
	sa->cnt.packets++;
	sa->cnt.bytes += bytes;
	if (sa->soft.bytes == 0 && sa->hard.bytes == 0)
		return sa->state;
	return apply_limits(sa, sa->cnt.bytes, 0);
}

enum sa_state sa_tick(struct sa *sa, uint64_t now_ms)
{
	uint64_t secs = now_ms > sa->created_ms ? (now_ms - sa->created_ms) / 1000 : 0;
	return apply_limits(sa, sa->cnt.bytes, secs);
}
