# Daemon core: wiring (daemon.c) and the counters registry it shows.
libm6_a_SOURCES += \
	src/daemon.c src/daemon.h \
	src/base/stats.c src/base/stats.h

dist_man_MANS += man/mip6sec.8
EXTRA_DIST += docs/PROTOCOL.ctl

# systemd unit: Type=notify when linked with libsystemd, simple otherwise.
# Installed into systemd's unit directory as pkg-config reports it (read when
# the install recipe runs), else /lib/systemd/system; override with
# `make install systemdunitdir=DIR`.
systemdunitdir = `$(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system`
nodist_systemdunit_DATA = systemd/mip6sec.service
EXTRA_DIST += systemd/mip6sec.service.in systemd/check-unit.sh
CLEANFILES += systemd/mip6sec.service
systemd/mip6sec.service: $(srcdir)/systemd/mip6sec.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	type=simple; test -z "$(SYSTEMD_LIBS)" || type=notify; \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e "s|@SERVICE_TYPE[@]|$$type|g" \
		$(srcdir)/systemd/mip6sec.service.in > $@.tmp && mv $@.tmp $@

TESTS += systemd/check-unit.sh
