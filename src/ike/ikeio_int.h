/*
 * ikeio_int.h: the state the IKE adapter's files share (private to
 * src/ike/ikeio*.c; the public contract is ikeio.h).
 *
 *   ikeio.c        SA table, engine callbacks, credentials, entries,
 *                  connections, the timer, life cycle, listings
 *   ikeio_net.c    sockets, receive / dispatch, send, NAT-T float and
 *                  mapping changes, NAT keepalives
 *   ikeio_child.c  CHILD_SAs into the ipsecdb
 *   ikeio_dump.c   the debug key dump
 *   ikeio_mip6.c   the RFC 4877 hook
 */
#ifndef M6_IKE_IKEIO_INT_H
#define M6_IKE_IKEIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "ike/ikeio.h"
#include "ike/ikesa.h"
#include "wire/ike.h"

struct io_timer;
struct io_watch;

#define IKEIO_HASH 256u
#define IKEIO_RATE_SLOTS 64u
#define IKEIO_RX_BURST 32u     /* datagrams read per readable event */
#define IKEIO_NAT_KEEPALIVE 0xffu /* RFC 3948 2.3: one octet */
#define IKEIO_OLD_MAX 4u       /* rekeyed IKE SAs of one entry still closing */

/*
 * What the adapter keeps of one CHILD_SA. Once a pair is in the SAD the SAD
 * holds its keys, and a reload moves them (ipsecdb_children_move) with the
 * sequence numbers; the adapter needs only the SPIs, the encapsulation and
 * the tunnel (listing, soft limits, the NAT path update, deletes). The whole
 * negotiated record (KEYMAT, selectors: ~1.7 KB) stays on the heap only
 * while it may still be installed from it: a pair whose install failed
 * (tried again on reload and on a path change), and an MN-HA pair, which the
 * mip6 ops classify by its selectors when a reload did not move it.
 */
struct ikeio_child {
	bool used;
	bool installed;          /* in the current db */
	bool rekey_asked;        /* the SAD's soft limit made it DYING: rekey requested */
	bool mip6;               /* an MN-HA CHILD_SA: the mip6 ops own its installation */
	bool udp_encap;
	uint32_t spi_in, spi_out;
	char tunnel[CONF_IFNAME_MAX];
	struct ikesa_child *keep; /* heap copy (see above) or NULL; wiped when freed */
};

struct ikeio_conn;

/* A certificate credential shared by the SAs created while it was current;
 * a reload loads a new one and the old one lives until its last SA is freed
 * (ikesa_params.cred must outlive the SA). */
struct ikeio_cred {
	struct ikeauth_cred *cred;
	unsigned refs;           /* the adapter's own while current + one per SA */
};

/* One IKE SA and what the adapter knows about it. */
struct ikeio_sa {
	struct ikeio *io;
	struct ikesa *sa;
	/* Rekeyed predecessors of sa (R7296-1.3.2): their Delete is still under
	 * way; oldest first, each freed once CLOSED and before its successor.
	 * Found by their own SPIs through find_old(). */
	struct ikesa *old[IKEIO_OLD_MAX];
	unsigned n_old;
	struct ikeio_cred *cred; /* the credential sa's params point to, or NULL */
	struct ikeio_sa *next;                     /* io->all */
	struct ikeio_sa *next_init, *next_own;     /* hash chains */
	bool in_init, in_own;
	uint64_t key_init, key_own;
	bool gate;               /* the stateless gate's send context: path as given */
	struct ikesa_path cur;   /* where we send: the float and NAT mapping changes land here */
	bool floated;
	bool dead;               /* CLOSED (or given up): freed from the timer */
	bool up;                 /* ike_up reported */
	bool wrong_peer;         /* authenticated, but not as the peer we initiated to */
	char peer_name[CONF_NAME_MAX];
	char tunnel[CONF_IFNAME_MAX];
	struct ikeio_conn *conn; /* the initiate = true connection it serves, or NULL */
	bool mip6;               /* Mobile IPv6 (RFC 4877): CHILD_SAs go to io->mip6_ops */
	bool mip6_replaced;      /* older IKE SAs of the same mobile node deleted */
	uint64_t created_ms;
	uint64_t dpd_sent_ms;    /* 0: no liveness check of ours outstanding */
	uint64_t keepalive_ms;   /* last NAT keepalive sent */
	struct ikeio_child child[IKEIO_CHILD_MAX];
};

/* An ike.peers entry with initiate = true. */
struct ikeio_conn {
	struct ikeio_conn *next;
	char peer[CONF_NAME_MAX];
	struct ikeio_sa *sa;
	uint64_t next_try_ms;
	uint32_t backoff_ms;
	bool keep;               /* mark for ikeio_set_conf() */
};

struct ikeio_rate {
	struct in6_addr addr;
	uint64_t last_ms;
	uint64_t milli_tokens;
};

struct ikeio {
	struct io_loop *loop;
	const struct conf *conf;
	struct ipsecdb *db;
	bool enabled;            /* an ike section with valid parameters */
	bool shutting_down;
	struct ikesa_params params;
	struct ikeio_cred *cred; /* current credential (ike.certificate & co.), or NULL */
	unsigned n_old;          /* rekeyed IKE SAs still closing, all entries */
	int fd_ike, fd_natt;
	struct io_watch *w_ike, *w_natt;
	struct io_timer *timer;
	struct ikesa_gate *gate;
	struct ikeio_sa gate_ctx;
	struct ikeio_sa *spare;  /* an entry for the next IKE_SA_INIT, kept when it was refused */
	struct ikeio_sa *all;
	struct ikeio_sa *h_init[IKEIO_HASH], *h_own[IKEIO_HASH];
	struct ikeio_conn *conns;
	struct ikeio_rate rate[IKEIO_RATE_SLOTS];
	uint64_t next_rotate_ms;
	struct ikeio_counters cnt;
	/* RFC 4877 hook (ikeio_mip6_*): ops, and a mobile node's one connection. */
	const struct ikeio_mip6_ops *mip6_ops;
	void *mip6_arg;
	struct ikeio_mip6_conn mip6_conn;
	struct ikeio_sa *mip6_sa;
	size_t mip6_next; /* next mip6_conn.more[] to ask for */
	uint64_t mip6_pump_at; /* ask for it from the timer at this time (0: nothing to ask) */
	/* IKE_AUTH with a certificate chain from a peer that does not
	 * fragment (RFC 7383 is optional) fits whole. */
	uint8_t rx[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_BIG + 64];
	uint8_t tx[IKE_NON_ESP_MARKER_LEN + IKESA_MSG_BIG];
};

static inline const struct conf_ike *ikeio_conf_ike(const struct ikeio *io)
{
	const struct conf_ike *ike = conf_ike(io->conf);
	return ike != NULL && ike->present ? ike : NULL;
}

/* ---- ikeio.c: the table, entries, the timer ----------------------------
 * ikeio_index(): (re-)index e by its SA's SPIs after creation, a rekey or a
 * path move; ikeio_find_*(): by SPIs (ikeio_find_old: a rekeyed
 * predecessor still closing, returned in *sa). ikeio_sa_down(): children out
 * of the SAD, the entry freed later from the timer. ikeio_rearm(): after
 * every event. */
void ikeio_index(struct ikeio *io, struct ikeio_sa *e);
struct ikeio_sa *ikeio_find_init(struct ikeio *io, uint64_t spi_i, const struct in6_addr *peer);
struct ikeio_sa *ikeio_find_own(struct ikeio *io, uint64_t spi, bool we_initiated);
struct ikeio_sa *ikeio_find_old(struct ikeio *io, uint64_t spi, bool we_initiated, struct ikesa **sa);
void ikeio_sa_down(struct ikeio_sa *e, enum ikesa_down reason);
extern const struct ikesa_ops ikeio_ops;
struct ikeio_cred *ikeio_cred_get(struct ikeio_cred *c);
struct ikeio_sa *ikeio_entry_new(struct ikeio *io);
void ikeio_entry_link(struct ikeio *io, struct ikeio_sa *e, uint64_t now);
void ikeio_new_responder(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *path, bool natt,
			 uint64_t now);
void ikeio_rearm(struct ikeio *io);
void ikeio_on_timer(void *arg);

/* ---- ikeio_net.c ----------------------------------------------------------
 * ikeio_net_send(): one datagram on p (the Non-ESP marker on 4500 unless
 * raw); 0, M6E_RANGE or M6E_IO. ikeio_net_open(): the sockets, their
 * watches, the timer and the cookie gate; 0 or M6E_* with err filled. */
int ikeio_net_send(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *p, bool raw);
void ikeio_net_float(struct ikeio_sa *e, uint16_t peer_port);
void ikeio_net_keepalive(struct ikeio *io, struct ikeio_sa *e, uint64_t now);
int ikeio_net_open(struct ikeio *io, char *err, size_t errlen);

/* ---- ikeio_child.c --------------------------------------------------------
 * ikeio_child_op_*: the engine's child_up / child_failed / child_down.
 * ikeio_children_reconf(): after a reload (io->conf, io->db the new ones). */
void ikeio_child_keep(struct ikeio_child *ch, const struct ikesa_child *c);
void ikeio_child_set(struct ikeio_child *ch, const struct ikesa_child *c);
void ikeio_children_path_moved(struct ikeio_sa *e);
void ikeio_children_drop(struct ikeio_sa *e);
void ikeio_children_reconf(struct ikeio_sa *e, uint64_t now);
void ikeio_child_op_up(void *arg, const struct ikesa_child *c);
void ikeio_child_op_failed(void *arg, const struct ikesa *sa, uint16_t notify);
void ikeio_child_op_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out);
void ikeio_child_soft_limits(struct ikeio *io, struct ikeio_sa *e, uint64_t now);

/* ---- ikeio_dump.c: write only when ike.key-dump is set (SENSITIVE) ------- */
void ikeio_dump_ike(struct ikeio_sa *e);
void ikeio_dump_esp(struct ikeio_sa *e, const struct ikesa_child *c);

/* ---- ikeio_mip6.c: called from the engine callbacks and the timer -------- */
int ikeio_mip6_ts_policy(struct ikeio_sa *e, const struct conf_ike_peer *p, const struct ikesa_id *peer,
			 const struct ike_ts_list *tsi, const struct ike_ts_list *tsr, bool *transport,
			 struct ike_ts_list *out_tsi, struct ike_ts_list *out_tsr);
void ikeio_mip6_child_up(struct ikeio_sa *e, const struct ikesa_child *c);
void ikeio_mip6_child_failed(struct ikeio_sa *e, uint16_t notify);
void ikeio_mip6_pump(struct ikeio *io);
void ikeio_mip6_ike_up(struct ikeio_sa *e);
void ikeio_mip6_sa_gone(struct ikeio_sa *e);

#endif
