/*
 * Cross-field rules: what one key cannot say alone. They run on the filled
 * struct conf while the libconfig tree still exists, so each error still
 * names the file and line of the offending key.
 */
#include "conf/conf_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

#define KEY_LEN 192

/* Error at list[idx].key (idx < 0: section.key). When the key was left out
 * (a default), the element or section line is used. */
static int rule_fail(struct conf_ctx *x, const char *where, int idx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int rule_fail(struct conf_ctx *x, const char *where, int idx, const char *key, const char *fmt, ...)
{
	char dkey[KEY_LEN], msg[256];
	const config_setting_t *s = config_lookup(x->cfg, where);
	if (s && idx >= 0)
		s = config_setting_get_elem(s, (unsigned)idx);
	if (idx >= 0)
		snprintf(dkey, sizeof(dkey), "%s[%d].%s", where, idx, key);
	else
		snprintf(dkey, sizeof(dkey), "%s.%s", where, key);
	const config_setting_t *m = s && config_setting_is_group(s) ? config_setting_get_member(s, key) : NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conf_fail(x, m ? m : s, dkey, "%s", msg);
}

static const char *fmt_addr(const struct in6_addr *a, char *buf)
{
	return addr_fmt(a, buf, ADDR_STRLEN);
}

static bool prefixes_overlap(const struct prefix6 *a, const struct prefix6 *b)
{
	return a->len <= b->len ? prefix_contains(a, &b->addr) : prefix_contains(b, &a->addr);
}

static bool in_any_prefix(const struct prefix6 *p, size_t n, const struct in6_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_contains(&p[i], a))
			return true;
	return false;
}

/* IKEv2 ID syntax per type (RFC 7296 3.5). NULL when fine. */
static const char *identity_problem(const char *id, enum conf_id_type type)
{
	struct in6_addr a;
	switch (type) {
	case CONF_ID_FQDN:
		if (strchr(id, '@') || strchr(id, ' ') || id[0] == '.')
			return "not a fully qualified domain name";
		return NULL;
	case CONF_ID_RFC822: {
		const char *at = strchr(id, '@');
		return at && at != id && at[1] ? NULL : "not a user@domain address (identity-type user-fqdn)";
	}
	case CONF_ID_IPV6:
		return addr_parse(id, &a) ? "not an IPv6 address (identity-type ipv6)" : NULL;
	case CONF_ID_DN:
		return strchr(id, '=') ? NULL : "not a distinguished name like \"C=DE, O=Example, CN=ha\"";
	}
	return "unknown identity type";
}

static bool interface_listed(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_interfaces; i++)
		if (strcmp(c->interfaces[i].name, name) == 0)
			return true;
	return false;
}

static int check_interfaces(struct conf_ctx *x)
{
	const struct conf *c = x->c;
	for (size_t i = 0; i < c->n_interfaces; i++) {
		const struct conf_interface *f = &c->interfaces[i];
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->interfaces[j].name, f->name) == 0)
				return rule_fail(x, "interfaces", (int)i, "name", "\"%s\" listed twice", f->name);
		if (f->mtu && f->mtu < 1280)
			return rule_fail(x, "interfaces", (int)i, "mtu",
					 "%u is below the IPv6 minimum MTU 1280 (RFC 8200 5); 0 = system", f->mtu);
		if (f->kind == CONF_IF_HOME_LINK && !(x->roles & CONF_ROLE_HA))
			return rule_fail(x, "interfaces", (int)i, "kind", "home-link is only valid for role home-agent");
	}
	return 0;
}

/* RFC 4449 peers: keys given, addresses unique, a different Kcn for each
 * (R4449-4.b at the MN, R4449-4.c at the CN). */
static int check_kbm_peers(struct conf_ctx *x, const char *where, const struct conf_kbm_peer *p, size_t n)
{
	char buf[ADDR_STRLEN];
	for (size_t i = 0; i < n; i++) {
		if (!p[i].kcn.len)
			return rule_fail(x, where, (int)i, "kcn", "missing (give kcn or kcn-file)");
		if (!p[i].home_nonce.len)
			return rule_fail(x, where, (int)i, "home-nonce", "missing (required, RFC 4449 3)");
		if (!p[i].care_of_nonce.len)
			return rule_fail(x, where, (int)i, "care-of-nonce", "missing (required, RFC 4449 3)");
		for (size_t j = 0; j < i; j++) {
			if (addr_eq(&p[j].address, &p[i].address))
				return rule_fail(x, where, (int)i, "address", "%s listed twice",
						 fmt_addr(&p[i].address, buf));
			if (p[j].kcn.len == p[i].kcn.len && memcmp(p[j].kcn.data, p[i].kcn.data, p[i].kcn.len) == 0)
				return rule_fail(x, where, (int)i, "kcn",
						 "same Kcn as entry %zu; every peer needs its own (RFC 4449 4)", j);
		}
	}
	return 0;
}

static int check_home_agent(struct conf_ctx *x)
{
	const struct conf_home_agent *ha = &x->c->ha;
	char buf[ADDR_STRLEN];
	if (!ha->present)
		return 0;
	for (size_t i = 0; i < ha->n_home_prefixes; i++)
		for (size_t j = 0; j < i; j++)
			if (prefixes_overlap(&ha->home_prefixes[i], &ha->home_prefixes[j]))
				return rule_fail(x, "home-agent", -1, "home-prefixes", "prefixes %zu and %zu overlap",
						 j, i);
	if (!in_any_prefix(ha->home_prefixes, ha->n_home_prefixes, &ha->address))
		return rule_fail(x, "home-agent", -1, "address", "%s is not inside any of home-prefixes",
				 fmt_addr(&ha->address, buf));
	if (x->c->n_interfaces && !interface_listed(x->c, ha->home_link))
		return rule_fail(x, "home-agent", -1, "home-link", "\"%s\" is not in interfaces", ha->home_link);
	if (ha->min_mob_pfx_adv_interval > ha->max_mob_pfx_adv_interval)
		return rule_fail(x, "home-agent", -1, "min-mob-pfx-adv-interval", "%u is above max-mob-pfx-adv-interval %u",
				 ha->min_mob_pfx_adv_interval, ha->max_mob_pfx_adv_interval);
	for (size_t i = 0; i < ha->n_mobile_nodes; i++) {
		const struct conf_mn_auth *m = &ha->mobile_nodes[i];
		const char *why = identity_problem(m->identity, m->identity_type);
		if (why)
			return rule_fail(x, "home-agent.mobile-nodes", (int)i, "identity", "\"%.60s\": %s", m->identity,
					 why);
		if (!in_any_prefix(ha->home_prefixes, ha->n_home_prefixes, &m->home_address))
			return rule_fail(x, "home-agent.mobile-nodes", (int)i, "home-address",
					 "%s is not inside any of home-agent.home-prefixes",
					 fmt_addr(&m->home_address, buf));
		if (addr_eq(&m->home_address, &ha->address))
			return rule_fail(x, "home-agent.mobile-nodes", (int)i, "home-address",
					 "is the home agent's own address");
		/* R3776-4.2.k: one owner per home address. */
		for (size_t j = 0; j < i; j++)
			if (addr_eq(&ha->mobile_nodes[j].home_address, &m->home_address))
				return rule_fail(x, "home-agent.mobile-nodes", (int)i, "home-address",
						 "%s already belongs to entry %zu (R3776-4.2.k)",
						 fmt_addr(&m->home_address, buf), j);
	}
	return 0;
}

static int check_mobile_node(struct conf_ctx *x)
{
	const struct conf_mobile_node *mn = &x->c->mn;
	char buf[ADDR_STRLEN];
	if (!mn->present)
		return 0;
	if (!prefix_contains(&mn->home_prefix, &mn->home_address))
		return rule_fail(x, "mobile-node", -1, "home-address", "%s is not inside home-prefix",
				 fmt_addr(&mn->home_address, buf));
	if (IN6_IS_ADDR_UNSPECIFIED(&mn->ha_address)) {
		if (!mn->dhaad)
			return rule_fail(x, "mobile-node", -1, "ha-address",
					 "missing: give the home agent address or set dhaad = true");
	} else {
		/* The home agent sits on the home link (RFC 6275 10.1). */
		if (!prefix_contains(&mn->home_prefix, &mn->ha_address))
			return rule_fail(x, "mobile-node", -1, "ha-address", "%s is not inside home-prefix",
					 fmt_addr(&mn->ha_address, buf));
		if (addr_eq(&mn->ha_address, &mn->home_address))
			return rule_fail(x, "mobile-node", -1, "ha-address", "equals home-address");
	}
	for (size_t i = 0; x->c->n_interfaces && i < mn->n_preferred_interfaces; i++)
		if (!interface_listed(x->c, mn->preferred_interfaces[i]))
			return rule_fail(x, "mobile-node", -1, "preferred-interfaces", "\"%s\" is not in interfaces",
					 mn->preferred_interfaces[i]);
	if (mn->initial_bindack_timeout_ms > mn->max_bindack_timeout * 1000u)
		return rule_fail(x, "mobile-node", -1, "initial-bindack-timeout-ms", "above max-bindack-timeout (%u s)",
				 mn->max_bindack_timeout);
	if (mn->initial_bindack_timeout_first_reg_ms > mn->max_bindack_timeout * 1000u)
		return rule_fail(x, "mobile-node", -1, "initial-bindack-timeout-first-reg-ms",
				 "above max-bindack-timeout (%u s)", mn->max_bindack_timeout);
	return check_kbm_peers(x, "mobile-node.correspondents", mn->correspondents, mn->n_correspondents);
}

static int check_correspondent(struct conf_ctx *x)
{
	const struct conf_correspondent *cn = &x->c->cn;
	if (!cn->present)
		return 0;
	if (!cn->route_optimisation && cn->n_peers)
		return rule_fail(x, "correspondent", -1, "route-optimisation",
				 "is off but peers are configured (RFC 4449 keys authenticate binding updates)");
	return check_kbm_peers(x, "correspondent.peers", cn->peers, cn->n_peers);
}

static bool is_mip6_traffic(enum conf_sa_traffic t)
{
	return t == CONF_SA_BU_BA || t == CONF_SA_HOTI_HOT || t == CONF_SA_MPS_MPA;
}

/* MN-HA SAs: our end must be our own address, the far end our peer. */
static int check_sa_ends(struct conf_ctx *x, size_t i, const struct conf_manual_sa *sa)
{
	static const char *const where = "ipsec.manual-sa";
	const struct conf *c = x->c;
	const char *local_key = sa->direction == CONF_SA_OUT ? "source" : "destination";
	const char *peer_key = sa->direction == CONF_SA_OUT ? "destination" : "source";
	const struct in6_addr *local = sa->direction == CONF_SA_OUT ? &sa->source : &sa->destination;
	const struct in6_addr *peer = sa->direction == CONF_SA_OUT ? &sa->destination : &sa->source;
	char buf[ADDR_STRLEN];
	if (c->ha.present && addr_eq(local, &c->ha.address)) {
		for (size_t m = 0; m < c->ha.n_mobile_nodes; m++)
			if (addr_eq(&c->ha.mobile_nodes[m].home_address, peer))
				return 0;
		/* R3776-4.2.k: SAs only for home addresses we authorised. */
		return rule_fail(x, where, (int)i, peer_key, "%s is not a home address in home-agent.mobile-nodes",
				 fmt_addr(peer, buf));
	}
	if (c->mn.present && addr_eq(local, &c->mn.home_address)) {
		if (!IN6_IS_ADDR_UNSPECIFIED(&c->mn.ha_address) && !addr_eq(peer, &c->mn.ha_address))
			return rule_fail(x, where, (int)i, peer_key, "%s is not mobile-node.ha-address",
					 fmt_addr(peer, buf));
		return 0;
	}
	return rule_fail(x, where, (int)i, local_key,
			 "%s is neither home-agent.address nor mobile-node.home-address (RFC 3776 5.2)",
			 fmt_addr(local, buf));
}

static int check_manual_sas(struct conf_ctx *x)
{
	static const char *const where = "ipsec.manual-sa";
	const struct conf_ipsec *ip = &x->c->ipsec;
	char buf[ADDR_STRLEN];
	for (size_t i = 0; i < ip->n_manual_sas; i++) {
		const struct conf_manual_sa *sa = &ip->manual_sas[i];
		int idx = (int)i;
		for (size_t j = 0; j < i; j++) {
			const struct conf_manual_sa *o = &ip->manual_sas[j];
			if (strcmp(o->name, sa->name) == 0)
				return rule_fail(x, where, idx, "name", "\"%s\" used twice", sa->name);
			/* The SAD is looked up by SPI and destination (RFC 4303 2.1). */
			if (o->spi == sa->spi && o->direction == sa->direction &&
			    addr_eq(&o->destination, &sa->destination))
				return rule_fail(x, where, idx, "spi", "%u already used by \"%s\" for %s", sa->spi,
						 o->name, fmt_addr(&sa->destination, buf));
			/* R3776-4.2.k: each (home address, HA) pair maps to one SA for BUs. */
			if (sa->traffic == CONF_SA_BU_BA && o->traffic == CONF_SA_BU_BA &&
			    o->direction == sa->direction && addr_eq(&o->source, &sa->source) &&
			    addr_eq(&o->destination, &sa->destination))
				return rule_fail(x, where, idx, "traffic",
						 "second bu-ba SA for the same addresses as \"%s\" (R3776-4.2.k)", o->name);
		}
		if (is_mip6_traffic(sa->traffic) && !(x->roles & (CONF_ROLE_HA | CONF_ROLE_MN)))
			return rule_fail(x, where, idx, "traffic",
					 "MN-HA signalling SAs need role home-agent or mobile-node");
		bool want_tunnel = sa->traffic == CONF_SA_HOTI_HOT || sa->traffic == CONF_SA_PAYLOAD;
		bool want_transport = sa->traffic == CONF_SA_BU_BA || sa->traffic == CONF_SA_MPS_MPA;
		if (want_tunnel && sa->mode != CONF_SA_TUNNEL)
			return rule_fail(x, where, idx, "mode", "must be tunnel for this traffic (RFC 3776 4.3, R3776-4.3.c)");
		if (want_transport && sa->mode != CONF_SA_TRANSPORT)
			return rule_fail(x, where, idx, "mode",
					 "must be transport for this traffic (RFC 3776 4.3, R3776-4.3.a)");
		if (sa->encryption == CONF_ENCR_AES_CBC) {
			size_t l = sa->encryption_key.len;
			if (!l)
				return rule_fail(x, where, idx, "encryption-key",
						 "missing (give encryption-key or encryption-key-file)");
			if (l != 16 && l != 24 && l != 32)
				return rule_fail(x, where, idx, "encryption-key",
						 "%zu octets; aes-cbc takes 16, 24 or 32 (RFC 3602)", l);
		} else {
			if (sa->encryption_key.len)
				return rule_fail(x, where, idx, "encryption-key", "given, but encryption is null");
			/* R3776-4.3.d: the home keygen token must stay confidential. */
			if (sa->traffic == CONF_SA_HOTI_HOT)
				return rule_fail(x, where, idx, "encryption",
						 "hoti-hot SAs need a non-null cipher (RFC 3776 4.3, R3776-4.3.d)");
		}
		if (sa->integrity_key.len != 32)
			return rule_fail(x, where, idx, "integrity-key", "%s; hmac-sha256-128 takes exactly 32 octets (RFC 4868 2.1.1)",
					 sa->integrity_key.len ? "wrong length" : "missing");
		if (is_mip6_traffic(sa->traffic)) {
			int rc = check_sa_ends(x, i, sa);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int check_ike(struct conf_ctx *x)
{
	struct conf_ike *ike = &x->c->ike;
	if (!ike->present)
		return 0;
	const char *why = identity_problem(ike->identity, ike->identity_type);
	if (why)
		return rule_fail(x, "ike", -1, "identity", "\"%.60s\": %s", ike->identity, why);
	if (ike->auth == CONF_IKE_PUBKEY && !ike->certificate[0])
		return rule_fail(x, "ike", -1, "certificate", "missing (auth = \"pubkey\")");
	if (ike->auth == CONF_IKE_PUBKEY && !ike->private_key[0])
		return rule_fail(x, "ike", -1, "private-key", "missing (auth = \"pubkey\")");
	if (ike->rekey_margin >= ike->child_lifetime || ike->rekey_margin >= ike->ike_lifetime)
		return rule_fail(x, "ike", -1, "rekey-margin", "%u must be below child-lifetime and ike-lifetime",
				 ike->rekey_margin);
	if (ike->cookie_threshold > ike->half_open_limit)
		return rule_fail(x, "ike", -1, "cookie-threshold", "%u is above half-open-limit %u",
				 ike->cookie_threshold, ike->half_open_limit);
	for (size_t i = 0; i < ike->n_peers; i++) {
		const struct conf_ike_peer *p = &ike->peers[i];
		int idx = (int)i;
		if ((why = identity_problem(p->identity, p->identity_type)))
			return rule_fail(x, "ike.peers", idx, "identity", "\"%.60s\": %s", p->identity, why);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(ike->peers[j].name, p->name) == 0)
				return rule_fail(x, "ike.peers", idx, "name", "\"%s\" used twice", p->name);
			if (strcmp(ike->peers[j].identity, p->identity) == 0)
				return rule_fail(x, "ike.peers", idx, "identity", "\"%.60s\" already used by \"%s\"",
						 p->identity, ike->peers[j].name);
		}
		if ((p->auth == CONF_IKE_PSK || ike->auth == CONF_IKE_PSK) && !p->psk.len)
			return rule_fail(x, "ike.peers", idx, "psk", "missing (auth = \"psk\"; give psk or psk-file)");
		if (p->initiate && IN6_IS_ADDR_UNSPECIFIED(&p->address))
			return rule_fail(x, "ike.peers", idx, "initiate", "needs the peer's address (address is \"::\")");
	}
	char wbuf[160];
	for (size_t i = 0; i < ike->n_proposals; i++)
		if (conf_alg_parse_ike(ike->proposals[i], &ike->ike[i], wbuf, sizeof(wbuf)))
			return rule_fail(x, "ike", -1, "proposals", "%s", wbuf);
	for (size_t i = 0; i < ike->n_esp_proposals; i++)
		if (conf_alg_parse_esp(ike->esp_proposals[i], &ike->esp[i], wbuf, sizeof(wbuf)))
			return rule_fail(x, "ike", -1, "esp-proposals", "%s", wbuf);
	return 0;
}

static const struct conf_manual_sa *sa_by_name(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->ipsec.n_manual_sas; i++)
		if (strcmp(c->ipsec.manual_sas[i].name, name) == 0)
			return &c->ipsec.manual_sas[i];
	return NULL;
}

static int check_tunnel_sas(struct conf_ctx *x, size_t i)
{
	const struct conf_tunnel *t = &x->c->tunnels[i];
	bool in = false, out = false;
	for (size_t k = 0; k < t->n_manual_sas; k++) {
		const struct conf_manual_sa *sa = sa_by_name(x->c, t->manual_sas[k]);
		if (!sa)
			return rule_fail(x, "tunnels", (int)i, "manual-sas", "no ipsec.manual-sa named \"%s\"",
					 t->manual_sas[k]);
		if (sa->mode != CONF_SA_TUNNEL || (sa->traffic != CONF_SA_ANY && sa->traffic != CONF_SA_PAYLOAD))
			return rule_fail(x, "tunnels", (int)i, "manual-sas",
					 "\"%s\" must have mode tunnel and traffic any or payload", sa->name);
		const struct in6_addr *src = sa->direction == CONF_SA_OUT ? &t->local : &t->remote;
		const struct in6_addr *dst = sa->direction == CONF_SA_OUT ? &t->remote : &t->local;
		if (!addr_eq(&sa->source, src) || !addr_eq(&sa->destination, dst))
			return rule_fail(x, "tunnels", (int)i, "manual-sas",
					 "\"%s\" (%s) does not run between this tunnel's local and remote", sa->name,
					 sa->direction == CONF_SA_OUT ? "out" : "in");
		in |= sa->direction == CONF_SA_IN;
		out |= sa->direction == CONF_SA_OUT;
	}
	if (t->n_manual_sas && !(in && out))
		return rule_fail(x, "tunnels", (int)i, "manual-sas", "needs one in and one out SA");
	return 0;
}

/* Whether list[idx].key was written in the file (not a default). */
static bool member_given(struct conf_ctx *x, const char *where, int idx, const char *key)
{
	const config_setting_t *s = config_lookup(x->cfg, where);
	if (s)
		s = config_setting_get_elem(s, (unsigned)idx);
	return s && config_setting_is_group(s) && config_setting_get_member(s, key);
}

/* An IKE-keyed tunnel: its peer exists, no manual SAs, no fixed
 * encapsulation (NAT detection decides, RFC 7296 2.23), and the peer's
 * address (when given) is the tunnel's remote end. Tunnels keyed by one
 * peer share its IKE SA, so they share its end points too. */
static int check_tunnel_ike(struct conf_ctx *x, size_t i)
{
	const struct conf *c = x->c;
	const struct conf_tunnel *t = &c->tunnels[i];
	int idx = (int)i;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	if (!t->ike_peer[0])
		return 0;
	const struct conf_ike_peer *peer = NULL;
	for (size_t k = 0; c->ike.present && k < c->ike.n_peers; k++)
		if (strcmp(c->ike.peers[k].name, t->ike_peer) == 0)
			peer = &c->ike.peers[k];
	if (!peer)
		return rule_fail(x, "tunnels", idx, "ike-peer", "no ike.peers entry named \"%s\"", t->ike_peer);
	if (t->n_manual_sas)
		return rule_fail(x, "tunnels", idx, "manual-sas", "given together with ike-peer; use one of them");
	if (member_given(x, "tunnels", idx, "encapsulation"))
		return rule_fail(x, "tunnels", idx, "encapsulation",
				 "not with ike-peer: NAT detection decides (RFC 7296 2.23)");
	if (member_given(x, "tunnels", idx, "udp-port"))
		return rule_fail(x, "tunnels", idx, "udp-port", "not with ike-peer: IKE uses port 4500 (RFC 7296 2.23)");
	if (!IN6_IS_ADDR_UNSPECIFIED(&peer->address) && !addr_eq(&peer->address, &t->remote))
		return rule_fail(x, "tunnels", idx, "remote", "%s is not the address %s of ike peer \"%s\"",
				 fmt_addr(&t->remote, a), fmt_addr(&peer->address, b), peer->name);
	for (size_t j = 0; j < i; j++) {
		const struct conf_tunnel *o = &c->tunnels[j];
		if (strcmp(o->ike_peer, t->ike_peer) == 0 &&
		    (!addr_eq(&o->local, &t->local) || !addr_eq(&o->remote, &t->remote)))
			return rule_fail(x, "tunnels", idx, "local",
					 "tunnel \"%s\" uses ike peer \"%s\" with other end points; one IKE SA has one pair",
					 o->name, t->ike_peer);
	}
	return 0;
}

static int check_tunnels(struct conf_ctx *x)
{
	const struct conf *c = x->c;
	for (size_t i = 0; i < c->n_tunnels; i++) {
		const struct conf_tunnel *t = &c->tunnels[i];
		int idx = (int)i;
		if (addr_eq(&t->local, &t->remote))
			return rule_fail(x, "tunnels", idx, "remote", "equals local");
		for (size_t a = 0; a < t->n_local_prefixes; a++)
			for (size_t b = 0; b < t->n_remote_prefixes; b++)
				if (prefixes_overlap(&t->local_prefixes[a], &t->remote_prefixes[b]))
					return rule_fail(x, "tunnels", idx, "remote-prefixes",
							 "entry %zu overlaps local-prefixes entry %zu", b, a);
		for (size_t j = 0; j < i; j++) {
			const struct conf_tunnel *o = &c->tunnels[j];
			if (strcmp(o->name, t->name) == 0)
				return rule_fail(x, "tunnels", idx, "name", "\"%s\" used twice", t->name);
			for (size_t a = 0; a < t->n_remote_prefixes; a++)
				for (size_t b = 0; b < o->n_remote_prefixes; b++)
					if (prefixes_overlap(&t->remote_prefixes[a], &o->remote_prefixes[b]))
						return rule_fail(x, "tunnels", idx, "remote-prefixes",
								 "entry %zu overlaps tunnel \"%s\"", a, o->name);
		}
		int rc = check_tunnel_ike(x, i);
		if (rc || (rc = check_tunnel_sas(x, i)))
			return rc;
	}
	return 0;
}

int conf_rules_check(struct conf_ctx *x)
{
	int rc;
	if ((rc = check_interfaces(x)) || (rc = check_home_agent(x)) || (rc = check_mobile_node(x)) ||
	    (rc = check_correspondent(x)) || (rc = check_manual_sas(x)) || (rc = check_ike(x)) ||
	    (rc = check_tunnels(x)))
		return rc;
	return 0;
}
