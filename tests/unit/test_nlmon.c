/*
 * Unit tests for nlmon_parse() (src/io/nlmon_parse.c), the rtnetlink parser
 * of io/nlmon: link state (IFF_UP && IFF_RUNNING), address flags and
 * lifetimes, default routers (main table only, not ours, each next hop of a
 * multipath route), the dump-end messages, and malformed framing and
 * attributes, each counted as bad without a partial report. Messages are
 * built here in the kernel's host-endian layout. Setting NLMON_CORPUS_DIR
 * writes every buffer there (the seed corpus of tests/fuzz/fuzz_nlmon.c).
 */
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "io/netlink.h"
#include "io/nlmon.h"
#include "testutil.h"

/* ---- a host-endian message builder --------------------------------------- */

struct msg {
	uint8_t b[1024];
	size_t len;
	size_t start; /* of the current message */
	size_t nest;  /* of an open RTA_MULTIPATH / next hop, 0 if none */
	size_t hop;
};

static void put(struct msg *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->len + NLMSG_ALIGN(n), sizeof(m->b));
	memset(m->b + m->len, 0, NLMSG_ALIGN(n));
	memcpy(m->b + m->len, p, n);
	m->len += NLMSG_ALIGN(n);
}

static void set16(struct msg *m, size_t at, uint16_t v)
{
	memcpy(m->b + at, &v, sizeof(v));
}

static void begin(struct msg *m, uint16_t type, uint16_t flags, uint32_t seq, const void *fam, size_t famlen)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };
	m->start = m->len;
	put(m, &h, sizeof(h));
	put(m, fam, famlen);
}

static void end(struct msg *m)
{
	uint32_t len = (uint32_t)(m->len - m->start);
	memcpy(m->b + m->start, &len, sizeof(len));
}

static void attr(struct msg *m, uint16_t type, const void *p, size_t n)
{
	struct rtattr a = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };
	put(m, &a, sizeof(a));
	if (n)
		put(m, p, n);
}

static void attr_u32(struct msg *m, uint16_t type, uint32_t v)
{
	attr(m, type, &v, sizeof(v));
}

static void attr_addr(struct msg *m, uint16_t type, const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	attr(m, type, &a, sizeof(a));
}

static void link_msg(struct msg *m, uint16_t type, unsigned index, unsigned flags, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)index, .ifi_flags = flags };
	begin(m, type, 0, 0, &ifi, sizeof(ifi));
	if (name)
		attr(m, IFLA_IFNAME, name, strlen(name) + 1);
	attr_u32(m, IFLA_MTU, 1500);
	end(m);
}

static void addr_begin(struct msg *m, uint16_t type, unsigned index, unsigned plen, unsigned scope, unsigned flags8)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = (unsigned char)plen,
				 .ifa_flags = (unsigned char)flags8, .ifa_scope = (unsigned char)scope,
				 .ifa_index = index };
	begin(m, type, 0, 0, &ifa, sizeof(ifa));
}

static void cacheinfo(struct msg *m, uint32_t pref, uint32_t valid)
{
	struct ifa_cacheinfo ci = { .ifa_prefered = pref, .ifa_valid = valid, .cstamp = 1, .tstamp = 2 };
	attr(m, IFA_CACHEINFO, &ci, sizeof(ci));
}

static void route_begin(struct msg *m, uint16_t type, unsigned dst_len, unsigned table, unsigned proto)
{
	struct rtmsg rtm = { .rtm_family = AF_INET6, .rtm_dst_len = (unsigned char)dst_len,
			     .rtm_table = (unsigned char)(table < 256 ? table : RT_TABLE_COMPAT),
			     .rtm_protocol = (unsigned char)proto, .rtm_type = RTN_UNICAST };
	begin(m, type, 0, 0, &rtm, sizeof(rtm));
	attr_u32(m, RTA_TABLE, table);
}

/* The whole buffer, written to $NLMON_CORPUS_DIR/NAME when set. */
static void save(const struct msg *m, const char *name)
{
	const char *dir = getenv("NLMON_CORPUS_DIR");
	char path[512];
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(m->b, 1, m->len, f);
	fclose(f);
}

/* ---- a recording consumer ---------------------------------------------- */

struct rec {
	char log[2048];
	unsigned refuse_ifindex; /* route_wanted says no for this one */
};

static void note(struct rec *r, const char *s)
{
	size_t n = strlen(r->log);
	snprintf(r->log + n, sizeof(r->log) - n, "%s;", s);
}

static void r_link(void *arg, const struct nlmon_link *l)
{
	struct rec *r = arg;
	char s[96];
	snprintf(s, sizeof(s), "link %u %s %s%s mtu %u", l->ifindex, l->name, l->up ? "up" : "down",
		 l->gone ? " gone" : "", l->mtu);
	note(r, s);
}

static void r_addr(void *arg, bool add, unsigned ifindex, const struct move_addr *a)
{
	struct rec *r = arg;
	char s[ADDR_STRLEN], t[160];
	snprintf(t, sizeof(t), "addr %s %u %s/%u scope %u flags %u pref %u valid %u", add ? "add" : "del", ifindex,
		 addr_fmt(&a->addr, s, sizeof(s)), a->plen, (unsigned)a->scope, a->flags, (unsigned)a->preferred_s,
		 (unsigned)a->valid_s);
	note(r, t);
}

static void r_router(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw)
{
	struct rec *r = arg;
	char s[ADDR_STRLEN], t[96];
	snprintf(t, sizeof(t), "router %s %u %s", add ? "add" : "del", ifindex, addr_fmt(gw, s, sizeof(s)));
	note(r, t);
}

static bool r_wanted(void *arg, unsigned ifindex, unsigned proto)
{
	struct rec *r = arg;
	(void)proto;
	return ifindex != r->refuse_ifindex;
}

static void r_done(void *arg, uint32_t seq, int error)
{
	struct rec *r = arg;
	char t[48];
	snprintf(t, sizeof(t), "done %u %s", (unsigned)seq, error ? "error" : "ok");
	note(r, t);
}

static const struct nlmon_ops rec_ops = { .link = r_link, .addr = r_addr, .default_router = r_router,
					  .route_wanted = r_wanted, .dump_done = r_done };

static size_t run(const struct msg *m, struct rec *r, struct nlmon_stats *st)
{
	memset(st, 0, sizeof(*st));
	r->log[0] = '\0';
	return nlmon_parse(m->b, m->len, &rec_ops, r, st);
}

/* ---- links --------------------------------------------------------------- */

START_TEST(links)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	link_msg(&m, RTM_NEWLINK, 2, IFF_UP | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */, "eth0");
	link_msg(&m, RTM_NEWLINK, 3, IFF_UP, "veth0"); /* up, but no carrier: down */
	link_msg(&m, RTM_NEWLINK, 4, IFF_RUNNING, "eth1"); /* administratively down */
	link_msg(&m, RTM_DELLINK, 5, IFF_UP | IFF_RUNNING, "m6mn0");
	save(&m, "links");
	ck_assert_uint_eq(run(&m, &r, &st), 4);
	ck_assert_str_eq(r.log, "link 2 eth0 up mtu 1500;link 3 veth0 down mtu 1500;link 4 eth1 down mtu 1500;"
				"link 5 m6mn0 down gone mtu 1500;");
	ck_assert_uint_eq(st.msgs, 4);
	ck_assert_uint_eq(st.links, 4);
	ck_assert_uint_eq(st.bad, 0);
}
END_TEST

START_TEST(links_bad)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	/* A name of 16 octets (no room for the NUL in IFNAMSIZ), one without a
	 * NUL, an empty one, index 0, a short MTU, a family header cut short. */
	link_msg(&m, RTM_NEWLINK, 2, IFF_UP, "abcdefghijklmnop");
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 3 };
	begin(&m, RTM_NEWLINK, 0, 0, &ifi, sizeof(ifi));
	attr(&m, IFLA_IFNAME, "eth0", 4);
	end(&m);
	link_msg(&m, RTM_NEWLINK, 4, IFF_UP, "");
	link_msg(&m, RTM_NEWLINK, 0, IFF_UP, "eth0");
	begin(&m, RTM_NEWLINK, 0, 0, &ifi, sizeof(ifi));
	attr(&m, IFLA_MTU, "\x01\x02", 2);
	end(&m);
	begin(&m, RTM_NEWLINK, 0, 0, &ifi, 8);
	end(&m);
	/* Another family (AF_BRIDGE) is skipped, then a good one still parses. */
	struct ifinfomsg br = { .ifi_family = AF_BRIDGE, .ifi_index = 6 };
	begin(&m, RTM_NEWLINK, 0, 0, &br, sizeof(br));
	end(&m);
	link_msg(&m, RTM_NEWLINK, 7, IFF_UP | IFF_RUNNING, "ok0");
	save(&m, "links_bad");
	ck_assert_uint_eq(run(&m, &r, &st), 1);
	ck_assert_str_eq(r.log, "link 7 ok0 up mtu 1500;");
	ck_assert_uint_eq(st.bad, 6);
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_eq(st.msgs, 8);
}
END_TEST

/* ---- addresses ------------------------------------------------------------ */

START_TEST(addresses)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	/* Fresh from `ip addr add` with DAD: tentative (ifa_flags), forever. */
	addr_begin(&m, RTM_NEWADDR, 3, 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE);
	attr_addr(&m, IFA_ADDRESS, "2001:db8:7::1");
	cacheinfo(&m, 0xffffffffu, 0xffffffffu);
	end(&m);
	/* IFA_FLAGS wins over ifa_flags; deprecated with finite lifetimes. */
	addr_begin(&m, RTM_NEWADDR, 3, 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE);
	attr_addr(&m, IFA_ADDRESS, "2001:db8:7::3");
	attr_u32(&m, IFA_FLAGS, IFA_F_DEPRECATED | IFA_F_NODAD);
	cacheinfo(&m, 0, 100);
	end(&m);
	/* DAD failed, link scope. */
	addr_begin(&m, RTM_NEWADDR, 3, 64, RT_SCOPE_LINK, 0);
	attr_addr(&m, IFA_ADDRESS, "fe80::1");
	attr_u32(&m, IFA_FLAGS, IFA_F_DADFAILED | IFA_F_TENTATIVE);
	end(&m);
	/* Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer. */
	addr_begin(&m, RTM_DELADDR, 9, 128, RT_SCOPE_UNIVERSE, 0);
	attr_addr(&m, IFA_ADDRESS, "2001:db8:9::2");
	attr_addr(&m, IFA_LOCAL, "2001:db8:9::1");
	cacheinfo(&m, 3600, 7200);
	end(&m);
	save(&m, "addresses");
	ck_assert_uint_eq(run(&m, &r, &st), 4);
	char want[1024];
	snprintf(want, sizeof(want),
		 "addr add 3 2001:db8:7::1/64 scope 0 flags %u pref %u valid %u;"
		 "addr add 3 2001:db8:7::3/64 scope 0 flags %u pref 0 valid 100;"
		 "addr add 3 fe80::1/64 scope 253 flags %u pref %u valid %u;"
		 "addr del 9 2001:db8:9::1/128 scope 0 flags 0 pref 3600 valid 7200;",
		 MOVE_AF_TENTATIVE, MOVE_LIFETIME_INFINITE, MOVE_LIFETIME_INFINITE, MOVE_AF_DEPRECATED,
		 MOVE_AF_DADFAILED | MOVE_AF_TENTATIVE, MOVE_LIFETIME_INFINITE, MOVE_LIFETIME_INFINITE);
	ck_assert_str_eq(r.log, want);
	ck_assert_uint_eq(st.addrs, 4);
	ck_assert_uint_eq(st.bad, 0);
}
END_TEST

START_TEST(addresses_bad)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	addr_begin(&m, RTM_NEWADDR, 3, 129, 0, 0); /* plen */
	attr_addr(&m, IFA_ADDRESS, "2001:db8::1");
	end(&m);
	addr_begin(&m, RTM_NEWADDR, 3, 64, 0, 0); /* no address */
	cacheinfo(&m, 1, 2);
	end(&m);
	addr_begin(&m, RTM_NEWADDR, 3, 64, 0, 0); /* address of 4 octets */
	attr(&m, IFA_ADDRESS, "\x0a\x00\x00\x01", 4);
	end(&m);
	addr_begin(&m, RTM_NEWADDR, 3, 64, 0, 0); /* short cache info */
	attr_addr(&m, IFA_ADDRESS, "2001:db8::1");
	attr(&m, IFA_CACHEINFO, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	end(&m);
	addr_begin(&m, RTM_NEWADDR, 0, 64, 0, 0); /* index 0 */
	attr_addr(&m, IFA_ADDRESS, "2001:db8::1");
	end(&m);
	addr_begin(&m, RTM_NEWADDR, 3, 64, 0, 0); /* an attribute longer than the message */
	attr_addr(&m, IFA_ADDRESS, "2001:db8::1");
	set16(&m, m.len - 20, 200);
	end(&m);
	struct ifaddrmsg v4 = { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_index = 3 };
	begin(&m, RTM_NEWADDR, 0, 0, &v4, sizeof(v4)); /* IPv4: not ours */
	attr(&m, IFA_ADDRESS, "\x0a\x00\x00\x01", 4);
	end(&m);
	save(&m, "addresses_bad");
	ck_assert_uint_eq(run(&m, &r, &st), 0);
	ck_assert_str_eq(r.log, "");
	ck_assert_uint_eq(st.bad, 6);
	ck_assert_uint_eq(st.skipped, 1);
}
END_TEST

/* ---- default routers ------------------------------------------------------- */

START_TEST(routers)
{
	struct msg m = { 0 };
	struct rec r = { .refuse_ifindex = 7 };
	struct nlmon_stats st;
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_RA); /* from an RA */
	attr_addr(&m, RTA_GATEWAY, "fe80::1");
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	route_begin(&m, RTM_DELROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT);
	attr_addr(&m, RTA_GATEWAY, "fe80::2");
	attr_u32(&m, RTA_OIF, 4);
	end(&m);
	/* Not reported: ours, another table, not a default, no gateway, the
	 * ignored device. */
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, IO_NL_RTPROT);
	attr_addr(&m, RTA_GATEWAY, "fe80::3");
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	route_begin(&m, RTM_NEWROUTE, 0, 186, RTPROT_BOOT);
	attr_addr(&m, RTA_GATEWAY, "fe80::4");
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	route_begin(&m, RTM_NEWROUTE, 64, RT_TABLE_MAIN, RTPROT_BOOT);
	attr_addr(&m, RTA_DST, "2001:db8:1::");
	attr_addr(&m, RTA_GATEWAY, "fe80::5");
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT);
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT);
	attr_addr(&m, RTA_GATEWAY, "fe80::7");
	attr_u32(&m, RTA_OIF, 7);
	end(&m);
	/* A table number above 255 (rtm_table says RT_TABLE_COMPAT). */
	route_begin(&m, RTM_NEWROUTE, 0, 1000, RTPROT_BOOT);
	attr_addr(&m, RTA_GATEWAY, "fe80::8");
	attr_u32(&m, RTA_OIF, 3);
	end(&m);
	/* Multipath: each next hop with a gateway, one per device. */
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT);
	size_t mp = m.len;
	attr(&m, RTA_MULTIPATH, NULL, 0);
	for (unsigned i = 0; i < 2; i++) {
		size_t hop = m.len;
		struct rtnexthop nh = { .rtnh_ifindex = (int)(5 + i) };
		put(&m, &nh, sizeof(nh));
		attr_addr(&m, RTA_GATEWAY, i ? "fe80::b" : "fe80::a");
		set16(&m, hop, (uint16_t)(m.len - hop));
	}
	set16(&m, mp, (uint16_t)(m.len - mp));
	end(&m);
	save(&m, "routers");
	ck_assert_uint_eq(run(&m, &r, &st), 4);
	ck_assert_str_eq(r.log, "router add 3 fe80::1;router del 4 fe80::2;router add 5 fe80::a;router add 6 fe80::b;");
	ck_assert_uint_eq(st.routers, 4);
	ck_assert_uint_eq(st.skipped, 6);
	ck_assert_uint_eq(st.bad, 0);
}
END_TEST

START_TEST(routers_bad)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT); /* short gateway */
	attr(&m, RTA_GATEWAY, "\xfe\x80", 2);
	end(&m);
	route_begin(&m, RTM_NEWROUTE, 129, RT_TABLE_MAIN, RTPROT_BOOT);
	end(&m);
	/* Multipath whose second next hop claims more than there is: the first
	 * must not be reported either. */
	route_begin(&m, RTM_NEWROUTE, 0, RT_TABLE_MAIN, RTPROT_BOOT);
	size_t mp = m.len;
	attr(&m, RTA_MULTIPATH, NULL, 0);
	size_t hop = m.len;
	struct rtnexthop nh = { .rtnh_ifindex = 5 };
	put(&m, &nh, sizeof(nh));
	attr_addr(&m, RTA_GATEWAY, "fe80::a");
	set16(&m, hop, (uint16_t)(m.len - hop));
	hop = m.len;
	put(&m, &nh, sizeof(nh));
	set16(&m, hop, 64);
	set16(&m, mp, (uint16_t)(m.len - mp));
	end(&m);
	save(&m, "routers_bad");
	ck_assert_uint_eq(run(&m, &r, &st), 0);
	ck_assert_str_eq(r.log, "");
	ck_assert_uint_eq(st.bad, 3);
}
END_TEST

/* ---- framing ------------------------------------------------------------- */

START_TEST(framing)
{
	struct msg m = { 0 };
	struct rec r = { 0 };
	struct nlmon_stats st;
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(4), .nlmsg_type = NLMSG_DONE, .nlmsg_seq = 7,
				 .nlmsg_flags = NLM_F_MULTI | NLM_F_DUMP_INTR };
	int32_t zero = 0;
	put(&m, &done, sizeof(done));
	put(&m, &zero, sizeof(zero));
	struct nlmsghdr err = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr)), .nlmsg_type = NLMSG_ERROR,
				.nlmsg_seq = 8 };
	struct nlmsgerr e = { .error = -16 };
	put(&m, &err, sizeof(err));
	put(&m, &e, sizeof(e));
	link_msg(&m, RTM_NEWLINK, 2, IFF_UP | IFF_RUNNING, "eth0");
	save(&m, "framing");
	ck_assert_uint_eq(run(&m, &r, &st), 1);
	ck_assert_str_eq(r.log, "done 7 ok;done 8 error;link 2 eth0 up mtu 1500;");
	ck_assert_uint_eq(st.dump_intr, 1);

	/* A header claiming more than the buffer holds: nothing after it. */
	struct msg n = { 0 };
	link_msg(&n, RTM_NEWLINK, 2, IFF_UP, "eth0");
	link_msg(&n, RTM_NEWLINK, 3, IFF_UP, "eth1");
	uint32_t big = (uint32_t)n.len + 1;
	memcpy(n.b, &big, sizeof(big));
	save(&n, "framing_long");
	ck_assert_uint_eq(run(&n, &r, &st), 0);
	ck_assert_uint_eq(st.bad, 1);
	ck_assert_uint_eq(st.msgs, 0);

	/* A header shorter than itself; then a stray tail. */
	struct msg o = { 0 };
	link_msg(&o, RTM_NEWLINK, 2, IFF_UP, "eth0");
	uint32_t small = 8;
	memcpy(o.b, &small, sizeof(small));
	save(&o, "framing_short");
	ck_assert_uint_eq(run(&o, &r, &st), 0);
	ck_assert_uint_eq(st.bad, 1);
	struct msg p = { 0 };
	link_msg(&p, RTM_NEWLINK, 2, IFF_UP | IFF_RUNNING, "eth0");
	p.len += 6;
	save(&p, "framing_tail");
	ck_assert_uint_eq(run(&p, &r, &st), 1);
	ck_assert_uint_eq(st.bad, 1);
	/* An unknown message type is skipped; an empty buffer is nothing. */
	struct msg q = { 0 };
	struct nlmsghdr noop = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = RTM_NEWNEIGH };
	put(&q, &noop, sizeof(noop));
	ck_assert_uint_eq(run(&q, &r, &st), 0);
	ck_assert_uint_eq(st.skipped, 1);
	ck_assert_uint_eq(st.bad, 0);
	ck_assert_uint_eq(nlmon_parse(NULL, 0, &rec_ops, &r, &st), 0);
}
END_TEST

static Suite *nlmon_suite(void)
{
	Suite *s = suite_create("nlmon");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, links);
	tcase_add_test(tc, links_bad);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, addresses_bad);
	tcase_add_test(tc, routers);
	tcase_add_test(tc, routers_bad);
	tcase_add_test(tc, framing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(nlmon_suite());
}
