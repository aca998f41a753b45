/*
 * src/ike/mip6ike: the RFC 4877 policy layer.
 * Tier 1: the MN plans of the shipped configs (etc/examples, etc/examples/
 * lab), the HA's PAD (own home address narrowed, someone else's refused,
 * unknown identity refused, wider TS narrowed, wrong mode corrected or
 * refused), the CP answer, classify over every plan entry, and the TS bytes
 * on the wire.
 * Tier 2: two ikesa engines back to back (tests/unit/ikesa_pair.h) with
 * mip6ike_ha_ts_policy() as the HA's ts_policy: mn1 gets its BU/BA CHILD_SA
 * in IKE_AUTH, and asking for mn2's home address ends in TS_UNACCEPTABLE
 * with the IKE SA up.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "conf/conf.h"
#include "ike/mip6ike.h"
#include "ikesa_pair.h"
#include "testutil.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct conf *load(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", top && *top ? top : "..", rel);
	struct conf *c = NULL;
	struct conf_error e;
	int rc = conf_load_file(path, &c, &e);
	ck_assert_msg(rc == 0, "%s: %s", path, e.msg);
	return c;
}

static struct conf *load_text(const char *text)
{
	struct conf *c = NULL;
	struct conf_error e;
	int rc = conf_load_string(text, "t.conf", &c, &e);
	ck_assert_msg(rc == 0, "t.conf:%d: %s: %s", e.line, e.key, e.msg);
	return c;
}

static void set_id(struct ikesa_id *id, uint8_t type, const char *s)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

/* One IPv6 selector. */
static struct ike_ts ts6(uint8_t proto, uint16_t p0, uint16_t p1, const char *lo, const char *hi)
{
	struct ike_ts t;
	memset(&t, 0, sizeof(t));
	t.type = IKE_TS_IPV6_ADDR_RANGE;
	t.ip_proto = proto;
	t.start_port = p0;
	t.end_port = p1;
	struct in6_addr a = A(lo), b = A(hi);
	memcpy(t.start, a.s6_addr, 16);
	memcpy(t.end, b.s6_addr, 16);
	return t;
}

static struct ike_ts_list list1(struct ike_ts t)
{
	struct ike_ts_list l;
	memset(&l, 0, sizeof(l));
	l.n = 1;
	l.ts[0] = t;
	return l;
}

static struct ike_ts_list list2(struct ike_ts t0, struct ike_ts t1)
{
	struct ike_ts_list l = list1(t0);
	l.n = 2;
	l.ts[1] = t1;
	return l;
}

static void assert_ts_list_eq(const struct ike_ts_list *a, const struct ike_ts_list *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (unsigned i = 0; i < a->n; i++)
		ck_assert_mem_eq(&a->ts[i], &b->ts[i], sizeof(a->ts[i]));
}

#define ANY_LO "::"
#define ANY_HI "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

/* The expected selectors of each slot for hoa/ha (the table of mip6ike.h,
 * written out by hand rather than by the code under test). */
static void expected(enum mip6ike_slot s, const char *hoa, const char *ha, struct ike_ts_list *tsi,
		     struct ike_ts_list *tsr)
{
	switch (s) {
	case MIP6IKE_SLOT_BU_BA:
		*tsi = list1(ts6(135, 0x0500, 0x0600, hoa, hoa));
		*tsr = list1(ts6(135, 0x0500, 0x0600, ha, ha));
		return;
	case MIP6IKE_SLOT_MPS_MPA:
		*tsi = list2(ts6(58, 0x9200, 0x9200, hoa, hoa), ts6(58, 0x9300, 0x9300, hoa, hoa));
		*tsr = list2(ts6(58, 0x9200, 0x9200, ha, ha), ts6(58, 0x9300, 0x9300, ha, ha));
		return;
	case MIP6IKE_SLOT_HOTI_HOT:
		*tsi = list2(ts6(135, 0x0100, 0x0100, hoa, hoa), ts6(135, 0x0300, 0x0300, hoa, hoa));
		*tsr = list2(ts6(135, 0x0100, 0x0100, ANY_LO, ANY_HI), ts6(135, 0x0300, 0x0300, ANY_LO, ANY_HI));
		return;
	case MIP6IKE_SLOT_PAYLOAD:
	default:
		*tsi = list1(ts6(0, 0, 0xffff, hoa, hoa));
		*tsr = list1(ts6(0, 0, 0xffff, ANY_LO, ANY_HI));
		return;
	}
}

static void assert_request(const struct mip6ike_request *r, enum mip6ike_slot s, const char *hoa, const char *ha)
{
	struct ike_ts_list tsi, tsr;
	expected(s, hoa, ha, &tsi, &tsr);
	ck_assert_int_eq(r->slot, s);
	ck_assert_int_eq(r->transport, s == MIP6IKE_SLOT_BU_BA || s == MIP6IKE_SLOT_MPS_MPA);
	assert_ts_list_eq(&r->tsi, &tsi);
	assert_ts_list_eq(&r->tsr, &tsr);
}

/* ---- MN plans ---- */

/* A mobile node's config and its plan for its own home address and HA. */
static struct conf *load_plan(const char *rel, struct mip6ike_plan *p)
{
	struct conf *c = load(rel);
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	ck_assert_ptr_nonnull(mn);
	ck_assert_int_eq(mip6ike_mn_plan(c, &mn->home_address, &mn->ha_address, p), 0);
	return c;
}


/* etc/examples/mobile-node.conf: route optimisation on, no payload SAs:
 * BU/BA in IKE_AUTH, then MPS/MPA and HoTI/HoT by CREATE_CHILD_SA
 * (R4877-7.3.c, R4877-7.3.e). */
START_TEST(plan_example_mn)
{
	struct mip6ike_plan p;
	struct conf *c = load_plan("etc/examples/mobile-node.conf", &p);
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	ck_assert(!p.cp_request_hoa);
	ck_assert(addr_eq(&p.hoa, &mn->home_address));
	ck_assert_uint_eq(p.n, 3);
	assert_request(&p.req[0], MIP6IKE_SLOT_BU_BA, "2001:db8:1::100", "2001:db8:1::1");
	assert_request(&p.req[1], MIP6IKE_SLOT_MPS_MPA, "2001:db8:1::100", "2001:db8:1::1");
	assert_request(&p.req[2], MIP6IKE_SLOT_HOTI_HOT, "2001:db8:1::100", "2001:db8:1::1");
	ck_assert_int_eq(p.req[0].exchange, MIP6IKE_EXCH_IKE_AUTH);
	ck_assert_int_eq(p.req[1].exchange, MIP6IKE_EXCH_CREATE_CHILD);
	ck_assert_int_eq(p.req[2].exchange, MIP6IKE_EXCH_CREATE_CHILD);
	conf_free(c);
}
END_TEST

/* The lab's mobile node protects payload (its manual "payload" SAs): the
 * fourth request is the payload tunnel. */
START_TEST(plan_lab_mn)
{
	struct mip6ike_plan p;
	struct conf *c = load_plan("etc/examples/lab/mobile-node.conf", &p);
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	ck_assert_uint_eq(p.n, 4);
	assert_request(&p.req[0], MIP6IKE_SLOT_BU_BA, "fd6d:1::100", "fd6d:1::1");
	assert_request(&p.req[1], MIP6IKE_SLOT_MPS_MPA, "fd6d:1::100", "fd6d:1::1");
	assert_request(&p.req[2], MIP6IKE_SLOT_HOTI_HOT, "fd6d:1::100", "fd6d:1::1");
	assert_request(&p.req[3], MIP6IKE_SLOT_PAYLOAD, "fd6d:1::100", "fd6d:1::1");
	ck_assert_int_eq(p.req[3].exchange, MIP6IKE_EXCH_CREATE_CHILD);
	/* Another home address has no payload SAs: no payload request. */
	struct in6_addr other = A("fd6d:1::300");
	ck_assert_int_eq(mip6ike_mn_plan(c, &other, &mn->ha_address, &p), 0);
	ck_assert_uint_eq(p.n, 3);
	conf_free(c);
}
END_TEST

static const char mn_min[] = "mobile-node = { home-address = \"2001:db8:1::100\"; home-prefix = \"2001:db8:1::/64\";"
			     " ha-address = \"2001:db8:1::1\"; route-optimisation = false; };";

/* Without route optimisation no HoTI/HoT SA; errors for a missing HA
 * address, a missing home address, a config without a mobile node. */
START_TEST(plan_no_ro_and_errors)
{
	struct conf *c = load_text(mn_min);
	struct in6_addr hoa = A("2001:db8:1::100"), ha = A("2001:db8:1::1"), none = A("::");
	struct mip6ike_plan p;
	ck_assert_int_eq(mip6ike_mn_plan(c, &hoa, &ha, &p), 0);
	ck_assert_uint_eq(p.n, 2);
	ck_assert_int_eq(p.req[0].slot, MIP6IKE_SLOT_BU_BA);
	ck_assert_int_eq(p.req[1].slot, MIP6IKE_SLOT_MPS_MPA);
	ck_assert_int_eq(mip6ike_mn_plan(c, &hoa, &none, &p), M6E_INVAL);
	ck_assert_int_eq(mip6ike_mn_plan(c, &hoa, NULL, &p), M6E_INVAL);
	ck_assert_int_eq(mip6ike_mn_plan(c, &none, &ha, &p), M6E_INVAL); /* no request-home-address */
	ck_assert_int_eq(mip6ike_mn_plan(c, NULL, &ha, &p), M6E_INVAL);
	conf_free(c);
	struct conf *hc = load("etc/examples/home-agent.conf");
	ck_assert_int_eq(mip6ike_mn_plan(hc, &hoa, &ha, &p), M6E_INVAL);
	conf_free(hc);
}
END_TEST

/* ike.request-home-address without a home address yet: only the IKE_AUTH
 * BU/BA request, TSi any address for the HA to narrow (RFC 4877 9). */
START_TEST(plan_cp_home_address)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "%s ike = { identity = \"mn1.example.org\"; auth = \"psk\"; request-home-address = true;"
		 " peers = ( { name = \"ha\"; identity = \"ha.example.org\"; auth = \"psk\";"
		 " psk = \"91c89901c130972b486a2c9e484fd9304e4dba44744766dfccefee26579b8d14\"; } ); };",
		 mn_min);
	struct conf *c = load_text(text);
	struct in6_addr ha = A("2001:db8:1::1");
	struct mip6ike_plan p;
	ck_assert_int_eq(mip6ike_mn_plan(c, NULL, &ha, &p), 0);
	ck_assert(p.cp_request_hoa);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_int_eq(p.req[0].exchange, MIP6IKE_EXCH_IKE_AUTH);
	struct ike_ts_list tsi = list1(ts6(135, 0x0500, 0x0600, ANY_LO, ANY_HI));
	assert_ts_list_eq(&p.req[0].tsi, &tsi);
	/* The HA narrows that to mn1's address. */
	struct conf *hc = load("etc/examples/home-agent.conf");
	struct ikesa_id mn1;
	set_id(&mn1, IKE_ID_FQDN, "mn1.example.org");
	struct ike_ts_list oi, orr;
	bool tr = p.req[0].transport;
	enum mip6ike_slot s;
	ck_assert_int_eq(mip6ike_ha_ts_policy(hc, &mn1, &p.req[0].tsi, &p.req[0].tsr, &tr, &oi, &orr, &s), 0);
	struct ike_ts_list want_i, want_r;
	expected(MIP6IKE_SLOT_BU_BA, "2001:db8:1::100", "2001:db8:1::1", &want_i, &want_r);
	assert_ts_list_eq(&oi, &want_i);
	assert_ts_list_eq(&orr, &want_r);
	/* With the assigned address the full plan follows. */
	struct in6_addr hoa = A("2001:db8:1::100");
	ck_assert_int_eq(mip6ike_mn_plan(c, &hoa, &ha, &p), 0);
	ck_assert_uint_eq(p.n, 2);
	conf_free(hc);
	conf_free(c);
}
END_TEST

/* ---- HA: the PAD ---- */

struct policy_out {
	int rc;
	bool transport;
	enum mip6ike_slot slot;
	struct ike_ts_list tsi, tsr;
};

static struct policy_out policy(const struct conf *c, const char *id, const struct ike_ts_list *tsi,
				const struct ike_ts_list *tsr, bool transport)
{
	struct policy_out o;
	struct ikesa_id peer;
	memset(&o, 0, sizeof(o));
	set_id(&peer, IKE_ID_FQDN, id);
	o.transport = transport;
	o.slot = MIP6IKE_SLOT_COUNT;
	o.rc = mip6ike_ha_ts_policy(c, &peer, tsi, tsr, &o.transport, &o.tsi, &o.tsr, &o.slot);
	return o;
}

/* Every request of the lab MN's plan is accepted by the lab HA as it is
 * (an exact proposal narrows to itself), in the request's slot and mode. */
START_TEST(pad_accepts_every_plan_entry)
{
	struct mip6ike_plan p;
	struct conf *mc = load_plan("etc/examples/lab/mobile-node.conf", &p);
	struct conf *hc = load("etc/examples/lab/home-agent.conf");
	for (size_t i = 0; i < p.n; i++) {
		struct policy_out o = policy(hc, "mn1.lab", &p.req[i].tsi, &p.req[i].tsr, p.req[i].transport);
		ck_assert_int_eq(o.rc, 0);
		ck_assert_int_eq(o.slot, p.req[i].slot);
		ck_assert_int_eq(o.transport, p.req[i].transport);
		assert_ts_list_eq(&o.tsi, &p.req[i].tsi);
		assert_ts_list_eq(&o.tsr, &p.req[i].tsr);
	}
	/* R3776-4.2.k: mn2.lab may not have any of them (mn1's address). */
	for (size_t i = 0; i < p.n; i++)
		ck_assert_int_eq(policy(hc, "mn2.lab", &p.req[i].tsi, &p.req[i].tsr, p.req[i].transport).rc, M6E_PERM);
	conf_free(hc);
	conf_free(mc);
}
END_TEST

/* Someone else's home address, alone or next to one's own, is refused;
 * so is an unknown identity or the right name with the wrong ID type. */
START_TEST(pad_refuses)
{
	struct conf *c = load("etc/examples/home-agent.conf");
	const char *ha = "2001:db8:1::1";
	struct ike_ts_list tsr = list1(ts6(135, 0x0500, 0x0600, ha, ha));
	struct ike_ts_list own = list1(ts6(135, 0x0500, 0x0600, "2001:db8:1::100", "2001:db8:1::100"));
	struct ike_ts_list mn2 = list1(ts6(135, 0x0500, 0x0600, "2001:db8:1::200", "2001:db8:1::200"));
	struct ike_ts_list both = list2(own.ts[0], mn2.ts[0]);
	ck_assert_int_eq(policy(c, "mn1.example.org", &own, &tsr, true).rc, 0);
	ck_assert_int_eq(policy(c, "mn1.example.org", &mn2, &tsr, true).rc, M6E_PERM);
	ck_assert_int_eq(policy(c, "mn1.example.org", &both, &tsr, true).rc, M6E_PERM);
	ck_assert_int_eq(policy(c, "mn2.example.org", &mn2, &tsr, true).rc, 0);
	ck_assert_int_eq(policy(c, "mn3.example.org", &own, &tsr, true).rc, M6E_PERM);
	/* DNS names compare without case. */
	ck_assert_int_eq(policy(c, "MN1.Example.ORG", &own, &tsr, true).rc, 0);
	/* Same text, other ID type. */
	struct ikesa_id wrong_type;
	set_id(&wrong_type, IKE_ID_RFC822_ADDR, "mn1.example.org");
	struct ike_ts_list oi, orr;
	bool tr = true;
	enum mip6ike_slot s;
	ck_assert_int_eq(mip6ike_ha_ts_policy(c, &wrong_type, &own, &tsr, &tr, &oi, &orr, &s), M6E_PERM);
	/* A range holding no home address of mn1. */
	struct ike_ts_list far = list1(ts6(0, 0, 0xffff, "2001:db8:9::", "2001:db8:9::ffff"));
	ck_assert_int_eq(policy(c, "mn1.example.org", &far, &tsr, true).rc, M6E_PERM);
	/* BU/BA with another HA address. */
	struct ike_ts_list tsr2 = list1(ts6(135, 0x0500, 0x0600, "2001:db8:1::2", "2001:db8:1::2"));
	ck_assert_int_eq(policy(c, "mn1.example.org", &own, &tsr2, true).rc, M6E_PERM);
	/* MH types none of ours (BRR 0 .. CoT 4 without HoTI/HoT pairs). */
	struct ike_ts_list coti = list1(ts6(135, 0x0200, 0x0200, "2001:db8:1::100", "2001:db8:1::100"));
	struct ike_ts_list any = list1(ts6(135, 0x0200, 0x0200, ANY_LO, ANY_HI));
	ck_assert_int_eq(policy(c, "mn1.example.org", &coti, &any, false).rc, M6E_PERM);
	/* No mobile-nodes at all (a mobile node's config). */
	struct conf *mc = load("etc/examples/mobile-node.conf");
	ck_assert_int_eq(policy(mc, "mn1.example.org", &own, &tsr, true).rc, M6E_PERM);
	conf_free(mc);
	conf_free(c);
}
END_TEST

/* A wider proposal is narrowed (R7296-2.9.a): the home prefix, any
 * protocol and port, in transport mode -> BU/BA for mn1's address; ::/0
 * any -> any in tunnel mode -> payload. */
START_TEST(pad_narrows)
{
	struct conf *c = load("etc/examples/home-agent.conf");
	struct ike_ts_list want_i, want_r;
	struct ike_ts_list prefix = list1(ts6(0, 0, 0xffff, "2001:db8:1::", "2001:db8:1::ffff"));
	struct ike_ts_list ha_any = list1(ts6(0, 0, 0xffff, "2001:db8:1::1", "2001:db8:1::1"));
	struct policy_out o = policy(c, "mn1.example.org", &prefix, &ha_any, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_BU_BA);
	ck_assert(o.transport);
	expected(MIP6IKE_SLOT_BU_BA, "2001:db8:1::100", "2001:db8:1::1", &want_i, &want_r);
	assert_ts_list_eq(&o.tsi, &want_i);
	assert_ts_list_eq(&o.tsr, &want_r);
	/* The same prefix for mn2 narrows to mn2's address. */
	o = policy(c, "mn2.example.org", &prefix, &ha_any, true);
	ck_assert_int_eq(o.rc, 0);
	expected(MIP6IKE_SLOT_BU_BA, "2001:db8:1::200", "2001:db8:1::1", &want_i, &want_r);
	assert_ts_list_eq(&o.tsi, &want_i);

	struct ike_ts_list all = list1(ts6(0, 0, 0xffff, ANY_LO, ANY_HI));
	o = policy(c, "mn1.example.org", &all, &all, false);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_PAYLOAD);
	ck_assert(!o.transport);
	expected(MIP6IKE_SLOT_PAYLOAD, "2001:db8:1::100", "2001:db8:1::1", &want_i, &want_r);
	assert_ts_list_eq(&o.tsi, &want_i);
	assert_ts_list_eq(&o.tsr, &want_r);

	/* MH, any type, HoA -> any, tunnel: HoTI/HoT. */
	struct ike_ts_list mh_hoa = list1(ts6(135, 0, 0xffff, "2001:db8:1::100", "2001:db8:1::100"));
	struct ike_ts_list mh_any = list1(ts6(135, 0, 0xffff, ANY_LO, ANY_HI));
	o = policy(c, "mn1.example.org", &mh_hoa, &mh_any, false);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_HOTI_HOT);
	/* The same in transport mode: BU/BA would not fit (any CN), MH any
	 * type to the HA does. */
	struct ike_ts_list mh_ha = list1(ts6(135, 0, 0xffff, "2001:db8:1::1", "2001:db8:1::1"));
	o = policy(c, "mn1.example.org", &mh_hoa, &mh_ha, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_BU_BA);
	/* ICMPv6 any type HoA -> HA, transport: MPS/MPA. */
	struct ike_ts_list ic_hoa = list1(ts6(58, 0, 0xffff, "2001:db8:1::100", "2001:db8:1::100"));
	struct ike_ts_list ic_ha = list1(ts6(58, 0, 0xffff, "2001:db8:1::1", "2001:db8:1::1"));
	o = policy(c, "mn1.example.org", &ic_hoa, &ic_ha, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_MPS_MPA);
	conf_free(c);
}
END_TEST

/* Modes (RFC 4877 4.3): HoTI/HoT asked in transport mode is answered in
 * tunnel mode (no USE_TRANSPORT_MODE back, RFC 7296 1.3.1); BU/BA or
 * MPS/MPA asked in tunnel mode is refused (R4877-3.b not supported). */
START_TEST(pad_modes)
{
	struct conf *c = load("etc/examples/home-agent.conf");
	struct ike_ts_list i, r;
	expected(MIP6IKE_SLOT_HOTI_HOT, "2001:db8:1::100", "2001:db8:1::1", &i, &r);
	struct policy_out o = policy(c, "mn1.example.org", &i, &r, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_HOTI_HOT);
	ck_assert(!o.transport);
	expected(MIP6IKE_SLOT_PAYLOAD, "2001:db8:1::100", "2001:db8:1::1", &i, &r);
	o = policy(c, "mn1.example.org", &i, &r, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_PAYLOAD);
	ck_assert(!o.transport);
	/* MH of any type from the HoA to anyone, transport asked: that is
	 * the tunnelled HoTI/HoT, not BU/BA (which goes to the HA alone). */
	struct ike_ts_list mh_hoa = list1(ts6(135, 0, 0xffff, "2001:db8:1::100", "2001:db8:1::100"));
	struct ike_ts_list mh_any = list1(ts6(135, 0, 0xffff, ANY_LO, ANY_HI));
	o = policy(c, "mn1.example.org", &mh_hoa, &mh_any, true);
	ck_assert_int_eq(o.rc, 0);
	ck_assert_int_eq(o.slot, MIP6IKE_SLOT_HOTI_HOT);
	ck_assert(!o.transport);
	expected(MIP6IKE_SLOT_BU_BA, "2001:db8:1::100", "2001:db8:1::1", &i, &r);
	ck_assert_int_eq(policy(c, "mn1.example.org", &i, &r, false).rc, M6E_PERM);
	expected(MIP6IKE_SLOT_MPS_MPA, "2001:db8:1::100", "2001:db8:1::1", &i, &r);
	ck_assert_int_eq(policy(c, "mn1.example.org", &i, &r, false).rc, M6E_PERM);
	conf_free(c);
}
END_TEST

/* ID_IPV6_ADDR identities (R4877-7.3.b) match the binary address. */
START_TEST(pad_ipv6_identity)
{
	struct conf *c = load_text(
		"home-agent = { home-link = \"eth0\"; address = \"2001:db8:1::1\"; home-prefixes = [ \"2001:db8:1::/64\" ];"
		" mobile-nodes = ( { identity = \"2001:db8:1::100\"; identity-type = \"ipv6\";"
		" home-address = \"2001:db8:1::100\"; } ); };"
		" interfaces = ( { name = \"eth0\"; kind = \"home-link\"; } );");
	struct ikesa_id id = { .type = IKE_ID_IPV6_ADDR, .len = 16 };
	struct in6_addr hoa = A("2001:db8:1::100"), other = A("2001:db8:1::101");
	memcpy(id.data, hoa.s6_addr, 16);
	ck_assert(mip6ike_pad_allows(c, &id, &hoa));
	ck_assert(!mip6ike_pad_allows(c, &id, &other));
	memcpy(id.data, other.s6_addr, 16);
	ck_assert(!mip6ike_pad_allows(c, &id, &hoa));
	struct in6_addr out[4];
	ck_assert_uint_eq(mip6ike_pad_hoas(c, &id, out, 4), 0);
	conf_free(c);
}
END_TEST

/* ---- HA: configuration payload ---- */

static struct ike_cp cp_req(uint16_t t1, const uint8_t *v1, size_t l1, uint16_t t2)
{
	struct ike_cp r;
	memset(&r, 0, sizeof(r));
	r.cfg_type = IKE_CFG_REQUEST;
	r.attr[r.n].type = t1;
	r.attr[r.n].value.ptr = v1;
	r.attr[r.n++].value.len = l1;
	if (t2 != 0)
		r.attr[r.n++].type = t2;
	return r;
}

START_TEST(cp_answer)
{
	struct conf *c = load("etc/examples/home-agent.conf");
	struct ikesa_id mn1, nobody;
	set_id(&mn1, IKE_ID_FQDN, "mn1.example.org");
	set_id(&nobody, IKE_ID_FQDN, "nobody.example.org");
	struct mip6ike_cp_reply rep;
	struct in6_addr a;
	uint8_t plen = 0;

	/* Empty INTERNAL_IP6_ADDRESS (R4877-9.a) and MIP6_HOME_PREFIX
	 * (R5026-5.3.2.b; home-agent.conf has assign-home-prefix on). */
	struct ike_cp req = cp_req(IKE_CP_INTERNAL_IP6_ADDRESS, NULL, 0, IKE_CP_MIP6_HOME_PREFIX);
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &mn1, &req, &rep), 0);
	ck_assert_uint_eq(rep.cp.cfg_type, IKE_CFG_REPLY);
	ck_assert_uint_eq(rep.cp.n, 2);
	ck_assert_uint_eq(rep.cp.attr[0].type, IKE_CP_INTERNAL_IP6_ADDRESS);
	ck_assert_int_eq(ike_cp_attr_ip6_addr(&rep.cp.attr[0], &a, &plen), 0);
	char buf[ADDR_STRLEN];
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "2001:db8:1::100");
	ck_assert_uint_eq(plen, 64);
	/* RFC 5026 8.2: lifetime 86400 (ike-lifetime), prefix, length 64. */
	uint8_t want_pfx[21];
	size_t wl = tu_hex("00015180 20010db8000100000000000000000000 40", want_pfx, sizeof(want_pfx));
	tu_assert_mem_eq(rep.cp.attr[1].value.ptr, rep.cp.attr[1].value.len, want_pfx, wl);

	/* mn1 suggests mn2's address: it gets its own (R4877-9.e). */
	uint8_t sug[IKE_CP_IP6_ADDRESS_LEN];
	struct in6_addr mn2 = A("2001:db8:1::200");
	ike_cp_ip6_addr_value(sug, &mn2, 64);
	req = cp_req(IKE_CP_INTERNAL_IP6_ADDRESS, sug, sizeof(sug), 0);
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &mn1, &req, &rep), 0);
	ck_assert_uint_eq(rep.cp.n, 1);
	ck_assert_int_eq(ike_cp_attr_ip6_addr(&rep.cp.attr[0], &a, &plen), 0);
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "2001:db8:1::100");
	/* ... and mn2 suggesting it gets it. */
	struct ikesa_id id2;
	set_id(&id2, IKE_ID_FQDN, "mn2.example.org");
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &id2, &req, &rep), 0);
	ck_assert_int_eq(ike_cp_attr_ip6_addr(&rep.cp.attr[0], &a, &plen), 0);
	ck_assert_str_eq(addr_fmt(&a, buf, sizeof(buf)), "2001:db8:1::200");

	/* Unknown identity: INTERNAL_ADDRESS_FAILURE (R4877-9.f). */
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &nobody, &req, &rep), M6E_PERM);
	/* Not a request. */
	req.cfg_type = IKE_CFG_SET;
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &mn1, &req, &rep), M6E_PROTO);
	/* Only DNS asked: nothing to answer. */
	req = cp_req(IKE_CP_INTERNAL_IP6_DNS, NULL, 0, 0);
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &mn1, &req, &rep), 0);
	ck_assert_uint_eq(rep.cp.n, 0);
	conf_free(c);

	/* The lab HA does not assign prefixes: only the address. */
	c = load("etc/examples/lab/home-agent.conf");
	set_id(&mn1, IKE_ID_FQDN, "mn1.lab");
	req = cp_req(IKE_CP_INTERNAL_IP6_ADDRESS, NULL, 0, IKE_CP_MIP6_HOME_PREFIX);
	ck_assert_int_eq(mip6ike_ha_cp_answer(c, &mn1, &req, &rep), 0);
	ck_assert_uint_eq(rep.cp.n, 1);
	ck_assert_uint_eq(rep.cp.attr[0].type, IKE_CP_INTERNAL_IP6_ADDRESS);
	conf_free(c);
}
END_TEST

/* ---- classify ---- */

static struct ikesa_child child_of(const struct mip6ike_request *r, bool initiator)
{
	struct ikesa_child ch;
	memset(&ch, 0, sizeof(ch));
	ch.initiator = initiator;
	ch.transport = r->transport;
	ch.tsi = r->tsi;
	ch.tsr = r->tsr;
	return ch;
}

/* Every plan entry classifies back to its slot on the MN (initiator) and
 * on the HA (responder), with the home address as the MN side. */
START_TEST(classify_round_trip)
{
	struct mip6ike_plan p;
	struct conf *c = load_plan("etc/examples/lab/mobile-node.conf", &p);
	const struct conf_mobile_node *mn = conf_mobile_node(c);
	ck_assert_uint_eq(p.n, MIP6IKE_SLOT_COUNT);
	for (size_t i = 0; i < p.n; i++) {
		enum mip6ike_slot s = MIP6IKE_SLOT_COUNT;
		struct in6_addr hoa;
		struct ikesa_child on_mn = child_of(&p.req[i], true), on_ha = child_of(&p.req[i], false);
		ck_assert_int_eq(mip6ike_classify(&on_mn, false, &s), 0);
		ck_assert_int_eq(s, p.req[i].slot);
		ck_assert_int_eq(mip6ike_classify(&on_ha, true, &s), 0);
		ck_assert_int_eq(s, p.req[i].slot);
		ck_assert_int_eq(mip6ike_child_hoa(&on_mn, false, &hoa), 0);
		ck_assert(addr_eq(&hoa, &mn->home_address));
		ck_assert_int_eq(mip6ike_child_hoa(&on_ha, true, &hoa), 0);
		ck_assert(addr_eq(&hoa, &mn->home_address));
		/* The mode is part of the slot. */
		on_mn.transport = !on_mn.transport;
		ck_assert_int_eq(mip6ike_classify(&on_mn, false, &s), M6E_NOTFOUND);
		/* Seen from the wrong role the HoA side is "any" or the HA. */
		struct ikesa_child swapped = child_of(&p.req[i], true);
		if (p.req[i].slot != MIP6IKE_SLOT_BU_BA && p.req[i].slot != MIP6IKE_SLOT_MPS_MPA)
			ck_assert_int_eq(mip6ike_classify(&swapped, true, &s), M6E_NOTFOUND);
	}
	conf_free(c);
}
END_TEST

/* The HA initiating the RR SA (R4877-7.3.e): TSi its side, TSr the HoA. A
 * peer that narrowed BU/BA to one type per side still fills BU/BA. Other
 * shapes are not ours. */
START_TEST(classify_other_shapes)
{
	const char *hoa = "2001:db8:1::100", *ha = "2001:db8:1::1";
	struct mip6ike_request r;
	enum mip6ike_slot s;
	struct in6_addr got;
	memset(&r, 0, sizeof(r));
	expected(MIP6IKE_SLOT_HOTI_HOT, hoa, ha, &r.tsr, &r.tsi); /* swapped: HA initiates */
	struct ikesa_child ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, true, &s), 0);
	ck_assert_int_eq(s, MIP6IKE_SLOT_HOTI_HOT);
	ck_assert_int_eq(mip6ike_child_hoa(&ch, true, &got), 0);
	ch = child_of(&r, false);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), 0);
	ck_assert_int_eq(s, MIP6IKE_SLOT_HOTI_HOT);

	r.transport = true;
	r.tsi = list1(ts6(135, 0x0500, 0x0500, hoa, hoa));
	r.tsr = list1(ts6(135, 0x0600, 0x0600, ha, ha));
	ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), 0);
	ck_assert_int_eq(s, MIP6IKE_SLOT_BU_BA);

	/* BU/BA range reaching Binding Error (7). */
	r.tsi = list1(ts6(135, 0x0500, 0x0700, hoa, hoa));
	r.tsr = list1(ts6(135, 0x0500, 0x0700, ha, ha));
	ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), M6E_NOTFOUND);
	/* TCP, transport. */
	r.tsi = list1(ts6(6, 0, 0xffff, hoa, hoa));
	r.tsr = list1(ts6(6, 0, 0xffff, ha, ha));
	ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), M6E_NOTFOUND);
	/* Payload with the MN side a range. */
	r.transport = false;
	r.tsi = list1(ts6(0, 0, 0xffff, "2001:db8:1::", "2001:db8:1::ffff"));
	r.tsr = list1(ts6(0, 0, 0xffff, ANY_LO, ANY_HI));
	ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), M6E_NOTFOUND);
	ck_assert_int_eq(mip6ike_child_hoa(&ch, false, &got), M6E_NOTFOUND);
	/* Empty lists. */
	memset(&r.tsi, 0, sizeof(r.tsi));
	ch = child_of(&r, true);
	ck_assert_int_eq(mip6ike_classify(&ch, false, &s), M6E_NOTFOUND);
}
END_TEST

/* ---- the TS on the wire ---- */

/* The plan's BU/BA TSi and MPS/MPA TSr as IKEv2 TS payloads (RFC 7296
 * 3.13, wire-formats.md I.13), hand-computed:
 *   generic header  00 (no next) 00 (C=0) LLLL
 *   TS payload      NN 000000
 *   each selector   08 (TS_IPV6_ADDR_RANGE) PP (protocol) 0028 (40)
 *                   start port, end port, start address, end address
 * with the MH type / ICMPv6 type|code in the port (R4877-4.3.a/b,
 * R7296-3.13.1.a): BU 5 -> 0x0500, BA 6 -> 0x0600, MPS 146/0 -> 0x9200,
 * MPA 147/0 -> 0x9300; protocol 135 (0x87) MH, 58 (0x3a) ICMPv6. This is
 * what tshark shows as "Start Port: 1280, End Port: 1536" for BU/BA. Then
 * parsed back: the same selectors. */
START_TEST(ts_wire_bytes)
{
	struct mip6ike_plan p;
	struct conf *c = load_plan("etc/examples/mobile-node.conf", &p);
	static const char *const want_hex[2] = {
		"00000030 01000000"
		"08870028 05000600 20010db8000100000000000000000100 20010db8000100000000000000000100",
		"00000058 02000000"
		"083a0028 92009200 20010db8000100000000000000000001 20010db8000100000000000000000001"
		"083a0028 93009300 20010db8000100000000000000000001 20010db8000100000000000000000001",
	};
	const struct ike_ts_list *lists[2] = { &p.req[0].tsi, &p.req[1].tsr };
	const uint8_t types[2] = { IKE_PL_TSI, IKE_PL_TSR };
	for (int k = 0; k < 2; k++) {
		uint8_t buf[256], want[128];
		struct wbuf w;
		struct ike_builder b;
		uint8_t first = 0;
		size_t len = 0;
		wbuf_init(&w, buf, sizeof(buf));
		ike_build_inner_begin(&b, &w);
		ike_build_ts(&b, types[k], lists[k]);
		ck_assert_int_eq(ike_build_inner_end(&b, &first, &len), 0);
		ck_assert_uint_eq(first, types[k]);
		size_t wl = tu_hex(want_hex[k], want, sizeof(want));
		tu_assert_mem_eq(buf, len, want, wl);

		struct ike_chain ch;
		struct ike_diag d;
		struct ike_ts_list back;
		ck_assert_int_eq(ike_parse_chain(first, buf, len, true, &ch, &d), 0);
		ck_assert_int_eq(ike_parse_ts(&ch.pl[0], &back, &d), 0);
		assert_ts_list_eq(&back, lists[k]);
	}
	conf_free(c);
}
END_TEST

/* ---- tier 2: two engines, the HA's policy is mip6ike ---- */

static struct pair_ctx ctx;
static struct conf *t2_ha_conf;
static enum mip6ike_slot t2_slot;
static unsigned t2_policy_calls;

static int t2_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
			const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
			struct ike_ts_list *out_tsr)
{
	(void)arg;
	t2_policy_calls++;
	return mip6ike_ha_ts_policy(t2_ha_conf, peer, tsi, tsr, transport, out_tsi, out_tsr, &t2_slot);
}

static struct ikesa_ops t2_ops;

/* pair_deliver() with our ops (the harness's are fixed to its own policy). */
static void t2_run(void)
{
	struct pair_side *m = &ctx.side[PAIR_MN], *h = &ctx.side[PAIR_HA];
	ck_assert_int_eq(ikesa_new_initiator(&m->sa, &ctx.params[PAIR_MN], &t2_ops, m, &m->path), 0);
	m->all[m->n_all++] = m->sa; /* pair_fini() frees what all[] holds */
	ck_assert_int_eq(ikesa_start(m->sa, ctx.now), 0);
	static struct pair_dgram d;
	for (unsigned i = 0; i < 16 && pair_pop(&ctx, &d) == 0; i++) {
		struct pair_side *s = &ctx.side[d.to];
		if (d.to == PAIR_HA && h->sa == NULL) {
			if (ikesa_accept(ctx.gate, &ctx.params[PAIR_HA], &t2_ops, s, 0, d.b, d.len, &s->path, ctx.now,
					 &h->sa) == 0)
				h->all[h->n_all++] = h->sa;
		} else if (s->sa != NULL) {
			ikesa_input(s->sa, d.b, d.len, &s->path, ctx.now);
		}
	}
}

static void t2_setup(void)
{
	ck_assert_int_eq(pair_init(&ctx, 7), 0);
	t2_ops = pair_ops;
	t2_ops.ts_policy = t2_ts_policy;
	t2_policy_calls = 0;
	t2_slot = MIP6IKE_SLOT_COUNT;
	t2_ha_conf = load("etc/examples/home-agent.conf");
	/* The MN: mn1 of the example, asking with its plan's first request. */
	set_id(&ctx.params[PAIR_MN].local_id, IKE_ID_FQDN, "mn1.example.org");
	set_id(&ctx.params[PAIR_MN].remote_id, IKE_ID_FQDN, "ha.example.org");
	set_id(&ctx.params[PAIR_HA].local_id, IKE_ID_FQDN, "ha.example.org");
}

static void t2_teardown(void)
{
	conf_free(t2_ha_conf);
	pair_fini(&ctx);
}

static void t2_use_plan(const char *hoa_text)
{
	struct conf *mc = load("etc/examples/mobile-node.conf");
	struct in6_addr hoa = A(hoa_text);
	struct mip6ike_plan p;
	ck_assert_int_eq(mip6ike_mn_plan(mc, &hoa, &conf_mobile_node(mc)->ha_address, &p), 0);
	ck_assert_int_eq(p.req[0].exchange, MIP6IKE_EXCH_IKE_AUTH);
	ctx.params[PAIR_MN].tsi = p.req[0].tsi;
	ctx.params[PAIR_MN].tsr = p.req[0].tsr;
	ctx.params[PAIR_MN].transport = p.req[0].transport;
	conf_free(mc);
}

START_TEST(t2_own_home_address)
{
	t2_use_plan("2001:db8:1::100");
	t2_run();
	struct pair_side *m = &ctx.side[PAIR_MN], *h = &ctx.side[PAIR_HA];
	ck_assert_int_eq(ikesa_state(m->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(h->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(t2_policy_calls, 1);
	ck_assert_int_eq(t2_slot, MIP6IKE_SLOT_BU_BA);
	ck_assert_uint_eq(m->n_child_up, 1);
	ck_assert_uint_eq(h->n_child_up, 1);
	ck_assert_uint_eq(m->n_child_failed, 0);
	ck_assert(m->child.transport && h->child.transport);
	struct ike_ts_list wi, wr;
	expected(MIP6IKE_SLOT_BU_BA, "2001:db8:1::100", "2001:db8:1::1", &wi, &wr);
	assert_ts_list_eq(&m->child.tsi, &wi);
	assert_ts_list_eq(&m->child.tsr, &wr);
	assert_ts_list_eq(&h->child.tsi, &wi);
	assert_ts_list_eq(&h->child.tsr, &wr);
	/* child_up on either side installs it as the BU/BA pair of mn1. */
	enum mip6ike_slot s;
	struct in6_addr hoa;
	ck_assert_int_eq(mip6ike_classify(&m->child, false, &s), 0);
	ck_assert_int_eq(s, MIP6IKE_SLOT_BU_BA);
	ck_assert_int_eq(mip6ike_classify(&h->child, true, &s), 0);
	ck_assert_int_eq(s, MIP6IKE_SLOT_BU_BA);
	ck_assert_int_eq(mip6ike_child_hoa(&h->child, true, &hoa), 0);
	ck_assert(mip6ike_pad_allows(t2_ha_conf, &h->child.peer_id, &hoa));
}
END_TEST

START_TEST(t2_foreign_home_address)
{
	t2_use_plan("2001:db8:1::200"); /* mn2's, asked by mn1 */
	t2_run();
	struct pair_side *m = &ctx.side[PAIR_MN], *h = &ctx.side[PAIR_HA];
	ck_assert_uint_eq(t2_policy_calls, 1);
	ck_assert_uint_eq(m->n_child_failed, 1);
	ck_assert_uint_eq(m->child_failed, IKE_N_TS_UNACCEPTABLE);
	ck_assert_uint_eq(m->n_child_up, 0);
	ck_assert_uint_eq(h->n_child_up, 0);
	/* R7296-1.3.1.c: the IKE SA stays up on both sides. */
	ck_assert_int_eq(ikesa_state(m->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(h->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(m->n_ike_up, 1);
	ck_assert_uint_eq(h->n_ike_up, 1);
	ck_assert_uint_eq(m->n_ike_down + h->n_ike_down, 0);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(mip6ike_slot_name(MIP6IKE_SLOT_BU_BA), "BU/BA");
	ck_assert_str_eq(mip6ike_slot_name(MIP6IKE_SLOT_MPS_MPA), "MPS/MPA");
	ck_assert_str_eq(mip6ike_slot_name(MIP6IKE_SLOT_HOTI_HOT), "HoTI/HoT");
	ck_assert_str_eq(mip6ike_slot_name(MIP6IKE_SLOT_PAYLOAD), "payload");
	ck_assert_str_eq(mip6ike_slot_name(MIP6IKE_SLOT_COUNT), "unknown");
}
END_TEST

static Suite *mip6ike_suite(void)
{
	Suite *s = suite_create("mip6ike");
	TCase *tc = tcase_create("policy");
	tcase_add_test(tc, plan_example_mn);
	tcase_add_test(tc, plan_lab_mn);
	tcase_add_test(tc, plan_no_ro_and_errors);
	tcase_add_test(tc, plan_cp_home_address);
	tcase_add_test(tc, pad_accepts_every_plan_entry);
	tcase_add_test(tc, pad_refuses);
	tcase_add_test(tc, pad_narrows);
	tcase_add_test(tc, pad_modes);
	tcase_add_test(tc, pad_ipv6_identity);
	tcase_add_test(tc, cp_answer);
	tcase_add_test(tc, classify_round_trip);
	tcase_add_test(tc, classify_other_shapes);
	tcase_add_test(tc, ts_wire_bytes);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	TCase *t2 = tcase_create("engines");
	tcase_add_checked_fixture(t2, t2_setup, t2_teardown);
	tcase_add_test(t2, t2_own_home_address);
	tcase_add_test(t2, t2_foreign_home_address);
	suite_add_tcase(s, t2);
	return s;
}

int main(void)
{
	return tu_run_suite(mip6ike_suite());
}
