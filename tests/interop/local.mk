# tests/interop: our ESP against independent implementations. espcap seals
# and opens pcap files with src/ipsec; tshark (given the keys) and scapy's
# SecurityAssociation decrypt what we seal, we open what scapy seals, and a
# replayed capture is rejected and counted. Each skips (77) without its tool.
check_PROGRAMS += tests/interop/espcap
tests_interop_espcap_SOURCES = tests/interop/espcap.c
tests_interop_espcap_LDADD = libm6.a $(M6_LIBS)
INTEROP_TESTS = tests/interop/esp-replay.py tests/interop/esp-tshark.py tests/interop/esp-scapy.py
TESTS += $(INTEROP_TESTS)
EXTRA_DIST += $(INTEROP_TESTS) tests/interop/esp_manifest.py
# Level 2: the capture of a real tunnel (tests/netns/tunnel-lib.sh) decrypted
# by espcap, tshark and scapy, then replayed into the receiver. Root only.
INTEROP_NETNS_TESTS = tests/interop/tunnel-replay-esp.sh tests/interop/tunnel-replay-udp.sh
TESTS += $(INTEROP_NETNS_TESTS)
EXTRA_DIST += $(INTEROP_NETNS_TESTS) tests/interop/tunnel-replay.sh tests/interop/tunnel-capture.py
