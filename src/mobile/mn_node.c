/*
 * mn_node.c: the mobile node role of the mobility adapter (RFC 6275 11,
 * RFC 3776). rtnetlink events (io/nlmon) feed movement detection
 * (mip6/movement); a new care-of address drives home registration
 * (mip6/mn), whose BUs leave with a HAO inside the RFC 3776 layout
 * (mobile/sigpath). Away from home every packet from the home address is
 * reverse-tunnelled to the home agent (R6275-11.3.1):
 *
 *   TUN m6mn0 holds the home address; table MNODE_TABLE has
 *   "default dev m6mn0 src HoA"; rules: MNODE_RULE_PRIO "lookup main
 *   suppress_prefixlength 0" (on-link and specific routes still win) and
 *   MNODE_RULE_PRIO+1 "not fwmark MNODE_MARK lookup MNODE_TABLE". Our raw
 *   sender is marked, and sends through the care-of address's interface.
 *
 * At home (R6275-11.5.5): the rules and the table route go, the BU
 * deregisters from the home address, and an unsolicited NA for the home
 * address takes it back from the home agent's proxy.
 */
#include <inttypes.h>
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
#include "ike/ikeio.h"
#include "ike/mip6ike.h"
#include "io/kstate.h"
#include "io/netlink.h"
#include "io/nlmon.h"
#include "mip6/dhaad.h"
#include "mip6/mn.h"
#include "mip6/movement.h"
#include "mip6/mpd.h"
#include "mobile/node_priv.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

struct mn_node {
	const struct conf_mobile_node *c;
	struct mn mn;
	bool mn_ready; /* the home agent is known and the engine started */
	struct in6_addr ha;
	struct move mv;
	struct nlmon *mon;
	struct dhaad_client dc;
	struct mpd_client mpc;
	bool away_routing;
	bool has_coa;
	struct in6_addr coa;
	unsigned coa_ifindex;
	unsigned home_ifindex;
	bool at_home;
	bool attached_before;   /* had a care-of address or was home: the next CoA is a handover */
	uint64_t move_ms;       /* when the attachment being registered started to change, 0: none */
	int64_t last_handover_ms;
	uint64_t registrations, handovers, tunnelled_out, tunnelled_in;
	bool mps_sent;
	/* RFC 4877: IKE-keyed MN-HA SAs. The BU waits for the BU/BA CHILD_SA
	 * of the IKE SA started from the current care-of address. */
	bool bu_wait;
	uint64_t ike_retry_at;   /* re-run IKE then (0: not scheduled) */
	uint32_t ike_backoff_ms;
};

#define MN_IKE_RETRY_MIN_MS 1000u
#define MN_IKE_RETRY_MAX_MS 30000u

static struct stats_counter mn_drop_ctr[MN_DROP_COUNT];
static char mn_drop_ctr_name[MN_DROP_COUNT][40];
static struct stats_counter mn_ctr_tun_not_away = STATS_COUNTER("mn", "drop_tun_not_away");
static struct stats_counter mn_ctr_tun_src = STATS_COUNTER("mn", "drop_tun_not_home_address");
static struct stats_counter mn_ctr_encap = STATS_COUNTER("mn", "drop_encap");
static struct stats_counter mn_ctr_tunnel_src = STATS_COUNTER("mn", "drop_tunnel_not_from_ha");

static void mn_node_stats_register(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	node_drop_counters("mn", mn_drop_name, MN_DROP_COUNT, mn_drop_ctr, mn_drop_ctr_name);
	stats_register(&mn_ctr_tun_not_away);
	stats_register(&mn_ctr_tun_src);
	stats_register(&mn_ctr_encap);
	stats_register(&mn_ctr_tunnel_src);
}

static const struct in6_addr *mn_hoa(const struct mnode *n)
{
	return &n->mn->c->home_address;
}

/* The interface signalling leaves through: the CoA's away, the home link's at home. */
static unsigned mn_out_ifindex(const struct mn_node *m)
{
	return m->at_home ? m->home_ifindex : m->coa_ifindex;
}

/* ---- kernel state while away ---- */

static void mn_away_entries(const struct mnode *n, struct kstate_entry e[3])
{
	memset(e, 0, 3 * sizeof(e[0]));
	e[0].kind = KSTATE_ROUTE6;
	snprintf(e[0].ifname, sizeof(e[0].ifname), "%s", MNODE_MN_TUN);
	e[0].route.table = MNODE_TABLE;
	e[0].route.has_src = true;
	e[0].route.src = *mn_hoa(n);
	e[1].kind = KSTATE_RULE;
	e[1].rule = (struct kstate_rule){ .priority = MNODE_RULE_PRIO, .table = IO_NL_TABLE_MAIN,
					  .suppress_prefixlen = 0 };
	e[2].kind = KSTATE_RULE;
	e[2].rule = (struct kstate_rule){ .priority = MNODE_RULE_PRIO + 1, .table = MNODE_TABLE,
					  .fwmark = MNODE_MARK, .fwmask = 0xffffffffu, .invert = true,
					  .suppress_prefixlen = -1 };
}

static void mn_set_away_routing(struct mnode *n, bool on)
{
	struct mn_node *m = n->mn;
	if (m->away_routing == on)
		return;
	struct kstate_entry e[3];
	mn_away_entries(n, e);
	for (size_t i = 0; i < 3; i++) {
		if (on)
			node_kapply(n, &e[i]);
		else
			node_krevert(n, &e[2 - i]);
	}
	m->away_routing = on;
}

/* The MN-HA tunnel SAs follow the care-of address (RFC 3776 3.2). */
static void mn_point_sas(struct mnode *n)
{
	struct mn_node *m = n->mn;
	struct ipsecdb_mnha *p = ipsecdb_mnha_by_hoa(n->db, mn_hoa(n));
	if (!p)
		return;
	if (m->has_coa)
		node_point_tunnel(n, p, &m->coa, &m->ha);
	/* R3776-4.2.e: the tunnel policies are inactive at home. */
	spd_set_group_active(ipsecdb_spd(n->db), p->group, !m->at_home);
}

/* R6275-11.5.5: an unsolicited NA (Override) for the home address, so the
 * home link stops sending to the home agent's proxy. */
static void mn_announce_home(struct mnode *n)
{
	struct mn_node *m = n->mn;
	char ifname[IF_NAMESIZE];
	if (!m->home_ifindex || !if_indextoname(m->home_ifindex, ifname))
		return;
	struct nd_na na = { .flags = ND_NA_O, .target = *mn_hoa(n) };
	uint8_t mac[6];
	if (node_lladdr(ifname, mac) == 0) {
		na.opts.tlla.present = true;
		na.opts.tlla.len = 6;
		memcpy(na.opts.tlla.addr, mac, 6);
	}
	struct in6_addr all_nodes = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
	uint8_t msg[128];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	if (nd_build_na(&w, mn_hoa(n), &all_nodes, &na) < 0)
		return;
	struct sigpath_icmp_tx tx = { .src = *mn_hoa(n), .dst = all_nodes, .hlim = SIGPATH_ND_HLIM, .msg = msg,
				      .msg_len = wbuf_len(&w) };
	node_send_icmp6(n, &tx, m->home_ifindex);
}

/* ---- engines' ops ---- */

static int mn_send_mh(void *arg, const struct mip6_tx *tx)
{
	struct mnode *n = arg;
	return node_send_mh(n, tx, mn_out_ifindex(n->mn));
}

static void mn_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	crypto_random(buf, len);
}

static void mn_start_mps(struct mnode *n)
{
	struct mn_node *m = n->mn;
	uint16_t id;
	if (m->mps_sent || !m->has_coa)
		return;
	crypto_random(&id, sizeof(id));
	m->mps_sent = true;
	mpd_client_start(&m->mpc, clock_mono_ms(), &m->coa, mn_hoa(n), &m->ha, id);
}

static void mn_on_event(void *arg, const struct mn_report *r)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	char c[ADDR_STRLEN];
	uint64_t now = clock_mono_ms();
	addr_fmt(&r->coa, c, sizeof(c));
	switch (r->ev) {
	case MN_EV_REGISTERED:
		m->registrations++;
		if (m->move_ms) {
			/* From losing the old attachment (or gaining the new
			 * one) to the home agent's acknowledgement. */
			m->last_handover_ms = (int64_t)(now - m->move_ms);
			m->move_ms = 0;
			LOG_NOTICE(LOG_SUB_MIP6, "registered: coa %s lifetime %us (status %u, %" PRId64
				   " ms after the move)", c, (unsigned)r->lifetime_s, r->status, m->last_handover_ms);
		} else {
			LOG_INFO(LOG_SUB_MIP6, "registered: coa %s lifetime %us (status %u, refresh)", c,
				 (unsigned)r->lifetime_s, r->status);
		}
		mn_point_sas(n);
		mn_start_mps(n);
		break;
	case MN_EV_REJECTED:
		LOG_WARN(LOG_SUB_MIP6, "registration of %s rejected with status %u; retrying", c, r->status);
		break;
	case MN_EV_FAILED:
		LOG_ERR(LOG_SUB_MIP6, "home agent reports the home address in use (status %u): not registering",
			r->status);
		break;
	case MN_EV_EXPIRED:
		LOG_WARN(LOG_SUB_MIP6, "binding for %s expired", c);
		break;
	case MN_EV_NO_ANSWER:
		LOG_WARN(LOG_SUB_MIP6, "no answer from the home agent; retrying every %u s",
			 MIP6_MAX_BINDACK_TIMEOUT_MS / 1000u);
		break;
	case MN_EV_HOME:
		LOG_NOTICE(LOG_SUB_MIP6, "deregistered: at home");
		if (m->move_ms) {
			m->last_handover_ms = (int64_t)(now - m->move_ms);
			m->move_ms = 0;
		}
		mn_announce_home(n);
		mn_point_sas(n);
		break;
	}
}

static int mn_engine_start(struct mnode *n, const struct in6_addr *ha, char *err, size_t errlen)
{
	struct mn_node *m = n->mn;
	static const struct mn_ops ops = { .send_mh = mn_send_mh, .event = mn_on_event, .random = mn_random };
	struct mn_params p;
	mn_params_from_conf(m->c, &p);
	p.ha = *ha;
	/* R6275-11.7.1.d: K = 1 only when the SAs come from IKE and can follow
	 * the care-of address; every SA is manual until IKE lands, so K = 0. */
	const struct ipsecdb_mnha *pair = ipsecdb_mnha_by_hoa(n->db, mn_hoa(n));
	p.k = m->c->key_mgmt_mobility && pair && pair->bu_out && !pair->bu_out->manual;
	int rc = mn_init(&m->mn, &p, &ops, n);
	if (rc < 0) {
		snprintf(err, errlen, "mobile node: %s", err_str(rc));
		return rc;
	}
	m->ha = *ha;
	m->mn_ready = true;
	return 0;
}

/* DHAAD (R6275-11.4.1): the home agent is the first of the reply. */
static int mn_dhaad_send(void *arg, const struct dhaad_tx *tx)
{
	struct mnode *n = arg;
	uint8_t msg[64];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	int rc = icmp6_build_dhaad_req(&w, &tx->src, &tx->dst, tx->msg.id);
	if (rc < 0)
		return rc;
	struct sigpath_icmp_tx itx = { .src = tx->src, .dst = tx->dst, .msg = msg, .msg_len = wbuf_len(&w) };
	return node_send_icmp6(n, &itx, n->mn->coa_ifindex);
}

static void mn_dhaad_result(void *arg, int status, const struct in6_addr *ha, unsigned count)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	char a[ADDR_STRLEN], err[200];
	if (status < 0 || !ha) {
		LOG_WARN(LOG_SUB_MIP6, "DHAAD: no home agent answered");
		return;
	}
	LOG_NOTICE(LOG_SUB_MIP6, "DHAAD: home agent %s (%u listed)", addr_fmt(ha, a, sizeof(a)), count);
	if (m->mn_ready)
		return;
	if (mn_engine_start(n, ha, err, sizeof(err)) < 0) {
		LOG_ERR(LOG_SUB_MIP6, "%s", err);
		return;
	}
	if (m->has_coa)
		mn_coa_changed(&m->mn, clock_mono_ms(), &m->coa);
}

static int mn_mpd_send(void *arg, const struct mpd_tx *tx)
{
	struct mnode *n = arg;
	uint8_t msg[128];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	int rc = nd_build_mps(&w, &tx->src, &tx->dst, &tx->mp);
	if (rc < 0)
		return rc;
	struct sigpath_icmp_tx itx = { .src = tx->src, .dst = tx->dst, .has_hao = tx->has_hao, .hoa = tx->hoa,
				       .protect = tx->protect == MPD_PROT_ESP_MP, .msg = msg,
				       .msg_len = wbuf_len(&w) };
	return node_send_icmp6(n, &itx, mn_out_ifindex(n->mn));
}

static void mn_mpd_prefixes(void *arg, const struct nd_mp *mpa, bool changed)
{
	(void)arg;
	char p[ADDR_STRLEN] = "-";
	if (mpa->opts.n_pio)
		addr_fmt(&mpa->opts.pio[0].prefix, p, sizeof(p));
	LOG_NOTICE(LOG_SUB_MIP6, "mobile prefix advertisement: %u prefixes (%s/%u first)%s", mpa->opts.n_pio, p,
		   mpa->opts.n_pio ? mpa->opts.pio[0].plen : 0u, changed ? ", changed" : "");
}

static void mn_mpd_failed(void *arg)
{
	(void)arg;
	LOG_INFO(LOG_SUB_MIP6, "mobile prefix solicitation: no advertisement");
}

/* ---- IKE-keyed SAs (RFC 4877) ---- */

/*
 * The "move" step with IKE-keyed SAs: without the K bit (R6275-11.7.1.d,
 * mobile-node.key-mgmt-mobility off, and always today) the IKE SA is bound
 * to the old care-of address, so it goes and IKE runs again from the new
 * one (R4877-7.3: BU/BA in IKE_AUTH, the rest by CREATE_CHILD_SA). The BU
 * follows once the BU/BA SA is installed (mn_node_ike_child). With K = 1
 * or MOBIKE only this step changes: an IKE path update instead of a re-run.
 */
static void mn_ike_move(struct mnode *n)
{
	struct mn_node *m = n->mn;
	struct mip6ike_plan plan;
	struct ikeio_mip6_conn conn = { .local = m->coa, .remote = m->ha };
	const char *peer = node_ike_peer(n->conf, &m->ha);
	m->bu_wait = true;
	m->ike_retry_at = 0;
	if (!peer || mip6ike_mn_plan(n->conf, mn_hoa(n), &m->ha, &plan) != 0 || plan.n == 0) {
		LOG_ERR(LOG_SUB_MIP6, "IKE: no ike.peers entry or no CHILD_SA plan for the home agent");
		return;
	}
	snprintf(conn.peer, sizeof(conn.peer), "%s", peer);
	conn.first = (struct ikesa_child_req){ .tsi = plan.req[0].tsi, .tsr = plan.req[0].tsr,
					       .transport = plan.req[0].transport };
	for (size_t i = 1; i < plan.n && conn.n_more < IKEIO_MIP6_MORE; i++)
		conn.more[conn.n_more++] = (struct ikesa_child_req){ .tsi = plan.req[i].tsi, .tsr = plan.req[i].tsr,
								     .transport = plan.req[i].transport };
	ikeio_mip6_disconnect(n->env.ike);
	int rc = ikeio_mip6_connect(n->env.ike, &conn);
	if (rc != 0) {
		LOG_WARN(LOG_SUB_MIP6, "IKE with the home agent not started: %s", err_str(rc));
		mn_node_ike_down(n);
	}
}

void mn_node_ike_child(struct mnode *n, enum ipsecdb_mnha_slot slot)
{
	struct mn_node *m = n->mn;
	m->ike_backoff_ms = MN_IKE_RETRY_MIN_MS;
	mn_point_sas(n); /* a tunnel SA: the current care-of address, the group's state */
	if (slot != IPSECDB_MNHA_BU_BA || !m->bu_wait || !m->has_coa || m->at_home || !m->mn_ready)
		return;
	m->bu_wait = false;
	/* R3776-4.1.c: the BU leaves only now, inside the new BU/BA SA. */
	mn_coa_changed(&m->mn, clock_mono_ms(), &m->coa);
	node_flush(n);
	node_rearm(n);
}

void mn_node_ike_down(struct mnode *n)
{
	struct mn_node *m = n->mn;
	if (!m->has_coa || m->at_home) {
		m->ike_retry_at = 0;
		return;
	}
	uint32_t b = m->ike_backoff_ms ? m->ike_backoff_ms : MN_IKE_RETRY_MIN_MS;
	m->ike_retry_at = clock_mono_ms() + b;
	m->ike_backoff_ms = b >= MN_IKE_RETRY_MAX_MS / 2 ? MN_IKE_RETRY_MAX_MS : 2 * b;
	LOG_NOTICE(LOG_SUB_MIP6, "IKE SA with the home agent gone; running IKE again in %u ms", b);
	node_rearm(n);
}

/* ---- movement ---- */

static void mn_on_coa(void *arg, const struct in6_addr *old, const struct in6_addr *coa, unsigned ifindex,
		      const char *reason)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	char a[ADDR_STRLEN] = "none", ifname[IF_NAMESIZE] = "-";
	if (coa)
		addr_fmt(coa, a, sizeof(a));
	if (ifindex)
		if_indextoname(ifindex, ifname);
	LOG_NOTICE(LOG_SUB_MIP6, "care-of address %s on %s (%s)", a, ifname, reason);
	uint64_t now = clock_mono_ms();
	if (!m->move_ms)
		m->move_ms = now; /* the interruption starts when the old attachment goes */
	if (!coa) {
		m->has_coa = false;
		m->coa_ifindex = 0;
		return;
	}
	/* Any new care-of address after the first attachment is a handover,
	 * also when the old link went down before the new one came up. */
	if (m->attached_before)
		m->handovers++;
	m->attached_before = true;
	m->has_coa = true;
	m->at_home = false;
	m->coa = *coa;
	m->coa_ifindex = ifindex;
	mn_set_away_routing(n, true);
	if (m->mn_ready && node_ike_keyed(n, mn_hoa(n))) {
		mn_point_sas(n);
		mn_ike_move(n);
	} else if (m->mn_ready) {
		mn_point_sas(n);
		mn_coa_changed(&m->mn, now, coa);
	} else if (m->c->dhaad) {
		uint16_t id;
		crypto_random(&id, sizeof(id));
		dhaad_client_start(&m->dc, now, coa, &m->c->home_prefix, id);
	}
}

static void mn_on_home(void *arg, unsigned ifindex, const char *reason)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	char ifname[IF_NAMESIZE] = "-";
	if_indextoname(ifindex, ifname);
	LOG_NOTICE(LOG_SUB_MIP6, "at home on %s (%s)", ifname, reason);
	if (m->attached_before)
		m->handovers++;
	m->at_home = true;
	m->home_ifindex = ifindex;
	m->has_coa = false;
	m->attached_before = true;
	if (!m->move_ms)
		m->move_ms = clock_mono_ms();
	mn_set_away_routing(n, false);
	if (m->mn_ready)
		mn_returned_home(&m->mn, clock_mono_ms());
}

static void mn_on_left_home(void *arg, const char *reason)
{
	struct mnode *n = arg;
	LOG_NOTICE(LOG_SUB_MIP6, "left the home link (%s)", reason);
	n->mn->at_home = false;
	mn_set_away_routing(n, true);
}

/* rtnetlink -> movement; our own TUN is not a place to move to. */
static void mn_nl_done(struct mnode *n)
{
	node_flush(n);
	node_rearm(n);
}

static void mn_nl_link(void *arg, const struct nlmon_link *l)
{
	struct mnode *n = arg;
	if (l->ifindex == n->tun_ifindex)
		return;
	move_link(&n->mn->mv, clock_mono_ms(), l->ifindex, l->name, l->up && !l->gone);
	mn_nl_done(n);
}

static void mn_nl_addr(void *arg, bool add, unsigned ifindex, const struct move_addr *a)
{
	struct mnode *n = arg;
	if (ifindex == n->tun_ifindex)
		return;
	if (add)
		move_addr_add(&n->mn->mv, clock_mono_ms(), ifindex, a);
	else
		move_addr_del(&n->mn->mv, clock_mono_ms(), ifindex, &a->addr);
	mn_nl_done(n);
}

static void mn_nl_router(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw)
{
	struct mnode *n = arg;
	if (ifindex == n->tun_ifindex)
		return;
	move_router(&n->mn->mv, clock_mono_ms(), ifindex, gw, add);
	mn_nl_done(n);
}

/* ---- input ---- */

/* Router Advertisements complement rtnetlink (R6275-11.5.1): a router's
 * lifetime and the on-link prefixes it advertises. */
static void mn_input_ra(struct mnode *n, const struct sigpath_rx *rx, uint64_t now)
{
	enum icmp6_reason why;
	struct nd_ra ra;
	if (rx->ifindex == n->tun_ifindex || nd_validate_ra(&rx->src, (unsigned)rx->hlim, &why) < 0 ||
	    nd_parse_ra(&rx->icmp, &ra, &why) < 0)
		return;
	struct move_ra mra = { .ifindex = rx->ifindex, .router = rx->src, .router_lifetime_s = ra.router_lifetime };
	for (unsigned i = 0; i < ra.opts.n_pio && mra.n_prefixes < MOVE_PREFIX_MAX; i++)
		if (ra.opts.pio[i].flags & ND_PIO_L)
			mra.prefixes[mra.n_prefixes++] = (struct prefix6){ .addr = ra.opts.pio[i].prefix,
									   .len = ra.opts.pio[i].plen };
	move_ra_input(&n->mn->mv, now, &mra);
}

static void mn_node_input(struct mnode *n, struct sigpath_rx *rx, uint8_t *buf)
{
	struct mn_node *m = n->mn;
	uint64_t now = clock_mono_ms();
	enum icmp6_reason why;
	switch (rx->kind) {
	case SIGPATH_MH: {
		if (!m->mn_ready)
			return;
		enum mn_drop d = MN_DROP_NONE;
		if (rx->mh.msg.type == MH_TYPE_BA)
			mn_input_ba(&m->mn, now, &rx->mh, &d);
		else if (rx->mh.msg.type == MH_TYPE_BE)
			mn_input_be(&m->mn, now, &rx->mh, &d);
		if (d && d < MN_DROP_COUNT)
			stats_inc(&mn_drop_ctr[d]);
		return;
	}
	case SIGPATH_ICMP6:
		if (rx->icmp.type == ICMP6_TYPE_DHAAD_REPLY) {
			struct icmp6_dhaad rep;
			if (icmp6_parse_dhaad_rep(&rx->icmp, &rep, &why) == 0)
				dhaad_client_input(&m->dc, now, &rep, NULL);
		} else if (rx->icmp.type == ICMP6_TYPE_RA) {
			mn_input_ra(n, rx, now);
		} else if (rx->icmp.type == ICMP6_TYPE_MPA) {
			struct nd_mp mpa;
			if (nd_parse_mpa(&rx->icmp, &mpa, &why) < 0)
				return;
			struct mpd_rx mrx = { .src = rx->src, .dst = rx->dst, .has_rh2 = rx->has_rh2,
					      .rh2 = rx->dst, .esp = rx->esp };
			mpd_client_input_mpa(&m->mpc, now, &mrx, &mpa, NULL);
		}
		return;
	case SIGPATH_TUNNEL:
		/* R6275-11.3.4: only the home agent tunnels to us. */
		if (!m->mn_ready || !addr_eq(&rx->src, &m->ha) || !addr_eq(&rx->inner.dst, mn_hoa(n))) {
			stats_inc(&mn_ctr_tunnel_src);
			return;
		}
		if (node_tun_write(n, buf + rx->off, rx->len) == 0)
			m->tunnelled_in++;
		return;
	default:
		return;
	}
}

/* Reverse tunnelling (R6275-11.3.1): everything from the home address goes
 * to the home agent while away. */
static void mn_node_tun_out(struct mnode *n, uint8_t *buf, size_t cap, size_t off, size_t len)
{
	struct mn_node *m = n->mn;
	if (m->at_home || !m->has_coa || !m->mn_ready) {
		stats_inc(&mn_ctr_tun_not_away);
		return;
	}
	if (len < 40 || (buf[off] >> 4) != 6 || memcmp(buf + off + 8, mn_hoa(n), 16) != 0) {
		stats_inc(&mn_ctr_tun_src);
		return;
	}
	const struct ipsecdb_mnha *p = ipsecdb_mnha_by_hoa(n->db, mn_hoa(n));
	size_t o, l;
	if (!p || sigpath_encap(n->db, p, &m->coa, &m->ha, buf, cap, off, len, &o, &l) < 0) {
		stats_inc(&mn_ctr_encap);
		return;
	}
	m->tunnelled_out++;
	node_queue(n, buf + o, l, &m->ha, m->coa_ifindex);
}

/* ---- timers ---- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t mn_node_next(struct mnode *n)
{
	struct mn_node *m = n->mn;
	uint64_t now = clock_mono_ms();
	uint64_t t = move_next_timeout(&m->mv, now);
	if (m->mn_ready)
		t = min_u64(t, mn_next_timeout(&m->mn));
	t = min_u64(t, dhaad_client_next_timeout(&m->dc));
	t = min_u64(t, mpd_client_next_timeout(&m->mpc));
	if (m->ike_retry_at)
		t = min_u64(t, m->ike_retry_at);
	return t;
}

static void mn_node_tick(struct mnode *n, uint64_t now)
{
	struct mn_node *m = n->mn;
	move_tick(&m->mv, now);
	if (m->mn_ready)
		mn_tick(&m->mn, now);
	dhaad_client_tick(&m->dc, now);
	mpd_client_tick(&m->mpc, now);
	if (m->ike_retry_at && now >= m->ike_retry_at && m->has_coa && !m->at_home)
		mn_ike_move(n);
}

static void mn_node_db_changed(struct mnode *n)
{
	n->mn->c = conf_mobile_node(n->conf);
	mn_point_sas(n);
}

/* ---- control socket ---- */

static void mn_show_status(void *arg, struct ctl_view *view)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	uint64_t now = clock_mono_ms();
	char ifname[IF_NAMESIZE] = "";
	unsigned ifx = m->at_home ? m->home_ifindex : m->coa_ifindex;
	if (ifx)
		if_indextoname(ifx, ifname);
	struct mip6_show_mn s = { .home_address = *mn_hoa(n), .home_agent = m->ha, .has_coa = m->has_coa,
				  .coa = m->coa, .interface = ifname, .location = move_state_name(m->mv.state),
				  .registration = "idle", .lifetime_left_s = -1,
				  .registrations = m->registrations, .handovers = m->handovers,
				  .last_handover_ms = m->last_handover_ms, .tunnelled_out = m->tunnelled_out,
				  .tunnelled_in = m->tunnelled_in };
	if (m->mn_ready) {
		const struct bul_entry *b = mn_bul(&m->mn);
		s.registration = bul_state_name(b->state);
		s.sequence = b->seq;
		if (b->expires_ms)
			s.lifetime_left_s = b->expires_ms > now ? (int64_t)((b->expires_ms - now) / 1000) : 0;
	}
	mip6_show_mn_status(&s, view);
}

static int mn_show_bul(void *arg, struct ctl_view *view)
{
	struct mnode *n = arg;
	struct mn_node *m = n->mn;
	if (!m->mn_ready)
		return mip6_show_bul(NULL, 0, view);
	const struct bul_entry *b = mn_bul(&m->mn);
	uint64_t now = clock_mono_ms();
	struct mip6_show_bul_row r = { .destination = b->dst, .home_address = b->hoa, .coa = b->coa,
				       .state = bul_state_name(b->state), .sequence = b->seq,
				       .lifetime_s = (unsigned)b->lifetime * 4u, .lifetime_left_s = -1 };
	if (b->expires_ms)
		r.lifetime_left_s = b->expires_ms > now ? (int64_t)((b->expires_ms - now) / 1000) : 0;
	return mip6_show_bul(&r, 1, view);
}

/* ---- start and stop ---- */

int mn_node_new(struct mnode *n, char *err, size_t errlen)
{
	struct mn_node *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	n->mn = m;
	n->role = &mn_node_role;
	m->c = conf_mobile_node(n->conf);
	m->last_handover_ms = -1;
	mn_node_stats_register();
	int rc;
	if (!IN6_IS_ADDR_UNSPECIFIED(&m->c->ha_address) && (rc = mn_engine_start(n, &m->c->ha_address, err, errlen)) < 0)
		return rc;
	if (!m->mn_ready && !m->c->dhaad) {
		snprintf(err, errlen, "mobile-node: no ha-address and dhaad = false: no way to find a home agent");
		return M6E_INVAL;
	}
	static const struct dhaad_client_ops dops = { .send = mn_dhaad_send, .result = mn_dhaad_result };
	dhaad_client_init(&m->dc, &dops, n);
	static const struct mpd_client_ops mops = { .send = mn_mpd_send, .prefixes = mn_mpd_prefixes,
						    .failed = mn_mpd_failed };
	mpd_client_init(&m->mpc, &mops, n);
	static const struct move_ops vops = { .coa_changed = mn_on_coa, .returned_home = mn_on_home,
					      .left_home = mn_on_left_home };
	struct move_params vp;
	move_params_from_conf(m->c, &vp);
	if ((rc = move_init(&m->mv, &vp, &vops, n)) < 0) {
		snprintf(err, errlen, "movement detection: %s", err_str(rc));
		return rc;
	}
	if ((rc = node_start_io(n, err, errlen)) < 0)
		return rc;
	/* The home address lives on the TUN: applications keep using it
	 * wherever the node is. */
	struct kstate_entry hoa = { .kind = KSTATE_ADDR, .prefix = { .addr = *mn_hoa(n), .len = 128 } };
	snprintf(hoa.ifname, sizeof(hoa.ifname), "%s", MNODE_MN_TUN);
	if ((rc = node_kapply(n, &hoa)) < 0) {
		snprintf(err, errlen, "home address on %s: %s", MNODE_MN_TUN, err_str(rc));
		return rc;
	}
	static const struct nlmon_ops nops = { .link = mn_nl_link, .addr = mn_nl_addr,
					       .default_router = mn_nl_router };
	if ((rc = nlmon_new(n->env.loop, &nops, n, &m->mon)) < 0 ||
	    (rc = nlmon_ignore_ifname(m->mon, MNODE_MN_TUN)) < 0) {
		snprintf(err, errlen, "rtnetlink monitor: %s", err_str(rc));
		return rc;
	}
	ctl_set_status_section(n->env.ctl, "mobile-node", mn_show_status, n);
	ctl_set_listing(n->env.ctl, CTL_CMD_BINDINGS, mn_show_bul, n);
	char a[ADDR_STRLEN], h[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_MIP6, "mobile node %s, home agent %s", addr_fmt(mn_hoa(n), a, sizeof(a)),
		   m->mn_ready ? addr_fmt(&m->ha, h, sizeof(h)) : "by DHAAD");
	/* The current state of the links decides where we are. */
	if ((rc = nlmon_dump(m->mon)) < 0) {
		snprintf(err, errlen, "rtnetlink dump: %s", err_str(rc));
		return rc;
	}
	return 0;
}

static void mn_node_free(struct mnode *n)
{
	struct mn_node *m = n->mn;
	if (!m)
		return;
	if (n->env.ctl) {
		ctl_set_status_section(n->env.ctl, "mobile-node", NULL, NULL);
		ctl_set_listing(n->env.ctl, CTL_CMD_BINDINGS, NULL, NULL);
	}
	/* Leaving: tell the home agent, if a binding may exist, so it stops
	 * intercepting at once (best effort, not waiting for the BA). */
	nlmon_free(m->mon);
	free(m);
	n->mn = NULL;
}

static const uint8_t mn_icmp_types[] = { ICMP6_TYPE_DHAAD_REPLY, ICMP6_TYPE_MPA, ICMP6_TYPE_RA };

const struct node_role mn_node_role = {
	.name = "mobile node",
	.tun = MNODE_MN_TUN,
	.mark = true,
	.icmp_types = mn_icmp_types,
	.n_icmp_types = sizeof(mn_icmp_types),
	.input = mn_node_input,
	.tun_out = mn_node_tun_out,
	.next = mn_node_next,
	.tick = mn_node_tick,
	.db_changed = mn_node_db_changed,
	.free = mn_node_free,
};
