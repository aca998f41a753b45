/*
 * IKEv2 message and payload codec (RFC 7296 §3, RFC 7383 §2.5, RFC 7427,
 * RFC 5026 §8.2; wire-formats.md §I, §J): parse and build bytes, nothing
 * else. No decisions, no crypto, no allocation.
 *
 * Parsing happens in layers, each through the rbuf cursor:
 *   1. ike_natt_unwrap()  strips the 4-octet Non-ESP Marker of port 4500.
 *   2. ike_parse_hdr()    the 28-octet IKE header; Length must equal the
 *                         datagram length.
 *   3. ike_parse_chain()  walks the generic payload headers from a first
 *                         type into a struct ike_chain of views (type,
 *                         critical bit, body span). SK/SKF must be last and
 *                         ends the outer walk; its Next Payload is the first
 *                         inner type, so after decrypting, the caller parses
 *                         the plaintext with ike_parse_chain(first, ..., true).
 *   4. ike_parse_sa() ... typed parsers for one payload body each.
 * ike_parse_msg() does 2 and 3 at once.
 *
 * Every refusal names an enum ike_reason (name table for counters) and,
 * through ike_reason_notify(), the error notify RFC 7296 would have a
 * responder send (UNSUPPORTED_CRITICAL_PAYLOAD, INVALID_MAJOR_VERSION,
 * INVALID_SYNTAX) or 0 for a silent drop; the engine decides whether it
 * answers at all (R7296-2.21.a: only about authenticated requests, except
 * for the two unprotected ones).
 *
 * Views (struct ike_span, struct ike_payload) point into the caller's bytes
 * and live as long as those bytes do.
 *
 * Building: struct ike_builder writes into a wbuf. ike_build_begin() writes
 * the header; each ike_build_*() payload sets the previous payload's Next
 * Payload (or the header's) to its own type; ike_build_end() fills the
 * header Length. ike_build_inner_begin()/ike_build_inner_end() build the
 * plaintext chain of an SK payload (no header) and return the first type,
 * which the caller passes to ike_build_sk*(). Errors are sticky: the first
 * one is returned by ike_build_end().
 */
#ifndef M6_WIRE_IKE_H
#define M6_WIRE_IKE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wbuf.h"

#define IKE_HDR_LEN 28
#define IKE_PL_HDR_LEN 4        /* generic payload header */
#define IKE_SPI_LEN 8
#define IKE_NON_ESP_MARKER_LEN 4 /* RFC 3948 §2.2, R7296-2.b */
#define IKE_VERSION 0x20         /* MjVer 2, MnVer 0 (R7296-2.5.a) */
#define IKE_NONCE_MIN 16         /* R7296-2.10.a */
#define IKE_NONCE_MAX 256
#define IKE_NATD_LEN 20          /* SHA-1 */
#define IKE_COOKIE_MAX 64
#define IKE_COOKIE2_MIN 8
#define IKE_SKF_HDR_LEN 8        /* generic header + Fragment Number + Total */

/* Fixed limits of a parse (views live in the caller's struct). Generous for
 * strongSwan's default proposals (dozens of transforms in one proposal). */
#define IKE_MAX_PAYLOADS 48
#define IKE_MAX_PROPOSALS 16
#define IKE_MAX_TRANSFORMS 48
#define IKE_MAX_TS 16
#define IKE_MAX_CP_ATTRS 32 /* clients ask for DNS, NBNS, vendor ones ... */
#define IKE_MAX_SPI_SIZE 8

/* Header flags (octet 19). */
#define IKE_FLAG_I 0x08u /* original initiator */
#define IKE_FLAG_V 0x10u /* higher version supported: sent 0, ignored */
#define IKE_FLAG_R 0x20u /* response */
#define IKE_PL_CRITICAL 0x80u

enum ike_exchange {
	IKE_EXCH_SA_INIT = 34,
	IKE_EXCH_AUTH = 35,
	IKE_EXCH_CREATE_CHILD_SA = 36,
	IKE_EXCH_INFORMATIONAL = 37,
};

enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53, /* RFC 7383 §2.5 */
};

/* Protocol ID of proposals, notifies, deletes. */
enum ike_proto {
	IKE_PROTO_NONE = 0,
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

/* Transform types and IDs (wire-formats.md §J) and their names live in
 * crypto/xform.h (enum xform_type, xform_encr, ...; xform_name()); the codec
 * carries them as numbers. */
#define IKE_ATTR_KEY_LENGTH 14 /* TV format only (R7296-3.3.5.a) */
#define IKE_ATTR_AF 0x8000u    /* Attribute Format bit: 1 = TV */

enum ike_id_type {
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_USER_FQDN = IKE_ID_RFC822_ADDR, /* its IKEv1 name */
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

enum ike_cert_encoding {
	IKE_CERT_X509_SIG = 4,
	IKE_CERT_CRL = 7,
	IKE_CERT_HASH_URL_X509 = 12,
	IKE_CERT_HASH_URL_BUNDLE = 13,
};
#define IKE_CERTREQ_HASH_LEN 20 /* SHA-1 of a trust anchor's SPKI */

enum ike_auth_method {
	IKE_AUTH_RSA_SIG = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_DSS_SIG = 3,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_DIGITAL_SIG = 14, /* RFC 7427 */
};

enum ike_notify_type {
	/* errors (< 16384) */
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_UNACCEPTABLE_ADDRESSES = 40,
	IKE_N_UNEXPECTED_NAT_DETECTED = 41,
	IKE_N_USE_ASSIGNED_HOA = 42,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	/* status (>= 16384) */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_NO_NATS_ALLOWED = 16402,
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};
#define IKE_N_STATUS_MIN 16384
/* R7296-3.10.a: error types are below 16384. */
static inline bool ike_notify_is_error(unsigned type) { return type < IKE_N_STATUS_MIN; }

enum ike_ts_type {
	IKE_TS_IPV4_ADDR_RANGE = 7,
	IKE_TS_IPV6_ADDR_RANGE = 8,
};
#define IKE_TS_IPV4_LEN 16
#define IKE_TS_IPV6_LEN 40

enum ike_cfg_type {
	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
};

enum ike_cp_attr_type {
	IKE_CP_INTERNAL_IP4_ADDRESS = 1,
	IKE_CP_INTERNAL_IP4_NETMASK = 2,
	IKE_CP_INTERNAL_IP4_DNS = 3,
	IKE_CP_INTERNAL_IP4_NBNS = 4,
	IKE_CP_INTERNAL_IP4_DHCP = 6,
	IKE_CP_APPLICATION_VERSION = 7,
	IKE_CP_INTERNAL_IP6_ADDRESS = 8,  /* 0 or 17: address + prefix length */
	IKE_CP_INTERNAL_IP6_DNS = 10,     /* 0 or 16 */
	IKE_CP_INTERNAL_IP6_DHCP = 12,
	IKE_CP_INTERNAL_IP4_SUBNET = 13,
	IKE_CP_SUPPORTED_ATTRIBUTES = 14,
	IKE_CP_INTERNAL_IP6_SUBNET = 15,
	IKE_CP_MIP6_HOME_PREFIX = 16,     /* RFC 5026 §8.2: 0 or 21 */
};
#define IKE_CP_IP6_ADDRESS_LEN 17
#define IKE_CP_MIP6_HOME_PREFIX_LEN 21

enum ike_eap_code {
	IKE_EAP_REQUEST = 1,
	IKE_EAP_RESPONSE = 2,
	IKE_EAP_SUCCESS = 3,
	IKE_EAP_FAILURE = 4,
};

/* Why a parse failed (IKE_R_OK when it did not). Stable: engines count
 * drops by these values. */
enum ike_reason {
	IKE_R_OK = 0,
	/* datagram and header */
	IKE_R_NO_MARKER,          /* port 4500 datagram without the Non-ESP Marker */
	IKE_R_TRUNC_HEADER,       /* fewer than 28 octets */
	IKE_R_OLD_MAJOR_VERSION,  /* major version < 2 (IKEv1): drop */
	IKE_R_MAJOR_VERSION,      /* major version > 2: INVALID_MAJOR_VERSION (R7296-2.5.a) */
	IKE_R_SPI_I_ZERO,         /* initiator SPI 0 (R7296-2.6.a) */
	IKE_R_LEN_BELOW_HEADER,   /* Length field < 28 */
	IKE_R_LEN_LONG,           /* Length field > datagram */
	IKE_R_LEN_SHORT,          /* Length field < datagram (trailing octets) */
	/* payload chain */
	IKE_R_PL_TRUNC,           /* generic payload header runs past the end */
	IKE_R_PL_LEN_BELOW_HEADER,/* Payload Length < 4 */
	IKE_R_PL_LEN_LONG,        /* Payload Length runs past the end */
	IKE_R_TRAILING,           /* octets after the last payload */
	IKE_R_TOO_MANY_PAYLOADS,  /* more than IKE_MAX_PAYLOADS */
	IKE_R_CRITICAL_UNKNOWN,   /* unknown type with C set (R7296-2.5.a) */
	IKE_R_SK_NOT_LAST,        /* octets after SK/SKF (R7296-3.1.a, R7383-2.5.a) */
	IKE_R_SK_NESTED,          /* SK/SKF inside an encrypted chain (R7296-3.1.a) */
	IKE_R_BODY_SHORT,         /* body shorter than the type's fixed part */
	/* SKF (R7383-2.6.a) */
	IKE_R_SKF_NUMBER_ZERO,
	IKE_R_SKF_TOTAL_ZERO,
	IKE_R_SKF_NUMBER_OVER_TOTAL,
	/* SA (R7296-3.3.a) */
	IKE_R_SA_EMPTY,           /* no proposal */
	IKE_R_PROP_TRUNC,         /* proposal header runs past the SA payload */
	IKE_R_PROP_LEN,           /* Proposal Length below its header+SPI or past the end */
	IKE_R_PROP_LAST,          /* Last Substruc not 0/2, or not matching the position */
	IKE_R_PROP_NUM,           /* Proposal Num 0 or not previous + 1 */
	IKE_R_PROP_SPI_SIZE,      /* SPI Size wrong for the protocol */
	IKE_R_PROP_XF_COUNT,      /* Num Transforms differs from the transforms present */
	IKE_R_TOO_MANY_PROPOSALS,
	IKE_R_TOO_MANY_TRANSFORMS,
	IKE_R_XF_TRUNC,           /* transform header runs past the proposal */
	IKE_R_XF_LEN,             /* Transform Length < 8 or past the proposal */
	IKE_R_XF_LAST,            /* Last Substruc not 0/3, or not matching the position */
	IKE_R_ATTR_TRUNC,         /* attribute runs past the transform */
	IKE_R_ATTR_KEYLEN_TLV,    /* Key Length in TLV format (R7296-3.3.5.a) */
	IKE_R_ATTR_DUP,           /* two attributes of one type (R7296-3.3.a) */
	/* other typed payloads */
	IKE_R_NONCE_LEN,          /* not 16..256 octets (R7296-2.10.a) */
	IKE_R_ID_LEN,             /* address ID of the wrong size */
	IKE_R_AUTH_SIG_ALG,       /* RFC 7427 AlgorithmIdentifier length past the data */
	IKE_R_CERTREQ_LEN,        /* X.509 CERTREQ not a multiple of 20 octets */
	IKE_R_NOTIFY_SPI_SIZE,    /* SPI Size not 0/4/8, or wrong for the type */
	IKE_R_NOTIFY_DATA_LEN,    /* data length wrong for a known notify type */
	IKE_R_DELETE_SPI_SIZE,    /* SPI Size wrong for the protocol (R7296-3.11.a) */
	IKE_R_DELETE_COUNT,       /* Num of SPIs x SPI Size != octets present */
	IKE_R_TS_COUNT,           /* Number of TSs 0 or not the selectors present */
	IKE_R_TS_TRUNC,           /* selector runs past the payload */
	IKE_R_TS_LEN,             /* Selector Length wrong for its type */
	IKE_R_TS_ADDR_RANGE,      /* starting address above ending address */
	IKE_R_TOO_MANY_TS,
	IKE_R_CP_ATTR_TRUNC,      /* attribute runs past the payload */
	IKE_R_CP_ATTR_LEN,        /* length wrong for a known attribute (R7296-3.15.a) */
	IKE_R_TOO_MANY_CP_ATTRS,
	IKE_R_EAP_LEN,            /* EAP Length != payload body, or no Type in Request/Response */
	IKE_R_COUNT
};

/* Where and why a parse failed. payload_type is the payload being parsed;
 * for IKE_R_CRITICAL_UNKNOWN it is the unsupported type to return in the
 * notify data. offset counts from the start of the bytes passed in. */
struct ike_diag {
	enum ike_reason reason;
	uint8_t payload_type;
	size_t offset;
};

/* A view of bytes inside the caller's buffer. */
struct ike_span {
	const uint8_t *ptr;
	size_t len;
};

struct ike_hdr {
	uint64_t spi_i; /* as read big-endian; compare as values */
	uint64_t spi_r;
	uint8_t next_payload;
	uint8_t version;  /* MjVer << 4 | MnVer */
	uint8_t exchange; /* enum ike_exchange */
	uint8_t flags;    /* IKE_FLAG_*; other bits kept as received */
	uint32_t msg_id;
	uint32_t length;
};

/* One payload of a chain. For SK the body is IV | ciphertext | ICV; for
 * SKF it is what follows Fragment Number and Total Fragments. */
struct ike_payload {
	uint8_t type;
	bool critical;
	uint8_t next;      /* Next Payload field as received */
	size_t offset;     /* of the generic header, from the start of the chain bytes */
	struct ike_span body;
};

struct ike_chain {
	unsigned n;                 /* known payloads, in order (SK/SKF last) */
	struct ike_payload pl[IKE_MAX_PAYLOADS];
	unsigned skipped;           /* unknown non-critical payloads skipped */
	/* Set when the chain ends in SK or SKF (then pl[n-1] is it). */
	bool encrypted;
	uint8_t sk_type;            /* IKE_PL_SK or IKE_PL_SKF */
	uint8_t inner_first;        /* SK/SKF Next Payload: first inner payload type */
	uint16_t frag_number;       /* SKF only */
	uint16_t frag_total;        /* SKF only */
};

struct ike_msg {
	struct ike_hdr hdr;
	struct ike_chain chain;     /* offsets count from the IKE header */
};

/* ---- SA ---- */
struct ike_transform {
	uint8_t type;           /* enum xform_type (crypto/xform.h) */
	uint16_t id;
	uint16_t key_len;       /* Key Length attribute in bits; 0 = absent */
	uint8_t unknown_attrs;  /* other attributes (transform unacceptable); saturates */
};

struct ike_proposal {
	uint8_t num;
	uint8_t proto;          /* enum ike_proto */
	uint8_t spi_size;
	uint8_t spi[IKE_MAX_SPI_SIZE];
	uint8_t n_xf;
	struct ike_transform xf[IKE_MAX_TRANSFORMS];
};

struct ike_sa {
	uint8_t n_prop;
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
};

struct ike_ke {
	uint16_t group;
	struct ike_span data;
};

struct ike_id {
	uint8_t type;           /* enum ike_id_type */
	struct ike_span data;
	struct ike_span rest;   /* RestOfIDPayload: ID Type to the end (AUTH input) */
};

/* CERT and CERTREQ. */
struct ike_cert {
	uint8_t encoding;       /* enum ike_cert_encoding */
	struct ike_span data;
};

struct ike_auth {
	uint8_t method;         /* enum ike_auth_method */
	struct ike_span data;   /* all Authentication Data */
	/* Method 14 (RFC 7427 §3): data = len(1) | AlgorithmIdentifier | signature */
	struct ike_span sig_alg;
	struct ike_span sig;
};

struct ike_notify {
	uint8_t proto;          /* enum ike_proto, 0 when no SPI */
	uint8_t spi_size;
	uint8_t spi[IKE_MAX_SPI_SIZE];
	uint16_t type;          /* enum ike_notify_type */
	struct ike_span data;
};

struct ike_delete {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t n_spi;
	struct ike_span spis;   /* n_spi * spi_size octets; see ike_delete_spi32() */
};

struct ike_ts {
	uint8_t type;           /* enum ike_ts_type */
	uint8_t ip_proto;       /* 0 = any */
	uint16_t start_port;
	uint16_t end_port;
	uint8_t start[16];      /* IPv4: first 4 octets */
	uint8_t end[16];
};

struct ike_ts_list {
	uint8_t n;
	struct ike_ts ts[IKE_MAX_TS];
	uint8_t skipped;        /* selectors of unknown type (on parse) */
};

struct ike_cp_attr {
	uint16_t type;          /* enum ike_cp_attr_type; R bit dropped */
	struct ike_span value;
};

struct ike_cp {
	uint8_t cfg_type;       /* enum ike_cfg_type */
	uint8_t n;
	struct ike_cp_attr attr[IKE_MAX_CP_ATTRS];
};

/* EAP: recognised, not interpreted. */
struct ike_eap {
	uint8_t code;           /* enum ike_eap_code */
	uint8_t id;
	uint16_t length;
	uint8_t type;           /* Request/Response only; 0 otherwise */
	struct ike_span msg;    /* the whole EAP message */
};

/* ---- parsing ---- */

/* Port 4500: the datagram must start with four zero octets (R7296-2.b,
 * R3948-2.2.a); *ike is what follows. -M6E_* with IKE_R_NO_MARKER if not. */
int ike_natt_unwrap(const void *udp_payload, size_t len, struct ike_span *ike, struct ike_diag *d);

/* The IKE header of a datagram of len octets (R7296-2.5.a, R7296-3.1.a). */
int ike_parse_hdr(const void *msg, size_t len, struct ike_hdr *h, struct ike_diag *d);

/* Walk a payload chain starting with first_type over bytes[0..len). inner:
 * the plaintext of an SK payload, where SK/SKF may not appear. Unknown
 * non-critical payloads are counted and skipped (R7296-2.5.a). */
int ike_parse_chain(uint8_t first_type, const void *bytes, size_t len, bool inner, struct ike_chain *c,
		    struct ike_diag *d);

/* Header, then the chain after it. */
int ike_parse_msg(const void *msg, size_t len, struct ike_msg *m, struct ike_diag *d);

/* A UDP payload as received: natt (local port 4500) strips the Non-ESP
 * Marker first. *ike is the IKE message itself, the octets Length, AUTH and
 * the ICV cover; offsets in *m and *d count from its start. */
int ike_parse_datagram(bool natt, const void *udp_payload, size_t len, struct ike_span *ike, struct ike_msg *m,
		       struct ike_diag *d);

/* Octets from the IKE header to the end of the SK generic header (SKF: to
 * the end of Total Fragments), the AEAD associated data (RFC 5282 §5.1;
 * R7383-AEAD.a for SKF) and where the IV starts; 0 if not encrypted. */
size_t ike_msg_sk_aad_len(const struct ike_msg *m);

/* Run the typed parser of every payload of a chain (SK/SKF excluded). */
int ike_chain_validate(const struct ike_chain *c, struct ike_diag *d);

/* The index of the first payload of type at or after from, or -1. */
int ike_chain_find(const struct ike_chain *c, uint8_t type, unsigned from);
/* The first Notify of notify_type in the chain (parsed into *n), 0 or
 * M6E_NOTFOUND; a malformed one is skipped. */
int ike_chain_find_notify(const struct ike_chain *c, uint16_t notify_type, struct ike_notify *n);

/* Typed parsers of one payload's body. d may be NULL in all of them. */
int ike_parse_sa(const struct ike_payload *p, struct ike_sa *sa, struct ike_diag *d);
int ike_parse_ke(const struct ike_payload *p, struct ike_ke *ke, struct ike_diag *d);
int ike_parse_nonce(const struct ike_payload *p, struct ike_span *nonce, struct ike_diag *d);
int ike_parse_id(const struct ike_payload *p, struct ike_id *id, struct ike_diag *d);
int ike_parse_cert(const struct ike_payload *p, struct ike_cert *c, struct ike_diag *d); /* CERT, CERTREQ */
int ike_parse_auth(const struct ike_payload *p, struct ike_auth *a, struct ike_diag *d);
int ike_parse_notify(const struct ike_payload *p, struct ike_notify *n, struct ike_diag *d);
int ike_parse_delete(const struct ike_payload *p, struct ike_delete *del, struct ike_diag *d);
int ike_parse_vendor(const struct ike_payload *p, struct ike_span *vid, struct ike_diag *d);
int ike_parse_ts(const struct ike_payload *p, struct ike_ts_list *tl, struct ike_diag *d);
int ike_parse_cp(const struct ike_payload *p, struct ike_cp *cp, struct ike_diag *d);
int ike_parse_eap(const struct ike_payload *p, struct ike_eap *e, struct ike_diag *d);

/* Field accessors on parsed views (bounds-checked; M6E_RANGE/M6E_INVAL). */
int ike_delete_spi32(const struct ike_delete *del, unsigned i, uint32_t *spi);
int ike_notify_invalid_ke_group(const struct ike_notify *n, uint16_t *group);
int ike_cp_attr_ip6_addr(const struct ike_cp_attr *a, struct in6_addr *addr, uint8_t *prefix_len);
int ike_cp_attr_ip6(const struct ike_cp_attr *a, struct in6_addr *addr); /* IP6_DNS and friends */
int ike_cp_attr_mip6_home_prefix(const struct ike_cp_attr *a, uint32_t *lifetime, struct in6_addr *prefix,
				 uint8_t *prefix_len);

/* ---- building ---- */

struct ike_builder {
	struct wbuf *w;
	size_t start;       /* offset of the IKE header (or inner chain) in w */
	size_t np_off;      /* Next Payload field to set for the next payload */
	bool inner;         /* no header: np_off invalid until the first payload */
	bool closed;        /* SK/SKF written: nothing may follow */
	uint8_t first_type; /* inner chains: type of the first payload */
	int err;            /* first error, sticky */
};

/* Start a message: writes h (next_payload and length are filled in later;
 * version 0 is written as IKE_VERSION). A port-4500 datagram: write the
 * IKE_NON_ESP_MARKER_LEN zero octets to w first, they are not counted. */
void ike_build_begin(struct ike_builder *b, struct wbuf *w, const struct ike_hdr *h);
/* Patch the header Length; *len = message length. 0 or the first error
 * (M6E_NOSPACE, M6E_RANGE for a payload over 65535 octets, M6E_ORDER for a
 * payload after SK/SKF or SK in an inner chain, M6E_INVAL for a bad struct
 * or the wrong _end for the _begin). */
int ike_build_end(struct ike_builder *b, size_t *len);
/* Start/finish the plaintext chain of an SK payload (no header, no padding). */
void ike_build_inner_begin(struct ike_builder *b, struct wbuf *w);
int ike_build_inner_end(struct ike_builder *b, uint8_t *first_type, size_t *len);

/* Any payload from its body (tests, unknown types). */
void ike_build_raw(struct ike_builder *b, uint8_t type, bool critical, const void *body, size_t len);
void ike_build_sa(struct ike_builder *b, const struct ike_sa *sa);
void ike_build_ke(struct ike_builder *b, uint16_t group, const void *data, size_t len);
void ike_build_nonce(struct ike_builder *b, const void *nonce, size_t len);
void ike_build_id(struct ike_builder *b, uint8_t pl_type, uint8_t id_type, const void *data, size_t len);
void ike_build_cert(struct ike_builder *b, uint8_t pl_type, uint8_t encoding, const void *data, size_t len);
void ike_build_auth(struct ike_builder *b, uint8_t method, const void *data, size_t len);
/* RFC 7427 method 14: the length octet, AlgorithmIdentifier, signature. */
void ike_build_auth_digsig(struct ike_builder *b, const void *alg_id, size_t alg_len, const void *sig,
			   size_t sig_len);
void ike_build_notify(struct ike_builder *b, uint8_t proto, const void *spi, uint8_t spi_size, uint16_t type,
		      const void *data, size_t len);
/* Delete of n SPIs of spi_size octets each, concatenated in spis. */
void ike_build_delete(struct ike_builder *b, uint8_t proto, uint8_t spi_size, const void *spis, uint16_t n);
void ike_build_vendor(struct ike_builder *b, const void *vid, size_t len);
void ike_build_ts(struct ike_builder *b, uint8_t pl_type, const struct ike_ts_list *tl);
void ike_build_cp(struct ike_builder *b, const struct ike_cp *cp);
void ike_build_eap(struct ike_builder *b, const void *eap_msg, size_t len);

/* SK with body_len zeroed octets reserved for IV | ciphertext | ICV; the
 * body's offset in the wbuf goes to *body_off, for the caller to fill after
 * ike_build_end() (the ICV covers the final header). Closes the chain. */
void ike_build_sk_reserve(struct ike_builder *b, uint8_t inner_first, size_t body_len, size_t *body_off);
void ike_build_sk(struct ike_builder *b, uint8_t inner_first, const void *body, size_t len);
/* SKF (RFC 7383 §2.5): inner_first is 0 in all but fragment 1. */
void ike_build_skf_reserve(struct ike_builder *b, uint8_t inner_first, uint16_t number, uint16_t total,
			   size_t body_len, size_t *body_off);
void ike_build_skf(struct ike_builder *b, uint8_t inner_first, uint16_t number, uint16_t total, const void *body,
		   size_t len);

/* CP attribute values, for struct ike_cp_attr built by the caller. */
size_t ike_cp_ip6_addr_value(uint8_t out[IKE_CP_IP6_ADDRESS_LEN], const struct in6_addr *addr, uint8_t prefix_len);
size_t ike_cp_mip6_home_prefix_value(uint8_t out[IKE_CP_MIP6_HOME_PREFIX_LEN], uint32_t lifetime,
				     const struct in6_addr *prefix, uint8_t prefix_len);

/* ---- names ---- */
const char *ike_reason_name(enum ike_reason r);
/* The error notify a responder would send for r (0: drop silently). */
uint16_t ike_reason_notify(enum ike_reason r);
const char *ike_exchange_name(unsigned exchange);
const char *ike_payload_name(unsigned type);
const char *ike_proto_name(unsigned proto);
const char *ike_notify_name(unsigned type);
const char *ike_id_type_name(unsigned type);
const char *ike_cert_encoding_name(unsigned enc);
const char *ike_auth_method_name(unsigned method);
const char *ike_ts_type_name(unsigned type);
const char *ike_cfg_type_name(unsigned type);
const char *ike_cp_attr_name(unsigned type);
const char *ike_eap_code_name(unsigned code);

#endif
