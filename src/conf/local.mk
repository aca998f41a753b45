# src/conf: mip6sec.conf schema, loader, validation, check-config.
libm6_a_SOURCES += \
	src/conf/conf.c src/conf/conf.h \
	src/conf/conf_check.c
