# Daemon core: wiring (daemon.c) and the counters registry it shows.
libm6_a_SOURCES += \
	src/daemon.c src/daemon.h \
	src/base/stats.c src/base/stats.h
