/*
 * ikeio: the daemon's IKEv2 adapter. It owns the UDP sockets [::]:500 and
 * [::]:4500, the table of IKE SAs (src/ike/ikesa engines), one timer for all
 * of them, and maps the engines' CHILD_SAs onto the ipsecdb of IKE-keyed
 * tunnels (tunnels[].ike-peer).
 *
 * Input: 500 carries bare IKE; 4500 carries IKE after the Non-ESP marker
 * (RFC 3948 2.2), one-octet 0xff NAT keepalives (ignored) and ESP (on our
 * wildcard socket: counted and dropped; the data plane's own 4500 sockets on
 * the tunnels' addresses hand their IKE datagrams to ikeio_fwd_sink()).
 * Dispatch by header SPIs: a request with SPIr 0 by (SPIi, peer address)
 * (a retransmitted IKE_SA_INIT), everything else by our own SPI; a new
 * IKE_SA_INIT request goes to ikesa_accept() behind a per-address rate limit
 * and the half-open bound (ike.half-open-limit).
 *
 * NAT-T (R7296-2.23, RFC 3948): the engine keeps the path it was created on,
 * so the float is ours: an initiator moves to 4500/4500 after IKE_SA_INIT
 * when a NAT was detected, a responder once the peer used 4500. An
 * authenticated message from another address or port moves the SA's path
 * (NAT mapping change) and its CHILD_SAs' outer end and ports
 * (ipsecdb_child_update_path: keys, sequence numbers, windows stay).
 *
 * Timers (one io_timer at the earliest of them, recomputed after each event):
 *   engine          ikesa_next_timeout(): retransmission, half-open expiry
 *   DPD             ike.dpd-interval s of silence -> ikesa_dpd()
 *                   (R7296-1.4.a); unanswered after the adapter's budget of
 *                   ike.retransmit-tries from ike.retransmit-timeout-ms
 *                   (doubling, capped at IKESA_RETX_MAX_MS) -> peer dead
 *   NAT keepalive   ike.nat-keepalive s while behind a NAT (R3948-2.3)
 *   re-initiate     initiate = true peers, IKEIO_REINIT_MIN_MS doubling up
 *                   to IKEIO_REINIT_MAX_MS after each failure
 *   gate secret     IKEIO_GATE_ROTATE_MS (cookie secret, R7296-2.6.c)
 *
 * Rekeying (R7296-2.8): lifetimes and PFS from the configuration; a
 * rekeyed CHILD_SA is installed next to the old pair (make before break)
 * and the old one removed at its child_down; a rekeyed IKE SA replaces the
 * entry's SA in place (children stay in the SAD) while the old one closes.
 * Certificates: ike.certificate / private-key / ca loaded at start and on
 * reload, shared by reference with the SAs created from them.
 *
 * Ownership: the adapter owns every struct ikesa (rekeyed predecessors
 * included); an SA that reached CLOSED is freed from the timer, never
 * inside an engine callback.
 */
#ifndef M6_IKE_IKEIO_H
#define M6_IKE_IKEIO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ikesa.h"

#define IKEIO_PORT 500
#define IKEIO_NATT_PORT 4500
#define IKEIO_CHILD_MAX 4           /* CHILD_SAs kept per IKE SA */
#define IKEIO_REINIT_MIN_MS 1000u
#define IKEIO_REINIT_MAX_MS 60000u
#define IKEIO_GATE_ROTATE_MS 120000u
#define IKEIO_RATE_BURST_FACTOR 2u  /* burst = ike.init-rate-limit (per second) x this */
#define IKEIO_SHUTDOWN_WAIT_MS 200u

struct conf;
struct io_loop;
struct ipsecdb;
struct ikeio;

/* Why the adapter dropped a datagram before (or instead of) an engine. */
enum ikeio_drop {
	IKEIO_DROP_SHORT = 0,     /* shorter than an IKE header */
	IKEIO_DROP_ESP,           /* ESP on the wildcard 4500 socket */
	IKEIO_DROP_NO_SA,         /* no SA for the SPIs */
	IKEIO_DROP_HALF_OPEN,     /* ike.half-open-limit reached */
	IKEIO_DROP_RATE,          /* per-address IKE_SA_INIT rate limit */
	IKEIO_DROP_NO_IKE,        /* no ike section in the configuration */
	IKEIO_DROP_ENGINE,        /* an engine refused it (its own counters say why) */
	IKEIO_DROP_COUNT
};

struct ikeio_counters {
	uint64_t rx, tx, tx_fail, keepalive_rx, keepalive_tx;
	uint64_t drop[IKEIO_DROP_COUNT];
	uint64_t accepted, cookies_sent, ike_up, ike_down, dpd_dead, child_installed, child_install_failed;
	uint64_t path_changes;
	uint64_t mip6_ts_refused; /* CHILD_SAs the mobility policy refused (TS_UNACCEPTABLE) */

	uint64_t ike_rekeyed, child_rekeyed;   /* either side started it */
};

/* A snapshot of one IKE SA for `mip6sec ike`. */
struct ikeio_child_info {
	uint32_t spi_in, spi_out;
	bool udp_encap;
	char tunnel[32];
};
struct ikeio_sa_info {
	const char *peer_name;       /* ike.peers[].name or "" when not matched yet */
	struct ikesa_id peer_id;     /* len 0 before IKE_AUTH */
	enum ikesa_state state;
	bool initiator;
	uint64_t spi_i, spi_r;
	struct ikesa_prop suite;
	bool nat_local, nat_remote, floated;
	struct ikesa_path path;      /* the one we send on */
	uint64_t age_ms, idle_ms;
	const struct ikesa_stats *stats;
	size_t n_children;
	struct ikeio_child_info children[IKEIO_CHILD_MAX];
};

/*
 * Open the sockets on loop and start the initiate = true connections of conf.
 * db is the live ipsecdb (CHILD_SAs go there). conf and db must stay valid
 * until ikeio_set_conf() replaces them or ikeio_free(). Without an ike
 * section the adapter is idle (no sockets). 0, or M6E_* with err filled.
 */
int ikeio_new(struct io_loop *loop, const struct conf *conf, struct ipsecdb *db, struct ikeio **out, char *err,
	      size_t errlen);
/*
 * After a reload, once the caller moved the live pairs with
 * ipsecdb_children_move(db, old): every CHILD_SA that did not move is
 * installed into db; SAs of peers the new conf no longer has are deleted
 * (INFORMATIONAL Delete, their CHILD_SAs removed), new initiate = true peers
 * are started. The old conf and db may be freed afterwards.
 */
void ikeio_set_conf(struct ikeio *io, const struct conf *conf, struct ipsecdb *db);
/* SIGTERM: one INFORMATIONAL Delete(IKE) for every established SA (best
 * effort, no waiting for answers; R7296-1.4.1). Returns how many were sent. */
unsigned ikeio_shutdown(struct ikeio *io);
void ikeio_free(struct ikeio *io);

/* fwd_ike_sink_fn for the data plane's 4500 sockets: msg is the IKE message
 * after the Non-ESP marker. arg is the struct ikeio. */
void ikeio_fwd_sink(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local, uint16_t local_port,
		    const struct in6_addr *remote, uint16_t remote_port);

/* Listing: fn for every SA (stop early with a non-zero return, passed back). */
int ikeio_foreach(const struct ikeio *io, int (*fn)(void *arg, const struct ikeio_sa_info *info), void *arg);
struct ikeio_summary {
	unsigned established, half_open, total;
	const struct ikeio_counters *counters;
	const struct ikesa_gate_stats *gate;   /* NULL without an ike section */
	bool key_dump;
};
void ikeio_summary(const struct ikeio *io, struct ikeio_summary *out);

const char *ikeio_drop_name(enum ikeio_drop d);

/* ---- RFC 4877: the mobility role's hook (owner: src/mobile) ----------------
 *
 * IKE SAs with peers that key no tunnel belong to Mobile IPv6: the home
 * agent answers mobile nodes, a mobile node keys its SAs with its home
 * agent. The adapter runs the IKE side and hands the decisions and the
 * CHILD_SAs to these ops (src/mobile installs them into the ipsecdb MN-HA
 * slots). Without ops such peers get TS_UNACCEPTABLE as before.
 */
struct ikeio_mip6_ops {
	/* Responder policy for a CHILD_SA of a peer that keys no tunnel, with
	 * the contract of ikesa_ops.ts_policy (HA: mip6ike_ha_ts_policy()). */
	int (*ts_policy)(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			 struct ike_ts_list *out_tsr);
	/* A CHILD_SA of such an IKE SA is up: install it. 0 when installed
	 * (child_down follows when it goes); label (for listings) may be set. */
	int (*child_up)(void *arg, const struct ikesa_child *c, char *label, size_t label_len);
	/* An installed CHILD_SA is gone (deleted, rekeyed away, IKE SA down). */
	void (*child_down)(void *arg, uint32_t spi_in);
	/* The ikeio_mip6_connect() IKE SA: established / gone (not after
	 * ikeio_mip6_disconnect()). May be NULL. */
	void (*ike_up)(void *arg);
	void (*ike_down)(void *arg);
	/* The peer refused a CHILD_SA we asked for (notify type). May be NULL. */
	void (*child_failed)(void *arg, uint16_t notify);
};
void ikeio_mip6_set_ops(struct ikeio *io, const struct ikeio_mip6_ops *ops, void *arg);
/* SO_MARK on the IKE sockets: a mobile node's policy routing sends
 * unmarked traffic into its home-address tunnel, but IKE must leave from
 * the care-of address directly. 0 or M6E_IO. */
int ikeio_mip6_set_mark(struct ikeio *io, uint32_t mark);

/* What a mobile node asks its home agent for (mip6ike_mn_plan()). */
#define IKEIO_MIP6_MORE 3
struct ikeio_mip6_conn {
	char peer[32];                /* ike.peers name of the home agent */
	struct in6_addr local, remote; /* care-of address, home agent address */
	struct ikesa_child_req first;  /* in IKE_AUTH (R4877-7.3.c) */
	struct ikesa_child_req more[IKEIO_MIP6_MORE]; /* CREATE_CHILD_SA after ike_up, in order */
	size_t n_more;
};
/* Start the one mobile-node IKE SA from conn->local (replacing a previous
 * one: ikeio_mip6_disconnect() first). No retry of its own: ike_down says
 * it failed. 0, M6E_NOTFOUND (no such peer, no ike section), M6E_INVAL
 * (parameters), M6E_NOMEM, or the engine's error. */
int ikeio_mip6_connect(struct ikeio *io, const struct ikeio_mip6_conn *conn);
/* Drop the connection's CHILD_SAs now (child_down for each), send
 * Delete(IKE) best effort, and forget it (no ike_down). */
void ikeio_mip6_disconnect(struct ikeio *io);
/* The connection's IKE SA is established. */
bool ikeio_mip6_up(const struct ikeio *io);

#endif
