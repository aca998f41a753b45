/*
 * ipsecdb: the SAD and SPD built from a struct conf, built completely or not
 * at all so a reload can swap it in atomically (STYLE.md: no rule-by-rule
 * reload).
 *
 * What ipsecdb_build() creates:
 *
 *   Every ipsec.manual-sa as a manual SA (R3776-4.1.a; AES-CBC +
 *   HMAC-SHA2-256-128 only, R8221-3.a), keys copied from the config.
 *
 *   For each `tunnels` entry (ifid = its position + 1), in this order:
 *     OUT  local/128 -> remote/128, ESP (or UDP to udp-port)   BYPASS  (the
 *     IN   remote/128 -> local/128, ESP (or UDP to udp-port)   BYPASS   outer
 *                                                                      traffic)
 *     OUT  each local prefix -> each remote prefix, any proto, ifid   PROTECT
 *          with the tunnel's out SA (tunnel mode, outer local -> remote)
 *     IN   each remote prefix -> each local prefix, any proto, ifid   PROTECT
 *          with each in SA of the tunnel (one entry per SA)
 *   A tunnel without manual SAs gets BYPASS instead of PROTECT for its
 *   prefixes (plain IPv6-in-IPv6, RFC 2473).
 *
 *   An IKE-keyed tunnel (tunnels[].ike-peer) has no SA at build time. Its
 *   outer BYPASS entries cover ESP and UDP to ports 500 and 4500 both ways
 *   (IKE, and ESP-in-UDP when NAT detection asks for it, RFC 7296 2.23),
 *   and its prefix entries are "larval" PROTECT entries (no SA, SPI 0):
 *   outbound traffic matching them is dropped as fwd's NO_SA until IKE
 *   installs a CHILD_SA. ipsecdb_child_install() then adds IN PROTECT
 *   entries naming the new inbound SA (after the larval ones, which stay:
 *   they still refuse the traffic in the clear) and points the OUT entries
 *   at the new outbound SA; ipsecdb_child_remove() undoes that, falling
 *   back to the newest remaining pair (make-before-break rekeying, RFC
 *   7296 2.8). The child SAs' outer addresses and UDP ports are the ones
 *   IKE uses (with NAT, a NAT's), not the tunnel's configured ones.
 *
 *   For the MN-HA manual SAs, the RFC 3776 5.2 layout with RFC 4877 4.3
 *   selectors, for each (home address, home agent) pair; "MN->HA" below is
 *   the HA's IN and the MN's OUT direction, and HoA/HA come from the SA's
 *   source and destination:
 *     bu-ba     transport  MN->HA  HoA -> HA, MH type BU        (R3776-4.1.c)
 *                          HA->MN  HA -> HoA, MH type BA
 *     mps-mpa   transport  MN->HA  HoA -> HA, ICMPv6 type 146   (R3776-4.1.e)
 *                          HA->MN  HA -> HoA, ICMPv6 type 147
 *     hoti-hot  tunnel     MN->HA  HoA -> any, MH type HoTI,    (R3776-4.1.d,
 *                          HA->MN  any -> HoA, MH type HoT       R3776-4.2.c:
 *                                  both on ifid IPSECDB_IFID_MNHA only)
 *     payload   tunnel     MN->HA  HoA -> any, any proto, ifid IPSECDB_IFID_MNHA
 *                          HA->MN  any -> HoA, any proto, ifid IPSECDB_IFID_MNHA
 *   and, after the per-MN entries, IN DISCARD entries that stop unprotected
 *   signalling from bypassing IPsec (R3776-4.1.c, R4877-7.2.a):
 *     HA: home prefix -> HA address, MH type BU, DISCARD
 *     MN: HA address -> home address, MH type BA, DISCARD
 *   The tunnelled entries (hoti-hot, payload) of one MN carry the SPD group
 *   ipsecdb_mnha.group, so the mobility engine can make them inactive on
 *   return home and active again when the MN leaves (R3776-4.2.e); the
 *   manual SAs stay (R3776-4.2.f, R3776-4.2.g).
 *
 * Priorities (lower first): tunnel outer BYPASS 100, MN-HA transport 200,
 * MN-HA RR tunnel 300, MN-HA payload 400, site tunnels 500, DISCARD 900.
 */
#ifndef M6_IPSEC_IPSECDB_H
#define M6_IPSEC_IPSECDB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "conf/conf.h"
#include "ipsec/sad.h"
#include "ipsec/spd.h"

/* The MN-HA IPv6-in-IPv6 tunnel interface (R3776-4.2.c). Site tunnels use
 * their position in conf_tunnels() + 1. */
#define IPSECDB_IFID_MNHA 0x10000u
/* SPD group of mnha[i]'s tunnelled entries: IPSECDB_GROUP_MNHA + i. Tunnel
 * entries use the tunnel's ifid as group. */
#define IPSECDB_GROUP_MNHA 0x20000u

#define IPSECDB_PRIO_OUTER 100u
#define IPSECDB_PRIO_MNHA_TRANSPORT 200u
#define IPSECDB_PRIO_MNHA_RR 300u
#define IPSECDB_PRIO_MNHA_PAYLOAD 400u
#define IPSECDB_PRIO_TUNNEL 500u
#define IPSECDB_PRIO_DISCARD 900u

/* Inbound SAs per tunnel; for an IKE-keyed tunnel, the live CHILD_SA
 * pairs it can hold at once (rekeying overlaps two or three). */
#define IPSECDB_TUNNEL_SAS CONF_PREFIX_MAX

/* IKE (RFC 7296 2) and its NAT traversal port, shared with ESP-in-UDP
 * (RFC 3948 2, RFC 7296 2.23). */
#define IPSECDB_IKE_PORT 500
#define IPSECDB_NATT_PORT 4500

/* One `tunnels` entry with its SAs (pointers into the SAD of the same db). */
struct ipsecdb_tunnel {
	char name[CONF_IFNAME_MAX];
	uint32_t ifid;
	struct in6_addr local, remote; /* outer addresses */
	struct prefix6 local_prefixes[CONF_PREFIX_MAX];
	size_t n_local_prefixes;
	struct prefix6 remote_prefixes[CONF_PREFIX_MAX];
	size_t n_remote_prefixes;
	struct sa *out_sa; /* NULL: no manual SAs (plain IPv6-in-IPv6) */
	struct sa *in_sas[IPSECDB_TUNNEL_SAS];
	size_t n_in_sas;
	bool udp_encap; /* encapsulation = "udp" (RFC 3948 framing); manual SAs only */
	uint16_t udp_port; /* manual: the configured port; IKE-keyed: IPSECDB_NATT_PORT */
	/* "" for manual and plain tunnels; else the ike.peers name keying it.
	 * out_sa is then the newest installed pair's outbound SA (NULL before
	 * the first install), in_sas the inbound SAs of every live pair. */
	char ike_peer[CONF_NAME_MAX];
};

/* One mobile node's manual SAs with its home agent (RFC 3776 5.2). NULL for
 * an SA the config does not have. "out"/"in" are from this node's view. */
struct ipsecdb_mnha {
	bool we_are_ha;
	struct in6_addr home_address;
	struct in6_addr ha_address;
	struct sa *bu_out, *bu_in;           /* transport, MH BU/BA */
	struct sa *mpd_out, *mpd_in;         /* transport, ICMPv6 MPS/MPA */
	struct sa *rr_out, *rr_in;           /* tunnel, MH HoTI/HoT */
	struct sa *payload_out, *payload_in; /* tunnel, any protocol */
	uint32_t group; /* SPD group of the tunnelled entries (R3776-4.2.e) */
	/* No manual SA for the pair and an ike section: the slots above are
	 * the newest CHILD_SA pair ipsecdb_mnha_child_install() put there
	 * (NULL before), see "IKE-keyed MN-HA pairs" at the end. */
	bool ike_keyed;
};

struct ipsecdb;

/*
 * Build the SAD and SPD for c at now_ms (the SAs' creation time). 0 and *out,
 * or a negative M6E_* code with a one-line reason in err ("ipsec.manual-sa
 * \"x\": ...", "tunnels \"t\": ...") and nothing allocated. Refuses what the
 * config loader should already have refused too (a tunnel naming a missing
 * SA, an SA whose direction or addresses do not fit its tunnel), and what
 * the ESP engine cannot do (null encryption, AES-192-CBC).
 */
int ipsecdb_build(const struct conf *c, uint64_t now_ms, struct ipsecdb **out, char *err,
		  size_t errlen);
/* Free everything; the SAs' keys are wiped. NULL is fine. */
void ipsecdb_free(struct ipsecdb *db);

struct sad *ipsecdb_sad(const struct ipsecdb *db);
struct spd *ipsecdb_spd(const struct ipsecdb *db);
/* Arrays live as long as db; *n gets the count. */
struct ipsecdb_tunnel *ipsecdb_tunnels(const struct ipsecdb *db, size_t *n);
struct ipsecdb_mnha *ipsecdb_mnhas(const struct ipsecdb *db, size_t *n);
/* By name / ifid / home address; NULL when none. */
struct ipsecdb_tunnel *ipsecdb_tunnel_by_name(const struct ipsecdb *db, const char *name);
struct ipsecdb_tunnel *ipsecdb_tunnel_by_ifid(const struct ipsecdb *db, uint32_t ifid);
struct ipsecdb_mnha *ipsecdb_mnha_by_hoa(const struct ipsecdb *db, const struct in6_addr *hoa);

/*
 * One CHILD_SA pair negotiated by IKE for an IKE-keyed tunnel. Tunnel mode
 * (R4303-2.6.a); "in"/"out" from our view. The keys are copied.
 */
struct ipsecdb_child {
	uint32_t spi_in, spi_out;
	enum aead_alg alg;
	const uint8_t *keymat_in, *keymat_out; /* aead_keymat_len(alg) bytes each; copied */
	size_t keymat_len;
	bool esn;
	struct in6_addr local, remote; /* outer addresses as IKE uses them (remote may be a NAT's) */
	bool udp_encap;                /* RFC 3948, decided by NAT detection */
	uint16_t local_port, remote_port; /* from the IKE path (remote may be a NAT's port);
					    * local_port must be IPSECDB_NATT_PORT */
	uint64_t soft_bytes, hard_bytes;  /* 0 = none; time lifetimes are the IKE engine's job */
};

/*
 * Install a CHILD_SA pair on the IKE-keyed tunnel `tunnel` at now_ms: both
 * SAs into the SAD, IN PROTECT entries naming the inbound SA for every
 * (remote prefix, local prefix), and the tunnel's OUT entries re-pointed at
 * the new outbound SA (make-before-break: an older pair keeps receiving
 * until ipsecdb_child_remove()). The inbound SA uses ipsec.replay-window.
 * 0; M6E_NOTFOUND (no IKE-keyed tunnel of that name); M6E_EXISTS (spi_in
 * or spi_out already in the SAD); M6E_RANGE (the tunnel already holds
 * IPSECDB_TUNNEL_SAS pairs); M6E_INVAL (no key material, reserved SPI,
 * unknown algorithm, wrong key length, ESP-in-UDP ports); M6E_NOMEM. On
 * error nothing changed and err (if not NULL) gets one line.
 */
int ipsecdb_child_install(struct ipsecdb *db, const char *tunnel, const struct ipsecdb_child *c, uint64_t now_ms,
			  char *err, size_t errlen);
/*
 * Remove the pair whose inbound SPI is spi_in: both SAs (keys wiped) and
 * the IN entries naming it; OUT entries that used its outbound SA fall back
 * to the newest remaining pair's, or become larval again. 0 or
 * M6E_NOTFOUND.
 */
int ipsecdb_child_remove(struct ipsecdb *db, uint32_t spi_in);
/*
 * The peer's end of the installed pair spi_in moved without a rekey: MOBIKE
 * (RFC 4555 3.5, UPDATE_SA_ADDRESSES) or a NAT's new mapping (RFC 7296
 * 2.23). The pair takes remote, udp_encap and the ports (local_port must be
 * IPSECDB_NATT_PORT with udp_encap; our end stays the tunnel's local
 * address, where fwd's sockets are); keys, sequence numbers, replay window
 * and counters stay. 0; M6E_NOTFOUND; M6E_INVAL (ports).
 */
int ipsecdb_child_update_path(struct ipsecdb *db, uint32_t spi_in, const struct in6_addr *remote, bool udp_encap,
			      uint16_t local_port, uint16_t remote_port);
/*
 * Reload: move every installed pair of `from` (the old db) whose tunnel
 * exists in `to` by name, still keyed by the same ike-peer, into `to`, with
 * its keys, counters, sequence numbers and replay window, so the peer sees
 * no change (re-installing from KEYMAT restarts the sequence numbers, which
 * a peer with anti-replay drops as too old). Call after fwd_set_db(to)
 * succeeded and before freeing from. Pairs whose tunnel is gone or changed
 * peer stay in from (freed with it; the IKE adapter should delete them);
 * ipsecdb_child_get(to, spi_in, ...) tells which moved. The MN-HA pairs of
 * ipsecdb_mnha_child_install() move the same way to the IKE-keyed pair of
 * the same (home address, HA) in `to` (ipsecdb_sa_mnha() tells which
 * moved). Returns how many pairs moved.
 */
size_t ipsecdb_children_move(struct ipsecdb *to, struct ipsecdb *from);
/* The SAs of the installed pair with inbound SPI spi_in (counters; state:
 * DYING after soft_bytes, rekey; DEAD after hard_bytes, the data path
 * refuses it), owned by db and valid until the pair is removed or moved,
 * and its tunnel. Any out pointer may be NULL. 0 or M6E_NOTFOUND. */
int ipsecdb_child_get(const struct ipsecdb *db, uint32_t spi_in, struct sa **in, struct sa **out,
		      const struct ipsecdb_tunnel **tunnel);

/* Apply the SAs' time limits at now_ms (sa_tick() on every SA in the SAD)
 * and remember now_ms for listings; the data plane's periodic timer calls it.
 * DEAD SAs are left in place for their owner to delete. */
void ipsecdb_tick(struct ipsecdb *db, uint64_t now_ms);
/* The time of the build or of the last ipsecdb_tick(). */
uint64_t ipsecdb_now(const struct ipsecdb *db);

/* The config name of an SA built here ("mn1-bu-in"), "<tunnel>-ike-in" /
 * "<tunnel>-ike-out" for an installed CHILD_SA, or NULL for any other SA. */
const char *ipsecdb_sa_name(const struct ipsecdb *db, const struct sa *sa);
/* The tunnel an SA belongs to (manual or installed CHILD_SA), or NULL.
 * O(1): called per packet. */
const struct ipsecdb_tunnel *ipsecdb_sa_tunnel(const struct ipsecdb *db, const struct sa *sa);

/* Every SA in the SAD in a stable order: the config's SAs in config order,
 * then the others (CHILD_SAs) by (direction, SPI). name is the config name or NULL. fn
 * must not change the SAD. 0 or M6E_NOMEM. */
int ipsecdb_foreach_sa(const struct ipsecdb *db,
		       void (*fn)(struct sa *sa, const char *name, void *arg), void *arg);

/*
 * IKE-keyed MN-HA pairs (RFC 4877). With an ike section, every (home
 * address, HA) pair without manual SAs is built IKE-keyed: on the HA one
 * per home-agent.mobile-nodes home address, on the MN its own pair when
 * mobile-node.ha-address is set (DHAAD leaves it to manual keys). The RFC
 * 3776 5.2 entries above are then larval PROTECT entries (no SA, SPI 0,
 * named "mnha<i>-<slot>-out"/"-in") for BU/BA and MPS/MPA, and on a MN
 * with route-optimisation for HoTI/HoT too: that signalling is refused in
 * the clear until IKE installs its CHILD_SA (R3776-4.1.c, R4877-7.2.a).
 * The payload slot has no larval entries (payload goes IPv6-in-IPv6 until
 * a payload CHILD_SA exists). IKE's CHILD_SAs then fill the slots with
 * ipsecdb_mnha_child_install(): BU/BA and MPS/MPA in transport mode, the
 * others in tunnel mode (R4877-4.3.d/e).
 */
enum ipsecdb_mnha_slot {
	IPSECDB_MNHA_BU_BA = 0, /* same order as enum mip6ike_slot */
	IPSECDB_MNHA_MPS_MPA,
	IPSECDB_MNHA_HOTI_HOT,
	IPSECDB_MNHA_PAYLOAD,
	IPSECDB_MNHA_SLOTS
};
/* Live CHILD_SA pairs per (pair, slot): a rekey overlaps two or three. */
#define IPSECDB_MNHA_SLOT_PAIRS 4

/*
 * Install a CHILD_SA pair into slot of the IKE-keyed pair of home address
 * hoa: both SAs into the SAD (transport mode between hoa and the HA for
 * BU/BA and MPS/MPA, tunnel mode between c->local and c->remote, IKE's
 * path, for the others), an IN entry naming the inbound SA after the
 * slot's larval one, the slot's OUT entries (added for a slot without
 * larval entries) and the ipsecdb_mnha slot pointers on the new pair.
 * Make-before-break (RFC 7296 2.8): an older pair of the slot keeps being
 * accepted inbound until ipsecdb_mnha_child_remove(); ipsecdb_sa_mnha()
 * finds it. c->udp_encap is refused (the MN-HA signalling path has no
 * ESP-in-UDP). 0; M6E_NOTFOUND (no IKE-keyed pair for hoa); M6E_EXISTS
 * (an SPI already in the SAD); M6E_RANGE (IPSECDB_MNHA_SLOT_PAIRS live);
 * M6E_INVAL (slot, key material, SPI, algorithm); M6E_UNSUPP (udp_encap);
 * M6E_NOMEM. On error nothing changed and err gets one line.
 */
int ipsecdb_mnha_child_install(struct ipsecdb *db, const struct in6_addr *hoa, enum ipsecdb_mnha_slot slot,
			       const struct ipsecdb_child *c, uint64_t now_ms, char *err, size_t errlen);
/*
 * Remove the MN-HA pair whose inbound SPI is spi_in: both SAs (keys
 * wiped), the IN entries naming it; the slot's OUT entries and pointers
 * fall back to the newest remaining pair of the slot, or larval / NULL.
 * 0 or M6E_NOTFOUND.
 */
int ipsecdb_mnha_child_remove(struct ipsecdb *db, uint32_t spi_in);
/* The pair and slot an SA belongs to: a manual MN-HA SA, the newest
 * CHILD_SA of a slot, or an older one still live (rekey). NULL if none;
 * slot may be NULL. Linear in the pairs: signalling path only. */
struct ipsecdb_mnha *ipsecdb_sa_mnha(const struct ipsecdb *db, const struct sa *sa, enum ipsecdb_mnha_slot *slot);
const char *ipsecdb_mnha_slot_name(enum ipsecdb_mnha_slot s);

#endif
