/*
 * io_ctl_sock: the control socket server (UNIX stream, root-only).
 *
 * The socket is created mode 0600 (umask around bind) in a directory created
 * 0700 when missing. A socket file left by a crashed daemon is removed only if
 * nobody answers on it; if another daemon answers, opening fails with
 * M6E_EXISTS. Clients must be uid 0 or the daemon's uid (SO_PEERCRED); each
 * gets an input cap, an idle timeout and there is a cap on concurrent
 * clients. Complete frames go to ctl_handle(). The path is unlinked on close.
 */
#ifndef M6_IO_CTL_SOCK_H
#define M6_IO_CTL_SOCK_H

#include <stddef.h>

struct ctl;
struct io_loop;
struct io_ctl_sock;

#define CTL_MAX_CLIENTS 16
#define CTL_IDLE_MS 10000
#define CTL_LISTEN_BACKLOG 16

/* On failure returns a negative M6E_* code and writes why into err. */
int io_ctl_sock_open(struct io_loop *loop, const char *path, struct ctl *ctl,
		     struct io_ctl_sock **out, char *err, size_t errlen);
/* Close every client, the listener, and unlink the path. */
void io_ctl_sock_close(struct io_ctl_sock *s);
const char *io_ctl_sock_path(const struct io_ctl_sock *s);

#endif
