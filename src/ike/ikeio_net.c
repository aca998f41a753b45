/*
 * ikeio_net: the adapter's UDP 500/4500 sockets on [::] (IPV6_PKTINFO),
 * receive and dispatch by SPIs (RFC 3948 2.2 Non-ESP marker, keepalives,
 * ESP on the wildcard socket dropped), send, the float to 4500 and NAT
 * mapping changes (R7296-2.23), NAT keepalives (R3948-2.3).
 */
#include "ike/ikeio_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"
#include "io/timer.h"
#include "io/watch.h"
#include "wire/ike.h"

static int udp_open(uint16_t port, char *err, size_t errlen)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return M6E_IO;
	}
	/* The data plane binds the tunnels' own addresses on 4500 too. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, "setsockopt: %s", strerror(errno));
		close(fd);
		return M6E_IO;
	}
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any, .sin6_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		int e = errno;
		snprintf(err, errlen, "bind [::]:%u: %s", port, strerror(e));
		close(fd);
		return e == EADDRINUSE ? M6E_EXISTS : M6E_IO;
	}
	return fd;
}

/* One datagram from p->local (IPV6_PKTINFO) on the socket of p->local_port;
 * on 4500 the Non-ESP marker goes first unless raw (keepalives). */
int ikeio_net_send(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *p, bool raw)
{
	bool natt = p->local_port == IKEIO_NATT_PORT;
	size_t off = natt && !raw ? IKE_NON_ESP_MARKER_LEN : 0;
	if (len + off > sizeof(io->tx))
		return M6E_RANGE;
	memset(io->tx, 0, off);
	memcpy(io->tx + off, msg, len);
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = p->remote, .sin6_port = htons(p->remote_port) };
	struct iovec iov = { .iov_base = io->tx, .iov_len = len + off };
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	memset(&cbuf, 0, sizeof(cbuf));
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	struct in6_pktinfo pi = { .ipi6_addr = p->local };
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(natt ? io->fd_natt : io->fd_ike, &mh, 0) < 0) {
		io->cnt.tx_fail++;
		char a[ADDR_STRLEN];
		LOG_RL(LOG_LVL_INFO, LOG_SUB_IKE, "send to [%s]:%u: %s", addr_fmt(&p->remote, a, sizeof(a)),
		       p->remote_port, strerror(errno));
		return M6E_IO;
	}
	io->cnt.tx++;
	return 0;
}

/* R7296-2.23: after IKE_SA_INIT everything moves to 4500/4500 with the
 * Non-ESP marker; the engine keeps its creation path, the float is ours. */
void ikeio_net_float(struct ikeio_sa *e, uint16_t peer_port)
{
	if (e->floated)
		return;
	e->floated = true;
	e->cur.local_port = IKEIO_NATT_PORT;
	e->cur.remote_port = peer_port;
	LOG_DEBUG(LOG_SUB_IKE, "IKE SA %016llx moves to port %u", (unsigned long long)ikesa_spi_i(e->sa),
		  IKEIO_NATT_PORT);
}

/* R3948-2.3: one 0xff octet from 4500 keeps our NAT mapping open. */
void ikeio_net_keepalive(struct ikeio *io, struct ikeio_sa *e, uint64_t now)
{
	static const uint8_t ka = IKEIO_NAT_KEEPALIVE;
	struct ikesa_path p = e->cur;
	p.local_port = p.remote_port = IKEIO_NATT_PORT;
	if (e->floated)
		p = e->cur;
	if (ikeio_net_send(io, &ka, 1, &p, true) == 0)
		io->cnt.keepalive_tx++;
	e->keepalive_ms = now;
}

/* An authenticated message from another address or port: the NAT mapping
 * (or the peer) moved; send there from now on and move the ESP SAs too. */
static void path_moved(struct ikeio *io, struct ikeio_sa *e, const struct ikesa_path *path)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	LOG_NOTICE(LOG_SUB_IKE, "peer %s moved from [%s]:%u to [%s]:%u", e->peer_name[0] ? e->peer_name : "?",
		   addr_fmt(&e->cur.remote, a, sizeof(a)), e->cur.remote_port, addr_fmt(&path->remote, b, sizeof(b)),
		   path->remote_port);
	io->cnt.path_changes++;
	e->cur.remote = path->remote;
	e->cur.remote_port = path->remote_port;
	e->cur.local = path->local;
	ikeio_index(io, e);
	ikeio_children_path_moved(e);
}

/* One IKE message (after any Non-ESP marker) that arrived on path. */
static void handle_ike(struct ikeio *io, const uint8_t *msg, size_t len, const struct ikesa_path *path, bool natt)
{
	struct rbuf r;
	uint64_t spi_i, spi_r;
	uint8_t exch, flags;
	rbuf_init(&r, msg, len);
	if (len < IKE_HDR_LEN || rbuf_u64(&r, &spi_i) != 0 || rbuf_u64(&r, &spi_r) != 0 || rbuf_skip(&r, 2) != 0 ||
	    rbuf_u8(&r, &exch) != 0 || rbuf_u8(&r, &flags) != 0) {
		io->cnt.drop[IKEIO_DROP_SHORT]++;
		return;
	}
	io->cnt.rx++;
	uint64_t now = clock_mono_ms();
	struct ikeio_sa *e;
	struct ikesa *target = NULL; /* a rekeyed predecessor, or NULL: e->sa */
	if (flags & IKE_FLAG_I) {
		/* From the original initiator: we are the responder. */
		e = spi_r == 0 ? ikeio_find_init(io, spi_i, &path->remote) : ikeio_find_own(io, spi_r, false);
		if (e == NULL && spi_r != 0)
			e = ikeio_find_old(io, spi_r, false, &target);
		if (e == NULL) {
			if (spi_r == 0 && exch == IKE_EXCH_SA_INIT && !(flags & IKE_FLAG_R))
				ikeio_new_responder(io, msg, len, path, natt, now);
			else
				io->cnt.drop[IKEIO_DROP_NO_SA]++;
			ikeio_rearm(io);
			return;
		}
	} else if ((e = ikeio_find_own(io, spi_i, true)) == NULL && (e = ikeio_find_old(io, spi_i, true, &target)) == NULL) {
		io->cnt.drop[IKEIO_DROP_NO_SA]++;
		return;
	}
	if (target != NULL) {
		/* The Delete of a rekeyed SA (or its answer): nothing else moves. */
		if (ikesa_input(target, msg, len, path, now) != 0)
			io->cnt.drop[IKEIO_DROP_ENGINE]++;
		ikeio_rearm(io);
		return;
	}
	/* The responder floats when the peer does (R7296-2.23). */
	if (natt && !e->floated)
		ikeio_net_float(e, path->remote_port);
	struct ikesa *sa = e->sa;
	uint64_t heard = ikesa_last_heard(sa);
	int rc = ikesa_input(sa, msg, len, path, now);
	if (rc != 0) {
		io->cnt.drop[IKEIO_DROP_ENGINE]++;
	} else if (!e->dead && e->up && sa == e->sa && ikesa_last_heard(sa) != heard &&
		   (!addr_eq(&path->remote, &e->cur.remote) || path->remote_port != e->cur.remote_port)) {
		/* Only a message whose SK verified moves the path (R7296-2.23). */
		path_moved(io, e, path);
	}
	if (e->wrong_peer && !e->dead && ikesa_state(e->sa) == IKESA_ESTABLISHED && ikesa_delete(e->sa, now) != 0)
		ikeio_sa_down(e, IKESA_DOWN_AUTH_FAILED);
	ikeio_rearm(io);
}

static void on_readable(struct ikeio *io, int fd, bool natt)
{
	for (unsigned k = 0; k < IKEIO_RX_BURST; k++) {
		struct sockaddr_in6 from;
		struct iovec iov = { .iov_base = io->rx, .iov_len = sizeof(io->rx) };
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} cbuf;
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf) };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		struct ikesa_path path = { .remote = from.sin6_addr, .remote_port = ntohs(from.sin6_port),
					   .local_port = natt ? IKEIO_NATT_PORT : IKEIO_PORT };
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				path.local = pi.ipi6_addr;
			}
		const uint8_t *msg = io->rx;
		size_t len = (size_t)n;
		if ((mh.msg_flags & MSG_TRUNC) != 0) {
			io->cnt.drop[IKEIO_DROP_SHORT]++;
			continue;
		}
		if (natt) {
			/* RFC 3948 2.2/2.3: keepalive, ESP (non-zero SPI), or IKE after the marker. */
			if (len == 1 && msg[0] == IKEIO_NAT_KEEPALIVE) {
				io->cnt.keepalive_rx++;
				continue;
			}
			struct rbuf r;
			uint32_t marker;
			rbuf_init(&r, msg, len);
			if (rbuf_u32(&r, &marker) != 0) {
				io->cnt.drop[IKEIO_DROP_SHORT]++;
				continue;
			}
			if (marker != 0) {
				io->cnt.drop[IKEIO_DROP_ESP]++;
				continue;
			}
			msg = rbuf_ptr(&r);
			len = rbuf_left(&r);
		}
		handle_ike(io, msg, len, &path, natt);
	}
}

static void on_ike(void *arg)
{
	struct ikeio *io = arg;
	on_readable(io, io->fd_ike, false);
}

static void on_natt(void *arg)
{
	struct ikeio *io = arg;
	on_readable(io, io->fd_natt, true);
}

void ikeio_fwd_sink(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local, uint16_t local_port,
		    const struct in6_addr *remote, uint16_t remote_port)
{
	struct ikeio *io = arg;
	if (io == NULL || io->fd_natt < 0)
		return;
	struct ikesa_path path = { .local = *local, .remote = *remote, .local_port = local_port,
				   .remote_port = remote_port };
	handle_ike(io, msg, len, &path, true);
}

int ikeio_net_open(struct ikeio *io, char *err, size_t errlen)
{
	int rc;
	if ((io->fd_ike = udp_open(IKEIO_PORT, err, errlen)) < 0) {
		rc = io->fd_ike;
		io->fd_ike = -1;
		return rc;
	}
	if ((io->fd_natt = udp_open(IKEIO_NATT_PORT, err, errlen)) < 0) {
		rc = io->fd_natt;
		io->fd_natt = -1;
		return rc;
	}
	if ((rc = io_watch_new(io->loop, io->fd_ike, on_ike, io, &io->w_ike)) < 0 ||
	    (rc = io_watch_new(io->loop, io->fd_natt, on_natt, io, &io->w_natt)) < 0 ||
	    (rc = io_timer_new(io->loop, ikeio_on_timer, io, &io->timer)) < 0 ||
	    (rc = ikesa_gate_new(&io->gate, &ikeio_ops, &io->gate_ctx)) < 0) {
		snprintf(err, errlen, "cannot set up the IKE sockets: %s", err_str(rc));
		return rc;
	}
	return 0;
}
