/*
 * ikeio: the IKEv2 adapter on the daemon's loop (ikeio.h). This file: the
 * SA table (dispatch by SPIs), the engine callbacks, credentials, entries
 * and new responders behind the rate limit and half-open bound, the
 * initiate = true connections, the one timer (DPD, keepalive and rekey
 * deadlines), the life cycle and the listings. Sockets and NAT-T live in
 * ikeio_net.c, CHILD_SAs in ikeio_child.c, the key dump in ikeio_dump.c,
 * the RFC 4877 hook in ikeio_mip6.c (shared state: ikeio_int.h); policy
 * lookups in ikepeer.c.
 */
#include "ike/ikeio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "crypto/crypto.h"
#include "ike/ikeauth.h"
#include "ike/ikeio_int.h"
#include "ike/ikepeer.h"
#include "io/timer.h"
#include "io/watch.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/sad.h"

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

/* ---- the SA table -------------------------------------------------------- */

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
void ikeio_index(struct ikeio *io, struct ikeio_sa *e)
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

struct ikeio_sa *ikeio_find_init(struct ikeio *io, uint64_t spi_i, const struct in6_addr *peer)
{
	for (struct ikeio_sa *e = io->h_init[hash_init(spi_i, peer)]; e != NULL; e = e->next_init)
		if (!e->dead && e->key_init == spi_i && addr_eq(&e->cur.remote, peer))
			return e;
	return NULL;
}

struct ikeio_sa *ikeio_find_own(struct ikeio *io, uint64_t spi, bool we_initiated)
{
	for (struct ikeio_sa *e = io->h_own[hash_own(spi)]; e != NULL; e = e->next_own)
		if (!e->dead && e->key_own == spi && ikesa_is_initiator(e->sa) == we_initiated)
			return e;
	return NULL;
}

/* A rekeyed IKE SA still closing (its Delete, or the peer's): by our SPI. */
struct ikeio_sa *ikeio_find_old(struct ikeio *io, uint64_t spi, bool we_initiated, struct ikesa **sa)
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

/* ---- engine callbacks ---------------------------------------------------- */

static int op_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct ikeio_sa *e = arg;
	if (e->gate)
		return ikeio_net_send(e->io, msg, len, path, false);
	bool init = len > 18 && msg[18] == IKE_EXCH_SA_INIT;
	if (!init && e->sa != NULL && (ikesa_nat_local(e->sa) || ikesa_nat_remote(e->sa)))
		ikeio_net_float(e, IKEIO_NATT_PORT);
	return ikeio_net_send(e->io, msg, len, &e->cur, false);
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
		return ikeio_mip6_ts_policy(e, p, peer, tsi, tsr, transport, out_tsi, out_tsr);
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
	ikeio_dump_ike(e);
	if (e->mip6)
		ikeio_mip6_ike_up(e);
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
void ikeio_sa_down(struct ikeio_sa *e, enum ikesa_down reason)
{
	struct ikeio *io = e->io;
	if (e->dead)
		return;
	e->dead = true;
	io->cnt.ike_down++;
	ikeio_children_drop(e);
	ikeio_mip6_sa_gone(e);
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
	ikeio_sa_down(e, reason);
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
	ikeio_dump_ike(e);
}

/* R4303-2.1.a: the inbound SPI of a new CHILD_SA must not name an SA we
 * already have (another peer's CHILD_SA, a manual SA). */
static bool op_spi_taken(void *arg, uint32_t spi)
{
	struct ikeio_sa *e = arg;
	return e->io->db != NULL && sad_lookup(ipsecdb_sad(e->io->db), SA_DIR_IN, spi) != NULL;
}

const struct ikesa_ops ikeio_ops = {
	.send = op_send,
	.random = op_random,
	.psk_for = op_psk_for,
	.ts_policy = op_ts_policy,
	.ike_up = op_ike_up,
	.ike_down = op_ike_down,
	.child_up = ikeio_child_op_up,
	.child_failed = ikeio_child_op_failed,
	.child_down = ikeio_child_op_down,
	.ike_rekeyed = op_ike_rekeyed,
	.spi_taken = op_spi_taken,
};

/* ---- credentials --------------------------------------------------------- */

struct ikeio_cred *ikeio_cred_get(struct ikeio_cred *c)
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

/* ---- entries ------------------------------------------------------------- */

struct ikeio_sa *ikeio_entry_new(struct ikeio *io)
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

void ikeio_entry_link(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
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
	ikeio_children_drop(e);
	ikeio_mip6_sa_gone(e);
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

void ikeio_new_responder(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *path, bool natt,
			 uint64_t now)
{
	const struct conf_ike *ike = ikeio_conf_ike(io);
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
	struct ikeio_sa *e = ikeio_entry_new(io);
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
	e->cred = ikeio_cred_get(io->cred);
	ikeio_entry_link(io, e, now);
}

/* ---- connections (initiate = true) --------------------------------------- */

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
	struct ikeio_sa *e = ikeio_entry_new(io);
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
	e->cred = ikeio_cred_get(io->cred);
	c->sa = e;
	int rc = ikesa_start(e->sa, now);
	ikeio_entry_link(io, e, now);
	if (rc != 0) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: IKE_SA_INIT not sent: %s", c->peer, err_str(rc));
		ikeio_sa_down(e, IKESA_DOWN_INTERNAL);
		return;
	}
	LOG_INFO(LOG_SUB_IKE, "peer %s: IKE_SA_INIT sent", c->peer);
	OPENSSL_cleanse(&prm, sizeof(prm));
}

/* The connection list follows conf: peers with initiate = true. */
static void conns_sync(struct ikeio *io, uint64_t now)
{
	const struct conf_ike *ike = ikeio_conf_ike(io);
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

/* ---- the timer ----------------------------------------------------------- */

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
	const struct conf_ike *ike = ikeio_conf_ike(io);
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

void ikeio_rearm(struct ikeio *io)
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
	const struct conf_ike *ike = ikeio_conf_ike(io);
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
			ikeio_sa_down(e, IKESA_DOWN_TIMEOUT);
			return;
		}
		if (e->dpd_sent_ms == 0 && now >= heard + ike->dpd_interval * 1000ull &&
		    ikesa_dpd(e->sa, now) == 0) /* R7296-1.4.a */
			e->dpd_sent_ms = now;
	}
	if (ike->nat_keepalive != 0 && ikesa_nat_local(e->sa) && now >= e->keepalive_ms + ike->nat_keepalive * 1000ull)
		ikeio_net_keepalive(io, e, now);
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

void ikeio_on_timer(void *arg)
{
	struct ikeio *io = arg;
	uint64_t now = clock_mono_ms();
	if (io->mip6_pump_at != 0 && now >= io->mip6_pump_at)
		ikeio_mip6_pump(io);
	for (struct ikeio_sa *e = io->all, *next; e != NULL; e = next) {
		next = e->next;
		if (!e->dead && ikesa_next_timeout(e->sa) <= now)
			ikesa_tick(e->sa, now);
		entry_old_tick(io, e, now);
		ikeio_child_soft_limits(io, e, now);
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
	ikeio_rearm(io);
}

/* ---- life cycle ---------------------------------------------------------- */

static void apply_conf(struct ikeio *io)
{
	char err[256];
	const struct conf_ike *ike = ikeio_conf_ike(io);
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
	if (ikeio_conf_ike(io) == NULL)
		return 0;
	apply_conf(io);
	int rc = ikeio_net_open(io, err, errlen);
	if (rc < 0) {
		ikeio_free(io);
		*out = NULL;
		return rc;
	}
	uint64_t now = clock_mono_ms();
	io->next_rotate_ms = now + IKEIO_GATE_ROTATE_MS;
	conns_sync(io, now);
	ikeio_rearm(io);
	return 0;
}

void ikeio_set_conf(struct ikeio *io, const struct conf *conf, struct ipsecdb *db)
{
	if (io == NULL)
		return;
	uint64_t now = clock_mono_ms();
	io->conf = conf;
	io->db = db;
	if (ikeio_conf_ike(io) != NULL && io->fd_ike < 0) {
		char err[256];
		if (ikeio_net_open(io, err, sizeof(err)) < 0)
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
			ikeio_children_drop(e);
			if (e->conn != NULL) {
				e->conn->sa = NULL;
				e->conn = NULL;
			}
			if (ikesa_state(e->sa) != IKESA_ESTABLISHED || ikesa_delete(e->sa, now) != 0)
				ikeio_sa_down(e, IKESA_DOWN_LOCAL_DELETE);
			continue;
		}
		ikeio_children_reconf(e, now);
	}
	conns_sync(io, now);
	ikeio_rearm(io);
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

/* ---- listing ------------------------------------------------------------- */

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
	const struct conf_ike *ike = ikeio_conf_ike(io);
	out->key_dump = ike != NULL && ike->key_dump[0] != '\0';
}
