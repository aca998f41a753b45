/*
 * ha_node.c: the home agent role of the mobility adapter (RFC 6275 10,
 * RFC 3776). The engines decide; this file turns their decisions into
 * kernel state and packets:
 *
 *   binding added     proxy NDP entry for the home address on the home link
 *                     (R6275-10.4.1.a) with an unsolicited NA so neighbours
 *                     forget the mobile node's own link-layer address, a /128
 *                     route into the TUN, the MN-HA tunnel SAs pointed at the
 *                     care-of address and their SPD group active
 *   binding moved     the tunnel SAs follow the new care-of address, only
 *                     because a protected BU was accepted (RFC 3776 3.2, 7)
 *   binding deleted   proxy entry and route removed at once (R6275-10.3.2.e),
 *   or expired        SPD group inactive, manual SAs kept (R3776-4.2.e-g)
 *
 * DAD before a first registration (R6275-10.3.1.g): one NS from :: for the
 * home address on the home link; an NA for it, or another node's probe,
 * within HA_NODE_DAD_MS means a duplicate (BA 134).
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/stats.h"
#include "base/wbuf.h"
#include "conf/conf.h"
#include "crypto/crypto.h"
#include "ctl/mip6_show.h"
#include "io/kernel.h"
#include "io/kstate.h"
#include "io/netlink.h"
#include "mip6/dhaad.h"
#include "mip6/ha.h"
#include "mip6/mpd.h"
#include "mobile/node_priv.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

/* RetransTimer x DupAddrDetectTransmits (RFC 4861 10, RFC 4862 5.1). */
#define HA_NODE_DAD_MS 1000u
#define HA_NODE_DAD_MAX 32
#define HA_NODE_ROUTE_METRIC 256u
/* Lifetimes of the home prefixes in Mobile Prefix Advertisements when the
 * configuration names none (RFC 4861 6.2.1 defaults). */
#define HA_NODE_PFX_VALID_S 2592000u
#define HA_NODE_PFX_PREFERRED_S 604800u

struct ha_dad {
	bool used;
	struct in6_addr hoa;
	uint64_t due_ms;
};

struct ha_node {
	struct ha ha;
	struct dhaad_hal hal;
	struct mpd_server mpd;
	const struct conf_home_agent *c;
	char home_link[IF_NAMESIZE];
	unsigned home_ifindex;
	uint8_t mac[6];
	bool have_mac;
	struct ha_dad dad[HA_NODE_DAD_MAX];
	uint64_t bu_received, tunnelled_out, tunnelled_in, dhaad_replies, mpa_sent;
};

/* Per-reason drop counters "ha.drop_<reason>", and the tunnel's. */
static struct stats_counter ha_drop_ctr[HA_DROP_COUNT];
static char ha_drop_ctr_name[HA_DROP_COUNT][40];
static struct stats_counter ha_ctr_tunnel_unbound = STATS_COUNTER("ha", "drop_tunnel_no_binding");
static struct stats_counter ha_ctr_tun_unbound = STATS_COUNTER("ha", "drop_tun_no_binding");
static struct stats_counter ha_ctr_encap = STATS_COUNTER("ha", "drop_encap");
static struct stats_counter ha_ctr_dad_dup = STATS_COUNTER("ha", "dad_duplicates");

static void ha_node_stats_register(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	node_drop_counters("ha", ha_drop_name, HA_DROP_COUNT, ha_drop_ctr, ha_drop_ctr_name);
	stats_register(&ha_ctr_tunnel_unbound);
	stats_register(&ha_ctr_tun_unbound);
	stats_register(&ha_ctr_encap);
	stats_register(&ha_ctr_dad_dup);
}

static const struct in6_addr *ha_self(const struct mnode *n)
{
	return &n->ha->c->address;
}

/* ---- kernel state of a binding ---- */

static void ha_proxy_entry(const struct mnode *n, const struct in6_addr *hoa, struct kstate_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_PROXY;
	snprintf(e->ifname, sizeof(e->ifname), "%s", n->ha->home_link);
	e->prefix.addr = *hoa;
	e->prefix.len = 128;
}

/* A route6 entry (main table), not a plain route: src/fwd reconciles the
 * plain routes of its own TUNs on every reload. */
static void ha_route_entry(const struct in6_addr *hoa, struct kstate_entry *e)
{
	const struct prefix6 dst = { .addr = *hoa, .len = 128 };
	kernel_route_entry(e, MNODE_HA_TUN, &dst, IO_NL_TABLE_MAIN, HA_NODE_ROUTE_METRIC, NULL, NULL);
}

/* The MN-HA tunnel SAs carry the care-of address as outer address. */
static void ha_point_sas(struct mnode *n, const struct in6_addr *hoa, const struct in6_addr *coa, bool active)
{
	struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(n->db, hoa);
	if (!m)
		return;
	node_point_tunnel(n, m, ha_self(n), coa);
	spd_set_group_active(ipsecdb_spd(n->db), m->group, active);
}

/* R6275-10.4.1.a: an unsolicited NA with the Override flag, so hosts on the
 * home link send to us what they sent to the mobile node itself. */
static void ha_announce(struct mnode *n, const struct in6_addr *hoa)
{
	struct ha_node *hn = n->ha;
	if (!hn->have_mac)
		return;
	uint8_t msg[128];
	struct wbuf w;
	struct in6_addr dst, src;
	wbuf_init(&w, msg, sizeof(msg));
	if (node_linklocal(hn->home_link, &src) < 0)
		src = *ha_self(n);
	if (nd_build_proxy_na(&w, &src, hoa, hn->mac, sizeof(hn->mac), &dst) < 0)
		return;
	struct sigpath_icmp_tx tx = { .src = src, .dst = dst, .hlim = SIGPATH_ND_HLIM, .msg = msg,
				      .msg_len = wbuf_len(&w) };
	node_send_icmp6(n, &tx, hn->home_ifindex);
}

static void ha_on_binding(void *arg, const struct bcache_entry *e, enum bcache_event ev)
{
	struct mnode *n = arg;
	char h[ADDR_STRLEN], c[ADDR_STRLEN];
	struct kstate_entry proxy, route;
	addr_fmt(&e->hoa, h, sizeof(h));
	addr_fmt(&e->coa, c, sizeof(c));
	LOG_NOTICE(LOG_SUB_MIP6, "binding %s: hoa %s coa %s lifetime %us", bcache_event_name(ev), h, c,
		   (unsigned)e->lifetime * 4u);
	ha_proxy_entry(n, &e->hoa, &proxy);
	ha_route_entry(&e->hoa, &route);
	switch (ev) {
	case BCACHE_EV_ADDED:
		ha_point_sas(n, &e->hoa, &e->coa, true);
		node_kapply(n, &route);
		if (n->ha->c->proxy_nd) {
			node_kapply(n, &proxy);
			ha_announce(n, &e->hoa);
		}
		break;
	case BCACHE_EV_MOVED:
		ha_point_sas(n, &e->hoa, &e->coa, true);
		break;
	case BCACHE_EV_REFRESHED:
		break;
	case BCACHE_EV_DELETED:
	case BCACHE_EV_EXPIRED:
		node_krevert(n, &proxy);
		node_krevert(n, &route);
		ha_point_sas(n, &e->hoa, &e->coa, false);
		break;
	}
}

/* ---- engine ops ---- */

static int ha_send_mh(void *arg, const struct mip6_tx *tx)
{
	return node_send_mh(arg, tx, 0);
}

/* R3776-4.2.k: the SA must be a BU/BA SA of this home address: the
 * configured one, or a live CHILD_SA of it (an older one too while a rekey
 * overlaps them). */
static bool ha_sa_authorised(void *arg, const struct in6_addr *hoa, uint32_t sa_id)
{
	struct mnode *n = arg;
	const struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(n->db, hoa);
	const struct sa *sa = sad_lookup(ipsecdb_sad(n->db), SA_DIR_IN, sa_id);
	enum ipsecdb_mnha_slot slot;
	return m && m->we_are_ha && sa && ipsecdb_sa_mnha(n->db, sa, &slot) == m && slot == IPSECDB_MNHA_BU_BA;
}

static int ha_dad_start(void *arg, const struct in6_addr *hoa, bool link_local)
{
	(void)link_local; /* the link-local twin is probed with the same interface ID: one probe */
	struct mnode *n = arg;
	struct ha_node *hn = n->ha;
	struct ha_dad *slot = NULL;
	for (size_t i = 0; i < HA_NODE_DAD_MAX && !slot; i++)
		if (!hn->dad[i].used || addr_eq(&hn->dad[i].hoa, hoa))
			slot = &hn->dad[i];
	if (!slot)
		return M6E_NOSPACE; /* the engine's guard drops the BU; the MN retransmits */
	uint8_t msg[64];
	struct wbuf w;
	struct in6_addr dst;
	wbuf_init(&w, msg, sizeof(msg));
	int rc = nd_build_dad_ns(&w, hoa, &dst);
	if (rc < 0)
		return rc;
	struct sigpath_icmp_tx tx = { .dst = dst, .hlim = SIGPATH_ND_HLIM, .msg = msg, .msg_len = wbuf_len(&w) };
	rc = node_send_icmp6(n, &tx, hn->home_ifindex);
	*slot = (struct ha_dad){ .used = true, .hoa = *hoa, .due_ms = clock_mono_ms() + HA_NODE_DAD_MS };
	return rc;
}

static void ha_dad_done(struct mnode *n, struct ha_dad *d, bool unique)
{
	struct in6_addr hoa = d->hoa;
	d->used = false;
	if (!unique) {
		char h[ADDR_STRLEN];
		stats_inc(&ha_ctr_dad_dup);
		LOG_NOTICE(LOG_SUB_MIP6, "DAD: %s is in use on the home link", addr_fmt(&hoa, h, sizeof(h)));
	}
	ha_dad_result(&n->ha->ha, clock_mono_ms(), &hoa, unique);
}

/* ---- prefix discovery ---- */

static int ha_mpd_send(void *arg, const struct mpd_tx *tx)
{
	struct mnode *n = arg;
	uint8_t msg[512];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	int rc = tx->type == ICMP6_TYPE_MPA ? nd_build_mpa(&w, &tx->src, &tx->dst, &tx->mp)
					    : nd_build_mps(&w, &tx->src, &tx->dst, &tx->mp);
	if (rc < 0)
		return rc;
	struct sigpath_icmp_tx itx = { .src = tx->src, .dst = tx->dst, .has_hao = tx->has_hao,
				       .has_rh2 = tx->has_rh2, .hoa = tx->hoa,
				       .protect = tx->protect == MPD_PROT_ESP_MP, .msg = msg,
				       .msg_len = wbuf_len(&w) };
	rc = node_send_icmp6(n, &itx, 0);
	if (rc == 0)
		n->ha->mpa_sent++;
	return rc;
}

static bool ha_mpd_registered(void *arg, const struct in6_addr *hoa, struct in6_addr *coa)
{
	struct mnode *n = arg;
	const struct bcache_entry *e = bcache_lookup(&n->ha->ha.bc, hoa);
	if (!e || e->state != BCE_VALID)
		return false;
	*coa = e->coa;
	return true;
}

static unsigned ha_mpd_bindings(void *arg, struct mpd_binding *out, unsigned max)
{
	struct mnode *n = arg;
	const struct bcache *bc = ha_bcache(&n->ha->ha);
	unsigned k = 0;
	for (size_t i = 0; i < bcache_count(bc) && k < max; i++) {
		const struct bcache_entry *e = bcache_at(bc, i);
		if (e->state == BCE_VALID)
			out[k++] = (struct mpd_binding){ .hoa = e->hoa, .coa = e->coa };
	}
	return k;
}

/* ---- input ---- */

static void ha_input_icmp(struct mnode *n, struct sigpath_rx *rx)
{
	struct ha_node *hn = n->ha;
	uint64_t now = clock_mono_ms();
	enum icmp6_reason why;
	switch (rx->icmp.type) {
	case ICMP6_TYPE_DHAAD_REQUEST: {
		struct icmp6_dhaad req;
		struct dhaad_tx tx;
		uint64_t seed;
		if (icmp6_parse_dhaad_req(&rx->icmp, &req, &why) < 0)
			return;
		crypto_random(&seed, sizeof(seed));
		if (dhaad_hal_answer(&hn->hal, ha_self(n), &rx->src, req.id, seed, ICMP6_MAX_IN_MIN_MTU, &tx) < 0)
			return;
		uint8_t msg[ICMP6_MAX_IN_MIN_MTU];
		struct wbuf w;
		wbuf_init(&w, msg, sizeof(msg));
		if (icmp6_build_dhaad_rep(&w, &tx.src, &tx.dst, tx.msg.id, tx.msg.ha, tx.msg.n_ha,
					  ICMP6_MAX_IN_MIN_MTU, NULL) < 0)
			return;
		struct sigpath_icmp_tx itx = { .src = tx.src, .dst = tx.dst, .msg = msg, .msg_len = wbuf_len(&w) };
		if (node_send_icmp6(n, &itx, 0) == 0)
			hn->dhaad_replies++;
		return;
	}
	case ICMP6_TYPE_MPS: {
		struct nd_mp mps;
		if (nd_parse_mps(&rx->icmp, &mps, &why) < 0)
			return;
		struct mpd_rx mrx = { .src = rx->src, .dst = rx->dst, .has_hao = rx->has_hao, .hao = rx->hao,
				      .esp = rx->esp };
		mpd_server_input_mps(&hn->mpd, now, &mrx, &mps, NULL);
		return;
	}
	case ICMP6_TYPE_NA: {
		struct nd_na na;
		if (rx->ifindex != hn->home_ifindex || nd_parse_na(&rx->icmp, &na, &why) < 0)
			return;
		for (size_t i = 0; i < HA_NODE_DAD_MAX; i++)
			if (hn->dad[i].used && addr_eq(&hn->dad[i].hoa, &na.target))
				ha_dad_done(n, &hn->dad[i], false);
		return;
	}
	case ICMP6_TYPE_NS: {
		/* Another node probing the same address at the same time
		 * (RFC 4862 5.4.3): not unique either. */
		struct nd_ns ns;
		if (rx->ifindex != hn->home_ifindex || !IN6_IS_ADDR_UNSPECIFIED(&rx->src) ||
		    nd_parse_ns(&rx->icmp, &ns, &why) < 0)
			return;
		for (size_t i = 0; i < HA_NODE_DAD_MAX; i++)
			if (hn->dad[i].used && addr_eq(&hn->dad[i].hoa, &ns.target))
				ha_dad_done(n, &hn->dad[i], false);
		return;
	}
	case ICMP6_TYPE_RA: {
		/* Other home agents on the home link (R6275-10.5.1.a). */
		struct nd_ra ra;
		if (rx->ifindex != hn->home_ifindex || nd_validate_ra(&rx->src, (unsigned)rx->hlim, &why) < 0 ||
		    nd_parse_ra(&rx->icmp, &ra, &why) < 0)
			return;
		dhaad_hal_input_ra(&hn->hal, now, &rx->src, &ra);
		return;
	}
	default:
		return;
	}
}

static void ha_node_input(struct mnode *n, struct sigpath_rx *rx, uint8_t *buf)
{
	struct ha_node *hn = n->ha;
	uint64_t now = clock_mono_ms();
	switch (rx->kind) {
	case SIGPATH_MH:
		if (rx->mh.msg.type == MH_TYPE_BU) {
			enum ha_drop why = HA_DROP_NONE;
			hn->bu_received++;
			if (ha_input_bu(&hn->ha, now, &rx->mh, &why) < 0 && why < HA_DROP_COUNT && why)
				stats_inc(&ha_drop_ctr[why]);
		}
		return;
	case SIGPATH_ICMP6:
		ha_input_icmp(n, rx);
		return;
	case SIGPATH_TUNNEL: {
		/* Reverse tunnelling (R6275-10.4.5): only from the registered
		 * care-of address of the inner source's binding. */
		const struct bcache_entry *e = bcache_lookup(&hn->ha.bc, &rx->inner.src);
		if (!e || e->state != BCE_VALID || !addr_eq(&e->coa, &rx->src)) {
			stats_inc(&ha_ctr_tunnel_unbound);
			/* A mobile node tunnelling to us without a binding (we
			 * restarted, or it expired): a Binding Error status 1
			 * for its home address makes it register again at once
			 * (R6275-11.3.6.b) instead of at its next refresh.
			 * Rate-limited like every Binding Error. */
			if (!e && rx->mnha)
				ha_binding_error(&hn->ha, now, &rx->src, ha_self(n), &rx->inner.src, MH_BE_UNKNOWN_HAO);
			return;
		}
		if (node_tun_write(n, buf + rx->off, rx->len) == 0)
			hn->tunnelled_in++;
		return;
	}
	default:
		return;
	}
}

/* Binding Errors (R6275-9.3.3): status 2 for a Mobility Header of unknown
 * type, status 1 for a packet with a Home Address option and no binding
 * for it. Rate-limited by the engine; sent to the packet's source as on the
 * wire, from the address it was sent to. */
static void ha_send_be(struct mnode *n, const struct sigpath_rx *rx, uint8_t status)
{
	ha_binding_error(&n->ha->ha, clock_mono_ms(), &rx->src, &rx->wire_dst, rx->has_hao ? &rx->hao : NULL,
			 status);
}

static bool ha_has_binding(struct mnode *n, const struct in6_addr *hoa)
{
	const struct bcache_entry *e = bcache_lookup(&n->ha->ha.bc, hoa);
	return e && e->state == BCE_VALID;
}

static void ha_node_dropped(struct mnode *n, const struct sigpath_rx *rx)
{
	if (rx->reason == SIGPATH_R_MH && mh_reason_action(rx->mh_reason) == MH_ACT_BE_UNKNOWN)
		ha_send_be(n, rx, MH_BE_UNKNOWN_TYPE);
	else if (rx->reason == SIGPATH_R_UPPER && rx->has_hao && !ha_has_binding(n, &rx->hao))
		ha_send_be(n, rx, MH_BE_UNKNOWN_HAO);
}

/* A packet the kernel routed to a registered home address: tunnel it to the
 * care-of address (R6275-10.4.1). */
static void ha_node_tun_out(struct mnode *n, uint8_t *buf, size_t cap, size_t off, size_t len)
{
	struct ha_node *hn = n->ha;
	struct in6_addr dst;
	if (len < 40 || (buf[off] >> 4) != 6) {
		stats_inc(&ha_ctr_encap);
		return;
	}
	memcpy(&dst, buf + off + 24, sizeof(dst));
	const struct bcache_entry *e = bcache_lookup(&hn->ha.bc, &dst);
	if (!e || e->state != BCE_VALID) {
		stats_inc(&ha_ctr_tun_unbound);
		return;
	}
	const struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(n->db, &dst);
	size_t o, l;
	if (!m || sigpath_encap(n->db, m, ha_self(n), &e->coa, buf, cap, off, len, &o, &l) < 0) {
		stats_inc(&ha_ctr_encap);
		return;
	}
	hn->tunnelled_out++;
	node_queue(n, buf + o, l, &e->coa, 0);
}

/* ---- timers ---- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ha_node_next(struct mnode *n)
{
	struct ha_node *hn = n->ha;
	uint64_t t = ha_next_timeout(&hn->ha);
	t = min_u64(t, mpd_server_next_timeout(&hn->mpd));
	t = min_u64(t, dhaad_hal_next_timeout(&hn->hal));
	for (size_t i = 0; i < HA_NODE_DAD_MAX; i++)
		if (hn->dad[i].used)
			t = min_u64(t, hn->dad[i].due_ms);
	return t;
}

static void ha_node_tick(struct mnode *n, uint64_t now)
{
	struct ha_node *hn = n->ha;
	for (size_t i = 0; i < HA_NODE_DAD_MAX; i++)
		if (hn->dad[i].used && hn->dad[i].due_ms <= now)
			ha_dad_done(n, &hn->dad[i], true);
	ha_tick(&hn->ha, now);
	mpd_server_tick(&hn->mpd, now);
	dhaad_hal_tick(&hn->hal, now);
}

static void ha_node_db_changed(struct mnode *n)
{
	n->ha->c = conf_home_agent(n->conf);
	const struct bcache *bc = ha_bcache(&n->ha->ha);
	for (size_t i = 0; i < bcache_count(bc); i++) {
		const struct bcache_entry *e = bcache_at(bc, i);
		ha_point_sas(n, &e->hoa, &e->coa, e->state == BCE_VALID);
	}
}

/* ---- control socket ---- */

static const char *ha_sa_name(void *arg, uint32_t sa_id)
{
	struct mnode *n = arg;
	const struct sa *sa = sad_lookup(ipsecdb_sad(n->db), SA_DIR_IN, sa_id);
	return sa ? ipsecdb_sa_name(n->db, sa) : NULL;
}

static int ha_show_bindings(void *arg, struct ctl_view *view)
{
	struct mnode *n = arg;
	return mip6_show_bindings(ha_bcache(&n->ha->ha), clock_mono_ms(), ha_sa_name, n, view);
}

static void ha_show_status(void *arg, struct ctl_view *view)
{
	struct mnode *n = arg;
	struct ha_node *hn = n->ha;
	struct mip6_show_ha s = { .address = *ha_self(n), .home_link = hn->home_link,
				  .bindings = bcache_count(ha_bcache(&hn->ha)), .bu_received = hn->bu_received,
				  .tunnelled_out = hn->tunnelled_out, .tunnelled_in = hn->tunnelled_in,
				  .dhaad_replies = hn->dhaad_replies, .mpa_sent = hn->mpa_sent };
	s.bu_accepted = hn->ha.status_sent[MH_BA_ACCEPTED] + hn->ha.status_sent[MH_BA_ACCEPTED_PREFIX_DISC];
	for (unsigned st = 128; st < 256; st++)
		s.bu_rejected += hn->ha.status_sent[st];
	for (unsigned i = 1; i < HA_DROP_COUNT; i++)
		s.bu_dropped += hn->ha.drops[i];
	mip6_show_ha_status(&s, view);
}

/* ---- start and stop ---- */

static int ha_sysctl(struct mnode *n, const char *tree, const char *ifname, const char *leaf, const char *value)
{
	char path[KSTATE_SYSCTL_PATH_MAX];
	struct kstate_entry e;
	int rc = kernel_sysctl_path(path, sizeof(path), tree, ifname, leaf);
	if (rc == 0)
		rc = kernel_sysctl_entry(&e, path, value);
	if (rc == 0 && strcmp(e.sysctl.old, value) == 0)
		return 0; /* already so: nothing to undo later */
	if (rc == 0)
		rc = node_kapply(n, &e);
	return rc;
}

static int ha_kernel_setup(struct mnode *n, char *err, size_t errlen)
{
	struct ha_node *hn = n->ha;
	/* Forwarding for the tunnelled traffic, proxy NDP answered at once
	 * for the home addresses (issue 3's measured kernel facts). */
	int rc = ha_sysctl(n, "conf", "all", "forwarding", "1");
	if (rc == 0 && hn->c->proxy_nd)
		rc = ha_sysctl(n, "conf", hn->home_link, "proxy_ndp", "1");
	if (rc == 0 && hn->c->proxy_nd)
		rc = ha_sysctl(n, "neigh", hn->home_link, "proxy_delay", "0");
	if (rc < 0) {
		snprintf(err, errlen, "sysctls for the home link %s: %s", hn->home_link, err_str(rc));
		return rc;
	}
	/* The Home-Agents anycast address of each home prefix, for DHAAD
	 * (R6275-10.5.1, RFC 2526). */
	for (size_t i = 0; i < hn->c->n_home_prefixes; i++) {
		struct kstate_entry e = { .kind = KSTATE_ADDR };
		if (icmp6_ha_anycast(&hn->c->home_prefixes[i], &e.prefix.addr) < 0)
			continue;
		e.prefix.len = 128;
		snprintf(e.ifname, sizeof(e.ifname), "%s", hn->home_link);
		node_kapply(n, &e);
	}
	return 0;
}

static void ha_engines_init(struct mnode *n)
{
	struct ha_node *hn = n->ha;
	struct in6_addr lla;
	dhaad_hal_init(&hn->hal);
	if (node_linklocal(hn->home_link, &lla) < 0)
		lla = *ha_self(n);
	dhaad_hal_add_self(&hn->hal, &lla, ha_self(n), 0);
	static const struct mpd_server_ops mpd_ops = { .send = ha_mpd_send, .registered = ha_mpd_registered,
						       .bindings = ha_mpd_bindings };
	mpd_server_init(&hn->mpd, ha_self(n), &mpd_ops, n);
	struct nd_pio pio[ND_PIO_MAX];
	unsigned np = 0;
	for (size_t i = 0; i < hn->c->n_home_prefixes && np < ND_PIO_MAX; i++)
		pio[np++] = (struct nd_pio){ .plen = (uint8_t)hn->c->home_prefixes[i].len, .flags = ND_PIO_L | ND_PIO_A,
					     .valid = HA_NODE_PFX_VALID_S, .preferred = HA_NODE_PFX_PREFERRED_S,
					     .prefix = hn->c->home_prefixes[i].addr };
	mpd_server_set_prefixes(&hn->mpd, clock_mono_ms(), pio, np, false, 0);
}

int ha_node_new(struct mnode *n, char *err, size_t errlen)
{
	struct ha_node *hn = calloc(1, sizeof(*hn));
	if (!hn) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	n->ha = hn;
	n->role = &ha_node_role;
	hn->c = conf_home_agent(n->conf);
	snprintf(hn->home_link, sizeof(hn->home_link), "%s", hn->c->home_link);
	hn->home_ifindex = if_nametoindex(hn->home_link);
	if (!hn->home_ifindex) {
		snprintf(err, errlen, "home-agent.home-link %s: no such interface", hn->home_link);
		return M6E_NOTFOUND;
	}
	hn->have_mac = node_lladdr(hn->home_link, hn->mac) == 0;
	ha_node_stats_register();
	static const struct ha_ops ops = { .send_mh = ha_send_mh, .sa_authorised = ha_sa_authorised,
					   .dad_start = ha_dad_start, .binding_changed = ha_on_binding };
	struct ha_params p;
	ha_params_from_conf(hn->c, &p);
	int rc = ha_init(&hn->ha, &p, &ops, n);
	if (rc < 0) {
		snprintf(err, errlen, "home agent: %s", err_str(rc));
		return rc;
	}
	ha_engines_init(n);
	if ((rc = ha_kernel_setup(n, err, errlen)) < 0 || (rc = node_start_io(n, err, errlen)) < 0)
		return rc;
	ctl_set_listing(n->env.ctl, CTL_CMD_BINDINGS, ha_show_bindings, n);
	ctl_set_status_section(n->env.ctl, "home-agent", ha_show_status, n);
	char a[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_MIP6, "home agent %s on %s: %zu mobile nodes, home link intercept through %s",
		   addr_fmt(ha_self(n), a, sizeof(a)), hn->home_link, hn->c->n_mobile_nodes, MNODE_HA_TUN);
	return 0;
}

static void ha_node_free(struct mnode *n)
{
	struct ha_node *hn = n->ha;
	if (!hn)
		return;
	if (n->env.ctl) {
		ctl_set_listing(n->env.ctl, CTL_CMD_BINDINGS, NULL, NULL);
		ctl_set_status_section(n->env.ctl, "home-agent", NULL, NULL);
	}
	ha_fini(&hn->ha);
	free(hn);
	n->ha = NULL;
}

static const uint8_t ha_icmp_types[] = { ICMP6_TYPE_DHAAD_REQUEST, ICMP6_TYPE_MPS, ICMP6_TYPE_NS, ICMP6_TYPE_NA, ICMP6_TYPE_RA };

const struct node_role ha_node_role = {
	.name = "home agent",
	.tun = MNODE_HA_TUN,
	.mark = false,
	.icmp_types = ha_icmp_types,
	.n_icmp_types = sizeof(ha_icmp_types),
	.input = ha_node_input,
	.dropped = ha_node_dropped,
	.tun_out = ha_node_tun_out,
	.next = ha_node_next,
	.tick = ha_node_tick,
	.db_changed = ha_node_db_changed,
	.free = ha_node_free,
};
