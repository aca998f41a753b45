/*
 * show: `mip6sec sas` and `mip6sec policies` listings of the live ipsecdb,
 * as table rows or JSON objects (ctl_view).
 *
 * The filter argument (`mip6sec sas FILTER`) keeps the rows whose SA name,
 * tunnel name, SPD entry name or SPI (decimal or 0x hex) equals FILTER.
 */
#ifndef M6_CTL_IPSEC_SHOW_H
#define M6_CTL_IPSEC_SHOW_H

#include "ctl/ctl.h"
#include "ipsec/ipsecdb.h"

/* ctl listing callbacks; arg is a struct ipsecdb ** (the daemon's pointer to
 * the live db, which a reload swaps; NULL *arg lists nothing). Return the
 * number of rows written or a negative M6E_* code. */
int ipsec_show_sas(void *arg, struct ctl_view *view);
int ipsec_show_policies(void *arg, struct ctl_view *view);

/* "lifetime left" is counted from the db's last ipsecdb_tick() time. */

/* Register both listings on ctl. live must outlive ctl's use of it. */
void ipsec_show_register(struct ctl *ctl, struct ipsecdb **live);

#endif
