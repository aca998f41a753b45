/*
 * io_ctl_client: the CLI side of the control socket (blocking, one request,
 * bounded by a timeout).
 */
#ifndef M6_IO_CTL_CLIENT_H
#define M6_IO_CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define CTL_CLIENT_TIMEOUT_MS 5000

struct io_ctl_reply {
	uint8_t status;      /* CTL_S_* */
	const uint8_t *body; /* points into frame */
	size_t body_len;
	uint8_t *frame;      /* owned; io_ctl_reply_free() */
};

/* Send one request and wait for its answer. On failure returns a negative
 * M6E_* code and writes a message for people into err, e.g.
 * "cannot connect to /run/mip6sec/control.sock: No such file or directory --
 * is the daemon running?". */
int io_ctl_client_call(const char *path, uint8_t command, uint8_t flags, const char *filter,
		       int timeout_ms, struct io_ctl_reply *reply, char *err, size_t errlen);
void io_ctl_reply_free(struct io_ctl_reply *reply);

#endif
