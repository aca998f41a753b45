#include "io/notify.h"

#ifdef HAVE_SYSTEMD
#include <inttypes.h>
#include <systemd/sd-daemon.h>

#include "base/clock.h"

void io_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void io_notify_reloading(void)
{
	/* MONOTONIC_USEC lets Type=notify-reload match the reload to the signal. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, clock_mono_ms() * 1000);
}

void io_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
#else
void io_notify_ready(const char *status) { (void)status; }
void io_notify_reloading(void) {}
void io_notify_stopping(void) {}
#endif
