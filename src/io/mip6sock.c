#include "io/mip6sock.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"

struct mip6sock {
	int fd;
	enum mip6sock_kind kind;
	struct mip6sock_stats st;
	struct io_burst b; /* preallocated for one burst: never allocate per packet */
};

const char *mip6sock_kind_name(enum mip6sock_kind k)
{
	switch (k) {
	case MIP6SOCK_RX_IPV6:
		return "ipv6-in-ipv6";
	case MIP6SOCK_RX_ESP:
		return "esp";
	case MIP6SOCK_RX_RH:
		return "routing";
	case MIP6SOCK_RX_ICMP6:
		return "icmpv6";
	case MIP6SOCK_RX_DSTOPT:
		return "dstopts";
	case MIP6SOCK_RX_MH:
		return "mh";
	case MIP6SOCK_TX:
		return "raw-send";
	}
	return "unknown";
}

static bool kind_ok(enum mip6sock_kind k)
{
	return k == MIP6SOCK_RX_IPV6 || k == MIP6SOCK_RX_RH || k == MIP6SOCK_RX_ESP || k == MIP6SOCK_RX_ICMP6 ||
	       k == MIP6SOCK_RX_DSTOPT || k == MIP6SOCK_RX_MH || k == MIP6SOCK_TX;
}

int mip6sock_open(enum mip6sock_kind kind, const struct in6_addr *local, struct mip6sock **out, char *err,
		  size_t errlen)
{
	char a[ADDR_STRLEN];
	const char *step = "socket";
	int one = 1, rc;
	if (!kind_ok(kind)) {
		snprintf(err, errlen, "unknown raw socket kind %d", (int)kind);
		return M6E_INVAL;
	}
	struct mip6sock *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	s->kind = kind;
	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, (int)kind);
	if (s->fd < 0)
		goto fail;
	io_sock_set_buffers(s->fd);
	if (kind == MIP6SOCK_TX) {
		/* IPPROTO_RAW implies a header we include; nothing to bind. */
		*out = s;
		return 0;
	}
	step = "IPV6_RECVPKTINFO";
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) != 0)
		goto fail;
	step = "IPV6_RECVHOPLIMIT";
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) != 0)
		goto fail;
	if (local) {
		/* The address may come later (a home address moving onto a TUN). */
		step = "IPV6_FREEBIND";
		if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) != 0)
			goto fail;
		struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = *local };
		step = "bind";
		if (bind(s->fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	rc = io_sock_errno_code(errno);
	snprintf(err, errlen, "%s socket on [%s]: %s: %s", mip6sock_kind_name(kind),
		 local ? addr_fmt(local, a, sizeof(a)) : "::", step, strerror(errno));
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return rc;
}

void mip6sock_close(struct mip6sock *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int mip6sock_fd(const struct mip6sock *s)
{
	return s->fd;
}

enum mip6sock_kind mip6sock_kind(const struct mip6sock *s)
{
	return s->kind;
}

const struct mip6sock_stats *mip6sock_stats(const struct mip6sock *s)
{
	return &s->st;
}

int mip6sock_icmp6_filter(struct mip6sock *s, const uint8_t *types, size_t n)
{
	struct icmp6_filter f;
	if (s->kind != MIP6SOCK_RX_ICMP6)
		return M6E_INVAL;
	ICMP6_FILTER_SETBLOCKALL(&f);
	for (size_t i = 0; i < n; i++)
		ICMP6_FILTER_SETPASS(types[i], &f);
	return setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) == 0 ? 0 : M6E_IO;
}

int mip6sock_set_mark(struct mip6sock *s, uint32_t mark)
{
	if (setsockopt(s->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0)
		return io_sock_errno_code(errno);
	return 0;
}

int mip6sock_bind_dev(struct mip6sock *s, const char *ifname)
{
	size_t n = ifname ? strlen(ifname) : 0;
	if (n >= IF_NAMESIZE)
		return M6E_INVAL;
	/* An empty name (length 0) removes the binding. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, n ? ifname : "", (socklen_t)n) != 0)
		return errno == ENODEV ? M6E_NOTFOUND : io_sock_errno_code(errno);
	return 0;
}

int mip6sock_recv_burst(struct mip6sock *s, struct mip6sock_msg *msgs, size_t n)
{
	if (s->kind == MIP6SOCK_TX)
		return M6E_INVAL;
	if (n > MIP6SOCK_BURST)
		n = MIP6SOCK_BURST;
	for (size_t i = 0; i < n; i++)
		io_burst_set_rx(&s->b, i, msgs[i].buf, msgs[i].cap);
	int got = io_burst_recv(&s->b, s->fd, n);
	for (int i = 0; i < got; i++) {
		struct mip6sock_msg *m = &msgs[i];
		m->len = s->b.mm[i].msg_len;
		m->truncated = (s->b.mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
		m->src = s->b.addr[i].sin6_addr;
		io_burst_cmsg(&s->b, (size_t)i, &m->dst, &m->ifindex, &m->hlim);
		s->st.rx++;
		if (m->truncated)
			s->st.rx_trunc++;
	}
	return got;
}

/* A whole IPv6 packet of exactly len octets: the kernel sends what it is
 * given on IPPROTO_RAW, so a lying payload length would reach the wire. */
static bool mip6sock_pkt_ok(const struct mip6sock_msg *m)
{
	struct rbuf r;
	uint8_t v;
	uint16_t plen;
	rbuf_init(&r, m->buf, m->len);
	if (rbuf_peek_u8(&r, 0, &v) != 0 || (v >> 4) != 6)
		return false;
	if (rbuf_peek_u16(&r, 4, &plen) != 0)
		return false;
	return m->len >= 40 && (size_t)plen + 40 == m->len;
}

/* A packet the kernel refused: counted by reason, logged rate-limited. */
static void mip6sock_refused(void *arg, const struct io_burst *b, size_t i, int e)
{
	struct mip6sock *s = arg;
	char a[ADDR_STRLEN];
	switch (e) {
	case EMSGSIZE: /* no fragmentation on IPPROTO_RAW */
		s->st.tx_too_big++;
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		s->st.tx_no_route++;
		break;
	default:
		s->st.tx_other++;
		break;
	}
	LOG_RL(LOG_LVL_WARN, LOG_SUB_IO, "raw send of %zu octets to %s: %s", b->iov[i].iov_len,
	       addr_fmt(&b->addr[i].sin6_addr, a, sizeof(a)), strerror(e));
}

/* Slot i leaves through ifindex: the scope of a link-local or multicast
 * destination, and IPV6_PKTINFO's interface (source :: = the kernel picks)
 * for the route lookup of any destination. */
static void mip6sock_set_oif(struct io_burst *b, size_t i, const struct in6_addr *dst, unsigned ifindex)
{
	if (IN6_IS_ADDR_LINKLOCAL(dst) || IN6_IS_ADDR_MULTICAST(dst))
		b->addr[i].sin6_scope_id = ifindex;
	struct in6_pktinfo pi = { .ipi6_ifindex = ifindex };
	memset(b->cmsg[i].buf, 0, sizeof(b->cmsg[i].buf));
	struct msghdr *h = &b->mm[i].msg_hdr;
	h->msg_control = b->cmsg[i].buf;
	h->msg_controllen = CMSG_SPACE(sizeof(pi));
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

int mip6sock_send_burst(struct mip6sock *s, const struct mip6sock_msg *msgs, size_t n, size_t *failed)
{
	size_t nok = 0, full;
	if (failed)
		*failed = 0;
	if (s->kind != MIP6SOCK_TX)
		return M6E_INVAL;
	if (n > MIP6SOCK_BURST)
		n = MIP6SOCK_BURST;
	for (size_t i = 0; i < n; i++) {
		if (!mip6sock_pkt_ok(&msgs[i])) {
			s->st.tx_bad++;
			continue;
		}
		/* Port 0: on a raw IPv6 socket a non-zero port must equal the protocol. */
		io_burst_set_tx(&s->b, nok, msgs[i].buf, msgs[i].len, &msgs[i].dst, 0);
		if (msgs[i].ifindex)
			mip6sock_set_oif(&s->b, nok, &msgs[i].dst, msgs[i].ifindex);
		nok++;
	}
	size_t sent = io_burst_send(&s->b, s->fd, nok, &full, mip6sock_refused, s);
	s->st.tx_full += full;
	s->st.tx += sent;
	if (failed)
		*failed = n - sent;
	return (int)sent;
}
