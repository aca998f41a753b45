/*
 * ike_bench: what bench/ike_load, bench/ike_resp and bench/ike_mem share:
 * strongSwan-style proposal keywords, identities and selectors from the
 * command line, UDP sockets on 500/4500 with the Non-ESP marker (RFC 3948
 * 2.2) added and stripped here, a map from 64-bit SPIs to the tools' own
 * entries, and the two ESP SAs of a CHILD_SA installed in a SAD the way the
 * daemon does. Bench tools only: plain poll() loops, no libevent.
 */
#ifndef M6_BENCH_IKE_BENCH_H
#define M6_BENCH_IKE_BENCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ikesa.h"
#include "ipsec/sad.h"

#define IKEB_RCVBUF (4u << 20) /* a burst of 1k concurrent setups fits */

uint64_t ikeb_now_us(void);
static inline uint64_t ikeb_now_ms(void) { return ikeb_now_us() / 1000u; }
/* User + system CPU time of this process, microseconds. */
uint64_t ikeb_cpu_us(void);

/* "aes256gcm16-prfsha256-x25519" (IKE: encr, prf, dh; integ only for
 * non-AEAD, prf defaults to the integ hash as swanctl does) or "aes256gcm16"
 * (ESP). 0, or M6E_INVAL naming nothing (the caller prints the usage). */
int ikeb_parse_suite(const char *s, bool ike, struct ikesa_prop *p);
/* FQDN, or RFC822_ADDR when it holds an '@'. */
int ikeb_parse_id(const char *s, struct ikesa_id *id);
/* "fd6f:10::/64": an IPv6 range selector, any protocol and port. */
int ikeb_parse_ts(const char *s, struct ike_ts *ts);
/* Text or 0xHEX into psk[cap]; *len. */
int ikeb_parse_psk(const char *s, uint8_t *psk, size_t cap, size_t *len);
bool ikeb_id_equal(const struct ikesa_id *a, const struct ikesa_id *b);

/* The options ike_load and ike_resp share (getopt_long codes from 256;
 * a tool's own codes start at IKEB_O_OWN). */
enum {
	IKEB_O_LOCAL = 256, IKEB_O_PSK, IKEB_O_LID, IKEB_O_RID, IKEB_O_IKE, IKEB_O_ESP, IKEB_O_LTS, IKEB_O_RTS,
	IKEB_O_PORT, IKEB_O_NATT, IKEB_O_VERBOSE, IKEB_O_OWN
};
#define IKEB_LONGOPTS                                              \
	{ "local", required_argument, NULL, IKEB_O_LOCAL },        \
	{ "psk", required_argument, NULL, IKEB_O_PSK },            \
	{ "local-id", required_argument, NULL, IKEB_O_LID },       \
	{ "remote-id", required_argument, NULL, IKEB_O_RID },      \
	{ "ike", required_argument, NULL, IKEB_O_IKE },            \
	{ "esp", required_argument, NULL, IKEB_O_ESP },            \
	{ "local-ts", required_argument, NULL, IKEB_O_LTS },       \
	{ "remote-ts", required_argument, NULL, IKEB_O_RTS },      \
	{ "port", required_argument, NULL, IKEB_O_PORT },          \
	{ "natt-port", required_argument, NULL, IKEB_O_NATT },     \
	{ "verbose", no_argument, NULL, IKEB_O_VERBOSE }

struct ikeb_opts {
	struct in6_addr local;
	bool have_local, verbose;
	uint8_t psk[256];
	size_t psk_len;
	struct ikesa_params params;  /* ids and suites (--ike/--esp append) */
	struct ike_ts local_ts, remote_ts;
	uint16_t port, natt_port;
};
/* Defaults: ports 500/4500 (RFC 7296 2, 2.23), the given selectors. */
void ikeb_opts_init(struct ikeb_opts *o, const char *local_ts, const char *remote_ts);
/* 1 when c was a shared option and is now applied, 0 when it is not one
 * of them, M6E_INVAL when its value is bad. */
int ikeb_opts_apply(struct ikeb_opts *o, int c, const char *arg);
/* After parsing: default suites if none were given; M6E_INVAL when the
 * address, PSK or local identity is missing. */
int ikeb_opts_finish(struct ikeb_opts *o);

/* ops->random for every tool: OpenSSL's DRBG; exits on failure. */
void ikeb_random(void *arg, void *buf, size_t len);

/* A UDP socket bound to [a]:port, non-blocking, IKEB_RCVBUF; exits on error. */
int ikeb_udp_bind(const struct in6_addr *a, uint16_t port);
/* Send msg to [to]:port; with natt the Non-ESP marker goes first. */
int ikeb_send(int fd, bool natt, const uint8_t *msg, size_t len, const struct in6_addr *to, uint16_t port);
/*
 * One datagram from fd into buf[cap]. On 4500 (natt) the Non-ESP marker is
 * stripped; keepalives and ESP are refused. 1 with *msg, *len, *from, *port
 * set to an IKE message of at least a header; 0 when nothing usable was
 * read (EAGAIN included).
 */
int ikeb_recv(int fd, bool natt, uint8_t *buf, size_t cap, const uint8_t **msg, size_t *len,
	      struct in6_addr *from, uint16_t *port);
/* The header's SPIs and exchange type (msg holds at least IKE_HDR_LEN). */
uint64_t ikeb_hdr_spi_i(const uint8_t *msg);
uint64_t ikeb_hdr_spi_r(const uint8_t *msg);
static inline uint8_t ikeb_hdr_exch(const uint8_t *msg) { return msg[18]; }

/*
 * Open addressing from a non-zero 64-bit key to a pointer, linear probing,
 * doubling at half load (tombstones included). Keys here are SPIs the tools
 * drew at random, or a peer's SPIi hashed with its address.
 */
struct ikeb_map {
	uint64_t *keys;     /* 0 empty, UINT64_MAX a tombstone */
	void **vals;
	size_t cap, used, live;
};
int ikeb_map_init(struct ikeb_map *m, size_t hint);
void ikeb_map_fini(struct ikeb_map *m);
int ikeb_map_put(struct ikeb_map *m, uint64_t key, void *val);
void *ikeb_map_get(const struct ikeb_map *m, uint64_t key);
void ikeb_map_del(struct ikeb_map *m, uint64_t key);
/* The key of a peer's SPIi seen from addr:port (SPIr still 0). */
uint64_t ikeb_peer_key(uint64_t spi_i, const struct in6_addr *addr, uint16_t port);

/*
 * The two ESP SAs of one CHILD_SA into sad, as the daemon installs them:
 * inbound on c->spi_in with keymat_in, outbound on c->spi_out with
 * keymat_out, tunnel or transport, UDP-encapsulated when c->udp_encap.
 * spi_xor != 0 installs a second CHILD_SA's pair (SPIs xor spi_xor) with the
 * same keys: the engine negotiates one child today (ike_mem). 0 with both
 * installed; on error nothing stays in sad.
 */
int ikeb_child_install(struct sad *sad, const struct ikesa_child *c, uint32_t spi_xor, uint64_t now_ms);
/* Remove and free the pair installed with these SPIs (either may be gone). */
void ikeb_child_remove(struct sad *sad, uint32_t spi_in, uint32_t spi_out);

/* Latency samples (microseconds) kept for percentiles; capped, no growth. */
struct ikeb_lat {
	uint32_t *us;
	size_t n, cap;
	uint64_t dropped;  /* samples past cap (not in the percentiles) */
};
int ikeb_lat_init(struct ikeb_lat *l, size_t cap);
void ikeb_lat_fini(struct ikeb_lat *l);
void ikeb_lat_add(struct ikeb_lat *l, uint64_t us);
/* The q-th percentile (0..100) in microseconds; sorts in place; 0 when empty. */
uint64_t ikeb_lat_pct(struct ikeb_lat *l, unsigned q);

#endif
