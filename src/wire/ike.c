/*
 * IKEv2 message and payload codec (RFC 7296 §3; RFC 7383 §2.5; RFC 7427 §3;
 * RFC 5026 §8.2; wire-formats.md §I, §J).
 *
 * IKE header (§3.1), 28 octets:
 *
 *   |                     IKE SA Initiator's SPI (8)                    |
 *   |                     IKE SA Responder's SPI (8)                    |
 *   | Next Payload  | MjVer | MnVer | Exchange Type |  Flags (X X R V I X X X)
 *   |                          Message ID (4)                           |
 *   |                            Length (4)                             |
 *
 * Generic payload header (§3.2), then the body:
 *
 *   | Next Payload  |C|  RESERVED   |         Payload Length        |
 *
 * Proposal (§3.3.1) and Transform (§3.3.2) substructures of an SA:
 *
 *   | Last Substruc |   RESERVED    |         Proposal Length       |
 *   | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 *   ~                        SPI (variable)                          ~
 *   ~                        <Transforms>                            ~
 *
 *   | Last Substruc |   RESERVED    |        Transform Length       |
 *   |Transform Type |   RESERVED    |          Transform ID         |
 *   ~                      Transform Attributes                      ~
 *
 *   attribute: |A|  Attribute Type (15) | AF=0: Length, Value / AF=1: Value (2) |
 *
 * Bodies of the other payloads (offsets from the body start):
 *   KE (§3.4)      0: DH Group (2) | 2: RESERVED (2) | 4: Key Exchange Data
 *   ID (§3.5)      0: ID Type | 1: RESERVED (3) | 4: Identification Data
 *   CERT/CERTREQ   0: Cert Encoding | 1: data
 *   AUTH (§3.8)    0: Auth Method | 1: RESERVED (3) | 4: Authentication Data
 *   Nonce (§3.9)   0: Nonce Data (16..256)
 *   Notify (§3.10) 0: Protocol ID | 1: SPI Size | 2: Notify Type (2) | 4: SPI | data
 *   Delete (§3.11) 0: Protocol ID | 1: SPI Size | 2: Num of SPIs (2) | 4: SPIs
 *   Vendor (§3.12) 0: Vendor ID
 *   TS (§3.13)     0: Number of TSs | 1: RESERVED (3) | 4: selectors, each
 *                  TS Type | IP Protocol | Selector Length (2) | Start Port (2) |
 *                  End Port (2) | Starting Address | Ending Address
 *   SK (§3.14)     0: IV | ciphertext | ICV  (generic Next Payload = first inner)
 *   SKF (7383)     0: Fragment Number (2) | 2: Total Fragments (2) | 4: as SK
 *   CP (§3.15)     0: CFG Type | 1: RESERVED (3) | 4: attributes, each
 *                  |R| Attribute Type (15) | Length (2) | Value
 *   EAP (§3.16)    0: Code | 1: Identifier | 2: Length (2) | 4: Type | Type-Data
 */
#include "wire/ike.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"

struct ike_reason_rule {
	const char *name;
	int err;
	uint16_t notify; /* what a responder would answer; 0 = drop */
};

#define SYNTAX IKE_N_INVALID_SYNTAX

static const struct ike_reason_rule reason_rules[IKE_R_COUNT] = {
	[IKE_R_OK] = { "ok", 0, 0 },
	[IKE_R_NO_MARKER] = { "no non-ESP marker", M6E_PROTO, 0 },
	[IKE_R_TRUNC_HEADER] = { "truncated header", M6E_TRUNC, 0 },
	[IKE_R_OLD_MAJOR_VERSION] = { "major version below 2", M6E_UNSUPP, 0 },
	[IKE_R_MAJOR_VERSION] = { "major version above 2", M6E_UNSUPP, IKE_N_INVALID_MAJOR_VERSION },
	[IKE_R_SPI_I_ZERO] = { "initiator SPI zero", M6E_INVAL, 0 },
	[IKE_R_LEN_BELOW_HEADER] = { "length below header", M6E_INVAL, 0 },
	[IKE_R_LEN_LONG] = { "length past datagram", M6E_TRUNC, 0 },
	[IKE_R_LEN_SHORT] = { "octets past length", M6E_INVAL, 0 },
	[IKE_R_PL_TRUNC] = { "payload header truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_PL_LEN_BELOW_HEADER] = { "payload length below 4", M6E_INVAL, SYNTAX },
	[IKE_R_PL_LEN_LONG] = { "payload runs past end", M6E_TRUNC, SYNTAX },
	[IKE_R_TRAILING] = { "octets after last payload", M6E_INVAL, SYNTAX },
	[IKE_R_TOO_MANY_PAYLOADS] = { "too many payloads", M6E_RANGE, SYNTAX },
	[IKE_R_CRITICAL_UNKNOWN] = { "unsupported critical payload", M6E_UNSUPP, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD },
	[IKE_R_SK_NOT_LAST] = { "encrypted payload not last", M6E_ORDER, SYNTAX },
	[IKE_R_SK_NESTED] = { "encrypted payload nested", M6E_ORDER, SYNTAX },
	[IKE_R_BODY_SHORT] = { "payload body too short", M6E_TRUNC, SYNTAX },
	[IKE_R_SKF_NUMBER_ZERO] = { "fragment number zero", M6E_INVAL, 0 },
	[IKE_R_SKF_TOTAL_ZERO] = { "total fragments zero", M6E_INVAL, 0 },
	[IKE_R_SKF_NUMBER_OVER_TOTAL] = { "fragment number above total", M6E_INVAL, 0 },
	[IKE_R_SA_EMPTY] = { "SA without proposal", M6E_INVAL, SYNTAX },
	[IKE_R_PROP_TRUNC] = { "proposal truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_PROP_LEN] = { "proposal length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_PROP_LAST] = { "proposal last-substructure wrong", M6E_INVAL, SYNTAX },
	[IKE_R_PROP_NUM] = { "proposal number out of sequence", M6E_ORDER, SYNTAX },
	[IKE_R_PROP_SPI_SIZE] = { "proposal SPI size wrong", M6E_INVAL, SYNTAX },
	[IKE_R_PROP_XF_COUNT] = { "transform count mismatch", M6E_INVAL, SYNTAX },
	[IKE_R_TOO_MANY_PROPOSALS] = { "too many proposals", M6E_RANGE, SYNTAX },
	[IKE_R_TOO_MANY_TRANSFORMS] = { "too many transforms", M6E_RANGE, SYNTAX },
	[IKE_R_XF_TRUNC] = { "transform truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_XF_LEN] = { "transform length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_XF_LAST] = { "transform last-substructure wrong", M6E_INVAL, SYNTAX },
	[IKE_R_ATTR_TRUNC] = { "attribute truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_ATTR_KEYLEN_TLV] = { "key length attribute in TLV format", M6E_INVAL, SYNTAX },
	[IKE_R_ATTR_DUP] = { "duplicate attribute", M6E_DUP, SYNTAX },
	[IKE_R_NONCE_LEN] = { "nonce length out of range", M6E_RANGE, SYNTAX },
	[IKE_R_ID_LEN] = { "ID address length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_AUTH_SIG_ALG] = { "signature algorithm runs past data", M6E_TRUNC, SYNTAX },
	[IKE_R_CERTREQ_LEN] = { "CERTREQ not a list of SHA-1 hashes", M6E_INVAL, SYNTAX },
	[IKE_R_NOTIFY_SPI_SIZE] = { "notify SPI size wrong", M6E_INVAL, SYNTAX },
	[IKE_R_NOTIFY_DATA_LEN] = { "notify data length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_DELETE_SPI_SIZE] = { "delete SPI size wrong", M6E_INVAL, SYNTAX },
	[IKE_R_DELETE_COUNT] = { "delete SPI count mismatch", M6E_INVAL, SYNTAX },
	[IKE_R_TS_COUNT] = { "TS count mismatch", M6E_INVAL, SYNTAX },
	[IKE_R_TS_TRUNC] = { "TS truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_TS_LEN] = { "TS selector length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_TS_ADDR_RANGE] = { "TS start address above end", M6E_RANGE, SYNTAX },
	[IKE_R_TOO_MANY_TS] = { "too many traffic selectors", M6E_RANGE, SYNTAX },
	[IKE_R_CP_ATTR_TRUNC] = { "CP attribute truncated", M6E_TRUNC, SYNTAX },
	[IKE_R_CP_ATTR_LEN] = { "CP attribute length wrong", M6E_INVAL, SYNTAX },
	[IKE_R_TOO_MANY_CP_ATTRS] = { "too many CP attributes", M6E_RANGE, SYNTAX },
	[IKE_R_EAP_LEN] = { "EAP length wrong", M6E_INVAL, SYNTAX },
};

const char *ike_reason_name(enum ike_reason r)
{
	if ((unsigned)r >= IKE_R_COUNT)
		return "unknown";
	return reason_rules[r].name;
}

uint16_t ike_reason_notify(enum ike_reason r)
{
	if ((unsigned)r >= IKE_R_COUNT)
		return 0;
	return reason_rules[r].notify;
}

/* ---- name tables ---- */

#define NAME_FN(fn, table)                                                                                     \
	const char *fn(unsigned v) { return names_get(table, NAMES_COUNT(table), v); }

static const struct name_entry exchange_names[] = {
	{ IKE_EXCH_SA_INIT, "IKE_SA_INIT" },
	{ IKE_EXCH_AUTH, "IKE_AUTH" },
	{ IKE_EXCH_CREATE_CHILD_SA, "CREATE_CHILD_SA" },
	{ IKE_EXCH_INFORMATIONAL, "INFORMATIONAL" },
};
NAME_FN(ike_exchange_name, exchange_names)

static const struct name_entry payload_names[] = {
	{ IKE_PL_NONE, "none" },   { IKE_PL_SA, "SA" },       { IKE_PL_KE, "KE" },
	{ IKE_PL_IDI, "IDi" },     { IKE_PL_IDR, "IDr" },     { IKE_PL_CERT, "CERT" },
	{ IKE_PL_CERTREQ, "CERTREQ" }, { IKE_PL_AUTH, "AUTH" }, { IKE_PL_NONCE, "Nonce" },
	{ IKE_PL_NOTIFY, "Notify" }, { IKE_PL_DELETE, "Delete" }, { IKE_PL_VENDOR, "Vendor ID" },
	{ IKE_PL_TSI, "TSi" },     { IKE_PL_TSR, "TSr" },     { IKE_PL_SK, "SK" },
	{ IKE_PL_CP, "CP" },       { IKE_PL_EAP, "EAP" },     { IKE_PL_SKF, "SKF" },
};
NAME_FN(ike_payload_name, payload_names)

static const struct name_entry proto_names[] = {
	{ IKE_PROTO_NONE, "none" }, { IKE_PROTO_IKE, "IKE" }, { IKE_PROTO_AH, "AH" }, { IKE_PROTO_ESP, "ESP" },
};
NAME_FN(ike_proto_name, proto_names)

static const struct name_entry notify_names[] = {
	{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
	{ IKE_N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
	{ IKE_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
	{ IKE_N_INVALID_SYNTAX, "INVALID_SYNTAX" },
	{ IKE_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
	{ IKE_N_INVALID_SPI, "INVALID_SPI" },
	{ IKE_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
	{ IKE_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
	{ IKE_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
	{ IKE_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
	{ IKE_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
	{ IKE_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
	{ IKE_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
	{ IKE_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
	{ IKE_N_INVALID_SELECTORS, "INVALID_SELECTORS" },
	{ IKE_N_UNACCEPTABLE_ADDRESSES, "UNACCEPTABLE_ADDRESSES" },
	{ IKE_N_UNEXPECTED_NAT_DETECTED, "UNEXPECTED_NAT_DETECTED" },
	{ IKE_N_USE_ASSIGNED_HOA, "USE_ASSIGNED_HoA" },
	{ IKE_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
	{ IKE_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
	{ IKE_N_INITIAL_CONTACT, "INITIAL_CONTACT" },
	{ IKE_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
	{ IKE_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE" },
	{ IKE_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED" },
	{ IKE_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
	{ IKE_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP" },
	{ IKE_N_COOKIE, "COOKIE" },
	{ IKE_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
	{ IKE_N_HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOKUP_SUPPORTED" },
	{ IKE_N_REKEY_SA, "REKEY_SA" },
	{ IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED" },
	{ IKE_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO" },
	{ IKE_N_MOBIKE_SUPPORTED, "MOBIKE_SUPPORTED" },
	{ IKE_N_ADDITIONAL_IP4_ADDRESS, "ADDITIONAL_IP4_ADDRESS" },
	{ IKE_N_ADDITIONAL_IP6_ADDRESS, "ADDITIONAL_IP6_ADDRESS" },
	{ IKE_N_NO_ADDITIONAL_ADDRESSES, "NO_ADDITIONAL_ADDRESSES" },
	{ IKE_N_UPDATE_SA_ADDRESSES, "UPDATE_SA_ADDRESSES" },
	{ IKE_N_COOKIE2, "COOKIE2" },
	{ IKE_N_NO_NATS_ALLOWED, "NO_NATS_ALLOWED" },
	{ IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ IKE_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
};
NAME_FN(ike_notify_name, notify_names)

static const struct name_entry id_names[] = {
	{ IKE_ID_IPV4_ADDR, "ID_IPV4_ADDR" },     { IKE_ID_FQDN, "ID_FQDN" },
	{ IKE_ID_RFC822_ADDR, "ID_RFC822_ADDR" }, { IKE_ID_IPV6_ADDR, "ID_IPV6_ADDR" },
	{ IKE_ID_DER_ASN1_DN, "ID_DER_ASN1_DN" }, { IKE_ID_DER_ASN1_GN, "ID_DER_ASN1_GN" },
	{ IKE_ID_KEY_ID, "ID_KEY_ID" },
};
NAME_FN(ike_id_type_name, id_names)

static const struct name_entry cert_names[] = {
	{ IKE_CERT_X509_SIG, "X.509 Certificate - Signature" },
	{ IKE_CERT_CRL, "Certificate Revocation List" },
	{ IKE_CERT_HASH_URL_X509, "Hash and URL of X.509 certificate" },
	{ IKE_CERT_HASH_URL_BUNDLE, "Hash and URL of X.509 bundle" },
};
NAME_FN(ike_cert_encoding_name, cert_names)

static const struct name_entry auth_names[] = {
	{ IKE_AUTH_RSA_SIG, "RSA Digital Signature" },
	{ IKE_AUTH_PSK, "Shared Key Message Integrity Code" },
	{ IKE_AUTH_DSS_SIG, "DSS Digital Signature" },
	{ IKE_AUTH_ECDSA_256, "ECDSA with SHA-256 on P-256" },
	{ IKE_AUTH_ECDSA_384, "ECDSA with SHA-384 on P-384" },
	{ IKE_AUTH_ECDSA_521, "ECDSA with SHA-512 on P-521" },
	{ IKE_AUTH_DIGITAL_SIG, "Digital Signature" },
};
NAME_FN(ike_auth_method_name, auth_names)

static const struct name_entry ts_names[] = {
	{ IKE_TS_IPV4_ADDR_RANGE, "TS_IPV4_ADDR_RANGE" },
	{ IKE_TS_IPV6_ADDR_RANGE, "TS_IPV6_ADDR_RANGE" },
};
NAME_FN(ike_ts_type_name, ts_names)

static const struct name_entry cfg_names[] = {
	{ IKE_CFG_REQUEST, "CFG_REQUEST" },
	{ IKE_CFG_REPLY, "CFG_REPLY" },
	{ IKE_CFG_SET, "CFG_SET" },
	{ IKE_CFG_ACK, "CFG_ACK" },
};
NAME_FN(ike_cfg_type_name, cfg_names)

static const struct name_entry cp_attr_names[] = {
	{ IKE_CP_INTERNAL_IP4_ADDRESS, "INTERNAL_IP4_ADDRESS" },
	{ IKE_CP_INTERNAL_IP4_NETMASK, "INTERNAL_IP4_NETMASK" },
	{ IKE_CP_INTERNAL_IP4_DNS, "INTERNAL_IP4_DNS" },
	{ IKE_CP_INTERNAL_IP4_NBNS, "INTERNAL_IP4_NBNS" },
	{ IKE_CP_INTERNAL_IP4_DHCP, "INTERNAL_IP4_DHCP" },
	{ IKE_CP_APPLICATION_VERSION, "APPLICATION_VERSION" },
	{ IKE_CP_INTERNAL_IP6_ADDRESS, "INTERNAL_IP6_ADDRESS" },
	{ IKE_CP_INTERNAL_IP6_DNS, "INTERNAL_IP6_DNS" },
	{ IKE_CP_INTERNAL_IP6_DHCP, "INTERNAL_IP6_DHCP" },
	{ IKE_CP_INTERNAL_IP4_SUBNET, "INTERNAL_IP4_SUBNET" },
	{ IKE_CP_SUPPORTED_ATTRIBUTES, "SUPPORTED_ATTRIBUTES" },
	{ IKE_CP_INTERNAL_IP6_SUBNET, "INTERNAL_IP6_SUBNET" },
	{ IKE_CP_MIP6_HOME_PREFIX, "MIP6_HOME_PREFIX" },
};
NAME_FN(ike_cp_attr_name, cp_attr_names)

static const struct name_entry eap_code_names[] = {
	{ IKE_EAP_REQUEST, "Request" },
	{ IKE_EAP_RESPONSE, "Response" },
	{ IKE_EAP_SUCCESS, "Success" },
	{ IKE_EAP_FAILURE, "Failure" },
};
NAME_FN(ike_eap_code_name, eap_code_names)

/* ---- parse helpers ---- */

/* Record the reason and return its error code. */
static int fail(struct ike_diag *d, enum ike_reason r, uint8_t type, size_t offset)
{
	if (d != NULL) {
		d->reason = r;
		d->payload_type = type;
		d->offset = offset;
	}
	return reason_rules[r].err;
}

static int ok(struct ike_diag *d)
{
	if (d != NULL) {
		d->reason = IKE_R_OK;
		d->payload_type = 0;
		d->offset = 0;
	}
	return 0;
}

/* Fail at the read position of r, a cursor over the body of p. */
static int pfail(struct ike_diag *d, enum ike_reason r, const struct ike_payload *p, const struct rbuf *r_at)
{
	return fail(d, r, p->type, p->offset + IKE_PL_HDR_LEN + rbuf_offset(r_at));
}

static struct ike_span span_rest(const struct rbuf *r)
{
	struct ike_span s = { rbuf_ptr(r), rbuf_left(r) };
	return s;
}

static void body_cursor(const struct ike_payload *p, struct rbuf *r)
{
	rbuf_init(r, p->body.ptr, p->body.len);
}

static bool known_type(uint8_t t)
{
	return (t >= IKE_PL_SA && t <= IKE_PL_EAP) || t == IKE_PL_SKF;
}

/* ---- header and chain ---- */

int ike_natt_unwrap(const void *udp_payload, size_t len, struct ike_span *ike, struct ike_diag *d)
{
	struct rbuf r;
	uint32_t marker;

	rbuf_init(&r, udp_payload, len);
	/* R7296-2.b, R3948-2.2.a: four zero octets, not counted in Length. */
	if (rbuf_u32(&r, &marker) != 0 || marker != 0)
		return fail(d, IKE_R_NO_MARKER, 0, 0);
	*ike = span_rest(&r);
	return ok(d);
}

int ike_parse_hdr(const void *msg, size_t len, struct ike_hdr *h, struct ike_diag *d)
{
	struct rbuf r;

	rbuf_init(&r, msg, len);
	if (rbuf_left(&r) < IKE_HDR_LEN)
		return fail(d, IKE_R_TRUNC_HEADER, 0, 0);
	(void)rbuf_u64(&r, &h->spi_i);
	(void)rbuf_u64(&r, &h->spi_r);
	(void)rbuf_u8(&r, &h->next_payload);
	(void)rbuf_u8(&r, &h->version);
	(void)rbuf_u8(&r, &h->exchange);
	(void)rbuf_u8(&r, &h->flags);
	(void)rbuf_u32(&r, &h->msg_id);
	(void)rbuf_u32(&r, &h->length);

	/* R7296-2.5.a: major 2; a higher one is answered with
	 * INVALID_MAJOR_VERSION, the minor version is ignored. */
	if ((h->version >> 4) < 2)
		return fail(d, IKE_R_OLD_MAJOR_VERSION, 0, 17);
	if ((h->version >> 4) > 2)
		return fail(d, IKE_R_MAJOR_VERSION, 0, 17);
	if (h->spi_i == 0) /* R7296-2.6.a */
		return fail(d, IKE_R_SPI_I_ZERO, 0, 0);
	/* R7296-3.1.a: Length is the whole message, the datagram. */
	if (h->length < IKE_HDR_LEN)
		return fail(d, IKE_R_LEN_BELOW_HEADER, 0, 24);
	if (h->length > len)
		return fail(d, IKE_R_LEN_LONG, 0, 24);
	if (h->length < len)
		return fail(d, IKE_R_LEN_SHORT, 0, 24);
	return ok(d);
}

/* SKF body: Fragment Number, Total Fragments (R7383-2.6.a). */
static int parse_skf_fields(struct ike_chain *c, struct ike_payload *p, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	if (rbuf_u16(&r, &c->frag_number) != 0 || rbuf_u16(&r, &c->frag_total) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	if (c->frag_number == 0)
		return fail(d, IKE_R_SKF_NUMBER_ZERO, p->type, p->offset + 4);
	if (c->frag_total == 0)
		return fail(d, IKE_R_SKF_TOTAL_ZERO, p->type, p->offset + 6);
	if (c->frag_number > c->frag_total)
		return fail(d, IKE_R_SKF_NUMBER_OVER_TOTAL, p->type, p->offset + 4);
	p->body = span_rest(&r);
	return 0;
}

static int parse_chain_at(uint8_t first_type, const uint8_t *bytes, size_t len, size_t base_off, bool inner,
			  struct ike_chain *c, struct ike_diag *d)
{
	struct rbuf r;
	uint8_t type = first_type;

	memset(c, 0, sizeof(*c));
	rbuf_init(&r, bytes, len);
	while (type != IKE_PL_NONE) {
		size_t at = base_off + rbuf_offset(&r);
		uint8_t next, flags;
		uint16_t plen;
		struct rbuf body;

		if (rbuf_left(&r) < IKE_PL_HDR_LEN)
			return fail(d, IKE_R_PL_TRUNC, type, at);
		(void)rbuf_u8(&r, &next);
		(void)rbuf_u8(&r, &flags);
		(void)rbuf_u16(&r, &plen);
		if (plen < IKE_PL_HDR_LEN)
			return fail(d, IKE_R_PL_LEN_BELOW_HEADER, type, at + 2);
		if (rbuf_sub(&r, plen - IKE_PL_HDR_LEN, &body) != 0)
			return fail(d, IKE_R_PL_LEN_LONG, type, at + 2);

		/* R7296-2.5.a: unknown payloads are skipped unless critical;
		 * the reserved bits of the flags octet are ignored. */
		if (!known_type(type)) {
			if (flags & IKE_PL_CRITICAL)
				return fail(d, IKE_R_CRITICAL_UNKNOWN, type, at);
			c->skipped++;
			type = next;
			continue;
		}
		if (c->n == IKE_MAX_PAYLOADS)
			return fail(d, IKE_R_TOO_MANY_PAYLOADS, type, at);
		struct ike_payload *p = &c->pl[c->n++];
		p->type = type;
		p->critical = (flags & IKE_PL_CRITICAL) != 0;
		p->next = next;
		p->offset = at;
		p->body = span_rest(&body);

		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			/* R7296-3.1.a, R7383-2.5.a: last and never nested;
			 * its Next Payload names the first inner payload. */
			if (inner)
				return fail(d, IKE_R_SK_NESTED, type, at);
			if (rbuf_left(&r) != 0)
				return fail(d, IKE_R_SK_NOT_LAST, type, at);
			c->encrypted = true;
			c->sk_type = type;
			c->inner_first = next;
			if (type == IKE_PL_SKF) {
				int rc = parse_skf_fields(c, p, d);
				if (rc != 0)
					return rc;
			}
			return ok(d);
		}
		type = next;
	}
	if (rbuf_left(&r) != 0)
		return fail(d, IKE_R_TRAILING, 0, base_off + rbuf_offset(&r));
	return ok(d);
}

int ike_parse_chain(uint8_t first_type, const void *bytes, size_t len, bool inner, struct ike_chain *c,
		    struct ike_diag *d)
{
	return parse_chain_at(first_type, bytes, len, 0, inner, c, d);
}

int ike_parse_msg(const void *msg, size_t len, struct ike_msg *m, struct ike_diag *d)
{
	int rc = ike_parse_hdr(msg, len, &m->hdr, d);
	if (rc != 0)
		return rc;
	struct rbuf r;
	rbuf_init(&r, msg, len);
	(void)rbuf_skip(&r, IKE_HDR_LEN);
	return parse_chain_at(m->hdr.next_payload, rbuf_ptr(&r), rbuf_left(&r), IKE_HDR_LEN, false, &m->chain, d);
}

int ike_parse_datagram(bool natt, const void *udp_payload, size_t len, struct ike_span *ike, struct ike_msg *m,
		       struct ike_diag *d)
{
	if (natt) {
		int rc = ike_natt_unwrap(udp_payload, len, ike, d);
		if (rc != 0)
			return rc;
	} else {
		ike->ptr = udp_payload;
		ike->len = len;
	}
	return ike_parse_msg(ike->ptr, ike->len, m, d);
}

size_t ike_msg_sk_aad_len(const struct ike_msg *m)
{
	const struct ike_chain *c = &m->chain;
	if (!c->encrypted || c->n == 0)
		return 0;
	const struct ike_payload *sk = &c->pl[c->n - 1];
	return sk->offset + (c->sk_type == IKE_PL_SKF ? IKE_SKF_HDR_LEN : IKE_PL_HDR_LEN);
}

int ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned from)
{
	for (unsigned i = from; i < c->n; i++)
		if (c->pl[i].type == type)
			return (int)i;
	return -1;
}

int ike_chain_find_notify(const struct ike_chain *c, uint16_t notify_type, struct ike_notify *n)
{
	for (int i = ike_chain_find(c, IKE_PL_NOTIFY, 0); i >= 0; i = ike_chain_find(c, IKE_PL_NOTIFY, (unsigned)i + 1))
		if (ike_parse_notify(&c->pl[i], n, NULL) == 0 && n->type == notify_type)
			return 0;
	return M6E_NOTFOUND;
}

/* ---- SA ---- */

/* Transform attributes (§3.3.5): Key Length only in TV format, at most one
 * attribute of a type (R7296-3.3.a, R7296-3.3.5.a). Unknown ones are counted
 * (they make the transform unacceptable, which the engine decides). */
static void count_unknown(struct ike_transform *xf)
{
	if (xf->unknown_attrs < UINT8_MAX)
		xf->unknown_attrs++;
}

static int parse_attrs(struct rbuf *r, struct ike_transform *xf, const struct ike_payload *p, struct ike_diag *d)
{
	uint32_t seen_tv = 0; /* TV attribute types below 32 seen */

	while (rbuf_left(r) > 0) {
		struct rbuf at = *r;
		uint16_t af_type, v;
		if (rbuf_u16(r, &af_type) != 0 || rbuf_u16(r, &v) != 0)
			return pfail(d, IKE_R_ATTR_TRUNC, p, &at);
		uint16_t type = af_type & 0x7fffu;
		if (!(af_type & IKE_ATTR_AF)) {
			if (type == IKE_ATTR_KEY_LENGTH)
				return pfail(d, IKE_R_ATTR_KEYLEN_TLV, p, &at);
			if (rbuf_skip(r, v) != 0)
				return pfail(d, IKE_R_ATTR_TRUNC, p, &at);
			count_unknown(xf);
			continue;
		}
		if (type < 32) {
			if (seen_tv & (1u << type))
				return pfail(d, IKE_R_ATTR_DUP, p, &at);
			seen_tv |= 1u << type;
		}
		if (type == IKE_ATTR_KEY_LENGTH)
			xf->key_len = v;
		else
			count_unknown(xf);
	}
	return 0;
}

/* Sub-cursors share their parent's base, so offsets stay body-relative. */
static int parse_proposal(struct rbuf *pr, struct ike_proposal *prop, const struct ike_payload *p,
			  struct ike_diag *d)
{
	if (prop->spi_size > 0 && rbuf_bytes(pr, prop->spi, prop->spi_size) != 0)
		return pfail(d, IKE_R_PROP_LEN, p, pr);
	prop->n_xf = 0;
	while (rbuf_left(pr) > 0) {
		struct rbuf at = *pr, xr;
		uint8_t last, resv, type, resv2;
		uint16_t xlen, id;

		if (prop->n_xf == IKE_MAX_TRANSFORMS)
			return pfail(d, IKE_R_TOO_MANY_TRANSFORMS, p, &at);
		if (rbuf_left(pr) < 8)
			return pfail(d, IKE_R_XF_TRUNC, p, &at);
		(void)rbuf_u8(pr, &last);
		(void)rbuf_u8(pr, &resv);
		(void)rbuf_u16(pr, &xlen);
		(void)rbuf_u8(pr, &type);
		(void)rbuf_u8(pr, &resv2);
		(void)rbuf_u16(pr, &id);
		if (xlen < 8 || rbuf_sub(pr, xlen - 8u, &xr) != 0)
			return pfail(d, IKE_R_XF_LEN, p, &at);
		/* §3.3.2: 3 = more transforms follow, 0 = this is the last. */
		if ((last != 0 && last != 3) || (last == 0) != (rbuf_left(pr) == 0))
			return pfail(d, IKE_R_XF_LAST, p, &at);
		struct ike_transform *xf = &prop->xf[prop->n_xf++];
		memset(xf, 0, sizeof(*xf));
		xf->type = type;
		xf->id = id;
		int rc = parse_attrs(&xr, xf, p, d);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int ike_parse_sa(const struct ike_payload *p, struct ike_sa *sa, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	sa->n_prop = 0;
	if (rbuf_left(&r) == 0)
		return pfail(d, IKE_R_SA_EMPTY, p, &r);
	while (rbuf_left(&r) > 0) {
		struct rbuf at = r, pr;
		uint8_t last, resv, nxf;
		uint16_t plen;

		if (sa->n_prop == IKE_MAX_PROPOSALS)
			return pfail(d, IKE_R_TOO_MANY_PROPOSALS, p, &at);
		struct ike_proposal *prop = &sa->prop[sa->n_prop];
		if (rbuf_left(&r) < 8)
			return pfail(d, IKE_R_PROP_TRUNC, p, &at);
		(void)rbuf_u8(&r, &last);
		(void)rbuf_u8(&r, &resv);
		(void)rbuf_u16(&r, &plen);
		(void)rbuf_u8(&r, &prop->num);
		(void)rbuf_u8(&r, &prop->proto);
		(void)rbuf_u8(&r, &prop->spi_size);
		(void)rbuf_u8(&r, &nxf);
		if (plen < 8u + prop->spi_size || rbuf_sub(&r, plen - 8u, &pr) != 0)
			return pfail(d, IKE_R_PROP_LEN, p, &at);
		/* §3.3.1: 2 = more proposals follow, 0 = this is the last. */
		if ((last != 0 && last != 2) || (last == 0) != (rbuf_left(&r) == 0))
			return pfail(d, IKE_R_PROP_LAST, p, &at);
		/* R7296-3.3.a: numbered from 1, each one more than the previous.
		 * A reply's single proposal echoes the accepted number. */
		if (prop->num == 0 || (sa->n_prop > 0 && prop->num != sa->prop[sa->n_prop - 1].num + 1))
			return pfail(d, IKE_R_PROP_NUM, p, &at);
		/* R7296-3.3.a: SPI Size 0 or 8 for IKE, 4 for AH/ESP. */
		bool spi_ok;
		switch (prop->proto) {
		case IKE_PROTO_IKE:
			spi_ok = prop->spi_size == 0 || prop->spi_size == 8;
			break;
		case IKE_PROTO_AH:
		case IKE_PROTO_ESP:
			spi_ok = prop->spi_size == 4;
			break;
		default:
			spi_ok = prop->spi_size <= IKE_MAX_SPI_SIZE;
			break;
		}
		if (!spi_ok)
			return pfail(d, IKE_R_PROP_SPI_SIZE, p, &at);
		int rc = parse_proposal(&pr, prop, p, d);
		if (rc != 0)
			return rc;
		if (prop->n_xf != nxf)
			return pfail(d, IKE_R_PROP_XF_COUNT, p, &at);
		sa->n_prop++;
	}
	return ok(d);
}

/* ---- simple payloads ---- */

int ike_parse_ke(const struct ike_payload *p, struct ike_ke *ke, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	if (rbuf_u16(&r, &ke->group) != 0 || rbuf_skip(&r, 2) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	ke->data = span_rest(&r);
	return ok(d);
}

int ike_parse_nonce(const struct ike_payload *p, struct ike_span *nonce, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	/* R7296-2.10.a */
	if (rbuf_left(&r) < IKE_NONCE_MIN || rbuf_left(&r) > IKE_NONCE_MAX)
		return pfail(d, IKE_R_NONCE_LEN, p, &r);
	*nonce = span_rest(&r);
	return ok(d);
}

int ike_parse_id(const struct ike_payload *p, struct ike_id *id, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	id->rest = span_rest(&r);
	if (rbuf_u8(&r, &id->type) != 0 || rbuf_skip(&r, 3) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	id->data = span_rest(&r);
	if ((id->type == IKE_ID_IPV4_ADDR && id->data.len != 4) ||
	    (id->type == IKE_ID_IPV6_ADDR && id->data.len != 16))
		return pfail(d, IKE_R_ID_LEN, p, &r);
	return ok(d);
}

int ike_parse_cert(const struct ike_payload *p, struct ike_cert *c, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	if (rbuf_u8(&r, &c->encoding) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	c->data = span_rest(&r);
	/* §3.7: an X.509 CERTREQ lists 20-octet SHA-1 hashes of trust anchors. */
	if (p->type == IKE_PL_CERTREQ && c->encoding == IKE_CERT_X509_SIG &&
	    c->data.len % IKE_CERTREQ_HASH_LEN != 0)
		return pfail(d, IKE_R_CERTREQ_LEN, p, &r);
	return ok(d);
}

int ike_parse_auth(const struct ike_payload *p, struct ike_auth *a, struct ike_diag *d)
{
	struct rbuf r, alg;
	uint8_t alg_len;

	body_cursor(p, &r);
	memset(&a->sig_alg, 0, sizeof(a->sig_alg));
	memset(&a->sig, 0, sizeof(a->sig));
	if (rbuf_u8(&r, &a->method) != 0 || rbuf_skip(&r, 3) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	a->data = span_rest(&r);
	if (a->method == IKE_AUTH_DIGITAL_SIG) {
		/* RFC 7427 §3: ASN.1 Length | AlgorithmIdentifier | signature */
		if (rbuf_u8(&r, &alg_len) != 0)
			return pfail(d, IKE_R_BODY_SHORT, p, &r);
		if (rbuf_sub(&r, alg_len, &alg) != 0)
			return pfail(d, IKE_R_AUTH_SIG_ALG, p, &r);
		a->sig_alg = span_rest(&alg);
		a->sig = span_rest(&r);
	}
	return ok(d);
}

/* Data length rules of the notify types that have one (wire-formats.md
 * §I.10). min..max inclusive; mult: length a multiple of it. */
struct notify_rule {
	uint16_t type;
	uint16_t min, max;
	uint8_t mult;
	uint8_t alt; /* a second allowed exact length, or 0 */
};

static const struct notify_rule notify_rules[] = {
	{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, 1, 1, 1, 0 },
	{ IKE_N_INVALID_MESSAGE_ID, 4, 4, 1, 0 },
	{ IKE_N_INVALID_KE_PAYLOAD, 2, 2, 1, 0 },
	{ IKE_N_SET_WINDOW_SIZE, 4, 4, 1, 0 },
	{ IKE_N_NAT_DETECTION_SOURCE_IP, IKE_NATD_LEN, IKE_NATD_LEN, 1, 0 },
	{ IKE_N_NAT_DETECTION_DESTINATION_IP, IKE_NATD_LEN, IKE_NATD_LEN, 1, 0 },
	{ IKE_N_COOKIE, 1, IKE_COOKIE_MAX, 1, 0 },
	{ IKE_N_ADDITIONAL_IP4_ADDRESS, 4, 4, 1, 0 },
	{ IKE_N_ADDITIONAL_IP6_ADDRESS, 16, 16, 1, 0 },
	{ IKE_N_COOKIE2, IKE_COOKIE2_MIN, IKE_COOKIE_MAX, 1, 0 },
	{ IKE_N_NO_NATS_ALLOWED, 36, 36, 1, 12 }, /* IPv6 or IPv4 (RFC 4555 §4.2.3) */
	{ IKE_N_SIGNATURE_HASH_ALGORITHMS, 0, 0xffff, 2, 0 },
};

int ike_parse_notify(const struct ike_payload *p, struct ike_notify *n, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	if (rbuf_u8(&r, &n->proto) != 0 || rbuf_u8(&r, &n->spi_size) != 0 || rbuf_u16(&r, &n->type) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	struct rbuf spi_at = r;
	if (n->spi_size != 0 && n->spi_size != 4 && n->spi_size != 8)
		return pfail(d, IKE_R_NOTIFY_SPI_SIZE, p, &spi_at);
	if (rbuf_bytes(&r, n->spi, n->spi_size) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	/* R7296-1.3.3.a: REKEY_SA names a child SA by its 4-octet SPI. */
	if (n->type == IKE_N_REKEY_SA && n->spi_size != 4)
		return pfail(d, IKE_R_NOTIFY_SPI_SIZE, p, &spi_at);
	n->data = span_rest(&r);
	for (size_t i = 0; i < NAMES_COUNT(notify_rules); i++) {
		const struct notify_rule *nr = &notify_rules[i];
		if (nr->type != n->type)
			continue;
		size_t l = n->data.len;
		bool good = (l >= nr->min && l <= nr->max && l % nr->mult == 0) || (nr->alt != 0 && l == nr->alt);
		if (!good)
			return pfail(d, IKE_R_NOTIFY_DATA_LEN, p, &r);
		break;
	}
	return ok(d);
}

int ike_notify_invalid_ke_group(const struct ike_notify *n, uint16_t *group)
{
	struct rbuf r;

	if (n->type != IKE_N_INVALID_KE_PAYLOAD)
		return M6E_INVAL;
	rbuf_init(&r, n->data.ptr, n->data.len);
	if (rbuf_u16(&r, group) != 0 || rbuf_left(&r) != 0)
		return M6E_INVAL;
	return 0;
}

int ike_parse_delete(const struct ike_payload *p, struct ike_delete *del, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	if (rbuf_u8(&r, &del->proto) != 0 || rbuf_u8(&r, &del->spi_size) != 0 || rbuf_u16(&r, &del->n_spi) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	/* R7296-3.11.a: SPI Size 0 for IKE, 4 for AH/ESP. */
	bool good = del->proto == IKE_PROTO_IKE ? del->spi_size == 0
		    : (del->proto == IKE_PROTO_AH || del->proto == IKE_PROTO_ESP) ? del->spi_size == 4
										   : false;
	if (!good)
		return fail(d, IKE_R_DELETE_SPI_SIZE, p->type, p->offset + 5);
	if ((size_t)del->n_spi * del->spi_size != rbuf_left(&r))
		return fail(d, IKE_R_DELETE_COUNT, p->type, p->offset + 6);
	del->spis = span_rest(&r);
	return ok(d);
}

int ike_delete_spi32(const struct ike_delete *del, unsigned i, uint32_t *spi)
{
	struct rbuf r;

	if (del->spi_size != 4 || i >= del->n_spi)
		return M6E_RANGE;
	rbuf_init(&r, del->spis.ptr, del->spis.len);
	if (rbuf_skip(&r, (size_t)i * 4) != 0 || rbuf_u32(&r, spi) != 0)
		return M6E_RANGE;
	return 0;
}

int ike_parse_vendor(const struct ike_payload *p, struct ike_span *vid, struct ike_diag *d)
{
	*vid = p->body;
	return ok(d);
}

/* ---- traffic selectors ---- */

int ike_parse_ts(const struct ike_payload *p, struct ike_ts_list *tl, struct ike_diag *d)
{
	struct rbuf r;
	uint8_t count;

	body_cursor(p, &r);
	tl->n = 0;
	tl->skipped = 0;
	if (rbuf_u8(&r, &count) != 0 || rbuf_skip(&r, 3) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	if (count == 0)
		return fail(d, IKE_R_TS_COUNT, p->type, p->offset + 4);
	for (unsigned i = 0; i < count; i++) {
		struct rbuf at = r, sel;
		uint8_t type, proto;
		uint16_t slen;

		if (rbuf_left(&r) < 4)
			return pfail(d, rbuf_left(&r) == 0 ? IKE_R_TS_COUNT : IKE_R_TS_TRUNC, p, &at);
		(void)rbuf_u8(&r, &type);
		(void)rbuf_u8(&r, &proto);
		(void)rbuf_u16(&r, &slen);
		if (slen < 4 || rbuf_sub(&r, slen - 4u, &sel) != 0)
			return pfail(d, IKE_R_TS_TRUNC, p, &at);
		size_t alen;
		if (type == IKE_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (type == IKE_TS_IPV6_ADDR_RANGE)
			alen = 16;
		else {
			tl->skipped++; /* other selector types: not ours to judge */
			continue;
		}
		if (slen != 8 + 2 * alen)
			return pfail(d, IKE_R_TS_LEN, p, &at);
		if (tl->n == IKE_MAX_TS)
			return pfail(d, IKE_R_TOO_MANY_TS, p, &at);
		struct ike_ts *ts = &tl->ts[tl->n];
		memset(ts, 0, sizeof(*ts));
		ts->type = type;
		ts->ip_proto = proto;
		(void)rbuf_u16(&sel, &ts->start_port);
		(void)rbuf_u16(&sel, &ts->end_port);
		(void)rbuf_bytes(&sel, ts->start, alen);
		(void)rbuf_bytes(&sel, ts->end, alen);
		/* §3.13.1: a range whose start is above its end is malformed
		 * (ports may be 65535..0, the OPAQUE encoding). */
		if (memcmp(ts->start, ts->end, alen) > 0)
			return pfail(d, IKE_R_TS_ADDR_RANGE, p, &at);
		tl->n++;
	}
	if (rbuf_left(&r) != 0)
		return pfail(d, IKE_R_TS_COUNT, p, &r);
	return ok(d);
}

/* ---- configuration ---- */

/* Value lengths of the attributes we know: 0 (a request) or this
 * (R7296-3.15.a: unknown ones are kept raw for the engine to ignore). */
struct cp_len_rule {
	uint16_t type;
	uint8_t len;
};

static const struct cp_len_rule cp_len_rules[] = {
	{ IKE_CP_INTERNAL_IP4_ADDRESS, 4 },
	{ IKE_CP_INTERNAL_IP4_NETMASK, 4 },
	{ IKE_CP_INTERNAL_IP4_DNS, 4 },
	{ IKE_CP_INTERNAL_IP4_NBNS, 4 },
	{ IKE_CP_INTERNAL_IP4_DHCP, 4 },
	{ IKE_CP_INTERNAL_IP6_ADDRESS, IKE_CP_IP6_ADDRESS_LEN },
	{ IKE_CP_INTERNAL_IP6_DNS, 16 },
	{ IKE_CP_INTERNAL_IP6_DHCP, 16 },
	{ IKE_CP_INTERNAL_IP4_SUBNET, 8 },
	{ IKE_CP_INTERNAL_IP6_SUBNET, 17 },
	{ IKE_CP_MIP6_HOME_PREFIX, IKE_CP_MIP6_HOME_PREFIX_LEN }, /* RFC 5026 §8.2 */
};

int ike_parse_cp(const struct ike_payload *p, struct ike_cp *cp, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	cp->n = 0;
	if (rbuf_u8(&r, &cp->cfg_type) != 0 || rbuf_skip(&r, 3) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	while (rbuf_left(&r) > 0) {
		struct rbuf at = r, val;
		uint16_t type, len;

		if (rbuf_u16(&r, &type) != 0 || rbuf_u16(&r, &len) != 0 || rbuf_sub(&r, len, &val) != 0) {
			return pfail(d, IKE_R_CP_ATTR_TRUNC, p, &at);
		}
		type &= 0x7fffu; /* R bit: reserved */
		if (type == IKE_CP_SUPPORTED_ATTRIBUTES && len % 2 != 0)
			return pfail(d, IKE_R_CP_ATTR_LEN, p, &at);
		for (size_t i = 0; i < NAMES_COUNT(cp_len_rules); i++) {
			if (cp_len_rules[i].type != type)
				continue;
			if (len != cp_len_rules[i].len && len != 0)
				return pfail(d, IKE_R_CP_ATTR_LEN, p, &at);
			break;
		}
		if (cp->n == IKE_MAX_CP_ATTRS)
			return pfail(d, IKE_R_TOO_MANY_CP_ATTRS, p, &at);
		cp->attr[cp->n].type = type;
		cp->attr[cp->n].value = span_rest(&val);
		cp->n++;
	}
	return ok(d);
}

int ike_cp_attr_ip6_addr(const struct ike_cp_attr *a, struct in6_addr *addr, uint8_t *prefix_len)
{
	struct rbuf r;

	rbuf_init(&r, a->value.ptr, a->value.len);
	if (a->value.len != IKE_CP_IP6_ADDRESS_LEN || rbuf_bytes(&r, addr, 16) != 0 || rbuf_u8(&r, prefix_len) != 0)
		return M6E_INVAL;
	return 0;
}

int ike_cp_attr_ip6(const struct ike_cp_attr *a, struct in6_addr *addr)
{
	struct rbuf r;

	rbuf_init(&r, a->value.ptr, a->value.len);
	if (a->value.len != 16 || rbuf_bytes(&r, addr, 16) != 0)
		return M6E_INVAL;
	return 0;
}

int ike_cp_attr_mip6_home_prefix(const struct ike_cp_attr *a, uint32_t *lifetime, struct in6_addr *prefix,
				 uint8_t *prefix_len)
{
	struct rbuf r;

	rbuf_init(&r, a->value.ptr, a->value.len);
	if (a->type != IKE_CP_MIP6_HOME_PREFIX || a->value.len != IKE_CP_MIP6_HOME_PREFIX_LEN ||
	    rbuf_u32(&r, lifetime) != 0 || rbuf_bytes(&r, prefix, 16) != 0 || rbuf_u8(&r, prefix_len) != 0)
		return M6E_INVAL;
	return 0;
}

/* ---- EAP ---- */

int ike_parse_eap(const struct ike_payload *p, struct ike_eap *e, struct ike_diag *d)
{
	struct rbuf r;

	body_cursor(p, &r);
	e->msg = span_rest(&r);
	e->type = 0;
	if (rbuf_u8(&r, &e->code) != 0 || rbuf_u8(&r, &e->id) != 0 || rbuf_u16(&r, &e->length) != 0)
		return pfail(d, IKE_R_BODY_SHORT, p, &r);
	/* RFC 3748 §4: Length covers the EAP message, which is the body. */
	if (e->length != e->msg.len)
		return fail(d, IKE_R_EAP_LEN, p->type, p->offset + 6);
	if ((e->code == IKE_EAP_REQUEST || e->code == IKE_EAP_RESPONSE) && rbuf_u8(&r, &e->type) != 0)
		return fail(d, IKE_R_EAP_LEN, p->type, p->offset + 6);
	return ok(d);
}

/* ---- whole-chain validation ---- */

int ike_chain_validate(const struct ike_chain *c, struct ike_diag *d)
{
	union {
		struct ike_sa sa;
		struct ike_ke ke;
		struct ike_span span;
		struct ike_id id;
		struct ike_cert cert;
		struct ike_auth auth;
		struct ike_notify n;
		struct ike_delete del;
		struct ike_ts_list ts;
		struct ike_cp cp;
		struct ike_eap eap;
	} u;

	for (unsigned i = 0; i < c->n; i++) {
		const struct ike_payload *p = &c->pl[i];
		int rc = 0;
		switch (p->type) {
		case IKE_PL_SA: rc = ike_parse_sa(p, &u.sa, d); break;
		case IKE_PL_KE: rc = ike_parse_ke(p, &u.ke, d); break;
		case IKE_PL_IDI:
		case IKE_PL_IDR: rc = ike_parse_id(p, &u.id, d); break;
		case IKE_PL_CERT:
		case IKE_PL_CERTREQ: rc = ike_parse_cert(p, &u.cert, d); break;
		case IKE_PL_AUTH: rc = ike_parse_auth(p, &u.auth, d); break;
		case IKE_PL_NONCE: rc = ike_parse_nonce(p, &u.span, d); break;
		case IKE_PL_NOTIFY: rc = ike_parse_notify(p, &u.n, d); break;
		case IKE_PL_DELETE: rc = ike_parse_delete(p, &u.del, d); break;
		case IKE_PL_VENDOR: rc = ike_parse_vendor(p, &u.span, d); break;
		case IKE_PL_TSI:
		case IKE_PL_TSR: rc = ike_parse_ts(p, &u.ts, d); break;
		case IKE_PL_CP: rc = ike_parse_cp(p, &u.cp, d); break;
		case IKE_PL_EAP: rc = ike_parse_eap(p, &u.eap, d); break;
		default: break; /* SK/SKF: checked by the chain walk */
		}
		if (rc != 0)
			return rc;
	}
	return ok(d);
}

/* ---- building ---- */

static void bfail(struct ike_builder *b, int err)
{
	if (b->err == 0)
		b->err = err;
}

void ike_build_begin(struct ike_builder *b, struct wbuf *w, const struct ike_hdr *h)
{
	memset(b, 0, sizeof(*b));
	b->w = w;
	b->start = wbuf_len(w);
	b->np_off = b->start + 16;
	wbuf_u64(w, h->spi_i);
	wbuf_u64(w, h->spi_r);
	wbuf_u8(w, IKE_PL_NONE); /* set by the first payload */
	wbuf_u8(w, h->version != 0 ? h->version : IKE_VERSION);
	wbuf_u8(w, h->exchange);
	wbuf_u8(w, h->flags);
	wbuf_u32(w, h->msg_id);
	wbuf_u32(w, 0); /* Length, set by ike_build_end() */
}

void ike_build_inner_begin(struct ike_builder *b, struct wbuf *w)
{
	memset(b, 0, sizeof(*b));
	b->w = w;
	b->start = wbuf_len(w);
	b->inner = true;
	b->np_off = SIZE_MAX;
}

/* Open a payload: link it from the previous one, write its generic header.
 * Returns the header's offset, or SIZE_MAX once the builder has failed. */
static size_t pl_begin(struct ike_builder *b, uint8_t type, bool critical)
{
	if (b->err != 0)
		return SIZE_MAX;
	if (b->closed) { /* R7296-3.1.a: SK is last */
		bfail(b, M6E_ORDER);
		return SIZE_MAX;
	}
	if (b->np_off == SIZE_MAX)
		b->first_type = type;
	else
		wbuf_put_u8_at(b->w, b->np_off, type);
	size_t off = wbuf_len(b->w);
	wbuf_u8(b->w, IKE_PL_NONE);
	wbuf_u8(b->w, critical ? IKE_PL_CRITICAL : 0);
	wbuf_u16(b->w, 0);
	b->np_off = off;
	return off;
}

static void pl_end(struct ike_builder *b, size_t off)
{
	if (off == SIZE_MAX || b->err != 0)
		return;
	size_t len = wbuf_len(b->w) - off;
	if (len > 0xffff) {
		bfail(b, M6E_RANGE);
		return;
	}
	wbuf_put_u16_at(b->w, off + 2, (uint16_t)len);
}

int ike_build_end(struct ike_builder *b, size_t *len)
{
	if (b->inner)
		bfail(b, M6E_INVAL);
	if (b->err == 0 && wbuf_status(b->w) != 0)
		bfail(b, M6E_NOSPACE);
	if (b->err != 0)
		return b->err;
	size_t total = wbuf_len(b->w) - b->start;
	wbuf_put_u32_at(b->w, b->start + 24, (uint32_t)total);
	if (len != NULL)
		*len = total;
	return 0;
}

int ike_build_inner_end(struct ike_builder *b, uint8_t *first_type, size_t *len)
{
	if (!b->inner)
		bfail(b, M6E_INVAL);
	if (b->err == 0 && wbuf_status(b->w) != 0)
		bfail(b, M6E_NOSPACE);
	if (b->err != 0)
		return b->err;
	if (first_type != NULL)
		*first_type = b->first_type;
	if (len != NULL)
		*len = wbuf_len(b->w) - b->start;
	return 0;
}

void ike_build_raw(struct ike_builder *b, uint8_t type, bool critical, const void *body, size_t len)
{
	size_t off = pl_begin(b, type, critical);
	if (off == SIZE_MAX)
		return;
	wbuf_bytes(b->w, body, len);
	pl_end(b, off);
}

static void put_len_at(struct ike_builder *b, size_t len_off, size_t start)
{
	size_t len = wbuf_len(b->w) - start;
	if (len > 0xffff)
		bfail(b, M6E_RANGE);
	else
		wbuf_put_u16_at(b->w, len_off, (uint16_t)len);
}

void ike_build_sa(struct ike_builder *b, const struct ike_sa *sa)
{
	if (sa->n_prop == 0 || sa->n_prop > IKE_MAX_PROPOSALS) {
		bfail(b, M6E_INVAL);
		return;
	}
	size_t off = pl_begin(b, IKE_PL_SA, false);
	if (off == SIZE_MAX)
		return;
	for (unsigned i = 0; i < sa->n_prop; i++) {
		const struct ike_proposal *prop = &sa->prop[i];
		if (prop->spi_size > IKE_MAX_SPI_SIZE || prop->n_xf > IKE_MAX_TRANSFORMS) {
			bfail(b, M6E_INVAL);
			return;
		}
		size_t pstart = wbuf_len(b->w);
		wbuf_u8(b->w, i + 1u == sa->n_prop ? 0 : 2);
		wbuf_u8(b->w, 0);
		wbuf_u16(b->w, 0);
		wbuf_u8(b->w, prop->num);
		wbuf_u8(b->w, prop->proto);
		wbuf_u8(b->w, prop->spi_size);
		wbuf_u8(b->w, prop->n_xf);
		wbuf_bytes(b->w, prop->spi, prop->spi_size);
		for (unsigned j = 0; j < prop->n_xf; j++) {
			const struct ike_transform *xf = &prop->xf[j];
			size_t xstart = wbuf_len(b->w);
			wbuf_u8(b->w, j + 1u == prop->n_xf ? 0 : 3);
			wbuf_u8(b->w, 0);
			wbuf_u16(b->w, 0);
			wbuf_u8(b->w, xf->type);
			wbuf_u8(b->w, 0);
			wbuf_u16(b->w, xf->id);
			if (xf->key_len != 0) { /* TV format (R7296-3.3.5.a) */
				wbuf_u16(b->w, IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH);
				wbuf_u16(b->w, xf->key_len);
			}
			put_len_at(b, xstart + 2, xstart);
		}
		put_len_at(b, pstart + 2, pstart);
	}
	pl_end(b, off);
}

void ike_build_ke(struct ike_builder *b, uint16_t group, const void *data, size_t len)
{
	size_t off = pl_begin(b, IKE_PL_KE, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u16(b->w, group);
	wbuf_u16(b->w, 0);
	wbuf_bytes(b->w, data, len);
	pl_end(b, off);
}

void ike_build_nonce(struct ike_builder *b, const void *nonce, size_t len)
{
	ike_build_raw(b, IKE_PL_NONCE, false, nonce, len);
}

/* The bodies that start with a type octet and three reserved ones. */
static void build_typed4(struct ike_builder *b, uint8_t pl_type, uint8_t sub_type, const void *data, size_t len)
{
	size_t off = pl_begin(b, pl_type, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, sub_type);
	wbuf_zero(b->w, 3);
	wbuf_bytes(b->w, data, len);
	pl_end(b, off);
}

void ike_build_id(struct ike_builder *b, uint8_t pl_type, uint8_t id_type, const void *data, size_t len)
{
	build_typed4(b, pl_type, id_type, data, len);
}

void ike_build_cert(struct ike_builder *b, uint8_t pl_type, uint8_t encoding, const void *data, size_t len)
{
	size_t off = pl_begin(b, pl_type, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, encoding);
	wbuf_bytes(b->w, data, len);
	pl_end(b, off);
}

void ike_build_auth(struct ike_builder *b, uint8_t method, const void *data, size_t len)
{
	build_typed4(b, IKE_PL_AUTH, method, data, len);
}

void ike_build_auth_digsig(struct ike_builder *b, const void *alg_id, size_t alg_len, const void *sig,
			   size_t sig_len)
{
	if (alg_len > 0xff) {
		bfail(b, M6E_RANGE);
		return;
	}
	size_t off = pl_begin(b, IKE_PL_AUTH, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, IKE_AUTH_DIGITAL_SIG);
	wbuf_zero(b->w, 3);
	wbuf_u8(b->w, (uint8_t)alg_len);
	wbuf_bytes(b->w, alg_id, alg_len);
	wbuf_bytes(b->w, sig, sig_len);
	pl_end(b, off);
}

void ike_build_notify(struct ike_builder *b, uint8_t proto, const void *spi, uint8_t spi_size, uint16_t type,
		      const void *data, size_t len)
{
	size_t off = pl_begin(b, IKE_PL_NOTIFY, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, proto);
	wbuf_u8(b->w, spi_size);
	wbuf_u16(b->w, type);
	wbuf_bytes(b->w, spi, spi_size);
	wbuf_bytes(b->w, data, len);
	pl_end(b, off);
}

void ike_build_delete(struct ike_builder *b, uint8_t proto, uint8_t spi_size, const void *spis, uint16_t n)
{
	size_t off = pl_begin(b, IKE_PL_DELETE, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, proto);
	wbuf_u8(b->w, spi_size);
	wbuf_u16(b->w, n);
	wbuf_bytes(b->w, spis, (size_t)n * spi_size);
	pl_end(b, off);
}

void ike_build_vendor(struct ike_builder *b, const void *vid, size_t len)
{
	ike_build_raw(b, IKE_PL_VENDOR, false, vid, len);
}

void ike_build_ts(struct ike_builder *b, uint8_t pl_type, const struct ike_ts_list *tl)
{
	if (tl->n == 0 || tl->n > IKE_MAX_TS) {
		bfail(b, M6E_INVAL);
		return;
	}
	size_t off = pl_begin(b, pl_type, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, tl->n);
	wbuf_zero(b->w, 3);
	for (unsigned i = 0; i < tl->n; i++) {
		const struct ike_ts *ts = &tl->ts[i];
		size_t alen = ts->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
		if (ts->type != IKE_TS_IPV4_ADDR_RANGE && ts->type != IKE_TS_IPV6_ADDR_RANGE) {
			bfail(b, M6E_INVAL);
			return;
		}
		wbuf_u8(b->w, ts->type);
		wbuf_u8(b->w, ts->ip_proto);
		wbuf_u16(b->w, (uint16_t)(8 + 2 * alen));
		wbuf_u16(b->w, ts->start_port);
		wbuf_u16(b->w, ts->end_port);
		wbuf_bytes(b->w, ts->start, alen);
		wbuf_bytes(b->w, ts->end, alen);
	}
	pl_end(b, off);
}

void ike_build_cp(struct ike_builder *b, const struct ike_cp *cp)
{
	if (cp->n > IKE_MAX_CP_ATTRS) {
		bfail(b, M6E_INVAL);
		return;
	}
	size_t off = pl_begin(b, IKE_PL_CP, false);
	if (off == SIZE_MAX)
		return;
	wbuf_u8(b->w, cp->cfg_type);
	wbuf_zero(b->w, 3);
	for (unsigned i = 0; i < cp->n; i++) {
		const struct ike_cp_attr *a = &cp->attr[i];
		if (a->value.len > 0xffff) {
			bfail(b, M6E_RANGE);
			return;
		}
		wbuf_u16(b->w, a->type & 0x7fffu);
		wbuf_u16(b->w, (uint16_t)a->value.len);
		wbuf_bytes(b->w, a->value.ptr, a->value.len);
	}
	pl_end(b, off);
}

void ike_build_eap(struct ike_builder *b, const void *eap_msg, size_t len)
{
	ike_build_raw(b, IKE_PL_EAP, false, eap_msg, len);
}

/* SK/SKF: their own Next Payload names the first inner payload. */
static size_t build_encrypted(struct ike_builder *b, uint8_t type)
{
	if (b->inner) { /* R7296-3.1.a: never nested */
		bfail(b, M6E_ORDER);
		return SIZE_MAX;
	}
	size_t off = pl_begin(b, type, false);
	if (off == SIZE_MAX)
		return SIZE_MAX;
	b->closed = true;
	return off;
}

static void end_encrypted(struct ike_builder *b, size_t off, uint8_t inner_first)
{
	pl_end(b, off);
	if (off != SIZE_MAX && b->err == 0)
		wbuf_put_u8_at(b->w, off, inner_first);
}

void ike_build_sk_reserve(struct ike_builder *b, uint8_t inner_first, size_t body_len, size_t *body_off)
{
	size_t off = build_encrypted(b, IKE_PL_SK);
	*body_off = SIZE_MAX;
	if (off == SIZE_MAX)
		return;
	*body_off = wbuf_reserve(b->w, body_len);
	end_encrypted(b, off, inner_first);
}

void ike_build_sk(struct ike_builder *b, uint8_t inner_first, const void *body, size_t len)
{
	size_t off = build_encrypted(b, IKE_PL_SK);
	if (off == SIZE_MAX)
		return;
	wbuf_bytes(b->w, body, len);
	end_encrypted(b, off, inner_first);
}

void ike_build_skf_reserve(struct ike_builder *b, uint8_t inner_first, uint16_t number, uint16_t total,
			   size_t body_len, size_t *body_off)
{
	size_t off = build_encrypted(b, IKE_PL_SKF);
	*body_off = SIZE_MAX;
	if (off == SIZE_MAX)
		return;
	wbuf_u16(b->w, number);
	wbuf_u16(b->w, total);
	*body_off = wbuf_reserve(b->w, body_len);
	end_encrypted(b, off, inner_first);
}

void ike_build_skf(struct ike_builder *b, uint8_t inner_first, uint16_t number, uint16_t total, const void *body,
		   size_t len)
{
	size_t off = build_encrypted(b, IKE_PL_SKF);
	if (off == SIZE_MAX)
		return;
	wbuf_u16(b->w, number);
	wbuf_u16(b->w, total);
	wbuf_bytes(b->w, body, len);
	end_encrypted(b, off, inner_first);
}

size_t ike_cp_ip6_addr_value(uint8_t out[IKE_CP_IP6_ADDRESS_LEN], const struct in6_addr *addr, uint8_t prefix_len)
{
	memcpy(out, addr, 16);
	out[16] = prefix_len;
	return IKE_CP_IP6_ADDRESS_LEN;
}

size_t ike_cp_mip6_home_prefix_value(uint8_t out[IKE_CP_MIP6_HOME_PREFIX_LEN], uint32_t lifetime,
				     const struct in6_addr *prefix, uint8_t prefix_len)
{
	struct wbuf w;
	wbuf_init(&w, out, IKE_CP_MIP6_HOME_PREFIX_LEN);
	wbuf_u32(&w, lifetime);
	wbuf_bytes(&w, prefix, 16);
	wbuf_u8(&w, prefix_len);
	return wbuf_len(&w);
}
