/*
 * mip6ike: the RFC 4877 policy between the IKE engine (ike/ikesa.h) and
 * Mobile IPv6. Pure functions of a struct conf and of traffic selectors:
 * no I/O, no state, no allocation. The daemon's IKE adapter calls them.
 *
 *   MN  mip6ike_mn_plan()       which CHILD_SAs to ask the home agent for,
 *                               with which TS and mode (RFC 4877 4.3, 5, 7.3)
 *   HA  mip6ike_ha_ts_policy()  the PAD: ikesa_ops.ts_policy for the first
 *                               CHILD_SA (R3776-4.2.k, R4877-4.2.d)
 *   HA  mip6ike_ha_cp_answer()  CFG_REPLY to INTERNAL_IP6_ADDRESS /
 *                               MIP6_HOME_PREFIX (RFC 4877 9, RFC 5026 8.2)
 *   both mip6ike_classify()     which ipsecdb_mnha slot a negotiated
 *                               CHILD_SA fills (ipsec/ipsecdb.h)
 *
 * The selectors: the same four SA pairs as the manual layout (RFC 3776 5.2,
 * ipsec/ipsecdb.h), from the MN's view (it initiates, R4877-7.3.e):
 *
 *   slot      mode       MN side (TSi)              HA side (TSr)
 *   BU_BA     transport  HoA, MH 0x0500-0x0600      HA,  MH 0x0500-0x0600
 *   MPS_MPA   transport  HoA, ICMPv6 0x9200,0x9300  HA,  ICMPv6 0x9200,0x9300
 *   HOTI_HOT  tunnel     HoA, MH 0x0100,0x0300      any, MH 0x0100,0x0300
 *   PAYLOAD   tunnel     HoA, any protocol          any, any protocol
 *
 * The MH type (and ICMPv6 type/code) travels in the port fields: type in
 * the most significant octet, the MH low octet 0 (R4877-4.3.a/b,
 * R7296-3.13.1.a, RFC 4301 4.4.1.1). RFC 4301 makes it ONE selector (the
 * "local port"), which both SAs of the pair apply, while the other common
 * reading (Linux XFRM) matches it against the sender's side. A pair whose
 * two sides each list both types of the exchange matches BU out and BA in
 * under either reading; RFC 4877 7.3 (R4877-7.3.d) has the MN use one
 * range covering BU (5) and BA (6) for exactly this. BU/BA are adjacent, so
 * one range is exact; HoTI/HoT (1, 3) and MPS/MPA (146/0, 147/0) are not,
 * so each side lists two one-type selectors and no CoTI (2) or other code
 * is covered. No CHILD_SA needs "any MH type".
 *
 * Exchanges: BU/BA in IKE_AUTH, the others by CREATE_CHILD_SA afterwards
 * (R4877-7.3.c, R4877-7.3.e); the HoA is TSi in all (R4877-4.4.b,
 * R4877-7.3.f).
 */
#ifndef M6_IKE_MIP6IKE_H
#define M6_IKE_MIP6IKE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "ike/ikesa.h"
#include "wire/ike.h"

/* The struct ipsecdb_mnha SA pair a CHILD_SA fills. */
enum mip6ike_slot {
	MIP6IKE_SLOT_BU_BA = 0, /* bu_out/bu_in, transport */
	MIP6IKE_SLOT_MPS_MPA,   /* mpd_out/mpd_in, transport */
	MIP6IKE_SLOT_HOTI_HOT,  /* rr_out/rr_in, tunnel */
	MIP6IKE_SLOT_PAYLOAD,   /* payload_out/payload_in, tunnel */
	MIP6IKE_SLOT_COUNT
};

/* Selector port values (R7296-3.13.1.a): MH type << 8, ICMPv6 type << 8 | code. */
#define MIP6IKE_PORT_MH_HOTI 0x0100u
#define MIP6IKE_PORT_MH_HOT 0x0300u
#define MIP6IKE_PORT_MH_BU 0x0500u
#define MIP6IKE_PORT_MH_BA 0x0600u
#define MIP6IKE_PORT_ICMP6_MPS 0x9200u /* type 146, code 0 */
#define MIP6IKE_PORT_ICMP6_MPA 0x9300u /* type 147, code 0 */

enum mip6ike_exchange {
	MIP6IKE_EXCH_IKE_AUTH = 0,  /* the first CHILD_SA (R4877-7.3.c) */
	MIP6IKE_EXCH_CREATE_CHILD,  /* after IKE_AUTH (R4877-7.3.e) */
};

/* One CHILD_SA request: TS from the initiator's (the MN's) view. */
struct mip6ike_request {
	enum mip6ike_slot slot;
	enum mip6ike_exchange exchange;
	bool transport; /* send N(USE_TRANSPORT_MODE) */
	struct ike_ts_list tsi, tsr;
};

struct mip6ike_plan {
	struct in6_addr hoa, ha;
	/* ike.request-home-address: a CFG_REQUEST with an empty
	 * INTERNAL_IP6_ADDRESS goes into IKE_AUTH (R4877-9.a). */
	bool cp_request_hoa;
	size_t n;
	struct mip6ike_request req[MIP6IKE_SLOT_COUNT]; /* in the order to ask */
};

/*
 * The CHILD_SAs a mobile node asks its home agent ha for, for home address
 * hoa, in order: BU/BA (always, R3776-4.1.c), MPS/MPA (always: "SHOULD
 * use", R4877-4.1.d), HoTI/HoT when mobile-node.route-optimisation is on
 * (R4877-4.1.c), payload when the config protects payload (R4877-4.1.e;
 * today the only such setting is an ipsec.manual-sa with traffic "payload"
 * between hoa and ha, as in the lab's LAB_PAYLOAD=esp).
 * hoa may be NULL or :: only with ike.request-home-address: then the plan
 * is the IKE_AUTH BU/BA request alone, with TSi any address for the home
 * agent to narrow to the address it assigns (RFC 4877 9); plan again with
 * that address for the rest.
 * 0, or M6E_INVAL (no mobile-node section, ha unspecified, hoa unknown
 * without request-home-address). *out is fully written on success.
 */
int mip6ike_mn_plan(const struct conf *c, const struct in6_addr *hoa, const struct in6_addr *ha,
		    struct mip6ike_plan *out);

/*
 * The PAD (RFC 4301 4.4.3, R4877-4.2.e): the home addresses home-agent.
 * mobile-nodes lists for peer (ID type and value equal; FQDN compared
 * without case; DER DNs are never matched). Up to max into hoas; returns
 * the count (0: unknown identity).
 */
size_t mip6ike_pad_hoas(const struct conf *c, const struct ikesa_id *peer, struct in6_addr *hoas, size_t max);
/* peer may create SAs for hoa (R3776-4.2.k, R4877-4.2.d, R4877-10.a). */
bool mip6ike_pad_allows(const struct conf *c, const struct ikesa_id *peer, const struct in6_addr *hoa);

/*
 * Home agent policy for a CHILD_SA the MN initiates, with the contract of
 * ikesa_ops.ts_policy (the adapter wraps it; slot is the extra output):
 *  - peer unknown to the PAD: M6E_PERM (-> TS_UNACCEPTABLE).
 *  - a TSi selector that is one exact address other than one of peer's
 *    home addresses: M6E_PERM. A claim on someone else's home address is
 *    refused, not narrowed away (R3776-4.2.k, R4877-4.2.b).
 *  - otherwise the first (home address, slot) whose selectors of the table
 *    above fit inside the proposal wins, and out_tsi/out_tsr are exactly
 *    those selectors: a wider proposal (a TSi range, ::/0, any protocol or
 *    port) is narrowed (R7296-2.9.a). Slots are tried widest first
 *    (payload, HoTI/HoT, BU/BA, MPS/MPA), whatever the mode asked: "HoA to
 *    anything" is payload, "MH from the HoA to anyone" HoTI/HoT, to the HA
 *    alone BU/BA. An exact plan entry fits its own slot only.
 *  - mode: HoTI/HoT and payload are tunnel mode: a transport request is
 *    answered without USE_TRANSPORT_MODE, *transport = false (RFC 7296
 *    1.3.1, R4877-4.3.e). BU/BA and MPS/MPA are transport (R4877-4.3.d);
 *    the tunnel-mode alternative of R4877-3.b is not supported and a
 *    responder may not impose transport, so that request is M6E_PERM.
 *  - nothing fits: M6E_PERM.
 * No HA side proposed other than home-agent.address is accepted for BU/BA
 * and MPS/MPA. Refusals are logged rate-limited with the reason.
 */
int mip6ike_ha_ts_policy(const struct conf *c, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			 struct ike_ts_list *out_tsr, enum mip6ike_slot *slot);

/* A CFG_REPLY; the attribute values point into val (keep them together). */
struct mip6ike_cp_reply {
	struct ike_cp cp;
	uint8_t val[2][IKE_CP_MIP6_HOME_PREFIX_LEN];
};

/*
 * Answer a CFG_REQUEST of peer (RFC 4877 9, RFC 5026 8.2):
 *  INTERNAL_IP6_ADDRESS (empty, or the MN's suggestion, R4877-9.d): one
 *    attribute with peer's home address and the length of the home prefix
 *    holding it (R4877-9.c): the suggested address if peer owns it, else
 *    its first one (the MN must switch, R4877-9.e; R4877-10.b: the address
 *    is the identity's). Several requests get the one answer (we assign
 *    one address per CHILD_SA).
 *  MIP6_HOME_PREFIX, when ike.assign-home-prefix is on: that prefix, with
 *    ike.ike-lifetime as its lifetime (R5026-5.3.2.b).
 *  Other attributes are not answered.
 * 0 with out->cp a CFG_REPLY (n may be 0: nothing to answer); M6E_PROTO if
 * req is not a CFG_REQUEST; M6E_PERM when peer has no home address: send
 * INTERNAL_ADDRESS_FAILURE (R4877-9.f).
 */
int mip6ike_ha_cp_answer(const struct conf *c, const struct ikesa_id *peer, const struct ike_cp *req,
			 struct mip6ike_cp_reply *out);

/*
 * Which slot a negotiated CHILD_SA fills, from its narrowed TS and mode, on
 * either side (we_are_ha) whoever initiated it (c->initiator; the HA may
 * initiate the RR SA, R4877-7.3.e). Every selector of both sides must be
 * IPv6 with the slot's protocol and ports inside the slot's types (a peer
 * that narrowed to one type per side still counts), the MN side one
 * address, and for BU/BA and MPS/MPA the HA side one address too; the mode
 * must be the slot's. 0 with *slot, or M6E_NOTFOUND (not one of ours:
 * install nothing).
 */
int mip6ike_classify(const struct ikesa_child *c, bool we_are_ha, enum mip6ike_slot *slot);
/* The MN side's address of a classified CHILD_SA (the home address, the
 * key of ipsecdb_mnha_by_hoa()). 0, or M6E_NOTFOUND if not one address. */
int mip6ike_child_hoa(const struct ikesa_child *c, bool we_are_ha, struct in6_addr *hoa);

const char *mip6ike_slot_name(enum mip6ike_slot s);

#endif
