/*
 * nft: the nftables table that silences the kernel's ICMPv6 Parameter
 * Problems about Mobile IPv6 packets we handle ourselves.
 *
 * Measured on this kernel (docs/DATAPLANE.md, "Mobile IPv6 packets"): it
 * has no Mobile IPv6, so a packet to one of its addresses that carries a
 * Home Address option (an unknown option of action 11) or a type 2 Routing
 * Header (an unknown routing type with Segments Left 1) is dropped with an
 * ICMPv6 Parameter Problem, while our raw socket for Next Header 60 / 43
 * still gets a copy. Answering a peer's Binding Update with "unrecognized
 * option" would break registration (RFC 6275 §9.3.1, R6275-9.3.1.a: the
 * correspondent processes the HAO), so the error is dropped on output.
 *
 * The table (family inet, name chosen by the caller, NFT_TABLE by default)
 * holds one output chain; each rule matches an ICMPv6 type 4 by the
 * invoking packet the error quotes at a fixed offset (ICMPv6 header 8
 * octets, then the invoking IPv6 header, then its first extension header):
 *
 *   @th,112,8  invoking IPv6 Next Header           (8 + 6 octets)
 *   @th,432,8  option type 0xC9 at octet 6 of it    (8 + 40 + 6: the HAO
 *              at 8n+6 as RFC 6275 §6.3 requires, after PadN(2): the
 *              canonical layout of wire-formats.md §D.1, and the only one
 *              with the HAO as the first option)
 *   @th,400,8  Routing Type = 2                    (8 + 40 + 2)
 *
 * The table is changed through the nft(8) program (nftables' own parser,
 * one atomic transaction per call); the kernel-state journal (io/kstate,
 * entry "nft TABLE") makes sure it is removed on exit and after a crash.
 */
#ifndef M6_IO_NFT_H
#define M6_IO_NFT_H

#include <stdbool.h>
#include <stddef.h>

#include "io/kstate.h"

#define NFT_TABLE "mip6sec"

/* Octet offsets into the ICMPv6 message (nft's @th) of the quoted invoking
 * packet's fields the rules match; the script uses them times 8. */
#define NFT_PP_NH_OFF (8 + 6)            /* invoking IPv6 Next Header */
#define NFT_PP_HAO_TYPE_OFF (8 + 40 + 6) /* option type after PadN(2) */
#define NFT_PP_RT_TYPE_OFF (8 + 40 + 2)  /* Routing Type */

/*
 * The nft script that (re)creates table inet `table` with the silencing
 * rules: an existing table of that name (a stale one) is replaced in the
 * same transaction. Returns its length, M6E_INVAL (bad table name) or
 * M6E_NOSPACE.
 */
int nft_script(const char *table, char *buf, size_t len);

/* Install the table (nft_script() through `nft -f -`). 0, M6E_INVAL,
 * M6E_PERM (nft says not permitted), M6E_IO (nft missing or failed); err
 * gets nft's message. */
int nft_install(const char *table, char *err, size_t errlen);

/* Delete the table. 0, M6E_NOTFOUND (no such table), M6E_PERM, M6E_IO. */
int nft_remove(const char *table, char *err, size_t errlen);

/* The kstate entry for table (M6E_INVAL for a bad name). */
int nft_kstate_entry(const char *table, struct kstate_entry *e);

/* kstate's kernel side for KSTATE_NFT entries: install (add) or remove.
 * Logs nft's message on failure. M6E_INVAL for another kind. */
int nft_kstate_do(const struct kstate_entry *e, bool add);

/* The nft program to run ("nft" from PATH by default); tests point it at a
 * fake. prog must outlive its use; NULL restores the default. */
void nft_set_program(const char *prog);

#endif
