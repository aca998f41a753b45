# src/io: the only code that touches file descriptors or libevent.
libm6_a_SOURCES += \
	src/io/loop.c src/io/loop.h \
	src/io/timer.c src/io/timer.h \
	src/io/notify.c src/io/notify.h \
	src/io/ctl_sock.c src/io/ctl_sock.h \
	src/io/ctl_client.c src/io/ctl_client.h
