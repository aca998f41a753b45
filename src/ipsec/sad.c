#include "ipsec/sad.h"

#include <stdlib.h>

#include "base/err.h"

#define SAD_MIN_BUCKETS 64

struct sad {
	struct sa **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	uint32_t seed;
};

/* MurmurHash3's fmix32: full avalanche, so neighbouring SPIs spread out. */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static size_t bucket_of(const struct sad *sad, size_t nbuckets, enum sa_dir dir, uint32_t spi)
{
	uint32_t h = mix32(spi ^ sad->seed) ^ (dir == SA_DIR_OUT ? 0x9e3779b9u : 0);
	return mix32(h) & (nbuckets - 1);
}

int sad_new(struct sad **out, uint32_t seed)
{
	*out = NULL;
	struct sad *sad = calloc(1, sizeof(*sad));
	if (!sad)
		return M6E_NOMEM;
	sad->nbuckets = SAD_MIN_BUCKETS;
	sad->seed = seed;
	sad->buckets = calloc(sad->nbuckets, sizeof(*sad->buckets));
	if (!sad->buckets) {
		free(sad);
		return M6E_NOMEM;
	}
	*out = sad;
	return 0;
}

void sad_free(struct sad *sad)
{
	if (!sad)
		return;
	for (size_t i = 0; i < sad->nbuckets; i++) {
		struct sa *sa = sad->buckets[i];
		while (sa) {
			struct sa *next = sa->hnext;
			sa_free(sa);
			sa = next;
		}
	}
	free(sad->buckets);
	free(sad);
}

static int grow(struct sad *sad)
{
	size_t n = sad->nbuckets * 2;
	struct sa **b = calloc(n, sizeof(*b));
	if (!b)
		return M6E_NOMEM;
	for (size_t i = 0; i < sad->nbuckets; i++) {
		struct sa *sa = sad->buckets[i];
		while (sa) {
			struct sa *next = sa->hnext;
			size_t k = bucket_of(sad, n, sa->dir, sa->spi);
			sa->hnext = b[k];
			b[k] = sa;
			sa = next;
		}
	}
	free(sad->buckets);
	sad->buckets = b;
	sad->nbuckets = n;
	return 0;
}

struct sa *sad_lookup(const struct sad *sad, enum sa_dir dir, uint32_t spi)
{
	for (struct sa *sa = sad->buckets[bucket_of(sad, sad->nbuckets, dir, spi)]; sa; sa = sa->hnext)
		if (sa->spi == spi && sa->dir == dir)
			return sa;
	return NULL;
}

int sad_add(struct sad *sad, struct sa *sa)
{
	if (sad_lookup(sad, sa->dir, sa->spi))
		return M6E_EXISTS;
	if (sad->count >= sad->nbuckets) {
		int rc = grow(sad);
		if (rc)
			return rc;
	}
	size_t k = bucket_of(sad, sad->nbuckets, sa->dir, sa->spi);
	sa->hnext = sad->buckets[k];
	sad->buckets[k] = sa;
	sad->count++;
	return 0;
}

int sad_remove(struct sad *sad, struct sa *sa)
{
	struct sa **pp = &sad->buckets[bucket_of(sad, sad->nbuckets, sa->dir, sa->spi)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == sa) {
			*pp = sa->hnext;
			sa->hnext = NULL;
			sad->count--;
			return 0;
		}
	}
	return M6E_NOTFOUND;
}

int sad_del(struct sad *sad, struct sa *sa)
{
	int rc = sad_remove(sad, sa);
	if (rc == 0)
		sa_free(sa);
	return rc;
}

size_t sad_count(const struct sad *sad)
{
	return sad->count;
}

void sad_foreach(struct sad *sad, void (*fn)(struct sad *sad, struct sa *sa, void *arg), void *arg)
{
	for (size_t i = 0; i < sad->nbuckets; i++) {
		struct sa *sa = sad->buckets[i];
		while (sa) {
			struct sa *next = sa->hnext; /* fn may free sa */
			fn(sad, sa, arg);
			sa = next;
		}
	}
}
