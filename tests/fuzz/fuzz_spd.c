/*
 * fuzz_spd: the SPD index against a linear first-match, on entry sets and
 * packets the fuzzer chooses, plus spd_pkt_peek() on arbitrary upper-layer
 * bytes and the inbound check's verdicts against the same reference.
 *
 * Input (see mkcorpus_spd.py):
 *   byte 0          number of entries (mod 48)
 *   13 bytes/entry  flags (dir bit 0, active bit 1, action bits 2-3, delete
 *                   bit 4), priority, src addr, src len, dst addr, dst len,
 *                   proto code, sel a, sel b, sel c, ifid, sa index, spare
 *   rest            packets of 9 bytes: proto, src addr, dst addr, ifid,
 *                   l4 length, 4 l4 bytes
 * An "addr" byte picks 2001:db8:<bits 0-1>:<bits 2-3>::<bits 4-7>, a small
 * universe so prefixes overlap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "ipsec/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRY_LEN 13
#define PKT_LEN 9
#define MAX_ENTRIES 48

static struct in6_addr addr_from(uint8_t b)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } };
	a.s6_addr[5] = b & 3;
	a.s6_addr[7] = (b >> 2) & 3;
	a.s6_addr[15] = b >> 4;
	return a;
}

static const int protos[] = { SPD_ANY, 6, 17, 58, 135, 50, 132, 41 };

static void sel_from(const uint8_t *e, struct spd_sel *s)
{
	*s = (struct spd_sel){ .proto = protos[e[6] & 7], .sport = SPD_ANY, .dport = SPD_ANY,
			       .mh_type = SPD_ANY, .icmp_type = SPD_ANY, .icmp_code = SPD_ANY };
	s->src = (struct prefix6){ .addr = addr_from(e[2]), .len = e[3] % 129u };
	s->dst = (struct prefix6){ .addr = addr_from(e[4]), .len = e[5] % 129u };
	/* Upper-layer selectors only where spd_add() allows them, most of the
	 * time; the rest exercises its refusals. */
	bool strict = (e[6] & 0x80) == 0;
	int p = s->proto;
	if ((!strict || p == 6 || p == 17 || p == 132) && (e[6] & 0x08))
		s->sport = e[7] & 3;
	if ((!strict || p == 6 || p == 17 || p == 132) && (e[6] & 0x10))
		s->dport = e[8] & 3;
	if ((!strict || p == 135) && (e[6] & 0x20))
		s->mh_type = e[7] & 7;
	if ((!strict || p == 58) && (e[6] & 0x40)) {
		s->icmp_type = 128 + (e[8] & 3);
		if (e[9] & 1)
			s->icmp_code = (e[9] >> 1) & 1;
	}
	s->ifid = e[10] & 3;
}

struct ref {
	struct spd_entry *v[MAX_ENTRIES];
	size_t n;
};

static void collect(struct spd_entry *e, void *arg)
{
	struct ref *r = arg;
	if (r->n >= MAX_ENTRIES)
		abort();
	r->v[r->n++] = e;
}

static struct spd_entry *ref_lookup(const struct ref *r, enum spd_dir dir, const struct spd_pkt *p)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->dir == dir && r->v[i]->active && spd_sel_match(&r->v[i]->sel, p))
			return r->v[i];
	return NULL;
}

/* The inbound check's verdict for a protected packet, by its definition. */
static enum spd_drop ref_inbound(const struct ref *r, const struct spd_pkt *p, const struct sa *sa)
{
	struct spd_entry *first = ref_lookup(r, SPD_DIR_IN, p);
	if (!sa) {
		if (!first)
			return SPD_DROP_NO_POLICY;
		return first->action == SPD_BYPASS ? SPD_DROP_NONE :
		       first->action == SPD_DISCARD ? SPD_DROP_DISCARD : SPD_DROP_UNPROTECTED;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct spd_entry *e = r->v[i];
		if (e->dir != SPD_DIR_IN || !e->active || !spd_sel_match(&e->sel, p))
			continue;
		if (e->action == SPD_PROTECT && e->protect.sa != sa)
			continue;
		if (e->action == SPD_PROTECT)
			return SPD_DROP_NONE;
		if (first->action == SPD_PROTECT)
			return SPD_DROP_WRONG_SA;
		return e->action == SPD_DISCARD ? SPD_DROP_DISCARD : SPD_DROP_NOT_PROTECT;
	}
	return first && first->action == SPD_PROTECT ? SPD_DROP_WRONG_SA : SPD_DROP_NO_POLICY;
}

static struct sa sas[4] = {
	{ .spi = 0x100, .mode = SA_MODE_TRANSPORT }, { .spi = 0x200, .mode = SA_MODE_TUNNEL },
	{ .spi = 0x300, .mode = SA_MODE_TRANSPORT }, { .spi = 0x400, .mode = SA_MODE_TUNNEL },
};

static void check_packets(const struct spd *spd, const struct ref *r, const uint8_t *data, size_t size)
{
	for (size_t off = 0; off + PKT_LEN <= size; off += PKT_LEN) {
		const uint8_t *q = data + off;
		struct spd_pkt p = { .src = addr_from(q[1]), .dst = addr_from(q[2]), .ifid = q[3] & 3 };
		spd_pkt_peek(&p, q[0], q + 5, q[4] % 5u);
		for (int d = 0; d < 2; d++)
			if (spd_lookup(spd, (enum spd_dir)d, &p) != ref_lookup(r, (enum spd_dir)d, &p))
				abort();
		for (int k = -1; k < 4; k++) {
			const struct sa *sa = k < 0 ? NULL : &sas[k];
			struct spd_entry *e = NULL;
			enum spd_drop why;
			int rc = spd_check_inbound(spd, &p, sa, &e, &why);
			if (why != ref_inbound(r, &p, sa) || (rc == 0) != (why == SPD_DROP_NONE) || (rc == 0) != (e != NULL))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		log_open(LOG_TO_STDERR, LOG_LVL_ERR, 0, "fuzz_spd");
		quiet = true;
	}
	/* The peek alone on the raw input, for every protocol it knows. */
	static const uint8_t peek_protos[] = { 6, 17, 58, 132, 135, 50 };
	for (size_t i = 0; i < sizeof(peek_protos); i++) {
		struct spd_pkt p;
		spd_pkt_peek(&p, peek_protos[i], data, size);
	}
	if (size < 1)
		return 0;
	size_t n = data[0] % MAX_ENTRIES;
	if (1 + n * ENTRY_LEN > size)
		n = (size - 1) / ENTRY_LEN;
	struct spd *spd;
	if (spd_new(&spd) < 0)
		return 0;
	struct spd_entry *added[MAX_ENTRIES] = { 0 };
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = data + 1 + i * ENTRY_LEN;
		struct spd_entry_params p = {
			.dir = (enum spd_dir)(e[0] & 1),
			.active = (e[0] & 2) != 0,
			.action = (enum spd_action)((e[0] >> 2) & 3), /* 3 is refused */
			.priority = e[1] & 3,
		};
		sel_from(e, &p.sel);
		if (p.action == SPD_PROTECT)
			p.protect.sa = &sas[e[11] & 3];
		if (spd_add(spd, &p, &added[i]) < 0)
			added[i] = NULL;
	}
	const uint8_t *pkts = data + 1 + n * ENTRY_LEN;
	size_t plen = size - 1 - n * ENTRY_LEN;
	struct ref r = { .n = 0 };
	spd_foreach(spd, collect, &r);
	check_packets(spd, &r, pkts, plen);
	/* Delete the flagged entries and flip one SA, then check again. */
	for (size_t i = 0; i < n; i++)
		if (added[i] && (data[1 + i * ENTRY_LEN] & 0x10))
			if (spd_del(spd, added[i]) < 0)
				abort();
	spd_repoint(spd, &sas[0], &sas[1]);
	r.n = 0;
	spd_foreach(spd, collect, &r);
	check_packets(spd, &r, pkts, plen);
	spd_free(spd);
	return 0;
}
