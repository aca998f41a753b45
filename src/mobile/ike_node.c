/*
 * ike_node.c: RFC 4877 in the mobility adapter. The MN-HA SAs of a pair
 * without manual SAs come from IKEv2 (ipsec/ipsecdb.h, "IKE-keyed MN-HA
 * pairs"); this file is the ikeio hook (ike/ikeio.h, struct
 * ikeio_mip6_ops) for both roles:
 *
 *   HA  ts_policy   the PAD: mip6ike_ha_ts_policy() (R3776-4.2.k,
 *                   R4877-4.2.d); a claim on another MN's home address is
 *                   TS_UNACCEPTABLE and the IKE SA stays
 *   both child_up   mip6ike_classify() + mip6ike_child_hoa() (+ the PAD on
 *                   the HA, our own home address on the MN) ->
 *                   ipsecdb_mnha_child_install(): the slot the binding
 *                   cache and sigpath already use
 *   both child_down ipsecdb_mnha_child_remove()
 *   MN  ike_up/down mn_node.c: the BU waits for the BU/BA CHILD_SA;
 *                   a lost IKE SA is re-run from the care-of address
 */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/conf.h"
#include "ike/ikeio.h"
#include "io/kstate.h"
#include "ike/mip6ike.h"
#include "ipsec/ipsecdb.h"
#include "mobile/node_priv.h"

_Static_assert((int)MIP6IKE_SLOT_BU_BA == (int)IPSECDB_MNHA_BU_BA &&
		       (int)MIP6IKE_SLOT_MPS_MPA == (int)IPSECDB_MNHA_MPS_MPA &&
		       (int)MIP6IKE_SLOT_HOTI_HOT == (int)IPSECDB_MNHA_HOTI_HOT &&
		       (int)MIP6IKE_SLOT_PAYLOAD == (int)IPSECDB_MNHA_PAYLOAD &&
		       (int)MIP6IKE_SLOT_COUNT == (int)IPSECDB_MNHA_SLOTS,
	       "mip6ike and ipsecdb name the MN-HA slots in the same order");

static int ike_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			 struct ike_ts_list *out_tsr)
{
	struct mnode *n = arg;
	enum mip6ike_slot slot;
	if (!n->ha)
		return M6E_PERM; /* a mobile node initiates (R4877-7.3.e); it answers no one */
	return mip6ike_ha_ts_policy(n->conf, peer, tsi, tsr, transport, out_tsi, out_tsr, &slot);
}

static int ike_child_up(void *arg, const struct ikesa_child *c, char *label, size_t label_len)
{
	struct mnode *n = arg;
	bool we_are_ha = n->ha != NULL;
	enum mip6ike_slot slot;
	struct in6_addr hoa;
	char a[ADDR_STRLEN], err[200];
	if (mip6ike_classify(c, we_are_ha, &slot) != 0 || mip6ike_child_hoa(c, we_are_ha, &hoa) != 0) {
		LOG_RL(LOG_LVL_WARN, LOG_SUB_MIP6, "CHILD_SA %08x: not an MN-HA SA of RFC 4877; not installed", c->spi_in);
		return M6E_NOTFOUND;
	}
	addr_fmt(&hoa, a, sizeof(a));
	const struct conf_mobile_node *mn = conf_mobile_node(n->conf);
	bool ours = we_are_ha ? mip6ike_pad_allows(n->conf, &c->peer_id, &hoa)
			      : mn && addr_eq(&hoa, &mn->home_address);
	if (!ours) {
		/* R3776-4.2.k: never install an SA for someone else's home address. */
		LOG_RL(LOG_LVL_WARN, LOG_SUB_MIP6, "CHILD_SA %08x for home address %s: not this peer's; not installed",
		       c->spi_in, a);
		return M6E_PERM;
	}
	struct ipsecdb_child ic = {
		.spi_in = c->spi_in,
		.spi_out = c->spi_out,
		.alg = c->alg,
		.keymat_in = c->keymat_in,
		.keymat_out = c->keymat_out,
		.keymat_len = c->keymat_len,
		.local = c->path.local,
		.remote = c->path.remote,
		.udp_encap = c->udp_encap,
	};
	int rc = ipsecdb_mnha_child_install(n->db, &hoa, (enum ipsecdb_mnha_slot)slot, &ic, clock_mono_ms(), err,
					    sizeof(err));
	if (rc != 0) {
		LOG_WARN(LOG_SUB_MIP6, "CHILD_SA %08x not installed: %s", c->spi_in, err);
		return rc;
	}
	snprintf(label, label_len, "mip6-%s", ipsecdb_mnha_slot_name((enum ipsecdb_mnha_slot)slot));
	LOG_NOTICE(LOG_SUB_MIP6, "IKE keyed the %s SA pair of home address %s (in %08x out %08x)",
		   mip6ike_slot_name(slot), a, c->spi_in, c->spi_out);
	if (!we_are_ha)
		mn_node_ike_child(n, (enum ipsecdb_mnha_slot)slot);
	return 0;
}

static void ike_child_down(void *arg, uint32_t spi_in)
{
	struct mnode *n = arg;
	ipsecdb_mnha_child_remove(n->db, spi_in);
}

static void ike_down(void *arg)
{
	struct mnode *n = arg;
	if (n->mn)
		mn_node_ike_down(n);
}

static void ike_child_failed(void *arg, uint16_t notify)
{
	(void)arg;
	LOG_WARN(LOG_SUB_MIP6, "the home agent refused an MN-HA CHILD_SA (notify %u)", notify);
}

void node_ike_attach(struct mnode *n)
{
	static const struct ikeio_mip6_ops ops = { .ts_policy = ike_ts_policy,
						   .child_up = ike_child_up,
						   .child_down = ike_child_down,
						   .ike_down = ike_down,
						   .child_failed = ike_child_failed };
	const struct conf_ike *ike = conf_ike(n->conf);
	if (!n->env.ike || !ike || !ike->present)
		return;
	ikeio_mip6_set_ops(n->env.ike, &ops, n);
	/* The MN's IKE leaves from the care-of address, not into its tunnel. */
	if (n->role->mark)
		ikeio_mip6_set_mark(n->env.ike, MNODE_MARK);
}

bool node_ike_keyed(const struct mnode *n, const struct in6_addr *hoa)
{
	const struct ipsecdb_mnha *m = ipsecdb_mnha_by_hoa(n->db, hoa);
	return n->env.ike && m && m->ike_keyed;
}

const char *node_ike_peer(const struct conf *c, const struct in6_addr *ha)
{
	const struct conf_ike *ike = conf_ike(c);
	if (!ike || !ike->present)
		return NULL;
	for (size_t i = 0; i < ike->n_peers; i++)
		if (addr_eq(&ike->peers[i].address, ha))
			return ike->peers[i].name;
	return ike->n_peers == 1 ? ike->peers[0].name : NULL;
}
