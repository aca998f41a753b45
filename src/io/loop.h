/*
 * io_loop: the daemon's one libevent event_base and its signal handling.
 *
 * SIGTERM and SIGINT call ops->shutdown, SIGHUP calls ops->reload; both run
 * from the loop (libevent turns signals into events), never inside a signal
 * handler, so they may allocate, log and free. SIGPIPE is ignored: a client
 * that goes away mid-answer must not kill the daemon.
 */
#ifndef M6_IO_LOOP_H
#define M6_IO_LOOP_H

struct event_base;
struct io_loop;

struct io_loop_ops {
	void (*shutdown)(void *arg, int signo);
	void (*reload)(void *arg);
};

/* Returns 0 and *out, or M6E_NOMEM / M6E_IO. */
int io_loop_new(const struct io_loop_ops *ops, void *arg, struct io_loop **out);
/* Run until io_loop_stop(); 0, or M6E_IO if the loop failed. */
int io_loop_run(struct io_loop *l);
void io_loop_stop(struct io_loop *l);
/* Frees the signal events and the base; every other event must be gone. */
void io_loop_free(struct io_loop *l);
/* For the other io/ adapters only. */
struct event_base *io_loop_base(struct io_loop *l);

#endif
