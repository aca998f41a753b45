/*
 * mnode: the Mobile IPv6 adapter. It wires the pure engines of src/mip6
 * (home agent, mobile node, movement, DHAAD, prefix discovery) and the
 * packet path of src/mobile/sigpath to the kernel: raw sockets, the
 * IPPROTO_RAW sender, a TUN device, rtnetlink, and the journalled kernel
 * state of io/kstate (routes, rules, proxy NDP, sysctls).
 *
 * Home agent (RFC 6275 10): TUN "m6ha0". A registered home address gets a
 * proxy NDP entry on the home link and a /128 route into the TUN; what the
 * kernel routes there is tunnelled to the care-of address (IPv6-in-IPv6,
 * or ESP tunnel mode when payload SAs exist), and what comes back through
 * the tunnel from the registered care-of address is written to the TUN for
 * the kernel to forward.
 *
 * Mobile node (RFC 6275 11): TUN "m6mn0" holds the home address. Away from
 * home, table MNODE_TABLE routes everything unmarked into the TUN with the
 * home address as source (rules: main without default routes first, then
 * "not fwmark MNODE_MARK lookup MNODE_TABLE"); the daemon's outer packets
 * carry MNODE_MARK and leave through the care-of address's interface.
 *
 * Packet path and state: docs/ARCHITECTURE.md, "Mobile IPv6".
 */
#ifndef M6_MOBILE_NODE_H
#define M6_MOBILE_NODE_H

#include <stddef.h>

#define MNODE_HA_TUN "m6ha0"
#define MNODE_MN_TUN "m6mn0"
#define MNODE_MARK 0x6d36u   /* "m6": the mobile node's own outer packets */
#define MNODE_TABLE 186u     /* the mobile node's home-address routes */
#define MNODE_RULE_PRIO 1000u /* and 1001 */
#define MNODE_TUN_MTU 1400u   /* room for outer IPv6 + ESP on a 1500 link */

struct conf;
struct ctl;
struct ikeio;
struct io_loop;
struct io_nl;
struct ipsecdb;
struct kstate;
struct mnode;

struct mnode_env {
	struct io_loop *loop;
	struct io_nl *nl;
	struct kstate *ks;
	struct ctl *ctl;
	/* The IKE adapter (RFC 4877: IKE-keyed MN-HA SAs), or NULL. It must
	 * outlive the node's use of it: the daemon frees it first and the node
	 * does not call it from mnode_free(). */
	struct ikeio *ike;
};

/*
 * Start the role c asks for. No home-agent or mobile-node section: *out is
 * NULL and 0 is returned. Otherwise 0 and *out, or a negative M6E_* with a
 * reason in err and nothing left behind. env, c and db must outlive the
 * node (or be replaced with mnode_set_conf).
 */
int mnode_new(const struct mnode_env *env, const struct conf *c, struct ipsecdb *db, struct mnode **out,
	      char *err, size_t errlen);
/* May a reload go from running to next? A change of role (a home-agent or
 * mobile-node section added or removed) or of the role's addresses needs a
 * restart: 0, or M6E_PERM with the reason in err (the reload is refused
 * whole, the running configuration stays). */
int mnode_reload_check(const struct conf *running, const struct conf *next, char *err, size_t errlen);
/* A reload swapped in c and db (mnode_reload_check() passed): the SAs are
 * new objects, so the tunnel SAs are pointed at the current care-of
 * addresses again. */
void mnode_set_conf(struct mnode *n, const struct conf *c, struct ipsecdb *db);
/* Stop: the TUN goes, kernel state is undone by kstate. NULL is fine. */
void mnode_free(struct mnode *n);

#endif
