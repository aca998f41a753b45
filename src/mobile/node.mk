# src/mobile: the Mobile IPv6 adapter (engines <-> sockets, TUN, kernel state).
libm6_a_SOURCES += src/mobile/node.c src/mobile/node.h src/mobile/node_priv.h \
	src/mobile/ha_node.c src/mobile/mn_node.c src/mobile/ike_node.c
