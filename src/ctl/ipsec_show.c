/*
 * show: table and JSON rendering of the SAD and SPD for `mip6sec sas` and
 * `mip6sec policies` (docs/PROTOCOL.ctl: one JSON object per row inside the
 * array ctl opened, or text rows under one header line).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ctl/ipsec_show.h"

/* Column widths match the row formats in sa_text() and pol_text(). */
#define SAS_HEADER \
	"NAME             SPI         DIR  MODE       ALGORITHM      " \
	"                SOURCE -> DESTINATION                                ENCAP      STATE   PACKETS    BYTES        DROPS  LIFETIME\n"
#define POLICIES_HEADER \
	"#    PRIO DIR  ACTION   ACTIVE SELECTORS                    " \
	"                                              SA                   PACKETS    BYTES        NAME\n"

/* The filter as an SPI ("4097", "0x1001"), or false. */
static bool filter_spi(const char *filter, uint32_t *spi)
{
	char *end;
	unsigned long v = strtoul(filter, &end, 0);
	if (end == filter || *end || v > UINT32_MAX || filter[0] == '-')
		return false;
	*spi = (uint32_t)v;
	return true;
}

static bool filter_keeps(const char *filter, const char *a, const char *b, bool has_spi, uint32_t spi)
{
	if (!filter)
		return true;
	uint32_t f;
	if (has_spi && filter_spi(filter, &f) && f == spi)
		return true;
	return (a && strcmp(filter, a) == 0) || (b && strcmp(filter, b) == 0);
}

/* Seconds left before the hard time limit, or -1 when there is none. */
static int64_t lifetime_left(const struct sa *sa, uint64_t now_ms)
{
	if (!sa->hard.seconds)
		return -1;
	uint64_t end = sa->created_ms + sa->hard.seconds * 1000;
	return now_ms >= end ? 0 : (int64_t)((end - now_ms) / 1000);
}

/* ---- sas ---- */

struct sas_ctx {
	const struct ipsecdb *db;
	struct ctl_view *v;
	int rows;
};

static void sa_json(struct json *j, const struct sa *sa, const char *name, const char *tunnel, int64_t left)
{
	char src[ADDR_STRLEN], dst[ADDR_STRLEN];
	json_obj_begin(j, NULL);
	if (name)
		json_str(j, "name", name);
	else
		json_null(j, "name");
	json_u64(j, "spi", sa->spi);
	json_str(j, "direction", sa_dir_name(sa->dir));
	json_str(j, "mode", sa_mode_name(sa->mode));
	json_str(j, "algorithm", aead_alg_name(sa->alg));
	json_str(j, "source", addr_fmt(&sa->src, src, sizeof(src)));
	json_str(j, "destination", addr_fmt(&sa->dst, dst, sizeof(dst)));
	json_str(j, "encapsulation", sa->udp_encap ? "udp" : "esp");
	if (sa->udp_encap) {
		json_u64(j, "udp_port", sa->encap_dport);
		json_u64(j, "udp_source_port", sa->encap_sport); /* with NAT, maybe not udp_port */
	}
	if (tunnel)
		json_str(j, "tunnel", tunnel);
	json_bool(j, "manual", sa->manual);
	json_str(j, "state", sa_state_name(sa->state));
	json_u64(j, "packets", sa->cnt.packets);
	json_u64(j, "bytes", sa->cnt.bytes);
	json_obj_begin(j, "drops");
	json_u64(j, "auth", sa->cnt.auth_fail);
	json_u64(j, "replay", sa->cnt.replay_drop);
	json_u64(j, "other", sa->cnt.other_drop);
	json_obj_end(j);
	if (left < 0)
		json_null(j, "lifetime_left_s");
	else
		json_i64(j, "lifetime_left_s", left);
	json_obj_end(j);
}

static void sa_text(struct wbuf *w, const struct sa *sa, const char *name, int64_t left)
{
	char src[ADDR_STRLEN], dst[ADDR_STRLEN], ends[2 * ADDR_STRLEN + 8], encap[16], life[24];
	snprintf(ends, sizeof(ends), "%s -> %s", addr_fmt(&sa->src, src, sizeof(src)),
		 addr_fmt(&sa->dst, dst, sizeof(dst)));
	if (sa->udp_encap)
		snprintf(encap, sizeof(encap), "udp/%u", sa->encap_dport);
	else
		snprintf(encap, sizeof(encap), "esp");
	if (left < 0)
		snprintf(life, sizeof(life), "-");
	else
		snprintf(life, sizeof(life), "%" PRId64 "s", left);
	uint64_t drops = sa->cnt.auth_fail + sa->cnt.replay_drop + sa->cnt.other_drop;
	ctl_textf(w, "%-16s 0x%08" PRIx32 "  %-4s %-10s %-30s %-52s %-10s %-7s %-10" PRIu64 " %-12" PRIu64
	      " %-6" PRIu64 " %s\n",
	      name ? name : "-", sa->spi, sa_dir_name(sa->dir), sa_mode_name(sa->mode), aead_alg_name(sa->alg),
	      ends, encap, sa_state_name(sa->state), sa->cnt.packets, sa->cnt.bytes, drops, life);
}

static void sas_row(struct sa *sa, const char *name, void *arg)
{
	struct sas_ctx *x = arg;
	const struct ipsecdb_tunnel *t = ipsecdb_sa_tunnel(x->db, sa);
	const char *tname = t ? t->name : NULL;
	if (!filter_keeps(x->v->filter, name, tname, true, sa->spi))
		return;
	int64_t left = lifetime_left(sa, ipsecdb_now(x->db));
	if (x->v->json) {
		sa_json(x->v->j, sa, name, tname, left);
	} else {
		if (!x->rows)
			ctl_textf(x->v->text, SAS_HEADER);
		sa_text(x->v->text, sa, name, left);
	}
	x->rows++;
}

int ipsec_show_sas(void *arg, struct ctl_view *view)
{
	struct ipsecdb *const *live = arg;
	if (!live || !*live)
		return 0;
	struct sas_ctx x = { .db = *live, .v = view };
	int rc = ipsecdb_foreach_sa(*live, sas_row, &x);
	return rc < 0 ? rc : x.rows;
}

/* ---- policies ---- */

struct pol_ctx {
	const struct ipsecdb *db;
	struct ctl_view *v;
	int rows;
	unsigned pos; /* 1-based position in lookup order (per direction) */
	enum spd_dir dir;
};

static void json_opt_int(struct json *j, const char *key, int v)
{
	if (v == SPD_ANY)
		json_null(j, key);
	else
		json_u64(j, key, (uint64_t)v);
}

static void json_prefix(struct json *j, const char *key, const struct prefix6 *p)
{
	char a[ADDR_STRLEN], buf[ADDR_STRLEN + 5];
	if (!p->len) {
		json_null(j, key);
		return;
	}
	snprintf(buf, sizeof(buf), "%s/%u", addr_fmt(&p->addr, a, sizeof(a)), p->len);
	json_str(j, key, buf);
}

static void pol_json(struct json *j, const struct spd_entry *e, unsigned pos, const char *sa_name)
{
	char sel[256];
	spd_sel_format(&e->sel, sel, sizeof(sel));
	json_obj_begin(j, NULL);
	json_u64(j, "order", pos);
	json_u64(j, "priority", e->priority);
	json_str(j, "direction", spd_dir_name(e->dir));
	json_str(j, "action", spd_action_name(e->action));
	json_bool(j, "active", e->active);
	json_str(j, "name", e->name);
	json_str(j, "selector", sel);
	json_obj_begin(j, "selectors");
	json_prefix(j, "source", &e->sel.src);
	json_prefix(j, "destination", &e->sel.dst);
	json_opt_int(j, "protocol", e->sel.proto);
	json_opt_int(j, "sport", e->sel.sport);
	json_opt_int(j, "dport", e->sel.dport);
	json_opt_int(j, "mh_type", e->sel.mh_type);
	json_opt_int(j, "icmp_type", e->sel.icmp_type);
	json_opt_int(j, "icmp_code", e->sel.icmp_code);
	if (e->sel.ifid == SPD_IFID_ANY)
		json_null(j, "interface");
	else
		json_u64(j, "interface", e->sel.ifid);
	json_obj_end(j);
	if (e->action == SPD_PROTECT) {
		char a[ADDR_STRLEN];
		json_obj_begin(j, "sa");
		if (sa_name)
			json_str(j, "name", sa_name);
		else
			json_null(j, "name");
		json_u64(j, "spi", e->protect.spi);
		json_str(j, "mode", sa_mode_name(e->protect.mode));
		if (e->protect.mode == SA_MODE_TUNNEL) {
			json_str(j, "tunnel_source", addr_fmt(&e->protect.tunnel_src, a, sizeof(a)));
			json_str(j, "tunnel_destination", addr_fmt(&e->protect.tunnel_dst, a, sizeof(a)));
		}
		json_bool(j, "present", e->protect.sa != NULL);
		json_bool(j, "larval", spd_is_larval(e)); /* IKE-keyed, no CHILD_SA yet */
		json_obj_end(j);
	} else {
		json_null(j, "sa");
	}
	json_u64(j, "packets", e->packets);
	json_u64(j, "bytes", e->bytes);
	json_obj_end(j);
}

static void pol_text(struct wbuf *w, const struct spd_entry *e, unsigned pos, const char *sa_name)
{
	char sel[256], sa[64];
	spd_sel_format(&e->sel, sel, sizeof(sel));
	if (e->action != SPD_PROTECT)
		snprintf(sa, sizeof(sa), "-");
	else if (sa_name)
		snprintf(sa, sizeof(sa), "%s", sa_name);
	else if (spd_is_larval(e))
		snprintf(sa, sizeof(sa), "larval"); /* IKE-keyed, no CHILD_SA yet */
	else
		snprintf(sa, sizeof(sa), "0x%08" PRIx32 "%s", e->protect.spi, e->protect.sa ? "" : " (none)");
	ctl_textf(w, "%-4u %-4" PRIu32 " %-4s %-8s %-6s %-74s %-20s %-10" PRIu64 " %-12" PRIu64 " %s\n", pos,
	      e->priority, spd_dir_name(e->dir), spd_action_name(e->action), e->active ? "yes" : "no", sel, sa,
	      e->packets, e->bytes, e->name);
}

static void pol_row(struct spd_entry *e, void *arg)
{
	struct pol_ctx *x = arg;
	if (e->dir != x->dir) {
		x->dir = e->dir;
		x->pos = 0;
	}
	x->pos++;
	const char *sa_name = e->action == SPD_PROTECT ? ipsecdb_sa_name(x->db, e->protect.sa) : NULL;
	if (!filter_keeps(x->v->filter, e->name, sa_name, e->action == SPD_PROTECT, e->protect.spi))
		return;
	if (x->v->json) {
		pol_json(x->v->j, e, x->pos, sa_name);
	} else {
		if (!x->rows)
			ctl_textf(x->v->text, POLICIES_HEADER);
		pol_text(x->v->text, e, x->pos, sa_name);
	}
	x->rows++;
}

int ipsec_show_policies(void *arg, struct ctl_view *view)
{
	struct ipsecdb *const *live = arg;
	if (!live || !*live)
		return 0;
	struct pol_ctx x = { .db = *live, .v = view, .dir = SPD_DIR_OUT };
	spd_foreach(ipsecdb_spd(*live), pol_row, &x);
	return x.rows;
}

void ipsec_show_register(struct ctl *ctl, struct ipsecdb **live)
{
	ctl_set_listing(ctl, CTL_CMD_SAS, ipsec_show_sas, live);
	ctl_set_listing(ctl, CTL_CMD_POLICIES, ipsec_show_policies, live);
}
