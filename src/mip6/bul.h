/*
 * Binding Update List (RFC 6275 §11.1, R6275-11.1.a): what the mobile node
 * sent to each destination, the retransmission state, and the registration
 * state of each entry. One entry per destination; today only the home agent
 * (route optimisation adds correspondents later).
 *
 * bul.c owns the entry's state machine (bul_set_state) and the arithmetic
 * every sender needs: the outstanding-sequence test, the jittered backoff
 * and the MAX_UPDATE_RATE limiter. mn.c decides what to send.
 */
#ifndef M6_MIP6_BUL_H
#define M6_MIP6_BUL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "mip6/mip6.h"

#define BUL_MAX 8

enum bul_state {
	BUL_IDLE = 0,      /* at home, no binding (or nothing to do) */
	BUL_REGISTERING,   /* BU outstanding, retransmitting */
	BUL_REGISTERED,    /* acknowledged; refresh scheduled */
	BUL_BACKOFF,       /* rejected; retry when next_ms comes */
	BUL_DEREGISTERING, /* lifetime-0 BU outstanding (returning home) */
	BUL_FAILED,        /* BA 134: never use this home address again (R6275-11.7.1.j) */
	BUL_STATE_COUNT
};

struct bul_entry {
	struct in6_addr dst;     /* the HA (or, later, a CN) */
	struct in6_addr hoa;
	struct in6_addr coa;     /* CoA in the current BU (the HoA when deregistering) */
	enum bul_state state;
	uint16_t seq;            /* last Sequence Number sent (R6275-11.1.a) */
	uint16_t attempt_seq;    /* first Sequence Number of the current attempt */
	uint16_t lifetime;       /* requested in the current BU, 4 s units */
	uint64_t sent_ms;        /* when the last BU went out */
	uint64_t attempt_ms;     /* when the first BU of this attempt went out */
	uint32_t backoff_ms;     /* current retransmission timeout before jitter */
	bool send_pending;       /* held back by MAX_UPDATE_RATE until next_ms */
	bool backoff_maxed;      /* MAX_BINDACK_TIMEOUT reached (reported once) */
	uint64_t next_ms;        /* retransmission / retry / held send */
	uint64_t refresh_ms;     /* REGISTERED: when to refresh */
	uint64_t expires_ms;     /* acknowledged binding end; 0 = no binding known */
	uint64_t may_expire_ms;  /* latest end of any binding the HA may hold */
	uint64_t rate[MIP6_MAX_UPDATE_RATE]; /* send times, oldest first */
};

struct bul {
	struct bul_entry e[BUL_MAX];
	size_t n;
};

/* Entry for dst, or NULL. */
struct bul_entry *bul_find(struct bul *l, const struct in6_addr *dst);
/* New IDLE entry for dst/hoa (next_ms MIP6_NEVER), first sequence number
 * seq0 + 1 (R6275-11.7.2.g: random start). M6E_EXISTS, M6E_NOSPACE. */
int bul_add(struct bul *l, const struct in6_addr *dst, const struct in6_addr *hoa, uint16_t seq0,
	    struct bul_entry **out);

/* Move b to state to, logging "old -> new"; M6E_PROTO (b unchanged) for a
 * move the state machine does not allow. */
int bul_set_state(struct bul_entry *b, enum bul_state to);
const char *bul_state_name(unsigned s);

/* Is seq one of the BUs of the current attempt (R6275-11.7.3.a)? */
bool bul_seq_outstanding(const struct bul_entry *b, uint16_t seq);
/* Retransmission delay for base: jittered up by at most a tenth (rnd is a
 * random 16-bit value), never above MAX_BINDACK_TIMEOUT (R6275-11.8.b). */
uint32_t bul_jitter(uint32_t base_ms, uint16_t rnd);
/* Earliest time a new BU may go out under MAX_UPDATE_RATE (R6275-11.8.c,
 * R6275-11.5.3.a); <= now_ms when it may go now. */
uint64_t bul_rate_earliest(const struct bul_entry *b, uint64_t now_ms);
/* Record a BU sent at now_ms. */
void bul_note_sent(struct bul_entry *b, uint64_t now_ms);

#endif
