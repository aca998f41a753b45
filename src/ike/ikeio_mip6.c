/*
 * ikeio_mip6: the RFC 4877 hook (ikeio.h, struct ikeio_mip6_ops): IKE SAs
 * with peers that key no tunnel belong to Mobile IPv6; the home agent's
 * responder policy and the mobile node's one connection and its
 * CREATE_CHILD_SA plan.
 */
#include "ike/ikeio_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "ike/ikepeer.h"

void ikeio_mip6_set_ops(struct ikeio *io, const struct ikeio_mip6_ops *ops, void *arg)
{
	if (io == NULL)
		return;
	io->mip6_ops = ops;
	io->mip6_arg = arg;
}

int ikeio_mip6_set_mark(struct ikeio *io, uint32_t mark)
{
	const int fds[] = { io ? io->fd_ike : -1, io ? io->fd_natt : -1 };
	for (size_t i = 0; i < 2; i++)
		if (fds[i] >= 0 && setsockopt(fds[i], SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
			LOG_ERR(LOG_SUB_IKE, "SO_MARK 0x%x: %s", mark, strerror(errno));
			return M6E_IO;
		}
	return 0;
}

/* A peer that keys no tunnel: the mobility policy decides (HA: the PAD,
 * R3776-4.2.k, R4877-4.2.d); the SA becomes a Mobile IPv6 one. */
int ikeio_mip6_ts_policy(struct ikeio_sa *e, const struct conf_ike_peer *p, const struct ikesa_id *peer,
			 const struct ike_ts_list *tsi, const struct ike_ts_list *tsr, bool *transport,
			 struct ike_ts_list *out_tsi, struct ike_ts_list *out_tsr)
{
	struct ikeio *io = e->io;
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	int rc = io->mip6_ops->ts_policy(io->mip6_arg, peer, tsi, tsr, transport, out_tsi, out_tsr);
	if (rc != 0) {
		io->cnt.mip6_ts_refused++;
		LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA refused: peer %s: TS_UNACCEPTABLE (mobility policy)", p->name);
		return rc;
	}
	e->mip6 = true;
	return 0;
}

/* A mobile node that ran IKE again (from a new care-of address, after a
 * restart) no longer uses its older IKE SAs, whose path is gone: delete
 * them, so their CHILD_SAs do not fill the MN-HA slots until DPD notices. */
static void mip6_replace_older(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	uint64_t now = clock_mono_ms();
	e->mip6_replaced = true;
	for (struct ikeio_sa *o = io->all; o != NULL; o = o->next) {
		if (o == e || o->dead || !o->mip6 || o == io->mip6_sa || strcmp(o->peer_name, e->peer_name) != 0)
			continue;
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		LOG_NOTICE(LOG_SUB_IKE, "peer %s: new IKE SA from [%s]: deleting the older one with [%s]", e->peer_name,
			   addr_fmt(&e->cur.remote, a, sizeof(a)), addr_fmt(&o->cur.remote, b, sizeof(b)));
		ikeio_children_drop(o);
		if (ikesa_state(o->sa) != IKESA_ESTABLISHED || ikesa_delete(o->sa, now) != 0)
			ikeio_sa_down(o, IKESA_DOWN_LOCAL_DELETE);
	}
}

void ikeio_mip6_child_up(struct ikeio_sa *e, const struct ikesa_child *c)
{
	struct ikeio *io = e->io;
	struct ikeio_child *ch = NULL;
	for (unsigned i = 0; i < IKEIO_CHILD_MAX && ch == NULL; i++)
		if (!e->child[i].used)
			ch = &e->child[i];
	if (ch == NULL || io->mip6_ops == NULL) {
		LOG_WARN(LOG_SUB_IKE, "CHILD_SA %08x/%08x: %s", c->spi_in, c->spi_out,
			 ch == NULL ? "too many for one IKE SA" : "no mobility role");
	} else {
		ikeio_child_set(ch, c);
		ch->mip6 = true;
		ikeio_child_keep(ch, c); /* a reload that does not move it installs it again */
		snprintf(ch->tunnel, sizeof(ch->tunnel), "mip6");
		ch->installed = io->mip6_ops->child_up(io->mip6_arg, c, ch->tunnel, sizeof(ch->tunnel)) == 0;
		if (ch->installed && !c->initiator && !e->mip6_replaced)
			mip6_replace_older(e);
		if (ch->installed) {
			io->cnt.child_installed++;
			LOG_NOTICE(LOG_SUB_IKE, "CHILD_SA in %08x out %08x (%s, %s) keys MN-HA %s", c->spi_in,
				   c->spi_out, aead_alg_name(c->alg), c->transport ? "transport" : "tunnel", ch->tunnel);
		} else {
			io->cnt.child_install_failed++;
		}
		ikeio_dump_esp(e, c);
	}
	if (e == io->mip6_sa && c->initiator && c->rekey_of == 0)
		io->mip6_pump_at = 1; /* the next request, from the timer */
}

/* The connection's next CREATE_CHILD_SA (R4877-7.3.e), one at a time. */
void ikeio_mip6_child_failed(struct ikeio_sa *e, uint16_t notify)
{
	struct ikeio *io = e->io;
	if (io->mip6_ops != NULL && io->mip6_ops->child_failed != NULL)
		io->mip6_ops->child_failed(io->mip6_arg, notify);
	if (e == io->mip6_sa)
		io->mip6_pump_at = 1; /* a refusal does not stop the rest of the plan */
}

/* The connection's next CREATE_CHILD_SA (R4877-7.3.e), one at a time:
 * called from the timer after a child_up or child_failed. */
void ikeio_mip6_pump(struct ikeio *io)
{
	struct ikeio_sa *e = io->mip6_sa;
	io->mip6_pump_at = 0;
	if (e == NULL || e->dead || io->mip6_next >= io->mip6_conn.n_more)
		return;
	const struct ikesa_child_req *req = &io->mip6_conn.more[io->mip6_next];
	int rc = ikesa_create_child(e->sa, req, clock_mono_ms());
	if (rc == M6E_AGAIN) {
		io->mip6_pump_at = clock_mono_ms() + 50; /* a request is outstanding: after it */
		return;
	}
	io->mip6_next++;
	if (rc != 0)
		LOG_WARN(LOG_SUB_IKE, "peer %s: CREATE_CHILD_SA not sent: %s", e->peer_name, err_str(rc));
}

void ikeio_mip6_ike_up(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	if (e != io->mip6_sa)
		return;
	if (io->mip6_ops != NULL && io->mip6_ops->ike_up != NULL)
		io->mip6_ops->ike_up(io->mip6_arg);
}

void ikeio_mip6_sa_gone(struct ikeio_sa *e)
{
	struct ikeio *io = e->io;
	if (e != io->mip6_sa)
		return;
	io->mip6_sa = NULL;
	if (io->mip6_ops != NULL && io->mip6_ops->ike_down != NULL)
		io->mip6_ops->ike_down(io->mip6_arg);
}

int ikeio_mip6_connect(struct ikeio *io, const struct ikeio_mip6_conn *conn)
{
	char err[256];
	if (io == NULL || !io->enabled)
		return M6E_NOTFOUND;
	const struct conf_ike_peer *p = ikepeer_by_name(io->conf, conn->peer);
	if (p == NULL)
		return M6E_NOTFOUND;
	ikeio_mip6_disconnect(io);
	struct ikesa_params prm;
	int rc = ikepeer_params(io->conf, &prm, err, sizeof(err));
	if (rc == 0 && ikepeer_id(p->identity_type, p->identity, &prm.remote_id) != 0) {
		snprintf(err, sizeof(err), "ike.peers \"%s\": identity cannot be used with a pre-shared key", p->name);
		rc = M6E_INVAL;
	}
	if (rc != 0) {
		LOG_WARN(LOG_SUB_IKE, "peer %s: %s", p->name, err);
		OPENSSL_cleanse(&prm, sizeof(prm));
		return rc;
	}
	prm.tsi = conn->first.tsi;
	prm.tsr = conn->first.tsr;
	prm.transport = conn->first.transport;
	struct ikeio_sa *e = ikeio_entry_new(io);
	if (e == NULL) {
		OPENSSL_cleanse(&prm, sizeof(prm));
		return M6E_NOMEM;
	}
	e->cur = (struct ikesa_path){ .local = conn->local, .remote = conn->remote, .local_port = IKEIO_PORT,
				      .remote_port = IKEIO_PORT };
	e->mip6 = true;
	snprintf(e->peer_name, sizeof(e->peer_name), "%s", p->name);
	/* ike.auth = "pubkey": the MN signs with our certificate (as conn_start). */
	prm.cred = io->cred != NULL ? io->cred->cred : NULL;
	rc = ikesa_new_initiator(&e->sa, &prm, &ikeio_ops, e, &e->cur);
	OPENSSL_cleanse(&prm, sizeof(prm));
	if (rc != 0) {
		free(e);
		return rc;
	}
	e->cred = ikeio_cred_get(io->cred);
	io->mip6_conn = *conn;
	io->mip6_next = 0;
	io->mip6_pump_at = 0;
	io->mip6_sa = e;
	uint64_t now = clock_mono_ms();
	rc = ikesa_start(e->sa, now);
	ikeio_entry_link(io, e, now);
	if (rc != 0) {
		io->mip6_sa = NULL; /* the caller hears it from rc, not ike_down */
		ikeio_sa_down(e, IKESA_DOWN_INTERNAL);
		ikeio_rearm(io);
		return rc;
	}
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_IKE, "peer %s: IKE_SA_INIT sent from [%s] to [%s] (Mobile IPv6)", p->name,
		   addr_fmt(&conn->local, a, sizeof(a)), addr_fmt(&conn->remote, b, sizeof(b)));
	ikeio_rearm(io);
	return 0;
}

void ikeio_mip6_disconnect(struct ikeio *io)
{
	if (io == NULL || io->mip6_sa == NULL)
		return;
	struct ikeio_sa *e = io->mip6_sa;
	io->mip6_sa = NULL; /* no ike_down for a connection we drop ourselves */
	ikeio_children_drop(e);
	if (ikesa_state(e->sa) != IKESA_ESTABLISHED || ikesa_delete(e->sa, clock_mono_ms()) != 0)
		ikeio_sa_down(e, IKESA_DOWN_LOCAL_DELETE);
	ikeio_rearm(io);
}

bool ikeio_mip6_up(const struct ikeio *io)
{
	return io != NULL && io->mip6_sa != NULL && io->mip6_sa->up && !io->mip6_sa->dead;
}
