/*
 * spd: ordered first-match Security Policy Database (RFC 4301 4.4.1).
 *
 * Index: an entry lives in exactly one "group", keyed by
 *   (direction, protocol bucket, side, prefix length, masked address)
 * where the protocol bucket is its next-protocol selector (256 for any) and
 * side/length name its most specific address selector (the longer of the
 * destination and source prefixes; length 0 means both are any). A group
 * holds its entries sorted by order. Each (direction, protocol bucket) keeps
 * the list of distinct (side, length) "shapes" present, so a lookup probes
 * one group per shape in the packet's protocol bucket and in the any bucket,
 * and in each group stops at the first full match (later entries of that
 * group cannot come first). The smallest order over the probes wins: exactly
 * the first match of a linear scan, in time proportional to the number of
 * shapes, not of entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "ipsec/spd.h"

#define PROTO_BUCKETS 257 /* 0..255 and any */
#define PB_ANY 256
#define SIDE_DST 0
#define SIDE_SRC 1

#define NH_TCP 6
#define NH_UDP 17
#define NH_ICMPV6 58
#define NH_SCTP 132
#define NH_MH 135

struct spd_group_idx {
	struct spd_group_idx *hnext;
	uint8_t dir, side, len;
	uint16_t pb;
	struct in6_addr key;
	struct spd_entry **ents; /* sorted by order */
	size_t n, cap;
};

struct spd_shape {
	uint8_t side, len;
	size_t refs; /* entries with this shape in this bucket */
};

struct spd_bucket {
	struct spd_shape *shapes;
	size_t n, cap;
};

struct spd_list {
	struct spd_entry **ents; /* sorted by order */
	size_t n, cap;
};

struct spd {
	struct spd_group_idx **table;
	size_t nbuckets, ngroups;
	struct spd_bucket pbuckets[2][PROTO_BUCKETS];
	struct spd_list all[2];
	uint32_t next_seq;
};

static const struct name_entry spd_dir_names[] = {
	{ SPD_DIR_OUT, "out" },
	{ SPD_DIR_IN, "in" },
};
static const struct name_entry spd_action_names[] = {
	{ SPD_DISCARD, "discard" },
	{ SPD_BYPASS, "bypass" },
	{ SPD_PROTECT, "protect" },
};
static const struct name_entry spd_drop_names[] = {
	{ SPD_DROP_NONE, "none" },
	{ SPD_DROP_NO_POLICY, "no matching policy" },
	{ SPD_DROP_DISCARD, "policy discard" },
	{ SPD_DROP_UNPROTECTED, "unprotected where policy says protect" },
	{ SPD_DROP_WRONG_SA, "protected by an SA the policy does not name" },
	{ SPD_DROP_NOT_PROTECT, "protected where policy says bypass" },
};
/* Short selector names (RFC 6275 6.1.2 MH types; RFC 4443, RFC 6275 6.5-6.6). */
static const struct name_entry spd_proto_names[] = {
	{ NH_TCP, "tcp" }, { NH_UDP, "udp" }, { 41, "ipv6" }, { 50, "esp" },
	{ NH_ICMPV6, "icmpv6" }, { NH_SCTP, "sctp" }, { NH_MH, "mh" },
};
static const struct name_entry spd_mh_names[] = {
	{ 0, "brr" }, { 1, "hoti" }, { 2, "coti" }, { 3, "hot" },
	{ 4, "cot" }, { 5, "bu" }, { 6, "ba" }, { 7, "be" },
};
static const struct name_entry spd_icmp_names[] = {
	{ 128, "echo-request" }, { 129, "echo-reply" }, { 144, "dhaad-request" },
	{ 145, "dhaad-reply" }, { 146, "mps" }, { 147, "mpa" },
};

const char *spd_dir_name(enum spd_dir d)
{
	return names_get(spd_dir_names, NAMES_COUNT(spd_dir_names), d);
}

const char *spd_action_name(enum spd_action a)
{
	return names_get(spd_action_names, NAMES_COUNT(spd_action_names), a);
}

const char *spd_drop_name(enum spd_drop r)
{
	return names_get(spd_drop_names, NAMES_COUNT(spd_drop_names), r);
}

static bool proto_has_ports(int proto)
{
	return proto == NH_TCP || proto == NH_UDP || proto == NH_SCTP;
}

/* Does prefix p (host bits ignored) contain a? */
static bool pfx_match(const struct prefix6 *p, const struct in6_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr.s6_addr, a->s6_addr, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return ((p->addr.s6_addr[full] ^ a->s6_addr[full]) & mask) == 0;
}

static void mask_addr(const struct in6_addr *a, unsigned len, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	unsigned full = len / 8, rest = len % 8;
	memcpy(out->s6_addr, a->s6_addr, full);
	if (rest)
		out->s6_addr[full] = a->s6_addr[full] & (uint8_t)(0xff00u >> rest);
}

bool spd_sel_match(const struct spd_sel *sel, const struct spd_pkt *pkt)
{
	if (sel->proto != SPD_ANY && sel->proto != pkt->proto)
		return false;
	if (sel->ifid != SPD_IFID_ANY && sel->ifid != pkt->ifid)
		return false;
	if (!pfx_match(&sel->dst, &pkt->dst) || !pfx_match(&sel->src, &pkt->src))
		return false;
	/* Upper-layer selectors: a specific value never matches a packet whose
	 * upper-layer header could not be read (RFC 4301 4.4.1.1, OPAQUE). */
	bool need_l4 = sel->sport != SPD_ANY || sel->dport != SPD_ANY || sel->mh_type != SPD_ANY ||
		       sel->icmp_type != SPD_ANY || sel->icmp_code != SPD_ANY;
	if (!need_l4)
		return true;
	if (!pkt->l4)
		return false;
	if (sel->sport != SPD_ANY && sel->sport != pkt->sport)
		return false;
	if (sel->dport != SPD_ANY && sel->dport != pkt->dport)
		return false;
	/* R4877-4.3.a: MH type as a selector. */
	if (sel->mh_type != SPD_ANY && sel->mh_type != pkt->mh_type)
		return false;
	/* R4877-4.3.b: ICMPv6 type and code as selectors. */
	if (sel->icmp_type != SPD_ANY && sel->icmp_type != pkt->icmp_type)
		return false;
	if (sel->icmp_code != SPD_ANY && sel->icmp_code != pkt->icmp_code)
		return false;
	return true;
}

void spd_pkt_peek(struct spd_pkt *p, uint8_t proto, const uint8_t *l4, size_t len)
{
	struct rbuf r;
	rbuf_init(&r, l4, len);
	p->proto = proto;
	p->l4 = false;
	p->sport = p->dport = 0;
	p->mh_type = p->icmp_type = p->icmp_code = 0;
	if (proto_has_ports(proto)) {
		/* TCP, UDP and SCTP all start with source and destination port. */
		p->l4 = rbuf_u16(&r, &p->sport) == 0 && rbuf_u16(&r, &p->dport) == 0;
	} else if (proto == NH_ICMPV6) {
		p->l4 = rbuf_u8(&r, &p->icmp_type) == 0 && rbuf_u8(&r, &p->icmp_code) == 0;
	} else if (proto == NH_MH) {
		/* MH: Payload Proto, Header Len, then MH Type (RFC 6275 6.1.1). */
		p->l4 = rbuf_peek_u8(&r, 2, &p->mh_type) == 0;
	}
	if (!p->l4)
		p->sport = p->dport = 0, p->mh_type = p->icmp_type = p->icmp_code = 0;
}

/* ---- index ---- */

static void entry_shape(const struct spd_entry *e, uint8_t *side, uint8_t *len,
			const struct in6_addr **addr)
{
	if (e->sel.src.len > e->sel.dst.len) {
		*side = SIDE_SRC;
		*len = (uint8_t)e->sel.src.len;
		*addr = &e->sel.src.addr;
	} else {
		*side = SIDE_DST;
		*len = (uint8_t)e->sel.dst.len;
		*addr = &e->sel.dst.addr;
	}
}

/* splitmix64's finaliser: every input bit reaches every output bit, so the
 * low bits used as the bucket index see the whole masked address. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static size_t group_hash(unsigned dir, unsigned pb, unsigned side, unsigned len,
			 const struct in6_addr *key)
{
	uint64_t h = mix64((uint64_t)dir << 40 | (uint64_t)pb << 16 | side << 8 | len);
	for (size_t i = 0; i < 16; i += 8) {
		uint64_t w;
		memcpy(&w, key->s6_addr + i, 8);
		h = mix64(h ^ w);
	}
	return (size_t)h;
}

static struct spd_group_idx *group_find(const struct spd *spd, unsigned dir, unsigned pb,
					unsigned side, unsigned len, const struct in6_addr *key)
{
	if (!spd->nbuckets)
		return NULL;
	size_t b = group_hash(dir, pb, side, len, key) & (spd->nbuckets - 1);
	for (struct spd_group_idx *g = spd->table[b]; g; g = g->hnext)
		if (g->dir == dir && g->pb == pb && g->side == side && g->len == len &&
		    memcmp(&g->key, key, sizeof(*key)) == 0)
			return g;
	return NULL;
}

static int table_grow(struct spd *spd)
{
	size_t nb = spd->nbuckets ? spd->nbuckets * 2 : 64;
	struct spd_group_idx **t = calloc(nb, sizeof(*t));
	if (!t)
		return M6E_NOMEM;
	for (size_t i = 0; i < spd->nbuckets; i++) {
		struct spd_group_idx *g = spd->table[i];
		while (g) {
			struct spd_group_idx *next = g->hnext;
			size_t b = group_hash(g->dir, g->pb, g->side, g->len, &g->key) & (nb - 1);
			g->hnext = t[b];
			t[b] = g;
			g = next;
		}
	}
	free(spd->table);
	spd->table = t;
	spd->nbuckets = nb;
	return 0;
}

/* Insert e into the order-sorted array (*arr, *n, *cap). */
static int sorted_insert(struct spd_entry ***arr, size_t *n, size_t *cap, struct spd_entry *e)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct spd_entry **a = realloc(*arr, nc * sizeof(*a));
		if (!a)
			return M6E_NOMEM;
		*arr = a;
		*cap = nc;
	}
	/* Entries mostly arrive in order: search from the end. */
	size_t i = *n;
	while (i > 0 && (*arr)[i - 1]->order > e->order)
		i--;
	memmove(*arr + i + 1, *arr + i, (*n - i) * sizeof(**arr));
	(*arr)[i] = e;
	(*n)++;
	return 0;
}

/* Position of e in an order-sorted array, or n. */
static size_t sorted_find(struct spd_entry *const *arr, size_t n, const struct spd_entry *e)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (arr[mid]->order < e->order)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && arr[lo] == e ? lo : n;
}

static void sorted_remove(struct spd_entry **arr, size_t *n, size_t i)
{
	memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(*arr));
	(*n)--;
}

static unsigned entry_pb(const struct spd_entry *e)
{
	return e->sel.proto == SPD_ANY ? PB_ANY : (unsigned)e->sel.proto;
}

static int shape_ref(struct spd_bucket *b, uint8_t side, uint8_t len)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->shapes[i].side == side && b->shapes[i].len == len) {
			b->shapes[i].refs++;
			return 0;
		}
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 4;
		struct spd_shape *s = realloc(b->shapes, nc * sizeof(*s));
		if (!s)
			return M6E_NOMEM;
		b->shapes = s;
		b->cap = nc;
	}
	b->shapes[b->n++] = (struct spd_shape){ .side = side, .len = len, .refs = 1 };
	return 0;
}

static void shape_unref(struct spd_bucket *b, uint8_t side, uint8_t len)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->shapes[i].side == side && b->shapes[i].len == len) {
			if (--b->shapes[i].refs == 0)
				b->shapes[i] = b->shapes[--b->n];
			return;
		}
}

static void group_unlink(struct spd *spd, struct spd_group_idx *g)
{
	size_t b = group_hash(g->dir, g->pb, g->side, g->len, &g->key) & (spd->nbuckets - 1);
	for (struct spd_group_idx **pp = &spd->table[b]; *pp; pp = &(*pp)->hnext)
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	spd->ngroups--;
	free(g->ents);
	free(g);
}

/* Put e into its group, creating the group and shape as needed. Nothing
 * changes on failure. */
static int index_add(struct spd *spd, struct spd_entry *e)
{
	uint8_t side, len;
	const struct in6_addr *addr;
	entry_shape(e, &side, &len, &addr);
	struct in6_addr key;
	mask_addr(addr, len, &key);
	unsigned pb = entry_pb(e);
	struct spd_group_idx *g = group_find(spd, e->dir, pb, side, len, &key);
	bool fresh = false;
	if (!g) {
		if (spd->ngroups + 1 > spd->nbuckets && table_grow(spd) < 0)
			return M6E_NOMEM;
		g = calloc(1, sizeof(*g));
		if (!g)
			return M6E_NOMEM;
		*g = (struct spd_group_idx){ .dir = (uint8_t)e->dir, .side = side, .len = len,
					     .pb = (uint16_t)pb, .key = key };
		fresh = true;
	}
	if (sorted_insert(&g->ents, &g->n, &g->cap, e) < 0)
		goto fail;
	if (shape_ref(&spd->pbuckets[e->dir][pb], side, len) < 0) {
		sorted_remove(g->ents, &g->n, sorted_find(g->ents, g->n, e));
		goto fail;
	}
	if (fresh) {
		size_t b = group_hash(g->dir, g->pb, side, len, &key) & (spd->nbuckets - 1);
		g->hnext = spd->table[b];
		spd->table[b] = g;
		spd->ngroups++;
	}
	e->idx = g;
	return 0;
fail:
	if (fresh) {
		free(g->ents);
		free(g);
	}
	return M6E_NOMEM;
}

static void index_del(struct spd *spd, struct spd_entry *e)
{
	struct spd_group_idx *g = e->idx;
	size_t i = sorted_find(g->ents, g->n, e);
	if (i < g->n)
		sorted_remove(g->ents, &g->n, i);
	shape_unref(&spd->pbuckets[g->dir][g->pb], g->side, g->len);
	if (!g->n)
		group_unlink(spd, g);
	e->idx = NULL;
}

/* ---- lifecycle ---- */

int spd_new(struct spd **out)
{
	struct spd *spd = calloc(1, sizeof(*spd));
	if (!spd)
		return M6E_NOMEM;
	*out = spd;
	return 0;
}

void spd_free(struct spd *spd)
{
	if (!spd)
		return;
	for (int d = 0; d < 2; d++) {
		for (size_t i = 0; i < spd->all[d].n; i++)
			free(spd->all[d].ents[i]);
		free(spd->all[d].ents);
		for (size_t pb = 0; pb < PROTO_BUCKETS; pb++)
			free(spd->pbuckets[d][pb].shapes);
	}
	for (size_t i = 0; i < spd->nbuckets; i++) {
		struct spd_group_idx *g = spd->table[i];
		while (g) {
			struct spd_group_idx *next = g->hnext;
			free(g->ents);
			free(g);
			g = next;
		}
	}
	free(spd->table);
	free(spd);
}

static bool value_ok(int v, int max)
{
	return v == SPD_ANY || (v >= 0 && v <= max);
}

static int sel_check(const struct spd_sel *s)
{
	if (s->src.len > 128 || s->dst.len > 128)
		return M6E_INVAL;
	if (!value_ok(s->proto, 255) || !value_ok(s->sport, 65535) || !value_ok(s->dport, 65535) ||
	    !value_ok(s->mh_type, 255) || !value_ok(s->icmp_type, 255) || !value_ok(s->icmp_code, 255))
		return M6E_INVAL;
	if ((s->sport != SPD_ANY || s->dport != SPD_ANY) && !proto_has_ports(s->proto))
		return M6E_INVAL;
	if (s->mh_type != SPD_ANY && s->proto != NH_MH)
		return M6E_INVAL;
	if ((s->icmp_type != SPD_ANY || s->icmp_code != SPD_ANY) && s->proto != NH_ICMPV6)
		return M6E_INVAL;
	if (s->icmp_code != SPD_ANY && s->icmp_type == SPD_ANY)
		return M6E_INVAL;
	return 0;
}

int spd_add(struct spd *spd, const struct spd_entry_params *p, struct spd_entry **out)
{
	if ((p->dir != SPD_DIR_OUT && p->dir != SPD_DIR_IN) ||
	    (p->action != SPD_DISCARD && p->action != SPD_BYPASS && p->action != SPD_PROTECT))
		return M6E_INVAL;
	int rc = sel_check(&p->sel);
	if (rc < 0)
		return rc;
	/* No SA: either a larval entry (SPI 0) or one naming a valid SPI. */
	if (p->action == SPD_PROTECT && !p->protect.sa && p->protect.spi != 0 && p->protect.spi < 256)
		return M6E_INVAL;
	struct spd_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return M6E_NOMEM;
	e->dir = p->dir;
	e->priority = p->priority;
	e->order = (uint64_t)p->priority << 32 | spd->next_seq;
	e->sel = p->sel;
	e->action = p->action;
	if (p->action == SPD_PROTECT) {
		e->protect = p->protect;
		if (e->protect.sa) {
			e->protect.spi = e->protect.sa->spi;
			e->protect.mode = e->protect.sa->mode;
		}
	}
	e->active = p->active;
	e->group = p->group;
	memcpy(e->name, p->name, sizeof(e->name));
	e->name[sizeof(e->name) - 1] = '\0';
	struct spd_list *l = &spd->all[e->dir];
	if ((rc = index_add(spd, e)) < 0)
		goto fail;
	if ((rc = sorted_insert(&l->ents, &l->n, &l->cap, e)) < 0) {
		index_del(spd, e);
		goto fail;
	}
	spd->next_seq++;
	if (out)
		*out = e;
	return 0;
fail:
	free(e);
	return rc;
}

int spd_del(struct spd *spd, struct spd_entry *e)
{
	struct spd_list *l = &spd->all[e->dir & 1];
	size_t i = sorted_find(l->ents, l->n, e);
	if (i == l->n)
		return M6E_NOTFOUND;
	sorted_remove(l->ents, &l->n, i);
	index_del(spd, e);
	free(e);
	return 0;
}

size_t spd_count(const struct spd *spd)
{
	return spd->all[0].n + spd->all[1].n;
}

void spd_foreach(const struct spd *spd, void (*fn)(struct spd_entry *e, void *arg), void *arg)
{
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < spd->all[d].n; i++)
			fn(spd->all[d].ents[i], arg);
}

/* ---- lookup ---- */

/* The first active entry matching pkt for which pred(e, sa) holds (pred
 * NULL: any). */
static struct spd_entry *spd_find(const struct spd *spd, enum spd_dir dir, const struct spd_pkt *pkt,
				  bool (*pred)(const struct spd_entry *e, const struct sa *sa),
				  const struct sa *sa)
{
	struct spd_entry *best = NULL;
	const unsigned pbs[2] = { pkt->proto, PB_ANY };
	for (int k = 0; k < 2; k++) {
		const struct spd_bucket *b = &spd->pbuckets[dir][pbs[k]];
		for (size_t s = 0; s < b->n; s++) {
			const struct spd_shape *sh = &b->shapes[s];
			struct in6_addr key;
			mask_addr(sh->side == SIDE_SRC ? &pkt->src : &pkt->dst, sh->len, &key);
			const struct spd_group_idx *g = group_find(spd, dir, pbs[k], sh->side, sh->len, &key);
			if (!g)
				continue;
			for (size_t i = 0; i < g->n; i++) {
				struct spd_entry *e = g->ents[i];
				if (best && e->order >= best->order)
					break;
				if (e->active && spd_sel_match(&e->sel, pkt) && (!pred || pred(e, sa))) {
					best = e;
					break;
				}
			}
		}
	}
	return best;
}

struct spd_entry *spd_lookup(const struct spd *spd, enum spd_dir dir, const struct spd_pkt *pkt)
{
	if (dir != SPD_DIR_OUT && dir != SPD_DIR_IN)
		return NULL;
	return spd_find(spd, dir, pkt, NULL, NULL);
}

static bool names_sa(const struct spd_entry *e, const struct sa *sa)
{
	if (e->protect.sa)
		return e->protect.sa == sa;
	return e->protect.spi == sa->spi;
}

static bool decides_for(const struct spd_entry *e, const struct sa *sa)
{
	return e->action != SPD_PROTECT || names_sa(e, sa);
}

static int refuse(enum spd_drop r, enum spd_drop *why)
{
	if (why)
		*why = r;
	return M6E_PERM;
}

int spd_check_inbound(const struct spd *spd, const struct spd_pkt *pkt, const struct sa *sa,
		      struct spd_entry **entry, enum spd_drop *why)
{
	if (why)
		*why = SPD_DROP_NONE;
	struct spd_entry *first = spd_find(spd, SPD_DIR_IN, pkt, NULL, NULL);
	struct spd_entry *e = first;
	if (sa) {
		/* R3776-4.2.k, R4877-4.2.b/c: with manual keying each (home address,
		 * HA) pair maps to one SA; another MN's valid SA does not do. */
		e = spd_find(spd, SPD_DIR_IN, pkt, decides_for, sa);
		bool accepted = e && e->action == SPD_PROTECT;
		if (!accepted && first && first->action == SPD_PROTECT)
			return refuse(SPD_DROP_WRONG_SA, why);
	}
	if (!e)
		return refuse(SPD_DROP_NO_POLICY, why);
	if (e->action == SPD_DISCARD)
		return refuse(SPD_DROP_DISCARD, why);
	if (sa && e->action != SPD_PROTECT)
		return refuse(SPD_DROP_NOT_PROTECT, why);
	/* R3776-4.1.c: signalling that policy protects is refused in the clear. */
	if (!sa && e->action == SPD_PROTECT)
		return refuse(SPD_DROP_UNPROTECTED, why);
	if (entry)
		*entry = e;
	return 0;
}

/* ---- changes ---- */

void spd_set_active(struct spd_entry *e, bool active)
{
	if (e->active == active)
		return;
	char sel[160];
	spd_sel_format(&e->sel, sel, sizeof(sel));
	LOG_INFO(LOG_SUB_IPSEC, "%s %s %s (%s): %s -> %s", spd_dir_name(e->dir), sel,
		 spd_action_name(e->action), e->name, e->active ? "active" : "inactive",
		 active ? "active" : "inactive");
	e->active = active;
}

size_t spd_set_group_active(struct spd *spd, uint32_t group, bool active)
{
	size_t n = 0;
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < spd->all[d].n; i++) {
			struct spd_entry *e = spd->all[d].ents[i];
			if (e->group == group && e->active != active) {
				spd_set_active(e, active);
				n++;
			}
		}
	return n;
}

size_t spd_repoint(struct spd *spd, const struct sa *old_sa, struct sa *new_sa)
{
	size_t n = 0;
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < spd->all[d].n; i++) {
			struct spd_entry *e = spd->all[d].ents[i];
			if (e->action != SPD_PROTECT || e->protect.sa != old_sa)
				continue;
			e->protect.sa = new_sa;
			if (new_sa) {
				e->protect.spi = new_sa->spi;
				e->protect.mode = new_sa->mode;
			}
			n++;
		}
	return n;
}

size_t spd_set_group_sa(struct spd *spd, uint32_t group, enum spd_dir dir, struct sa *sa)
{
	size_t n = 0;
	struct spd_list *l = &spd->all[dir & 1];
	for (size_t i = 0; i < l->n; i++) {
		struct spd_entry *e = l->ents[i];
		if (e->action != SPD_PROTECT || e->group != group)
			continue;
		e->protect.sa = sa;
		e->protect.spi = sa ? sa->spi : 0;
		if (sa) {
			e->protect.mode = sa->mode;
			e->protect.tunnel_src = sa->src;
			e->protect.tunnel_dst = sa->dst;
		}
		n++;
	}
	return n;
}

size_t spd_del_sa(struct spd *spd, const struct sa *sa)
{
	size_t n = 0;
	for (int d = 0; d < 2; d++) {
		struct spd_list *l = &spd->all[d];
		for (size_t i = l->n; i-- > 0;) {
			struct spd_entry *e = l->ents[i];
			if (e->action == SPD_PROTECT && sa && e->protect.sa == sa && spd_del(spd, e) == 0)
				n++;
		}
	}
	return n;
}

/* ---- formatting ---- */

static void fmt_pfx(const struct prefix6 *p, char *buf, size_t len)
{
	if (!p->len) {
		snprintf(buf, len, "any");
		return;
	}
	char a[ADDR_STRLEN];
	addr_fmt(&p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

static void fmt_value(char *buf, size_t len, const char *what, int v, const struct name_entry *t, size_t n)
{
	const char *name = t ? names_find(t, n, (unsigned)v) : NULL;
	if (name)
		snprintf(buf, len, " %s %s", what, name);
	else
		snprintf(buf, len, " %s %d", what, v);
}

void spd_sel_format(const struct spd_sel *sel, char *buf, size_t len)
{
	char src[ADDR_STRLEN + 5], dst[ADDR_STRLEN + 5], proto[24] = "", sp[24] = "", dp[24] = "",
	     mh[24] = "", it[32] = "", ic[24] = "", ifid[24] = "";
	fmt_pfx(&sel->src, src, sizeof(src));
	fmt_pfx(&sel->dst, dst, sizeof(dst));
	const char *pname = sel->proto == SPD_ANY ? "any" :
			    names_find(spd_proto_names, NAMES_COUNT(spd_proto_names), (unsigned)sel->proto);
	if (pname)
		snprintf(proto, sizeof(proto), " %s", pname);
	else
		snprintf(proto, sizeof(proto), " proto %d", sel->proto);
	if (sel->sport != SPD_ANY)
		fmt_value(sp, sizeof(sp), "sport", sel->sport, NULL, 0);
	if (sel->dport != SPD_ANY)
		fmt_value(dp, sizeof(dp), "dport", sel->dport, NULL, 0);
	if (sel->mh_type != SPD_ANY)
		fmt_value(mh, sizeof(mh), "type", sel->mh_type, spd_mh_names, NAMES_COUNT(spd_mh_names));
	if (sel->icmp_type != SPD_ANY)
		fmt_value(it, sizeof(it), "type", sel->icmp_type, spd_icmp_names, NAMES_COUNT(spd_icmp_names));
	if (sel->icmp_code != SPD_ANY)
		fmt_value(ic, sizeof(ic), "code", sel->icmp_code, NULL, 0);
	if (sel->ifid != SPD_IFID_ANY)
		snprintf(ifid, sizeof(ifid), " if %u", sel->ifid);
	snprintf(buf, len, "%s -> %s%s%s%s%s%s%s%s", src, dst, proto, sp, dp, mh, it, ic, ifid);
}
