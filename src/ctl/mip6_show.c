#include "ctl/mip6_show.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "wire/mh.h"

#define BINDINGS_HEADER \
	"HOME ADDRESS                             CARE-OF ADDRESS                          STATE        SEQ   " \
	"LIFETIME  LEFT      FLAGS SA\n"

/* "AHLK": the flags of the accepted BU. */
static void flags_fmt(uint16_t flags, char *out)
{
	size_t n = 0;
	if (flags & MH_BU_F_A)
		out[n++] = 'A';
	if (flags & MH_BU_F_H)
		out[n++] = 'H';
	if (flags & MH_BU_F_L)
		out[n++] = 'L';
	if (flags & MH_BU_F_K)
		out[n++] = 'K';
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

/* Seconds left, or null when there is no acknowledged binding (< 0). */
static void json_left(struct json *j, int64_t left_s)
{
	if (left_s >= 0)
		json_i64(j, "lifetime-left", left_s);
	else
		json_null(j, "lifetime-left");
}

static int64_t left_s(uint64_t until_ms, uint64_t now_ms)
{
	return until_ms > now_ms ? (int64_t)((until_ms - now_ms + 999) / 1000) : 0;
}

int mip6_show_bindings(const struct bcache *bc, uint64_t now_ms, mip6_show_sa_name_fn sa_name, void *arg,
		       struct ctl_view *view)
{
	int rows = 0;
	if (!view->json)
		ctl_textf(view->text, BINDINGS_HEADER);
	for (size_t i = 0; i < bcache_count(bc); i++) {
		const struct bcache_entry *e = bcache_at(bc, i);
		char hoa[ADDR_STRLEN], coa[ADDR_STRLEN], fl[8];
		addr_fmt(&e->hoa, hoa, sizeof(hoa));
		addr_fmt(e->state == BCE_DAD_PENDING ? &e->pend_coa : &e->coa, coa, sizeof(coa));
		if (view->filter && strcmp(view->filter, hoa) != 0 && strcmp(view->filter, coa) != 0)
			continue;
		flags_fmt(e->state == BCE_DAD_PENDING ? e->pend_flags : e->flags, fl);
		const char *sa = sa_name ? sa_name(arg, e->sa_id) : NULL;
		/* Only a valid binding has a lifetime; the other states' timer is
		 * a DAD guard or the deletion delay. */
		unsigned granted = e->state == BCE_VALID ? (unsigned)e->lifetime * 4u : 0;
		int64_t left = e->state == BCE_VALID ? left_s(e->expires_ms, now_ms) : 0;
		if (view->json) {
			json_obj_begin(view->j, NULL);
			json_str(view->j, "home-address", hoa);
			json_str(view->j, "care-of-address", coa);
			json_str(view->j, "state", bcache_state_name(e->state));
			json_u64(view->j, "sequence", e->seq);
			json_u64(view->j, "lifetime", granted);
			json_i64(view->j, "lifetime-left", left);
			json_str(view->j, "flags", fl);
			if (sa)
				json_str(view->j, "sa", sa);
			else
				json_null(view->j, "sa");
			json_obj_end(view->j);
		} else {
			ctl_textf(view->text, "%-40s %-40s %-12s %-5u %-9u %-9" PRId64 " %-5s %s\n", hoa, coa,
			      bcache_state_name(e->state), (unsigned)e->seq, granted, left, fl, sa ? sa : "-");
		}
		rows++;
	}
	return rows;
}

#define BUL_HEADER \
	"DESTINATION                              HOME ADDRESS                             " \
	"CARE-OF ADDRESS                          STATE          SEQ   LIFETIME  LEFT\n"

int mip6_show_bul(const struct mip6_show_bul_row *rows, size_t n, struct ctl_view *view)
{
	int written = 0;
	if (!view->json)
		ctl_textf(view->text, BUL_HEADER);
	for (size_t i = 0; i < n; i++) {
		const struct mip6_show_bul_row *r = &rows[i];
		char d[ADDR_STRLEN], h[ADDR_STRLEN], c[ADDR_STRLEN];
		addr_fmt(&r->destination, d, sizeof(d));
		addr_fmt(&r->home_address, h, sizeof(h));
		addr_fmt(&r->coa, c, sizeof(c));
		if (view->filter && strcmp(view->filter, d) != 0 && strcmp(view->filter, h) != 0)
			continue;
		if (view->json) {
			json_obj_begin(view->j, NULL);
			json_str(view->j, "destination", d);
			json_str(view->j, "home-address", h);
			json_str(view->j, "care-of-address", c);
			json_str(view->j, "state", r->state);
			json_u64(view->j, "sequence", r->sequence);
			json_u64(view->j, "lifetime", r->lifetime_s);
			json_left(view->j, r->lifetime_left_s);
			json_obj_end(view->j);
		} else {
			ctl_textf(view->text, "%-40s %-40s %-40s %-14s %-5u %-9u %" PRId64 "\n", d, h, c, r->state,
			      (unsigned)r->sequence, r->lifetime_s, r->lifetime_left_s);
		}
		written++;
	}
	return written;
}

void mip6_show_ha_status(const struct mip6_show_ha *s, struct ctl_view *view)
{
	char a[ADDR_STRLEN];
	addr_fmt(&s->address, a, sizeof(a));
	if (view->json) {
		json_str(view->j, "address", a);
		json_str(view->j, "home-link", s->home_link);
		json_u64(view->j, "bindings", s->bindings);
		json_u64(view->j, "bu-received", s->bu_received);
		json_u64(view->j, "bu-accepted", s->bu_accepted);
		json_u64(view->j, "bu-rejected", s->bu_rejected);
		json_u64(view->j, "bu-dropped", s->bu_dropped);
		json_u64(view->j, "tunnelled-out", s->tunnelled_out);
		json_u64(view->j, "tunnelled-in", s->tunnelled_in);
		json_u64(view->j, "dhaad-replies", s->dhaad_replies);
		json_u64(view->j, "mpa-sent", s->mpa_sent);
		return;
	}
	ctl_textf(view->text, "  address:    %s on %s\n", a, s->home_link);
	ctl_textf(view->text, "  bindings:   %zu\n", s->bindings);
	ctl_textf(view->text, "  BUs:        %" PRIu64 " received, %" PRIu64 " accepted, %" PRIu64 " rejected, %" PRIu64
	      " dropped\n", s->bu_received, s->bu_accepted, s->bu_rejected, s->bu_dropped);
	ctl_textf(view->text, "  tunnelled:  %" PRIu64 " to mobile nodes, %" PRIu64 " from them\n", s->tunnelled_out,
	      s->tunnelled_in);
}

void mip6_show_mn_status(const struct mip6_show_mn *s, struct ctl_view *view)
{
	char hoa[ADDR_STRLEN], ha[ADDR_STRLEN], coa[ADDR_STRLEN] = "-";
	addr_fmt(&s->home_address, hoa, sizeof(hoa));
	addr_fmt(&s->home_agent, ha, sizeof(ha));
	if (s->has_coa)
		addr_fmt(&s->coa, coa, sizeof(coa));
	if (view->json) {
		json_str(view->j, "home-address", hoa);
		json_str(view->j, "home-agent", ha);
		if (s->has_coa)
			json_str(view->j, "care-of-address", coa);
		else
			json_null(view->j, "care-of-address");
		json_str(view->j, "interface", s->interface);
		json_str(view->j, "location", s->location);
		json_str(view->j, "registration", s->registration);
		json_left(view->j, s->lifetime_left_s);
		json_u64(view->j, "sequence", s->sequence);
		json_u64(view->j, "registrations", s->registrations);
		json_u64(view->j, "handovers", s->handovers);
		json_i64(view->j, "last-handover-ms", s->last_handover_ms);
		json_u64(view->j, "tunnelled-out", s->tunnelled_out);
		json_u64(view->j, "tunnelled-in", s->tunnelled_in);
		return;
	}
	ctl_textf(view->text, "  home:         %s (home agent %s)\n", hoa, ha);
	ctl_textf(view->text, "  location:     %s%s%s\n", s->location, s->has_coa ? ", care-of " : "",
	      s->has_coa ? coa : "");
	if (s->interface[0])
		ctl_textf(view->text, "  interface:    %s\n", s->interface);
	ctl_textf(view->text, "  registration: %s, sequence %u, lifetime left %" PRId64 " s\n", s->registration,
	      (unsigned)s->sequence, s->lifetime_left_s);
	ctl_textf(view->text, "  counts:       %" PRIu64 " registrations, %" PRIu64 " handovers, last %" PRId64
	      " ms\n", s->registrations, s->handovers, s->last_handover_ms);
}
