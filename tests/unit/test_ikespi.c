/*
 * The engine's spi_taken hook (ikesa_ops, used by the daemon adapter):
 * an inbound CHILD_SA SPI the adapter's SAD already holds is never handed
 * out; the engine draws again (R4303-2.1.a: an SPI names one SA).
 */
#include "ikesa_pair.h"
#include "testutil.h"

static struct pair_ctx ctx;
static uint32_t asked[8];
static unsigned n_asked, refuse;

/* Says "taken" for the first `refuse` SPIs it is asked about. */
static bool spi_taken(void *arg, uint32_t spi)
{
	(void)arg;
	if (n_asked < 8)
		asked[n_asked] = spi;
	return n_asked++ < refuse;
}

/* The MN's first CHILD_SA inbound SPI with the hook refusing `r` draws. */
static uint32_t first_spi_in(unsigned r)
{
	static struct ikesa_ops ops;
	ops = pair_ops;
	ops.spi_taken = spi_taken;
	n_asked = 0;
	refuse = r;
	ck_assert_int_eq(pair_init(&ctx, 11), 0);
	struct pair_side *mn = &ctx.side[PAIR_MN];
	ck_assert_int_eq(ikesa_new_initiator(&mn->sa, &ctx.params[PAIR_MN], &ops, mn, &mn->path), 0);
	mn->all[mn->n_all++] = mn->sa;
	ck_assert_int_eq(ikesa_start(mn->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_state(mn->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(mn->n_live, 1);
	uint32_t spi = mn->live[0].spi_in;
	/* The responder (no hook) got the same SPI as its outbound one. */
	ck_assert_uint_eq(ctx.side[PAIR_HA].live[0].spi_out, spi);
	pair_fini(&ctx);
	return spi;
}

START_TEST(t_spi_taken)
{
	uint32_t free_first = first_spi_in(0);
	ck_assert_uint_eq(n_asked, 1);
	ck_assert_uint_eq(asked[0], free_first);
	/* Same randomness, the first two draws "in the SAD": the third is used. */
	uint32_t third = first_spi_in(2);
	ck_assert_uint_eq(n_asked, 3);
	ck_assert_uint_eq(asked[0], free_first);
	ck_assert_uint_ne(third, free_first);
	ck_assert_uint_ne(third, asked[1]);
	ck_assert_uint_eq(third, asked[2]);
	ck_assert_uint_ge(third, 256);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ikespi");
	TCase *tc = tcase_create("ikespi");
	tcase_add_test(tc, t_spi_taken);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
