/*
 * mip6sec.conf: one schema table drives parsing, defaults, ranges, role checks
 * and the man page. A configuration is built completely and validated before
 * anyone sees it; callers swap it in whole (SIGHUP reload) or keep the old one.
 *
 * Contract shared with the daemon core: struct conf is immutable after
 * conf_load_*() returns it; the daemon owns it and frees it with conf_free().
 * Only `global` and `roles` are read by the core; each engine reads its own
 * section (filled in by src/conf/).
 */
#ifndef M6_CONF_CONF_H
#define M6_CONF_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/addr.h"
#include "base/log.h"

enum conf_role {
	CONF_ROLE_HA = 1u << 0, /* home-agent section present */
	CONF_ROLE_MN = 1u << 1, /* mobile-node section present */
	CONF_ROLE_CN = 1u << 2, /* correspondent section present */
};

#define CONF_PATH_MAX 256

struct conf_global {
	enum log_level log_level;
	enum log_target log_target;
	unsigned debug_mask; /* LOG_SUB_* bits */
	char control_socket[108]; /* fits sockaddr_un.sun_path */
	char state_dir[CONF_PATH_MAX];
};

/* Where and why loading failed: "file:line: key: message". line is 0 when the
 * error is not tied to a line (missing file, cross-section rule). */
struct conf_error {
	char file[CONF_PATH_MAX];
	int line;
	char key[128];
	char msg[256];
};

/*
 * Sections filled by src/conf/. Sizes are fixed so an engine can copy what it
 * needs; lists of entries are arrays owned by struct conf. Every key below is
 * one row of the schema table (conf_schema.c) and one entry of mip6sec.conf(5).
 */
#define CONF_IFNAME_MAX 16 /* IFNAMSIZ */
#define CONF_NAME_MAX 32
#define CONF_ID_MAX 256
#define CONF_KEY_MAX 64
#define CONF_PREFIX_MAX 8
#define CONF_LIST_MAX 64 /* entries per list (SAs, peers, tunnels, ...) */
#define CONF_PROPOSAL_MAX 8
#define CONF_PROPOSAL_LEN 96

/* Key material: from inline hex or a key file; wiped by conf_free(). */
struct conf_key {
	size_t len;
	uint8_t data[CONF_KEY_MAX];
};

enum conf_if_kind { CONF_IF_ANY = 0, CONF_IF_HOME_LINK, CONF_IF_ACCESS };

struct conf_interface {
	char name[CONF_IFNAME_MAX];
	enum conf_if_kind kind;
	unsigned mtu;        /* 0: use the system's */
	unsigned preference; /* higher is preferred (mobile node) */
};

/* IKEv2 identification types (RFC 7296 3.5); the values are the ID Type codes. */
enum conf_id_type { CONF_ID_FQDN = 2, CONF_ID_RFC822 = 3, CONF_ID_IPV6 = 5, CONF_ID_DN = 9 };

/* Home agent authorisation: which identity may register which home address
 * (RFC 3776 4.2, R3776-4.2.k; RFC 4877 4.2). */
struct conf_mn_auth {
	char identity[CONF_ID_MAX];
	enum conf_id_type identity_type;
	struct in6_addr home_address;
};

struct conf_home_agent {
	bool present;
	char home_link[CONF_IFNAME_MAX];
	struct in6_addr address;
	struct prefix6 home_prefixes[CONF_PREFIX_MAX];
	size_t n_home_prefixes;
	unsigned max_binding_lifetime; /* seconds */
	bool dad;
	bool proxy_nd;
	unsigned min_mob_pfx_adv_interval; /* seconds, RFC 6275 13 */
	unsigned max_mob_pfx_adv_interval;
	struct conf_mn_auth *mobile_nodes;
	size_t n_mobile_nodes;
};

/* RFC 4449 preconfigured data for one peer: Kcn (>= 20 octets) and the home
 * and care-of nonces; Kbm is derived as in return routability. */
struct conf_kbm_peer {
	struct in6_addr address; /* MN side: the CN; CN side: the MN's home address */
	struct conf_key kcn;
	struct conf_key home_nonce;
	struct conf_key care_of_nonce;
};

struct conf_mobile_node {
	bool present;
	struct in6_addr home_address;
	struct prefix6 home_prefix;
	struct in6_addr ha_address; /* :: when DHAAD finds it */
	bool dhaad;
	char preferred_interfaces[CONF_PREFIX_MAX][CONF_IFNAME_MAX];
	size_t n_preferred_interfaces;
	bool route_optimisation;
	bool key_mgmt_mobility;                      /* K bit with IKE-keyed SAs (R6275-11.7.1.d) */
	unsigned binding_lifetime;                   /* seconds */
	unsigned initial_bindack_timeout_ms;         /* INITIAL_BINDACK_TIMEOUT */
	unsigned initial_bindack_timeout_first_reg_ms; /* InitialBindackTimeoutFirstReg */
	unsigned max_bindack_timeout;                /* seconds, MAX_BINDACK_TIMEOUT */
	unsigned initial_dhaad_timeout;              /* seconds */
	unsigned dhaad_retries;
	unsigned initial_solicit_timer;              /* seconds */
	unsigned max_update_rate;                    /* BUs per second */
	struct conf_kbm_peer *correspondents;
	size_t n_correspondents;
};

struct conf_correspondent {
	bool present;
	bool route_optimisation;
	unsigned max_rr_binding_lifetime; /* seconds, MAX_RR_BINDING_LIFETIME */
	bool cap_preconfigured_lifetime;  /* spec README item 7 */
	struct conf_kbm_peer *peers;
	size_t n_peers;
};

enum conf_sa_dir { CONF_SA_IN = 0, CONF_SA_OUT };
enum conf_sa_mode { CONF_SA_TRANSPORT = 0, CONF_SA_TUNNEL };
/* What a manual SA protects, RFC 3776 5.2: its selectors follow from this. */
enum conf_sa_traffic {
	CONF_SA_BU_BA = 0, /* MH, types BU/BA, transport */
	CONF_SA_HOTI_HOT,  /* MH, types HoTI/HoT, tunnel */
	CONF_SA_MPS_MPA,   /* ICMPv6 146/147, transport */
	CONF_SA_PAYLOAD,   /* any protocol through the MN-HA tunnel */
	CONF_SA_ANY,       /* any protocol (site-to-site tunnels) */
};
/* IKEv2 transform IDs (wire-formats.md J). */
enum conf_encr { CONF_ENCR_NULL = 11, CONF_ENCR_AES_CBC = 12 };
enum conf_integ { CONF_INTEG_HMAC_SHA2_256_128 = 12 };

struct conf_manual_sa {
	char name[CONF_NAME_MAX];
	uint32_t spi;
	enum conf_sa_dir direction;
	struct in6_addr source;
	struct in6_addr destination;
	enum conf_sa_mode mode;
	enum conf_sa_traffic traffic;
	enum conf_encr encryption;
	struct conf_key encryption_key;
	enum conf_integ integrity;
	struct conf_key integrity_key;
	bool anti_replay;
};

/* A parsed proposal: transform IDs of wire-formats.md J. */
struct conf_proposal {
	uint16_t encr;
	uint16_t encr_keybits; /* 0 when the cipher has a fixed key size */
	uint16_t integ;        /* 0: none (AEAD) */
	uint16_t prf;          /* 0 for ESP */
	uint16_t dh[4];        /* IKE: groups; ESP: PFS groups (may be none) */
	size_t n_dh;
	bool esn;
};

struct conf_ipsec {
	unsigned replay_window;
	struct conf_manual_sa *manual_sas;
	size_t n_manual_sas;
};

enum conf_ike_auth { CONF_IKE_PUBKEY = 0, CONF_IKE_PSK };

struct conf_ike_peer {
	char name[CONF_NAME_MAX];
	char identity[CONF_ID_MAX];
	enum conf_id_type identity_type;
	struct in6_addr address; /* :: = any */
	enum conf_ike_auth auth;
	struct conf_key psk;
	bool initiate; /* start the IKE SA at startup and keep it up; false: wait for the peer */
};

struct conf_ike {
	bool present;
	char identity[CONF_ID_MAX];
	enum conf_id_type identity_type;
	enum conf_ike_auth auth;
	char certificate[CONF_PATH_MAX];
	char private_key[CONF_PATH_MAX];
	char ca[CONF_PATH_MAX];
	char proposals[CONF_PROPOSAL_MAX][CONF_PROPOSAL_LEN];
	size_t n_proposals;
	struct conf_proposal ike[CONF_PROPOSAL_MAX]; /* proposals, parsed */
	/* CHILD_SA (ESP) proposals, best first; AEAD only by default (RFC 8221) */
	char esp_proposals[CONF_PROPOSAL_MAX][CONF_PROPOSAL_LEN];
	size_t n_esp_proposals;
	struct conf_proposal esp[CONF_PROPOSAL_MAX]; /* esp_proposals, parsed */
	unsigned ike_lifetime;   /* seconds */
	unsigned child_lifetime; /* seconds */
	unsigned rekey_margin;   /* seconds */
	bool mobike;
	unsigned dpd_interval; /* seconds, 0 = off */
	bool fragmentation;
	unsigned fragment_size;
	unsigned nat_keepalive; /* seconds, 0 = off */
	unsigned half_open_limit;
	unsigned cookie_threshold;
	unsigned init_rate_limit; /* new IKE_SA_INIT per second per address, 0 = unlimited */
	unsigned retransmit_tries;
	unsigned retransmit_timeout_ms;
	bool request_home_address; /* MN: CP INTERNAL_IP6_ADDRESS (RFC 4877 9) */
	bool assign_home_prefix;   /* HA: CP MIP6_HOME_PREFIX (RFC 5026 8.2) */
	char key_dump[CONF_PATH_MAX]; /* "" = off; SENSITIVE: writes session keys */
	struct conf_ike_peer *peers;
	size_t n_peers;
};

enum conf_encap { CONF_ENCAP_ESP = 0, CONF_ENCAP_UDP };

struct conf_tunnel {
	char name[CONF_IFNAME_MAX];
	struct in6_addr local;
	struct in6_addr remote;
	struct prefix6 local_prefixes[CONF_PREFIX_MAX];
	size_t n_local_prefixes;
	struct prefix6 remote_prefixes[CONF_PREFIX_MAX];
	size_t n_remote_prefixes;
	char manual_sas[CONF_PREFIX_MAX][CONF_NAME_MAX]; /* names in ipsec.manual-sa */
	size_t n_manual_sas;
	enum conf_encap encapsulation; /* manual SAs only: IKE-keyed tunnels follow NAT detection */
	unsigned udp_port;
	/* "" or the ike.peers name that keys this tunnel: its prefixes are the
	 * traffic selectors, local/remote the IKE end points; exclusive with
	 * manual_sas. */
	char ike_peer[CONF_NAME_MAX];
};

struct conf;

/* Load, validate and return a new configuration, or fill *err and return a
 * negative M6E_* code (nothing is allocated then). @include and relative
 * key-file paths are resolved from the directory of path. */
int conf_load_file(const char *path, struct conf **out, struct conf_error *err);
/* The same from text in memory; `name` stands in for the file name in errors.
 * @include is not followed here (the text has no directory): it is an error.
 * Relative key-file paths are taken from the current directory. */
int conf_load_string(const char *text, const char *name, struct conf **out, struct conf_error *err);
void conf_free(struct conf *c);

const struct conf_global *conf_global(const struct conf *c);
unsigned conf_roles(const struct conf *c);
/* Section accessors. Role sections and ike return NULL when absent; lists
 * return their entries and store the count in *n. Pointers live as long as c. */
const struct conf_home_agent *conf_home_agent(const struct conf *c);
const struct conf_mobile_node *conf_mobile_node(const struct conf *c);
const struct conf_correspondent *conf_correspondent(const struct conf *c);
const struct conf_ipsec *conf_ipsec(const struct conf *c);
const struct conf_ike *conf_ike(const struct conf *c);
const struct conf_interface *conf_interfaces(const struct conf *c, size_t *n);
const struct conf_tunnel *conf_tunnels(const struct conf *c, size_t *n);
/* "home-agent, mobile-node" for a role mask ("none" when empty). */
void conf_roles_format(unsigned roles, char *buf, size_t len);

/* The schema, for documentation and tests: one row per key. */
struct conf_schema_info {
	const char *path;    /* "ipsec.manual-sa[].spi" */
	const char *type;    /* "integer", "string", "ipv6-address", ... */
	const char *dflt;    /* default in config syntax, or NULL (required / none) */
	const char *range;   /* "256..4294967295", "aes-cbc | null", or "" */
	const char *roles;   /* "any" or "home-agent, mobile-node" */
	const char *doc;     /* one line */
	bool required;
};
size_t conf_schema_count(void);
/* Fill *out for row i (< conf_schema_count()); 0 or M6E_RANGE. The range and
 * roles strings live in static buffers until the next call (docs and tests
 * only; not thread-safe). */
int conf_schema_at(size_t i, struct conf_schema_info *out);
/* "file:line: key: message" (parts left out when unknown). */
void conf_error_format(const struct conf_error *err, char *buf, size_t len);

/* `mip6sec check-config [FILE]`: load and validate path; print
 * "FILE: configuration valid (roles: home-agent, ...)" to out and return 0, or
 * print "file:line: key: what is wrong" to err and return 1. */
int conf_check_main(const char *path, FILE *out, FILE *err);

#endif
