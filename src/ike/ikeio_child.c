/*
 * ikeio_child: the CHILD_SAs of the adapter's IKE SAs into the ipsecdb of
 * IKE-keyed tunnels (install, make-before-break rekeys, removal, NAT path
 * updates, a reload's reconciliation, the SAD's soft limits); MN-HA pairs go
 * to the mip6 ops (ikeio_mip6.c).
 */
#include "ike/ikeio_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "crypto/xform.h"
#include "ike/ikepeer.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/sa.h"
#include "ipsec/sad.h"

/* Keep a copy of c to install from later (struct ikeio_child). */
void ikeio_child_keep(struct ikeio_child *ch, const struct ikesa_child *c)
{
	if (ch->keep == NULL && (ch->keep = malloc(sizeof(*ch->keep))) == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x: no memory to keep its keys for a later install", c->spi_in);
		return;
	}
	*ch->keep = *c;
}

static void child_forget(struct ikeio_child *ch)
{
	if (ch->keep == NULL)
		return;
	OPENSSL_cleanse(ch->keep, sizeof(*ch->keep));
	free(ch->keep);
	ch->keep = NULL;
}

/* Install the pair c of ch into the tunnel ch->tunnel. */
static int child_install(struct ikeio_sa *e, struct ikeio_child *ch, const struct ikesa_child *c)
{
	struct ikeio *io = e->io;
	/* With UDP encapsulation ESP follows IKE's ports (RFC 3948 2.1). */
	uint16_t lport = e->floated ? e->cur.local_port : IKEIO_NATT_PORT;
	uint16_t rport = e->floated ? e->cur.remote_port : IKEIO_NATT_PORT;
	struct ipsecdb_child ic = {
		.spi_in = c->spi_in,
		.spi_out = c->spi_out,
		.alg = c->alg,
		.keymat_in = c->keymat_in,
		.keymat_out = c->keymat_out,
		.keymat_len = c->keymat_len,
		.esn = false,
		.local = e->cur.local,
		.remote = e->cur.remote,
		.udp_encap = c->udp_encap,
		.local_port = c->udp_encap ? lport : 0,
		.remote_port = c->udp_encap ? rport : 0,
	};
	char err[256] = "";
	int rc = ipsecdb_child_install(io->db, ch->tunnel, &ic, clock_mono_ms(), err, sizeof(err));
	ch->installed = rc == 0;
	if (rc != 0) {
		io->cnt.child_install_failed++;
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x not installed in tunnel %s: %s", c->spi_in, c->spi_out,
			 ch->tunnel, err[0] ? err : err_str(rc));
		return rc;
	}
	io->cnt.child_installed++;
	return 0;
}

/* A pair that is not in the db (its install failed, or the SAD lost it):
 * install it from the kept copy, which goes once the SAD holds the keys. */
static void child_retry(struct ikeio_sa *e, struct ikeio_child *ch)
{
	if (ch->keep == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: not in the SAD and no keys kept to install it", ch->spi_in,
			 ch->spi_out);
		return;
	}
	if (child_install(e, ch, ch->keep) == 0 && !ch->mip6)
		child_forget(ch);
}

void ikeio_child_set(struct ikeio_child *ch, const struct ikesa_child *c)
{
	ch->used = true;
	ch->spi_in = c->spi_in;
	ch->spi_out = c->spi_out;
	ch->udp_encap = c->udp_encap;
}

/* The IKE SA's path moved (NAT mapping change): its pairs follow. The ESP
 * SAs keep keys, sequence numbers and replay windows: a fresh install would
 * restart our sequence numbers and the peer would drop them as replays
 * (R4303-3.3.3). */
void ikeio_children_path_moved(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
		struct ikeio_child *ch = &e->child[i];
		if (!ch->used)
			continue;
		if (ch->installed && ipsecdb_child_update_path(io->db, ch->spi_in, &e->cur.remote, ch->udp_encap,
							       ch->udp_encap ? e->cur.local_port : 0,
							       ch->udp_encap ? e->cur.remote_port : 0) == 0)
			continue;
		child_retry(e, ch);
	}
}

static void child_drop(struct ikeio_sa *e, struct ikeio_child *ch)
{
	if (ch->installed && ch->mip6 && e->io->mip6_ops != NULL)
		e->io->mip6_ops->child_down(e->io->mip6_arg, ch->spi_in);
	else if (ch->installed)
		ipsecdb_child_remove(e->io->db, ch->spi_in);
	child_forget(ch);
	memset(ch, 0, sizeof(*ch));
}

void ikeio_children_drop(struct ikeio_sa *e)
{
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
		if (e->child[i].used)
			child_drop(e, &e->child[i]);
}

/* After a reload (ikeio_set_conf: io->conf and io->db are the new ones). */
void ikeio_children_reconf(struct ikeio_sa *e, uint64_t now)
{
	struct ikeio *io = e->io;
	const struct conf *conf = io->conf;
	struct ipsecdb *db = io->db;
	/* The daemon moved the live pairs with ipsecdb_children_move() (their
	 * sequence numbers and replay windows intact). A pair that did not
	 * move lost its tunnel (removed, renamed, or keyed by another peer
	 * now): it is deleted at the peer too (R7296-1.4.1); one that was
	 * never installed gets another try. */
	const struct conf_tunnel *t = ikepeer_tunnel(conf, e->peer_name);
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
		struct ikeio_child *ch = &e->child[i];
		if (!ch->used)
			continue;
		if (ch->mip6) {
			/* Moved by ipsecdb_children_move() with its sequence
			 * numbers; else into the new db's slots from the kept keys. */
			const struct sa *in = sad_lookup(ipsecdb_sad(db), SA_DIR_IN, ch->spi_in);
			char label[CONF_IFNAME_MAX];
			ch->installed = in != NULL && ipsecdb_sa_mnha(db, in, NULL) != NULL;
			if (!ch->installed && io->mip6_ops != NULL && ch->keep != NULL)
				ch->installed = io->mip6_ops->child_up(io->mip6_arg, ch->keep, label, sizeof(label)) == 0;
			continue;
		}
		bool was = ch->installed;
		ch->installed = ipsecdb_child_get(db, ch->spi_in, NULL, NULL, NULL) == 0;
		if (ch->installed) {
			child_forget(ch);
			continue;
		}
		if (!was && t != NULL && strcmp(t->name, ch->tunnel) == 0) {
			child_retry(e, ch);
			continue;
		}
		LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x: tunnel %s no longer keyed by %s, deleting it",
			   ch->spi_in, ch->tunnel, e->peer_name);
		uint32_t spi_in = ch->spi_in;
		child_drop(e, ch);
		if (ikesa_state(e->sa) == IKESA_ESTABLISHED)
			ikesa_delete_child(e->sa, spi_in, now);
	}
}

void ikeio_child_op_up(void *arg, const struct ikesa_child *c)
{
	struct ikeio_sa *e = arg;
	if (e->mip6) {
		ikeio_mip6_child_up(e, c);
		return;
	}
	if (e->conn != NULL) {
		const struct conf_tunnel *t = ikepeer_tunnel(e->io->conf, e->conn->peer);
		if (t != NULL)
			snprintf(e->tunnel, sizeof(e->tunnel), "%s", t->name);
	}
	if (e->wrong_peer)
		return;
	struct ikeio_child *ch = NULL;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX && ch == NULL; i++)
		if (!e->child[i].used)
			ch = &e->child[i];
	if (ch == NULL || e->tunnel[0] == '\0') {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: %s", c->spi_in, c->spi_out,
			 ch == NULL ? "too many for one IKE SA" : "no tunnel");
		return;
	}
	ikeio_child_set(ch, c);
	snprintf(ch->tunnel, sizeof(ch->tunnel), "%s", e->tunnel);
	/* A rekey (rekey_of != 0) installs the new pair next to the old one:
	 * OUT moves to it, the old one keeps receiving until its child_down
	 * (make before break, R7296-2.8.b). */
	if (child_install(e, ch, c) != 0) {
		ikeio_child_keep(ch, c); /* tried again on reload or a path change */
	} else {
		if (c->rekey_of != 0) {
			e->io->cnt.child_rekeyed++;
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s%s%s) replaces in %08x in tunnel %s (%s rekey)",
				   c->spi_in, c->spi_out, aead_alg_name(c->alg), c->udp_encap ? ", ESP in UDP" : "",
				   c->pfs_group != 0 ? ", PFS" : "", c->rekey_of, ch->tunnel, c->initiator ? "our" : "peer's");
		} else {
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s%s) keys tunnel %s", c->spi_in,
				   c->spi_out, aead_alg_name(c->alg), c->udp_encap ? ", ESP in UDP" : "", ch->tunnel);
		}
	}
	ikeio_dump_esp(e, c);
}

void ikeio_child_op_failed(void *arg, const struct ikesa *sa, uint16_t notify)
{
	struct ikeio_sa *e = arg;
	(void)sa;
	LOG_NOTICE(LOG_SUB_IKE, "peer %s refused our CHILD_SA (notify %u)", e->peer_name[0] ? e->peer_name : "?",
		   notify);
	if (e->mip6)
		ikeio_mip6_child_failed(e, notify);
}

void ikeio_child_op_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct ikeio_sa *e = arg;
	(void)sa;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++)
		if (e->child[i].used && e->child[i].spi_in == spi_in) {
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x deleted", spi_in, spi_out);
			child_drop(e, &e->child[i]);
		}
}

/* A pair the SAD made DYING (its soft byte limit, ipsecdb_tick / the data
 * path) is rekeyed once (R7296-2.8); the engine's own timers handle time. */
void ikeio_child_soft_limits(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	if (e->dead || ikesa_state(e->sa) != IKESA_ESTABLISHED)
		return;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX; i++) {
		struct ikeio_child *ch = &e->child[i];
		struct sa *in = NULL, *out = NULL;
		if (!ch->used || !ch->installed || ch->rekey_asked ||
		    ipsecdb_child_get(io->db, ch->spi_in, &in, &out, NULL) != 0)
			continue;
		if ((in != NULL && in->state == SA_STATE_DYING) || (out != NULL && out->state == SA_STATE_DYING)) {
			int rc = ikesa_rekey_child(e->sa, ch->spi_in, now);
			if (rc != M6E_AGAIN)
				ch->rekey_asked = true; /* done, or the engine refuses for good */
			LOG_INFO(LOG_SUB_IKE, "CHILD_SA in %08x reached its soft limit: rekey %s", ch->spi_in,
				 rc == 0 ? "started" : err_str(rc));
		}
	}
}
