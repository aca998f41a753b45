/* Monotonic and wall clocks. Only adapters (io/, daemon.c) read them; protocol
 * engines receive the time as an argument so tests can drive a fake clock. */
#ifndef M6_BASE_CLOCK_H
#define M6_BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
uint64_t clock_mono_ms(void);
/* Seconds since the Unix epoch. */
int64_t clock_wall_s(void);

#endif
