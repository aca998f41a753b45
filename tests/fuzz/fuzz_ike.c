/*
 * libFuzzer target for the IKEv2 codec (src/wire/ike.c).
 *
 * The input is tried as a whole message, as a port-4500 datagram, and (first
 * octet = first payload type) as the plaintext chain of an SK payload. The
 * verdict must be consistent (return code vs reason, offsets inside the
 * input); every typed payload that parses must rebuild, re-parse and compare
 * equal field by field. Seeds: tests/unit/test_ike_wire with IKE_CORPUS set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wbuf.h"
#include "wire/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_verdict(int rc, const struct ike_diag *d, size_t size)
{
	if ((rc == 0) != (d->reason == IKE_R_OK) || d->offset > size || d->reason >= IKE_R_COUNT)
		abort();
	if (rc == 0 && ike_reason_notify(d->reason) != 0)
		abort();
}

static bool span_eq(const struct ike_span *a, const struct ike_span *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static bool sa_eq(const struct ike_sa *a, const struct ike_sa *b)
{
	if (a->n_prop != b->n_prop)
		return false;
	for (unsigned i = 0; i < a->n_prop; i++) {
		const struct ike_proposal *p = &a->prop[i], *q = &b->prop[i];
		if (p->num != q->num || p->proto != q->proto || p->spi_size != q->spi_size || p->n_xf != q->n_xf ||
		    memcmp(p->spi, q->spi, p->spi_size) != 0)
			return false;
		for (unsigned j = 0; j < p->n_xf; j++)
			if (p->xf[j].type != q->xf[j].type || p->xf[j].id != q->xf[j].id ||
			    p->xf[j].key_len != q->xf[j].key_len)
				return false;
	}
	return true;
}

union typed {
	struct ike_sa sa;
	struct ike_ts_list ts;
	struct ike_cp cp;
	struct ike_notify n;
	struct ike_delete del;
	struct ike_ke ke;
	struct ike_id id;
	struct ike_auth auth;
};

/* Rebuild one typed payload into a chain of its own and parse it back. */
static void round_trip(const struct ike_payload *p)
{
	static uint8_t out[70000];
	struct wbuf w;
	struct ike_builder b;
	struct ike_chain c;
	struct ike_diag d;
	uint8_t first;
	size_t len;
	/* Parsed from the input (u) and from our rebuild (v). */
	static union typed u, v;

	wbuf_init(&w, out, sizeof(out));
	ike_build_inner_begin(&b, &w);
	switch (p->type) {
	case IKE_PL_SA:
		if (ike_parse_sa(p, &u.sa, NULL) != 0)
			return;
		ike_build_sa(&b, &u.sa);
		break;
	case IKE_PL_TSI:
	case IKE_PL_TSR:
		if (ike_parse_ts(p, &u.ts, NULL) != 0 || u.ts.n == 0)
			return;
		ike_build_ts(&b, p->type, &u.ts);
		break;
	case IKE_PL_CP:
		if (ike_parse_cp(p, &u.cp, NULL) != 0)
			return;
		ike_build_cp(&b, &u.cp);
		break;
	case IKE_PL_NOTIFY:
		if (ike_parse_notify(p, &u.n, NULL) != 0)
			return;
		ike_build_notify(&b, u.n.proto, u.n.spi, u.n.spi_size, u.n.type, u.n.data.ptr, u.n.data.len);
		break;
	case IKE_PL_DELETE:
		if (ike_parse_delete(p, &u.del, NULL) != 0)
			return;
		ike_build_delete(&b, u.del.proto, u.del.spi_size, u.del.spis.ptr, u.del.n_spi);
		break;
	case IKE_PL_KE:
		if (ike_parse_ke(p, &u.ke, NULL) != 0)
			return;
		ike_build_ke(&b, u.ke.group, u.ke.data.ptr, u.ke.data.len);
		break;
	case IKE_PL_IDI:
	case IKE_PL_IDR:
		if (ike_parse_id(p, &u.id, NULL) != 0)
			return;
		ike_build_id(&b, p->type, u.id.type, u.id.data.ptr, u.id.data.len);
		break;
	case IKE_PL_AUTH:
		if (ike_parse_auth(p, &u.auth, NULL) != 0)
			return;
		if (u.auth.method == IKE_AUTH_DIGITAL_SIG)
			ike_build_auth_digsig(&b, u.auth.sig_alg.ptr, u.auth.sig_alg.len, u.auth.sig.ptr, u.auth.sig.len);
		else
			ike_build_auth(&b, u.auth.method, u.auth.data.ptr, u.auth.data.len);
		break;
	default:
		return;
	}
	if (ike_build_inner_end(&b, &first, &len) != 0 || first != p->type)
		abort();
	if (ike_parse_chain(first, out, len, true, &c, &d) != 0 || c.n != 1)
		abort();
	const struct ike_payload *q = &c.pl[0];
	bool same;
	switch (p->type) {
	case IKE_PL_SA:
		same = ike_parse_sa(q, &v.sa, NULL) == 0 && sa_eq(&u.sa, &v.sa);
		break;
	case IKE_PL_TSI:
	case IKE_PL_TSR:
		same = ike_parse_ts(q, &v.ts, NULL) == 0 && v.ts.n == u.ts.n &&
		       memcmp(v.ts.ts, u.ts.ts, u.ts.n * sizeof(u.ts.ts[0])) == 0;
		break;
	case IKE_PL_CP:
		same = ike_parse_cp(q, &v.cp, NULL) == 0 && v.cp.cfg_type == u.cp.cfg_type && v.cp.n == u.cp.n;
		for (unsigned i = 0; same && i < u.cp.n; i++)
			same = v.cp.attr[i].type == u.cp.attr[i].type && span_eq(&v.cp.attr[i].value, &u.cp.attr[i].value);
		break;
	case IKE_PL_NOTIFY:
		same = ike_parse_notify(q, &v.n, NULL) == 0 && v.n.type == u.n.type && v.n.proto == u.n.proto &&
		       v.n.spi_size == u.n.spi_size && memcmp(v.n.spi, u.n.spi, u.n.spi_size) == 0 &&
		       span_eq(&v.n.data, &u.n.data);
		break;
	case IKE_PL_DELETE:
		same = ike_parse_delete(q, &v.del, NULL) == 0 && v.del.n_spi == u.del.n_spi &&
		       span_eq(&v.del.spis, &u.del.spis);
		break;
	case IKE_PL_KE:
		same = ike_parse_ke(q, &v.ke, NULL) == 0 && v.ke.group == u.ke.group && span_eq(&v.ke.data, &u.ke.data);
		break;
	case IKE_PL_IDI:
	case IKE_PL_IDR:
		same = ike_parse_id(q, &v.id, NULL) == 0 && v.id.type == u.id.type && span_eq(&v.id.data, &u.id.data);
		break;
	default: /* IKE_PL_AUTH */
		same = ike_parse_auth(q, &v.auth, NULL) == 0 && v.auth.method == u.auth.method &&
		       span_eq(&v.auth.data, &u.auth.data) && span_eq(&v.auth.sig, &u.auth.sig);
		break;
	}
	if (!same)
		abort();
}

static void walk(const struct ike_chain *c, size_t size)
{
	struct ike_diag d;
	int rc = ike_chain_validate(c, &d);
	check_verdict(rc, &d, size);
	for (unsigned i = 0; i < c->n; i++)
		round_trip(&c->pl[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	static struct ike_chain c;
	struct ike_diag d;
	struct ike_span ike;

	int rc = ike_parse_msg(data, size, &m, &d);
	check_verdict(rc, &d, size);
	if (rc == 0) {
		walk(&m.chain, size);
		/* The SK body taken as plaintext, as after decryption. */
		if (m.chain.encrypted) {
			const struct ike_payload *sk = &m.chain.pl[m.chain.n - 1];
			if (sk->offset + IKE_PL_HDR_LEN > size || sk->body.len > size)
				abort();
			if (ike_parse_chain(m.chain.inner_first, sk->body.ptr, sk->body.len, true, &c, &d) == 0)
				walk(&c, size);
		}
	}

	if (ike_natt_unwrap(data, size, &ike, &d) == 0) {
		rc = ike_parse_msg(ike.ptr, ike.len, &m, &d);
		check_verdict(rc, &d, ike.len);
	}

	if (size > 0) {
		rc = ike_parse_chain(data[0], data + 1, size - 1, true, &c, &d);
		check_verdict(rc, &d, size - 1);
		if (rc == 0) {
			if (c.encrypted)
				abort(); /* never nested */
			walk(&c, size - 1);
		}
	}
	return 0;
}
