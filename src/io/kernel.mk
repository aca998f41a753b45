# src/io/kernel.mk: kernel plumbing for the mobility adapters (issue 4):
# the kstate kernel side (routes in any table, rules, proxy NDP, sysctls)
# and the rtnetlink monitor.
libm6_a_SOURCES += \
	src/io/kernel.h \
	src/io/nlmon.h
