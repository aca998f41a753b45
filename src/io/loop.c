#include "io/loop.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/log.h"

struct io_loop {
	struct event_base *base;
	struct event *sig_term, *sig_int, *sig_hup;
	struct io_loop_ops ops;
	void *arg;
};

static void io_loop_on_signal(evutil_socket_t signo, short what, void *arg)
{
	struct io_loop *l = arg;
	if (signo == SIGHUP) {
		LOG_NOTICE(LOG_SUB_CORE, "SIGHUP: reloading the configuration");
		if (l->ops.reload)
			l->ops.reload(l->arg);
		return;
	}
	LOG_NOTICE(LOG_SUB_CORE, "%s: shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
	if (l->ops.shutdown)
		l->ops.shutdown(l->arg, (int)signo);
}

static struct event *io_loop_signal(struct io_loop *l, int signo)
{
	struct event *ev = evsignal_new(l->base, signo, io_loop_on_signal, l);
	if (ev && event_add(ev, NULL) != 0) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

int io_loop_new(const struct io_loop_ops *ops, void *arg, struct io_loop **out)
{
	struct io_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return M6E_NOMEM;
	l->ops = *ops;
	l->arg = arg;
	l->base = event_base_new();
	if (!l->base) {
		free(l);
		return M6E_IO;
	}
	signal(SIGPIPE, SIG_IGN);
	l->sig_term = io_loop_signal(l, SIGTERM);
	l->sig_int = io_loop_signal(l, SIGINT);
	l->sig_hup = io_loop_signal(l, SIGHUP);
	if (!l->sig_term || !l->sig_int || !l->sig_hup) {
		io_loop_free(l);
		return M6E_IO;
	}
	*out = l;
	return 0;
}

int io_loop_run(struct io_loop *l)
{
	return event_base_dispatch(l->base) < 0 ? M6E_IO : 0;
}

void io_loop_stop(struct io_loop *l)
{
	event_base_loopbreak(l->base);
}

void io_loop_free(struct io_loop *l)
{
	if (!l)
		return;
	if (l->sig_term)
		event_free(l->sig_term);
	if (l->sig_int)
		event_free(l->sig_int);
	if (l->sig_hup)
		event_free(l->sig_hup);
	event_base_free(l->base);
	free(l);
}

struct event_base *io_loop_base(struct io_loop *l)
{
	return l->base;
}
