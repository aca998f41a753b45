#include "io/watch.h"

#include <event2/event.h>
#include <stdlib.h>

#include "base/err.h"
#include "io/loop.h"

struct io_watch {
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
};

static void io_watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct io_watch *w = arg;
	(void)fd;
	(void)what;
	w->cb(w->arg);
}

int io_watch_new(struct io_loop *loop, int fd, void (*cb)(void *arg), void *arg, struct io_watch **out)
{
	struct io_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return M6E_NOMEM;
	w->cb = cb;
	w->arg = arg;
	w->ev = event_new(io_loop_base(loop), fd, EV_READ | EV_PERSIST, io_watch_fire, w);
	if (!w->ev) {
		free(w);
		return M6E_NOMEM;
	}
	if (event_add(w->ev, NULL) != 0) {
		event_free(w->ev);
		free(w);
		return M6E_IO;
	}
	*out = w;
	return 0;
}

void io_watch_free(struct io_watch *w)
{
	if (!w)
		return;
	event_free(w->ev);
	free(w);
}
