# src/ike/mip6ike: RFC 4877 policy between the IKE engine and Mobile IPv6
# (docs/IKE.md "RFC 4877 over IKEv2"). Pure: plans, PAD, CP answer, slots.
libm6_a_SOURCES += src/ike/mip6ike.c src/ike/mip6ike.h

# Tier 1 (plans of the shipped configs, PAD, CP, classify, TS bytes) and
# tier 2 (two ikesa engines with mip6ike_ha_ts_policy as the HA's policy).
check_PROGRAMS += tests/unit/test_mip6ike
TESTS += tests/unit/test_mip6ike
tests_unit_test_mip6ike_SOURCES = tests/unit/test_mip6ike.c tests/unit/testutil.c tests/unit/testutil.h \
	tests/unit/ikesa_pair.h
tests_unit_test_mip6ike_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mip6ike_LDADD = $(TEST_LDADD)

# tshark decodes the plan's TSi/TSr (MH type / ICMPv6 type in the ports).
check_PROGRAMS += tests/tshark/mip6ike_tspcap
tests_tshark_mip6ike_tspcap_SOURCES = tests/tshark/mip6ike_tspcap.c tests/tshark/pcap_udp6.h
tests_tshark_mip6ike_tspcap_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/tshark/mip6ike-tshark.sh
EXTRA_DIST += tests/tshark/mip6ike-tshark.sh

# The HA policy on peer-chosen TSi/TSr and CFG_REQUESTs: accepted means a
# subset, the peer's own home address, the slot classify finds
# (tests/fuzz/fuzz_mip6ike.c; seeds from tests/fuzz/mkcorpus_mip6ike.py).
check_PROGRAMS += tests/fuzz/replay_mip6ike
TESTS += tests/fuzz/replay_mip6ike
tests_fuzz_replay_mip6ike_SOURCES = tests/fuzz/fuzz_mip6ike.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_mip6ike.py
