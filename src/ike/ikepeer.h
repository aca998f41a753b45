/*
 * ikepeer: the peer authorisation database and connection lookups of the
 * IKE adapter, pure (no sockets, no clock): which ike.peers entry an IKE
 * identity is, which tunnel it may key (tunnels[].ike-peer), the traffic
 * selectors it may get (R3776-4.2.k: a peer protects only the prefixes its
 * tunnel names), and the engine parameters built from the configuration.
 */
#ifndef M6_IKE_IKEPEER_H
#define M6_IKE_IKEPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "conf/conf.h"
#include "ike/ikesa.h"

/* Our identity or a peer's as the engine carries it. M6E_INVAL for a type
 * PSK authentication cannot use here (ASN.1 DN) or a malformed address. */
int ikepeer_id(enum conf_id_type type, const char *text, struct ikesa_id *out);
/* Whether a received identity is the configured one: byte-equal for FQDN,
 * RFC822 and IPv6; for a DN (type dn), the DER name rendered by
 * ikepeer_dn_text() equals text, blanks around ',' and '=' ignored. */
bool ikepeer_id_matches(enum conf_id_type type, const char *text, const struct ikesa_id *id);
/* An ID_DER_ASN1_DN as "C=DE, O=Example, CN=ha" (attributes C, ST, L, O,
 * OU, CN in their DER order). 0; M6E_INVAL (not a Name), M6E_UNSUPP (another
 * attribute), M6E_NOSPACE. */
int ikepeer_dn_text(const uint8_t *der, size_t len, char *out, size_t cap);
/* The ike.peers entry whose identity equals id, or NULL. */
const struct conf_ike_peer *ikepeer_by_id(const struct conf *c, const struct ikesa_id *id);
const struct conf_ike_peer *ikepeer_by_name(const struct conf *c, const char *name);
/* The tunnel keyed by peer (tunnels[].ike-peer == its name), or NULL. */
const struct conf_tunnel *ikepeer_tunnel(const struct conf *c, const char *peer_name);

/*
 * The responder's parameters from c: ike.proposals (one engine suite per
 * DH group), ike.esp-proposals, our identity, ike.cookie-threshold. M6E_INVAL
 * with err when something cannot be expressed (more suites than
 * IKESA_PROP_MAX, no identity).
 */
int ikepeer_params(const struct conf *c, struct ikesa_params *p, char *err, size_t errlen);
/* The initiator's: the above plus the peer's identity as IDr and the
 * tunnel's prefixes as TSi (ours) and TSr (theirs). */
int ikepeer_initiator_params(const struct conf *c, const struct conf_ike_peer *peer, const struct conf_tunnel *t,
			     struct ikesa_params *p, char *err, size_t errlen);

/* One IPv6 range selector for a prefix, any protocol and port. */
void ikepeer_ts_from_prefix(const struct prefix6 *pfx, struct ike_ts *ts);
/* Intersection of two IPv6 range selectors (R7296-2.9.a: within both);
 * false when empty, when either is another type or their protocols differ. */
bool ikepeer_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out);
/*
 * Narrow the proposed list to the configured prefixes (R7296-2.9.a: the
 * answer is a subset of what was proposed): out gets each non-empty
 * intersection of a proposed selector with a prefix. M6E_PERM when nothing
 * is left (TS_UNACCEPTABLE).
 */
int ikepeer_narrow(const struct ike_ts_list *proposed, const struct prefix6 *pfx, size_t n_pfx,
		   struct ike_ts_list *out);

#endif
