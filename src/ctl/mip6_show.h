/*
 * mip6_show: `mip6sec bindings` (the home agent's binding cache) and the
 * "home-agent" / "mobile-node" sections of `mip6sec status`, as table rows
 * or JSON (docs/PROTOCOL.ctl). Rendering only: the mobility adapter hands
 * in the engines' state and a snapshot of its own counters.
 */
#ifndef M6_CTL_MIP6_SHOW_H
#define M6_CTL_MIP6_SHOW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl/ctl.h"
#include "mip6/bcache.h"

/* The name of the inbound SA with SPI sa_id (or NULL) for a binding row. */
typedef const char *(*mip6_show_sa_name_fn)(void *arg, uint32_t sa_id);

/* One row per binding cache entry, in home-address order; view->filter
 * keeps the rows whose home or care-of address equals it. Returns rows. */
int mip6_show_bindings(const struct bcache *bc, uint64_t now_ms, mip6_show_sa_name_fn sa_name, void *arg,
		       struct ctl_view *view);

/* The mobile node's Binding Update List: one row per entry (the home
 * agent's). view->filter keeps rows whose destination or home address
 * equals it. Returns rows. */
struct mip6_show_bul_row {
	struct in6_addr destination, home_address, coa;
	const char *state;        /* bul_state_name() */
	uint16_t sequence;
	unsigned lifetime_s;      /* requested in the current BU */
	int64_t lifetime_left_s;  /* of the acknowledged binding; -1: none */
};
int mip6_show_bul(const struct mip6_show_bul_row *rows, size_t n, struct ctl_view *view);

struct mip6_show_ha {
	struct in6_addr address;
	const char *home_link;
	size_t bindings;
	uint64_t bu_received, bu_accepted, bu_rejected, bu_dropped;
	uint64_t tunnelled_out, tunnelled_in, dhaad_replies, mpa_sent;
};

void mip6_show_ha_status(const struct mip6_show_ha *s, struct ctl_view *view);

struct mip6_show_mn {
	struct in6_addr home_address;
	struct in6_addr home_agent; /* :: while DHAAD has not found one */
	bool has_coa;
	struct in6_addr coa;
	const char *interface;    /* of the CoA, "" when none */
	const char *location;     /* move_state_name(): home, away, detached, start */
	const char *registration; /* bul_state_name() */
	int64_t lifetime_left_s;  /* of the acknowledged binding; -1: none */
	uint16_t sequence;
	uint64_t registrations;   /* accepted BAs */
	uint64_t handovers;       /* CoA changes while away */
	int64_t last_handover_ms; /* CoA change to its BA, -1: none yet */
	uint64_t tunnelled_out, tunnelled_in;
};

void mip6_show_mn_status(const struct mip6_show_mn *s, struct ctl_view *view);

#endif
