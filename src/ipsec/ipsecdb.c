/*
 * ipsecdb: SAD + SPD from a struct conf, all or nothing. The layout of the
 * entries is documented in ipsecdb.h; this file follows it step by step:
 * SAs first (so every PROTECT entry has its SA), then site tunnels, then the
 * MN-HA entries of RFC 3776 5.2, then the DISCARD entries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "ipsec/ipsecdb.h"

#define NH_UDP 17
#define NH_ESP 50
#define NH_ICMPV6 58
#define NH_MH 135
#define MH_BU 5
#define MH_BA 6
#define MH_HOTI 1
#define MH_HOT 3
#define ICMP6_MPS 146
#define ICMP6_MPA 147

struct ipsecdb_sa_ref {
	struct sa *sa;
	char name[CONF_NAME_MAX];
	int tunnel; /* index in db->tunnels, or -1 */
};

/* One installed CHILD_SA pair (ipsecdb_child_install). */
struct ipsecdb_child_rec {
	struct sa *in, *out;
	size_t tunnel; /* index in db->tunnels */
	uint64_t seq;  /* install order: the highest is the newest pair */
	char name_in[CONF_NAME_MAX], name_out[CONF_NAME_MAX];
};

/* One installed MN-HA CHILD_SA pair (ipsecdb_mnha_child_install). */
struct ipsecdb_mnha_child_rec {
	struct sa *in, *out;
	size_t mnha; /* index in db->mnhas */
	enum ipsecdb_mnha_slot slot;
	uint64_t seq;
	char name_in[CONF_NAME_MAX], name_out[CONF_NAME_MAX];
};

struct ipsecdb {
	struct sad *sad;
	struct spd *spd;
	struct ipsecdb_tunnel *tunnels;
	size_t n_tunnels;
	struct ipsecdb_mnha *mnhas;
	size_t n_mnhas;
	struct ipsecdb_sa_ref *sas; /* one per conf manual SA, same order */
	size_t n_sas;
	struct ipsecdb_child_rec *children;
	size_t n_children, cap_children;
	uint64_t child_seq;
	struct ipsecdb_mnha_child_rec *mchildren; /* ipsecdb_mnha_child_install */
	size_t n_mchildren, cap_mchildren;
	unsigned replay_window; /* ipsec.replay-window, for CHILD_SAs */
	uint64_t now_ms;
};

/* Build state: the config and where errors go. */
struct build {
	const struct conf *c;
	struct ipsecdb *db;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct build *b, int rc, const char *fmt, ...)
{
	if (b->err && b->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static struct prefix6 host(const struct in6_addr *a)
{
	return (struct prefix6){ .addr = *a, .len = 128 };
}

/* Selectors with everything "any". */
static struct spd_sel sel_any(void)
{
	return (struct spd_sel){ .proto = SPD_ANY, .sport = SPD_ANY, .dport = SPD_ANY, .mh_type = SPD_ANY,
				 .icmp_type = SPD_ANY, .icmp_code = SPD_ANY, .ifid = SPD_IFID_ANY };
}

/* PROTECT with sa NULL is a larval entry: tunnel mode, no SA, SPI 0. */
static int spd_entry_add(struct spd *spd, enum spd_dir dir, uint32_t prio, const struct spd_sel *sel,
			 enum spd_action action, struct sa *sa, uint32_t group, const char *name)
{
	struct spd_entry_params p = { .dir = dir, .priority = prio, .sel = *sel, .action = action,
				      .active = true, .group = group };
	snprintf(p.name, sizeof(p.name), "%s", name);
	if (action == SPD_PROTECT) {
		p.protect.mode = SA_MODE_TUNNEL;
		if (sa) {
			p.protect.sa = sa;
			p.protect.spi = sa->spi;
			p.protect.mode = sa->mode;
			p.protect.tunnel_src = sa->src;
			p.protect.tunnel_dst = sa->dst;
		}
	}
	return spd_add(spd, &p, NULL);
}

static int add_entry(struct build *b, enum spd_dir dir, uint32_t prio, const struct spd_sel *sel,
		     enum spd_action action, struct sa *sa, uint32_t group, const char *name)
{
	int rc = spd_entry_add(b->db->spd, dir, prio, sel, action, sa, group, name);
	if (rc < 0)
		return fail(b, rc, "spd: cannot add entry for \"%s\": %s", name, err_str(rc));
	return 0;
}

/* Tunnel t's inner entries of direction dir, one per (local, remote)
 * prefix pair, on t's interface only (R3776-4.2.c). PROTECT with sa NULL
 * makes them larval. */
static int tunnel_entries(struct spd *spd, const struct ipsecdb_tunnel *t, enum spd_dir dir,
			  enum spd_action action, struct sa *sa)
{
	struct spd_sel in = sel_any();
	in.ifid = t->ifid;
	for (size_t a = 0; a < t->n_local_prefixes; a++)
		for (size_t r = 0; r < t->n_remote_prefixes; r++) {
			in.src = dir == SPD_DIR_OUT ? t->local_prefixes[a] : t->remote_prefixes[r];
			in.dst = dir == SPD_DIR_OUT ? t->remote_prefixes[r] : t->local_prefixes[a];
			int rc = spd_entry_add(spd, dir, IPSECDB_PRIO_TUNNEL, &in, action, sa, t->ifid, t->name);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static int build_tunnel_entries(struct build *b, const struct ipsecdb_tunnel *t, enum spd_dir dir,
				enum spd_action action, struct sa *sa)
{
	int rc = tunnel_entries(b->db->spd, t, dir, action, sa);
	if (rc < 0)
		return fail(b, rc, "spd: cannot add entry for \"%s\": %s", t->name, err_str(rc));
	return 0;
}

/* The tunnel's own outer packets pass both ways: proto (ESP or UDP) to
 * dport (UDP) between the outer addresses. */
static int outer_bypass(struct build *b, const struct ipsecdb_tunnel *t, int proto, int dport)
{
	struct spd_sel outer = sel_any();
	outer.proto = proto;
	outer.dport = dport;
	outer.src = host(&t->local);
	outer.dst = host(&t->remote);
	int rc = add_entry(b, SPD_DIR_OUT, IPSECDB_PRIO_OUTER, &outer, SPD_BYPASS, NULL, t->ifid, t->name);
	if (rc < 0)
		return rc;
	outer.src = host(&t->remote);
	outer.dst = host(&t->local);
	return add_entry(b, SPD_DIR_IN, IPSECDB_PRIO_OUTER, &outer, SPD_BYPASS, NULL, t->ifid, t->name);
}

/* ---- SAs ---- */

static const struct conf_manual_sa *conf_sa_by_name(const struct conf_ipsec *ip, const char *name,
						   size_t *idx)
{
	for (size_t i = 0; i < ip->n_manual_sas; i++)
		if (strcmp(ip->manual_sas[i].name, name) == 0) {
			*idx = i;
			return &ip->manual_sas[i];
		}
	return NULL;
}

/* Tunnel i's manual SAs: exist, tunnel mode, run between local and remote
 * in their direction, one out SA, at least one in SA, not shared. */
static int check_tunnel(struct build *b, size_t ti, int *sa_tunnel)
{
	const struct conf_ipsec *ip = conf_ipsec(b->c);
	size_t n_tunnels;
	const struct conf_tunnel *t = &conf_tunnels(b->c, &n_tunnels)[ti];
	size_t n_out = 0, n_in = 0;
	for (size_t k = 0; k < t->n_manual_sas; k++) {
		size_t i;
		const struct conf_manual_sa *s = conf_sa_by_name(ip, t->manual_sas[k], &i);
		if (!s)
			return fail(b, M6E_NOTFOUND, "tunnels \"%s\": no ipsec.manual-sa named \"%s\"", t->name,
				    t->manual_sas[k]);
		if (sa_tunnel[i] >= 0)
			return fail(b, M6E_DUP, "tunnels \"%s\": SA \"%s\" already used by tunnel \"%s\"", t->name,
				    s->name, conf_tunnels(b->c, &n_tunnels)[sa_tunnel[i]].name);
		if (s->mode != CONF_SA_TUNNEL)
			return fail(b, M6E_INVAL, "tunnels \"%s\": SA \"%s\" is not in tunnel mode", t->name,
				    s->name);
		const struct in6_addr *src = s->direction == CONF_SA_OUT ? &t->local : &t->remote;
		const struct in6_addr *dst = s->direction == CONF_SA_OUT ? &t->remote : &t->local;
		if (!addr_eq(&s->source, src) || !addr_eq(&s->destination, dst))
			return fail(b, M6E_INVAL,
				    "tunnels \"%s\": SA \"%s\" (direction %s) does not run from %s to %s",
				    t->name, s->name, s->direction == CONF_SA_OUT ? "out" : "in",
				    s->direction == CONF_SA_OUT ? "local" : "remote",
				    s->direction == CONF_SA_OUT ? "remote" : "local");
		if (s->direction == CONF_SA_OUT)
			n_out++;
		else
			n_in++;
		if (n_in > IPSECDB_TUNNEL_SAS)
			return fail(b, M6E_RANGE, "tunnels \"%s\": too many in SAs", t->name);
		sa_tunnel[i] = (int)ti;
	}
	if (t->n_manual_sas && (n_out != 1 || n_in < 1))
		return fail(b, M6E_INVAL, "tunnels \"%s\": needs exactly one out SA and at least one in SA",
			    t->name);
	return 0;
}

static int make_sa(struct build *b, const struct conf_manual_sa *s, const struct conf_tunnel *t,
		   struct sa **out)
{
	const struct conf_ipsec *ip = conf_ipsec(b->c);
	struct sa_params p = {
		.spi = s->spi,
		.dir = s->direction == CONF_SA_OUT ? SA_DIR_OUT : SA_DIR_IN,
		.mode = s->mode == CONF_SA_TUNNEL ? SA_MODE_TUNNEL : SA_MODE_TRANSPORT,
		.manual = true, /* R3776-4.1.a */
		.replay_window = s->anti_replay ? ip->replay_window : 0,
		.src = s->source,
		.dst = s->destination,
	};
	if (s->encryption != CONF_ENCR_AES_CBC)
		return fail(b, M6E_UNSUPP, "ipsec.manual-sa \"%s\": null encryption is not supported by the ESP engine",
			    s->name);
	if (s->encryption_key.len == 16)
		p.alg = AEAD_AES128_CBC_HMAC_SHA256_128;
	else if (s->encryption_key.len == 32)
		p.alg = AEAD_AES256_CBC_HMAC_SHA256_128;
	else
		return fail(b, M6E_UNSUPP, "ipsec.manual-sa \"%s\": %zu-octet AES-CBC key; the ESP engine takes 16 or 32",
			    s->name, s->encryption_key.len);
	if (t && t->encapsulation == CONF_ENCAP_UDP) {
		p.udp_encap = true;
		p.encap_sport = p.encap_dport = (uint16_t)t->udp_port;
	}
	/* KEYMAT order: encryption key, then integrity key (RFC 7296 2.17). */
	uint8_t keymat[2 * CONF_KEY_MAX];
	size_t kl = s->encryption_key.len + s->integrity_key.len;
	memcpy(keymat, s->encryption_key.data, s->encryption_key.len);
	memcpy(keymat + s->encryption_key.len, s->integrity_key.data, s->integrity_key.len);
	p.keymat = keymat;
	p.keymat_len = kl;
	int rc = sa_new(&p, b->db->now_ms, out);
	crypto_wipe(keymat, sizeof(keymat));
	if (rc < 0)
		return fail(b, rc, "ipsec.manual-sa \"%s\": cannot create the SA: %s", s->name, err_str(rc));
	if ((rc = sad_add(b->db->sad, *out)) < 0) {
		sa_free(*out);
		*out = NULL;
		return fail(b, rc, "ipsec.manual-sa \"%s\": SPI 0x%x direction %s: %s", s->name, s->spi,
			    sa_dir_name(p.dir), err_str(rc));
	}
	return 0;
}

static int build_sas(struct build *b)
{
	const struct conf_ipsec *ip = conf_ipsec(b->c);
	size_t n_tunnels;
	const struct conf_tunnel *tunnels = conf_tunnels(b->c, &n_tunnels);
	struct ipsecdb *db = b->db;
	int rc;
	db->n_sas = ip->n_manual_sas;
	if (db->n_sas && !(db->sas = calloc(db->n_sas, sizeof(*db->sas))))
		return fail(b, M6E_NOMEM, "out of memory");
	int *sa_tunnel = calloc(db->n_sas + 1, sizeof(*sa_tunnel));
	if (!sa_tunnel)
		return fail(b, M6E_NOMEM, "out of memory");
	for (size_t i = 0; i < db->n_sas; i++)
		sa_tunnel[i] = -1;
	for (size_t ti = 0; ti < n_tunnels; ti++)
		if ((rc = check_tunnel(b, ti, sa_tunnel)) < 0)
			goto out;
	for (size_t i = 0; i < db->n_sas; i++) {
		const struct conf_manual_sa *s = &ip->manual_sas[i];
		db->sas[i].tunnel = sa_tunnel[i];
		snprintf(db->sas[i].name, sizeof(db->sas[i].name), "%s", s->name);
		if ((rc = make_sa(b, s, sa_tunnel[i] >= 0 ? &tunnels[sa_tunnel[i]] : NULL, &db->sas[i].sa)) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sa_tunnel);
	return rc;
}

/* ---- site tunnels ---- */

/* An IKE-keyed tunnel: outer BYPASS for ESP and UDP 500/4500 both ways
 * (IKE and ESP-in-UDP share 4500, RFC 7296 2.23), larval PROTECT for the
 * prefixes until ipsecdb_child_install(). */
static int build_ike_tunnel(struct build *b, struct ipsecdb_tunnel *dt)
{
	static const struct {
		int proto, dport;
	} outer_kinds[] = { { NH_ESP, SPD_ANY }, { NH_UDP, IPSECDB_IKE_PORT }, { NH_UDP, IPSECDB_NATT_PORT } };
	int rc;
	dt->udp_encap = false;
	dt->udp_port = IPSECDB_NATT_PORT;
	for (size_t k = 0; k < sizeof(outer_kinds) / sizeof(outer_kinds[0]); k++)
		if ((rc = outer_bypass(b, dt, outer_kinds[k].proto, outer_kinds[k].dport)) < 0)
			return rc;
	if ((rc = build_tunnel_entries(b, dt, SPD_DIR_OUT, SPD_PROTECT, NULL)) < 0)
		return rc;
	return build_tunnel_entries(b, dt, SPD_DIR_IN, SPD_PROTECT, NULL);
}

static int build_tunnel(struct build *b, size_t ti)
{
	struct ipsecdb *db = b->db;
	size_t n;
	const struct conf_tunnel *t = &conf_tunnels(b->c, &n)[ti];
	struct ipsecdb_tunnel *dt = &db->tunnels[ti];
	int rc;
	snprintf(dt->name, sizeof(dt->name), "%s", t->name);
	dt->ifid = (uint32_t)ti + 1;
	dt->local = t->local;
	dt->remote = t->remote;
	memcpy(dt->local_prefixes, t->local_prefixes, sizeof(dt->local_prefixes));
	dt->n_local_prefixes = t->n_local_prefixes;
	memcpy(dt->remote_prefixes, t->remote_prefixes, sizeof(dt->remote_prefixes));
	dt->n_remote_prefixes = t->n_remote_prefixes;
	dt->udp_encap = t->encapsulation == CONF_ENCAP_UDP;
	dt->udp_port = (uint16_t)t->udp_port;
	snprintf(dt->ike_peer, sizeof(dt->ike_peer), "%s", t->ike_peer);
	if (dt->ike_peer[0])
		return build_ike_tunnel(b, dt);
	for (size_t i = 0; i < db->n_sas; i++) {
		if (db->sas[i].tunnel != (int)ti)
			continue;
		db->sas[i].sa->user = dt; /* ipsecdb_sa_tunnel() */
		if (db->sas[i].sa->dir == SA_DIR_OUT)
			dt->out_sa = db->sas[i].sa;
		else
			dt->in_sas[dt->n_in_sas++] = db->sas[i].sa;
	}

	/* The tunnel's own outer packets pass (ESP, or UDP to the port). */
	if ((rc = outer_bypass(b, dt, dt->udp_encap ? NH_UDP : NH_ESP, dt->udp_encap ? dt->udp_port : SPD_ANY)) < 0)
		return rc;
	/* Inner traffic on this tunnel interface only (R3776-4.2.c); without
	 * SAs plain IPv6-in-IPv6 (BYPASS). */
	if ((rc = build_tunnel_entries(b, dt, SPD_DIR_OUT, dt->out_sa ? SPD_PROTECT : SPD_BYPASS, dt->out_sa)) < 0)
		return rc;
	if (!dt->n_in_sas)
		return build_tunnel_entries(b, dt, SPD_DIR_IN, SPD_BYPASS, NULL);
	for (size_t k = 0; k < dt->n_in_sas; k++)
		if ((rc = build_tunnel_entries(b, dt, SPD_DIR_IN, SPD_PROTECT, dt->in_sas[k])) < 0)
			return rc;
	return 0;
}

/* ---- MN-HA (RFC 3776 5.2) ---- */

static bool is_mnha_traffic(enum conf_sa_traffic t)
{
	return t == CONF_SA_BU_BA || t == CONF_SA_HOTI_HOT || t == CONF_SA_MPS_MPA || t == CONF_SA_PAYLOAD;
}

static struct ipsecdb_mnha *mnha_get(struct ipsecdb *db, bool we_are_ha, const struct in6_addr *hoa,
				     const struct in6_addr *ha)
{
	for (size_t i = 0; i < db->n_mnhas; i++)
		if (addr_eq(&db->mnhas[i].home_address, hoa) && addr_eq(&db->mnhas[i].ha_address, ha))
			return &db->mnhas[i];
	struct ipsecdb_mnha *m = &db->mnhas[db->n_mnhas];
	*m = (struct ipsecdb_mnha){ .we_are_ha = we_are_ha, .home_address = *hoa, .ha_address = *ha,
				    .group = IPSECDB_GROUP_MNHA + (uint32_t)db->n_mnhas };
	db->n_mnhas++;
	return m;
}

static enum ipsecdb_mnha_slot slot_of_traffic(enum conf_sa_traffic t)
{
	switch (t) {
	case CONF_SA_BU_BA:
		return IPSECDB_MNHA_BU_BA;
	case CONF_SA_MPS_MPA:
		return IPSECDB_MNHA_MPS_MPA;
	case CONF_SA_HOTI_HOT:
		return IPSECDB_MNHA_HOTI_HOT;
	default:
		return IPSECDB_MNHA_PAYLOAD;
	}
}

static struct sa **mnha_slot(struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot, bool out)
{
	switch (slot) {
	case IPSECDB_MNHA_BU_BA:
		return out ? &m->bu_out : &m->bu_in;
	case IPSECDB_MNHA_MPS_MPA:
		return out ? &m->mpd_out : &m->mpd_in;
	case IPSECDB_MNHA_HOTI_HOT:
		return out ? &m->rr_out : &m->rr_in;
	default:
		return out ? &m->payload_out : &m->payload_in;
	}
}

static bool slot_tunnelled(enum ipsecdb_mnha_slot slot)
{
	return slot == IPSECDB_MNHA_HOTI_HOT || slot == IPSECDB_MNHA_PAYLOAD;
}

/* The selectors of one MN-HA slot's traffic in one direction (table in
 * ipsecdb.h), for manual and IKE-keyed pairs alike. */
static void mnha_sel(enum ipsecdb_mnha_slot slot, bool mn_to_ha, const struct in6_addr *hoa,
		     const struct in6_addr *ha, struct spd_sel *sel, uint32_t *prio)
{
	*sel = sel_any();
	switch (slot) {
	case IPSECDB_MNHA_BU_BA:
	case IPSECDB_MNHA_MPS_MPA:
		sel->src = host(mn_to_ha ? hoa : ha);
		sel->dst = host(mn_to_ha ? ha : hoa);
		if (slot == IPSECDB_MNHA_BU_BA) {
			sel->proto = NH_MH;
			sel->mh_type = mn_to_ha ? MH_BU : MH_BA;
		} else {
			sel->proto = NH_ICMPV6;
			sel->icmp_type = mn_to_ha ? ICMP6_MPS : ICMP6_MPA;
		}
		*prio = IPSECDB_PRIO_MNHA_TRANSPORT;
		return;
	case IPSECDB_MNHA_HOTI_HOT:
		sel->proto = NH_MH;
		sel->mh_type = mn_to_ha ? MH_HOTI : MH_HOT;
		*prio = IPSECDB_PRIO_MNHA_RR;
		break;
	default:
		*prio = IPSECDB_PRIO_MNHA_PAYLOAD;
		break;
	}
	/* Tunnelled: the correspondent end is any; only traffic entering the
	 * MN-HA tunnel interface (R3776-4.2.c, R3776-4.4.d). */
	if (mn_to_ha)
		sel->src = host(hoa);
	else
		sel->dst = host(hoa);
	sel->ifid = IPSECDB_IFID_MNHA;
}

static int build_mnha(struct build *b)
{
	const struct conf_ipsec *ip = conf_ipsec(b->c);
	const struct conf_home_agent *ha = conf_home_agent(b->c);
	const struct conf_mobile_node *mn = conf_mobile_node(b->c);
	struct ipsecdb *db = b->db;
	/* Room for the IKE-keyed pairs too (build_mnha_ike). */
	size_t cap = ip->n_manual_sas + (ha ? ha->n_mobile_nodes : 0) + 1;
	if (!(db->mnhas = calloc(cap, sizeof(*db->mnhas))))
		return fail(b, M6E_NOMEM, "out of memory");
	for (size_t i = 0; i < ip->n_manual_sas; i++) {
		const struct conf_manual_sa *s = &ip->manual_sas[i];
		if (db->sas[i].tunnel >= 0 || !is_mnha_traffic(s->traffic))
			continue;
		bool out = s->direction == CONF_SA_OUT;
		const struct in6_addr *local = out ? &s->source : &s->destination;
		const struct in6_addr *peer = out ? &s->destination : &s->source;
		bool we_are_ha;
		if (ha && addr_eq(local, &ha->address))
			we_are_ha = true;
		else if (mn && addr_eq(local, &mn->home_address))
			we_are_ha = false;
		else
			return fail(b, M6E_INVAL,
				    "ipsec.manual-sa \"%s\": our end is neither home-agent.address nor mobile-node.home-address (RFC 3776 5.2)",
				    s->name);
		const struct in6_addr *hoa = we_are_ha ? peer : local;
		const struct in6_addr *ha_addr = we_are_ha ? local : peer;
		struct ipsecdb_mnha *m = mnha_get(db, we_are_ha, hoa, ha_addr);
		struct sa **slot = mnha_slot(m, slot_of_traffic(s->traffic), out);
		/* R3776-4.2.k: one SA per (home address, HA) pair and direction. */
		if (*slot)
			return fail(b, M6E_DUP, "ipsec.manual-sa \"%s\": a second %s SA for home address pair of \"%s\"",
				    s->name, out ? "out" : "in", ipsecdb_sa_name(db, *slot));
		*slot = db->sas[i].sa;
		bool mn_to_ha = we_are_ha != out;
		struct spd_sel sel;
		uint32_t prio;
		mnha_sel(slot_of_traffic(s->traffic), mn_to_ha, hoa, ha_addr, &sel, &prio);
		bool tunnelled = slot_tunnelled(slot_of_traffic(s->traffic));
		int rc = add_entry(b, out ? SPD_DIR_OUT : SPD_DIR_IN, prio, &sel, SPD_PROTECT, *slot,
				   tunnelled ? m->group : 0, s->name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int build_mnha_ike(struct build *b);

/* Unprotected BU/BA never bypass IPsec (R3776-4.1.c, R4877-7.2.a): after the
 * per-MN PROTECT entries, DISCARD the rest of that signalling. */
static int build_discards(struct build *b)
{
	const struct conf_home_agent *ha = conf_home_agent(b->c);
	const struct conf_mobile_node *mn = conf_mobile_node(b->c);
	struct spd_sel sel = sel_any();
	sel.proto = NH_MH;
	int rc;
	if (ha)
		for (size_t i = 0; i < ha->n_home_prefixes; i++) {
			sel.src = ha->home_prefixes[i];
			sel.dst = host(&ha->address);
			sel.mh_type = MH_BU;
			if ((rc = add_entry(b, SPD_DIR_IN, IPSECDB_PRIO_DISCARD, &sel, SPD_DISCARD, NULL, 0,
					    "unprotected-bu")) < 0)
				return rc;
			sel.src = host(&ha->address);
			sel.dst = ha->home_prefixes[i];
			sel.mh_type = MH_BA;
			if ((rc = add_entry(b, SPD_DIR_OUT, IPSECDB_PRIO_DISCARD, &sel, SPD_DISCARD, NULL, 0,
					    "unprotected-ba")) < 0)
				return rc;
		}
	if (mn) {
		/* ha-address :: (found by DHAAD) leaves the HA end any. */
		struct prefix6 hap = host(&mn->ha_address);
		if (IN6_IS_ADDR_UNSPECIFIED(&mn->ha_address))
			hap.len = 0;
		sel.src = hap;
		sel.dst = host(&mn->home_address);
		sel.mh_type = MH_BA;
		if ((rc = add_entry(b, SPD_DIR_IN, IPSECDB_PRIO_DISCARD, &sel, SPD_DISCARD, NULL, 0,
				    "unprotected-ba")) < 0)
			return rc;
		sel.src = host(&mn->home_address);
		sel.dst = hap;
		sel.mh_type = MH_BU;
		if ((rc = add_entry(b, SPD_DIR_OUT, IPSECDB_PRIO_DISCARD, &sel, SPD_DISCARD, NULL, 0,
				    "unprotected-bu")) < 0)
			return rc;
	}
	return 0;
}

/* ---- lifecycle ---- */

int ipsecdb_build(const struct conf *c, uint64_t now_ms, struct ipsecdb **out, char *err, size_t errlen)
{
	struct ipsecdb *db = calloc(1, sizeof(*db));
	struct build b = { .c = c, .db = db, .err = err, .errlen = errlen };
	int rc;
	if (err && errlen)
		err[0] = '\0';
	if (!db)
		return fail(&b, M6E_NOMEM, "out of memory");
	db->now_ms = now_ms;
	db->replay_window = conf_ipsec(c)->replay_window;
	/* The SAD seed only spreads peer-chosen SPIs; manual SPIs come from the
	 * administrator, and the engine has no RNG of its own. */
	uint32_t seed = (uint32_t)(now_ms * 0x9e3779b97f4a7c15ull >> 32);
	if ((rc = sad_new(&db->sad, seed)) < 0 || (rc = spd_new(&db->spd)) < 0) {
		fail(&b, rc, "out of memory");
		goto out;
	}
	size_t n_tunnels;
	conf_tunnels(c, &n_tunnels);
	if (n_tunnels && !(db->tunnels = calloc(n_tunnels, sizeof(*db->tunnels)))) {
		rc = fail(&b, M6E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = build_sas(&b)) < 0)
		goto out;
	for (size_t ti = 0; ti < n_tunnels; ti++, db->n_tunnels++)
		if ((rc = build_tunnel(&b, ti)) < 0)
			goto out;
	if ((rc = build_mnha(&b)) < 0 || (rc = build_mnha_ike(&b)) < 0 || (rc = build_discards(&b)) < 0)
		goto out;
	LOG_INFO(LOG_SUB_IPSEC, "%zu SAs, %zu policies, %zu tunnels, %zu MN-HA pairs", sad_count(db->sad),
		 spd_count(db->spd), db->n_tunnels, db->n_mnhas);
	*out = db;
	return 0;
out:
	ipsecdb_free(db);
	return rc;
}

void ipsecdb_free(struct ipsecdb *db)
{
	if (!db)
		return;
	spd_free(db->spd);
	/* SAs not yet in the SAD (a failed build) are freed here; sad_free
	 * wipes and frees the rest. */
	sad_free(db->sad);
	free(db->tunnels);
	free(db->mnhas);
	free(db->sas);
	free(db->children);
	free(db->mchildren);
	free(db);
}

struct sad *ipsecdb_sad(const struct ipsecdb *db)
{
	return db->sad;
}

struct spd *ipsecdb_spd(const struct ipsecdb *db)
{
	return db->spd;
}

struct ipsecdb_tunnel *ipsecdb_tunnels(const struct ipsecdb *db, size_t *n)
{
	*n = db->n_tunnels;
	return db->tunnels;
}

struct ipsecdb_mnha *ipsecdb_mnhas(const struct ipsecdb *db, size_t *n)
{
	*n = db->n_mnhas;
	return db->mnhas;
}

struct ipsecdb_tunnel *ipsecdb_tunnel_by_name(const struct ipsecdb *db, const char *name)
{
	for (size_t i = 0; i < db->n_tunnels; i++)
		if (strcmp(db->tunnels[i].name, name) == 0)
			return &db->tunnels[i];
	return NULL;
}

struct ipsecdb_tunnel *ipsecdb_tunnel_by_ifid(const struct ipsecdb *db, uint32_t ifid)
{
	if (ifid == 0 || ifid > db->n_tunnels)
		return NULL;
	return &db->tunnels[ifid - 1];
}

struct ipsecdb_mnha *ipsecdb_mnha_by_hoa(const struct ipsecdb *db, const struct in6_addr *hoa)
{
	for (size_t i = 0; i < db->n_mnhas; i++)
		if (addr_eq(&db->mnhas[i].home_address, hoa))
			return &db->mnhas[i];
	return NULL;
}

static const struct ipsecdb_sa_ref *sa_ref(const struct ipsecdb *db, const struct sa *sa)
{
	for (size_t i = 0; i < db->n_sas; i++)
		if (sa && db->sas[i].sa == sa)
			return &db->sas[i];
	return NULL;
}

static const char *child_sa_name(const struct ipsecdb *db, const struct sa *sa)
{
	for (size_t i = 0; sa && i < db->n_children; i++) {
		if (db->children[i].in == sa)
			return db->children[i].name_in;
		if (db->children[i].out == sa)
			return db->children[i].name_out;
	}
	return NULL;
}

static const char *mnha_child_sa_name(const struct ipsecdb *db, const struct sa *sa);

const char *ipsecdb_sa_name(const struct ipsecdb *db, const struct sa *sa)
{
	const struct ipsecdb_sa_ref *r = sa_ref(db, sa);
	if (r)
		return r->name;
	const char *n = child_sa_name(db, sa);
	return n ? n : mnha_child_sa_name(db, sa);
}

const struct ipsecdb_tunnel *ipsecdb_sa_tunnel(const struct ipsecdb *db, const struct sa *sa)
{
	(void)db;
	/* Set for tunnel SAs by build_tunnel() and ipsecdb_child_install(). */
	return sa ? sa->user : NULL;
}

struct sa_sort {
	struct sa *sa;
	size_t rank; /* config position, or n_sas for other SAs */
	const char *name;
};

static void collect_one(struct sad *sad, struct sa *sa, void *arg)
{
	(void)sad;
	struct sa_sort **next = arg;
	(*next)->sa = sa;
	(*next)++;
}

static int sa_sort_cmp(const void *a, const void *b)
{
	const struct sa_sort *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->sa->dir != y->sa->dir)
		return x->sa->dir < y->sa->dir ? -1 : 1;
	return x->sa->spi < y->sa->spi ? -1 : x->sa->spi > y->sa->spi;
}

int ipsecdb_foreach_sa(const struct ipsecdb *db,
		       void (*fn)(struct sa *sa, const char *name, void *arg), void *arg)
{
	size_t n = sad_count(db->sad);
	struct sa_sort *v = calloc(n ? n : 1, sizeof(*v)), *next = v;
	if (!v)
		return M6E_NOMEM;
	sad_foreach(db->sad, collect_one, &next);
	for (size_t i = 0; i < n; i++) {
		const struct ipsecdb_sa_ref *r = sa_ref(db, v[i].sa);
		v[i].rank = r ? (size_t)(r - db->sas) : db->n_sas;
		v[i].name = r ? r->name : child_sa_name(db, v[i].sa);
	}
	qsort(v, n, sizeof(*v), sa_sort_cmp);
	for (size_t i = 0; i < n; i++)
		fn(v[i].sa, v[i].name, arg);
	free(v);
	return 0;
}

static void tick_one(struct sad *sad, struct sa *sa, void *arg)
{
	(void)sad;
	sa_tick(sa, *(const uint64_t *)arg);
}

void ipsecdb_tick(struct ipsecdb *db, uint64_t now_ms)
{
	db->now_ms = now_ms;
	sad_foreach(db->sad, tick_one, &now_ms);
}

uint64_t ipsecdb_now(const struct ipsecdb *db)
{
	return db->now_ms;
}

/* ---- CHILD_SAs installed by IKE ---- */

__attribute__((format(printf, 4, 5))) static int child_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static struct ipsecdb_child_rec *child_find(const struct ipsecdb *db, uint32_t spi_in)
{
	for (size_t i = 0; i < db->n_children; i++)
		if (db->children[i].in->spi == spi_in)
			return &db->children[i];
	return NULL;
}

/* The SA parameters of one direction of c: tunnel mode between the outer
 * addresses IKE uses (callers may change mode and addresses). */
static struct sa_params child_params(const struct ipsecdb *db, const struct ipsecdb_child *c, bool out)
{
	struct sa_params p = {
		.spi = out ? c->spi_out : c->spi_in,
		.dir = out ? SA_DIR_OUT : SA_DIR_IN,
		.mode = SA_MODE_TUNNEL, /* R4303-2.6.a: the tunnel carries whole IPv6 packets */
		.alg = c->alg,
		.keymat = out ? c->keymat_out : c->keymat_in,
		.keymat_len = c->keymat_len,
		.esn = c->esn,
		.replay_window = out ? 0 : db->replay_window,
		.src = out ? c->local : c->remote,
		.dst = out ? c->remote : c->local,
		.udp_encap = c->udp_encap,
		.soft = { .bytes = c->soft_bytes },
		.hard = { .bytes = c->hard_bytes },
	};
	if (c->udp_encap) {
		p.encap_sport = out ? c->local_port : c->remote_port;
		p.encap_dport = out ? c->remote_port : c->local_port;
	}
	return p;
}

/* One SA of the pair: tunnel mode between the outer addresses IKE uses. */
static int child_sa_new(const struct ipsecdb *db, const struct ipsecdb_child *c, bool out, uint64_t now_ms,
			struct sa **sa)
{
	struct sa_params p = child_params(db, c, out);
	return sa_new(&p, now_ms, sa);
}

/* Room for one more child record. */
static int children_reserve(struct ipsecdb *db)
{
	if (db->n_children < db->cap_children)
		return 0;
	size_t cap = db->cap_children ? 2 * db->cap_children : 8;
	struct ipsecdb_child_rec *v = realloc(db->children, cap * sizeof(*v));
	if (!v)
		return M6E_NOMEM;
	db->children = v;
	db->cap_children = cap;
	return 0;
}

/* Both SAs into db's SAD; on failure neither is (and both stay the
 * caller's). */
static int sad_add_pair(struct sad *sad, struct sa *in, struct sa *out)
{
	int rc = sad_add(sad, in);
	if (rc == 0 && (rc = sad_add(sad, out)) < 0)
		sad_remove(sad, in);
	return rc;
}

/* Make the pair (already in db's SAD) tunnel t's newest: IN entries naming
 * in, the OUT entries on out (make-before-break: the older pairs' IN
 * entries stay until they are removed). Needs children_reserve(). */
static int child_attach(struct ipsecdb *db, struct ipsecdb_tunnel *t, struct sa *in, struct sa *out)
{
	int rc = tunnel_entries(db->spd, t, SPD_DIR_IN, SPD_PROTECT, in);
	if (rc < 0) {
		spd_del_sa(db->spd, in);
		return rc;
	}
	in->user = out->user = t; /* ipsecdb_sa_tunnel() */
	spd_set_group_sa(db->spd, t->ifid, SPD_DIR_OUT, out);
	t->out_sa = out;
	t->in_sas[t->n_in_sas++] = in;
	struct ipsecdb_child_rec *r = &db->children[db->n_children++];
	*r = (struct ipsecdb_child_rec){ .in = in, .out = out, .tunnel = (size_t)(t - db->tunnels),
					 .seq = ++db->child_seq };
	snprintf(r->name_in, sizeof(r->name_in), "%s-ike-in", t->name);
	snprintf(r->name_out, sizeof(r->name_out), "%s-ike-out", t->name);
	return 0;
}

/* Undo child_attach() for db->children[idx] and take its SAs out of the
 * SAD (they become the caller's): its IN entries go, and the OUT entries
 * fall back to the newest remaining pair of the tunnel, or larval. */
static void child_detach(struct ipsecdb *db, size_t idx, struct sa **in, struct sa **out)
{
	struct ipsecdb_child_rec gone = db->children[idx];
	struct ipsecdb_tunnel *t = &db->tunnels[gone.tunnel];
	spd_del_sa(db->spd, gone.in);
	for (size_t i = 0; i < t->n_in_sas; i++)
		if (t->in_sas[i] == gone.in) {
			memmove(&t->in_sas[i], &t->in_sas[i + 1], (t->n_in_sas - i - 1) * sizeof(t->in_sas[0]));
			t->n_in_sas--;
			break;
		}
	memmove(&db->children[idx], &db->children[idx + 1], (db->n_children - idx - 1) * sizeof(db->children[0]));
	db->n_children--;
	if (t->out_sa == gone.out) {
		const struct ipsecdb_child_rec *newest = NULL;
		for (size_t i = 0; i < db->n_children; i++)
			if (db->children[i].tunnel == gone.tunnel && (!newest || db->children[i].seq > newest->seq))
				newest = &db->children[i];
		t->out_sa = newest ? newest->out : NULL;
		spd_set_group_sa(db->spd, t->ifid, SPD_DIR_OUT, t->out_sa);
	}
	sad_remove(db->sad, gone.in);
	sad_remove(db->sad, gone.out);
	gone.in->user = gone.out->user = NULL;
	*in = gone.in;
	*out = gone.out;
}

int ipsecdb_child_install(struct ipsecdb *db, const char *tunnel, const struct ipsecdb_child *c, uint64_t now_ms,
			  char *err, size_t errlen)
{
	struct ipsecdb_tunnel *t = tunnel ? ipsecdb_tunnel_by_name(db, tunnel) : NULL;
	struct sa *in = NULL, *out = NULL;
	int rc;
	if (err && errlen)
		err[0] = '\0';
	if (!t || !t->ike_peer[0])
		return child_fail(err, errlen, M6E_NOTFOUND, "no IKE-keyed tunnel \"%s\"", tunnel ? tunnel : "");
	if (!c->keymat_in || !c->keymat_out)
		return child_fail(err, errlen, M6E_INVAL, "%s: no key material", t->name);
	/* Our ESP-in-UDP socket is [local]:4500 (RFC 7296 2.23); the peer's port
	 * may be a NAT's, but never 0. */
	if (c->udp_encap && (c->local_port != IPSECDB_NATT_PORT || c->remote_port == 0))
		return child_fail(err, errlen, M6E_INVAL, "%s: ESP-in-UDP ports %u -> %u (ours must be %u)", t->name,
				  c->local_port, c->remote_port, IPSECDB_NATT_PORT);
	if (t->n_in_sas >= IPSECDB_TUNNEL_SAS)
		return child_fail(err, errlen, M6E_RANGE, "%s: already %zu CHILD_SA pairs", t->name, t->n_in_sas);
	if (sad_lookup(db->sad, SA_DIR_IN, c->spi_in) || sad_lookup(db->sad, SA_DIR_OUT, c->spi_out))
		return child_fail(err, errlen, M6E_EXISTS, "%s: SPI 0x%08x in or 0x%08x out already installed",
				  t->name, c->spi_in, c->spi_out);
	if ((rc = children_reserve(db)) < 0)
		return child_fail(err, errlen, rc, "out of memory");
	if ((rc = child_sa_new(db, c, false, now_ms, &in)) < 0 || (rc = child_sa_new(db, c, true, now_ms, &out)) < 0) {
		/* sa_new refuses reserved SPIs, unknown algorithms, wrong key lengths. */
		rc = rc == M6E_NOMEM ? rc : M6E_INVAL;
		child_fail(err, errlen, rc, "%s: cannot create the SA pair: %s", t->name, err_str(rc));
		goto fail_free;
	}
	if ((rc = sad_add_pair(db->sad, in, out)) < 0)
		goto fail_free;
	if ((rc = child_attach(db, t, in, out)) < 0) {
		sad_remove(db->sad, in);
		sad_remove(db->sad, out);
		goto fail_free;
	}
	char l[ADDR_STRLEN], rm[ADDR_STRLEN];
	LOG_INFO(LOG_SUB_IPSEC, "%s: CHILD_SA in 0x%08x out 0x%08x %s, %s [%s]:%u <-> [%s]:%u", t->name, in->spi,
		 out->spi, aead_alg_name(in->alg), c->udp_encap ? "ESP-in-UDP" : "ESP",
		 addr_fmt(&c->local, l, sizeof(l)), c->udp_encap ? c->local_port : 0,
		 addr_fmt(&c->remote, rm, sizeof(rm)), c->udp_encap ? c->remote_port : 0);
	return 0;
fail_free:
	if (err && errlen && !err[0])
		child_fail(err, errlen, rc, "%s: cannot install the CHILD_SA: %s", t->name, err_str(rc));
	sa_free(in);
	sa_free(out);
	return rc;
}

int ipsecdb_child_remove(struct ipsecdb *db, uint32_t spi_in)
{
	struct ipsecdb_child_rec *r = child_find(db, spi_in);
	if (!r)
		return M6E_NOTFOUND;
	struct sa *in, *out;
	const struct ipsecdb_tunnel *t = &db->tunnels[r->tunnel];
	child_detach(db, (size_t)(r - db->children), &in, &out);
	LOG_INFO(LOG_SUB_IPSEC, "%s: CHILD_SA in 0x%08x out 0x%08x removed; out now %s", t->name, in->spi, out->spi,
		 t->out_sa ? "the newest remaining pair" : "larval");
	sa_free(in);
	sa_free(out);
	return 0;
}

int ipsecdb_child_update_path(struct ipsecdb *db, uint32_t spi_in, const struct in6_addr *remote, bool udp_encap,
			      uint16_t local_port, uint16_t remote_port)
{
	struct ipsecdb_child_rec *r = child_find(db, spi_in);
	if (!r)
		return M6E_NOTFOUND;
	if (udp_encap && (local_port != IPSECDB_NATT_PORT || remote_port == 0))
		return M6E_INVAL;
	struct sa *in = r->in, *out = r->out;
	struct ipsecdb_tunnel *t = &db->tunnels[r->tunnel];
	in->src = out->dst = *remote;
	in->udp_encap = out->udp_encap = udp_encap;
	in->encap_sport = out->encap_dport = udp_encap ? remote_port : 0;
	in->encap_dport = out->encap_sport = udp_encap ? local_port : 0;
	if (t->out_sa == out) /* the OUT entries' outer end, for listings */
		spd_set_group_sa(db->spd, t->ifid, SPD_DIR_OUT, out);
	char a[ADDR_STRLEN];
	LOG_INFO(LOG_SUB_IPSEC, "%s: CHILD_SA in 0x%08x now with [%s]:%u, %s", t->name, in->spi,
		 addr_fmt(remote, a, sizeof(a)), udp_encap ? remote_port : 0, udp_encap ? "ESP-in-UDP" : "ESP");
	return 0;
}

static size_t mnha_children_move(struct ipsecdb *to, struct ipsecdb *from);

size_t ipsecdb_children_move(struct ipsecdb *to, struct ipsecdb *from)
{
	size_t moved = mnha_children_move(to, from), i = 0;
	/* Oldest first, so the newest pair of each tunnel ends up sending. */
	while (i < from->n_children) {
		const struct ipsecdb_child_rec *r = &from->children[i];
		const struct ipsecdb_tunnel *old_t = &from->tunnels[r->tunnel];
		struct ipsecdb_tunnel *t = ipsecdb_tunnel_by_name(to, old_t->name);
		if (!t || strcmp(t->ike_peer, old_t->ike_peer) != 0 || t->n_in_sas >= IPSECDB_TUNNEL_SAS ||
		    sad_lookup(to->sad, SA_DIR_IN, r->in->spi) || sad_lookup(to->sad, SA_DIR_OUT, r->out->spi) ||
		    children_reserve(to) < 0) {
			i++; /* stays with from (the IKE adapter deletes it) */
			continue;
		}
		struct sa *in, *out;
		child_detach(from, i, &in, &out);
		if (sad_add_pair(to->sad, in, out) == 0 && child_attach(to, t, in, out) == 0) {
			moved++;
			continue;
		}
		/* Out of memory half way: the pair is lost; its SAs go. */
		sad_remove(to->sad, in);
		sad_remove(to->sad, out);
		LOG_ERR(LOG_SUB_IPSEC, "%s: CHILD_SA in 0x%08x lost moving to the new configuration", t->name, in->spi);
		sa_free(in);
		sa_free(out);
	}
	return moved;
}

int ipsecdb_child_get(const struct ipsecdb *db, uint32_t spi_in, struct sa **in, struct sa **out,
		      const struct ipsecdb_tunnel **tunnel)
{
	const struct ipsecdb_child_rec *r = child_find(db, spi_in);
	if (!r)
		return M6E_NOTFOUND;
	if (in)
		*in = r->in;
	if (out)
		*out = r->out;
	if (tunnel)
		*tunnel = &db->tunnels[r->tunnel];
	return 0;
}

/* ---- IKE-keyed MN-HA pairs (RFC 4877) ---- */

static const char *const mnha_slot_names[IPSECDB_MNHA_SLOTS] = { "bu-ba", "mps-mpa", "hoti-hot", "payload" };

const char *ipsecdb_mnha_slot_name(enum ipsecdb_mnha_slot s)
{
	return (unsigned)s < IPSECDB_MNHA_SLOTS ? mnha_slot_names[s] : "?";
}

static struct ipsecdb_mnha *mnha_find(const struct ipsecdb *db, const struct in6_addr *hoa, const struct in6_addr *ha)
{
	for (size_t i = 0; i < db->n_mnhas; i++)
		if (addr_eq(&db->mnhas[i].home_address, hoa) && (!ha || addr_eq(&db->mnhas[i].ha_address, ha)))
			return &db->mnhas[i];
	return NULL;
}

/* "mnha<i>-<slot>-<dir>": the slot's larval (and OUT) entries. */
static void mnha_entry_name(const struct ipsecdb *db, const struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot,
			    bool out, char *buf, size_t len)
{
	snprintf(buf, len, "mnha%zu-%s-%s", (size_t)(m - db->mnhas), ipsecdb_mnha_slot_name(slot), out ? "out" : "in");
}

/* One entry of the slot in direction out/in, naming sa (NULL: larval). */
static int mnha_slot_entry(struct ipsecdb *db, const struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot, bool out,
			   struct sa *sa, const char *name)
{
	struct spd_sel sel;
	uint32_t prio;
	mnha_sel(slot, m->we_are_ha != out, &m->home_address, &m->ha_address, &sel, &prio);
	return spd_entry_add(db->spd, out ? SPD_DIR_OUT : SPD_DIR_IN, prio, &sel, SPD_PROTECT, sa,
			     slot_tunnelled(slot) ? m->group : 0, name);
}

/* A pair without manual SAs: larval entries for the slots IKE fills first. */
static int mnha_ike_pair(struct build *b, bool we_are_ha, const struct in6_addr *hoa, const struct in6_addr *ha,
			 bool rr)
{
	struct ipsecdb *db = b->db;
	if (mnha_find(db, hoa, ha))
		return 0; /* manual SAs (or a second identity for the same address) */
	struct ipsecdb_mnha *m = mnha_get(db, we_are_ha, hoa, ha);
	m->ike_keyed = true;
	const enum ipsecdb_mnha_slot slots[] = { IPSECDB_MNHA_BU_BA, IPSECDB_MNHA_MPS_MPA, IPSECDB_MNHA_HOTI_HOT };
	for (size_t i = 0; i < (rr ? 3u : 2u); i++)
		for (int out = 1; out >= 0; out--) {
			char name[SPD_NAME_MAX];
			mnha_entry_name(db, m, slots[i], out, name, sizeof(name));
			int rc = mnha_slot_entry(db, m, slots[i], out, NULL, name);
			if (rc < 0)
				return fail(b, rc, "spd: cannot add entry for \"%s\": %s", name, err_str(rc));
		}
	return 0;
}

static int build_mnha_ike(struct build *b)
{
	const struct conf_ike *ike = conf_ike(b->c);
	const struct conf_home_agent *ha = conf_home_agent(b->c);
	const struct conf_mobile_node *mn = conf_mobile_node(b->c);
	int rc;
	if (!ike || !ike->present)
		return 0;
	for (size_t i = 0; ha && i < ha->n_mobile_nodes; i++)
		if ((rc = mnha_ike_pair(b, true, &ha->mobile_nodes[i].home_address, &ha->address, false)) < 0)
			return rc;
	/* DHAAD (ha-address ::) has no HA to key with yet: manual keys only. */
	if (mn && !IN6_IS_ADDR_UNSPECIFIED(&mn->ha_address) &&
	    (rc = mnha_ike_pair(b, false, &mn->home_address, &mn->ha_address, mn->route_optimisation)) < 0)
		return rc;
	return 0;
}

struct mnha_out_ctx {
	const char *name;
	struct sa *sa;
	size_t n;
};

static void mnha_out_point(struct spd_entry *e, void *arg)
{
	struct mnha_out_ctx *c = arg;
	if (e->dir != SPD_DIR_OUT || e->action != SPD_PROTECT || strcmp(e->name, c->name) != 0)
		return;
	e->protect.sa = c->sa;
	e->protect.spi = c->sa ? c->sa->spi : 0;
	if (c->sa) {
		e->protect.mode = c->sa->mode;
		e->protect.tunnel_src = c->sa->src;
		e->protect.tunnel_dst = c->sa->dst;
	}
	c->n++;
}

/* Point the slot's OUT entries at sa (NULL: larval); how many. */
static size_t mnha_point_out(struct ipsecdb *db, const struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot,
			     struct sa *sa)
{
	char name[SPD_NAME_MAX];
	mnha_entry_name(db, m, slot, true, name, sizeof(name));
	struct mnha_out_ctx c = { .name = name, .sa = sa };
	spd_foreach(db->spd, mnha_out_point, &c);
	return c.n;
}

static size_t mnha_slot_live(const struct ipsecdb *db, size_t mi, enum ipsecdb_mnha_slot slot)
{
	size_t n = 0;
	for (size_t i = 0; i < db->n_mchildren; i++)
		n += db->mchildren[i].mnha == mi && db->mchildren[i].slot == slot;
	return n;
}

static int mchildren_reserve(struct ipsecdb *db)
{
	if (db->n_mchildren < db->cap_mchildren)
		return 0;
	size_t cap = db->cap_mchildren ? 2 * db->cap_mchildren : 8;
	struct ipsecdb_mnha_child_rec *v = realloc(db->mchildren, cap * sizeof(*v));
	if (!v)
		return M6E_NOMEM;
	db->mchildren = v;
	db->cap_mchildren = cap;
	return 0;
}

/* One SA of an MN-HA CHILD_SA: transport slots between the home address
 * and the HA (the selectors, as manual SAs), tunnel slots on IKE's path. */
static int mnha_sa_new(const struct ipsecdb *db, const struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot,
		       const struct ipsecdb_child *c, bool out, uint64_t now_ms, struct sa **sa)
{
	struct sa_params p = child_params(db, c, out);
	if (!slot_tunnelled(slot)) {
		const struct in6_addr *local = m->we_are_ha ? &m->ha_address : &m->home_address;
		const struct in6_addr *peer = m->we_are_ha ? &m->home_address : &m->ha_address;
		p.mode = SA_MODE_TRANSPORT; /* R4877-4.3.d */
		p.src = out ? *local : *peer;
		p.dst = out ? *peer : *local;
	}
	return sa_new(&p, now_ms, sa);
}

/* Make in/out (not in any SAD yet; the caller's on failure) the newest pair
 * of m's slot: SAD, IN entry after the larval one (which keeps refusing the
 * clear), OUT entries, slot pointers, record. Needs mchildren_reserve(). */
static int mnha_child_attach(struct ipsecdb *db, struct ipsecdb_mnha *m, enum ipsecdb_mnha_slot slot, struct sa *in,
			     struct sa *out)
{
	size_t mi = (size_t)(m - db->mnhas);
	int rc = sad_add_pair(db->sad, in, out);
	if (rc < 0)
		return rc;
	struct ipsecdb_mnha_child_rec *r = &db->mchildren[db->n_mchildren];
	*r = (struct ipsecdb_mnha_child_rec){ .in = in, .out = out, .mnha = mi, .slot = slot, .seq = ++db->child_seq };
	snprintf(r->name_in, sizeof(r->name_in), "mnha%zu-%s-ike-in", mi, ipsecdb_mnha_slot_name(slot));
	snprintf(r->name_out, sizeof(r->name_out), "mnha%zu-%s-ike-out", mi, ipsecdb_mnha_slot_name(slot));
	if ((rc = mnha_slot_entry(db, m, slot, false, in, r->name_in)) < 0)
		goto fail;
	if (mnha_point_out(db, m, slot, out) == 0) {
		/* A slot without larval entries (payload; HoTI/HoT on the HA). */
		char name[SPD_NAME_MAX];
		mnha_entry_name(db, m, slot, true, name, sizeof(name));
		if ((rc = mnha_slot_entry(db, m, slot, true, out, name)) < 0) {
			spd_del_sa(db->spd, in);
			goto fail;
		}
	}
	*mnha_slot(m, slot, false) = in;
	*mnha_slot(m, slot, true) = out;
	db->n_mchildren++;
	return 0;
fail:
	sad_remove(db->sad, in);
	sad_remove(db->sad, out);
	return rc;
}

/* Undo mnha_child_attach() for db->mchildren[idx]: the slot falls back to
 * its newest remaining pair (or larval / NULL); the SAs leave the SAD and
 * become the caller's. */
static void mnha_child_detach(struct ipsecdb *db, size_t idx, struct ipsecdb_mnha_child_rec *gone)
{
	*gone = db->mchildren[idx];
	struct ipsecdb_mnha *m = &db->mnhas[gone->mnha];
	spd_del_sa(db->spd, gone->in); /* its IN entry; OUT entries are re-pointed below */
	memmove(&db->mchildren[idx], &db->mchildren[idx + 1], (db->n_mchildren - idx - 1) * sizeof(db->mchildren[0]));
	db->n_mchildren--;
	if (*mnha_slot(m, gone->slot, true) == gone->out) {
		const struct ipsecdb_mnha_child_rec *newest = NULL;
		for (size_t i = 0; i < db->n_mchildren; i++) {
			const struct ipsecdb_mnha_child_rec *r = &db->mchildren[i];
			if (r->mnha == gone->mnha && r->slot == gone->slot && (!newest || r->seq > newest->seq))
				newest = r;
		}
		*mnha_slot(m, gone->slot, false) = newest ? newest->in : NULL;
		*mnha_slot(m, gone->slot, true) = newest ? newest->out : NULL;
		mnha_point_out(db, m, gone->slot, newest ? newest->out : NULL);
	}
	sad_remove(db->sad, gone->in);
	sad_remove(db->sad, gone->out);
}

int ipsecdb_mnha_child_install(struct ipsecdb *db, const struct in6_addr *hoa, enum ipsecdb_mnha_slot slot,
			       const struct ipsecdb_child *c, uint64_t now_ms, char *err, size_t errlen)
{
	struct ipsecdb_mnha *m = mnha_find(db, hoa, NULL);
	struct sa *in = NULL, *out = NULL;
	char a[ADDR_STRLEN];
	int rc;
	if (err && errlen)
		err[0] = '\0';
	addr_fmt(hoa, a, sizeof(a));
	if (!m || !m->ike_keyed)
		return child_fail(err, errlen, M6E_NOTFOUND, "no IKE-keyed MN-HA pair for home address %s", a);
	if ((unsigned)slot >= IPSECDB_MNHA_SLOTS)
		return child_fail(err, errlen, M6E_INVAL, "%s: no slot %d", a, (int)slot);
	const char *sn = ipsecdb_mnha_slot_name(slot);
	if (!c->keymat_in || !c->keymat_out)
		return child_fail(err, errlen, M6E_INVAL, "%s %s: no key material", a, sn);
	if (c->udp_encap)
		return child_fail(err, errlen, M6E_UNSUPP, "%s %s: no ESP-in-UDP on the MN-HA path", a, sn);
	size_t mi = (size_t)(m - db->mnhas);
	if (mnha_slot_live(db, mi, slot) >= IPSECDB_MNHA_SLOT_PAIRS)
		return child_fail(err, errlen, M6E_RANGE, "%s %s: already %u CHILD_SA pairs", a, sn,
				  IPSECDB_MNHA_SLOT_PAIRS);
	if (sad_lookup(db->sad, SA_DIR_IN, c->spi_in) || sad_lookup(db->sad, SA_DIR_OUT, c->spi_out))
		return child_fail(err, errlen, M6E_EXISTS, "%s %s: SPI 0x%08x in or 0x%08x out already installed", a,
				  sn, c->spi_in, c->spi_out);
	if ((rc = mchildren_reserve(db)) < 0)
		return child_fail(err, errlen, rc, "out of memory");
	if ((rc = mnha_sa_new(db, m, slot, c, false, now_ms, &in)) < 0 ||
	    (rc = mnha_sa_new(db, m, slot, c, true, now_ms, &out)) < 0) {
		rc = rc == M6E_NOMEM ? rc : M6E_INVAL;
		child_fail(err, errlen, rc, "%s %s: cannot create the SA pair: %s", a, sn, err_str(rc));
		goto fail_free;
	}
	if ((rc = mnha_child_attach(db, m, slot, in, out)) < 0)
		goto fail_free;
	LOG_INFO(LOG_SUB_IPSEC, "MN-HA %s %s: CHILD_SA in 0x%08x out 0x%08x %s, %s", a, sn, in->spi, out->spi,
		 aead_alg_name(in->alg), in->mode == SA_MODE_TUNNEL ? "tunnel" : "transport");
	return 0;
fail_free:
	if (err && errlen && !err[0])
		child_fail(err, errlen, rc, "%s %s: cannot install the CHILD_SA: %s", a, sn, err_str(rc));
	sa_free(in);
	sa_free(out);
	return rc;
}

int ipsecdb_mnha_child_remove(struct ipsecdb *db, uint32_t spi_in)
{
	size_t idx = 0;
	while (idx < db->n_mchildren && db->mchildren[idx].in->spi != spi_in)
		idx++;
	if (idx == db->n_mchildren)
		return M6E_NOTFOUND;
	struct ipsecdb_mnha_child_rec gone;
	mnha_child_detach(db, idx, &gone);
	struct ipsecdb_mnha *m = &db->mnhas[gone.mnha];
	char a[ADDR_STRLEN];
	LOG_INFO(LOG_SUB_IPSEC, "MN-HA %s %s: CHILD_SA in 0x%08x out 0x%08x removed; out now %s",
		 addr_fmt(&m->home_address, a, sizeof(a)), ipsecdb_mnha_slot_name(gone.slot), gone.in->spi,
		 gone.out->spi, *mnha_slot(m, gone.slot, true) ? "the newest remaining pair" : "larval");
	sa_free(gone.in);
	sa_free(gone.out);
	return 0;
}

/* Reload (ipsecdb_children_move): MN-HA pairs go to the new db's IKE-keyed
 * pair of the same (home address, HA) with their counters, sequence numbers
 * and replay windows. Oldest first, so the newest ends up in the slot. */
static size_t mnha_children_move(struct ipsecdb *to, struct ipsecdb *from)
{
	size_t moved = 0, i = 0;
	while (i < from->n_mchildren) {
		const struct ipsecdb_mnha_child_rec *r = &from->mchildren[i];
		const struct ipsecdb_mnha *old_m = &from->mnhas[r->mnha];
		struct ipsecdb_mnha *m = mnha_find(to, &old_m->home_address, &old_m->ha_address);
		if (!m || !m->ike_keyed || m->we_are_ha != old_m->we_are_ha ||
		    mnha_slot_live(to, (size_t)(m - to->mnhas), r->slot) >= IPSECDB_MNHA_SLOT_PAIRS ||
		    sad_lookup(to->sad, SA_DIR_IN, r->in->spi) || sad_lookup(to->sad, SA_DIR_OUT, r->out->spi) ||
		    mchildren_reserve(to) < 0) {
			i++; /* stays with from (the IKE adapter installs it anew) */
			continue;
		}
		struct ipsecdb_mnha_child_rec gone;
		mnha_child_detach(from, i, &gone);
		if (mnha_child_attach(to, m, gone.slot, gone.in, gone.out) == 0) {
			moved++;
			continue;
		}
		LOG_ERR(LOG_SUB_IPSEC, "MN-HA CHILD_SA in 0x%08x lost moving to the new configuration", gone.in->spi);
		sa_free(gone.in);
		sa_free(gone.out);
	}
	return moved;
}

struct ipsecdb_mnha *ipsecdb_sa_mnha(const struct ipsecdb *db, const struct sa *sa, enum ipsecdb_mnha_slot *slot)
{
	if (!sa)
		return NULL;
	for (size_t i = 0; i < db->n_mnhas; i++)
		for (unsigned s = 0; s < IPSECDB_MNHA_SLOTS; s++)
			for (int out = 0; out < 2; out++)
				if (*mnha_slot(&db->mnhas[i], (enum ipsecdb_mnha_slot)s, out) == sa) {
					if (slot)
						*slot = (enum ipsecdb_mnha_slot)s;
					return &db->mnhas[i];
				}
	for (size_t i = 0; i < db->n_mchildren; i++)
		if (db->mchildren[i].in == sa || db->mchildren[i].out == sa) {
			if (slot)
				*slot = db->mchildren[i].slot;
			return &db->mnhas[db->mchildren[i].mnha];
		}
	return NULL;
}

static const char *mnha_child_sa_name(const struct ipsecdb *db, const struct sa *sa)
{
	for (size_t i = 0; sa && i < db->n_mchildren; i++) {
		if (db->mchildren[i].in == sa)
			return db->mchildren[i].name_in;
		if (db->mchildren[i].out == sa)
			return db->mchildren[i].name_out;
	}
	return NULL;
}
