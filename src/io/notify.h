/*
 * Service-manager notification (sd_notify). Without libsystemd, or when the
 * daemon was not started by systemd (no NOTIFY_SOCKET), these do nothing.
 */
#ifndef M6_IO_NOTIFY_H
#define M6_IO_NOTIFY_H

void io_notify_ready(const char *status);
/* Before a reload; io_notify_ready() afterwards, whatever the outcome. */
void io_notify_reloading(void);
void io_notify_stopping(void);

#endif
