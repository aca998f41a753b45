# src/ipsec/spd.mk: SPD, ipsecdb, listings
libm6_a_SOURCES += \
	src/ipsec/spd.c src/ipsec/spd.h \
	src/ipsec/ipsecdb.c src/ipsec/ipsecdb.h \
	src/ipsec/show.c src/ipsec/show.h
