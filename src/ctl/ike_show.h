/*
 * ike_show: `mip6sec ike` (one row or JSON object per IKE SA of src/ike/ikeio)
 * and the "ike" section of `mip6sec status`.
 *
 * The filter (`mip6sec ike FILTER`) keeps the SAs whose peer name, peer
 * identity, or either IKE SPI (hex, with or without 0x) equals FILTER.
 */
#ifndef M6_CTL_IKE_SHOW_H
#define M6_CTL_IKE_SHOW_H

#include "ctl/ctl.h"
#include "ike/ikeio.h"

/* Listing callback; arg is a struct ikeio ** (NULL *arg lists nothing).
 * Returns the number of rows written or a negative M6E_* code. */
int ike_show_sas(void *arg, struct ctl_view *view);
/* Status section callback (same arg): SA counts and the adapter's counters. */
void ike_show_status(void *arg, struct ctl_view *view);
/* Register both on ctl; live must outlive ctl's use of it. */
void ike_show_register(struct ctl *ctl, struct ikeio **live);

#endif
