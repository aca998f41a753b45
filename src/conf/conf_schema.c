/*
 * The mip6sec.conf schema: one row per key. The walker (conf_walk.c) parses,
 * type-checks, range-checks, applies defaults and checks roles from these
 * rows; conf_schema_at() exposes them so the man page test can verify every
 * key is documented. Defaults are written in config syntax and go through the
 * same parser as the file, so a default can never hold an invalid value.
 *
 * Timer defaults are RFC 6275 12/13 (wire-formats.md K); algorithm rules are
 * in conf_alg.c; cross-field rules in conf_rules.c.
 */
#include "conf/conf_priv.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

const struct name_entry conf_role_names[] = {
	{CONF_ROLE_HA, "home-agent"},
	{CONF_ROLE_MN, "mobile-node"},
	{CONF_ROLE_CN, "correspondent"},
};
const size_t conf_role_names_count = NAMES_COUNT(conf_role_names);

static const struct name_entry level_names[] = {
	{LOG_LVL_ERR, "err"}, {LOG_LVL_WARN, "warn"}, {LOG_LVL_NOTICE, "notice"},
	{LOG_LVL_INFO, "info"}, {LOG_LVL_DEBUG, "debug"},
};
static const struct name_entry target_names[] = {{LOG_TO_STDERR, "stderr"}, {LOG_TO_SYSLOG, "syslog"}};
static const struct name_entry if_kind_names[] = {
	{CONF_IF_ANY, "any"}, {CONF_IF_HOME_LINK, "home-link"}, {CONF_IF_ACCESS, "access"},
};
static const struct name_entry id_type_names[] = {
	{CONF_ID_FQDN, "fqdn"}, {CONF_ID_RFC822, "user-fqdn"}, {CONF_ID_IPV6, "ipv6"}, {CONF_ID_DN, "asn1-dn"},
};
static const struct name_entry dir_names[] = {{CONF_SA_IN, "in"}, {CONF_SA_OUT, "out"}};
static const struct name_entry mode_names[] = {{CONF_SA_TRANSPORT, "transport"}, {CONF_SA_TUNNEL, "tunnel"}};
static const struct name_entry traffic_names[] = {
	{CONF_SA_BU_BA, "bu-ba"}, {CONF_SA_HOTI_HOT, "hoti-hot"}, {CONF_SA_MPS_MPA, "mps-mpa"},
	{CONF_SA_PAYLOAD, "payload"}, {CONF_SA_ANY, "any"},
};
/* RFC 8221 3 / README conflict 4: the only ciphers allowed on manual SAs. */
static const struct name_entry manual_encr_names[] = {{CONF_ENCR_AES_CBC, "aes-cbc"}, {CONF_ENCR_NULL, "null"}};
static const struct name_entry manual_integ_names[] = {{CONF_INTEG_HMAC_SHA2_256_128, "hmac-sha256-128"}};
static const struct name_entry auth_names[] = {{CONF_IKE_PUBKEY, "pubkey"}, {CONF_IKE_PSK, "psk"}};
static const struct name_entry encap_names[] = {{CONF_ENCAP_ESP, "esp"}, {CONF_ENCAP_UDP, "udp"}};

#define NOOFF ((size_t)-1)
#define HA CONF_ROLE_HA
#define MN CONF_ROLE_MN
#define CN CONF_ROLE_CN
#define U32MAX INT64_C(4294967295)

/* Row builders: S is the struct the offsets refer to. */
#define R_GROUP(p, S, m, present, role, d) \
	{.path = p, .type = CONF_T_GROUP, .off = offsetof(S, m), .cnt_off = present, .sets_role = role, .doc = d}
#define R_LIST(p, S, m, n, E, fl, d)                                                                   \
	{.path = p, .type = CONF_T_LIST, .flags = fl, .off = offsetof(S, m), .cnt_off = offsetof(S, n), \
	 .size = sizeof(E), .min = 0, .max = CONF_LIST_MAX, .doc = d}
#define R_BOOL(p, S, m, def, rl, d) \
	{.path = p, .type = CONF_T_BOOL, .dflt = def, .off = offsetof(S, m), .roles = rl, .doc = d}
#define R_UINT(p, S, m, def, lo, hi, rl, d)                                                              \
	{.path = p, .type = CONF_T_UINT, .dflt = def, .min = lo, .max = hi, .off = offsetof(S, m), \
	 .roles = rl, .doc = d}
#define R_STRT(p, t, S, m, fl, def, ck, d)                                                            \
	{.path = p, .type = t, .flags = fl, .dflt = def, .off = offsetof(S, m), .size = sizeof(((S *)0)->m), \
	 .check = ck, .doc = d}
#define R_ENUM(p, S, m, fl, def, tbl, ck, d)                                                       \
	{.path = p, .type = CONF_T_ENUM, .flags = fl, .dflt = def, .off = offsetof(S, m), .values = tbl, \
	 .n_values = NAMES_COUNT(tbl), .check = ck, .doc = d}
#define R_ADDR(p, S, m, fl, def, d) \
	{.path = p, .type = CONF_T_ADDR, .flags = fl, .dflt = def, .off = offsetof(S, m), .doc = d}
#define R_PREFIX(p, S, m, fl, d) {.path = p, .type = CONF_T_PREFIX, .flags = fl, .off = offsetof(S, m), .doc = d}
#define R_PREFIXES(p, S, m, n, fl, lo, d)                                                              \
	{.path = p, .type = CONF_T_PREFIXES, .flags = fl, .min = lo, .max = CONF_PREFIX_MAX, .off = offsetof(S, m), \
	 .cnt_off = offsetof(S, n), .doc = d}
#define R_STRS(p, S, m, n, fl, def, ck, d)                                                          \
	{.path = p, .type = CONF_T_STRS, .flags = fl, .dflt = def, .min = 0,                        \
	 .max = sizeof(((S *)0)->m) / sizeof(((S *)0)->m[0]), .off = offsetof(S, m),           \
	 .cnt_off = offsetof(S, n), .size = sizeof(((S *)0)->m[0]), .check = ck, .doc = d}
#define R_KEY(p, t, S, m, lo, hi, d) \
	{.path = p, .type = t, .min = lo, .max = hi, .off = offsetof(S, m), .doc = d}

/* RFC 4449 preconfigured data, the same at both ends (list path L). */
#define KBM_PEER_ROWS(L, addr_doc)                                                                      \
	R_ADDR(L ".address", struct conf_kbm_peer, address, CONF_F_REQ | CONF_F_UNICAST, NULL, addr_doc),  \
	R_KEY(L ".kcn", CONF_T_KEY, struct conf_kbm_peer, kcn, 20, 64,                                      \
	      "Kcn in hex, at least 20 octets (RFC 4449 3), different for every peer (R4449-4.b/c)"),       \
	R_KEY(L ".kcn-file", CONF_T_KEYFILE, struct conf_kbm_peer, kcn, 20, 64,                             \
	      "file holding Kcn in hex (mode 0600), instead of kcn"),                                       \
	R_KEY(L ".home-nonce", CONF_T_KEY, struct conf_kbm_peer, home_nonce, 8, 32,                         \
	      "nonce for the home keygen token, hex, 8..32 octets (RFC 4449 3)"),                           \
	R_KEY(L ".care-of-nonce", CONF_T_KEY, struct conf_kbm_peer, care_of_nonce, 8, 32,                   \
	      "nonce for the care-of keygen token, hex, 8..32 octets (RFC 4449 3)")

const struct conf_schema_row conf_schema[] = {
	/* global */
	R_GROUP("global", struct conf, global, NOOFF, 0, "daemon-wide settings"),
	R_ENUM("global.log-level", struct conf_global, log_level, 0, "\"notice\"", level_names, NULL,
	       "least severe message logged"),
	R_ENUM("global.log-target", struct conf_global, log_target, 0, "\"stderr\"", target_names, NULL,
	       "where log messages go"),
	{.path = "global.debug", .type = CONF_T_DEBUG, .dflt = "\"\"", .off = offsetof(struct conf_global, debug_mask),
	 .doc = "subsystems logged at debug level: comma list of core, conf, ctl, io, wire, ipsec, ike, mip6, fwd, all"},
	R_STRT("global.control-socket", CONF_T_PATH, struct conf_global, control_socket, 0,
	       "\"/run/mip6sec/control.sock\"", NULL, "UNIX socket of the control protocol (absolute path)"),
	R_STRT("global.state-dir", CONF_T_PATH, struct conf_global, state_dir, 0, "\"/var/lib/mip6sec\"", NULL,
	       "directory for persistent state (RFC 4449 sequence numbers, ...)"),

	/* interfaces */
	R_LIST("interfaces", struct conf, interfaces, n_interfaces, struct conf_interface, 0,
	       "network interfaces the daemon uses; when given, every interface named elsewhere must be listed"),
	R_STRT("interfaces[].name", CONF_T_IFNAME, struct conf_interface, name, CONF_F_REQ, NULL, NULL,
	       "interface name"),
	R_ENUM("interfaces[].kind", struct conf_interface, kind, 0, "\"any\"", if_kind_names, NULL,
	       "home-link (home agent only), access (mobile node attachment) or any"),
	R_UINT("interfaces[].mtu", struct conf_interface, mtu, "0", 0, 65535, 0,
	       "MTU to assume, 0 for the system's; otherwise at least 1280 (RFC 8200 5)"),
	R_UINT("interfaces[].preference", struct conf_interface, preference, "0", 0, 255, 0,
	       "mobile node: higher values are tried first"),

	/* home-agent */
	R_GROUP("home-agent", struct conf, ha, offsetof(struct conf, ha.present), HA,
		"present: this node is a home agent (RFC 6275 10)"),
	R_STRT("home-agent.home-link", CONF_T_IFNAME, struct conf_home_agent, home_link, CONF_F_REQ, NULL, NULL,
	       "interface on the home link"),
	R_ADDR("home-agent.address", struct conf_home_agent, address, CONF_F_REQ | CONF_F_UNICAST, NULL,
	       "home agent address, inside one of home-prefixes"),
	R_PREFIXES("home-agent.home-prefixes", struct conf_home_agent, home_prefixes, n_home_prefixes, CONF_F_REQ, 1,
		   "home subnet prefixes served, e.g. [\"2001:db8:1::/64\"]"),
	R_UINT("home-agent.max-binding-lifetime", struct conf_home_agent, max_binding_lifetime, "3600", 4, 262140, 0,
	       "longest binding granted, seconds (MH lifetime is 16 bits of 4 s)"),
	R_BOOL("home-agent.dad", struct conf_home_agent, dad, "true", 0,
	       "run duplicate address detection for home addresses (RFC 6275 10.4.1)"),
	R_BOOL("home-agent.proxy-nd", struct conf_home_agent, proxy_nd, "true", 0,
	       "defend registered home addresses with proxy neighbour discovery (RFC 6275 10.4.1)"),
	R_UINT("home-agent.min-mob-pfx-adv-interval", struct conf_home_agent, min_mob_pfx_adv_interval, "600", 1,
	       86400, 0, "MinMobPfxAdvInterval, seconds (RFC 6275 13)"),
	R_UINT("home-agent.max-mob-pfx-adv-interval", struct conf_home_agent, max_mob_pfx_adv_interval, "86400", 1,
	       86400, 0, "MaxMobPfxAdvInterval, seconds (RFC 6275 13)"),
	R_LIST("home-agent.mobile-nodes", struct conf_home_agent, mobile_nodes, n_mobile_nodes, struct conf_mn_auth,
	       0, "authorisation: which identity may register which home address (RFC 3776 4.2)"),
	R_STRT("home-agent.mobile-nodes[].identity", CONF_T_STR, struct conf_mn_auth, identity, CONF_F_REQ, NULL,
	       NULL, "IKE identity of the mobile node (for manual SAs: a label)"),
	R_ENUM("home-agent.mobile-nodes[].identity-type", struct conf_mn_auth, identity_type, 0, "\"fqdn\"",
	       id_type_names, NULL, "fqdn, user-fqdn, ipv6 or asn1-dn"),
	R_ADDR("home-agent.mobile-nodes[].home-address", struct conf_mn_auth, home_address,
	       CONF_F_REQ | CONF_F_UNICAST, NULL, "home address it may register, inside a home prefix"),

	/* mobile-node */
	R_GROUP("mobile-node", struct conf, mn, offsetof(struct conf, mn.present), MN,
		"present: this node is a mobile node (RFC 6275 11)"),
	R_ADDR("mobile-node.home-address", struct conf_mobile_node, home_address, CONF_F_REQ | CONF_F_UNICAST, NULL,
	       "home address, inside home-prefix"),
	R_PREFIX("mobile-node.home-prefix", struct conf_mobile_node, home_prefix, CONF_F_REQ, "home subnet prefix"),
	R_ADDR("mobile-node.ha-address", struct conf_mobile_node, ha_address, CONF_F_UNICAST | CONF_F_ANY_OK, "\"::\"",
	       "home agent address; \"::\" to discover it with DHAAD"),
	R_BOOL("mobile-node.dhaad", struct conf_mobile_node, dhaad, "false", 0,
	       "discover the home agent (RFC 6275 11.4.1); required when ha-address is \"::\""),
	R_STRS("mobile-node.preferred-interfaces", struct conf_mobile_node, preferred_interfaces,
	       n_preferred_interfaces, 0, "[]", NULL, "interfaces to attach through, best first"),
	R_BOOL("mobile-node.route-optimisation", struct conf_mobile_node, route_optimisation, "true", 0,
	       "register care-of addresses with correspondents (RFC 6275 11.7.2)"),
	R_BOOL("mobile-node.key-management-mobility", struct conf_mobile_node, key_mgmt_mobility, "true", 0,
	       "set the K bit in home registrations when the SAs come from IKE (RFC 6275 11.7.1); manual SAs always send K = 0"),
	R_UINT("mobile-node.binding-lifetime", struct conf_mobile_node, binding_lifetime, "3600", 4, 262140, 0,
	       "lifetime asked for in home registrations, seconds"),
	R_UINT("mobile-node.initial-bindack-timeout-ms", struct conf_mobile_node, initial_bindack_timeout_ms, "1000",
	       100, 32000, 0, "INITIAL_BINDACK_TIMEOUT, milliseconds (RFC 6275 12)"),
	R_UINT("mobile-node.initial-bindack-timeout-first-reg-ms", struct conf_mobile_node,
	       initial_bindack_timeout_first_reg_ms, "1500", 100, 32000, 0,
	       "InitialBindackTimeoutFirstReg, milliseconds (RFC 6275 13, R6275-13.b)"),
	R_UINT("mobile-node.max-bindack-timeout", struct conf_mobile_node, max_bindack_timeout, "32", 1, 256, 0,
	       "MAX_BINDACK_TIMEOUT, seconds (RFC 6275 12)"),
	R_UINT("mobile-node.initial-dhaad-timeout", struct conf_mobile_node, initial_dhaad_timeout, "3", 1, 60, 0,
	       "INITIAL_DHAAD_TIMEOUT, seconds (RFC 6275 12)"),
	R_UINT("mobile-node.dhaad-retries", struct conf_mobile_node, dhaad_retries, "4", 1, 16, 0,
	       "DHAAD_RETRIES (RFC 6275 12)"),
	R_UINT("mobile-node.initial-solicit-timer", struct conf_mobile_node, initial_solicit_timer, "3", 1, 60, 0,
	       "INITIAL_SOLICIT_TIMER, seconds (RFC 6275 12)"),
	R_UINT("mobile-node.max-update-rate", struct conf_mobile_node, max_update_rate, "3", 1, 10, 0,
	       "MAX_UPDATE_RATE, binding updates per second (RFC 6275 12)"),
	R_LIST("mobile-node.correspondents", struct conf_mobile_node, correspondents, n_correspondents,
	       struct conf_kbm_peer, 0, "RFC 4449 preconfigured keys, one per correspondent node"),
	KBM_PEER_ROWS("mobile-node.correspondents[]", "correspondent node address"),

	/* correspondent */
	R_GROUP("correspondent", struct conf, cn, offsetof(struct conf, cn.present), CN,
		"present: this node is a correspondent node (RFC 6275 9)"),
	R_BOOL("correspondent.route-optimisation", struct conf_correspondent, route_optimisation, "true", 0,
	       "accept binding updates from mobile nodes (off: answer none)"),
	R_UINT("correspondent.max-rr-binding-lifetime", struct conf_correspondent, max_rr_binding_lifetime, "420", 4,
	       420, 0, "MAX_RR_BINDING_LIFETIME, seconds (RFC 6275 12)"),
	R_BOOL("correspondent.cap-preconfigured-lifetime", struct conf_correspondent, cap_preconfigured_lifetime,
	       "true", 0, "apply max-rr-binding-lifetime to RFC 4449 bindings too (spec README item 7)"),
	R_LIST("correspondent.peers", struct conf_correspondent, peers, n_peers, struct conf_kbm_peer, 0,
	       "RFC 4449 preconfigured keys, one per mobile node home address"),
	KBM_PEER_ROWS("correspondent.peers[]", "the mobile node's home address"),

	/* ipsec */
	R_GROUP("ipsec", struct conf, ipsec, NOOFF, 0, "ESP settings and manually keyed SAs"),
	R_UINT("ipsec.replay-window", struct conf_ipsec, replay_window, "64", 32, 4096, 0,
	       "anti-replay window, packets (RFC 4303 3.4.3: at least 32)"),
	R_LIST("ipsec.manual-sa", struct conf_ipsec, manual_sas, n_manual_sas, struct conf_manual_sa, 0,
	       "manually keyed SAs (RFC 3776 5.2 layout for MN-HA signalling)"),
	R_STRT("ipsec.manual-sa[].name", CONF_T_STR, struct conf_manual_sa, name, CONF_F_REQ, NULL, NULL,
	       "unique label (tunnels refer to it)"),
	{.path = "ipsec.manual-sa[].spi", .type = CONF_T_UINT, .flags = CONF_F_REQ, .min = 256, .max = U32MAX,
	 .off = offsetof(struct conf_manual_sa, spi),
	 .doc = "SPI (RFC 4303 2.1: 1..255 reserved); values above 2147483647 need the L suffix"},
	R_ENUM("ipsec.manual-sa[].direction", struct conf_manual_sa, direction, CONF_F_REQ, NULL, dir_names, NULL,
	       "in or out"),
	R_ADDR("ipsec.manual-sa[].source", struct conf_manual_sa, source, CONF_F_REQ | CONF_F_UNICAST, NULL,
	       "source address selector (home address or HA address for MN-HA SAs)"),
	R_ADDR("ipsec.manual-sa[].destination", struct conf_manual_sa, destination, CONF_F_REQ | CONF_F_UNICAST,
	       NULL, "destination address selector; with the direction, the SA lookup key"),
	R_ENUM("ipsec.manual-sa[].mode", struct conf_manual_sa, mode, CONF_F_REQ, NULL, mode_names, NULL,
	       "transport or tunnel (RFC 3776 4.3)"),
	R_ENUM("ipsec.manual-sa[].traffic", struct conf_manual_sa, traffic, CONF_F_REQ, NULL, traffic_names, NULL,
	       "selectors: bu-ba, hoti-hot, mps-mpa (home-agent or mobile-node only), payload or any"),
	R_ENUM("ipsec.manual-sa[].encryption", struct conf_manual_sa, encryption, 0, "\"aes-cbc\"",
	       manual_encr_names, conf_alg_manual_encr_refusal,
	       "aes-cbc or null; AEAD and counter modes are refused on manual SAs (RFC 8221 3, RFC 4106 2)"),
	R_KEY("ipsec.manual-sa[].encryption-key", CONF_T_KEY, struct conf_manual_sa, encryption_key, 0, 32,
	      "AES key in hex: 16, 24 or 32 octets; none with null"),
	R_KEY("ipsec.manual-sa[].encryption-key-file", CONF_T_KEYFILE, struct conf_manual_sa, encryption_key, 0, 32,
	      "file holding the AES key in hex (mode 0600), instead of encryption-key"),
	R_ENUM("ipsec.manual-sa[].integrity", struct conf_manual_sa, integrity, 0, "\"hmac-sha256-128\"",
	       manual_integ_names, conf_alg_manual_integ_refusal, "hmac-sha256-128 (RFC 4868), the only choice"),
	R_KEY("ipsec.manual-sa[].integrity-key", CONF_T_KEY, struct conf_manual_sa, integrity_key, 0, 32,
	      "HMAC key in hex, exactly 32 octets (RFC 4868 2.1.1)"),
	R_KEY("ipsec.manual-sa[].integrity-key-file", CONF_T_KEYFILE, struct conf_manual_sa, integrity_key, 0, 32,
	      "file holding the HMAC key in hex (mode 0600), instead of integrity-key"),
	R_BOOL("ipsec.manual-sa[].anti-replay", struct conf_manual_sa, anti_replay, "false", 0,
	       "check sequence numbers; off by default on manual SAs (RFC 4303 3.3.3)"),

	/* ike */
	R_GROUP("ike", struct conf, ike, offsetof(struct conf, ike.present), 0, "present: run IKEv2 (RFC 7296)"),
	R_STRT("ike.identity", CONF_T_STR, struct conf_ike, identity, CONF_F_REQ, NULL, NULL, "our IDi/IDr"),
	R_ENUM("ike.identity-type", struct conf_ike, identity_type, 0, "\"fqdn\"", id_type_names, NULL,
	       "fqdn, user-fqdn (RFC 822 address), ipv6 or asn1-dn"),
	R_ENUM("ike.auth", struct conf_ike, auth, 0, "\"pubkey\"", auth_names, NULL,
	       "how we authenticate: pubkey (certificate and private-key) or psk (per peer)"),
	R_STRT("ike.certificate", CONF_T_PATH, struct conf_ike, certificate, CONF_F_EMPTY_OK, "\"\"", NULL,
	       "our certificate, PEM"),
	R_STRT("ike.private-key", CONF_T_PRIVFILE, struct conf_ike, private_key, CONF_F_EMPTY_OK, "\"\"", NULL,
	       "our private key, PEM; must be mode 0600"),
	R_STRT("ike.ca", CONF_T_PATH, struct conf_ike, ca, CONF_F_EMPTY_OK, "\"\"", NULL,
	       "CA certificate(s) peers' certificates must chain to, PEM"),
	R_STRS("ike.proposals", struct conf_ike, proposals, n_proposals, 0,
	       "[\"aes256gcm16-prfsha256-ecp256\", \"aes128-sha256-ecp256\", \"aes128-sha256-modp2048\"]",
	       conf_alg_check_ike, "IKE SA proposals, best first (see PROPOSALS)"),
	R_STRS("ike.esp-proposals", struct conf_ike, esp_proposals, n_esp_proposals, 0,
	       "[\"aes256gcm16\", \"aes128gcm16\"]", conf_alg_check_esp,
	       "CHILD_SA (ESP) proposals, best first; AEAD by default (RFC 8221 5, see PROPOSALS)"),
	R_UINT("ike.ike-lifetime", struct conf_ike, ike_lifetime, "86400", 300, 604800, 0,
	       "IKE SA lifetime, seconds"),
	R_UINT("ike.child-lifetime", struct conf_ike, child_lifetime, "28800", 60, 604800, 0,
	       "child SA lifetime, seconds"),
	R_UINT("ike.rekey-margin", struct conf_ike, rekey_margin, "540", 10, 3600, 0,
	       "rekey this many seconds before a lifetime ends; below both lifetimes"),
	R_BOOL("ike.mobike", struct conf_ike, mobike, "true", 0, "offer MOBIKE (RFC 4555)"),
	R_UINT("ike.dpd-interval", struct conf_ike, dpd_interval, "30", 0, 3600, 0,
	       "dead peer detection after this many idle seconds; 0 = off"),
	R_BOOL("ike.fragmentation", struct conf_ike, fragmentation, "true", 0, "IKEv2 fragmentation (RFC 7383)"),
	R_UINT("ike.fragment-size", struct conf_ike, fragment_size, "1280", 1280, 65535, 0,
	       "largest IP datagram when fragmenting (RFC 7383 2.5.1)"),
	R_UINT("ike.nat-keepalive", struct conf_ike, nat_keepalive, "20", 0, 3600, 0,
	       "NAT keepalive period, seconds (RFC 3948 4); 0 = off"),
	R_UINT("ike.half-open-limit", struct conf_ike, half_open_limit, "1024", 1, 1000000, 0,
	       "most half-open IKE SAs kept"),
	R_UINT("ike.cookie-threshold", struct conf_ike, cookie_threshold, "64", 0, 1000000, 0,
	       "half-open SAs before COOKIEs are demanded (RFC 7296 2.6); at most half-open-limit"),
	R_UINT("ike.init-rate-limit", struct conf_ike, init_rate_limit, "20", 0, 100000, 0,
	       "new IKE_SA_INIT requests accepted per second from one address, bursts of twice that; "
	       "0 = no per-address limit (half-open-limit and cookies still apply)"),
	R_UINT("ike.retransmit-tries", struct conf_ike, retransmit_tries, "5", 1, 20, 0,
	       "retransmissions before giving up"),
	R_UINT("ike.retransmit-timeout-ms", struct conf_ike, retransmit_timeout_ms, "1000", 100, 60000, 0,
	       "first retransmission timeout, milliseconds (doubles each try)"),
	R_BOOL("ike.request-home-address", struct conf_ike, request_home_address, "false", MN,
	       "ask the home agent for a home address (RFC 4877 9)"),
	R_BOOL("ike.assign-home-prefix", struct conf_ike, assign_home_prefix, "false", HA,
	       "answer MIP6_HOME_PREFIX requests (RFC 5026 8.2)"),
	R_STRT("ike.key-dump", CONF_T_PATH, struct conf_ike, key_dump, CONF_F_EMPTY_OK, "\"\"", NULL,
	       "SENSITIVE: append IKE and ESP keys here for wireshark; \"\" = off"),
	R_LIST("ike.peers", struct conf_ike, peers, n_peers, struct conf_ike_peer, 0, "peers we talk IKE with"),
	R_STRT("ike.peers[].name", CONF_T_STR, struct conf_ike_peer, name, CONF_F_REQ, NULL, NULL, "unique label"),
	R_STRT("ike.peers[].identity", CONF_T_STR, struct conf_ike_peer, identity, CONF_F_REQ, NULL, NULL,
	       "the peer's identity"),
	R_ENUM("ike.peers[].identity-type", struct conf_ike_peer, identity_type, 0, "\"fqdn\"", id_type_names, NULL,
	       "fqdn, user-fqdn, ipv6 or asn1-dn"),
	R_ADDR("ike.peers[].address", struct conf_ike_peer, address, CONF_F_UNICAST | CONF_F_ANY_OK, "\"::\"",
	       "the peer's address; \"::\" = any (responder only)"),
	R_ENUM("ike.peers[].auth", struct conf_ike_peer, auth, 0, "\"pubkey\"", auth_names, NULL,
	       "how the peer authenticates: pubkey or psk"),
	R_KEY("ike.peers[].psk", CONF_T_KEY, struct conf_ike_peer, psk, 16, 64,
	      "pre-shared key in hex, 16..64 octets"),
	R_KEY("ike.peers[].psk-file", CONF_T_KEYFILE, struct conf_ike_peer, psk, 16, 64,
	      "file holding the pre-shared key in hex (mode 0600), instead of psk"),
	R_BOOL("ike.peers[].initiate", struct conf_ike_peer, initiate, "false", 0,
	       "start the IKE SA at startup and keep it up (needs address); false: wait for the peer"),

	/* tunnels */
	R_LIST("tunnels", struct conf, tunnels, n_tunnels, struct conf_tunnel, 0,
	       "site-to-site ESP tunnels (data plane)"),
	R_STRT("tunnels[].name", CONF_T_IFNAME, struct conf_tunnel, name, CONF_F_REQ, NULL, NULL,
	       "unique name, also the TUN device name"),
	R_ADDR("tunnels[].local", struct conf_tunnel, local, CONF_F_REQ | CONF_F_UNICAST, NULL,
	       "our outer address"),
	R_ADDR("tunnels[].remote", struct conf_tunnel, remote, CONF_F_REQ | CONF_F_UNICAST, NULL,
	       "the peer's outer address"),
	R_PREFIXES("tunnels[].local-prefixes", struct conf_tunnel, local_prefixes, n_local_prefixes, CONF_F_REQ, 1,
		   "inner prefixes behind us"),
	R_PREFIXES("tunnels[].remote-prefixes", struct conf_tunnel, remote_prefixes, n_remote_prefixes, CONF_F_REQ,
		   1, "inner prefixes behind the peer; must not overlap another tunnel's"),
	R_STRS("tunnels[].manual-sas", struct conf_tunnel, manual_sas, n_manual_sas, 0, "[]", NULL,
	       "names of ipsec.manual-sa entries (mode tunnel, one in and one out); empty with no ike-peer: plain IPv6-in-IPv6"),
	R_STRT("tunnels[].ike-peer", CONF_T_STR, struct conf_tunnel, ike_peer, 0, NULL, NULL,
	       "name of the ike.peers entry that keys this tunnel (instead of manual-sas); \"\" = none"),
	R_ENUM("tunnels[].encapsulation", struct conf_tunnel, encapsulation, 0, "\"esp\"", encap_names, NULL,
	       "esp (IP protocol 50) or udp (RFC 3948); manual SAs only (with ike-peer NAT detection decides)"),
	R_UINT("tunnels[].udp-port", struct conf_tunnel, udp_port, "4500", 1, 65535, 0,
	       "UDP port with encapsulation = \"udp\" (manual SAs only)"),
};
const size_t conf_schema_rows = sizeof(conf_schema) / sizeof(conf_schema[0]);

const struct conf_schema_row *conf_schema_find(const char *path)
{
	for (size_t i = 0; i < conf_schema_rows; i++)
		if (strcmp(conf_schema[i].path, path) == 0)
			return &conf_schema[i];
	return NULL;
}

size_t conf_schema_count(void)
{
	return conf_schema_rows;
}

static const char *const type_names[] = {
	[CONF_T_BOOL] = "boolean",        [CONF_T_UINT] = "integer",
	[CONF_T_STR] = "string",          [CONF_T_PATH] = "path",
	[CONF_T_IFNAME] = "interface",    [CONF_T_ENUM] = "string",
	[CONF_T_ADDR] = "ipv6-address",   [CONF_T_PREFIX] = "ipv6-prefix",
	[CONF_T_PREFIXES] = "prefix-array", [CONF_T_STRS] = "string-array",
	[CONF_T_KEY] = "hex",             [CONF_T_KEYFILE] = "key-file",
	[CONF_T_PRIVFILE] = "key-file",   [CONF_T_DEBUG] = "string",
	[CONF_T_GROUP] = "section",       [CONF_T_LIST] = "list",
};

/* Rendered ranges live here; conf_schema_at() is for docs and tests only. */
static char range_buf[256];
static char roles_buf[64];

void conf_roles_format(unsigned roles, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < conf_role_names_count; i++) {
		if (!(roles & conf_role_names[i].value))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", conf_role_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
}

int conf_schema_at(size_t i, struct conf_schema_info *out)
{
	if (i >= conf_schema_rows)
		return M6E_RANGE;
	const struct conf_schema_row *r = &conf_schema[i];
	range_buf[0] = '\0';
	switch (r->type) {
	case CONF_T_UINT:
		snprintf(range_buf, sizeof(range_buf), "%" PRId64 "..%" PRId64, r->min, r->max);
		break;
	case CONF_T_KEY:
	case CONF_T_KEYFILE:
		snprintf(range_buf, sizeof(range_buf), "%" PRId64 "..%" PRId64 " octets", r->min, r->max);
		break;
	case CONF_T_ENUM: {
		size_t used = 0;
		for (size_t v = 0; v < r->n_values; v++) {
			int n = snprintf(range_buf + used, sizeof(range_buf) - used, "%s%s", v ? " | " : "",
					 r->values[v].name);
			if (n > 0 && (size_t)n < sizeof(range_buf) - used)
				used += (size_t)n;
		}
		break;
	}
	case CONF_T_PREFIXES:
	case CONF_T_STRS:
	case CONF_T_LIST:
		snprintf(range_buf, sizeof(range_buf), "%" PRId64 "..%" PRId64 " entries", r->min, r->max);
		break;
	default:
		break;
	}
	unsigned roles = r->roles | r->sets_role;
	if (roles)
		conf_roles_format(roles, roles_buf, sizeof(roles_buf));
	else
		snprintf(roles_buf, sizeof(roles_buf), "any");
	*out = (struct conf_schema_info){
		.path = r->path,
		.type = type_names[r->type],
		.dflt = r->dflt,
		.range = range_buf,
		.roles = roles_buf,
		.doc = r->doc,
		.required = (r->flags & CONF_F_REQ) != 0,
	};
	return 0;
}
