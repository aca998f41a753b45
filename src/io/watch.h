/*
 * io_watch: call back when a descriptor becomes readable (persistent,
 * level-triggered). The data plane's sockets and TUN devices use it, so the
 * forwarding code never sees libevent.
 */
#ifndef M6_IO_WATCH_H
#define M6_IO_WATCH_H

struct io_loop;
struct io_watch;

/* Start watching fd; cb(arg) runs from the loop each time fd is readable.
 * 0, M6E_NOMEM or M6E_IO. */
int io_watch_new(struct io_loop *loop, int fd, void (*cb)(void *arg), void *arg, struct io_watch **out);
/* Stop watching (the descriptor is not closed). NULL is fine. */
void io_watch_free(struct io_watch *w);

#endif
