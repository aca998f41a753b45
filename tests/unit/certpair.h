/*
 * Two IKE SA engines authenticating with certificates: tests/unit/
 * ikesa_pair.h with empty PSKs (so each side signs with its
 * ikesa_params.cred), plus the test PKI of certgen.h made
 * once per process in a temporary directory. Shared by test_ikeauth.c and
 * test_ikefrag.c.
 */
#ifndef M6_TESTS_CERTPAIR_H
#define M6_TESTS_CERTPAIR_H

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "certgen.h"
#include "ike/ikeauth.h"
#include "ikesa_pair.h"
#include "testutil.h"

/* No PSK for a side (pair_psk_for answers an empty one): it signs with
 * its ikesa_params.cred. */
static inline void cp_no_psk(struct pair_ctx *c, int who)
{
	c->side[who].psk_len = 0;
}

/* Deliver, advancing the fake clock to retransmissions, until both sides
 * settled or limit ms passed. */
static inline void cp_run(struct pair_ctx *c, uint64_t limit_ms)
{
	uint64_t end = c->now + limit_ms;
	do
		pair_pump(c);
	while (pair_advance(c, end));
	pair_pump(c);
}

/* ---- the test PKI ---- */

static char cp_dir[64];

static inline const char *cp_path(const char *name, const char *suffix)
{
	static char paths[8][256];
	static unsigned next;
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s%s", cp_dir, name, suffix);
	return p;
}

#define CP_HA_SAN "DNS:ha.example.net,IP:2001:db8:1::1"
#define CP_MN_SAN "email:mn1@example.net,DNS:mn1.example.net,IP:2001:db8:1::100"

static inline int cp_mkdir(void)
{
	snprintf(cp_dir, sizeof(cp_dir), "/tmp/m6-certs-XXXXXX");
	return mkdtemp(cp_dir) != NULL ? 0 : -1;
}

/* Chains per algorithm: ALG-ha (own root) and ALG-mn (same root), both with
 * one intermediate. evil-*: the same names under another root. exp-mn:
 * expired. */
static inline int cp_make_pki(void)
{
	static const struct {
		const char *name;
		enum cg_alg alg;
	} algs[] = { { "rsa2048", CG_RSA2048 }, { "rsa3072", CG_RSA3072 }, { "p256", CG_P256 }, { "p384", CG_P384 } };
	if (cp_mkdir() != 0)
		return -1;
	char ha[32], mn[32];
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		snprintf(ha, sizeof(ha), "%s-ha", algs[i].name);
		snprintf(mn, sizeof(mn), "%s-mn", algs[i].name);
		if (cg_chain(cp_dir, ha, NULL, algs[i].alg, 1, "ha.example.net", CP_HA_SAN, false) != 0 ||
		    cg_chain(cp_dir, mn, ha, algs[i].alg, 1, "mn1.example.net", CP_MN_SAN, false) != 0)
			return -1;
	}
	if (cg_chain(cp_dir, "evil-ha", NULL, CG_P256, 1, "ha.example.net", CP_HA_SAN, false) != 0 ||
	    cg_chain(cp_dir, "evil-mn", "evil-ha", CG_P256, 1, "mn1.example.net", CP_MN_SAN, false) != 0 ||
	    cg_chain(cp_dir, "exp-mn", "p256-ha", CG_P256, 1, "mn1.example.net", CP_MN_SAN, true) != 0)
		return -1;
	return 0;
}

/* Big: RSA-3072 with two intermediates, big-ha and big-mn under one root
 * (IKE_AUTH over 4 KiB, fragmented). */
static inline int cp_make_big_pki(void)
{
	if (cp_mkdir() != 0)
		return -1;
	return cg_chain(cp_dir, "big-ha", NULL, CG_RSA3072, 2, "ha.example.net", CP_HA_SAN, false) != 0 ||
			       cg_chain(cp_dir, "big-mn", "big-ha", CG_RSA3072, 2, "mn1.example.net", CP_MN_SAN,
					false) != 0
		       ? -1
		       : 0;
}

/* For tcase_add_unchecked_fixture(). */
static inline void cp_make_pki_or_abort(void)
{
	if (cp_make_pki() != 0)
		ck_abort_msg("test PKI not made");
}

static inline void cp_make_big_pki_or_abort(void)
{
	if (cp_make_big_pki() != 0)
		ck_abort_msg("test PKI not made");
}

static inline void cp_remove_pki(void)
{
	DIR *d = opendir(cp_dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", cp_dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(cp_dir);
}

/* A credential: chain NAME, trusting the root of chain CA. */
static inline struct ikeauth_cred *cp_cred(const char *name, const char *ca)
{
	struct ikeauth_cred *c = NULL;
	char err[256];
	if (ikeauth_cred_load(cp_path(name, ".crt"), cp_path(name, ".key"), cp_path(ca, "-ca.crt"), &c, err,
			      sizeof(err)) != 0) {
		fprintf(stderr, "cp_cred %s: %s\n", name, err);
		return NULL;
	}
	return c;
}

/* ---- the fixture: two engines, a credential each ---- */

static struct pair_ctx cp_ctx;
static struct ikeauth_cred *cp_creds[2];

static inline struct pair_side *mn(void) { return &cp_ctx.side[PAIR_MN]; }
static inline struct pair_side *ha(void) { return &cp_ctx.side[PAIR_HA]; }

/* tcase_add_checked_fixture(): no PSKs, no credentials yet. */
static inline void cp_setup(void)
{
	ck_assert_int_eq(pair_init(&cp_ctx, 3), 0);
	cp_no_psk(&cp_ctx, PAIR_MN);
	cp_no_psk(&cp_ctx, PAIR_HA);
	cp_creds[0] = cp_creds[1] = NULL;
}

static inline void cp_teardown(void)
{
	pair_fini(&cp_ctx);
	ikeauth_cred_free(cp_creds[0]);
	ikeauth_cred_free(cp_creds[1]);
}

/* IKE_SA_INIT both ways; the MN's IKE_AUTH request (or its fragments) then
 * waits in the network. */
static inline void cp_init_exchange(void)
{
	struct pair_dgram d;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, d.b, d.len), 0);
}

/* Both SAs up once with one CHILD_SA whose keys agree, and no timer left
 * (no request outstanding, no reassembly held). */
static inline void cp_assert_up(void)
{
	ck_assert_ptr_nonnull(ha()->sa);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(mn()->n_ike_up, 1);
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	ck_assert_uint_eq(mn()->n_child_up, 1);
	ck_assert_uint_eq(ha()->n_child_up, 1);
	tu_assert_mem_eq(mn()->child.keymat_out, mn()->child.keymat_len, ha()->child.keymat_in,
			 ha()->child.keymat_len);
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), IKESA_NEVER);
	ck_assert_uint_eq(ikesa_next_timeout(ha()->sa), IKESA_NEVER);
}

/* MN with chain mn_chain trusting mn_ca's root, HA likewise. */
static inline void cp_use_creds(const char *mn_chain, const char *mn_ca, const char *ha_chain, const char *ha_ca)
{
	cp_creds[PAIR_MN] = cp_cred(mn_chain, mn_ca);
	cp_creds[PAIR_HA] = cp_cred(ha_chain, ha_ca);
	ck_assert_ptr_nonnull(cp_creds[PAIR_MN]);
	ck_assert_ptr_nonnull(cp_creds[PAIR_HA]);
	cp_ctx.params[PAIR_MN].cred = cp_creds[PAIR_MN];
	cp_ctx.params[PAIR_HA].cred = cp_creds[PAIR_HA];
}

#endif
