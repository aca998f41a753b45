/*
 * ike_mem: heap per established IKE SA on the responder, with the SAD
 * entries of two CHILD_SAs (four ESP SAs: sa_new + sad_add, what the daemon
 * installs), against issue 5's ceiling of 4 KiB (docs/BENCHMARKS.md).
 *
 * Two src/ike/ikesa engines in this process, back to back through a
 * mailbox: a fresh initiator per SA and the responder behind ikesa_accept().
 * The engine negotiates one CHILD_SA in IKE_AUTH and has no CREATE_CHILD_SA
 * yet, so the second child's pair is installed with the first one's keys
 * and other SPIs (xor a mask): the same allocations a negotiated child
 * makes. Each initiator is freed once its SA is up, so the heap that stays
 * is the responder's: the struct ikesa, its crypto context (SK keys, the two
 * SK cipher contexts), the adapter's table entry, the four SAs with their
 * AEAD contexts and the SAD's buckets.
 *
 * Heap in use is glibc's mallinfo2() uordblks + hblkhd (chunks handed out,
 * their headers included, and mmapped blocks), taken after a warm-up (so
 * OpenSSL's one-time caches are not counted) and after N SAs. glibc counts
 * chunks parked in its per-thread cache as in use, so the tool re-executes
 * itself with the cache off (GLIBC_TUNABLES glibc.malloc.tcache_count=0):
 * every delta is then exact. The per-part lines split the total: the
 * engine's struct ikesa from 64 initiators made and not started, one AEAD
 * context from 64, the children from deltas around the installs.
 *
 * Output: `ike_mem n=N per_sa=B ceiling=4096 ...` and `ike_mem part=...`
 * lines; `ike_mem layout field=...` lists struct ikesa's fields as sized by
 * the public types and constants of ikesa.h / wire/ike.h (the struct itself
 * is private to ikesa.c). Exit 0 when all N SAs and children came up.
 */
#include <getopt.h>
#include <unistd.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/aead.h"
#include "crypto/ike_crypto.h"
#include "crypto/xform.h"
#include "ike_bench.h"

#define MEM_CEILING 4096u
#define MEM_SPI_TRIES 8u
#define MEM_WARMUP 16u
#define MEM_UNITS 64u /* allocations per unit measurement */
#define MEM_TUNABLE "glibc.malloc.tcache_count=0"

struct mem;

/* The ops arg of either side: which engine, and for the responder the
 * adapter's entry for this SA. */
struct mem_end {
	struct mem *m;
	bool responder;
	struct ikesa *sa;
	uint32_t child_in, child_out;
	uint32_t child_xor[2];           /* SPI masks the two pairs went in with */
	bool child;
};

struct mem_msg {
	bool to_responder;
	size_t len;
	uint8_t buf[IKESA_MSG_MAX];
};

struct mem {
	struct ikesa_params ip, rp;      /* initiator's, responder's */
	uint8_t psk[32];
	struct ikesa_gate *gate;
	struct mem_end gate_end;
	struct sad *sad;
	struct mem_msg box[4];           /* the exchange in flight: one or two */
	size_t n_box;
	uint64_t now_ms;
	uint64_t child_heap;             /* bytes the installs added */
	bool count_children;
	unsigned child_errors;
	unsigned spi_collisions;         /* random SPIs already in the SAD */
};

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static int mem_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct mem_end *e = arg;
	struct mem *m = e->m;
	(void)path;
	if (m->n_box == sizeof(m->box) / sizeof(m->box[0]) || len > IKESA_MSG_MAX)
		return M6E_NOSPACE;
	struct mem_msg *b = &m->box[m->n_box++];
	b->to_responder = !e->responder;
	b->len = len;
	memcpy(b->buf, msg, len);
	return 0;
}

static const uint8_t *mem_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct mem_end *e = arg;
	(void)id;
	*len = sizeof(e->m->psk);
	return e->m->psk;
}

static void mem_child_up(void *arg, const struct ikesa_child *c)
{
	struct mem_end *e = arg;
	struct mem *m = e->m;
	if (!e->responder)
		return;
	size_t before = heap_in_use();
	/* Two CHILD_SAs' pairs: the negotiated one and a second like it. The
	 * engine draws SPIs without asking the SAD, so with 10^4 SAs a random
	 * SPI is sometimes taken: such a pair goes in under another mask. */
	unsigned tried = 0;
	for (unsigned k = 0; k < 2; k++) {
		int rc = M6E_EXISTS;
		while (rc == M6E_EXISTS && tried < MEM_SPI_TRIES) {
			e->child_xor[k] = tried == 0 ? 0 : (uint32_t)tried << 28;
			rc = ikeb_child_install(m->sad, c, e->child_xor[k], m->now_ms);
			m->spi_collisions += rc == M6E_EXISTS;
			tried++;
		}
		if (rc != 0) {
			m->child_errors++;
			if (k == 1)
				ikeb_child_remove(m->sad, c->spi_in ^ e->child_xor[0], c->spi_out ^ e->child_xor[0]);
			return;
		}
	}
	if (m->count_children)
		m->child_heap += heap_in_use() - before;
	e->child = true;
	e->child_in = c->spi_in;
	e->child_out = c->spi_out;
}

static const struct ikesa_ops mem_ops = {
	.send = mem_send,
	.random = ikeb_random,
	.psk_for = mem_psk_for,
	.child_up = mem_child_up,
};

/* One IKE SA from IKE_SA_INIT to the established CHILD_SA on both sides. */
static int establish(struct mem *m, struct mem_end *resp)
{
	static const struct ikesa_path ipath = {
		.local = { .s6_addr = { 0xfd, 0x6f, [15] = 1 } }, .remote = { .s6_addr = { 0xfd, 0x6f, [15] = 2 } },
		.local_port = 500, .remote_port = 500,
	};
	const struct ikesa_path rpath = { .local = ipath.remote, .remote = ipath.local, .local_port = 500,
					  .remote_port = 500 };
	struct mem_end init = { .m = m };
	resp->m = m;
	resp->responder = true;
	m->n_box = 0;
	if (ikesa_new_initiator(&init.sa, &m->ip, &mem_ops, &init, &ipath) != 0 || ikesa_start(init.sa, m->now_ms) != 0)
		return M6E_NOMEM;
	while (m->n_box > 0) {
		struct mem_msg b = m->box[0];
		memmove(&m->box[0], &m->box[1], (m->n_box - 1) * sizeof(m->box[0]));
		m->n_box--;
		if (!b.to_responder)
			ikesa_input(init.sa, b.buf, b.len, &ipath, m->now_ms);
		else if (resp->sa == NULL)
			ikesa_accept(m->gate, &m->rp, &mem_ops, resp, 0, b.buf, b.len, &rpath, m->now_ms, &resp->sa);
		else
			ikesa_input(resp->sa, b.buf, b.len, &rpath, m->now_ms);
	}
	bool ok = ikesa_state(init.sa) == IKESA_ESTABLISHED && resp->sa != NULL &&
		  ikesa_state(resp->sa) == IKESA_ESTABLISHED && resp->child;
	ikesa_free(init.sa);
	return ok ? 0 : M6E_PROTO;
}

static void teardown(struct mem *m, struct mem_end *ends, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ends[i].child) {
			for (unsigned k = 0; k < 2; k++)
				ikeb_child_remove(m->sad, ends[i].child_in ^ ends[i].child_xor[k],
						  ends[i].child_out ^ ends[i].child_xor[k]);
		}
		ikesa_free(ends[i].sa);
	}
}

static void params_init(struct mem *m)
{
	struct ikesa_params *ps[2] = { &m->ip, &m->rp };
	for (unsigned k = 0; k < 2; k++) {
		struct ikesa_params *p = ps[k];
		if (ikeb_parse_suite("aes256gcm16-prfsha256-x25519", true, &p->ike[0]) != 0 ||
		    ikeb_parse_suite("aes256gcm16", false, &p->esp[0]) != 0)
			abort();
		p->n_ike = p->n_esp = 1;
		p->cookie_threshold = UINT32_MAX;
		p->tsi.n = p->tsr.n = 1;
		if (ikeb_parse_ts("fd6f:10::/64", &p->tsi.ts[0]) != 0 || ikeb_parse_ts("fd6f:20::/64", &p->tsr.ts[0]) != 0)
			abort();
		if (ikeb_parse_id(k == 0 ? "mn.bench.test" : "ha.bench.test", &p->local_id) != 0 ||
		    ikeb_parse_id(k == 0 ? "ha.bench.test" : "mn.bench.test", &p->remote_id) != 0)
			abort();
	}
	ikeb_random(NULL, m->psk, sizeof(m->psk));
}

/* struct ikesa and what an established, idle SA keeps besides (the
 * engine's own count, ikesa_heap_bytes(): no chunk headers), and the
 * public types inside the struct. */
static void print_layout(size_t struct_bytes, double idle_bytes)
{
	struct field {
		const char *name;
		double bytes;
		const char *note;
	} f[] = {
		{ "struct ikesa", (double)struct_bytes,
		  "ikesa_heap_bytes() of an initiator not started, minus its 4 buffers and nonces" },
		{ "  of which params", (double)sizeof(struct ikesa_params), "copy of the configuration" },
		{ "  of which params.tsi+tsr", 2.0 * (double)sizeof(struct ike_ts_list), "IKE_MAX_TS selectors each" },
		{ "  of which cookie", IKE_COOKIE_MAX, "" },
		{ "  of which peer_id", (double)sizeof(struct ikesa_id), "" },
		{ "  of which stats", (double)sizeof(struct ikesa_stats), "" },
		{ "held idle besides", idle_bytes - (double)struct_bytes,
		  "cached response at its size, CHILD_SA selectors (IKE_SA_INIT copies and the 4 buffers are gone)" },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		printf("ike_mem layout field=\"%s\" bytes=%.0f note=\"%s\"\n", f[i].name, f[i].bytes, f[i].note);
}

int main(int argc, char **argv)
{
	static struct mem m;
	size_t n = 1000;
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "layout", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	bool layout = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (c == 'l')
			layout = true;
		else {
			fputs("usage: ike_mem [--count N (1000)] [--layout]\n", stderr);
			return 2;
		}
	}
	if (n == 0)
		return 2;
	const char *tun = getenv("GLIBC_TUNABLES");
	if (tun == NULL || strstr(tun, MEM_TUNABLE) == NULL) {
		/* Once: the same program with glibc's per-thread cache off. */
		if (setenv("GLIBC_TUNABLES", MEM_TUNABLE, 1) == 0)
			execv("/proc/self/exe", argv);
		fputs("ike_mem: cannot re-execute with the tcache off; deltas may be low\n", stderr);
	}
	log_open(LOG_TO_STDERR, LOG_LVL_WARN, 0, "ike_mem");
	params_init(&m);
	m.now_ms = 1000;
	m.gate_end.m = &m;
	m.gate_end.responder = true;
	uint32_t seed;
	ikeb_random(NULL, &seed, sizeof(seed));
	if (ikesa_gate_new(&m.gate, &mem_ops, &m.gate_end) != 0 || sad_new(&m.sad, seed) != 0)
		return 2;

	/* Warm-up: OpenSSL's provider and method caches, the allocator's arenas. */
	struct mem_end warm[MEM_WARMUP];
	memset(warm, 0, sizeof(warm));
	for (unsigned i = 0; i < MEM_WARMUP; i++)
		if (establish(&m, &warm[i]) != 0) {
			fprintf(stderr, "ike_mem: warm-up SA %u did not come up\n", i);
			return 1;
		}
	teardown(&m, warm, MEM_WARMUP);

	/* The engine's struct ikesa alone: initiators before they start. */
	struct ikesa *probe[MEM_UNITS];
	struct mem_end probe_end = { .m = &m };
	static const struct ikesa_path nowhere = { .local_port = 500, .remote_port = 500 };
	size_t h0 = heap_in_use();
	for (unsigned i = 0; i < MEM_UNITS; i++)
		if (ikesa_new_initiator(&probe[i], &m.ip, &mem_ops, &probe_end, &nowhere) != 0)
			return 2;
	size_t ikesa_bytes = (heap_in_use() - h0) / MEM_UNITS;
	size_t struct_bytes = ikesa_heap_bytes(probe[0]) - 4 * IKESA_MSG_MAX - 2 * IKE_NONCE_MAX;
	for (unsigned i = 0; i < MEM_UNITS; i++)
		ikesa_free(probe[i]);

	/* One AES-256-GCM context: an IKE SA keeps two (SK payloads), an ESP SA one. */
	uint8_t key[64] = { 0 };
	struct aead *gcm[MEM_UNITS];
	h0 = heap_in_use();
	for (unsigned i = 0; i < MEM_UNITS; i++)
		if (aead_new(&gcm[i], AEAD_AES256_GCM16, AEAD_SEAL, key, aead_keymat_len(AEAD_AES256_GCM16)) != 0)
			return 2;
	size_t aead_bytes = (heap_in_use() - h0) / MEM_UNITS;
	for (unsigned i = 0; i < MEM_UNITS; i++)
		aead_free(gcm[i]);

	size_t before = heap_in_use();
	m.count_children = true;
	struct mem_end *ends = calloc(n, sizeof(*ends)); /* the adapter's table, counted */
	if (ends == NULL)
		return 2;
	size_t up = 0;
	for (size_t i = 0; i < n; i++) {
		m.now_ms += 1;
		if (establish(&m, &ends[i]) == 0)
			up++;
	}
	size_t after = heap_in_use();
	double idle = 0; /* what the engine says each established responder holds */
	for (size_t i = 0; i < n; i++)
		if (ends[i].sa != NULL)
			idle += (double)ikesa_heap_bytes(ends[i].sa);
	idle = up > 0 ? idle / (double)up : 0;
	if (after <= before)
		fputs("ike_mem: mallinfo2() saw no growth (a sanitizer's allocator?): heap numbers unavailable\n", stderr);
	double per_sa = (double)(after - before) / (double)n;
	double child = (double)m.child_heap / (double)n;
	printf("ike_mem n=%zu up=%zu per_sa=%.0f ceiling=%u ratio=%.2f sad=%zu spi_collisions=%u\n", n, up, per_sa,
	       MEM_CEILING, per_sa / MEM_CEILING, sad_count(m.sad), m.spi_collisions);
	printf("ike_mem part=ikesa bytes=%.0f note=\"established, idle: struct ikesa and what it keeps "
	       "(ikesa_heap_bytes)\"\n",
	       idle);
	printf("ike_mem part=ike_crypto bytes=%.0f note=\"rest of the IKE SA: ikesa_cx, SK keys and cipher "
	       "contexts, chunk headers\"\n",
	       per_sa - child - (double)sizeof(struct mem_end) - idle);
	printf("ike_mem unit=new_initiator bytes=%zu note=\"a fresh SA with its 4 message buffers (chunk headers "
	       "included)\"\n",
	       ikesa_bytes);
	printf("ike_mem part=children bytes=%.0f note=\"4 ESP SAs (struct sa + AEAD context) and SAD buckets\"\n",
	       child);
	printf("ike_mem part=table_entry bytes=%zu note=\"the adapter's entry per SA\"\n", sizeof(struct mem_end));
	printf("ike_mem unit=aead_context bytes=%zu note=\"one AES-256-GCM context: 2 per IKE SA (SK), 1 per ESP SA\"\n",
	       aead_bytes);
	printf("ike_mem unit=struct_sa bytes=%zu note=\"sizeof(struct sa), ipsec/sa.h\"\n", sizeof(struct sa));
	printf("ike_mem unit=struct_ike_keys bytes=%zu note=\"SK_d/pi/pr/ai/ar/ei/er at their maxima, in ikesa_cx\"\n",
	       sizeof(struct ike_keys));
	if (layout)
		print_layout(struct_bytes, idle);
	teardown(&m, ends, n);
	free(ends);
	sad_free(m.sad);
	ikesa_gate_free(m.gate);
	log_close();
	if (m.child_errors != 0)
		fprintf(stderr, "ike_mem: %u CHILD_SA installs failed\n", m.child_errors);
	return up == n && m.child_errors == 0 ? 0 : 1;
}
