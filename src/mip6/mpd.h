/*
 * Mobile Prefix Discovery engines (RFC 6275 §10.6, §11.4.2, §11.4.3), pure
 * like ha.c / mn.c: no sockets, no clock, no RNG. Messages leave as a
 * struct mpd_tx that the adapter builds with nd_build_mps/_mpa. MPS and MPA
 * are IPsec-protected (RFC 3776 §3.3, R4877-4.2.k/l): the MPS carries a
 * HAO, the MPA a type 2 routing header.
 *
 * HA side (struct mpd_server): answers MPSs from registered MNs with the
 * home prefixes, at most one MPA per second per MN, and sends unsolicited
 * MPAs to registered MNs when the home prefixes change.
 *
 * MN side (struct mpd_client): sends an MPS to its HA and accepts the
 * matching MPA only from that HA, protected, with an RH2.
 *
 * Timers:
 *   server rate limit   MPD_MIN_INTERVAL_MS 1 s per MN (R6275-6.8.a)
 *   server unsolicited  PREFIX_ADV_TIMEOUT 3 s, doubling, at most
 *                       PREFIX_ADV_RETRIES 3, until an MPS acknowledges
 *                       (R6275-10.6.2.d)
 *   client retransmit   INITIAL_SOLICIT_TIMER 3 s, doubling, at most
 *                       PREFIX_ADV_RETRIES 3 retransmissions (R6275-11.8.a)
 */
#ifndef M6_MIP6_MPD_H
#define M6_MIP6_MPD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

/* RFC 6275 §12 (wire-formats.md §K). */
#define MPD_PREFIX_ADV_TIMEOUT_MS 3000u
#define MPD_PREFIX_ADV_RETRIES 3u
#define MPD_MIN_INTERVAL_MS 1000u /* one MPA per second per MN (R6275-6.8.a) */
#define MPD_MN_MAX 64             /* MNs the server tracks for rate and retransmission */
#define MPD_BINDINGS_MAX 64       /* registered MNs asked for at a time */

/* How an MPS/MPA must be protected. */
enum mpd_protect {
	MPD_PROT_NONE = 0,
	MPD_PROT_ESP_MP, /* transport-mode ESP with the MPS/MPA SA of tx->hoa */
};

/* One message for the adapter: type ICMP6_TYPE_MPS or ICMP6_TYPE_MPA. */
struct mpd_tx {
	uint8_t type;
	struct in6_addr src;
	struct in6_addr dst;  /* on the wire: the CoA */
	bool has_hao;         /* MPS: HAO with hoa */
	bool has_rh2;         /* MPA: RH2 with hoa */
	struct in6_addr hoa;
	enum mpd_protect protect;
	struct nd_mp mp;
};

/* Facts the adapter established about a received MPS or MPA. */
struct mpd_rx {
	struct in6_addr src;  /* IPv6 source as on the wire */
	struct in6_addr dst;  /* IPv6 destination after RH2 processing */
	bool has_hao;
	struct in6_addr hao;
	bool has_rh2;
	struct in6_addr rh2;  /* the home address from the RH2 */
	bool esp;             /* arrived in ESP and passed the SPD inbound check */
};

/* Why an MPS or MPA was dropped; stable, for per-reason counters. */
enum mpd_drop {
	MPD_DROP_NONE = 0,
	MPD_DROP_UNPROTECTED,   /* no ESP (RFC 3776 §3.3) */
	MPD_DROP_NO_HAO,        /* MPS without a HAO (R6275-11.4.2.a) */
	MPD_DROP_NOT_REGISTERED,/* MPS from an MN with no binding (R6275-6.8.a) */
	MPD_DROP_RATE,          /* second MPA within a second (R6275-6.8.a) */
	MPD_DROP_NOT_WAITING,   /* MPA with no MPS outstanding (R6275-11.4.3.a) */
	MPD_DROP_SRC,           /* MPA not from the registered HA */
	MPD_DROP_NO_RH2,        /* MPA without an RH2 for our home address */
	MPD_DROP_ID,            /* Identifier does not match the latest MPS */
	MPD_DROP_COUNT
};

/* ---- HA side ---- */

struct mpd_binding {
	struct in6_addr hoa;
	struct in6_addr coa;
};

struct mpd_server_ops {
	int (*send)(void *arg, const struct mpd_tx *tx);
	/* Is hoa registered? *coa gets its care-of address (R6275-6.8.a). */
	bool (*registered)(void *arg, const struct in6_addr *hoa, struct in6_addr *coa);
	/* Up to max registered MNs; returns the count written. */
	unsigned (*bindings)(void *arg, struct mpd_binding *out, unsigned max);
};

struct mpd_mn {
	bool used;
	struct in6_addr hoa;
	bool sent;             /* an MPA went out: last_mpa_ms is valid */
	uint64_t last_mpa_ms;  /* last MPA sent, for the 1 s limit */
	bool pending;          /* unsolicited MPA not yet acknowledged */
	uint16_t id;
	unsigned retx;
	uint32_t timeout_ms;
	uint64_t due_ms;
};

struct mpd_server {
	const struct mpd_server_ops *ops;
	void *arg;
	struct in6_addr self;  /* the HA address MNs register with */
	unsigned n_pio;
	struct nd_pio pio[ND_PIO_MAX]; /* home prefixes, R bit set */
	struct mpd_mn mn[MPD_MN_MAX];
	uint64_t drops[MPD_DROP_COUNT];
};

void mpd_server_init(struct mpd_server *s, const struct in6_addr *self,
		     const struct mpd_server_ops *ops, void *arg);
/*
 * Install the home prefixes (valid/preferred lifetimes in seconds; flags
 * are taken as given plus ND_PIO_R, and the prefix field of any prefix that
 * holds self becomes self, RFC 6275 §7.2). When the set differs from the
 * previous one and notify is true, every registered MN gets an unsolicited
 * MPA with Identifier id (R6275-10.6.2.a). M6E_RANGE for more than
 * ND_PIO_MAX prefixes.
 */
int mpd_server_set_prefixes(struct mpd_server *s, uint64_t now_ms, const struct nd_pio *pio,
			    unsigned n, bool notify, uint16_t id);
/* A parsed MPS with its facts. 0 when an MPA went out; M6E_AGAIN when rate
 * limited, M6E_PROTO otherwise, with *why (may be NULL) set and counted.
 * Any MPS from a registered MN acknowledges its pending unsolicited MPA. */
int mpd_server_input_mps(struct mpd_server *s, uint64_t now_ms, const struct mpd_rx *rx,
			 const struct nd_mp *mps, enum mpd_drop *why);
uint64_t mpd_server_next_timeout(const struct mpd_server *s);
void mpd_server_tick(struct mpd_server *s, uint64_t now_ms);

/* ---- MN side ---- */

enum mpd_client_state {
	MPD_CLIENT_IDLE = 0,
	MPD_CLIENT_WAITING,
	MPD_CLIENT_FAILED,
};

struct mpd_client_ops {
	int (*send)(void *arg, const struct mpd_tx *tx);
	/* An accepted MPA: its prefixes, and whether they differ from the last
	 * accepted set. Process as if from an RA on the home link
	 * (R6275-11.4.3.a). */
	void (*prefixes)(void *arg, const struct nd_mp *mpa, bool changed);
	/* No MPA after the last retransmission. */
	void (*failed)(void *arg);
};

struct mpd_client {
	const struct mpd_client_ops *ops;
	void *arg;
	enum mpd_client_state state;
	struct in6_addr coa, hoa, ha;
	bool have_ha;
	uint16_t id;
	unsigned retx;
	uint32_t timeout_ms;
	uint64_t due_ms;
	bool have_last;
	struct nd_mp last;     /* last accepted MPA */
	uint64_t drops[MPD_DROP_COUNT];
};

void mpd_client_init(struct mpd_client *c, const struct mpd_client_ops *ops, void *arg);
/* Send an MPS from coa (HAO hoa) to ha, the HA of the current home
 * registration, with random Identifier id (R6275-11.4.2.a). */
int mpd_client_start(struct mpd_client *c, uint64_t now_ms, const struct in6_addr *coa,
		     const struct in6_addr *hoa, const struct in6_addr *ha, uint16_t id);
/* A parsed MPA with its facts (R6275-11.4.3.a). 0 when accepted, else
 * M6E_PROTO with *why (may be NULL) set and counted. */
int mpd_client_input_mpa(struct mpd_client *c, uint64_t now_ms, const struct mpd_rx *rx,
			 const struct nd_mp *mpa, enum mpd_drop *why);
uint64_t mpd_client_next_timeout(const struct mpd_client *c);
void mpd_client_tick(struct mpd_client *c, uint64_t now_ms);

const char *mpd_drop_name(unsigned why);
const char *mpd_client_state_name(unsigned st);

#endif
