#include "io/timer.h"

#include <event2/event.h>
#include <stdlib.h>

#include "base/err.h"
#include "io/loop.h"

struct io_timer {
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
};

static void io_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct io_timer *t = arg;
	t->cb(t->arg); /* may free t: nothing after this line */
}

int io_timer_new(struct io_loop *loop, void (*cb)(void *arg), void *arg, struct io_timer **out)
{
	struct io_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return M6E_NOMEM;
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(io_loop_base(loop), io_timer_fire, t);
	if (!t->ev) {
		free(t);
		return M6E_NOMEM;
	}
	*out = t;
	return 0;
}

int io_timer_arm(struct io_timer *t, uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
	return evtimer_add(t->ev, &tv) == 0 ? 0 : M6E_IO;
}

void io_timer_cancel(struct io_timer *t)
{
	evtimer_del(t->ev);
}

bool io_timer_pending(const struct io_timer *t)
{
	return evtimer_pending(t->ev, NULL) != 0;
}

void io_timer_free(struct io_timer *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}
