/*
 * Fuzz target for nlmon_parse() (src/io/nlmon_parse.c): the input is one
 * recv() of rtnetlink messages. Every report must hold what the parser
 * promises its consumers (src/mip6/movement.h): a non-zero interface index,
 * a NUL-terminated name that fits, a prefix length of at most 128, only
 * MOVE_AF_* flags, and the counters must add up to the messages seen.
 * Seed corpus: tests/fuzz/corpus/nlmon/, written by tests/unit/test_nlmon
 * with NLMON_CORPUS_DIR set, plus a real dump of a test namespace.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/nlmon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void f_link(void *arg, const struct nlmon_link *l)
{
	(void)arg;
	if (l->ifindex == 0 || memchr(l->name, '\0', sizeof(l->name)) == NULL || (l->gone && l->up))
		abort();
}

static void f_addr(void *arg, bool add, unsigned ifindex, const struct move_addr *a)
{
	(void)arg;
	(void)add;
	if (ifindex == 0 || a->plen > 128 ||
	    (a->flags & ~(MOVE_AF_TENTATIVE | MOVE_AF_DEPRECATED | MOVE_AF_DADFAILED)) != 0)
		abort();
}

static void f_router(void *arg, bool add, unsigned ifindex, const struct in6_addr *gw)
{
	(void)arg;
	(void)add;
	(void)gw;
	if (ifindex == 0)
		abort();
}

static bool f_wanted(void *arg, unsigned ifindex, unsigned protocol)
{
	(void)arg;
	return (ifindex + protocol) % 3 != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmon_ops ops = { .link = f_link, .addr = f_addr, .default_router = f_router,
				       .route_wanted = f_wanted };
	struct nlmon_stats st;
	memset(&st, 0, sizeof(st));
	size_t n = nlmon_parse(data, size, &ops, NULL, &st);
	if (n != st.links + st.addrs + st.routers)
		abort();
	/* Each message is reported at most once, except a multipath route's hops. */
	if (st.links + st.addrs > st.msgs || st.msgs > size / 16)
		abort();
	return 0;
}
