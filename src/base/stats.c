#include "base/stats.h"

#include <stddef.h>

static struct stats_counter *stats_head;
static struct stats_counter **stats_tail = &stats_head;

void stats_register(struct stats_counter *c)
{
	if (c->registered)
		return;
	c->registered = true;
	c->next = NULL;
	*stats_tail = c;
	stats_tail = &c->next;
}

void stats_unregister_all(void)
{
	struct stats_counter *c = stats_head;
	while (c) {
		struct stats_counter *next = c->next;
		c->registered = false;
		c->next = NULL;
		c = next;
	}
	stats_head = NULL;
	stats_tail = &stats_head;
}

const struct stats_counter *stats_first(void)
{
	return stats_head;
}
