/*
 * node.c: the mobility adapter's shared I/O. Every raw receiver feeds
 * sigpath_in() and hands the decided packet to the role; the TUN is drained
 * in bursts into the same pool and the role encapsulates in place; every
 * packet leaves through one IPPROTO_RAW sender (whole packets, our
 * checksums), in one sendmmsg() per burst. One timer serves every engine.
 */
#include "mobile/node.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "conf/conf.h"
#include "io/kstate.h"
#include "io/netlink.h"
#include "io/timer.h"
#include "io/tun.h"
#include "io/watch.h"
#include "mip6/mip6.h"
#include "mobile/node_priv.h"

static const enum mip6sock_kind node_rx_kinds[NODE_N_RX] = {
	MIP6SOCK_RX_DSTOPT, MIP6SOCK_RX_RH, MIP6SOCK_RX_MH, MIP6SOCK_RX_ESP, MIP6SOCK_RX_IPV6, MIP6SOCK_RX_ICMP6,
};

static uint8_t *node_buf(struct mnode *n, size_t i)
{
	return n->pool + i * NODE_BUF_SIZE;
}

void node_flush(struct mnode *n)
{
	if (!n->n_out)
		return;
	size_t failed = 0;
	mip6sock_send_burst(n->tx, n->out, n->n_out, &failed);
	if (failed)
		LOG_RL(LOG_LVL_INFO, LOG_SUB_MIP6, "%zu of %zu packets not sent", failed, n->n_out);
	n->n_out = 0;
}

void node_queue(struct mnode *n, uint8_t *pkt, size_t len, const struct in6_addr *dst, unsigned ifindex)
{
	if (n->n_out == NODE_BURST)
		node_flush(n);
	n->out[n->n_out++] = (struct mip6sock_msg){ .buf = pkt, .len = len, .dst = *dst, .ifindex = ifindex };
}

int node_send_mh(struct mnode *n, const struct mip6_tx *tx, unsigned ifindex)
{
	size_t len;
	struct in6_addr to;
	int rc = sigpath_build_mh(n->db, tx, n->sig_buf, sizeof(n->sig_buf), &len, &to);
	if (rc < 0) {
		char h[ADDR_STRLEN];
		LOG_RL(LOG_LVL_WARN, LOG_SUB_MIP6, "cannot build %s for %s: %s", mh_type_name(tx->msg.type),
		       addr_fmt(&tx->hoa, h, sizeof(h)), err_str(rc));
		return rc;
	}
	node_queue(n, n->sig_buf, len, &to, ifindex);
	node_flush(n);
	return 0;
}

int node_send_icmp6(struct mnode *n, const struct sigpath_icmp_tx *tx, unsigned ifindex)
{
	size_t len;
	struct in6_addr to;
	int rc = sigpath_build_icmp6(n->db, tx, n->sig_buf, sizeof(n->sig_buf), &len, &to);
	if (rc < 0) {
		LOG_RL(LOG_LVL_WARN, LOG_SUB_MIP6, "cannot build ICMPv6 type %u: %s", tx->msg_len ? tx->msg[0] : 0,
		       err_str(rc));
		return rc;
	}
	node_queue(n, n->sig_buf, len, &to, ifindex);
	node_flush(n);
	return 0;
}

int node_tun_write(struct mnode *n, const uint8_t *pkt, size_t len)
{
	return io_tun_write(n->tun, pkt, len);
}

int node_kapply(struct mnode *n, const struct kstate_entry *e)
{
	if (!n->env.ks)
		return M6E_INVAL;
	int rc = kstate_apply(n->env.ks, e);
	if (rc < 0) {
		char line[KSTATE_LINE_MAX] = "";
		kstate_format_line(e, line, sizeof(line));
		line[strcspn(line, "\n")] = '\0';
		LOG_WARN(LOG_SUB_MIP6, "kernel change \"%s\" failed: %s", line, err_str(rc));
	}
	return rc;
}

void node_krevert(struct mnode *n, const struct kstate_entry *e)
{
	if (n->env.ks)
		kstate_revert(n->env.ks, e);
}

int node_lladdr(const char *ifname, uint8_t mac[6])
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	FILE *f = fopen(path, "re");
	if (!f)
		return M6E_NOTFOUND;
	unsigned b[6];
	int k = fscanf(f, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
	fclose(f);
	if (k != 6)
		return M6E_NOTFOUND;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int node_linklocal(const char *ifname, struct in6_addr *out)
{
	struct ifaddrs *ifa = NULL;
	int rc = M6E_NOTFOUND;
	if (getifaddrs(&ifa) != 0)
		return M6E_IO;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || strcmp(i->ifa_name, ifname) != 0)
			continue;
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)i->ifa_addr;
		if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr)) {
			*out = s->sin6_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

void node_drop_counters(const char *group, const char *(*name)(unsigned), unsigned count,
			struct stats_counter *ctr, char (*names)[40])
{
	for (unsigned i = 1; i < count; i++) {
		/* Counter names are one word ("drop_not_esp-protected"): the
		 * engines' reason names are prose. */
		snprintf(names[i], sizeof(names[i]), "drop_%s", name(i));
		for (char *c = names[i]; *c; c++)
			if (*c == ' ')
				*c = '_';
		ctr[i] = (struct stats_counter)STATS_COUNTER(group, names[i]);
		stats_register(&ctr[i]);
	}
}

struct node_point_ctx {
	const struct ipsecdb_mnha *m;
	const struct in6_addr *local, *remote;
};

static void node_point_policy(struct spd_entry *e, void *arg)
{
	const struct node_point_ctx *c = arg;
	const struct sa *sa = e->protect.sa;
	if (!sa || sa->mode != SA_MODE_TUNNEL)
		return;
	if (sa == c->m->rr_out || sa == c->m->payload_out) {
		e->protect.tunnel_src = *c->local;
		e->protect.tunnel_dst = *c->remote;
	} else if (sa == c->m->rr_in || sa == c->m->payload_in) {
		e->protect.tunnel_src = *c->remote;
		e->protect.tunnel_dst = *c->local;
	}
}

void node_point_tunnel(struct mnode *n, const struct ipsecdb_mnha *m, const struct in6_addr *local,
		       const struct in6_addr *remote)
{
	struct sa *out[] = { m->rr_out, m->payload_out };
	struct sa *in[] = { m->rr_in, m->payload_in };
	for (size_t i = 0; i < 2; i++) {
		if (out[i]) {
			out[i]->src = *local;
			out[i]->dst = *remote;
		}
		if (in[i]) {
			in[i]->src = *remote;
			in[i]->dst = *local;
		}
	}
	struct node_point_ctx c = { .m = m, .local = local, .remote = remote };
	spd_foreach(ipsecdb_spd(n->db), node_point_policy, &c);
}

void node_rearm(struct mnode *n)
{
	uint64_t now = clock_mono_ms();
	uint64_t next = n->role->next(n);
	if (next == MIP6_NEVER) {
		io_timer_cancel(n->timer);
		return;
	}
	io_timer_arm(n->timer, next > now ? next - now : 0);
}

static void node_on_timer(void *arg)
{
	struct mnode *n = arg;
	uint64_t now = clock_mono_ms();
	n->role->tick(n, now);
	node_flush(n);
	node_rearm(n);
}

static void node_on_rx(void *arg)
{
	struct node_rx_ctx *c = arg;
	struct mnode *n = c->n;
	struct mip6sock *s = n->rx[c->i];
	for (size_t i = 0; i < NODE_BURST; i++)
		n->msgs[i] = (struct mip6sock_msg){ .buf = node_buf(n, i), .cap = NODE_BUF_SIZE };
	int got = mip6sock_recv_burst(s, n->msgs, NODE_BURST);
	for (int i = 0; i < got; i++) {
		struct mip6sock_msg *m = &n->msgs[i];
		if (m->truncated)
			continue;
		struct sigpath_pkt p = { .proto = (uint8_t)mip6sock_kind(s), .buf = m->buf, .len = m->len,
					 .src = m->src, .dst = m->dst, .ifindex = m->ifindex, .hlim = m->hlim };
		struct sigpath_rx rx;
		if (sigpath_in(n->db, &p, &rx) < 0) {
			if (rx.kind == SIGPATH_DROP && n->role->dropped)
				n->role->dropped(n, &rx);
			continue;
		}
		n->role->input(n, &rx, m->buf);
	}
	node_flush(n);
	node_rearm(n);
}

static void node_on_tun(void *arg)
{
	struct mnode *n = arg;
	for (size_t i = 0; i < NODE_BURST; i++)
		n->tun_msgs[i] = (struct io_msg){ .buf = node_buf(n, i) + SIGPATH_HEADROOM,
						  .cap = NODE_BUF_SIZE - SIGPATH_HEADROOM - SIGPATH_TAILROOM };
	int got = io_tun_read_burst(n->tun, n->tun_msgs, NODE_BURST);
	for (int i = 0; i < got; i++) {
		if (n->tun_msgs[i].truncated)
			continue;
		n->role->tun_out(n, node_buf(n, (size_t)i), NODE_BUF_SIZE, SIGPATH_HEADROOM, n->tun_msgs[i].len);
	}
	node_flush(n);
}

int node_start_io(struct mnode *n, char *err, size_t errlen)
{
	const char *tun_name = n->role->tun;
	char why[200];
	int rc = mip6sock_open(MIP6SOCK_TX, NULL, &n->tx, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "raw sender: %s", why);
		return rc;
	}
	if (n->role->mark && (rc = mip6sock_set_mark(n->tx, MNODE_MARK)) < 0) {
		snprintf(err, errlen, "SO_MARK on the raw sender: %s", err_str(rc));
		return rc;
	}
	for (size_t i = 0; i < NODE_N_RX; i++) {
		if ((rc = mip6sock_open(node_rx_kinds[i], NULL, &n->rx[i], why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s receiver: %s", mip6sock_kind_name(node_rx_kinds[i]), why);
			return rc;
		}
		if (node_rx_kinds[i] == MIP6SOCK_RX_ICMP6 &&
		    (rc = mip6sock_icmp6_filter(n->rx[i], n->role->icmp_types, n->role->n_icmp_types)) < 0) {
			snprintf(err, errlen, "ICMPv6 filter: %s", err_str(rc));
			return rc;
		}
		n->rx_ctx[i] = (struct node_rx_ctx){ .n = n, .i = i };
		if ((rc = io_watch_new(n->env.loop, mip6sock_fd(n->rx[i]), node_on_rx, &n->rx_ctx[i],
				       &n->rx_watch[i])) < 0) {
			snprintf(err, errlen, "watch: %s", err_str(rc));
			return rc;
		}
	}
	if ((rc = io_tun_open(tun_name, &n->tun, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "TUN %s: %s", tun_name, why);
		return rc;
	}
	n->tun_ifindex = io_tun_ifindex(n->tun);
	if ((rc = io_nl_link_set(n->env.nl, n->tun_ifindex, MNODE_TUN_MTU, true)) < 0) {
		snprintf(err, errlen, "TUN %s up: %s", tun_name, err_str(rc));
		return rc;
	}
	if ((rc = io_watch_new(n->env.loop, io_tun_fd(n->tun), node_on_tun, n, &n->tun_watch)) < 0 ||
	    (rc = io_timer_new(n->env.loop, node_on_timer, n, &n->timer)) < 0) {
		snprintf(err, errlen, "event loop: %s", err_str(rc));
		return rc;
	}
	return 0;
}

int mnode_new(const struct mnode_env *env, const struct conf *c, struct ipsecdb *db, struct mnode **out,
	      char *err, size_t errlen)
{
	*out = NULL;
	const struct conf_home_agent *hc = conf_home_agent(c);
	const struct conf_mobile_node *mc = conf_mobile_node(c);
	bool ha = hc && hc->present, mn = mc && mc->present;
	if (!ha && !mn)
		return 0;
	if (ha && mn) {
		snprintf(err, errlen, "home-agent and mobile-node in one configuration are not supported");
		return M6E_INVAL;
	}
	struct mnode *n = calloc(1, sizeof(*n));
	if (!n || !(n->pool = aligned_alloc(64, (size_t)NODE_BURST * NODE_BUF_SIZE))) {
		free(n);
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	n->env = *env;
	n->conf = c;
	n->db = db;
	sigpath_stats_register();
	int rc;
	/* The role first: it decides the ICMPv6 filter and the mark. */
	rc = ha ? ha_node_new(n, err, errlen) : mn_node_new(n, err, errlen);
	if (rc < 0) {
		mnode_free(n);
		return rc;
	}
	node_ike_attach(n);
	*out = n;
	return 0;
}

/* What a reload cannot change under running engines: the role and its
 * addresses. The SAs and everything else do change. */
static bool node_same_role(const struct conf *a, const struct conf *b)
{
	const struct conf_home_agent *ha = conf_home_agent(a), *hb = conf_home_agent(b);
	const struct conf_mobile_node *ma = conf_mobile_node(a), *mb = conf_mobile_node(b);
	if (!ha != !hb || !ma != !mb)
		return false;
	if (ha && (!addr_eq(&ha->address, &hb->address) || strcmp(ha->home_link, hb->home_link) != 0))
		return false;
	if (ma && (!addr_eq(&ma->home_address, &mb->home_address) || !addr_eq(&ma->ha_address, &mb->ha_address)))
		return false;
	return true;
}

int mnode_reload_check(const struct conf *running, const struct conf *next, char *err, size_t errlen)
{
	if (node_same_role(running, next))
		return 0;
	snprintf(err, errlen, "the mobility role or its addresses (home-agent address, home-link; "
		 "mobile-node home-address, ha-address) change only at restart");
	return M6E_PERM;
}

void mnode_set_conf(struct mnode *n, const struct conf *c, struct ipsecdb *db)
{
	if (!n)
		return;
	n->conf = c;
	n->db = db;
	n->role->db_changed(n);
	node_flush(n);
	node_rearm(n);
}

void mnode_free(struct mnode *n)
{
	if (!n)
		return;
	if (n->role)
		n->role->free(n);
	node_flush(n);
	io_timer_free(n->timer);
	io_watch_free(n->tun_watch);
	io_tun_close(n->tun);
	for (size_t i = 0; i < NODE_N_RX; i++) {
		io_watch_free(n->rx_watch[i]);
		mip6sock_close(n->rx[i]);
	}
	mip6sock_close(n->tx);
	free(n->pool);
	free(n);
}
