# src/mobile/sigpath.mk: the signalling path between the raw sockets and the
# Mobile IPv6 engines (RFC 3776 header orders, manual-key ESP, SPD checks).
libm6_a_SOURCES += src/mobile/sigpath.c src/mobile/sigpath.h
