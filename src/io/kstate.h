/*
 * kstate: every change the daemon makes to the kernel outside its own
 * descriptors, journalled in the state directory so that it is undone on
 * exit and, after a crash, on the next start.
 *
 * Write-ahead: an entry is appended to STATE_DIR/kstate.journal (and
 * fsync'd) before it is applied, so a crash between the two leaves a record
 * of something that may not exist; undoing it then finds nothing, which is
 * counted as "gone", not as a failure. A clean exit undoes every entry in
 * reverse order and removes the journal.
 *
 * Journal: text, one entry per line, fields separated by one space:
 *
 *   route IFNAME PREFIX/LEN METRIC      route PREFIX -> dev IFNAME (main table)
 *   addr IFNAME ADDRESS/LEN             address on IFNAME
 *   nft TABLE                           nftables table "inet TABLE" (io/nft)
 *   route6 IFNAME PREFIX/LEN METRIC TABLE SRC GW
 *                                       route in TABLE (decimal) with preferred
 *                                       source SRC and gateway GW ("-": none)
 *   rule PRIO TABLE MARK/MASK|any not|is SUPPRESS|-
 *                                       IPv6 policy rule: pref PRIO [not] fwmark
 *                                       MARK/MASK (hex, 0x...) lookup TABLE
 *                                       [suppress_prefixlength SUPPRESS]
 *   proxy IFNAME ADDRESS                proxy neighbour entry (NTF_PROXY)
 *   sysctl PATH NEW OLD                 PATH (under /proc/sys/net/ipv6/) was
 *                                       OLD before we wrote NEW; undo writes OLD
 *
 * Examples:
 *   route6 m6mn0 ::/0 0 186 2001:db8:1::10 -
 *   rule 32764 254 any is 0
 *   rule 32765 186 0x6d36/0xffffffff not -
 *   proxy eth0 2001:db8:1::10
 *   sysctl /proc/sys/net/ipv6/conf/eth0/proxy_ndp 1 0
 *
 * Lines starting with '#' are comments. The file is read back after a crash
 * (perhaps torn mid-line, perhaps edited): it is parsed with the rbuf cursor
 * like any untrusted input, and a bad line is counted and skipped, never
 * fatal. Interface names are recorded rather than indexes: after a restart
 * the index of a re-created device differs, and a vanished device took its
 * routes and addresses with it.
 *
 * The kernel calls themselves are the caller's (ops), so this module is
 * tested without privileges; the daemon passes rtnetlink (io/netlink).
 */
#ifndef M6_IO_KSTATE_H
#define M6_IO_KSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

#define KSTATE_JOURNAL "kstate.journal"
#define KSTATE_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */
#define KSTATE_LINE_MAX 256
#define KSTATE_FILE_MAX (1u << 20) /* a journal larger than this is not ours */
#define KSTATE_SYSCTL_PREFIX "/proc/sys/net/ipv6/"
#define KSTATE_SYSCTL_PATH_MAX 96  /* with the NUL */
#define KSTATE_SYSCTL_VALUE_MAX 24 /* with the NUL: one word of [A-Za-z0-9_.:-] */

enum kstate_kind {
	KSTATE_ROUTE = 1,  /* route in main: ifname, prefix, metric */
	KSTATE_ADDR = 2,   /* address: ifname, prefix */
	KSTATE_NFT = 3,    /* nft table: ifname holds the table name */
	KSTATE_ROUTE6 = 4, /* route in any table: ifname, prefix, metric, route */
	KSTATE_RULE = 5,   /* policy rule: rule (ifname empty) */
	KSTATE_PROXY = 6,  /* proxy neighbour: ifname, prefix (the address, len 128) */
	KSTATE_SYSCTL = 7, /* sysctl write: sysctl (ifname empty) */
};

/* KSTATE_ROUTE6 beyond ifname/prefix/metric. */
struct kstate_route {
	uint32_t table;  /* 1..2^32-1 except 253, 255 */
	bool has_src;    /* RTA_PREFSRC */
	struct in6_addr src;
	bool has_gw;     /* RTA_GATEWAY */
	struct in6_addr gw;
};

/* KSTATE_RULE: the fields of struct io_nl_rule (io/netlink.h). */
struct kstate_rule {
	uint32_t priority; /* 1..32765 */
	uint32_t table;
	uint32_t fwmark, fwmask; /* fwmask 0: no mark selector ("any"), then fwmark is 0 */
	bool invert;
	int suppress_prefixlen; /* 0..128, -1: none */
};

/* KSTATE_SYSCTL. */
struct kstate_sysctl {
	char path[KSTATE_SYSCTL_PATH_MAX];      /* kstate_sysctl_path_ok() */
	char value[KSTATE_SYSCTL_VALUE_MAX];    /* what we write */
	char old[KSTATE_SYSCTL_VALUE_MAX];      /* what was there (undo writes it) */
};

struct kstate_entry {
	enum kstate_kind kind;
	/* The device (ROUTE, ROUTE6, ADDR, PROXY); empty for RULE and SYSCTL.
	 * KSTATE_NFT: the table name (a letter, then letters, digits, '_' or
	 * '-'); it goes into an nft script, so nothing else is accepted. */
	char ifname[KSTATE_IFNAME_MAX];
	struct prefix6 prefix;
	unsigned metric; /* routes */
	struct kstate_route route;   /* KSTATE_ROUTE6 */
	struct kstate_rule rule;     /* KSTATE_RULE */
	struct kstate_sysctl sysctl; /* KSTATE_SYSCTL */
};

/*
 * A sysctl path we journal and write: KSTATE_SYSCTL_PREFIX, then
 * components of [A-Za-z0-9_.-] separated by single '/', none "." or "..",
 * no trailing '/', shorter than KSTATE_SYSCTL_PATH_MAX.
 */
bool kstate_sysctl_path_ok(const char *path);
/* A value we journal: one non-empty word of [A-Za-z0-9_.:-] shorter than
 * KSTATE_SYSCTL_VALUE_MAX (a trailing newline is the caller's to strip). */
bool kstate_sysctl_value_ok(const char *value);

/* Why a journal line was refused. */
enum kstate_bad {
	KSTATE_BAD_NONE = 0,
	KSTATE_BAD_TORN,   /* last line without its newline: a write cut by a crash */
	KSTATE_BAD_LONG,   /* longer than KSTATE_LINE_MAX */
	KSTATE_BAD_KIND,   /* unknown first word */
	KSTATE_BAD_IFNAME, /* empty, too long, or with '/' or a control character */
	KSTATE_BAD_PREFIX, /* not ADDRESS/LEN */
	KSTATE_BAD_METRIC, /* not a decimal number below 2^32; route6: or a reserved table */
	KSTATE_BAD_FIELDS, /* missing or extra fields, or double spaces */
	KSTATE_BAD_TABLE,  /* nft table name empty, too long or with other characters */
	KSTATE_BAD_ADDR,   /* route6 source/gateway or proxy address not an IPv6 address or "-" */
	KSTATE_BAD_RULE,   /* rule: bad priority, table, mark/mask, "not|is" or suppress */
	KSTATE_BAD_SYSCTL, /* sysctl: path outside KSTATE_SYSCTL_PREFIX or bad value */
	KSTATE_BAD_COUNT
};

const char *kstate_kind_name(enum kstate_kind k);
const char *kstate_bad_name(enum kstate_bad b);

/*
 * Parse one line (without its newline). 0 and *e; M6E_INVAL, M6E_RANGE or
 * M6E_TRUNC with *why set. Comment and empty lines are M6E_NOTFOUND (skip).
 */
int kstate_parse_line(const char *line, size_t len, struct kstate_entry *e, enum kstate_bad *why);
/* Format e as one journal line with its newline. Returns the length, or
 * M6E_NOSPACE / M6E_INVAL. */
int kstate_format_line(const struct kstate_entry *e, char *buf, size_t len);
/* Same kernel object: every field of the kind, except a sysctl's old value
 * (revert finds a sysctl entry by path and new value). */
bool kstate_entry_eq(const struct kstate_entry *a, const struct kstate_entry *b);

/* The kernel side: both return 0, M6E_EXISTS (apply: already there),
 * M6E_NOTFOUND (undo: already gone) or another M6E_* code. */
struct kstate_ops {
	int (*apply)(void *arg, const struct kstate_entry *e);
	int (*undo)(void *arg, const struct kstate_entry *e);
	void *arg;
};

/* What was found at start from a previous run. */
struct kstate_recovery {
	unsigned undone;    /* stale entries removed */
	unsigned gone;      /* stale entries that no longer existed */
	unsigned failed;    /* stale entries whose undo failed (logged) */
	unsigned bad_lines; /* journal lines refused */
};

struct kstate;

/*
 * Open the journal in dir (created 0700 if missing). A journal left by a
 * previous run is parsed, its entries undone in reverse order (rec says
 * what happened) and the file removed. 0, or M6E_IO / M6E_NOMEM / M6E_PERM
 * with a reason in err.
 */
int kstate_open(const char *dir, const struct kstate_ops *ops, struct kstate **out, struct kstate_recovery *rec,
		char *err, size_t errlen);
/* Journal e, then apply it. On failure the entry is not kept (the journal is
 * rewritten without it) and the apply error is returned. A KSTATE_SYSCTL
 * entry must carry the current value in sysctl.old before it is journalled
 * (kernel_sysctl_entry() in io/kernel.h reads it). */
int kstate_apply(struct kstate *ks, const struct kstate_entry *e);
/* Undo one applied entry and forget it. M6E_NOTFOUND when it is not ours. */
int kstate_revert(struct kstate *ks, const struct kstate_entry *e);
/* Forget, without undoing, every route (route, route6), address, proxy
 * entry and per-device sysctl (.../conf/IFNAME/..., .../neigh/IFNAME/...)
 * on ifname: the device went away and took them with it. nft tables, rules
 * and other sysctls (all, default) are not on a device and stay. */
void kstate_forget_ifname(struct kstate *ks, const char *ifname);
size_t kstate_count(const struct kstate *ks);
/* The i-th live entry (i < kstate_count()). */
const struct kstate_entry *kstate_at(const struct kstate *ks, size_t i);
/* Undo every entry in reverse order, remove the journal, free. NULL is fine. */
void kstate_close(struct kstate *ks);

#endif
