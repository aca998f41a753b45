/*
 * nlmon_parse: the rtnetlink message parser of io/nlmon, pure (no
 * descriptors) so that it is fuzzed (tests/fuzz/fuzz_nlmon.c). Netlink is
 * host-endian; every length is checked with the rbuf cursor before use.
 */
#include "io/nlmon.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

#include "base/err.h"
#include "base/rbuf.h"
#include "io/netlink.h"

/* Host-endian reads (rbuf's integer reads are network order). */
static int rd_u16(struct rbuf *r, uint16_t *v)
{
	return rbuf_bytes(r, v, sizeof(*v));
}

static int rd_u32(struct rbuf *r, uint32_t *v)
{
	return rbuf_bytes(r, v, sizeof(*v));
}

/* The next attribute of r: its type (flags masked off) and payload. Skips
 * the alignment padding (the last attribute may lack it). M6E_NOTFOUND at
 * the end, M6E_PROTO for a bad length. */
static int next_attr(struct rbuf *r, uint16_t *type, struct rbuf *payload)
{
	uint16_t len, t;
	if (rbuf_left(r) == 0)
		return M6E_NOTFOUND;
	struct rbuf save = *r;
	if (rd_u16(r, &len) != 0 || rd_u16(r, &t) != 0 || len < 4 || rbuf_sub(r, (size_t)len - 4, payload) != 0) {
		*r = save;
		return M6E_PROTO;
	}
	size_t pad = RTA_ALIGN(len) - len;
	rbuf_skip(r, pad < rbuf_left(r) ? pad : rbuf_left(r));
	*type = t & NLA_TYPE_MASK;
	return 0;
}

static int attr_u32(struct rbuf *p, uint32_t *v)
{
	return rbuf_left(p) == sizeof(*v) ? rd_u32(p, v) : M6E_PROTO;
}

static int attr_in6(struct rbuf *p, struct in6_addr *a)
{
	return rbuf_left(p) == sizeof(*a) ? rbuf_bytes(p, a, sizeof(*a)) : M6E_PROTO;
}

/* A NUL-terminated name that fits NLMON_IFNAME_MAX. */
static int attr_name(struct rbuf *p, char *name)
{
	size_t n = rbuf_left(p);
	const uint8_t *s = rbuf_ptr(p);
	const uint8_t *nul = n ? memchr(s, '\0', n) : NULL;
	if (!nul || (size_t)(nul - s) >= NLMON_IFNAME_MAX || nul == s)
		return M6E_PROTO;
	memcpy(name, s, (size_t)(nul - s) + 1);
	return 0;
}

/* RTM_NEWLINK / RTM_DELLINK: struct ifinfomsg (16 octets) and attributes. */
static int parse_link(struct rbuf *m, bool del, const struct nlmon_ops *ops, void *arg, struct nlmon_stats *st)
{
	uint8_t family, pad;
	uint16_t type;
	uint32_t index, flags, change;
	if (rbuf_u8(m, &family) || rbuf_u8(m, &pad) || rd_u16(m, &type) || rd_u32(m, &index) || rd_u32(m, &flags) ||
	    rd_u32(m, &change))
		return M6E_PROTO;
	if (family != AF_UNSPEC) {
		st->skipped++;
		return 0;
	}
	if (index == 0 || index > INT32_MAX)
		return M6E_PROTO;
	struct nlmon_link l = { .ifindex = index, .flags = flags, .gone = del };
	/* Operationally up: IFF_RUNNING is set by the kernel only for
	 * IF_OPER_UP / IF_OPER_UNKNOWN, so no carrier is down. */
	l.up = !del && (flags & IFF_UP) && (flags & IFF_RUNNING);
	uint16_t at;
	struct rbuf p;
	int rc;
	while ((rc = next_attr(m, &at, &p)) == 0) {
		if (at == IFLA_IFNAME && attr_name(&p, l.name) != 0)
			return M6E_PROTO;
		if (at == IFLA_MTU && attr_u32(&p, &l.mtu) != 0)
			return M6E_PROTO;
	}
	if (rc != M6E_NOTFOUND)
		return rc;
	st->links++;
	if (ops->link)
		ops->link(arg, &l);
	return 0;
}

static unsigned addr_flags(uint32_t f)
{
	return ((f & IFA_F_TENTATIVE) ? MOVE_AF_TENTATIVE : 0) | ((f & IFA_F_DEPRECATED) ? MOVE_AF_DEPRECATED : 0) |
	       ((f & IFA_F_DADFAILED) ? MOVE_AF_DADFAILED : 0);
}

/* RTM_NEWADDR / RTM_DELADDR: struct ifaddrmsg (8 octets) and attributes. */
static int parse_addr(struct rbuf *m, bool del, const struct nlmon_ops *ops, void *arg, struct nlmon_stats *st)
{
	uint8_t family, plen, flags8, scope;
	uint32_t index;
	if (rbuf_u8(m, &family) || rbuf_u8(m, &plen) || rbuf_u8(m, &flags8) || rbuf_u8(m, &scope) ||
	    rd_u32(m, &index))
		return M6E_PROTO;
	if (family != AF_INET6) {
		st->skipped++;
		return 0;
	}
	if (index == 0 || plen > 128)
		return M6E_PROTO;
	/* No cache info: the address has no lifetime limit. */
	struct move_addr a = { .plen = plen, .scope = (enum move_scope)scope, .preferred_s = MOVE_LIFETIME_INFINITE,
			       .valid_s = MOVE_LIFETIME_INFINITE };
	uint32_t flags = flags8;
	bool have_local = false, have_addr = false;
	struct in6_addr address;
	uint16_t at;
	struct rbuf p;
	int rc;
	while ((rc = next_attr(m, &at, &p)) == 0) {
		switch (at) {
		case IFA_LOCAL: /* the local end of a point-to-point address */
			if (attr_in6(&p, &a.addr) != 0)
				return M6E_PROTO;
			have_local = true;
			break;
		case IFA_ADDRESS:
			if (attr_in6(&p, &address) != 0)
				return M6E_PROTO;
			have_addr = true;
			break;
		case IFA_FLAGS: /* all 32 bits; ifa_flags holds the low 8 */
			if (attr_u32(&p, &flags) != 0)
				return M6E_PROTO;
			break;
		case IFA_CACHEINFO: {
			uint32_t pref, valid, cstamp, tstamp;
			if (rbuf_left(&p) != 16 || rd_u32(&p, &pref) || rd_u32(&p, &valid) || rd_u32(&p, &cstamp) ||
			    rd_u32(&p, &tstamp))
				return M6E_PROTO;
			/* The kernel's INFINITY_LIFE_TIME is 0xffffffff, as ours. */
			a.preferred_s = pref;
			a.valid_s = valid;
			break;
		}
		default:
			break;
		}
	}
	if (rc != M6E_NOTFOUND)
		return rc;
	if (!have_local && !have_addr)
		return M6E_PROTO;
	if (!have_local)
		a.addr = address;
	a.flags = addr_flags(flags);
	st->addrs++;
	if (ops->addr)
		ops->addr(arg, !del, index, &a);
	return 0;
}

static void report_router(bool add, unsigned ifindex, const struct in6_addr *gw, unsigned proto,
			  const struct nlmon_ops *ops, void *arg, struct nlmon_stats *st)
{
	if (ifindex == 0 || (ops->route_wanted && !ops->route_wanted(arg, ifindex, proto))) {
		st->skipped++;
		return;
	}
	st->routers++;
	if (ops->default_router)
		ops->default_router(arg, add, ifindex, gw);
}

/* RTA_MULTIPATH: struct rtnexthop (8 octets: len, flags, hops, ifindex)
 * each followed by its own attributes. Run once to check (report false),
 * then to report, so a bad next hop refuses the whole message. */
static int parse_multipath(struct rbuf mp0, bool report, bool add, unsigned proto, const struct nlmon_ops *ops,
			   void *arg, struct nlmon_stats *st)
{
	struct rbuf *mp = &mp0;
	while (rbuf_left(mp)) {
		uint16_t len;
		uint8_t flags, hops;
		uint32_t ifindex;
		struct rbuf nh, p;
		if (rd_u16(mp, &len) || len < 8 || rbuf_sub(mp, (size_t)len - 2, &nh) != 0)
			return M6E_PROTO;
		size_t pad = RTNH_ALIGN(len) - len;
		rbuf_skip(mp, pad < rbuf_left(mp) ? pad : rbuf_left(mp));
		if (rbuf_u8(&nh, &flags) || rbuf_u8(&nh, &hops) || rd_u32(&nh, &ifindex))
			return M6E_PROTO;
		struct in6_addr gw;
		bool have_gw = false;
		uint16_t at;
		int rc;
		while ((rc = next_attr(&nh, &at, &p)) == 0)
			if (at == RTA_GATEWAY) {
				if (attr_in6(&p, &gw) != 0)
					return M6E_PROTO;
				have_gw = true;
			}
		if (rc != M6E_NOTFOUND)
			return rc;
		if (have_gw && report)
			report_router(add, ifindex, &gw, proto, ops, arg, st);
	}
	return 0;
}

/* RTM_NEWROUTE / RTM_DELROUTE: struct rtmsg (12 octets) and attributes. */
static int parse_route(struct rbuf *m, bool del, const struct nlmon_ops *ops, void *arg, struct nlmon_stats *st)
{
	uint8_t family, dst_len, src_len, tos, table8, proto, scope, type;
	uint32_t rflags;
	if (rbuf_u8(m, &family) || rbuf_u8(m, &dst_len) || rbuf_u8(m, &src_len) || rbuf_u8(m, &tos) ||
	    rbuf_u8(m, &table8) || rbuf_u8(m, &proto) || rbuf_u8(m, &scope) || rbuf_u8(m, &type) ||
	    rd_u32(m, &rflags))
		return M6E_PROTO;
	if (dst_len > 128 || src_len > 128)
		return M6E_PROTO;
	uint32_t table = table8, oif = 0;
	struct in6_addr gw;
	bool have_gw = false;
	struct rbuf mp = { 0 };
	bool have_mp = false;
	uint16_t at;
	struct rbuf p;
	int rc;
	/* Read every attribute first: a malformed one refuses the message. */
	while ((rc = next_attr(m, &at, &p)) == 0) {
		if ((at == RTA_TABLE && attr_u32(&p, &table) != 0) || (at == RTA_OIF && attr_u32(&p, &oif) != 0))
			return M6E_PROTO;
		if (at == RTA_GATEWAY) {
			if (attr_in6(&p, &gw) != 0)
				return M6E_PROTO;
			have_gw = true;
		}
		if (at == RTA_MULTIPATH) {
			mp = p;
			have_mp = true;
		}
	}
	if (rc != M6E_NOTFOUND)
		return rc;
	/* A default router: ::/0 from anywhere in main, unicast, not a cache
	 * entry, not one of ours (IO_NL_RTPROT). */
	if (family != AF_INET6 || dst_len != 0 || src_len != 0 || table != RT_TABLE_MAIN || type != RTN_UNICAST ||
	    (rflags & RTM_F_CLONED) || proto == IO_NL_RTPROT) {
		st->skipped++;
		return 0;
	}
	if (have_mp) {
		if ((rc = parse_multipath(mp, false, !del, proto, ops, arg, st)) != 0)
			return rc;
		return parse_multipath(mp, true, !del, proto, ops, arg, st);
	}
	if (!have_gw) { /* point-to-point default: no router address */
		st->skipped++;
		return 0;
	}
	report_router(!del, oif, &gw, proto, ops, arg, st);
	return 0;
}

size_t nlmon_parse(const uint8_t *buf, size_t len, const struct nlmon_ops *ops, void *arg,
		   struct nlmon_stats *st)
{
	struct rbuf r;
	size_t reported = 0;
	rbuf_init(&r, buf, len);
	while (rbuf_left(&r) >= NLMSG_HDRLEN) {
		uint32_t mlen, seq, pid;
		uint16_t type, flags;
		struct rbuf m;
		if (rd_u32(&r, &mlen) || rd_u16(&r, &type) || rd_u16(&r, &flags) || rd_u32(&r, &seq) ||
		    rd_u32(&r, &pid) || mlen < NLMSG_HDRLEN || rbuf_sub(&r, mlen - NLMSG_HDRLEN, &m) != 0) {
			st->bad++; /* the framing is lost: nothing after it can be trusted */
			return reported;
		}
		size_t pad = NLMSG_ALIGN(mlen) - mlen;
		rbuf_skip(&r, pad < rbuf_left(&r) ? pad : rbuf_left(&r));
		st->msgs++;
		if (flags & NLM_F_DUMP_INTR)
			st->dump_intr++;
		uint64_t before = st->links + st->addrs + st->routers;
		int rc = 0;
		switch (type) {
		case NLMSG_DONE:
			if (ops->dump_done)
				ops->dump_done(arg, seq, 0);
			break;
		case NLMSG_ERROR: {
			uint32_t e;
			if (rd_u32(&m, &e) != 0) {
				rc = M6E_PROTO;
				break;
			}
			if (ops->dump_done)
				ops->dump_done(arg, seq, (int32_t)e);
			break;
		}
		case RTM_NEWLINK:
		case RTM_DELLINK:
			rc = parse_link(&m, type == RTM_DELLINK, ops, arg, st);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			rc = parse_addr(&m, type == RTM_DELADDR, ops, arg, st);
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			rc = parse_route(&m, type == RTM_DELROUTE, ops, arg, st);
			break;
		default:
			st->skipped++;
			break;
		}
		if (rc != 0)
			st->bad++;
		reported += (size_t)(st->links + st->addrs + st->routers - before);
	}
	if (rbuf_left(&r) != 0)
		st->bad++; /* a stray tail shorter than a header */
	return reported;
}
