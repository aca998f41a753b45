# Independent decoders (tshark, scapy) read what our builders write, and our
# parsers read what scapy builds.
check_PROGRAMS += tests/tshark/m6pcap
tests_tshark_m6pcap_SOURCES = tests/tshark/m6pcap.c
tests_tshark_m6pcap_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/tshark/tshark-decode.sh tests/tshark/scapy-crosscheck.py
EXTRA_DIST += tests/tshark/tshark-decode.sh tests/tshark/scapy-crosscheck.py
