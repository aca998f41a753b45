#include "io/netlink.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"

#define NL_REQ_MAX 512
#define NL_ANSWER_MAX 8192

struct io_nl {
	int fd;
	uint32_t seq;
};

/* A request under construction: header, family message, attributes. The
 * kernel wants host-endian fields and 4-octet aligned attributes. */
struct nl_req {
	uint8_t buf[NL_REQ_MAX];
	size_t len;
	size_t nest[2];
	unsigned depth;
	bool overflow;
};

static void *nl_put(struct nl_req *r, const void *data, size_t n)
{
	size_t al = NLMSG_ALIGN(n);
	if (r->overflow || al > sizeof(r->buf) - r->len) {
		r->overflow = true;
		return NULL;
	}
	uint8_t *p = r->buf + r->len;
	memset(p, 0, al);
	if (data)
		memcpy(p, data, n);
	r->len += al;
	return p;
}

static void nl_attr(struct nl_req *r, uint16_t type, const void *data, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };
	nl_put(r, &a, sizeof(a));
	nl_put(r, data, n);
}

static void nl_attr_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_attr(r, type, &v, sizeof(v));
}

static void nl_nest_begin(struct nl_req *r, uint16_t type)
{
	if (r->depth >= 2) {
		r->overflow = true;
		return;
	}
	r->nest[r->depth++] = r->len;
	struct rtattr a = { .rta_len = 0, .rta_type = type };
	nl_put(r, &a, sizeof(a));
}

static void nl_nest_end(struct nl_req *r)
{
	if (r->overflow || r->depth == 0)
		return;
	size_t at = r->nest[--r->depth];
	unsigned short len = (unsigned short)(r->len - at);
	memcpy(r->buf + at + offsetof(struct rtattr, rta_len), &len, sizeof(len));
}

static void nl_begin(struct nl_req *r, uint16_t type, uint16_t flags, const void *fam, size_t famlen)
{
	memset(r, 0, sizeof(*r));
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags) };
	nl_put(r, &h, sizeof(h));
	nl_put(r, fam, famlen);
}

static int nl_errno_code(int e)
{
	switch (e) {
	case 0:
		return 0;
	case EEXIST:
		return M6E_EXISTS;
	case ENOENT:
	case ESRCH:
	case ENODEV:
	case EADDRNOTAVAIL:
		return M6E_NOTFOUND;
	case EPERM:
	case EACCES:
		return M6E_PERM;
	case EINVAL:
		return M6E_INVAL;
	default:
		return M6E_IO;
	}
}

/* Send r and wait for its acknowledgement; the kernel's answer is read with
 * length checks even though it is the kernel's. */
static int nl_transact(struct io_nl *nl, struct nl_req *r)
{
	if (r->overflow)
		return M6E_NOSPACE;
	uint32_t seq = ++nl->seq;
	uint32_t len32 = (uint32_t)r->len;
	memcpy(r->buf + offsetof(struct nlmsghdr, nlmsg_len), &len32, sizeof(len32));
	memcpy(r->buf + offsetof(struct nlmsghdr, nlmsg_seq), &seq, sizeof(seq));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	do
		n = sendto(nl->fd, r->buf, r->len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return nl_errno_code(errno);
	uint8_t ans[NL_ANSWER_MAX];
	for (;;) {
		do
			n = recv(nl->fd, ans, sizeof(ans), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return M6E_IO;
		size_t off = 0, total = (size_t)n;
		while (total - off >= sizeof(struct nlmsghdr)) {
			struct nlmsghdr h;
			memcpy(&h, ans + off, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > total - off)
				return M6E_PROTO;
			if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;
				if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
					return M6E_PROTO;
				memcpy(&e, ans + off + NLMSG_HDRLEN, sizeof(e));
				return nl_errno_code(-e.error);
			}
			off += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
}

int io_nl_open(struct io_nl **out)
{
	struct io_nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return M6E_NOMEM;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) != 0) {
		int rc = nl_errno_code(errno);
		if (nl->fd >= 0)
			close(nl->fd);
		free(nl);
		return rc ? rc : M6E_IO;
	}
	/* The kernel answers at once; a bound keeps a lost answer from hanging
	 * the daemon. Extended acks are not needed: errors come as errno. */
	struct timeval tv = { .tv_sec = 2 };
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = nl;
	return 0;
}

void io_nl_close(struct io_nl *nl)
{
	if (!nl)
		return;
	close(nl->fd);
	free(nl);
}

int io_nl_link_set(struct io_nl *nl, unsigned ifindex, unsigned mtu, bool up)
{
	struct nl_req r;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex };
	/* First MTU and address generation while the flags are untouched, so no
	 * link-local address appears when the link comes up. */
	nl_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (mtu)
		nl_attr_u32(&r, IFLA_MTU, mtu);
	nl_nest_begin(&r, IFLA_AF_SPEC);
	nl_nest_begin(&r, AF_INET6);
	uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
	nl_attr(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof(mode));
	nl_nest_end(&r);
	nl_nest_end(&r);
	int rc = nl_transact(nl, &r);
	if (rc < 0)
		return rc;
	/* No multicast on a point-to-point tunnel: the kernel would send MLD
	 * reports into it that no policy carries. */
	ifi.ifi_flags = up ? IFF_UP : 0;
	ifi.ifi_change = IFF_UP | IFF_MULTICAST;
	nl_begin(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return nl_transact(nl, &r);
}

int io_nl_addr(struct io_nl *nl, bool add, unsigned ifindex, const struct prefix6 *p)
{
	struct nl_req r;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = (unsigned char)p->len,
				 .ifa_flags = IFA_F_NODAD, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = ifindex };
	if (p->len > 128)
		return M6E_INVAL;
	nl_begin(&r, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &ifa, sizeof(ifa));
	nl_attr(&r, IFA_LOCAL, &p->addr, sizeof(p->addr));
	nl_attr(&r, IFA_ADDRESS, &p->addr, sizeof(p->addr));
	return nl_transact(nl, &r);
}

int io_nl_route(struct io_nl *nl, bool add, unsigned ifindex, const struct prefix6 *dst, unsigned metric)
{
	struct nl_req r;
	struct rtmsg rtm = { .rtm_family = AF_INET6, .rtm_dst_len = (unsigned char)dst->len,
			     .rtm_table = RT_TABLE_MAIN, .rtm_protocol = IO_NL_RTPROT,
			     .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
	if (dst->len > 128)
		return M6E_INVAL;
	if (!add)
		rtm.rtm_scope = RT_SCOPE_NOWHERE; /* match any scope on delete */
	nl_begin(&r, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &rtm, sizeof(rtm));
	nl_attr(&r, RTA_DST, &dst->addr, sizeof(dst->addr));
	nl_attr_u32(&r, RTA_OIF, ifindex);
	nl_attr_u32(&r, RTA_PRIORITY, metric);
	return nl_transact(nl, &r);
}

/* A table a route or rule may name: not unspec (0), default (253) or local
 * (255), which belong to the kernel. */
static bool table_ok(uint32_t t)
{
	return t != RT_TABLE_UNSPEC && t != RT_TABLE_DEFAULT && t != RT_TABLE_LOCAL;
}

/* rtm_table holds 8 bits; larger numbers go in RTA_TABLE only. */
static unsigned char table_byte(uint32_t t)
{
	return t < 256 ? (unsigned char)t : RT_TABLE_COMPAT;
}

int io_nl_route_set(struct io_nl *nl, bool add, const struct io_nl_route *rt)
{
	struct nl_req r;
	if (rt->dst.len > 128 || rt->ifindex == 0 || !table_ok(rt->table))
		return M6E_INVAL;
	struct rtmsg rtm = { .rtm_family = AF_INET6, .rtm_dst_len = (unsigned char)rt->dst.len,
			     .rtm_table = table_byte(rt->table), .rtm_protocol = IO_NL_RTPROT,
			     .rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE, .rtm_type = RTN_UNICAST };
	nl_begin(&r, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &rtm, sizeof(rtm));
	if (rt->dst.len)
		nl_attr(&r, RTA_DST, &rt->dst.addr, sizeof(rt->dst.addr));
	nl_attr_u32(&r, RTA_TABLE, rt->table);
	nl_attr_u32(&r, RTA_OIF, rt->ifindex);
	nl_attr_u32(&r, RTA_PRIORITY, rt->metric);
	if (rt->has_src)
		nl_attr(&r, RTA_PREFSRC, &rt->src, sizeof(rt->src));
	if (rt->has_gw)
		nl_attr(&r, RTA_GATEWAY, &rt->gw, sizeof(rt->gw));
	return nl_transact(nl, &r);
}

int io_nl_rule(struct io_nl *nl, bool add, const struct io_nl_rule *ru)
{
	struct nl_req r;
	/* 0 is the local table's rule, 32766/32767 main and default. */
	if (ru->priority == 0 || ru->priority > 32765 || !table_ok(ru->table) || ru->suppress_prefixlen < -1 ||
	    ru->suppress_prefixlen > 128 || (ru->fwmark & ~ru->fwmask) != 0)
		return M6E_INVAL;
	struct fib_rule_hdr frh = { .family = AF_INET6, .table = table_byte(ru->table), .action = FR_ACT_TO_TBL,
				    .flags = ru->invert ? FIB_RULE_INVERT : 0 };
	nl_begin(&r, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &frh, sizeof(frh));
	nl_attr_u32(&r, FRA_PRIORITY, ru->priority);
	nl_attr_u32(&r, FRA_TABLE, ru->table);
	if (ru->fwmask) {
		nl_attr_u32(&r, FRA_FWMARK, ru->fwmark);
		nl_attr_u32(&r, FRA_FWMASK, ru->fwmask);
	}
	if (ru->suppress_prefixlen >= 0)
		nl_attr_u32(&r, FRA_SUPPRESS_PREFIXLEN, (uint32_t)ru->suppress_prefixlen);
	return nl_transact(nl, &r);
}

int io_nl_proxy(struct io_nl *nl, bool add, unsigned ifindex, const struct in6_addr *a)
{
	struct nl_req r;
	if (ifindex == 0)
		return M6E_INVAL;
	struct ndmsg ndm = { .ndm_family = AF_INET6, .ndm_ifindex = (int)ifindex, .ndm_state = NUD_PERMANENT,
			     .ndm_flags = NTF_PROXY };
	nl_begin(&r, add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &ndm, sizeof(ndm));
	nl_attr(&r, NDA_DST, a, sizeof(*a));
	return nl_transact(nl, &r);
}

int io_nl_addr_mtu(const struct in6_addr *a, unsigned *mtu, char *ifname)
{
	struct ifaddrs *list, *it;
	char name[IF_NAMESIZE] = "";
	if (getifaddrs(&list) != 0)
		return M6E_IO;
	for (it = list; it; it = it->ifa_next) {
		if (!it->ifa_addr || it->ifa_addr->sa_family != AF_INET6)
			continue;
		struct sockaddr_in6 sin;
		memcpy(&sin, it->ifa_addr, sizeof(sin));
		if (memcmp(&sin.sin6_addr, a, sizeof(*a)) == 0) {
			snprintf(name, sizeof(name), "%s", it->ifa_name);
			break;
		}
	}
	freeifaddrs(list);
	if (!name[0])
		return M6E_NOTFOUND;
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return M6E_IO;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) < sizeof(name) ? sizeof(ifr.ifr_name) : sizeof(name));
	int rc = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	if (rc != 0)
		return M6E_IO;
	*mtu = (unsigned)ifr.ifr_mtu;
	if (ifname)
		memcpy(ifname, name, IF_NAMESIZE);
	return 0;
}
