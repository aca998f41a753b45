# bench/ike: IKE_SA setups per second and heap per IKE SA (issue 5), measured
# against strongSwan charon by bench/ike.sh (root, namespaces; not in make
# check). The three tools build with `make check` so every change to the
# engine compiles them, and bench/ike-smoke.sh runs them briefly without
# timing anything: ike_load against ike_resp on ::1 (high ports, no root)
# must complete every setup, ike_mem must bring every SA up.
IKE_BENCH_COMMON = bench/ike_bench.c bench/ike_bench.h
check_PROGRAMS += bench/ike_load bench/ike_resp bench/ike_mem
bench_ike_load_SOURCES = bench/ike_load.c $(IKE_BENCH_COMMON)
bench_ike_load_LDADD = libm6.a $(M6_LIBS)
bench_ike_resp_SOURCES = bench/ike_resp.c $(IKE_BENCH_COMMON)
bench_ike_resp_LDADD = libm6.a $(M6_LIBS)
bench_ike_mem_SOURCES = bench/ike_mem.c $(IKE_BENCH_COMMON)
bench_ike_mem_LDADD = libm6.a $(M6_LIBS)
TESTS += bench/ike-smoke.sh
EXTRA_DIST += bench/ike-smoke.sh bench/ike.sh
check_PROGRAMS += bench/test_ike_bench
TESTS += bench/test_ike_bench
bench_test_ike_bench_SOURCES = bench/test_ike_bench.c $(IKE_BENCH_COMMON) tests/unit/testutil.c tests/unit/testutil.h
bench_test_ike_bench_CFLAGS = $(TEST_CFLAGS)
bench_test_ike_bench_LDADD = $(TEST_LDADD)
