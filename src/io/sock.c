#include "io/sock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"

struct io_sock {
	int fd;
	enum io_sock_kind kind;
	struct io_burst b; /* preallocated for one burst: never allocate per packet */
};

const char *io_sock_kind_name(enum io_sock_kind k)
{
	return k == IO_SOCK_ESP ? "esp" : k == IO_SOCK_UDP ? "udp" : "unknown";
}

/* Ask for big buffers; the FORCE variants pass net.core.*mem_max as root. */
void io_sock_set_buffers(int fd)
{
	int sz = (int)IO_SOCK_BUF_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

int io_sock_errno_code(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return M6E_PERM;
	case EADDRINUSE:
		return M6E_EXISTS;
	case ENOMEM:
	case ENOBUFS:
		return M6E_NOMEM;
	default:
		return M6E_IO;
	}
}

int io_sock_open(enum io_sock_kind kind, const struct in6_addr *local, uint16_t port, struct io_sock **out,
		 char *err, size_t errlen)
{
	char a[ADDR_STRLEN];
	const char *step = "socket";
	int one = 1, rc;
	if (kind != IO_SOCK_ESP && kind != IO_SOCK_UDP) {
		snprintf(err, errlen, "unknown socket kind %d", (int)kind);
		return M6E_INVAL;
	}
	struct io_sock *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	s->kind = kind;
	s->fd = kind == IO_SOCK_ESP ? socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP)
				    : socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s->fd < 0)
		goto fail;
	step = "IPV6_RECVPKTINFO";
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0)
		goto fail;
	step = "IPV6_V6ONLY"; /* raw sockets refuse it: they are IPv6 only anyway */
	if (kind == IO_SOCK_UDP && setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
		goto fail;
	/* Port 4500 is shared with IKE's [::]:4500 socket (RFC 7296 2.23): both
	 * set SO_REUSEADDR and the kernel delivers to the most specific bind. */
	step = "SO_REUSEADDR";
	if (kind == IO_SOCK_UDP && setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail;
	/* The outer address may appear later (DHCPv6, SLAAC, a link coming up):
	 * bind to it anyway; packets flow once it exists. */
	step = "IPV6_FREEBIND";
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) != 0)
		goto fail;
	io_sock_set_buffers(s->fd);
	/* Bound to the outer address: the source of what we send, and the only
	 * destination we receive for; this keeps outer packets out of the TUN. */
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = *local,
				    .sin6_port = kind == IO_SOCK_UDP ? htons(port) : 0 };
	step = "bind";
	if (bind(s->fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	rc = io_sock_errno_code(errno);
	snprintf(err, errlen, "%s socket on [%s]:%u: %s: %s", io_sock_kind_name(kind),
		 addr_fmt(local, a, sizeof(a)), kind == IO_SOCK_UDP ? port : 0, step, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return rc;
}

void io_sock_close(struct io_sock *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int io_sock_fd(const struct io_sock *s)
{
	return s->fd;
}

enum io_sock_kind io_sock_kind(const struct io_sock *s)
{
	return s->kind;
}

void io_burst_cmsg(struct io_burst *b, size_t i, struct in6_addr *dst, unsigned *ifindex, int *hlim)
{
	struct msghdr *mh = &b->mm[i].msg_hdr;
	memset(dst, 0, sizeof(*dst));
	if (ifindex)
		*ifindex = 0;
	if (hlim)
		*hlim = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*dst = pi.ipi6_addr;
			if (ifindex)
				*ifindex = pi.ipi6_ifindex;
		} else if (c->cmsg_type == IPV6_HOPLIMIT && hlim && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(hlim, CMSG_DATA(c), sizeof(*hlim));
		}
	}
}

void io_burst_set_rx(struct io_burst *b, size_t i, void *buf, size_t cap)
{
	b->iov[i] = (struct iovec){ .iov_base = buf, .iov_len = cap };
	b->mm[i].msg_hdr = (struct msghdr){
		.msg_name = &b->addr[i],
		.msg_namelen = sizeof(b->addr[i]),
		.msg_iov = &b->iov[i],
		.msg_iovlen = 1,
		.msg_control = b->cmsg[i].buf,
		.msg_controllen = sizeof(b->cmsg[i].buf),
	};
	b->mm[i].msg_len = 0;
}

void io_burst_set_tx(struct io_burst *b, size_t i, void *buf, size_t len, const struct in6_addr *dst,
		     uint16_t port)
{
	b->addr[i] = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = *dst, .sin6_port = htons(port) };
	b->iov[i] = (struct iovec){ .iov_base = buf, .iov_len = len };
	b->mm[i].msg_hdr = (struct msghdr){
		.msg_name = &b->addr[i],
		.msg_namelen = sizeof(b->addr[i]),
		.msg_iov = &b->iov[i],
		.msg_iovlen = 1,
	};
}

int io_burst_recv(struct io_burst *b, int fd, size_t n)
{
	int got;
	do
		got = recvmmsg(fd, b->mm, (unsigned)n, MSG_DONTWAIT, NULL);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : M6E_IO;
	return got;
}

size_t io_burst_send(struct io_burst *b, int fd, size_t n, size_t *full,
		     void (*refused)(void *arg, const struct io_burst *b, size_t i, int e), void *arg)
{
	size_t i = 0, sent = 0;
	*full = 0;
	while (i < n) {
		int r = sendmmsg(fd, b->mm + i, (unsigned)(n - i), MSG_DONTWAIT);
		if (r > 0) {
			i += (size_t)r;
			sent += (size_t)r;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
			*full = n - i; /* socket buffer full: drop the rest of the burst */
			break;
		} else {
			/* This datagram was refused (no route, too big, ...): skip it. */
			refused(arg, b, i, r < 0 ? errno : EIO);
			i++;
		}
	}
	return sent;
}

int io_sock_recv_burst(struct io_sock *s, struct io_msg *msgs, size_t n)
{
	if (n > IO_SOCK_BURST)
		n = IO_SOCK_BURST;
	for (size_t i = 0; i < n; i++)
		io_burst_set_rx(&s->b, i, msgs[i].buf, msgs[i].cap);
	int got = io_burst_recv(&s->b, s->fd, n);
	for (int i = 0; i < got; i++) {
		struct io_msg *m = &msgs[i];
		m->len = s->b.mm[i].msg_len;
		m->truncated = (s->b.mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
		m->peer = s->b.addr[i].sin6_addr;
		m->port = s->kind == IO_SOCK_UDP ? ntohs(s->b.addr[i].sin6_port) : 0;
		io_burst_cmsg(&s->b, (size_t)i, &m->local, NULL, NULL);
	}
	return got;
}

static void sock_refused(void *arg, const struct io_burst *b, size_t i, int e)
{
	const struct io_sock *s = arg;
	(void)b;
	(void)i;
	LOG_RL(LOG_LVL_WARN, LOG_SUB_IO, "%s sendmmsg: %s", io_sock_kind_name(s->kind), strerror(e));
}

int io_sock_send_burst(struct io_sock *s, const struct io_msg *msgs, size_t n, size_t *failed)
{
	size_t full;
	if (n > IO_SOCK_BURST)
		n = IO_SOCK_BURST;
	for (size_t i = 0; i < n; i++)
		io_burst_set_tx(&s->b, i, msgs[i].buf, msgs[i].len, &msgs[i].peer, msgs[i].port);
	size_t sent = io_burst_send(&s->b, s->fd, n, &full, sock_refused, s);
	/* Refused and dropped for a full buffer alike. */
	*failed = n - sent;
	return (int)sent;
}
