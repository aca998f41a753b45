/*
 * Dynamic Home Agent Address Discovery engines (RFC 6275 §10.5.1, §11.4.1),
 * pure like ha.c / mn.c: no sockets, no clock, no RNG. Time comes in as
 * now_ms, randomness as a caller-supplied seed, and messages leave as a
 * struct dhaad_tx that the adapter builds with icmp6_build_dhaad_req/_rep.
 * DHAAD is not IPsec-protected (RFC 3776 §3.3 covers MPS/MPA only).
 *
 * HA side: the home agents list (struct dhaad_hal), fed by the HA's own
 * configuration and by RAs with the H bit heard on the home link, and the
 * Request handler dhaad_hal_answer().
 *
 * MN side: struct dhaad_client sends a Request to the Home-Agents anycast
 * address of the home prefix and retransmits it.
 *
 * Timers:
 *   HA list entry      the HA Information lifetime, else the Router Lifetime
 *                      of the RA that created/refreshed it (R6275-10.5.1.a)
 *   client retransmit  INITIAL_DHAAD_TIMEOUT 3 s, doubling, at most
 *                      DHAAD_RETRIES 4 retransmissions; failure reported
 *                      when the last one times out (R6275-11.4.1.a)
 */
#ifndef M6_MIP6_DHAAD_H
#define M6_MIP6_DHAAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

/* RFC 6275 §12 (wire-formats.md §K). */
#define DHAAD_INITIAL_TIMEOUT_MS 3000u
#define DHAAD_RETRIES 4u

#define DHAAD_HAL_MAX 128     /* home agents kept in the list */
#define DHAAD_HA_ADDR_MAX 4   /* global addresses kept per home agent */

/* One message for the adapter: type ICMP6_TYPE_DHAAD_REQUEST or _REPLY.
 * Sent without HAO, RH2 or IPsec. */
struct dhaad_tx {
	uint8_t type;
	struct in6_addr src;
	struct in6_addr dst;
	struct icmp6_dhaad msg; /* id, n_ha, ha[] (reply only) */
};

/* ---- HA side: home agents list (RFC 6275 §10.5.1) ---- */

struct dhaad_hal_entry {
	struct in6_addr lla;   /* the HA's link-local address: the key */
	int16_t pref;          /* RFC 6275 §7.4: signed, higher is better */
	bool permanent;        /* from our own configuration: never expires */
	uint64_t expires_ms;
	unsigned n_addr;
	struct in6_addr addr[DHAAD_HA_ADDR_MAX];
};

struct dhaad_hal {
	unsigned n;
	struct dhaad_hal_entry e[DHAAD_HAL_MAX];
	uint64_t n_full;       /* RAs dropped because the list was full */
};

void dhaad_hal_init(struct dhaad_hal *l);
/* Add or replace the entry for this HA itself (from its config). M6E_NOSPACE
 * when the list is full, M6E_INVAL when addr is not unicast routable. */
int dhaad_hal_add_self(struct dhaad_hal *l, const struct in6_addr *lla,
		       const struct in6_addr *addr, int16_t pref);
/*
 * An RA heard on the home link from src (its link-local address), already
 * validated by nd_validate_ra() (R6275-10.5.1.a): H clear -> the router's
 * entry is deleted; lifetime 0 -> deleted; else created or refreshed, with
 * preference and lifetime from the HA Information option (default 0 and the
 * Router Lifetime), and the global addresses from the PIOs with the R bit.
 * Returns 0, M6E_NOSPACE when a new entry does not fit.
 */
int dhaad_hal_input_ra(struct dhaad_hal *l, uint64_t now_ms, const struct in6_addr *src,
		       const struct nd_ra *ra);
const struct dhaad_hal_entry *dhaad_hal_find(const struct dhaad_hal *l,
					     const struct in6_addr *lla);
uint64_t dhaad_hal_next_timeout(const struct dhaad_hal *l);
/* Delete every entry whose lifetime ended at or before now_ms. */
void dhaad_hal_tick(struct dhaad_hal *l, uint64_t now_ms);
/*
 * Every global address of every HA, by decreasing preference, equal
 * preferences (and several addresses of one HA) in an order drawn from seed
 * (R6275-10.5.1.b). At most max written; returns the count written.
 */
unsigned dhaad_hal_sorted(const struct dhaad_hal *l, uint64_t seed, struct in6_addr *out,
			  unsigned max);
/*
 * Answer a DHAAD Request that arrived from req_src: *tx gets a reply from
 * self (one of our global addresses, R6275-10.5.1.b) to req_src
 * (R6275-6.5.a), the request's Identifier, and the sorted list trimmed to
 * what fits in room octets of ICMPv6 message (ICMP6_MAX_IN_MIN_MTU with no
 * extension headers), keeping the highest preferences. M6E_INVAL when
 * req_src is not unicast routable (nothing to answer to).
 */
int dhaad_hal_answer(const struct dhaad_hal *l, const struct in6_addr *self,
		     const struct in6_addr *req_src, uint16_t id, uint64_t seed, size_t room,
		     struct dhaad_tx *tx);

/* ---- MN side: DHAAD client (RFC 6275 §11.4.1) ---- */

enum dhaad_client_state {
	DHAAD_CLIENT_IDLE = 0,
	DHAAD_CLIENT_WAITING,
	DHAAD_CLIENT_DONE,
	DHAAD_CLIENT_FAILED,
};

struct dhaad_client_ops {
	/* Send a Request. Return value is informational. */
	int (*send)(void *arg, const struct dhaad_tx *tx);
	/* The outcome: status 0 with the first address of the reply and the
	 * whole list, or M6E_AGAIN after the last retransmission timed out
	 * (ha NULL, n 0). */
	void (*result)(void *arg, int status, const struct in6_addr *ha, unsigned n);
};

/* Why a reply was dropped; stable, for per-reason counters. */
enum dhaad_drop {
	DHAAD_DROP_NONE = 0,
	DHAAD_DROP_NOT_WAITING, /* no Request outstanding */
	DHAAD_DROP_ID,          /* Identifier does not match (R6275-11.4.1.a) */
	DHAAD_DROP_EMPTY,       /* reply lists no home agent */
	DHAAD_DROP_COUNT
};

struct dhaad_client {
	const struct dhaad_client_ops *ops;
	void *arg;
	enum dhaad_client_state state;
	struct in6_addr src;  /* care-of address */
	struct in6_addr dst;  /* Home-Agents anycast address */
	uint16_t id;
	unsigned retx;        /* retransmissions sent */
	uint32_t timeout_ms;  /* current wait */
	uint64_t due_ms;
	struct icmp6_dhaad ha; /* the accepted list, stored (R6275-11.4.1.a SHOULD) */
	uint64_t drops[DHAAD_DROP_COUNT];
};

void dhaad_client_init(struct dhaad_client *c, const struct dhaad_client_ops *ops, void *arg);
/* Send a Request from coa to the Home-Agents anycast address of home
 * (icmp6_ha_anycast) with Identifier id (random, from the caller). Restarts
 * a Request in progress. M6E_RANGE when home has no anycast address. */
int dhaad_client_start(struct dhaad_client *c, uint64_t now_ms, const struct in6_addr *coa,
		       const struct prefix6 *home, uint16_t id);
/* A parsed reply. 0 when accepted (ops->result fired), else M6E_PROTO with
 * *why (may be NULL) set and counted. */
int dhaad_client_input(struct dhaad_client *c, uint64_t now_ms, const struct icmp6_dhaad *rep,
		       enum dhaad_drop *why);
uint64_t dhaad_client_next_timeout(const struct dhaad_client *c);
void dhaad_client_tick(struct dhaad_client *c, uint64_t now_ms);

const char *dhaad_drop_name(unsigned why);
const char *dhaad_client_state_name(unsigned s);

#endif
