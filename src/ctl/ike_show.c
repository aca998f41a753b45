/*
 * ike_show: table and JSON rendering of the IKE adapter's SAs (ike_show.h).
 */
#include "ctl/ike_show.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/err.h"

#define IKE_HEADER \
	"PEER             IDENTITY                 STATE        ROLE  SPI_I            SPI_R            " \
	"SUITE            NAT        REMOTE                                   AGE    IDLE   CHILDREN\n"

struct ike_ctx {
	struct ctl_view *v;
	int rows;
};

/* The identity as text ("" before IKE_AUTH; an IPv6 address formatted). */
static void id_text(const struct ikesa_id *id, char *buf, size_t len)
{
	if (id->len == 16 && id->type == IKE_ID_IPV6_ADDR) {
		struct in6_addr a;
		memcpy(&a, id->data, 16);
		addr_fmt(&a, buf, len);
		return;
	}
	snprintf(buf, len, "%.*s", (int)id->len, (const char *)id->data);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

static bool spi_matches(const char *filter, uint64_t spi)
{
	if (strncasecmp(filter, "0x", 2) == 0)
		filter += 2;
	char *end;
	unsigned long long v = strtoull(filter, &end, 16);
	return end != filter && *end == '\0' && v == spi;
}

static bool keeps(const char *filter, const struct ikeio_sa_info *in, const char *idtext)
{
	if (filter == NULL)
		return true;
	return strcmp(filter, in->peer_name) == 0 || strcmp(filter, idtext) == 0 || spi_matches(filter, in->spi_i) ||
	       spi_matches(filter, in->spi_r);
}

static const char *nat_text(const struct ikeio_sa_info *in)
{
	if (in->nat_local && in->nat_remote)
		return "both";
	if (in->nat_local)
		return "local";
	if (in->nat_remote)
		return "remote";
	return "none";
}

static void row_json(struct json *j, const struct ikeio_sa_info *in, const char *idtext)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], spi[20];
	json_obj_begin(j, NULL);
	json_str(j, "peer", in->peer_name);
	json_str(j, "identity", idtext);
	json_str(j, "state", ikesa_state_name(in->state));
	json_str(j, "role", in->initiator ? "initiator" : "responder");
	snprintf(spi, sizeof(spi), "%016" PRIx64, in->spi_i);
	json_str(j, "spi_i", spi);
	snprintf(spi, sizeof(spi), "%016" PRIx64, in->spi_r);
	json_str(j, "spi_r", spi);
	json_obj_begin(j, "suite");
	json_u64(j, "encr", in->suite.encr);
	json_u64(j, "key_bits", in->suite.key_bits);
	json_u64(j, "integ", in->suite.integ);
	json_u64(j, "prf", in->suite.prf);
	json_u64(j, "dh", in->suite.dh);
	json_obj_end(j);
	json_bool(j, "nat_local", in->nat_local);
	json_bool(j, "nat_remote", in->nat_remote);
	json_bool(j, "natt", in->floated);
	json_str(j, "local", addr_fmt(&in->path.local, a, sizeof(a)));
	json_u64(j, "local_port", in->path.local_port);
	json_str(j, "remote", addr_fmt(&in->path.remote, b, sizeof(b)));
	json_u64(j, "remote_port", in->path.remote_port);
	json_u64(j, "age_s", in->age_ms / 1000);
	json_u64(j, "idle_s", in->idle_ms / 1000);
	json_arr_begin(j, "children");
	for (size_t i = 0; i < in->n_children; i++) {
		const struct ikeio_child_info *c = &in->children[i];
		json_obj_begin(j, NULL);
		snprintf(spi, sizeof(spi), "%08" PRIx32, c->spi_in);
		json_str(j, "spi_in", spi);
		snprintf(spi, sizeof(spi), "%08" PRIx32, c->spi_out);
		json_str(j, "spi_out", spi);
		json_str(j, "tunnel", c->tunnel);
		json_str(j, "encapsulation", c->udp_encap ? "udp" : "esp");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_begin(j, "counters");
	json_u64(j, "retransmits", in->stats->retransmits);
	json_u64(j, "cache_answers", in->stats->cache_answers);
	json_u64(j, "dpd_answered", in->stats->dpd_answered);
	json_u64(j, "dpd_ok", in->stats->dpd_ok);
	json_u64(j, "child_deleted", in->stats->child_deleted);
	json_obj_begin(j, "drops");
	for (unsigned d = 1; d < IKESA_DROP_COUNT; d++)
		if (in->stats->drop[d] != 0)
			json_u64(j, ikesa_drop_name((enum ikesa_drop)d), in->stats->drop[d]);
	json_obj_end(j);
	json_obj_end(j);
	json_obj_end(j);
}

static void row_text(struct wbuf *w, const struct ikeio_sa_info *in, const char *idtext)
{
	char remote[ADDR_STRLEN + 16], a[ADDR_STRLEN], suite[40], children[IKEIO_CHILD_MAX * 20 + 1] = "";
	snprintf(remote, sizeof(remote), "[%s]:%u", addr_fmt(&in->path.remote, a, sizeof(a)), in->path.remote_port);
	snprintf(suite, sizeof(suite), "%u/%u/%u/%u/%u", in->suite.encr, in->suite.key_bits, in->suite.integ,
		 in->suite.prf, in->suite.dh);
	for (size_t i = 0; i < in->n_children; i++) {
		char one[24];
		snprintf(one, sizeof(one), "%s%08" PRIx32 "/%08" PRIx32, i ? "," : "", in->children[i].spi_in,
			 in->children[i].spi_out);
		strncat(children, one, sizeof(children) - strlen(children) - 1);
	}
	ctl_textf(w, "%-16s %-24s %-12s %-5s %016" PRIx64 " %016" PRIx64 " %-16s %-10s %-40s %-6" PRIu64 " %-6" PRIu64
		     " %s\n",
		  in->peer_name[0] ? in->peer_name : "-", idtext[0] ? idtext : "-", ikesa_state_name(in->state),
		  in->initiator ? "init" : "resp", in->spi_i, in->spi_r, suite, nat_text(in), remote,
		  in->age_ms / 1000, in->idle_ms / 1000, children[0] ? children : "-");
}

static int one_sa(void *arg, const struct ikeio_sa_info *in)
{
	struct ike_ctx *x = arg;
	char idtext[IKESA_ID_MAX + 1];
	id_text(&in->peer_id, idtext, sizeof(idtext));
	if (!keeps(x->v->filter, in, idtext))
		return 0;
	if (x->v->json) {
		row_json(x->v->j, in, idtext);
	} else {
		if (x->rows == 0)
			ctl_textf(x->v->text, IKE_HEADER);
		row_text(x->v->text, in, idtext);
	}
	x->rows++;
	return 0;
}

int ike_show_sas(void *arg, struct ctl_view *view)
{
	struct ikeio *const *live = arg;
	struct ike_ctx x = { .v = view };
	if (live == NULL || *live == NULL)
		return 0;
	int rc = ikeio_foreach(*live, one_sa, &x);
	return rc < 0 ? rc : x.rows;
}

void ike_show_status(void *arg, struct ctl_view *view)
{
	struct ikeio *const *live = arg;
	struct ikeio_summary s;
	ikeio_summary(live != NULL ? *live : NULL, &s);
	static const struct ikeio_counters zero;
	const struct ikeio_counters *c = s.counters != NULL ? s.counters : &zero;
	uint64_t cookies = s.gate != NULL ? s.gate->cookie_sent : 0;
	if (view->json) {
		struct json *j = view->j;
		json_u64(j, "sas", s.total);
		json_u64(j, "established", s.established);
		json_u64(j, "half_open", s.half_open);
		json_bool(j, "key_dump", s.key_dump);
		json_u64(j, "received", c->rx);
		json_u64(j, "sent", c->tx);
		json_u64(j, "send_failed", c->tx_fail);
		json_u64(j, "accepted", c->accepted);
		json_u64(j, "cookies_sent", cookies);
		json_u64(j, "ike_up", c->ike_up);
		json_u64(j, "ike_down", c->ike_down);
		json_u64(j, "dpd_dead", c->dpd_dead);
		json_u64(j, "children_installed", c->child_installed);
		json_u64(j, "children_install_failed", c->child_install_failed);
		json_u64(j, "path_changes", c->path_changes);
		json_u64(j, "mip6_ts_refused", c->mip6_ts_refused);
		json_u64(j, "keepalives_sent", c->keepalive_tx);
		json_u64(j, "keepalives_received", c->keepalive_rx);
		json_obj_begin(j, "drops");
		for (unsigned d = 0; d < IKEIO_DROP_COUNT; d++)
			json_u64(j, ikeio_drop_name((enum ikeio_drop)d), c->drop[d]);
		json_obj_end(j);
		return;
	}
	struct wbuf *w = view->text;
	ctl_textf(w, "  SAs: %u (%u established, %u half-open)%s\n", s.total, s.established, s.half_open,
		  s.key_dump ? ", KEY DUMP ON" : "");
	ctl_textf(w, "  datagrams: %" PRIu64 " received, %" PRIu64 " sent (%" PRIu64 " failed); %" PRIu64
		     " accepted, %" PRIu64 " cookies sent\n",
		  c->rx, c->tx, c->tx_fail, c->accepted, cookies);
	ctl_textf(w, "  SAs up %" PRIu64 ", down %" PRIu64 " (%" PRIu64 " dead peers); CHILD_SAs installed %" PRIu64
		     " (%" PRIu64 " failed); path changes %" PRIu64 "; home addresses refused %" PRIu64 "\n",
		  c->ike_up, c->ike_down, c->dpd_dead, c->child_installed, c->child_install_failed, c->path_changes,
		  c->mip6_ts_refused);
	ctl_textf(w, "  drops:");
	for (unsigned d = 0; d < IKEIO_DROP_COUNT; d++)
		ctl_textf(w, " %s=%" PRIu64, ikeio_drop_name((enum ikeio_drop)d), c->drop[d]);
	ctl_textf(w, "\n");
}

void ike_show_register(struct ctl *ctl, struct ikeio **live)
{
	ctl_set_listing(ctl, CTL_CMD_IKE, ike_show_sas, live);
	ctl_set_status_section(ctl, "ike", ike_show_status, live);
}
