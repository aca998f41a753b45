# src/ipsec: ESP, SAD, SPD
libm6_a_SOURCES += \
	src/ipsec/esp.c src/ipsec/esp.h \
	src/ipsec/espinudp.c src/ipsec/espinudp.h \
	src/ipsec/replay.c src/ipsec/replay.h \
	src/ipsec/sa.c src/ipsec/sa.h \
	src/ipsec/sad.c src/ipsec/sad.h
