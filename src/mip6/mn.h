/*
 * Mobile node engine: home registration with one home agent (RFC 6275 §11.5,
 * §11.7.1, §11.7.3, §11.8; RFC 3776 §3.1). A pure state machine over one
 * Binding Update List entry: no sockets, no clock, no RNG of its own. Time
 * comes in as now_ms, randomness through ops->random, messages leave through
 * ops->send_mh and outcomes through ops->event.
 *
 * The adapter calls mn_coa_changed() when movement detection picks a new
 * primary care-of address and mn_returned_home() on the home link; it hands
 * in BAs and BEs with the facts it established (struct mip6_rx: source, ESP).
 *
 * Timers (the adapter's timer calls mn_tick() at mn_next_timeout()):
 *   first BU to an HA without a binding   InitialBindackTimeoutFirstReg 1.5 s
 *                                         (R6275-11.8.a, R6275-13.b; configurable)
 *   any other BU                          INITIAL_BINDACK_TIMEOUT 1 s (R6275-11.8.a)
 *   each retransmission                   timeout doubles up to MAX_BINDACK_TIMEOUT
 *                                         32 s, then stays there (R6275-11.8.b,
 *                                         R6275-11.7.1.f); every delay is jittered up
 *                                         by < 10 %, never past 32 s
 *   retry after a rejection               the doubled timeout, jittered
 *   BU rate                               MAX_UPDATE_RATE 3 per second (R6275-11.8.c)
 *   refresh                               Binding Refresh Advice from the HA
 *                                         (R6275-11.7.3.e), else refresh_percent of
 *                                         the granted lifetime after the BU was sent
 *   binding end                           BU send time + granted lifetime
 *                                         (R6275-11.7.3.b)
 *   deregistration give-up                when no binding the HA may hold can be
 *                                         left (latest BU send time + its lifetime)
 */
#ifndef M6_MIP6_MN_H
#define M6_MIP6_MN_H

#include <stddef.h>
#include <stdint.h>

#include "mip6/bul.h"
#include "mip6/mip6.h"

struct conf_mobile_node;

struct mn_params {
	struct in6_addr hoa;
	struct in6_addr ha;
	unsigned lifetime_s;           /* requested (R6275-11.7.1.e) */
	unsigned initial_ms;           /* INITIAL_BINDACK_TIMEOUT */
	unsigned first_reg_ms;         /* InitialBindackTimeoutFirstReg */
	unsigned max_ms;               /* MAX_BINDACK_TIMEOUT (at most 32 s) */
	unsigned refresh_percent;      /* refresh point without BRA, 1..99 */
	bool k;                        /* K bit: only with dynamic SAs (R6275-11.7.1.d) */
	bool l;                        /* L bit (R6275-11.7.1.c) */
};

enum mn_event {
	MN_EV_REGISTERED = 0, /* BA accepted: status, coa, lifetime_s, k */
	MN_EV_REJECTED,       /* BA >= 128 (not 135): retrying after backoff */
	MN_EV_FAILED,         /* BA 134: the home address is unusable (R6275-11.7.1.j) */
	MN_EV_EXPIRED,        /* the acknowledged binding ran out before a refresh */
	MN_EV_NO_ANSWER,      /* backoff reached MAX_BINDACK_TIMEOUT: try another HA (DHAAD) */
	MN_EV_HOME,           /* deregistered: run RFC 6275 §11.5.5 (NA for the HoA,
			       * SPD tunnel group inactive, R3776-4.2.e) */
};

struct mn_report {
	enum mn_event ev;
	struct in6_addr coa;
	uint8_t status;       /* BA status, when a BA caused it */
	uint32_t lifetime_s;  /* granted (MN_EV_REGISTERED) */
	bool k;               /* BA K bit (R6275-11.7.3.f) */
};

struct mn_ops {
	int (*send_mh)(void *arg, const struct mip6_tx *tx);
	void (*event)(void *arg, const struct mn_report *r);
	void (*random)(void *arg, void *buf, size_t len);
};

/* Why an input was ignored; stable, for per-reason counters. */
enum mn_drop {
	MN_DROP_NONE = 0,
	MN_DROP_NOT_BA,        /* wrong message type for the call */
	MN_DROP_NOT_FROM_HA,   /* source is not the HA (R6275-11.3.6.a) */
	MN_DROP_UNPROTECTED,   /* BA without ESP (R6275-11.7.3.a, .c) */
	MN_DROP_NOT_WAITING,   /* no BU outstanding */
	MN_DROP_SEQ,           /* Sequence Number matches no outstanding BU */
	MN_DROP_ZERO_LIFETIME, /* accepted registration with lifetime 0 */
	MN_DROP_BE_OTHER,      /* BE not about our binding, or status 2 */
	MN_DROP_COUNT
};

struct mn {
	struct mn_params p;
	const struct mn_ops *ops;
	void *arg;
	struct bul bul;
	struct bul_entry *ha;  /* &bul.e[0] */
	uint64_t drops[MN_DROP_COUNT];
};

/* Sequence numbers start at a random value (R6275-11.7.2.g). M6E_INVAL for
 * missing ops or timeouts outside the RFC bounds. */
int mn_init(struct mn *mn, const struct mn_params *p, const struct mn_ops *ops, void *arg);
/* From the mobile-node config section (ha_address must be known). */
void mn_params_from_conf(const struct conf_mobile_node *c, struct mn_params *p);

/* New primary care-of address (R6275-11.5.4.a): register it. coa equal to
 * the home address means mn_returned_home(). M6E_PERM after BA 134. */
int mn_coa_changed(struct mn *mn, uint64_t now_ms, const struct in6_addr *coa);
/* Back on the home link (R6275-11.5.5.a): deregister from the home address. */
int mn_returned_home(struct mn *mn, uint64_t now_ms);

/* A BA (from the adapter; rx->esp as established). Returns 0 when it moved
 * state, else a negative M6E_* with *why (may be NULL) set and counted. */
int mn_input_ba(struct mn *mn, uint64_t now_ms, const struct mip6_rx *rx, enum mn_drop *why);
/* A Binding Error (R6275-11.3.6): status 1 from the HA -> register again. */
int mn_input_be(struct mn *mn, uint64_t now_ms, const struct mip6_rx *rx, enum mn_drop *why);

uint64_t mn_next_timeout(const struct mn *mn);
void mn_tick(struct mn *mn, uint64_t now_ms);

enum bul_state mn_state(const struct mn *mn);
const struct bul_entry *mn_bul(const struct mn *mn);
const char *mn_drop_name(unsigned why);

#endif
