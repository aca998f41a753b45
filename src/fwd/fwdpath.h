/*
 * fwdpath: the per-packet decisions of the data path, without descriptors,
 * so unit tests and the fuzzer drive exactly what the daemon runs.
 *
 * Outbound (fwdpath_out), one inner packet read from a tunnel's TUN:
 *   inner IPv6 header checked (version, payload length = bytes read)
 *   -> SPD OUT lookup with the tunnel's ifid (R3776-4.2.c)
 *   -> PROTECT: esp_seal() in place, tunnel mode, Next Header 41 (R4303-2.6.a)
 *   -> the ESP packet and its outer destination (the SA's tunnel end point).
 *
 * Inbound (fwdpath_in), one datagram from an outer socket:
 *   UDP (RFC 3948): 0xFF alone is a NAT-keepalive, ignored (R3948-2.3.a,
 *   R3948-4.a); the 4-octet zero Non-ESP Marker is IKE (R3948-2.2.a): the
 *   message after it goes to the IKE sink (counted fwd.ike_in), or is
 *   counted as fwd.drop_ike when there is none; anything else is ESP.
 *   -> esp_open_sad(): SPI -> SA, anti-replay before and after the ICV,
 *      padding (R4303-3.4.2.a, R4303-3.4.3.a, R4303-3.4.4.a)
 *   -> the SA must belong to a tunnel and have arrived with the SA's own
 *      encapsulation, outer addresses and (ESP-in-UDP) ports: for an
 *      IKE-keyed tunnel those are what IKE saw, possibly a NAT's
 *   -> Next Header 41, the inner packet a whole IPv6 packet
 *   -> SPD inbound check with the tunnel's ifid: inner source within the
 *      remote prefixes, destination within the local ones, and the policy
 *      naming this SA (RFC 4301 5.2 step 4, R3948-3.a, R3776-4.2.k)
 *   -> the inner packet, for the tunnel's TUN.
 *
 * Every refusal has one reason (enum fwd_drop, detailed by the ESP or SPD
 * reason); fwdpath_count() adds it to the stats registry.
 */
#ifndef M6_FWD_FWDPATH_H
#define M6_FWD_FWDPATH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec/esp.h"
#include "ipsec/ipsecdb.h"
#include "ipsec/spd.h"

/* Packet buffers: the inner packet is read at FWD_HEADROOM so the ESP header
 * and IV (and later a UDP/IPv6 header or a virtio-net header for offloads)
 * fit in front of it, and padding + Pad Length + Next Header + ICV behind. */
#define FWD_HEADROOM 128
#define FWD_TAILROOM 64
#define FWD_BUF_SIZE 16384
#define FWD_INNER_MAX (FWD_BUF_SIZE - FWD_HEADROOM - FWD_TAILROOM)

enum fwd_drop {
	FWD_DROP_NONE = 0,
	FWD_DROP_TOO_BIG,     /* larger than the packet buffer */
	FWD_DROP_INNER,       /* inner packet is not a whole IPv6 packet */
	FWD_DROP_POLICY,      /* the SPD refused it (detail: spd_drop) */
	FWD_DROP_BYPASS,      /* OUT policy BYPASS: plain tunnelling is not in this path */
	FWD_DROP_NO_SA,       /* PROTECT policy with no (or a non-tunnel) SA */
	FWD_DROP_ESP,         /* the ESP engine refused it (detail: esp_drop) */
	FWD_DROP_NO_TUNNEL,   /* the SA belongs to no tunnel */
	FWD_DROP_OUTER,       /* outer addresses or encapsulation are not the SA's tunnel's */
	FWD_DROP_NOT_IPV6,    /* decrypted Next Header is not IPv6 (41) */
	FWD_DROP_UDP_SHORT,   /* UDP payload too short for ESP, not a keepalive */
	FWD_DROP_IKE,         /* Non-ESP Marker: IKE, and no IKE sink to take it */
	FWD_DROP_KEEPALIVE,   /* NAT-keepalive, ignored (R3948-2.3.a) */
	FWD_DROP_SEND,        /* the outer socket refused it */
	FWD_DROP_TUN_WRITE,   /* the TUN device refused it */
	FWD_DROP_LINK_SCOPE,  /* link-scope traffic the kernel put on the TUN (MLD, ...): never tunnelled */
	FWD_DROP_COUNT
};

struct fwd_verdict {
	enum fwd_drop drop;
	enum esp_drop esp; /* FWD_DROP_ESP */
	enum spd_drop spd; /* FWD_DROP_POLICY */
};

const char *fwd_drop_name(enum fwd_drop d);

/* Register the data-path counters (pkt.*, fwd.*, esp.*, spd.*); idempotent. */
void fwdpath_stats_register(void);
/* Count one refused packet in its reason's counters and in pkt.dropped. */
void fwdpath_count(const struct fwd_verdict *v);
/* Count n packets entering (pkt.in) or leaving (pkt.out) the data path. */
void fwdpath_count_in(size_t n);
void fwdpath_count_out(size_t n);

/* Where a sealed packet goes: the outbound SA's outer destination and
 * encapsulation (for an IKE-keyed tunnel, per SA, R3948-2.1.a). */
struct fwd_out {
	size_t off, len;      /* the ESP packet inside buf */
	struct in6_addr peer; /* outer destination */
	bool udp;             /* ESP-in-UDP: send on the tunnel's UDP socket */
	uint16_t port;        /* UDP destination port (udp), else 0 */
};

/*
 * Seal the inner packet buf[FWD_HEADROOM, FWD_HEADROOM + len) read from
 * tunnel t's TUN, in place (cap is the buffer size). 0 and *out, or
 * M6E_PERM / M6E_INVAL / M6E_* with *v saying why.
 */
int fwdpath_out(struct ipsecdb *db, const struct ipsecdb_tunnel *t, uint8_t *buf, size_t cap, size_t len,
		struct fwd_out *out, struct fwd_verdict *v);

/*
 * Where IKE messages that arrive on the data plane's UDP port 4500 go
 * (RFC 3948 2.2, RFC 7296 2.23): msg starts AFTER the 4-octet Non-ESP
 * Marker; local/remote are the datagram's destination and source. msg is
 * the packet pool's memory: valid only during the call.
 */
typedef void (*fwd_ike_sink_fn)(void *arg, const uint8_t *msg, size_t len, const struct in6_addr *local,
				uint16_t local_port, const struct in6_addr *remote, uint16_t remote_port);

/* An outer datagram as received. */
struct fwd_in {
	bool udp;                   /* from the ESP-in-UDP socket */
	struct in6_addr src, dst;   /* outer addresses */
	uint16_t sport, dport;      /* UDP: the peer's and our port */
	fwd_ike_sink_fn ike;        /* NULL: IKE messages count as drop_ike */
	void *ike_arg;
};

/*
 * Open the datagram pkt[0, len) (ESP, or a UDP payload when in->udp) in
 * place. 0 with *t the tunnel and pkt[*off, *off + *ilen) the inner packet
 * to write to its TUN, or a negative M6E_* with *v saying why. An IKE
 * message handed to in->ike returns M6E_AGAIN with v->drop FWD_DROP_NONE
 * (nothing to write, nothing dropped).
 */
int fwdpath_in(struct ipsecdb *db, const struct fwd_in *in, uint8_t *pkt, size_t len,
	       const struct ipsecdb_tunnel **t, size_t *off, size_t *ilen, struct fwd_verdict *v);

/*
 * The TUN MTU for a tunnel whose SA uses alg, over an outer link of
 * outer_mtu: the largest inner packet whose ESP packet (padded to the
 * cipher block) still fits in one outer packet:
 *   floor((outer_mtu - 40 - [8 UDP] - 8 - IV - ICV) / block) * block - 2
 * (IPv6 header, UDP header with encapsulation udp, SPI + Sequence Number,
 * IV, ICV; the 2 are Pad Length and Next Header). Never below 1280 (the IPv6
 * minimum, RFC 8200 5: the outer packet is then fragmented by the kernel)
 * nor above FWD_INNER_MAX.
 */
unsigned fwdpath_tun_mtu(unsigned outer_mtu, enum aead_alg alg, bool udp);

#endif
