/*
 * libFuzzer target for the Mobility Header codec (src/wire/mh.c).
 *
 * Parses the input with and without the checksum; whatever parses must
 * rebuild from the struct, re-parse (checksum included) and compare equal,
 * and its MH Data must be recoverable when it carries BAD.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wbuf.h"
#include "wire/mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mh_pseudo ph = {
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 } } },
		{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0x00 } } },
	};
	static uint8_t out[MH_MAX_LEN], data2[MH_MAX_LEN];
	struct mh_msg m, m2;
	struct mh_diag d;
	struct wbuf w;
	size_t auth_off, n;

	/* Verified parse: any outcome, but a consistent verdict. A Parameter
	 * Problem pointer exists exactly for the reasons that send one. */
	int rc = mh_parse(data, size, &ph, &m, &d);
	if ((rc == 0) != (d.reason == MH_R_OK) || d.offset > size)
		abort();
	if ((mh_reason_action(d.reason) == MH_ACT_PARAM_PROB) != (d.pp_ptr != MH_PP_NONE))
		abort();

	if (mh_parse(data, size, NULL, &m, &d) != 0)
		return 0;
	if (m.opts.has_auth && mh_auth_data(data, size, &m, data2, sizeof(data2), &n) != 0)
		abort();

	wbuf_init(&w, out, sizeof(out));
	if (mh_build(&w, &m, &ph, &auth_off) != 0)
		abort();
	if (wbuf_len(&w) % 8 != 0 || (m.opts.has_auth && auth_off + m.opts.auth_len != wbuf_len(&w)))
		abort();
	if (mh_parse(out, wbuf_len(&w), &ph, &m2, &d) != 0 || !mh_msg_eq(&m, &m2))
		abort();
	if (m2.opts.unknown != 0 || m2.opts.invalid != 0)
		abort();

	/* Building without the checksum and filling it later gives the same
	 * bytes as building with it. */
	n = wbuf_len(&w);
	wbuf_init(&w, data2, sizeof(data2));
	if (mh_build(&w, &m, NULL, NULL) != 0 || wbuf_len(&w) != n ||
	    mh_cksum_fill(data2, n, &ph) != 0 || memcmp(data2, out, n) != 0)
		abort();
	return 0;
}
