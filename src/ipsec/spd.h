/*
 * spd: the Security Policy Database (RFC 4301 4.4.1), ordered first-match.
 *
 * Each entry has a direction, selectors, an action (PROTECT, BYPASS,
 * DISCARD) and, for PROTECT, a reference to the SA that carries the traffic.
 * Entries are ordered by (priority, insertion order); a lookup returns the
 * first active entry whose selectors all match (RFC 4301 decorrelation is not
 * done: ordered first-match is the contract, RFC 4301 4.4.1).
 *
 * Selectors (RFC 4301 4.4.1.1, RFC 4877 4.3 and 5, RFC 3776 4.2):
 *   source and destination prefix (len 0 = any), next protocol (or any),
 *   TCP/UDP/SCTP ports (or any), Mobility Header type (R4877-4.3.a; octet 2 of
 *   the MH), ICMPv6 type and code (R4877-4.3.b), and the tunnel interface the
 *   packet enters or left (R3776-4.2.c; 0 = any).
 *
 * The addresses given to a lookup are the "unswapped" ones: the home address
 * from a HAO is the source and the one from a type 2 routing header the
 * destination (R3776-4.2.a, R3776-4.2.b); the caller (fwd/) puts them there.
 *
 * Lookup does not degrade linearly with the number of entries: entries are
 * bucketed by (direction, next protocol or any) and, inside a bucket, hashed
 * on their most specific address selector (the longer of source/destination
 * prefix, masked). A lookup probes one hash chain per distinct (side, prefix
 * length) present in the two buckets it may hit and keeps the matching entry
 * with the smallest order, so first-match semantics are exact. At most
 * 2 x 129 x 2 probes whatever the size; entries that differ only in
 * protocol-specific selectors (ports, types, interface) share a group and are
 * scanned in order within it. bench/spd_bench measures it.
 *
 * No clock, no RNG, no I/O. Not thread-safe.
 */
#ifndef M6_IPSEC_SPD_H
#define M6_IPSEC_SPD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "ipsec/sa.h"

#define SPD_ANY (-1) /* "any" for proto, ports, MH type, ICMPv6 type/code */
#define SPD_IFID_ANY 0u
#define SPD_NAME_MAX 32

enum spd_dir { SPD_DIR_OUT = 0, SPD_DIR_IN = 1 };
enum spd_action { SPD_DISCARD = 0, SPD_BYPASS = 1, SPD_PROTECT = 2 };

/* Why a packet was refused by the SPD; engines count one per reason. */
enum spd_drop {
	SPD_DROP_NONE = 0,
	SPD_DROP_NO_POLICY,     /* no active entry matches */
	SPD_DROP_DISCARD,       /* first match is DISCARD */
	SPD_DROP_UNPROTECTED,   /* plain packet where policy says PROTECT */
	SPD_DROP_WRONG_SA,      /* protected, but by an SA other than the one the policy
				 * names for these selectors (R3776-4.2.k) */
	SPD_DROP_NOT_PROTECT,   /* protected packet whose policy is not PROTECT */
	SPD_DROP_COUNT
};

struct spd_sel {
	struct prefix6 src, dst; /* len 0: any */
	int proto;               /* next protocol 0..255 or SPD_ANY */
	int sport, dport;        /* TCP/UDP/SCTP (proto must be one of them) or SPD_ANY */
	int mh_type;             /* proto MH (135) only, or SPD_ANY */
	int icmp_type, icmp_code; /* proto ICMPv6 (58) only, or SPD_ANY */
	uint32_t ifid;           /* tunnel interface id, SPD_IFID_ANY = any */
};

/* PROTECT: the SA bundle. sa is not owned (it lives in a SAD); re-point it
 * with spd_repoint() when SAs are replaced. For OUT entries sa is the
 * outbound SA; for IN entries, the inbound SA the traffic must arrive on.
 * A "larval" entry has neither SA nor SPI (IKE has not negotiated one yet):
 * outbound traffic matching it has no SA to use, inbound traffic is only
 * accepted by a later entry naming the SA it arrived on. */
struct spd_protect {
	struct sa *sa;
	uint32_t spi;     /* sa->spi when sa is set; kept for listings */
	enum sa_mode mode;
	struct in6_addr tunnel_src, tunnel_dst; /* outer addresses (tunnel mode) */
};

/* What spd_add() takes. */
struct spd_entry_params {
	enum spd_dir dir;
	uint32_t priority; /* lower first; equal priorities keep insertion order */
	struct spd_sel sel;
	enum spd_action action;
	struct spd_protect protect; /* PROTECT only */
	bool active;
	uint32_t group; /* caller's tag for spd_set_group_active() (0: none) */
	char name[SPD_NAME_MAX]; /* for listings: tunnel or SA name */
};

struct spd_group_idx; /* index bookkeeping, private to spd.c */

struct spd_entry {
	/* read-only for callers (change through the functions below) */
	enum spd_dir dir;
	uint32_t priority;
	uint64_t order; /* priority << 32 | insertion sequence: the sort key */
	struct spd_sel sel;
	enum spd_action action;
	struct spd_protect protect;
	bool active;
	uint32_t group;
	char name[SPD_NAME_MAX];
	/* counters, bumped by spd_account() */
	uint64_t packets, bytes;
	/* private to spd.c */
	struct spd_group_idx *idx;
};

/*
 * The selector values of one packet. mh_type / icmp_* / ports are valid only
 * when l4 is true (the upper-layer header was read); an entry that needs one
 * of them does not match a packet without it (RFC 4301 4.4.1.1 OPAQUE is not
 * matched by a specific value).
 */
struct spd_pkt {
	struct in6_addr src, dst;
	uint8_t proto;
	bool l4;
	uint16_t sport, dport;
	uint8_t mh_type;
	uint8_t icmp_type, icmp_code;
	uint32_t ifid;
};

struct spd;

const char *spd_dir_name(enum spd_dir d);
const char *spd_action_name(enum spd_action a);
const char *spd_drop_name(enum spd_drop r);

int spd_new(struct spd **out);
/* Free the SPD and its entries (SAs are not touched). NULL is fine. */
void spd_free(struct spd *spd);

/*
 * Add an entry; *out (may be NULL) receives it, owned by the SPD.
 * 0; M6E_INVAL for inconsistent selectors (prefix length > 128, a port with
 * a protocol other than TCP/UDP/SCTP, an MH type without proto 135, an
 * ICMPv6 type/code without proto 58, an ICMPv6 code without a type, values
 * out of range), a PROTECT without an SA whose SPI is reserved (1..255; 0
 * without SA is a larval entry), or a bad enum; M6E_NOMEM.
 */
int spd_add(struct spd *spd, const struct spd_entry_params *p, struct spd_entry **out);
/* Remove and free one entry. M6E_NOTFOUND when e is not in spd. */
int spd_del(struct spd *spd, struct spd_entry *e);
size_t spd_count(const struct spd *spd);

/* Every entry in order (direction OUT first, then IN; each by order). fn
 * must not add or delete entries. */
void spd_foreach(const struct spd *spd, void (*fn)(struct spd_entry *e, void *arg), void *arg);

/* Fill p from an upper-layer header of protocol proto (the bytes after the
 * last extension header): ports for TCP/UDP/SCTP, type/code for ICMPv6, the
 * type for MH. Too few bytes leave p->l4 false (not an error: the entry
 * matching decides); addresses and ifid are the caller's. */
void spd_pkt_peek(struct spd_pkt *p, uint8_t proto, const uint8_t *l4, size_t len);

/* true when every selector of e matches pkt (the active flag is not looked at). */
bool spd_sel_match(const struct spd_sel *sel, const struct spd_pkt *pkt);

/* The first active entry of direction dir that matches pkt, or NULL. */
struct spd_entry *spd_lookup(const struct spd *spd, enum spd_dir dir, const struct spd_pkt *pkt);

/*
 * Inbound policy check (RFC 4301 5.2 step 4; R3776-4.2.k, R4877-4.2.b/c).
 * sa is the SA that opened the packet, or NULL for a packet that arrived in
 * the clear. pkt holds the inner selectors (after ESP, after the HAO swap).
 *
 *   protected: the first active IN entry that matches pkt and either is not
 *     PROTECT or names sa decides: PROTECT (naming sa) accepts. Otherwise,
 *     if the first matching entry is a PROTECT naming another SA, the reason
 *     is WRONG_SA (an MN using its own SA for another MN's home address);
 *     else BYPASS gives NOT_PROTECT, DISCARD gives DISCARD, none NO_POLICY.
 *   clear: the first matching active IN entry decides: BYPASS accepts,
 *     PROTECT gives UNPROTECTED, DISCARD gives DISCARD, none NO_POLICY.
 *
 * Returns 0 (accepted; *entry, if not NULL, gets the deciding entry) or
 * M6E_PERM with *why (if not NULL) set. Counters are not touched: call
 * spd_account() on the entry when the packet is delivered.
 */
int spd_check_inbound(const struct spd *spd, const struct spd_pkt *pkt, const struct sa *sa,
		      struct spd_entry **entry, enum spd_drop *why);

/* Count one packet of `bytes` on e. */
static inline void spd_account(struct spd_entry *e, size_t bytes)
{
	e->packets++;
	e->bytes += bytes;
}

/* Make an entry (in)active without removing it (RFC 3776 4.2, R3776-4.2.e:
 * tunnel entries go inactive on return home). Logs the change. */
void spd_set_active(struct spd_entry *e, bool active);
/* The same for every entry tagged group; returns how many changed. */
size_t spd_set_group_active(struct spd *spd, uint32_t group, bool active);

/* Point every PROTECT entry naming old_sa at new_sa (which may be NULL to
 * leave them without an SA: outbound traffic then has no SA to use and the
 * caller drops it). Returns the number of entries changed. */
size_t spd_repoint(struct spd *spd, const struct sa *old_sa, struct sa *new_sa);

/* true for a PROTECT entry that waits for its SA (no SA, SPI 0). */
static inline bool spd_is_larval(const struct spd_entry *e)
{
	return e->action == SPD_PROTECT && !e->protect.sa && e->protect.spi == 0;
}

/* Point every PROTECT entry of direction dir tagged group at sa (its SPI,
 * mode and outer addresses), or make them larval when sa is NULL. Returns
 * the number of entries changed. */
size_t spd_set_group_sa(struct spd *spd, uint32_t group, enum spd_dir dir, struct sa *sa);

/* Delete every PROTECT entry whose SA is sa; returns how many. */
size_t spd_del_sa(struct spd *spd, const struct sa *sa);

/* "2001:db8:1::100/128 -> 2001:db8:1::1/128 mh type bu" for logs and
 * listings: src -> dst, protocol (name, "proto N" or "any"), then only the
 * selectors that are not any (sport, dport, type, code, "if N"). */
void spd_sel_format(const struct spd_sel *sel, char *buf, size_t len);

#endif
