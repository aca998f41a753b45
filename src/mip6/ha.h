/*
 * Home agent engine (RFC 6275 §10.3; RFC 3776 §4.2): Binding Update
 * processing for home registrations, the Binding Cache's timers, and the DAD
 * hand-off. A pure state machine: no sockets, no clock, no RNG. Time comes in
 * as now_ms; everything leaves through struct ha_ops.
 *
 * The adapter hands in a parsed BU with the facts it established
 * (struct mip6_rx: wire source, HAO, ESP and which SA, after the SPD inbound
 * check). The engine answers with a BA through ops->send_mh, asks for DAD
 * through ops->dad_start on a first registration and finishes that BU when
 * ha_dad_result() reports the outcome, and reports each binding change
 * through ops->binding_changed: that is what drives proxy ND, the /128
 * route, and re-pointing the tunnel-mode SAs to the new CoA. binding_changed
 * fires only for BUs that arrived ESP-protected by the SA configured for that
 * home address; nothing else moves state.
 *
 * Timers (the adapter's timer calls ha_tick() at ha_next_timeout()):
 *   binding lifetime   granted BA Lifetime * 4 s, capped by max_lifetime_s and
 *                      the home prefix's valid lifetime (R6275-10.3.1.h)
 *   delete delay       MAX_DELETE_BCE_TIMEOUT 10 s after a deregistration
 *                      (R6275-10.3.2.e), so a delayed BU draws 135
 *   DAD guard          HA_DAD_GUARD_MS: no DAD result by then -> the pending
 *                      BU is dropped without a BA; the MN retransmits
 */
#ifndef M6_MIP6_HA_H
#define M6_MIP6_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "mip6/bcache.h"
#include "mip6/mip6.h"

struct conf_home_agent;

#define HA_DAD_GUARD_MS 5000u
#define HA_BE_BURST 10u      /* Binding Errors: burst, then ... */
#define HA_BE_PER_SEC 10u    /* ... this many per second (R6275-9.3.3.b) */
#define HA_PREFIX_MAX 16

struct ha_params {
	bool home_reg;                 /* false: the node is no HA, H=1 -> 131 (R6275-10.3.1.b) */
	struct in6_addr address;       /* the HA's own address */
	struct prefix6 prefixes[HA_PREFIX_MAX];
	size_t n_prefixes;
	unsigned max_lifetime_s;       /* policy cap (R6275-10.3.1.h) */
	bool dad;                      /* run DAD before a first registration (R6275-10.3.1.g) */
	bool key_mgmt_mobility;        /* dynamic SAs that follow the CoA; false with manual SAs */
	unsigned bra_percent;          /* BRA Refresh Interval as % of the lifetime; 0: none */
	size_t max_bindings;           /* 0: unbounded; full -> 130 */
};

struct ha_ops {
	/* Send a BA or BE. Return value is informational (counted). */
	int (*send_mh)(void *arg, const struct mip6_tx *tx);
	/* R3776-4.2.k, R6275-5.1.b: is inbound SA sa_id the one configured for
	 * BUs from hoa? */
	bool (*sa_authorised)(void *arg, const struct in6_addr *hoa, uint32_t sa_id);
	/* Start DAD for hoa on the home link (and its link-local address when
	 * link_local, the L bit); answer later with ha_dad_result(). May be
	 * NULL when params.dad is false. */
	int (*dad_start)(void *arg, const struct in6_addr *hoa, bool link_local);
	/* Remaining valid lifetime in seconds of the prefix holding hoa; NULL
	 * means unlimited (R6275-10.3.1.h, R6275-10.6.4.a). */
	uint32_t (*prefix_valid_s)(void *arg, const struct in6_addr *hoa);
	void (*binding_changed)(void *arg, const struct bcache_entry *e, enum bcache_event ev);
};

/* Why a BU was dropped without a BA; stable, for per-reason counters. */
enum ha_drop {
	HA_DROP_NONE = 0,
	HA_DROP_NOT_BU,          /* message is not a BU */
	HA_DROP_UNPROTECTED,     /* no ESP (R6275-10.3.1.a, R6275-5.1.a) */
	HA_DROP_BAD_HOA,         /* home address not unicast routable (R6275-9.5.1.a) */
	HA_DROP_BAD_COA,         /* care-of address not unicast routable (R6275-6.1.7.d) */
	HA_DROP_BAD_SRC,         /* BA could not be addressed (R6275-9.5.4.g) */
	HA_DROP_NONCE_IDX,       /* H=1 with Nonce Indices (R6275-9.5.1.d) */
	HA_DROP_NOT_HOME_REG,    /* H=0 and no binding: correspondent registration unsupported */
	HA_DROP_DAD_BUSY,        /* retransmission while DAD runs; the first BU answers */
	HA_DROP_COUNT
};

struct ha {
	struct ha_params p;
	const struct ha_ops *ops;
	void *arg;
	struct bcache bc;
	uint64_t drops[HA_DROP_COUNT];
	uint64_t status_sent[256];
	uint64_t be_sent, be_limited;
	unsigned be_tokens;
	uint64_t be_refill_ms;
};

int ha_init(struct ha *ha, const struct ha_params *p, const struct ha_ops *ops, void *arg);
void ha_fini(struct ha *ha);
/* Fill p from the home-agent config section (manual SAs: no key-management
 * mobility; BRA at 80 % of the lifetime). */
void ha_params_from_conf(const struct conf_home_agent *c, struct ha_params *p);

/*
 * Process one BU (RFC 6275 §9.5.1, §10.3.1, §10.3.2). Returns 0 when the BU
 * was answered (a BA went out) or is waiting for DAD; a negative M6E_* when
 * it was dropped, with *why (may be NULL) set to the reason, also counted in
 * ha->drops.
 */
int ha_input_bu(struct ha *ha, uint64_t now_ms, const struct mip6_rx *rx, enum ha_drop *why);
/* The DAD outcome for hoa: finishes the pending first registration with
 * BA 0 or 134 (R6275-10.3.1.g). M6E_NOTFOUND when nothing waits for it. */
int ha_dad_result(struct ha *ha, uint64_t now_ms, const struct in6_addr *hoa, bool unique);

/*
 * Send a Binding Error (RFC 6275 §9.3.3) for an offending packet: status 1
 * for a Home Address option without a binding (the data plane saw it; an MN
 * whose binding the HA lost re-registers on it, R6275-11.3.6.b), status 2
 * for an unknown MH type (mh_reason_action() MH_ACT_BE_UNKNOWN). to is the
 * packet's IPv6 source as on the wire, from the address it was sent to, hoa
 * the HAO address or NULL (-> ::) (R6275-9.3.3.a). Returns 0, M6E_INVAL when
 * to is not unicast (nothing sent), M6E_AGAIN when rate-limited.
 */
int ha_binding_error(struct ha *ha, uint64_t now_ms, const struct in6_addr *to,
		     const struct in6_addr *from, const struct in6_addr *hoa, uint8_t status);

uint64_t ha_next_timeout(const struct ha *ha);
/* Run every timer due at now_ms: expiry (BCACHE_EV_EXPIRED), delayed
 * deletion, DAD guard. */
void ha_tick(struct ha *ha, uint64_t now_ms);

const struct bcache *ha_bcache(const struct ha *ha);
const char *ha_drop_name(unsigned why);

#endif
