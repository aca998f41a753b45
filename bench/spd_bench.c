/*
 * spd_bench: SPD lookups per second at 10, 1,000 and 10,000 entries, next
 * to a linear first-match scan over the same entries, to show the index does
 * not degrade linearly. Not part of `make check`:
 *   make bench/spd_bench && ./bench/spd_bench [seconds-per-row]
 *
 * Entries look like a site with many tunnels and mobile nodes: per entry a
 * /48 or /64 inner prefix pair or a /128 home address with an MH type, on a
 * few interface ids; a catch-all BYPASS comes last. Packets are drawn from
 * the same address space (most hit an entry, some only the catch-all).
 * Measured in CPU time, like esp_bench.
 *
 * Output, one row per size (whitespace-separated, for scripts):
 *   entries index-lookups/s linear-lookups/s speedup
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipsec/spd.h"

#define NPKT 4096

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 2001:db8:<site>:<sub>::<host> */
static struct in6_addr site_addr(uint32_t site, uint32_t sub, uint32_t host)
{
	struct in6_addr a = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } };
	a.s6_addr[4] = (uint8_t)(site >> 8);
	a.s6_addr[5] = (uint8_t)site;
	a.s6_addr[7] = (uint8_t)sub;
	a.s6_addr[14] = (uint8_t)(host >> 8);
	a.s6_addr[15] = (uint8_t)host;
	return a;
}

static struct spd_sel sel_any(void)
{
	return (struct spd_sel){ .proto = SPD_ANY, .sport = SPD_ANY, .dport = SPD_ANY, .mh_type = SPD_ANY,
				 .icmp_type = SPD_ANY, .icmp_code = SPD_ANY };
}

static void fill(struct spd *spd, size_t n, struct sa *sa)
{
	for (size_t i = 0; i + 1 < n; i++) {
		struct spd_entry_params p = { .dir = SPD_DIR_OUT, .priority = 10, .action = SPD_PROTECT,
					      .sel = sel_any(), .active = true };
		p.protect.sa = sa;
		uint32_t site = (uint32_t)i;
		switch (i % 3) {
		case 0: /* site tunnel /48 -> /48 on its interface */
			p.sel.src = (struct prefix6){ site_addr(0, 0, 0), 48 };
			p.sel.dst = (struct prefix6){ site_addr(site, 0, 0), 48 };
			p.sel.ifid = 1 + site % 8;
			break;
		case 1: /* /64 -> /64 */
			p.sel.src = (struct prefix6){ site_addr(0, 1, 0), 64 };
			p.sel.dst = (struct prefix6){ site_addr(site, 1, 0), 64 };
			break;
		default: /* a home address's HoT, MH type selector */
			p.sel.dst = (struct prefix6){ site_addr(1, 0, site), 128 };
			p.sel.proto = 135;
			p.sel.mh_type = 3;
			break;
		}
		spd_add(spd, &p, NULL);
	}
	struct spd_entry_params last = { .dir = SPD_DIR_OUT, .priority = 1000, .action = SPD_BYPASS,
					 .sel = sel_any(), .active = true };
	spd_add(spd, &last, NULL);
}

static void packets(struct spd_pkt *v, size_t entries)
{
	const uint8_t mh[4] = { 59, 1, 3, 0 };
	for (size_t i = 0; i < NPKT; i++) {
		uint32_t site = rnd((uint32_t)entries + 1);
		struct spd_pkt *p = &v[i];
		memset(p, 0, sizeof(*p));
		switch (rnd(3)) {
		case 0:
			p->src = site_addr(0, 0, rnd(100));
			p->dst = site_addr(site, 0, rnd(100));
			p->ifid = 1 + site % 8;
			spd_pkt_peek(p, 6, mh, sizeof(mh));
			break;
		case 1:
			p->src = site_addr(0, 1, rnd(100));
			p->dst = site_addr(site, 1, rnd(100));
			spd_pkt_peek(p, 17, mh, sizeof(mh));
			break;
		default:
			p->src = site_addr(9, 9, 9);
			p->dst = site_addr(1, 0, site);
			spd_pkt_peek(p, 135, mh, sizeof(mh));
			break;
		}
	}
}

struct linear {
	struct spd_entry **v;
	size_t n;
};

static void collect(struct spd_entry *e, void *arg)
{
	struct linear *l = arg;
	l->v[l->n++] = e;
}

static const struct spd_entry *linear_lookup(const struct linear *l, const struct spd_pkt *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i]->active && spd_sel_match(&l->v[i]->sel, p))
			return l->v[i];
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t sizes[] = { 10, 1000, 10000 };
	static struct spd_pkt pk[NPKT];
	struct sa sa = { .spi = 0x1000, .mode = SA_MODE_TUNNEL };
	printf("%-8s %16s %16s %8s\n", "entries", "index-lookups/s", "linear-lookups/s", "speedup");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct spd *spd;
		if (spd_new(&spd) < 0)
			return 1;
		fill(spd, sizes[s], &sa);
		packets(pk, sizes[s]);
		struct linear l = { .v = calloc(spd_count(spd), sizeof(*l.v)) };
		if (!l.v)
			return 1;
		spd_foreach(spd, collect, &l);
		double rate[2];
		size_t sink = 0;
		for (int k = 0; k < 2; k++) {
			uint64_t n = 0;
			double t0 = cpu_now(), t;
			do {
				for (size_t i = 0; i < NPKT; i++) {
					const struct spd_entry *e = k == 0 ? spd_lookup(spd, SPD_DIR_OUT, &pk[i]) :
									     linear_lookup(&l, &pk[i]);
					sink += e != NULL;
				}
				n += NPKT;
				t = cpu_now() - t0;
			} while (t < secs);
			rate[k] = (double)n / t;
		}
		if (sink == 0)
			fprintf(stderr, "spd_bench: no packet matched\n");
		printf("%-8zu %16.0f %16.0f %8.1f\n", sizes[s], rate[0], rate[1], rate[0] / rate[1]);
		free(l.v);
		spd_free(spd);
	}
	return 0;
}
