#include "io/nlmon.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "io/watch.h"

/* One recv(): rtnetlink notifications are far smaller; a dump fills it. */
#define NLMON_BUF 32768
#define NLMON_RCVBUF (4u << 20)
#define NLMON_DUMP_TRIES 4 /* a dump interrupted by changes is redone */

struct nlmon {
	int fd; /* the subscribed, non-blocking monitor socket */
	struct io_watch *watch;
	struct nlmon_ops user;
	void *arg;
	struct nlmon_stats st;
	char ignore[NLMON_IGNORE_MAX][NLMON_IFNAME_MAX];
	unsigned ignore_index[NLMON_IGNORE_MAX]; /* 0: the device does not exist now */
	size_t n_ignore;
	uint32_t seq;
	/* The dump in progress: its sequence and whether it ended. */
	uint32_t dump_seq;
	bool dump_ended;
	int dump_error;
	uint8_t buf[NLMON_BUF];
};

/* The parser's callbacks: learn the ignored devices' indexes from link
 * reports, filter their routes, then pass on to the user's. */
static void mon_link(void *arg, const struct nlmon_link *l)
{
	struct nlmon *m = arg;
	for (size_t i = 0; i < m->n_ignore; i++) {
		if (l->name[0] && strcmp(l->name, m->ignore[i]) == 0)
			m->ignore_index[i] = l->gone ? 0 : l->ifindex;
		else if (m->ignore_index[i] == l->ifindex && (l->gone || l->name[0]))
			m->ignore_index[i] = 0; /* renamed away or deleted */
	}
	if (m->user.link)
		m->user.link(m->arg, l);
}

static void mon_addr(void *arg, bool add, unsigned ifindex, const struct move_addr *a)
{
	struct nlmon *m = arg;
	if (m->user.addr)
		m->user.addr(m->arg, add, ifindex, a);
}

static void mon_router(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw)
{
	struct nlmon *m = arg;
	if (m->user.default_router)
		m->user.default_router(m->arg, add, ifindex, gw);
}

static bool mon_route_wanted(void *arg, unsigned ifindex, unsigned protocol)
{
	struct nlmon *m = arg;
	(void)protocol; /* ours (IO_NL_RTPROT) are dropped by the parser */
	for (size_t i = 0; i < m->n_ignore; i++)
		if (m->ignore_index[i] == ifindex)
			return false;
	return true;
}

static void mon_dump_done(void *arg, uint32_t seq, int error)
{
	struct nlmon *m = arg;
	if (seq != m->dump_seq || seq == 0)
		return;
	m->dump_ended = true;
	m->dump_error = error;
}

static const struct nlmon_ops mon_ops = {
	.link = mon_link,
	.addr = mon_addr,
	.default_router = mon_router,
	.route_wanted = mon_route_wanted,
	.dump_done = mon_dump_done,
};

/* Receive one datagram from the kernel (nl_pid 0) into m->buf. Returns its
 * length, 0 for a datagram to ignore, or -errno. */
static ssize_t mon_recv(struct nlmon *m, int fd, int flags)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = m->buf, .iov_len = sizeof(m->buf) };
	struct msghdr h = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	do
		n = recvmsg(fd, &h, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Only the kernel speaks for the kernel; a cut datagram lost messages. */
	if (h.msg_namelen < sizeof(from) || from.nl_pid != 0 || (h.msg_flags & MSG_TRUNC)) {
		m->st.bad++;
		return 0;
	}
	return n;
}

/* Ask for one dump on fd and report it. 0, or M6E_IO. */
static int mon_dump_one(struct nlmon *m, int fd, uint16_t type, const void *fam, size_t famlen)
{
	struct {
		struct nlmsghdr h;
		uint8_t fam[16];
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(famlen);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (++m->seq == 0) /* 0 is what notifications carry */
		m->seq = 1;
	req.h.nlmsg_seq = m->dump_seq = m->seq;
	memcpy(req.fam, fam, famlen);
	m->dump_ended = false;
	m->dump_error = 0;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return M6E_IO;
	while (!m->dump_ended) {
		ssize_t n = mon_recv(m, fd, 0);
		if (n < 0) {
			LOG_WARN(LOG_SUB_IO, "rtnetlink dump: %s", strerror((int)-n));
			return M6E_IO;
		}
		nlmon_parse(m->buf, (size_t)n, &mon_ops, m, &m->st);
	}
	if (m->dump_error) {
		LOG_WARN(LOG_SUB_IO, "rtnetlink dump refused: %s", strerror(-m->dump_error));
		return M6E_IO;
	}
	return 0;
}

int nlmon_dump(struct nlmon *m)
{
	/* A separate blocking socket: the monitor socket keeps queueing events
	 * meanwhile, which are reported after the dump. */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return M6E_IO;
	struct timeval tv = { .tv_sec = 2 };
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	const struct ifaddrmsg ifa = { .ifa_family = AF_INET6 };
	const struct rtmsg rtm = { .rtm_family = AF_INET6 };
	int rc = M6E_IO;
	for (unsigned t = 0; t < NLMON_DUMP_TRIES; t++) {
		uint64_t intr = m->st.dump_intr;
		rc = mon_dump_one(m, fd, RTM_GETLINK, &ifi, sizeof(ifi));
		if (rc == 0)
			rc = mon_dump_one(m, fd, RTM_GETADDR, &ifa, sizeof(ifa));
		if (rc == 0)
			rc = mon_dump_one(m, fd, RTM_GETROUTE, &rtm, sizeof(rtm));
		if (rc != 0 || m->st.dump_intr == intr)
			break;
		LOG_INFO(LOG_SUB_IO, "rtnetlink dump interrupted by changes: again");
	}
	close(fd);
	if (rc == 0)
		m->st.dumps++;
	return rc;
}

/* The monitor socket is readable: report every queued event now. */
static void mon_readable(void *arg)
{
	struct nlmon *m = arg;
	for (;;) {
		ssize_t n = mon_recv(m, m->fd, MSG_DONTWAIT);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n == -ENOBUFS) {
			/* The kernel dropped events: what we reported may be stale. */
			m->st.overruns++;
			LOG_RL(LOG_LVL_WARN, LOG_SUB_IO, "rtnetlink monitor overrun: dumping again");
			if (m->user.resync)
				m->user.resync(m->arg);
			if (nlmon_dump(m) != 0)
				LOG_WARN(LOG_SUB_IO, "rtnetlink re-dump failed");
			continue;
		}
		if (n < 0) {
			LOG_RL(LOG_LVL_WARN, LOG_SUB_IO, "rtnetlink monitor: %s", strerror((int)-n));
			return;
		}
		nlmon_parse(m->buf, (size_t)n, &mon_ops, m, &m->st);
	}
}

int nlmon_new(struct io_loop *loop, const struct nlmon_ops *ops, void *arg, struct nlmon **out)
{
	struct nlmon *m = calloc(1, sizeof(*m));
	if (!m)
		return M6E_NOMEM;
	m->user = *ops;
	m->arg = arg;
	m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl local = { .nl_family = AF_NETLINK,
				     .nl_groups = RTMGRP_LINK | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE };
	int rc = M6E_IO;
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		rc = errno == EPERM || errno == EACCES ? M6E_PERM : M6E_IO;
		goto fail;
	}
	/* Room for a burst of changes (a link going down drops many routes). */
	int sz = NLMON_RCVBUF;
	if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	rc = io_watch_new(loop, m->fd, mon_readable, m, &m->watch);
	if (rc != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	return rc;
}

int nlmon_ignore_ifname(struct nlmon *m, const char *ifname)
{
	size_t n = strlen(ifname);
	if (n == 0 || n >= NLMON_IFNAME_MAX)
		return M6E_INVAL;
	if (m->n_ignore == NLMON_IGNORE_MAX)
		return M6E_NOSPACE;
	memcpy(m->ignore[m->n_ignore], ifname, n + 1);
	m->ignore_index[m->n_ignore++] = if_nametoindex(ifname);
	return 0;
}

const struct nlmon_stats *nlmon_stats(const struct nlmon *m)
{
	return &m->st;
}

void nlmon_free(struct nlmon *m)
{
	if (!m)
		return;
	io_watch_free(m->watch);
	close(m->fd);
	free(m);
}
