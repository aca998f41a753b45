# src/conf: mip6sec.conf schema, loader, validation, check-config.
libm6_a_SOURCES += \
	src/conf/conf.c src/conf/conf.h src/conf/conf_priv.h \
	src/conf/conf_schema.c src/conf/conf_walk.c src/conf/conf_key.c \
	src/conf/conf_alg.c src/conf/conf_rules.c src/conf/conf_check.c
