#include "fwd/fwd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"
#include "io/kstate.h"
#include "io/netlink.h"
#include "io/sock.h"
#include "io/tun.h"
#include "io/watch.h"

#define FWD_OUTER_MTU_DEFAULT 1500

/* One outer socket, shared by every tunnel with the same encapsulation,
 * local address and port. */
struct fwd_ep {
	struct fwd *fwd;
	enum io_sock_kind kind;
	struct in6_addr local;
	uint16_t port;
	struct io_sock *sock;
	struct io_watch *watch;
	unsigned refs;
	struct fwd_ep *next;
};

struct fwd_tunnel {
	struct fwd *fwd;
	char name[CONF_IFNAME_MAX];
	struct io_tun *tun;
	struct io_watch *watch;
	/* Outer sockets: a manual tunnel has the one of its encapsulation, an
	 * IKE-keyed tunnel both (each SA says which it uses). */
	struct fwd_ep *ep_esp, *ep_udp;
	const struct ipsecdb_tunnel *t; /* in fwd->db */
	unsigned mtu;
	struct fwd_tunnel *next;
};

struct fwd {
	struct io_loop *loop;
	struct io_nl *nl;
	struct kstate *ks;
	struct ipsecdb *db;
	struct fwd_tunnel *tunnels;
	struct fwd_tunnel **by_ifid; /* index ifid - 1 (site tunnels: position + 1) */
	size_t n_by_ifid;
	struct fwd_ep *eps;
	fwd_ike_sink_fn ike_fn;
	void *ike_arg;
	/* The packet pool: FWD_BURST buffers of FWD_BUF_SIZE, one burst at a
	 * time (the loop is single-threaded and a burst is finished before the
	 * next event), and the burst descriptors. */
	uint8_t *pool;
	struct io_msg rx[FWD_BURST];
	struct io_msg tx_esp[FWD_BURST], tx_udp[FWD_BURST];
};

static uint8_t *pool_buf(struct fwd *f, size_t i)
{
	return f->pool + i * FWD_BUF_SIZE;
}

int fwd_new(struct io_loop *loop, struct io_nl *nl, struct kstate *ks, struct fwd **out)
{
	struct fwd *f = calloc(1, sizeof(*f));
	if (!f)
		return M6E_NOMEM;
	f->pool = aligned_alloc(64, (size_t)FWD_BURST * FWD_BUF_SIZE);
	if (!f->pool) {
		free(f);
		return M6E_NOMEM;
	}
	f->loop = loop;
	f->nl = nl;
	f->ks = ks;
	fwdpath_stats_register();
	*out = f;
	return 0;
}

static struct fwd_tunnel *fwd_tunnel_of(const struct fwd *f, uint32_t ifid)
{
	return ifid >= 1 && ifid <= f->n_by_ifid ? f->by_ifid[ifid - 1] : NULL;
}

/* The ESP or SPD reason behind a drop, for logs ("" for the others). */
static const char *fwd_drop_detail(const struct fwd_verdict *v)
{
	if (v->drop == FWD_DROP_ESP)
		return esp_drop_name(v->esp);
	if (v->drop == FWD_DROP_POLICY)
		return spd_drop_name(v->spd);
	return "";
}

/* Rate-limited: a host behind us decides what enters the TUN. */
static void fwd_log_out_drop(const struct fwd_tunnel *ft, const uint8_t *pkt, size_t len,
			     const struct fwd_verdict *v)
{
	char s[ADDR_STRLEN] = "?", d[ADDR_STRLEN] = "?";
	struct in6_addr a;
	struct rbuf r;
	rbuf_init(&r, pkt, len);
	if (rbuf_skip(&r, 8) == 0 && rbuf_bytes(&r, &a, sizeof(a)) == 0) /* IPv6 source, then destination */
		addr_fmt(&a, s, sizeof(s));
	if (rbuf_bytes(&r, &a, sizeof(a)) == 0)
		addr_fmt(&a, d, sizeof(d));
	const char *detail = fwd_drop_detail(v);
	LOG_RL(LOG_LVL_INFO, LOG_SUB_FWD, "%s: outbound packet %s -> %s dropped: %s%s%s", ft->name, s, d,
	       fwd_drop_name(v->drop), *detail ? ": " : "", detail);
}

/* Send one burst on ep (NULL: the tunnel has no socket of that kind). */
static void fwd_send(struct fwd_ep *ep, const struct io_msg *tx, size_t k)
{
	size_t failed = k;
	int sent = 0;
	if (k == 0)
		return;
	if (ep)
		sent = io_sock_send_burst(ep->sock, tx, k, &failed);
	if (sent > 0)
		fwdpath_count_out((size_t)sent);
	struct fwd_verdict sv = { .drop = FWD_DROP_SEND };
	for (size_t i = 0; i < failed; i++)
		fwdpath_count(&sv);
}

/* A TUN is readable: drain one burst, seal in place, send it in one go
 * (one sendmmsg per encapsulation). */
static void fwd_on_tun(void *arg)
{
	struct fwd_tunnel *ft = arg;
	struct fwd *f = ft->fwd;
	for (size_t i = 0; i < FWD_BURST; i++) {
		f->rx[i].buf = pool_buf(f, i) + FWD_HEADROOM;
		f->rx[i].cap = FWD_INNER_MAX;
	}
	int n = io_tun_read_burst(ft->tun, f->rx, FWD_BURST);
	if (n <= 0)
		return;
	fwdpath_count_in((size_t)n);
	size_t k_esp = 0, k_udp = 0;
	for (int i = 0; i < n; i++) {
		struct fwd_verdict v = { .drop = FWD_DROP_TOO_BIG };
		struct fwd_out o;
		/* A packet that filled the buffer may have been cut. */
		if (f->rx[i].truncated ||
		    fwdpath_out(f->db, ft->t, pool_buf(f, (size_t)i), FWD_BUF_SIZE, f->rx[i].len, &o, &v) != 0) {
			fwdpath_count(&v);
			if (v.drop != FWD_DROP_LINK_SCOPE)
				fwd_log_out_drop(ft, f->rx[i].buf, f->rx[i].len, &v);
			continue;
		}
		struct io_msg *tx = o.udp ? &f->tx_udp[k_udp++] : &f->tx_esp[k_esp++];
		*tx = (struct io_msg){ .buf = pool_buf(f, (size_t)i) + o.off, .len = o.len, .peer = o.peer,
				       .port = o.port };
	}
	fwd_send(ft->ep_esp, f->tx_esp, k_esp);
	fwd_send(ft->ep_udp, f->tx_udp, k_udp);
}

/* An outer socket is readable: one burst in, each packet opened in place
 * and handed to its tunnel's TUN. */
static void fwd_on_sock(void *arg)
{
	struct fwd_ep *ep = arg;
	struct fwd *f = ep->fwd;
	for (size_t i = 0; i < FWD_BURST; i++) {
		f->rx[i].buf = pool_buf(f, i);
		f->rx[i].cap = FWD_BUF_SIZE;
	}
	int n = io_sock_recv_burst(ep->sock, f->rx, FWD_BURST);
	if (n <= 0)
		return;
	fwdpath_count_in((size_t)n);
	for (int i = 0; i < n; i++) {
		struct io_msg *m = &f->rx[i];
		struct fwd_verdict v = { .drop = FWD_DROP_TOO_BIG };
		struct fwd_in in = { .udp = ep->kind == IO_SOCK_UDP, .src = m->peer, .dst = m->local,
				     .sport = m->port, .dport = ep->port, .ike = f->ike_fn, .ike_arg = f->ike_arg };
		const struct ipsecdb_tunnel *t = NULL;
		size_t off = 0, len = 0;
		if (m->truncated || fwdpath_in(f->db, &in, m->buf, m->len, &t, &off, &len, &v) != 0) {
			if (v.drop == FWD_DROP_NONE)
				continue; /* an IKE message, given to the sink */
			fwdpath_count(&v);
			const char *detail = fwd_drop_detail(&v);
			char a[ADDR_STRLEN];
			if (v.drop != FWD_DROP_KEEPALIVE)
				LOG_RL(LOG_LVL_INFO, LOG_SUB_FWD, "inbound %s packet from %s dropped: %s%s%s",
				       io_sock_kind_name(ep->kind), addr_fmt(&m->peer, a, sizeof(a)),
				       fwd_drop_name(v.drop), *detail ? ": " : "", detail);
			continue;
		}
		struct fwd_tunnel *ft = fwd_tunnel_of(f, t->ifid);
		struct fwd_verdict wv = { .drop = FWD_DROP_TUN_WRITE };
		if (!ft || io_tun_write(ft->tun, m->buf + off, len) != 0) {
			fwdpath_count(&wv);
			continue;
		}
		fwdpath_count_out(1);
	}
}

static void fwd_ep_put(struct fwd *f, struct fwd_ep *ep)
{
	if (!ep || --ep->refs > 0)
		return;
	for (struct fwd_ep **pp = &f->eps; *pp; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			break;
		}
	}
	io_watch_free(ep->watch);
	io_sock_close(ep->sock);
	free(ep);
}

/* The end point (kind, local, port), shared or newly opened (one more
 * reference). */
static int fwd_ep_get(struct fwd *f, enum io_sock_kind kind, const struct in6_addr *local, uint16_t port,
		      struct fwd_ep **out, char *err, size_t errlen)
{
	for (struct fwd_ep *ep = f->eps; ep; ep = ep->next) {
		if (ep->kind == kind && ep->port == port && addr_eq(&ep->local, local)) {
			ep->refs++;
			*out = ep;
			return 0;
		}
	}
	struct fwd_ep *ep = calloc(1, sizeof(*ep));
	if (!ep) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	ep->fwd = f;
	ep->kind = kind;
	ep->local = *local;
	ep->port = port;
	int rc = io_sock_open(kind, local, port, &ep->sock, err, errlen);
	if (rc == 0 && (rc = io_watch_new(f->loop, io_sock_fd(ep->sock), fwd_on_sock, ep, &ep->watch)) != 0)
		snprintf(err, errlen, "cannot watch the %s socket", io_sock_kind_name(kind));
	if (rc != 0) {
		io_sock_close(ep->sock);
		free(ep);
		return rc;
	}
	ep->refs = 1;
	ep->next = f->eps;
	f->eps = ep;
	*out = ep;
	return 0;
}

static void fwd_tunnel_free(struct fwd *f, struct fwd_tunnel *ft)
{
	if (!ft)
		return;
	io_watch_free(ft->watch);
	if (ft->tun) {
		io_tun_close(ft->tun);
		/* The device took its routes with it. */
		if (f->ks)
			kstate_forget_ifname(f->ks, ft->name);
		LOG_NOTICE(LOG_SUB_FWD, "tunnel %s closed", ft->name);
	}
	fwd_ep_put(f, ft->ep_esp);
	fwd_ep_put(f, ft->ep_udp);
	free(ft);
}

static struct fwd_tunnel *fwd_find(struct fwd_tunnel *list, const char *name)
{
	for (; list; list = list->next)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* The outbound SA's algorithm decides the overhead (no SA: plain CBC+HMAC
 * worst case, the manual-key suite). An IKE-keyed tunnel's SAs come and go
 * and NAT detection picks the encapsulation: the worst case, CBC+HMAC in
 * UDP, so the MTU never has to shrink under running traffic. */
static unsigned fwd_mtu_for(const struct ipsecdb_tunnel *t)
{
	unsigned outer = FWD_OUTER_MTU_DEFAULT;
	char ifname[16];
	char a[ADDR_STRLEN];
	if (io_nl_addr_mtu(&t->local, &outer, ifname) != 0) {
		outer = FWD_OUTER_MTU_DEFAULT;
		LOG_WARN(LOG_SUB_FWD, "%s: no interface holds %s; assuming an outer MTU of %u", t->name,
			 addr_fmt(&t->local, a, sizeof(a)), outer);
	}
	if (t->ike_peer[0])
		return fwdpath_tun_mtu(outer, AEAD_AES128_CBC_HMAC_SHA256_128, true);
	enum aead_alg alg = t->out_sa ? t->out_sa->alg : AEAD_AES128_CBC_HMAC_SHA256_128;
	return fwdpath_tun_mtu(outer, alg, t->udp_encap);
}

/* Routes: every remote prefix of every tunnel into its TUN, through the
 * journal; ours that are no longer wanted are removed. */
static void fwd_routes(struct fwd *f)
{
	if (!f->ks)
		return;
	for (size_t i = kstate_count(f->ks); i-- > 0;) {
		const struct kstate_entry *e = kstate_at(f->ks, i);
		if (e->kind != KSTATE_ROUTE)
			continue;
		struct fwd_tunnel *ft = fwd_find(f->tunnels, e->ifname);
		bool wanted = false;
		for (size_t p = 0; ft && p < ft->t->n_remote_prefixes; p++)
			wanted |= ft->t->remote_prefixes[p].len == e->prefix.len &&
				  addr_eq(&ft->t->remote_prefixes[p].addr, &e->prefix.addr);
		if (!wanted) {
			struct kstate_entry copy = *e;
			kstate_revert(f->ks, &copy);
		}
	}
	for (struct fwd_tunnel *ft = f->tunnels; ft; ft = ft->next) {
		for (size_t p = 0; p < ft->t->n_remote_prefixes; p++) {
			struct kstate_entry e = { .kind = KSTATE_ROUTE, .prefix = ft->t->remote_prefixes[p],
						  .metric = FWD_ROUTE_METRIC };
			snprintf(e.ifname, sizeof(e.ifname), "%s", ft->name);
			bool have = false;
			for (size_t i = 0; i < kstate_count(f->ks); i++)
				have |= kstate_entry_eq(kstate_at(f->ks, i), &e);
			if (have)
				continue;
			char a[ADDR_STRLEN];
			int rc = kstate_apply(f->ks, &e);
			if (rc != 0)
				LOG_ERR(LOG_SUB_FWD, "%s: cannot route %s/%u into the tunnel: %s", ft->name,
					addr_fmt(&e.prefix.addr, a, sizeof(a)), e.prefix.len, err_str(rc));
		}
	}
}

/* The outer sockets of ft: its encapsulation's for a manual tunnel; ESP
 * and UDP 4500 for an IKE-keyed one (RFC 7296 2.23). */
static int fwd_tunnel_eps(struct fwd *f, struct fwd_tunnel *ft, char *err, size_t errlen)
{
	const struct ipsecdb_tunnel *t = ft->t;
	bool ike = t->ike_peer[0] != '\0';
	int rc = 0;
	if (ike || !t->udp_encap)
		rc = fwd_ep_get(f, IO_SOCK_ESP, &t->local, 0, &ft->ep_esp, err, errlen);
	if (rc == 0 && (ike || t->udp_encap))
		rc = fwd_ep_get(f, IO_SOCK_UDP, &t->local, t->udp_port, &ft->ep_udp, err, errlen);
	return rc;
}

/* Open what db needs that we do not have yet; on failure close it all. */
static int fwd_prepare(struct fwd *f, struct ipsecdb *db, struct fwd_tunnel **list, char *err, size_t errlen)
{
	size_t n;
	struct ipsecdb_tunnel *ts = ipsecdb_tunnels(db, &n);
	struct fwd_tunnel *head = NULL, **tail = &head;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct fwd_tunnel *ft = calloc(1, sizeof(*ft));
		if (!ft) {
			snprintf(err, errlen, "out of memory");
			rc = M6E_NOMEM;
			break;
		}
		ft->fwd = f;
		ft->t = &ts[i];
		snprintf(ft->name, sizeof(ft->name), "%s", ts[i].name);
		*tail = ft;
		tail = &ft->next;
		rc = fwd_tunnel_eps(f, ft, err, errlen);
		if (rc == 0 && !fwd_find(f->tunnels, ft->name)) {
			rc = io_tun_open(ft->name, &ft->tun, err, errlen);
			if (rc == 0 && (rc = io_watch_new(f->loop, io_tun_fd(ft->tun), fwd_on_tun, ft, &ft->watch)) != 0)
				snprintf(err, errlen, "%s: cannot watch the TUN device", ft->name);
		}
	}
	if (rc != 0) {
		while (head) {
			struct fwd_tunnel *next = head->next;
			fwd_tunnel_free(f, head);
			head = next;
		}
		return rc;
	}
	*list = head;
	return 0;
}

int fwd_set_db(struct fwd *f, struct ipsecdb *db, char *err, size_t errlen)
{
	struct fwd_tunnel *next = NULL;
	size_t n;
	ipsecdb_tunnels(db, &n);
	struct fwd_tunnel **by_ifid = calloc(n ? n : 1, sizeof(*by_ifid));
	if (!by_ifid) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	int rc = fwd_prepare(f, db, &next, err, errlen);
	if (rc != 0) {
		free(by_ifid);
		return rc;
	}
	/* Commit: nothing below can fail in a way that keeps the old db. */
	for (struct fwd_tunnel *ft = next; ft; ft = ft->next) {
		struct fwd_tunnel *old = fwd_find(f->tunnels, ft->name);
		if (old) { /* the same device serves the new configuration */
			io_watch_free(old->watch);
			old->watch = NULL;
			ft->tun = old->tun;
			old->tun = NULL;
			if (io_watch_new(f->loop, io_tun_fd(ft->tun), fwd_on_tun, ft, &ft->watch) != 0)
				LOG_ERR(LOG_SUB_FWD, "%s: cannot watch the TUN device", ft->name);
		}
	}
	while (f->tunnels) {
		struct fwd_tunnel *old = f->tunnels;
		f->tunnels = old->next;
		fwd_tunnel_free(f, old);
	}
	f->tunnels = next;
	free(f->by_ifid);
	f->by_ifid = by_ifid;
	f->n_by_ifid = n;
	f->db = db;
	for (struct fwd_tunnel *ft = f->tunnels; ft; ft = ft->next) {
		if (ft->t->ifid >= 1 && ft->t->ifid <= n)
			by_ifid[ft->t->ifid - 1] = ft;
		unsigned mtu = fwd_mtu_for(ft->t);
		if (f->nl && (rc = io_nl_link_set(f->nl, io_tun_ifindex(ft->tun), mtu, true)) != 0)
			LOG_ERR(LOG_SUB_FWD, "%s: cannot set MTU %u and bring the link up: %s", ft->name, mtu,
				err_str(rc));
		ft->mtu = mtu;
		char l[ADDR_STRLEN], r[ADDR_STRLEN];
		LOG_NOTICE(LOG_SUB_FWD, "tunnel %s: %s -> %s, %s, MTU %u, SA out %s", ft->name,
			   addr_fmt(&ft->t->local, l, sizeof(l)), addr_fmt(&ft->t->remote, r, sizeof(r)),
			   ft->t->ike_peer[0] ? "IKE-keyed (ESP or ESP-in-UDP)" : ft->t->udp_encap ? "ESP-in-UDP" : "ESP",
			   mtu, ft->t->out_sa ? "yes" : "none");
	}
	fwd_routes(f);
	return 0;
}

void fwd_free(struct fwd *f)
{
	if (!f)
		return;
	while (f->tunnels) {
		struct fwd_tunnel *ft = f->tunnels;
		f->tunnels = ft->next;
		fwd_tunnel_free(f, ft);
	}
	free(f->by_ifid);
	free(f->pool);
	free(f);
}

void fwd_set_ike_sink(struct fwd *f, fwd_ike_sink_fn fn, void *arg)
{
	f->ike_fn = fn;
	f->ike_arg = arg;
}

size_t fwd_tunnel_count(const struct fwd *f)
{
	size_t n = 0;
	for (const struct fwd_tunnel *ft = f->tunnels; ft; ft = ft->next)
		n++;
	return n;
}
