/*
 * sad: the Security Association Database (RFC 4301 4.4.2): SAs by
 * (direction, SPI), O(1) on average. Inbound lookup by SPI alone is what
 * R4303-2.1.a asks (our inbound SPIs are unique, we allocate them).
 *
 * A chained hash table whose bucket count doubles at load factor 1; the SPI
 * goes through a seeded 32-bit finaliser so peer-chosen (outbound) SPIs
 * cannot be picked to collide. The seed is passed in: the engine owns
 * randomness.
 */
#ifndef M6_IPSEC_SAD_H
#define M6_IPSEC_SAD_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec/sa.h"

struct sad;

int sad_new(struct sad **out, uint32_t seed);
/* Free the table and every SA still in it. NULL is fine. */
void sad_free(struct sad *sad);

/* Insert; the SAD owns sa from then on. M6E_EXISTS when (dir, spi) is taken,
 * M6E_NOMEM when growing failed (sa not inserted, still the caller's). */
int sad_add(struct sad *sad, struct sa *sa);
/* The SA for (dir, spi), or NULL. */
struct sa *sad_lookup(const struct sad *sad, enum sa_dir dir, uint32_t spi);
/* Unlink sa; ownership returns to the caller. M6E_NOTFOUND if not in sad. */
int sad_remove(struct sad *sad, struct sa *sa);
/* Unlink and free. */
int sad_del(struct sad *sad, struct sa *sa);
size_t sad_count(const struct sad *sad);
/* Call fn for every SA; fn may sad_del()/sad_remove() the SA it was given
 * (and no other). */
void sad_foreach(struct sad *sad, void (*fn)(struct sad *sad, struct sa *sa, void *arg), void *arg);

#endif
