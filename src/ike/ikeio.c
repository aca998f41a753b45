/*
 * ikeio: the IKEv2 adapter on the daemon's loop (ikeio.h). Sockets,
 * dispatch by SPIs, NAT-T float, the one timer, CHILD_SAs into ipsecdb.
 * Policy lookups live in ikepeer.c.
 */
#include "ike/ikeio.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"
#include "conf/conf.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"
#include "ike/ikeauth.h"
#include "ike/ikepeer.h"
#include "io/timer.h"
#include "io/watch.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/sa.h"
#include "ipsec/sad.h"
#include "wire/ike.h"

#define IKEIO_HASH 256u
#define IKEIO_RATE_SLOTS 64u
#define IKEIO_RX_BURST 32u     /* datagrams read per readable event */
#define NAT_KEEPALIVE 0xffu    /* RFC 3948 2.3: one octet */
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

static const char *const drop_names[IKEIO_DROP_COUNT] = {
	[IKEIO_DROP_SHORT] = "short",       [IKEIO_DROP_ESP] = "esp_on_wildcard",
	[IKEIO_DROP_NO_SA] = "no_sa",       [IKEIO_DROP_HALF_OPEN] = "half_open_limit",
	[IKEIO_DROP_RATE] = "rate_limit",   [IKEIO_DROP_NO_IKE] = "no_ike_config",
	[IKEIO_DROP_ENGINE] = "engine",
};

const char *ikeio_drop_name(enum ikeio_drop d)
{
	return (unsigned)d < IKEIO_DROP_COUNT ? drop_names[d] : "unknown";
}

static const struct conf_ike *io_ike(const struct ikeio *io)
{
	const struct conf_ike *ike = conf_ike(io->conf);
	return ike != NULL && ike->present ? ike : NULL;
}

/* ---- the SA table ---------------------------------------------------------- */

static unsigned hash_init(uint64_t spi_i, const struct in6_addr *peer)
{
	uint64_t h = spi_i;
	for (unsigned i = 0; i < 16; i++)
		h = h * 1099511628211ull ^ peer->s6_addr[i];
	return (unsigned)(h ^ (h >> 29)) % IKEIO_HASH;
}

static unsigned hash_own(uint64_t spi)
{
	return (unsigned)(spi ^ (spi >> 31)) % IKEIO_HASH;
}

static void unindex(struct ikeio *io, struct ikeio_sa *e)
{
	if (e->in_init) {
		struct ikeio_sa **pp = &io->h_init[hash_init(e->key_init, &e->cur.remote)];
		for (; *pp != NULL; pp = &(*pp)->next_init)
			if (*pp == e) {
				*pp = e->next_init;
				break;
			}
		e->in_init = false;
	}
	if (e->in_own) {
		struct ikeio_sa **pp = &io->h_own[hash_own(e->key_own)];
		for (; *pp != NULL; pp = &(*pp)->next_own)
			if (*pp == e) {
				*pp = e->next_own;
				break;
			}
		e->in_own = false;
	}
}

/*
 * (Re-)index e by its SA's SPIs: a responder also by (SPIi, peer) for
 * retransmitted IKE_SA_INIT requests; everyone by the SPI we chose. Called
 * after creation and whenever the SA behind e changes (rekeying) or its
 * peer address moves.
 */
static void ikeio_index(struct ikeio *io, struct ikeio_sa *e)
{
	unindex(io, e);
	bool init = ikesa_is_initiator(e->sa);
	if (!init) {
		e->key_init = ikesa_spi_i(e->sa);
		unsigned b = hash_init(e->key_init, &e->cur.remote);
		e->next_init = io->h_init[b];
		io->h_init[b] = e;
		e->in_init = true;
	}
	e->key_own = init ? ikesa_spi_i(e->sa) : ikesa_spi_r(e->sa);
	if (e->key_own != 0) {
		unsigned b = hash_own(e->key_own);
		e->next_own = io->h_own[b];
		io->h_own[b] = e;
		e->in_own = true;
	}
}

static struct ikeio_sa *find_init(struct ikeio *io, uint64_t spi_i, const struct in6_addr *peer)
{
	for (struct ikeio_sa *e = io->h_init[hash_init(spi_i, peer)]; e != NULL; e = e->next_init)
		if (!e->dead && e->key_init == spi_i && addr_eq(&e->cur.remote, peer))
			return e;
	return NULL;
}

static struct ikeio_sa *find_own(struct ikeio *io, uint64_t spi, bool we_initiated)
{
	for (struct ikeio_sa *e = io->h_own[hash_own(spi)]; e != NULL; e = e->next_own)
		if (!e->dead && e->key_own == spi && ikesa_is_initiator(e->sa) == we_initiated)
			return e;
	return NULL;
}

/* A rekeyed IKE SA still closing (its Delete, or the peer's): by our SPI. */
static struct ikeio_sa *find_old(struct ikeio *io, uint64_t spi, bool we_initiated, struct ikesa **sa)
{
	if (io->n_old == 0)
		return NULL;
	for (struct ikeio_sa *e = io->all; e != NULL; e = e->next)
		for (unsigned i = 0; i < e->n_old; i++) {
			bool init = ikesa_is_initiator(e->old[i]);
			if (init == we_initiated && (init ? ikesa_spi_i(e->old[i]) : ikesa_spi_r(e->old[i])) == spi) {
				*sa = e->old[i];
				return e;
			}
		}
	return NULL;
}

static unsigned count_half_open(const struct ikeio *io)
{
	unsigned n = 0;
	for (const struct ikeio_sa *e = io->all; e != NULL; e = e->next)
		if (!e->dead && ikesa_state(e->sa) == IKESA_INIT_DONE)
			n++;
	return n;
}

/* ---- sockets --------------------------------------------------------------- */

static int udp_open(uint16_t port, char *err, size_t errlen)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return M6E_IO;
	}
	/* The data plane binds the tunnels' own addresses on 4500 too. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		close(fd);
		return M6E_IO;
	}
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any, .sin6_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		int e = errno;
		snprintf(err, errlen, "bind [::]:%u: %s", port, strerror(e));
		close(fd);
		return e == EADDRINUSE ? M6E_EXISTS : M6E_IO;
	}
	return fd;
}

/* One datagram from p->local (IPV6_PKTINFO) on the socket of p->local_port;
 * on 4500 the Non-ESP marker goes first unless raw (keepalives). */
static int sock_send(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *p, bool raw)
{
	bool natt = p->local_port == IKEIO_NATT_PORT;
	size_t off = natt && !raw ? IKE_NON_ESP_MARKER_LEN : 0;
	if (len + off > sizeof(io->tx))
		return M6E_RANGE;
	memset(io->tx, 0, off);
	memcpy(io->tx + off, msg, len);
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = p->remote, .sin6_port = htons(p->remote_port) };
	struct iovec iov = { .iov_base = io->tx, .iov_len = len + off };
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	memset(&cbuf, 0, sizeof(cbuf));
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	struct in6_pktinfo pi = { .ipi6_addr = p->local };
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(natt ? io->fd_natt : io->fd_ike, &mh, 0) < 0) {
		io->cnt.tx_fail++;
		char a[ADDR_STRLEN];
		LOG_RL(LOG_LVL_INFO, LOG_SUB_IKE, "send to [%s]:%u: %s", addr_fmt(&p->remote, a, sizeof(a)),
		       p->remote_port, strerror(errno));
		return M6E_IO;
	}
	io->cnt.tx++;
	return 0;
}

/* R7296-2.23: after IKE_SA_INIT everything moves to 4500/4500 with the
 * Non-ESP marker; the engine keeps its creation path, the float is ours. */
static void float_to_natt(struct ikeio_sa *e, uint16_t peer_port)
{
	if (e->floated)
		return;
	e->floated = true;
	e->cur.local_port = IKEIO_NATT_PORT;
	e->cur.remote_port = peer_port;
	LOG_DEBUG(LOG_SUB_IKE, "IKE SA %016llx moves to port %u", (unsigned long long)ikesa_spi_i(e->sa),
		  IKEIO_NATT_PORT);
}

/* ---- key dump (opt-in, SENSITIVE) ------------------------------------------ */

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static FILE *dump_open(const struct ikeio *io)
{
	const struct conf_ike *ike = io_ike(io);
	if (ike == NULL || ike->key_dump[0] == '\0')
		return NULL;
	int fd = open(ike->key_dump, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		LOG_RL(LOG_LVL_WARN, LOG_SUB_IKE, "key dump %s: %s", ike->key_dump, strerror(errno));
		return NULL;
	}
	FILE *f = fdopen(fd, "a");
	if (f == NULL)
		close(fd);
	return f;
}

/* tshark's names for the ikev2_decryption_table algorithms. */
static const char *tshark_ike_encr(const struct ikesa_prop *s)
{
	if (s->encr == XFORM_ENCR_AES_GCM_16)
		return s->key_bits == 256 ? "AES-GCM-256 with 16 octet ICV [RFC5282]"
					  : "AES-GCM-128 with 16 octet ICV [RFC5282]";
	if (s->encr == XFORM_ENCR_AES_CBC)
		return s->key_bits == 256 ? "AES-CBC-256 [RFC3602]" : "AES-CBC-128 [RFC3602]";
	return NULL;
}

/* One ikev2_decryption_table record per IKE SA: "ikev2_decryption_table:"
 * then the record, ready for tshark -o uat:LINE. */
static void dump_ike(struct ikeio_sa *e)
{
	FILE *f = dump_open(e->io);
	if (f == NULL)
		return;
	struct ikesa_sk_dump k;
	if (ikesa_debug_sk_dump(e->sa, &k) == 0 && tshark_ike_encr(&k.suite) != NULL) {
		fprintf(f, "ikev2_decryption_table:%016llx,%016llx,", (unsigned long long)k.spi_i,
			(unsigned long long)k.spi_r);
		hex(f, k.sk_ei, k.encr_len);
		fputc(',', f);
		hex(f, k.sk_er, k.encr_len);
		fprintf(f, ",\"%s\",", tshark_ike_encr(&k.suite));
		hex(f, k.sk_ai, k.integ_len);
		fputc(',', f);
		hex(f, k.sk_ar, k.integ_len);
		fprintf(f, ",\"%s\"\n", k.integ_len != 0 ? "HMAC_SHA2_256_128 [RFC4868]" : "NONE [RFC4306]");
		LOG_WARN(LOG_SUB_IKE, "IKE SA %016llx keys written to the key dump", (unsigned long long)k.spi_i);
	}
	OPENSSL_cleanse(&k, sizeof(k));
	fclose(f);
}

/* Two esp_sa records (each direction) for tshark -o uat:LINE. */
static void dump_esp_one(FILE *f, const struct in6_addr *src, const struct in6_addr *dst, uint32_t spi,
			 const struct ikesa_child *c, const uint8_t *km)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN];
	bool gcm = c->encr == XFORM_ENCR_AES_GCM_16;
	size_t ek = gcm ? c->keymat_len : (size_t)c->key_bits / 8;
	fprintf(f, "esp_sa:\"IPv6\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x", addr_fmt(src, s, sizeof(s)),
		addr_fmt(dst, d, sizeof(d)), spi, gcm ? "AES-GCM with 16 octet ICV [RFC4106]" : "AES-CBC [RFC3602]");
	hex(f, km, ek);
	fprintf(f, "\",\"%s\",\"", gcm ? "NULL" : "HMAC-SHA-256-128 [RFC4868]");
	if (!gcm) {
		fputs("0x", f);
		hex(f, km + ek, c->keymat_len - ek);
	}
	fputs("\"\n", f);
}

static void dump_esp(struct ikeio_sa *e, const struct ikesa_child *c)
{
	if (c->encr != XFORM_ENCR_AES_GCM_16 && c->encr != XFORM_ENCR_AES_CBC)
		return;
	FILE *f = dump_open(e->io);
	if (f == NULL)
		return;
	dump_esp_one(f, &e->cur.local, &e->cur.remote, c->spi_out, c, c->keymat_out);
	dump_esp_one(f, &e->cur.remote, &e->cur.local, c->spi_in, c, c->keymat_in);
	fclose(f);
}

/* ---- CHILD_SAs into the ipsecdb -------------------------------------------- */

/* Keep a copy of c to install from later (struct ikeio_child). */
static void child_keep(struct ikeio_child *ch, const struct ikesa_child *c)
{
	if (ch->keep == NULL && (ch->keep = malloc(sizeof(*ch->keep))) == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x: no memory to keep its keys for a later install", c->spi_in);
		return;
	}
	*ch->keep = *c;
}

static void child_forget(struct ikeio_child *ch)
{
	if (ch->keep == NULL)
		return;
	OPENSSL_cleanse(ch->keep, sizeof(*ch->keep));
	free(ch->keep);
	ch->keep = NULL;
}

/* Install the pair c of ch into the tunnel ch->tunnel. */
static int child_install(struct ikeio_sa *e, struct ikeio_child *ch, const struct ikesa_child *c)
{
	struct ikeio *io = e->io;
	/* With UDP encapsulation ESP follows IKE's ports (RFC 3948 2.1). */
	uint16_t lport = e->floated ? e->cur.local_port : IKEIO_NATT_PORT;
	uint16_t rport = e->floated ? e->cur.remote_port : IKEIO_NATT_PORT;
	struct ipsecdb_child ic = {
		.spi_in = c->spi_in,
		.spi_out = c->spi_out,
		.alg = c->alg,
		.keymat_in = c->keymat_in,
		.keymat_out = c->keymat_out,
		.keymat_len = c->keymat_len,
		.esn = false,
		.local = e->cur.local,
		.remote = e->cur.remote,
		.udp_encap = c->udp_encap,
		.local_port = c->udp_encap ? lport : 0,
		.remote_port = c->udp_encap ? rport : 0,
	};
	char err[256] = "";
	int rc = ipsecdb_child_install(io->db, ch->tunnel, &ic, clock_mono_ms(), err, sizeof(err));
	ch->installed = rc == 0;
	if (rc != 0) {
		io->cnt.child_install_failed++;
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x not installed in tunnel %s: %s", c->spi_in, c->spi_out,
			 ch->tunnel, err[0] ? err : err_str(rc));
		return rc;
	}
	io->cnt.child_installed++;
	return 0;
}

/* A pair that is not in the db (its install failed, or the SAD lost it):
 * install it from the kept copy, which goes once the SAD holds the keys. */
static void child_retry(struct ikeio_sa *e, struct ikeio_child *ch)
{
	if (ch->keep == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: not in the SAD and no keys kept to install it", ch->spi_in,
			 ch->spi_out);
		return;
	}
	if (child_install(e, ch, ch->keep) == 0 && !ch->mip6)
		child_forget(ch);
}

static void child_set(struct ikeio_child *ch, const struct ikesa_child *c)
{
	ch->used = true;
	ch->spi_in = c->spi_in;
	ch->spi_out = c->spi_out;
	ch->udp_encap = c->udp_encap;
}

static void child_drop(struct ikeio_sa *e, struct ikeio_child *ch)
{
	if (ch->installed && ch->mip6 && e->io->mip6_ops != NULL)
		e->io->mip6_ops->child_down(e->io->mip6_arg, ch->spi_in);
	else if (ch->installed)
		ipsecdb_child_remove(e->io->db, ch->spi_in);
	child_forget(ch);
	memset(ch, 0, sizeof(*ch));
}

static void children_drop(struct ikeio_sa *e)
{
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
		if (e->child[i].used)
			child_drop(e, &e->child[i]);
}

/* ---- engine callbacks ------------------------------------------------------ */

/* The RFC 4877 hook, at the end of the file. */
static int mip6_ts_policy(struct ikeio_sa *e, const struct conf_ike_peer *p, const struct ikesa_id *peer,
			  const struct ike_ts_list *tsi, const struct ike_ts_list *tsr, bool *transport,
			  struct ike_ts_list *out_tsi, struct ike_ts_list *out_tsr);
static void mip6_child_up(struct ikeio_sa *e, const struct ikesa_child *c);
static void mip6_ike_up(struct ikeio_sa *e);
static void mip6_sa_gone(struct ikeio_sa *e);
static void mip6_child_failed(struct ikeio_sa *e, uint16_t notify);
static void mip6_pump(struct ikeio *io);

static int op_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct ikeio_sa *e = arg;
	if (e->gate)
		return sock_send(e->io, msg, len, path, false);
	bool init = len > 18 && msg[18] == IKE_EXCH_SA_INIT;
	if (!init && e->sa != NULL && (ikesa_nat_local(e->sa) || ikesa_nat_remote(e->sa)))
		float_to_natt(e, IKEIO_NATT_PORT);
	return sock_send(e->io, msg, len, &e->cur, false);
}

static void op_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	if (crypto_random(buf, len) != 0) {
		/* Nothing safe to hand out: the SA fails its exchange instead. */
		LOG_ERR(LOG_SUB_IKE, "no randomness");
		memset(buf, 0, len);
	}
}

static const uint8_t *op_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct ikeio_sa *e = arg;
	const struct conf_ike_peer *p = ikepeer_by_id(e->io->conf, id);
	if (p == NULL || p->auth != CONF_IKE_PSK || p->psk.len == 0)
		return NULL;
	*len = p->psk.len;
	return p->psk.data;
}

/* R3776-4.2.k, RFC 4877 4.4: a peer gets a CHILD_SA only for the tunnel that
 * names it, and only for that tunnel's prefixes (narrowed, R7296-2.9.a). */
static int op_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			struct ike_ts_list *out_tsr)
{
	struct ikeio_sa *e = arg;
	const struct conf_ike_peer *p = ikepeer_by_id(e->io->conf, peer);
	const struct conf_tunnel *t = p != NULL ? ikepeer_tunnel(e->io->conf, p->name) : NULL;
	if (t == NULL && p != NULL && e->io->mip6_ops != NULL && e->io->mip6_ops->ts_policy != NULL)
		return mip6_ts_policy(e, p, peer, tsi, tsr, transport, out_tsi, out_tsr);
	if (t == NULL) {
		LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA refused: %s %.*s keys no tunnel", p ? "peer" : "unknown identity",
			   peer->type == CONF_ID_IPV6 ? 0 : peer->len, (const char *)peer->data);
		return M6E_PERM;
	}
	*transport = false; /* site tunnels: tunnel mode */
	if (ikepeer_narrow(tsi, t->remote_prefixes, t->n_remote_prefixes, out_tsi) != 0 ||
	    ikepeer_narrow(tsr, t->local_prefixes, t->n_local_prefixes, out_tsr) != 0) {
		LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA refused: peer %s proposed selectors outside tunnel %s", p->name,
			   t->name);
		return M6E_PERM;
	}
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	snprintf(e->tunnel, sizeof(e->tunnel), "%s", t->name);
	return 0;
}

static void op_ike_up(void *arg, const struct ikesa *sa)
{
	struct ikeio_sa *e = arg;
	struct ikeio *io = e->io;
	const struct ikesa_prop *s = ikesa_suite(sa);
	const struct conf_ike_peer *p = ikepeer_by_id(io->conf, ikesa_peer_id(sa));
	if (e->conn != NULL && (p == NULL || strcmp(p->name, e->conn->peer) != 0)) {
		/* We sent no IDr (a DN peer): the certified identity must still be
		 * the one this connection is for (R7296-2.15, RFC 4945 3.1). */
		LOG_NOTICE(LOG_SUB_IKE, "peer %s: the responder authenticated as another identity, deleting",
			   e->conn->peer);
		e->wrong_peer = true; /* no CHILD_SA; deleted after the engine call */
		return;
	}
	if (p != NULL)
		snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	e->up = true;
	io->cnt.ike_up++;
	if (e->conn != NULL)
		e->conn->backoff_ms = IKEIO_REINIT_MIN_MS;
	char a[ADDR_STRLEN];
	static const char *const nat[4] = { "none", "local (we are behind a NAT)", "remote", "both sides" };
	LOG_NOTICE(LOG_SUB_IKE, "IKE SA %016llx_i %016llx_r with %s [%s]:%u up as %s, suite %u/%u/%u/%u/%u, NAT %s",
		   (unsigned long long)ikesa_spi_i(sa), (unsigned long long)ikesa_spi_r(sa),
		   e->peer_name[0] ? e->peer_name : "?", addr_fmt(&e->cur.remote, a, sizeof(a)), e->cur.remote_port,
		   ikesa_is_initiator(sa) ? "initiator" : "responder", s->encr, s->key_bits, s->integ, s->prf, s->dh,
		   nat[(ikesa_nat_local(sa) ? 1 : 0) + (ikesa_nat_remote(sa) ? 2 : 0)]);
	const struct frag_stats *fs = ikesa_frag_stats(sa);
	LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx_i: AUTH method ours %u peer's %u; fragments sent %llu, received %llu "
		 "(%llu messages reassembled)", (unsigned long long)ikesa_spi_i(sa), ikesa_our_auth_method(sa),
		 ikesa_peer_auth_method(sa), (unsigned long long)fs->sent, (unsigned long long)fs->stored,
		 (unsigned long long)fs->completed);
	dump_ike(e);
	if (e->mip6)
		mip6_ike_up(e);
}

static void schedule_reinit(struct ikeio *io, struct ikeio_conn *c)
{
	uint64_t now = clock_mono_ms();
	c->next_try_ms = now + c->backoff_ms;
	LOG_INFO(LOG_SUB_IKE, "peer %s: initiating again in %u ms", c->peer, c->backoff_ms);
	c->backoff_ms = c->backoff_ms >= IKEIO_REINIT_MAX_MS / 2 ? IKEIO_REINIT_MAX_MS : c->backoff_ms * 2;
	(void)io;
}

/* The SA is gone (engine's ike_down, or the adapter gave it up): children
 * out of the SAD, a connection re-initiates. Freed later from the timer. */
static void sa_down(struct ikeio_sa *e, enum ikesa_down reason)
{
	struct ikeio *io = e->io;
	if (e->dead)
		return;
	e->dead = true;
	io->cnt.ike_down++;
	children_drop(e);
	mip6_sa_gone(e);
	LOG_NOTICE(LOG_SUB_IKE, "IKE SA %016llx_i %016llx_r with %s down: %s",
		   (unsigned long long)ikesa_spi_i(e->sa), (unsigned long long)ikesa_spi_r(e->sa),
		   e->peer_name[0] ? e->peer_name : "?", ikesa_down_name(reason));
	if (e->conn != NULL) {
		e->conn->sa = NULL;
		if (!io->shutting_down && reason != IKESA_DOWN_LOCAL_DELETE)
			schedule_reinit(io, e->conn);
		e->conn = NULL;
	}
}

static void op_ike_down(void *arg, const struct ikesa *sa, enum ikesa_down reason)
{
	struct ikeio_sa *e = arg;
	if (e->sa != NULL && sa != e->sa) {
		/* A rekeyed predecessor: its children live on in e->sa
		 * (IKESA_DOWN_REKEYED, or its Delete went unanswered). */
		LOG_INFO(LOG_SUB_IKE, "old IKE SA %016llx_i %016llx_r closed: %s", (unsigned long long)ikesa_spi_i(sa),
			 (unsigned long long)ikesa_spi_r(sa), ikesa_down_name(reason));
		return;
	}
	sa_down(e, reason);
}

/* R7296-1.3.2.a: the IKE SA was rekeyed. The entry carries on with new_sa
 * (its CHILD_SAs stay installed: the engine moved them, the SAD keeps the
 * pairs); old_sa is kept until its Delete closes it. new_sa calls back with
 * the same arg, so one entry serves both. */
static void op_ike_rekeyed(void *arg, struct ikesa *old_sa, struct ikesa *new_sa)
{
	struct ikeio_sa *e = arg;
	struct ikeio *io = e->io;
	if (e->n_old == IKEIO_OLD_MAX) {
		/* Cannot happen with lifetimes of minutes; the oldest has no
		 * predecessor pointing at it, so it may go first. */
		LOG_WARN(LOG_SUB_IKE, "IKE SA %016llx: too many rekeyed SAs closing, dropping the oldest",
			 (unsigned long long)ikesa_spi_i(old_sa));
		ikesa_free(e->old[0]);
		memmove(&e->old[0], &e->old[1], (IKEIO_OLD_MAX - 1) * sizeof(e->old[0]));
		e->n_old--;
		io->n_old--;
	}
	io->n_old++;
	if (e->sa != old_sa) {
		/* A predecessor still closing was rekeyed (a peer should not,
		 * R7296-1.3.2.a): keep its offspring among the old ones, without
		 * children, freed with the entry at the latest. */
		LOG_WARN(LOG_SUB_IKE, "IKE SA %016llx: a rekeyed SA was rekeyed again",
			 (unsigned long long)ikesa_spi_i(old_sa));
		e->old[e->n_old++] = new_sa;
		return;
	}
	e->old[e->n_old++] = old_sa;
	e->sa = new_sa;
	e->dpd_sent_ms = 0;
	ikeio_index(io, e);
	io->cnt.ike_rekeyed++;
	LOG_NOTICE(LOG_SUB_IKE, "IKE SA %016llx_i %016llx_r with %s rekeyed (%s rekey): now %016llx_i %016llx_r",
		   (unsigned long long)ikesa_spi_i(old_sa), (unsigned long long)ikesa_spi_r(old_sa),
		   e->peer_name[0] ? e->peer_name : "?", ikesa_is_initiator(new_sa) ? "our" : "peer's",
		   (unsigned long long)ikesa_spi_i(new_sa),
		   (unsigned long long)ikesa_spi_r(new_sa));
	dump_ike(e);
}

/* R4303-2.1.a: the inbound SPI of a new CHILD_SA must not name an SA we
 * already have (another peer's CHILD_SA, a manual SA). */
static bool op_spi_taken(void *arg, uint32_t spi)
{
	struct ikeio_sa *e = arg;
	return e->io->db != NULL && sad_lookup(ipsecdb_sad(e->io->db), SA_DIR_IN, spi) != NULL;
}

static void op_child_up(void *arg, const struct ikesa_child *c)
{
	struct ikeio_sa *e = arg;
	if (e->mip6) {
		mip6_child_up(e, c);
		return;
	}
	if (e->conn != NULL) {
		const struct conf_tunnel *t = ikepeer_tunnel(e->io->conf, e->conn->peer);
		if (t != NULL)
			snprintf(e->tunnel, sizeof(e->tunnel), "%s", t->name);
	}
	if (e->wrong_peer)
		return;
	struct ikeio_child *ch = NULL;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX && ch == NULL; i++)
		if (!e->child[i].used)
			ch = &e->child[i];
	if (ch == NULL || e->tunnel[0] == '\0') {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: %s", c->spi_in, c->spi_out,
			 ch == NULL ? "too many for one IKE SA" : "no tunnel");
		return;
	}
	child_set(ch, c);
	snprintf(ch->tunnel, sizeof(ch->tunnel), "%s", e->tunnel);
	/* A rekey (rekey_of != 0) installs the new pair next to the old one:
	 * OUT moves to it, the old one keeps receiving until its child_down
	 * (make before break, R7296-2.8.b). */
	if (child_install(e, ch, c) != 0) {
		child_keep(ch, c); /* tried again on reload or a path change */
	} else {
		if (c->rekey_of != 0) {
			e->io->cnt.child_rekeyed++;
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s%s%s) replaces in %08x in tunnel %s (%s rekey)",
				   c->spi_in, c->spi_out, aead_alg_name(c->alg), c->udp_encap ? ", ESP in UDP" : "",
				   c->pfs_group != 0 ? ", PFS" : "", c->rekey_of, ch->tunnel, c->initiator ? "our" : "peer's");
		} else {
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s%s) keys tunnel %s", c->spi_in,
				   c->spi_out, aead_alg_name(c->alg), c->udp_encap ? ", ESP in UDP" : "", ch->tunnel);
		}
	}
	dump_esp(e, c);
}

static void op_child_failed(void *arg, const struct ikesa *sa, uint16_t notify)
{
	struct ikeio_sa *e = arg;
	(void)sa;
	LOG_NOTICE(LOG_SUB_IKE, "peer %s refused our CHILD_SA (notify %u)", e->peer_name[0] ? e->peer_name : "?",
		   notify);
	if (e->mip6)
		mip6_child_failed(e, notify);
}

static void op_child_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct ikeio_sa *e = arg;
	(void)sa;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
		if (e->child[i].used && e->child[i].spi_in == spi_in) {
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x deleted", spi_in, spi_out);
			child_drop(e, &e->child[i]);
		}
}

static const struct ikesa_ops ikeio_ops = {
	.send = op_send,
	.random = op_random,
	.psk_for = op_psk_for,
	.ts_policy = op_ts_policy,
	.ike_up = op_ike_up,
	.ike_down = op_ike_down,
	.child_up = op_child_up,
	.child_failed = op_child_failed,
	.child_down = op_child_down,
	.ike_rekeyed = op_ike_rekeyed,
	.spi_taken = op_spi_taken,
};

/* ---- credentials ----------------------------------------------------------- */

static struct ikeio_cred *cred_get(struct ikeio_cred *c)
{
	if (c != NULL)
		c->refs++;
	return c;
}

static void cred_put(struct ikeio_cred *c)
{
	if (c == NULL || --c->refs != 0)
		return;
	ikeauth_cred_free(c->cred);
	free(c);
}

static bool conf_uses_certs(const struct conf_ike *ike)
{
	if (ike->auth == CONF_IKE_PUBKEY)
		return true;
	for (size_t i = 0; i < ike->n_peers; i++)
		if (ike->peers[i].auth == CONF_IKE_PUBKEY)
			return true;
	return false;
}

/* Load ike.certificate / private-key / ca once per (re)load, shared by the
 * SAs created from now on. On failure the previous credential stays. */
static int cred_reload(struct ikeio *io, const struct conf_ike *ike, char *err, size_t errlen)
{
	if (!conf_uses_certs(ike)) {
		cred_put(io->cred);
		io->cred = NULL;
		return 0;
	}
	bool sign = ike->auth == CONF_IKE_PUBKEY && ike->certificate[0] != '\0';
	struct ikeio_cred *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return M6E_NOMEM;
	int rc = ikeauth_cred_load(sign ? ike->certificate : NULL, sign ? ike->private_key : NULL,
				   ike->ca[0] != '\0' ? ike->ca : NULL, &c->cred, err, errlen);
	if (rc != 0) {
		free(c);
		return rc;
	}
	c->refs = 1;
	cred_put(io->cred);
	io->cred = c;
	LOG_INFO(LOG_SUB_IKE, "certificate credential loaded: %zu certificate(s) to send, %s",
		 ikeauth_cred_chain_len(c->cred), ikeauth_cred_has_ca(c->cred) ? "CAs to verify peers" : "no CA");
	return 0;
}

/* ---- entries --------------------------------------------------------------- */

static struct ikeio_sa *entry_new(struct ikeio *io)
{
	struct ikeio_sa *e = io->spare;
	io->spare = NULL;
	if (e == NULL)
		e = calloc(1, sizeof(*e));
	if (e != NULL) {
		memset(e, 0, sizeof(*e));
		e->io = io;
	}
	return e;
}

static void entry_link(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	e->created_ms = now;
	e->next = io->all;
	io->all = e;
	ikeio_index(io, e);
}

static void entry_free(struct ikeio *io, struct ikeio_sa *e)
{
	unindex(io, e);
	for (struct ikeio_sa **pp = &io->all; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	children_drop(e);
	mip6_sa_gone(e);
	if (e->conn != NULL)
		e->conn->sa = NULL;
	/* Predecessors first: each points to its successor (ikesa.h). */
	for (unsigned i = 0; i < e->n_old; i++)
		ikesa_free(e->old[i]);
	io->n_old -= e->n_old;
	ikesa_free(e->sa);
	cred_put(e->cred);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

/* Token bucket per peer address for new IKE_SA_INIT requests: rate_per_s
 * (ike.init-rate-limit), burst IKEIO_RATE_BURST_FACTOR times that; 0 lets
 * every request through to the half-open bound and cookies. */
static bool rate_ok(struct ikeio *io, const struct in6_addr *peer, unsigned rate_per_s, uint64_t now)
{
	if (rate_per_s == 0)
		return true;
	const uint64_t burst_milli = (uint64_t)rate_per_s * IKEIO_RATE_BURST_FACTOR * 1000u;
	struct ikeio_rate *slot = NULL, *oldest = &io->rate[0];
	for (unsigned i = 0; i < IKEIO_RATE_SLOTS; i++) {
		if (io->rate[i].last_ms != 0 && addr_eq(&io->rate[i].addr, peer)) {
			slot = &io->rate[i];
			break;
		}
		if (io->rate[i].last_ms < oldest->last_ms)
			oldest = &io->rate[i];
	}
	if (slot == NULL) {
		slot = oldest;
		slot->addr = *peer;
		slot->milli_tokens = burst_milli;
		slot->last_ms = now;
	}
	/* milliseconds x tokens per second = milli-tokens */
	uint64_t t = slot->milli_tokens + (now - slot->last_ms) * rate_per_s;
	slot->milli_tokens = t > burst_milli ? burst_milli : t;
	slot->last_ms = now > 0 ? now : 1;
	if (slot->milli_tokens < 1000u)
		return false;
	slot->milli_tokens -= 1000u;
	return true;
}

static void new_responder(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *path,
			  bool natt, uint64_t now)
{
	const struct conf_ike *ike = io_ike(io);
	if (!io->enabled || ike == NULL) {
		io->cnt.drop[IKEIO_DROP_NO_IKE]++;
		return;
	}
	if (!rate_ok(io, &path->remote, ike->init_rate_limit, now)) {
		io->cnt.drop[IKEIO_DROP_RATE]++;
		return;
	}
	unsigned half_open = count_half_open(io);
	if (half_open >= ike->half_open_limit) {
		io->cnt.drop[IKEIO_DROP_HALF_OPEN]++;
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "%u half-open IKE SAs: new IKE_SA_INIT dropped", half_open);
		return;
	}
	struct ikeio_sa *e = entry_new(io);
	if (e == NULL)
		return;
	e->cur = *path;
	e->floated = natt;
	io->params.cred = io->cred != NULL ? io->cred->cred : NULL;
	uint64_t cookies = ikesa_gate_stats(io->gate)->cookie_sent;
	int rc = ikesa_accept(io->gate, &io->params, &ikeio_ops, e, half_open, msg, len, path, now, &e->sa);
	io->cnt.cookies_sent += ikesa_gate_stats(io->gate)->cookie_sent - cookies;
	if (rc != 0 || e->sa == NULL) {
		if (rc != M6E_AGAIN)
			io->cnt.drop[IKEIO_DROP_ENGINE]++;
		io->spare = e;
		return;
	}
	io->cnt.accepted++;
	e->cred = cred_get(io->cred);
	entry_link(io, e, now);
}

/* An authenticated message from another address or port: the NAT mapping
 * (or the peer) moved; send there from now on and move the ESP SAs too. */
static void path_moved(struct ikeio *io, struct ikeio_sa *e, const struct ikesa_path *path)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_IKE, "peer %s moved from [%s]:%u to [%s]:%u", e->peer_name[0] ? e->peer_name : "?",
		   addr_fmt(&e->cur.remote, a, sizeof(a)), e->cur.remote_port, addr_fmt(&path->remote, b, sizeof(b)),
		   path->remote_port);
	io->cnt.path_changes++;
	e->cur.remote = path->remote;
	e->cur.remote_port = path->remote_port;
	e->cur.local = path->local;
	ikeio_index(io, e);
	/* The ESP SAs keep keys, sequence numbers and replay windows: a fresh
	 * install would restart our sequence numbers and the peer would drop
	 * them as replays (R4303-3.3.3). */
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
		struct ikeio_child *ch = &e->child[i];
		if (!ch->used)
			continue;
		if (ch->installed && ipsecdb_child_update_path(io->db, ch->spi_in, &e->cur.remote, ch->udp_encap,
							       ch->udp_encap ? e->cur.local_port : 0,
							       ch->udp_encap ? e->cur.remote_port : 0) == 0)
			continue;
		child_retry(e, ch);
	}
}

static void rearm(struct ikeio *io);

/* One IKE message (after any Non-ESP marker) that arrived on path. */
static void handle_ike(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *path, bool natt)
{
	struct rbuf r;
	uint64_t spi_i, spi_r;
	uint8_t exch, flags;
	rbuf_init(&r, msg, len);
	if (len < IKE_HDR_LEN || rbuf_u64(&r, &spi_i) != 0 || rbuf_u64(&r, &spi_r) != 0 || rbuf_skip(&r, 2) != 0 ||
	    rbuf_u8(&r, &exch) != 0 || rbuf_u8(&r, &flags) != 0) {
		io->cnt.drop[IKEIO_DROP_SHORT]++;
		return;
	}
	io->cnt.rx++;
	uint64_t now = clock_mono_ms();
	struct ikeio_sa *e;
	struct ikesa *target = NULL; /* a rekeyed predecessor, or NULL: e->sa */
	if (flags & IKE_FLAG_I) {
		/* From the original initiator: we are the responder. */
		e = spi_r == 0 ? find_init(io, spi_i, &path->remote) : find_own(io, spi_r, false);
		if (e == NULL && spi_r != 0)
			e = find_old(io, spi_r, false, &target);
		if (e == NULL) {
			if (spi_r == 0 && exch == IKE_EXCH_SA_INIT && !(flags & IKE_FLAG_R))
				new_responder(io, msg, len, path, natt, now);
			else
				io->cnt.drop[IKEIO_DROP_NO_SA]++;
			rearm(io);
			return;
		}
	} else if ((e = find_own(io, spi_i, true)) == NULL && (e = find_old(io, spi_i, true, &target)) == NULL) {
		io->cnt.drop[IKEIO_DROP_NO_SA]++;
		return;
	}
	if (target != NULL) {
		/* The Delete of a rekeyed SA (or its answer): nothing else moves. */
		if (ikesa_input(target, msg, len, path, now) != 0)
			io->cnt.drop[IKEIO_DROP_ENGINE]++;
		rearm(io);
		return;
	}
	/* The responder floats when the peer does (R7296-2.23). */
	if (natt && !e->floated)
		float_to_natt(e, path->remote_port);
	struct ikesa *sa = e->sa;
	uint64_t heard = ikesa_last_heard(sa);
	int rc = ikesa_input(sa, msg, len, path, now);
	if (rc != 0) {
		io->cnt.drop[IKEIO_DROP_ENGINE]++;
	} else if (!e->dead && e->up && sa == e->sa && ikesa_last_heard(sa) != heard &&
		   (!addr_eq(&path->remote, &e->cur.remote) || path->remote_port != e->cur.remote_port)) {
		/* Only a message whose SK verified moves the path (R7296-2.23). */
		path_moved(io, e, path);
	}
	if (e->wrong_peer && !e->dead && ikesa_state(e->sa) == IKESA_ESTABLISHED && ikesa_delete(e->sa, now) != 0)
		sa_down(e, IKESA_DOWN_AUTH_FAILED);
	rearm(io);
}

static void on_readable(struct ikeio *io, int fd, bool natt)
{
	for (unsigned k = 0; k < IKEIO_RX_BURST; k++) {
		struct sockaddr_in6 from;
		struct iovec iov = { .iov_base = io->rx, .iov_len = sizeof(io->rx) };
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} cbuf;
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		struct ikesa_path path = { .remote = from.sin6_addr, .remote_port = ntohs(from.sin6_port),
					   .local_port = natt ? IKEIO_NATT_PORT : IKEIO_PORT };
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				path.local = pi.ipi6_addr;
			}
		const uint8_t *msg = io->rx;
		size_t len = (size_t)n;
		if ((mh.msg_flags & MSG_TRUNC) != 0) {
			io->cnt.drop[IKEIO_DROP_SHORT]++;
			continue;
		}
		if (natt) {
			/* RFC 3948 2.2/2.3: keepalive, ESP (non-zero SPI), or IKE after the marker. */
			if (len == 1 && msg[0] == NAT_KEEPALIVE) {
				io->cnt.keepalive_rx++;
				continue;
			}
			struct rbuf r;
			uint32_t marker;
			rbuf_init(&r, msg, len);
			if (rbuf_u32(&r, &marker) != 0) {
				io->cnt.drop[IKEIO_DROP_SHORT]++;
				continue;
			}
			if (marker != 0) {
				io->cnt.drop[IKEIO_DROP_ESP]++;
				continue;
			}
			msg = rbuf_ptr(&r);
			len = rbuf_left(&r);
		}
		handle_ike(io, msg, len, &path, natt);
	}
}

static void on_ike(void *arg)
{
	struct ikeio *io = arg;
	on_readable(io, io->fd_ike, false);
}

static void on_natt(void *arg)
{
	struct ikeio *io = arg;
	on_readable(io, io->fd_natt, true);
}

void ikeio_fwd_sink(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local, uint16_t local_port,
		    const struct in6_addr *remote, uint16_t remote_port)
{
	struct ikeio *io = arg;
	if (io == NULL || io->fd_natt < 0)
		return;
	struct ikesa_path path = { .local = *local, .remote = *remote, .local_port = local_port,
				   .remote_port = remote_port };
	handle_ike(io, msg, len, &path, true);
}

/* ---- connections (initiate = true) ----------------------------------------- */

static void conn_start(struct ikeio *io, struct ikeio_conn *c, uint64_t now)
{
	char err[256];
	const struct conf_ike_peer *p = ikepeer_by_name(io->conf, c->peer);
	const struct conf_tunnel *t = p != NULL ? ikepeer_tunnel(io->conf, p->name) : NULL;
	c->next_try_ms = IKESA_NEVER;
	if (t == NULL) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: initiate = true but no tunnel names it in ike-peer", c->peer);
		return;
	}
	struct ikesa_params prm;
	if (ikepeer_initiator_params(io->conf, p, t, &prm, err, sizeof(err)) != 0) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: %s", c->peer, err);
		return;
	}
	struct ikeio_sa *e = entry_new(io);
	if (e == NULL)
		return;
	e->cur = (struct ikesa_path){ .local = t->local,
				      .remote = addr_is_unicast_routable(&p->address) ? p->address : t->remote,
				      .local_port = IKEIO_PORT, .remote_port = IKEIO_PORT };
	e->conn = c;
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	snprintf(e->tunnel, sizeof(e->tunnel), "%s", t->name);
	prm.cred = io->cred != NULL ? io->cred->cred : NULL;
	if (ikesa_new_initiator(&e->sa, &prm, &ikeio_ops, e, &e->cur) != 0) {
		free(e);
		schedule_reinit(io, c);
		return;
	}
	e->cred = cred_get(io->cred);
	c->sa = e;
	int rc = ikesa_start(e->sa, now);
	entry_link(io, e, now);
	if (rc != 0) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: IKE_SA_INIT not sent: %s", c->peer, err_str(rc));
		sa_down(e, IKESA_DOWN_INTERNAL);
		return;
	}
	LOG_INFO(LOG_SUB_IKE, "peer %s: IKE_SA_INIT sent", c->peer);
	OPENSSL_cleanse(&prm, sizeof(prm));
}

/* The connection list follows conf: peers with initiate = true. */
static void conns_sync(struct ikeio *io, uint64_t now)
{
	const struct conf_ike *ike = io_ike(io);
	for (struct ikeio_conn *c = io->conns; c != NULL; c = c->next)
		c->keep = false;
	for (size_t i = 0; ike != NULL && i < ike->n_peers; i++) {
		if (!ike->peers[i].initiate)
			continue;
		struct ikeio_conn *c = io->conns;
		while (c != NULL && strcmp(c->peer, ike->peers[i].name) != 0)
			c = c->next;
		if (c == NULL) {
			if ((c = calloc(1, sizeof(*c))) == NULL)
				continue;
			snprintf(c->peer, sizeof(c->peer), "%s", ike->peers[i].name);
			c->backoff_ms = IKEIO_REINIT_MIN_MS;
			c->next_try_ms = now;
			c->next = io->conns;
			io->conns = c;
		}
		c->keep = true;
	}
	for (struct ikeio_conn **pp = &io->conns; *pp != NULL;) {
		struct ikeio_conn *c = *pp;
		if (c->keep) {
			pp = &c->next;
			continue;
		}
		if (c->sa != NULL)
			c->sa->conn = NULL;
		*pp = c->next;
		free(c);
	}
}

/* ---- the timer ------------------------------------------------------------- */

/* How long our liveness check may go unanswered: ike.retransmit-tries
 * retransmissions from ike.retransmit-timeout-ms, doubling (R7296-2.4.c). */
static uint64_t dpd_budget_ms(const struct conf_ike *ike)
{
	uint64_t total = 0, step = ike->retransmit_timeout_ms;
	for (unsigned k = 0; k <= ike->retransmit_tries; k++) {
		total += step < IKESA_RETX_MAX_MS ? step : IKESA_RETX_MAX_MS;
		step *= 2;
	}
	return total;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t entry_deadline(const struct ikeio *io, const struct ikeio_sa *e)
{
	if (e->dead)
		return 0;
	uint64_t d = ikesa_next_timeout(e->sa);
	for (unsigned i = 0; i < e->n_old; i++)
		if (ikesa_state(e->old[i]) != IKESA_CLOSED)
			d = min64(d, ikesa_next_timeout(e->old[i]));
	if (e->n_old > 0 && ikesa_state(e->old[0]) == IKESA_CLOSED)
		d = 0; /* free it now; a closed one behind a live one waits its turn */
	const struct conf_ike *ike = io_ike(io);
	if (ike == NULL || ikesa_state(e->sa) != IKESA_ESTABLISHED)
		return d;
	if (ike->dpd_interval != 0) {
		if (e->dpd_sent_ms != 0)
			d = min64(d, e->dpd_sent_ms + dpd_budget_ms(ike));
		else
			d = min64(d, ikesa_last_heard(e->sa) + ike->dpd_interval * 1000ull);
	}
	if (ike->nat_keepalive != 0 && ikesa_nat_local(e->sa))
		d = min64(d, e->keepalive_ms + ike->nat_keepalive * 1000ull);
	return d;
}

static void rearm(struct ikeio *io)
{
	if (io->timer == NULL)
		return;
	uint64_t now = clock_mono_ms(), d = io->next_rotate_ms;
	for (const struct ikeio_sa *e = io->all; e != NULL; e = e->next)
		d = min64(d, entry_deadline(io, e));
	for (const struct ikeio_conn *c = io->conns; c != NULL; c = c->next)
		if (c->sa == NULL && !io->shutting_down)
			d = min64(d, c->next_try_ms);
	if (io->mip6_pump_at != 0 && io->mip6_sa != NULL)
		d = min64(d, io->mip6_pump_at);
	if (d == IKESA_NEVER)
		return;
	io_timer_arm(io->timer, d > now ? d - now : 0);
}

/* DPD and NAT keepalives of one established SA. */
static void entry_liveness(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	const struct conf_ike *ike = io_ike(io);
	if (ike == NULL || e->dead || ikesa_state(e->sa) != IKESA_ESTABLISHED)
		return;
	uint64_t heard = ikesa_last_heard(e->sa);
	if (e->dpd_sent_ms != 0 && heard >= e->dpd_sent_ms)
		e->dpd_sent_ms = 0; /* answered */
	if (ike->dpd_interval != 0) {
		if (e->dpd_sent_ms != 0 && now >= e->dpd_sent_ms + dpd_budget_ms(ike)) {
			io->cnt.dpd_dead++;
			LOG_NOTICE(LOG_SUB_IKE, "peer %s: no answer to our liveness check, dead",
				   e->peer_name[0] ? e->peer_name : "?");
			sa_down(e, IKESA_DOWN_TIMEOUT);
			return;
		}
		if (e->dpd_sent_ms == 0 && now >= heard + ike->dpd_interval * 1000ull &&
		    ikesa_dpd(e->sa, now) == 0) /* R7296-1.4.a */
			e->dpd_sent_ms = now;
	}
	if (ike->nat_keepalive != 0 && ikesa_nat_local(e->sa) && now >= e->keepalive_ms + ike->nat_keepalive * 1000ull) {
		/* R3948-2.3: keep our NAT mapping open. */
		static const uint8_t ka = NAT_KEEPALIVE;
		struct ikesa_path p = e->cur;
		p.local_port = p.remote_port = IKEIO_NATT_PORT;
		if (e->floated)
			p = e->cur;
		if (sock_send(io, &ka, 1, &p, true) == 0)
			io->cnt.keepalive_tx++;
		e->keepalive_ms = now;
	}
}

/* Rekeyed predecessors: their retransmissions, and the closed ones freed,
 * oldest first (each points to its successor, ikesa.h). */
static void entry_old_tick(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	for (unsigned i = 0; i < e->n_old; i++)
		if (ikesa_state(e->old[i]) != IKESA_CLOSED && ikesa_next_timeout(e->old[i]) <= now)
			ikesa_tick(e->old[i], now);
	while (e->n_old > 0 && ikesa_state(e->old[0]) == IKESA_CLOSED) {
		ikesa_free(e->old[0]);
		memmove(&e->old[0], &e->old[1], (IKEIO_OLD_MAX - 1) * sizeof(e->old[0]));
		e->old[--e->n_old] = NULL;
		io->n_old--;
	}
}

/* A pair the SAD made DYING (its soft byte limit, ipsecdb_tick / the data
 * path) is rekeyed once (R7296-2.8); the engine's own timers handle time. */
static void entry_soft_limits(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	if (e->dead || ikesa_state(e->sa) != IKESA_ESTABLISHED)
		return;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
		struct ikeio_child *ch = &e->child[i];
		struct sa *in = NULL, *out = NULL;
		if (!ch->used || !ch->installed || ch->rekey_asked ||
		    ipsecdb_child_get(io->db, ch->spi_in, &in, &out, NULL) != 0)
			continue;
		if ((in != NULL && in->state == SA_STATE_DYING) || (out != NULL && out->state == SA_STATE_DYING)) {
			int rc = ikesa_rekey_child(e->sa, ch->spi_in, now);
			if (rc != M6E_AGAIN)
				ch->rekey_asked = true; /* done, or the engine refuses for good */
			LOG_INFO(LOG_SUB_IKE, "CHILD_SA in %08x reached its soft limit: rekey %s", ch->spi_in,
				 rc == 0 ? "started" : err_str(rc));
		}
	}
}

static void on_timer(void *arg)
{
	struct ikeio *io = arg;
	uint64_t now = clock_mono_ms();
	if (io->mip6_pump_at != 0 && now >= io->mip6_pump_at)
		mip6_pump(io);
	for (struct ikeio_sa *e = io->all, *next; e != NULL; e = next) {
		next = e->next;
		if (!e->dead && ikesa_next_timeout(e->sa) <= now)
			ikesa_tick(e->sa, now);
		entry_old_tick(io, e, now);
		entry_soft_limits(io, e, now);
		entry_liveness(io, e, now);
		if (e->dead || ikesa_state(e->sa) == IKESA_CLOSED)
			entry_free(io, e); /* outside every engine call */
	}
	for (struct ikeio_conn *c = io->conns; c != NULL && !io->shutting_down; c = c->next)
		if (c->sa == NULL && now >= c->next_try_ms)
			conn_start(io, c, now);
	if (now >= io->next_rotate_ms && io->gate != NULL) {
		ikesa_gate_rotate(io->gate); /* R7296-2.6.c */
		io->next_rotate_ms = now + IKEIO_GATE_ROTATE_MS;
	}
	rearm(io);
}

/* ---- life cycle ------------------------------------------------------------ */

static void apply_conf(struct ikeio *io)
{
	char err[256];
	const struct conf_ike *ike = io_ike(io);
	struct ikesa_params p;
	io->enabled = ike != NULL && ikepeer_params(io->conf, &p, err, sizeof(err)) == 0;
	if (io->enabled && cred_reload(io, ike, err, sizeof(err)) != 0) {
		if (io->cred == NULL)
			io->enabled = false;
		else
			LOG_WARN(LOG_SUB_IKE, "%s: keeping the certificate credential loaded before", err);
	}
	if (ike != NULL && !io->enabled)
		LOG_WARN(LOG_SUB_IKE, "IKE disabled: %s", err);
	if (io->enabled)
		io->params = p;
	if (ike != NULL && ike->key_dump[0] != '\0')
		LOG_WARN(LOG_SUB_IKE, "ike.key-dump is on: IKE and ESP session keys are written to %s "
			 "(debugging only; anyone who reads it can decrypt the traffic)", ike->key_dump);
}

static int open_sockets(struct ikeio *io, char *err, size_t errlen)
{
	int rc;
	if ((io->fd_ike = udp_open(IKEIO_PORT, err, errlen)) < 0) {
		rc = io->fd_ike;
		io->fd_ike = -1;
		return rc;
	}
	if ((io->fd_natt = udp_open(IKEIO_NATT_PORT, err, errlen)) < 0) {
		rc = io->fd_natt;
		io->fd_natt = -1;
		return rc;
	}
	if ((rc = io_watch_new(io->loop, io->fd_ike, on_ike, io, &io->w_ike)) < 0 ||
	    (rc = io_watch_new(io->loop, io->fd_natt, on_natt, io, &io->w_natt)) < 0 ||
	    (rc = io_timer_new(io->loop, on_timer, io, &io->timer)) < 0 ||
	    (rc = ikesa_gate_new(&io->gate, &ikeio_ops, &io->gate_ctx)) < 0) {
		snprintf(err, errlen, "cannot set up the IKE sockets: %s", err_str(rc));
		return rc;
	}
	return 0;
}

int ikeio_new(struct io_loop *loop, const struct conf *conf, struct ipsecdb *db, struct ikeio **out, char *err,
	      size_t errlen)
{
	struct ikeio *io = calloc(1, sizeof(*io));
	if (io == NULL)
		return M6E_NOMEM;
	io->loop = loop;
	io->conf = conf;
	io->db = db;
	io->fd_ike = io->fd_natt = -1;
	io->gate_ctx.io = io;
	io->gate_ctx.gate = true;
	*out = io;
	if (io_ike(io) == NULL)
		return 0;
	apply_conf(io);
	int rc = open_sockets(io, err, errlen);
	if (rc < 0) {
		ikeio_free(io);
		*out = NULL;
		return rc;
	}
	uint64_t now = clock_mono_ms();
	io->next_rotate_ms = now + IKEIO_GATE_ROTATE_MS;
	conns_sync(io, now);
	rearm(io);
	return 0;
}

void ikeio_set_conf(struct ikeio *io, const struct conf *conf, struct ipsecdb *db)
{
	if (io == NULL)
		return;
	uint64_t now = clock_mono_ms();
	io->conf = conf;
	io->db = db;
	if (io_ike(io) != NULL && io->fd_ike < 0) {
		char err[256];
		if (open_sockets(io, err, sizeof(err)) < 0)
			LOG_ERR(LOG_SUB_IKE, "%s", err);
		io->next_rotate_ms = now + IKEIO_GATE_ROTATE_MS;
	}
	apply_conf(io);
	for (struct ikeio_sa *e = io->all; e != NULL; e = e->next) {
		if (e->dead)
			continue;
		bool gone = e->peer_name[0] != '\0' && (ikepeer_by_name(conf, e->peer_name) == NULL || !io->enabled);
		if (gone) {
			/* The peer left the configuration: its SA goes (R7296-1.4.1). */
			LOG_NOTICE(LOG_SUB_IKE, "peer %s removed from the configuration: deleting its IKE SA",
				   e->peer_name);
			/* Whatever moved into the new db goes; the rest dies with the old one. */
			for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
				e->child[i].installed = true;
			children_drop(e);
			if (e->conn != NULL) {
				e->conn->sa = NULL;
				e->conn = NULL;
			}
			if (ikesa_state(e->sa) != IKESA_ESTABLISHED || ikesa_delete(e->sa, now) != 0)
				sa_down(e, IKESA_DOWN_LOCAL_DELETE);
			continue;
		}
		/* The daemon moved the live pairs with ipsecdb_children_move() (their
		 * sequence numbers and replay windows intact). A pair that did not
		 * move lost its tunnel (removed, renamed, or keyed by another peer
		 * now): it is deleted at the peer too (R7296-1.4.1); one that was
		 * never installed gets another try. */
		const struct conf_tunnel *t = ikepeer_tunnel(conf, e->peer_name);
		for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
			struct ikeio_child *ch = &e->child[i];
			if (!ch->used)
				continue;
			if (ch->mip6) {
				/* Moved by ipsecdb_children_move() with its sequence
				 * numbers; else into the new db's slots from the kept keys. */
				const struct sa *in = sad_lookup(ipsecdb_sad(db), SA_DIR_IN, ch->spi_in);
				char label[CONF_IFNAME_MAX];
				ch->installed = in != NULL && ipsecdb_sa_mnha(db, in, NULL) != NULL;
				if (!ch->installed && io->mip6_ops != NULL && ch->keep != NULL)
					ch->installed = io->mip6_ops->child_up(io->mip6_arg, ch->keep, label,
									       sizeof(label)) == 0;
				continue;
			}
			bool was = ch->installed;
			ch->installed = ipsecdb_child_get(db, ch->spi_in, NULL, NULL, NULL) == 0;
			if (ch->installed) {
				child_forget(ch);
				continue;
			}
			if (!was && t != NULL && strcmp(t->name, ch->tunnel) == 0) {
				child_retry(e, ch);
				continue;
			}
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x: tunnel %s no longer keyed by %s, deleting it",
				   ch->spi_in, ch->tunnel, e->peer_name);
			uint32_t spi_in = ch->spi_in;
			child_drop(e, ch);
			if (ikesa_state(e->sa) == IKESA_ESTABLISHED)
				ikesa_delete_child(e->sa, spi_in, now);
		}
	}
	conns_sync(io, now);
	rearm(io);
}

unsigned ikeio_shutdown(struct ikeio *io)
{
	if (io == NULL)
		return 0;
	io->shutting_down = true;
	unsigned n = 0;
	uint64_t now = clock_mono_ms();
	for (struct ikeio_sa *e = io->all; e != NULL; e = e->next)
		if (!e->dead && ikesa_state(e->sa) == IKESA_ESTABLISHED && ikesa_delete(e->sa, now) == 0)
			n++;
	if (n != 0)
		LOG_NOTICE(LOG_SUB_IKE, "shutting down: Delete sent for %u IKE SA(s)", n);
	return n;
}

void ikeio_free(struct ikeio *io)
{
	if (io == NULL)
		return;
	while (io->all != NULL)
		entry_free(io, io->all);
	while (io->conns != NULL) {
		struct ikeio_conn *c = io->conns;
		io->conns = c->next;
		free(c);
	}
	free(io->spare);
	cred_put(io->cred);
	ikesa_gate_free(io->gate);
	io_timer_free(io->timer);
	io_watch_free(io->w_ike);
	io_watch_free(io->w_natt);
	if (io->fd_ike >= 0)
		close(io->fd_ike);
	if (io->fd_natt >= 0)
		close(io->fd_natt);
	OPENSSL_cleanse(&io->params, sizeof(io->params));
	free(io);
}

/* ---- listing --------------------------------------------------------------- */

int ikeio_foreach(const struct ikeio *io, int (*fn)(void *arg, const struct ikeio_sa_info *info), void *arg)
{
	if (io == NULL)
		return 0;
	uint64_t now = clock_mono_ms();
	for (const struct ikeio_sa *e = io->all; e != NULL; e = e->next) {
		if (e->dead)
			continue;
		struct ikeio_sa_info in = {
			.peer_name = e->peer_name,
			.state = ikesa_state(e->sa),
			.initiator = ikesa_is_initiator(e->sa),
			.spi_i = ikesa_spi_i(e->sa),
			.spi_r = ikesa_spi_r(e->sa),
			.suite = *ikesa_suite(e->sa),
			.nat_local = ikesa_nat_local(e->sa),
			.nat_remote = ikesa_nat_remote(e->sa),
			.floated = e->floated,
			.path = e->cur,
			.age_ms = now - e->created_ms,
			.stats = ikesa_stats(e->sa),
		};
		uint64_t heard = ikesa_last_heard(e->sa);
		in.idle_ms = heard != 0 && heard <= now ? now - heard : in.age_ms;
		const struct ikesa_id *pid = ikesa_peer_id(e->sa);
		if (pid != NULL)
			in.peer_id = *pid;
		for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
			if (e->child[i].used) {
				struct ikeio_child_info *ci = &in.children[in.n_children++];
				ci->spi_in = e->child[i].spi_in;
				ci->spi_out = e->child[i].spi_out;
				ci->udp_encap = e->child[i].udp_encap;
				snprintf(ci->tunnel, sizeof(ci->tunnel), "%s", e->child[i].tunnel);
			}
		int rc = fn(arg, &in);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void ikeio_summary(const struct ikeio *io, struct ikeio_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (io == NULL)
		return;
	for (const struct ikeio_sa *e = io->all; e != NULL; e = e->next) {
		if (e->dead)
			continue;
		out->total++;
		if (ikesa_state(e->sa) == IKESA_ESTABLISHED)
			out->established++;
		else if (ikesa_state(e->sa) == IKESA_INIT_DONE)
			out->half_open++;
	}
	out->counters = &io->cnt;
	out->gate = io->gate != NULL ? ikesa_gate_stats(io->gate) : NULL;
	const struct conf_ike *ike = io_ike(io);
	out->key_dump = ike != NULL && ike->key_dump[0] != '\0';
}

/* ---- RFC 4877: the mobility role's hook ------------------------------------ */

void ikeio_mip6_set_ops(struct ikeio *io, const struct ikeio_mip6_ops *ops, void *arg)
{
	if (io == NULL)
		return;
	io->mip6_ops = ops;
	io->mip6_arg = arg;
}

int ikeio_mip6_set_mark(struct ikeio *io, uint32_t mark)
{
	const int fds[] = { io ? io->fd_ike : -1, io ? io->fd_natt : -1 };
	for (size_t i = 0; i < 2; i++)
		if (fds[i] >= 0 && setsockopt(fds[i], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
			LOG_ERR(LOG_SUB_IKE, "SO_MARK 0x%x: %s", mark, strerror(errno));
			return M6E_IO;
		}
	return 0;
}

/* A peer that keys no tunnel: the mobility policy decides (HA: the PAD,
 * R3776-4.2.k, R4877-4.2.d); the SA becomes a Mobile IPv6 one. */
static int mip6_ts_policy(struct ikeio_sa *e, const struct conf_ike_peer *p, const struct ikesa_id *peer,
			  const struct ike_ts_list *tsi, const struct ike_ts_list *tsr, bool *transport,
			  struct ike_ts_list *out_tsi, struct ike_ts_list *out_tsr)
{
	struct ikeio *io = e->io;
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	int rc = io->mip6_ops->ts_policy(io->mip6_arg, peer, tsi, tsr, transport, out_tsi, out_tsr);
	if (rc != 0) {
		io->cnt.mip6_ts_refused++;
		LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA refused: peer %s: TS_UNACCEPTABLE (mobility policy)", p->name);
		return rc;
	}
	e->mip6 = true;
	return 0;
}

/* A mobile node that ran IKE again (from a new care-of address, after a
 * restart) no longer uses its older IKE SAs, whose path is gone: delete
 * them, so their CHILD_SAs do not fill the MN-HA slots until DPD notices. */
static void mip6_replace_older(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	uint64_t now = clock_mono_ms();
	e->mip6_replaced = true;
	for (struct ikeio_sa *o = io->all; o != NULL; o = o->next) {
		if (o == e || o->dead || !o->mip6 || o == io->mip6_sa || strcmp(o->peer_name, e->peer_name) != 0)
			continue;
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		LOG_NOTICE(LOG_SUB_IKE, "peer %s: new IKE SA from [%s]: deleting the older one with [%s]", e->peer_name,
			   addr_fmt(&e->cur.remote, a, sizeof(a)), addr_fmt(&o->cur.remote, b, sizeof(b)));
		children_drop(o);
		if (ikesa_state(o->sa) != IKESA_ESTABLISHED || ikesa_delete(o->sa, now) != 0)
			sa_down(o, IKESA_DOWN_LOCAL_DELETE);
	}
}

static void mip6_child_up(struct ikeio_sa *e, const struct ikesa_child *c)
{
	struct ikeio *io = e->io;
	struct ikeio_child *ch = NULL;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX && ch == NULL; i++)
		if (!e->child[i].used)
			ch = &e->child[i];
	if (ch == NULL || io->mip6_ops == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: %s", c->spi_in, c->spi_out,
			 ch == NULL ? "too many for one IKE SA" : "no mobility role");
	} else {
		child_set(ch, c);
		ch->mip6 = true;
		child_keep(ch, c); /* a reload that does not move it installs it again */
		snprintf(ch->tunnel, sizeof(ch->tunnel), "mip6");
		ch->installed = io->mip6_ops->child_up(io->mip6_arg, c, ch->tunnel, sizeof(ch->tunnel)) == 0;
		if (ch->installed && !c->initiator && !e->mip6_replaced)
			mip6_replace_older(e);
		if (ch->installed) {
			io->cnt.child_installed++;
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s, %s) keys MN-HA %s", c->spi_in,
				   c->spi_out, aead_alg_name(c->alg), c->transport ? "transport" : "tunnel", ch->tunnel);
		} else {
			io->cnt.child_install_failed++;
		}
		dump_esp(e, c);
	}
	if (e == io->mip6_sa && c->initiator && c->rekey_of == 0)
		io->mip6_pump_at = 1; /* the next request, from the timer */
}

/* The connection's next CREATE_CHILD_SA (R4877-7.3.e), one at a time. */
static void mip6_child_failed(struct ikeio_sa *e, uint16_t notify)
{
	struct ikeio *io = e->io;
	if (io->mip6_ops != NULL && io->mip6_ops->child_failed != NULL)
		io->mip6_ops->child_failed(io->mip6_arg, notify);
	if (e == io->mip6_sa)
		io->mip6_pump_at = 1; /* a refusal does not stop the rest of the plan */
}

/* The connection's next CREATE_CHILD_SA (R4877-7.3.e), one at a time:
 * called from the timer after a child_up or child_failed. */
static void mip6_pump(struct ikeio *io)
{
	struct ikeio_sa *e = io->mip6_sa;
	io->mip6_pump_at = 0;
	if (e == NULL || e->dead || io->mip6_next >= io->mip6_conn.n_more)
		return;
	const struct ikesa_child_req *req = &io->mip6_conn.more[io->mip6_next];
	int rc = ikesa_create_child(e->sa, req, clock_mono_ms());
	if (rc == M6E_AGAIN) {
		io->mip6_pump_at = clock_mono_ms() + 50; /* a request is outstanding: after it */
		return;
	}
	io->mip6_next++;
	if (rc != 0)
		LOG_WARN(LOG_SUB_IKE, "peer %s: CREATE_CHILD_SA not sent: %s", e->peer_name, err_str(rc));
}

static void mip6_ike_up(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	if (e != io->mip6_sa)
		return;
	if (io->mip6_ops != NULL && io->mip6_ops->ike_up != NULL)
		io->mip6_ops->ike_up(io->mip6_arg);
}

static void mip6_sa_gone(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	if (e != io->mip6_sa)
		return;
	io->mip6_sa = NULL;
	if (io->mip6_ops != NULL && io->mip6_ops->ike_down != NULL)
		io->mip6_ops->ike_down(io->mip6_arg);
}

int ikeio_mip6_connect(struct ikeio *io, const struct ikeio_mip6_conn *conn)
{
	char err[256];
	if (io == NULL || !io->enabled)
		return M6E_NOTFOUND;
	const struct conf_ike_peer *p = ikepeer_by_name(io->conf, conn->peer);
	if (p == NULL)
		return M6E_NOTFOUND;
	ikeio_mip6_disconnect(io);
	struct ikesa_params prm;
	int rc = ikepeer_params(io->conf, &prm, err, sizeof(err));
	if (rc == 0 && ikepeer_id(p->identity_type, p->identity, &prm.remote_id) != 0) {
		snprintf(err, sizeof(err), "ike.peers \"%s\": identity cannot be used with a pre-shared key", p->name);
		rc = M6E_INVAL;
	}
	if (rc != 0) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: %s", p->name, err);
		OPENSSL_cleanse(&prm, sizeof(prm));
		return rc;
	}
	prm.tsi = conn->first.tsi;
	prm.tsr = conn->first.tsr;
	prm.transport = conn->first.transport;
	struct ikeio_sa *e = entry_new(io);
	if (e == NULL) {
		OPENSSL_cleanse(&prm, sizeof(prm));
		return M6E_NOMEM;
	}
	e->cur = (struct ikesa_path){ .local = conn->local, .remote = conn->remote, .local_port = IKEIO_PORT,
				      .remote_port = IKEIO_PORT };
	e->mip6 = true;
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	/* ike.auth = "pubkey": the MN signs with our certificate (as conn_start). */
	prm.cred = io->cred != NULL ? io->cred->cred : NULL;
	rc = ikesa_new_initiator(&e->sa, &prm, &ikeio_ops, e, &e->cur);
	OPENSSL_cleanse(&prm, sizeof(prm));
	if (rc != 0) {
		free(e);
		return rc;
	}
	e->cred = cred_get(io->cred);
	io->mip6_conn = *conn;
	io->mip6_next = 0;
	io->mip6_pump_at = 0;
	io->mip6_sa = e;
	uint64_t now = clock_mono_ms();
	rc = ikesa_start(e->sa, now);
	entry_link(io, e, now);
	if (rc != 0) {
		io->mip6_sa = NULL; /* the caller hears it from rc, not ike_down */
		sa_down(e, IKESA_DOWN_INTERNAL);
		rearm(io);
		return rc;
	}
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_IKE, "peer %s: IKE_SA_INIT sent from [%s] to [%s] (Mobile IPv6)", p->name,
		   addr_fmt(&conn->local, a, sizeof(a)), addr_fmt(&conn->remote, b, sizeof(b)));
	rearm(io);
	return 0;
}

void ikeio_mip6_disconnect(struct ikeio *io)
{
	if (io == NULL || io->mip6_sa == NULL)
		return;
	struct ikeio_sa *e = io->mip6_sa;
	io->mip6_sa = NULL; /* no ike_down for a connection we drop ourselves */
	children_drop(e);
	if (ikesa_state(e->sa) != IKESA_ESTABLISHED || ikesa_delete(e->sa, clock_mono_ms()) != 0)
		sa_down(e, IKESA_DOWN_LOCAL_DELETE);
	rearm(io);
}

bool ikeio_mip6_up(const struct ikeio *io)
{
	return io != NULL && io->mip6_sa != NULL && io->mip6_sa->up && !io->mip6_sa->dead;
}
