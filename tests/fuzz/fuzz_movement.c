/*
 * Fuzz target for the movement engine (src/mip6/movement.c): the input is a
 * program of kernel and RA events on a fake clock, as the rtnetlink adapter
 * would deliver them, in any order. After every step the engine's decision
 * must be consistent with its inputs:
 *   - state away <=> a CoA is held; home and detached hold none;
 *   - the CoA is a non-tentative, global, non-home address on an up
 *     interface (the movement.h candidate rule);
 *   - coa_changed never reports old == new, and its old is the previous CoA;
 *   - returned_home only when not already home; left_home only from home;
 *   - move_next_timeout() lies in the future.
 *
 * Layout: byte 0 hold (x 10 ms), byte 1 bit 0 home_needs_router, then
 * opcodes (op % 7) with operands:
 *   0 link     IF UP          3 router   IF R ADD       6 tick at next_timeout
 *   1 addr add IF A FL PL VL  4 RA       IF LIFE PFX
 *   2 addr del IF A           5 +ms      HI LO
 * IF = 1 + byte % 6, A = byte % 8 (address pool below), PL/VL lifetimes in
 * seconds (255: infinite). Seeds: tests/fuzz/mkcorpus_movement.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "mip6/movement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pool[8] = {
	"2001:db8:1::55", "2001:db8:a::1", "2001:db8:a::2", "2001:db8:b::2",
	"2001:db8:c::3",  "fe80::1",       "2001:db8:aa::1", "::",
};
static const char *const pfx[4] = {
	"2001:db8:1::/64", "2001:db8:a::/64", "2001:db8:aa::/64", "2001:db8:b::/64",
};
static const char *const names[6] = { "eth0", "wlan0", "wwan0", "usb0", "tun9", NULL };

struct fz {
	struct move *m;
	bool has;
	struct in6_addr coa;
	unsigned ifx;
};

static void fz_coa(void *arg, const struct in6_addr *old, const struct in6_addr *coa,
		   unsigned ifindex, const char *reason)
{
	struct fz *z = arg;

	if (!reason || (old != NULL) != z->has || (old && !addr_eq(old, &z->coa)))
		abort();
	if (old && coa && addr_eq(old, coa) && ifindex == z->ifx)
		abort();
	if (!old && !coa)
		abort();
	if ((coa == NULL) != (ifindex == 0))
		abort();
	z->has = coa != NULL;
	z->ifx = ifindex;
	if (coa)
		z->coa = *coa;
}

static void fz_home(void *arg, unsigned ifindex, const char *reason)
{
	struct fz *z = arg;

	if (!reason || ifindex == 0 || z->m->state != MOVE_ST_HOME)
		abort();
	z->has = false; /* home drops the CoA without a coa_changed */
	z->ifx = 0;
}

static void fz_left(void *arg, const char *reason)
{
	struct fz *z = arg;

	if (!reason || z->m->state == MOVE_ST_HOME)
		abort();
}

static const struct move_ops fz_ops = { fz_coa, fz_home, fz_left };

static void fz_check(const struct move *m, const struct fz *z, uint64_t now)
{
	const struct move_if *f = NULL;
	unsigned ifx = 0;
	const struct in6_addr *coa = move_coa(m, &ifx);
	size_t i;
	bool found = false;

	if ((m->state == MOVE_ST_AWAY) != (coa != NULL) ||
	    (m->state == MOVE_ST_START) != (m->events == 0))
		abort();
	if ((coa != NULL) != z->has || (coa && !addr_eq(coa, &z->coa)))
		abort();
	if (move_next_timeout(m, now) <= now)
		abort();
	if (!coa)
		return;
	for (i = 0; i < MOVE_IF_MAX; i++)
		if (m->ifs[i].used && m->ifs[i].ifindex == ifx)
			f = &m->ifs[i];
	if (!f || !f->up || prefix_contains(&m->p.home_prefix, coa) ||
	    !addr_is_unicast_routable(coa))
		abort();
	for (i = 0; i < f->n_addrs; i++)
		if (addr_eq(&f->addrs[i].a.addr, coa) &&
		    !(f->addrs[i].a.flags & (MOVE_AF_TENTATIVE | MOVE_AF_DADFAILED)))
			found = true;
	if (!found)
		abort();
}

static uint32_t fz_life(uint8_t b)
{
	return b == 255 ? MOVE_LIFETIME_INFINITE : b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct move_params p;
	struct move m;
	struct fz z;
	uint64_t now = 0;
	size_t at = 2;

	if (size < 2)
		return 0;
	memset(&p, 0, sizeof(p));
	memset(&z, 0, sizeof(z));
	z.m = &m;
	addr_parse("2001:db8:1::", &p.home_prefix.addr);
	p.home_prefix.len = 64;
	memcpy(p.pref[0], "eth0", 5);
	memcpy(p.pref[1], "wlan0", 6);
	memcpy(p.pref[2], "wwan0", 6);
	p.n_pref = 3;
	p.hold_ms = data[0] * 10u;
	p.home_needs_router = data[1] & 1;
	if (move_init(&m, &p, &fz_ops, &z) != 0)
		abort();

	/* each opcode takes at most 5 operand bytes */
	while (at + 6 <= size) {
		uint8_t op = data[at] % 7;
		const uint8_t *o = data + at + 1;
		unsigned ifx = 1u + o[0] % 6u;
		struct in6_addr a, r;
		struct move_addr ma;
		struct move_ra ra;
		uint64_t t;

		at += 6;
		addr_parse(pool[o[1] % 8], &a);
		switch (op) {
		case 0:
			move_link(&m, now, ifx, names[ifx - 1], o[1] & 1);
			break;
		case 1:
			memset(&ma, 0, sizeof(ma));
			ma.addr = a;
			ma.plen = 64;
			ma.flags = o[2] & 7u;
			ma.scope = o[2] & 8u ? MOVE_SCOPE_LINK : MOVE_SCOPE_GLOBAL;
			ma.preferred_s = fz_life(o[3]);
			ma.valid_s = fz_life(o[4]);
			move_addr_add(&m, now, ifx, &ma);
			break;
		case 2:
			move_addr_del(&m, now, ifx, &a);
			break;
		case 3:
			addr_parse(o[2] & 1 ? "fe80::1" : "fe80::2", &r);
			move_router(&m, now, ifx, &r, o[3] & 1);
			break;
		case 4:
			memset(&ra, 0, sizeof(ra));
			ra.ifindex = ifx;
			addr_parse("fe80::1", &ra.router);
			ra.router_lifetime_s = o[1];
			ra.n_prefixes = o[2] % 3;
			prefix_parse(pfx[o[3] % 4], &ra.prefixes[0], false);
			prefix_parse(pfx[o[4] % 4], &ra.prefixes[1], false);
			move_ra_input(&m, now, &ra);
			break;
		case 5:
			now += (uint64_t)o[0] << 8 | o[1];
			break;
		default:
			t = move_next_timeout(&m, now);
			if (t != UINT64_MAX) {
				now = t;
				move_tick(&m, now);
			}
			break;
		}
		fz_check(&m, &z, now);
	}
	return 0;
}
