/*
 * Unit tests for src/io/kstate.c, the kernel-state journal: the line codec
 * (round trip, and a table of malformed lines with their exact reasons),
 * write-ahead journalling, revert/forget, undo in reverse order on close,
 * recovery of a journal left by a crash (torn last line, entries already
 * gone, undo failures), and a failed undo staying journalled. The kernel
 * side is a fake that records calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "io/kernel.h"
#include "io/kstate.h"
#include "testutil.h"

/* ---- the line codec ---------------------------------------------------- */

struct line_case {
	const char *line;
	int rc;
	enum kstate_bad why;
};

static const struct line_case good_lines[] = {
	{ "route m6t fd00:b::/64 1024", 0, KSTATE_BAD_NONE },
	{ "route tun0 ::/0 0", 0, KSTATE_BAD_NONE },
	{ "route a.b-c_d 2001:db8::/32 4294967295", 0, KSTATE_BAD_NONE },
	{ "addr m6t fd00:a::1/64", 0, KSTATE_BAD_NONE },
	{ "addr ha0 2001:db8:1::1/128", 0, KSTATE_BAD_NONE },
	{ "nft mip6sec", 0, KSTATE_BAD_NONE },
	{ "nft M6_t-1", 0, KSTATE_BAD_NONE },
	/* The MN's TUN default route in its private table, with the home address as source. */
	{ "route6 m6mn0 ::/0 0 186 2001:db8:1::10 -", 0, KSTATE_BAD_NONE },
	{ "route6 m6ha0 2001:db8:1::10/128 1024 254 - -", 0, KSTATE_BAD_NONE },
	{ "route6 eth0 ::/0 1 4294967295 - fe80::1", 0, KSTATE_BAD_NONE },
	{ "route6 eth0 fd00::/8 7 1000 fd00::1 fe80::1", 0, KSTATE_BAD_NONE },
	/* The wg-quick pair of rules. */
	{ "rule 32764 254 any is 0", 0, KSTATE_BAD_NONE },
	{ "rule 32765 186 0x6d36/0xffffffff not -", 0, KSTATE_BAD_NONE },
	{ "rule 1 4294967295 0x0/0x1 is 128", 0, KSTATE_BAD_NONE },
	{ "proxy eth0 2001:db8:1::10", 0, KSTATE_BAD_NONE },
	{ "proxy a.b-c_d fe80::1", 0, KSTATE_BAD_NONE },
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0", 0, KSTATE_BAD_NONE },
	{ "sysctl /proc/sys/net/ipv6/conf/eth0.100/proxy_ndp 1 0", 0, KSTATE_BAD_NONE },
	{ "sysctl /proc/sys/net/ipv6/neigh/eth0/proxy_delay 0 26", 0, KSTATE_BAD_NONE },
	{ "sysctl /proc/sys/net/ipv6/conf/m6-mn_0/accept_ra 2 -1", 0, KSTATE_BAD_NONE },
};

static const struct line_case bad_lines[] = {
	{ "", M6E_NOTFOUND, KSTATE_BAD_NONE },
	{ "# comment", M6E_NOTFOUND, KSTATE_BAD_NONE },
	{ "rules 1 254 any is -", M6E_INVAL, KSTATE_BAD_KIND },
	{ "Rule 1 254 any is -", M6E_INVAL, KSTATE_BAD_KIND },
	{ "Route m6t fd00:b::/64 1024", M6E_INVAL, KSTATE_BAD_KIND },
	{ "route", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route m6t", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route m6t fd00:b::/64", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route m6t fd00:b::/64 1024 extra", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route m6t fd00:b::/64 1024 ", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route  m6t fd00:b::/64 1024", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ " route m6t fd00:b::/64 1024", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "addr m6t fd00:a::1/64 7", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route averyveryverylongname fd00:b::/64 1", M6E_INVAL, KSTATE_BAD_IFNAME },
	{ "route a/b fd00:b::/64 1", M6E_INVAL, KSTATE_BAD_IFNAME },
	{ "route m6t\x01 fd00:b::/64 1", M6E_INVAL, KSTATE_BAD_IFNAME },
	{ "route m6t fd00:b:: 1024", M6E_INVAL, KSTATE_BAD_PREFIX },
	{ "route m6t fd00:b::/129 1024", M6E_INVAL, KSTATE_BAD_PREFIX },
	{ "route m6t fd00:b::1/64 1024", M6E_INVAL, KSTATE_BAD_PREFIX }, /* host bits on a route */
	{ "route m6t 10.0.0.0/8 1024", M6E_INVAL, KSTATE_BAD_PREFIX },
	{ "route m6t fd00:b::/64 -1", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route m6t fd00:b::/64 4294967296", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route m6t fd00:b::/64 0x10", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "addr m6t fd00:a::1/200", M6E_INVAL, KSTATE_BAD_PREFIX },
	/* nft tables: the name reaches an nft script, so only [A-Za-z][A-Za-z0-9_-]*. */
	{ "nft", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "nft mip6sec extra", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "nft mip6sec ", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "nft  mip6sec", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "nft 1mip6sec", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "nft _t", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "nft a;b", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "nft a}b", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "nft a.b", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "nft averyveryverylongname", M6E_INVAL, KSTATE_BAD_TABLE },
	{ "Nft mip6sec", M6E_INVAL, KSTATE_BAD_KIND },
	/* route6: fields in order, "-" for none, tables 0/253/255 are the kernel's. */
	{ "route6 m6mn0 ::/0 0 186 -", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route6 m6mn0 ::/0 0 186", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route6 m6mn0 ::/0 0 186 - - -", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route6 m6mn0 ::/0 0 186 - - ", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "route6 m6mn0 ::/0 0 0 - -", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route6 m6mn0 ::/0 0 253 - -", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route6 m6mn0 ::/0 0 255 - -", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route6 m6mn0 ::/0 0 4294967296 - -", M6E_INVAL, KSTATE_BAD_METRIC },
	{ "route6 m6mn0 ::/0 0 186 10.0.0.1 -", M6E_INVAL, KSTATE_BAD_ADDR },
	{ "route6 m6mn0 ::/0 0 186 - fe80::1/64", M6E_INVAL, KSTATE_BAD_ADDR },
	{ "route6 m6mn0 ::/0 0 186 -- -", M6E_INVAL, KSTATE_BAD_ADDR },
	{ "route6 m6mn0 ::1/0 0 186 - -", M6E_INVAL, KSTATE_BAD_PREFIX },
	{ "route6 m6/mn0 ::/0 0 186 - -", M6E_INVAL, KSTATE_BAD_IFNAME },
	/* rule PRIO TABLE MARK/MASK|any not|is SUPPRESS|- */
	{ "rule", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "rule 32765 186 0x6d36/0xffffffff not", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "rule 32765 186 0x6d36/0xffffffff not - x", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "rule 0 186 any is -", M6E_INVAL, KSTATE_BAD_RULE },     /* the local rule's */
	{ "rule 32766 186 any is -", M6E_INVAL, KSTATE_BAD_RULE }, /* main's */
	{ "rule 100 255 any is -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 0 any is -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 x any is -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 0x6d36 not -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 0x6d36/0 not -", M6E_INVAL, KSTATE_BAD_RULE },    /* mask 0 is "any" */
	{ "rule 100 186 0x0/0x0 not -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 0x6d36/0xff not -", M6E_INVAL, KSTATE_BAD_RULE }, /* mark outside mask */
	{ "rule 100 186 6d36/0xffff not -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 0x6D36/0xffff not -", M6E_INVAL, KSTATE_BAD_RULE }, /* not canonical */
	{ "rule 100 186 0x/0xffff not -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 0x1/0x100000000 not -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 any NOT -", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 any is 129", M6E_INVAL, KSTATE_BAD_RULE },
	{ "rule 100 186 any is -1", M6E_INVAL, KSTATE_BAD_RULE },
	/* proxy IFNAME ADDRESS */
	{ "proxy eth0", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "proxy eth0 2001:db8::1 x", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "proxy eth0 2001:db8::1/128", M6E_INVAL, KSTATE_BAD_ADDR },
	{ "proxy eth0 -", M6E_INVAL, KSTATE_BAD_ADDR },
	{ "proxy e/th0 2001:db8::1", M6E_INVAL, KSTATE_BAD_IFNAME },
	/* sysctl PATH NEW OLD: only below /proc/sys/net/ipv6/, no "..", one word each. */
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0 0", M6E_INVAL, KSTATE_BAD_FIELDS },
	{ "sysctl /proc/sys/net/ipv4/ip_forward 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/../../kernel/core_pattern x y", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/./forwarding 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf//forwarding 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/all/ 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/ 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl net.ipv6.conf.all.forwarding 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/a*/forwarding 1 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1;2 0", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 012345678901234567890123", M6E_INVAL, KSTATE_BAD_SYSCTL },
	{ "sysctl /proc/sys/net/ipv6/conf/all/forwarding/0123456789012345678901234567890123456789012345678901234567 1 0",
	  M6E_INVAL, KSTATE_BAD_SYSCTL },
};

START_TEST(line_round_trip)
{
	const struct line_case *c = &good_lines[_i];
	struct kstate_entry e, e2;
	enum kstate_bad why;
	char out[KSTATE_LINE_MAX];
	ck_assert_int_eq(kstate_parse_line(c->line, strlen(c->line), &e, &why), 0);
	ck_assert_int_eq(why, KSTATE_BAD_NONE);
	int n = kstate_format_line(&e, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(out[n - 1], '\n');
	/* The canonical text is the input (they are written canonically). */
	tu_assert_mem_eq(out, (size_t)n - 1, c->line, strlen(c->line));
	ck_assert_int_eq(kstate_parse_line(out, (size_t)n - 1, &e2, NULL), 0);
	ck_assert(kstate_entry_eq(&e, &e2));
}
END_TEST

START_TEST(line_refused)
{
	const struct line_case *c = &bad_lines[_i];
	struct kstate_entry e;
	enum kstate_bad why = KSTATE_BAD_COUNT;
	ck_assert_msg(kstate_parse_line(c->line, strlen(c->line), &e, &why) == c->rc, "\"%s\"", c->line);
	ck_assert_msg(why == c->why, "\"%s\": %s, want %s", c->line, kstate_bad_name(why), kstate_bad_name(c->why));
}
END_TEST

START_TEST(line_limits)
{
	char line[KSTATE_LINE_MAX + 8];
	struct kstate_entry e;
	enum kstate_bad why;
	memset(line, 'x', sizeof(line));
	ck_assert_int_eq(kstate_parse_line(line, sizeof(line), &e, &why), M6E_RANGE);
	ck_assert_int_eq(why, KSTATE_BAD_LONG);
	/* The length is what counts, not a NUL: a line cut mid-prefix. */
	const char *full = "route m6t fd00:b::/64 1024";
	ck_assert_int_eq(kstate_parse_line(full, 15, &e, &why), M6E_INVAL);
	ck_assert_int_eq(why, KSTATE_BAD_PREFIX);
	/* Formatting refuses what could not be read back. */
	struct kstate_entry bad = { .kind = KSTATE_ROUTE, .ifname = "a b" };
	ck_assert_int_eq(kstate_format_line(&bad, line, sizeof(line)), M6E_INVAL);
	struct kstate_entry ok = { .kind = KSTATE_ADDR, .ifname = "m6t" };
	ck_assert_int_eq(kstate_format_line(&ok, line, 5), M6E_NOSPACE);
	struct kstate_entry badtable = { .kind = KSTATE_NFT, .ifname = "a\nroute" };
	ck_assert_int_eq(kstate_format_line(&badtable, line, sizeof(line)), M6E_INVAL);
	struct kstate_entry table = { .kind = KSTATE_NFT, .ifname = "mip6sec" };
	ck_assert_int_eq(kstate_format_line(&table, line, 8), M6E_NOSPACE);
	ck_assert_int_eq(kstate_format_line(&table, line, sizeof(line)), 12);
	/* An nft entry is its table name: a stray prefix does not matter. */
	struct kstate_entry table2 = table;
	table2.prefix.len = 64;
	ck_assert(kstate_entry_eq(&table, &table2));
	snprintf(table2.ifname, sizeof(table2.ifname), "other");
	ck_assert(!kstate_entry_eq(&table, &table2));
}
END_TEST

/* ---- the journal, with a fake kernel ------------------------------------ */

struct fake {
	char log[4096];      /* "+route m6t fd00:b::/64 1024\n-..." in call order */
	int apply_rc, undo_rc;
	const char *fail_ifname; /* undo on this interface returns undo_rc; others 0 */
};

static void fake_note(struct fake *f, char op, const struct kstate_entry *e)
{
	char line[KSTATE_LINE_MAX];
	ck_assert_int_gt(kstate_format_line(e, line, sizeof(line)), 0);
	size_t n = strlen(f->log);
	snprintf(f->log + n, sizeof(f->log) - n, "%c%s", op, line);
}

static int fake_apply(void *arg, const struct kstate_entry *e)
{
	struct fake *f = arg;
	fake_note(f, '+', e);
	return f->apply_rc;
}

static int fake_undo(void *arg, const struct kstate_entry *e)
{
	struct fake *f = arg;
	fake_note(f, '-', e);
	if (f->fail_ifname && strcmp(e->ifname, f->fail_ifname) != 0)
		return 0;
	return f->undo_rc;
}

static char dir[64], journal[128];

static void dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_kstate.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(journal, sizeof(journal), "%s/%s", dir, KSTATE_JOURNAL);
}

static void dir_teardown(void)
{
	unlink(journal);
	rmdir(dir);
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	/* Drop the comment header. */
	return buf[0] == '#' ? strchr(buf, '\n') + 1 : buf;
}

static struct kstate_entry route(const char *ifname, const char *prefix, unsigned metric)
{
	struct kstate_entry e = { .kind = KSTATE_ROUTE, .metric = metric };
	snprintf(e.ifname, sizeof(e.ifname), "%s", ifname);
	ck_assert_int_eq(prefix_parse(prefix, &e.prefix, false), 0);
	return e;
}

static struct kstate *open_ks(struct fake *f, struct kstate_recovery *rec)
{
	struct kstate_ops ops = { .apply = fake_apply, .undo = fake_undo, .arg = f };
	struct kstate *ks = NULL;
	char err[256];
	ck_assert_int_eq(kstate_open(dir, &ops, &ks, rec, err, sizeof(err)), 0);
	return ks;
}

START_TEST(journal_lifecycle)
{
	struct fake f = { 0 };
	struct kstate_recovery rec;
	struct kstate *ks = open_ks(&f, &rec);
	ck_assert_uint_eq(rec.undone + rec.gone + rec.failed + rec.bad_lines, 0);
	ck_assert_int_ne(access(journal, F_OK), 0); /* nothing journalled yet */

	struct kstate_entry r1 = route("m6t", "fd00:b::/64", 1024), r2 = route("m6t", "fd00:c::/48", 1024),
			    r3 = route("m6u", "fd00:d::/64", 10);
	ck_assert_int_eq(kstate_apply(ks, &r1), 0);
	ck_assert_int_eq(kstate_apply(ks, &r2), 0);
	ck_assert_int_eq(kstate_apply(ks, &r3), 0);
	ck_assert_str_eq(slurp(journal),
			 "route m6t fd00:b::/64 1024\nroute m6t fd00:c::/48 1024\nroute m6u fd00:d::/64 10\n");
	ck_assert_uint_eq(kstate_count(ks), 3);

	/* An apply the kernel refuses is not kept, in memory or on disk. */
	f.apply_rc = M6E_EXISTS;
	struct kstate_entry r4 = route("m6t", "fd00:e::/64", 1);
	ck_assert_int_eq(kstate_apply(ks, &r4), M6E_EXISTS);
	f.apply_rc = 0;
	ck_assert_uint_eq(kstate_count(ks), 3);
	ck_assert_ptr_null(strstr(slurp(journal), "fd00:e::"));

	/* Revert one: undone and gone from the journal; unknown: NOTFOUND. */
	ck_assert_int_eq(kstate_revert(ks, &r2), 0);
	ck_assert_int_eq(kstate_revert(ks, &r2), M6E_NOTFOUND);
	ck_assert_str_eq(slurp(journal), "route m6t fd00:b::/64 1024\nroute m6u fd00:d::/64 10\n");

	/* A vanished device: its entries are forgotten without undo calls. */
	f.log[0] = '\0';
	kstate_forget_ifname(ks, "m6u");
	ck_assert_str_eq(f.log, "");
	ck_assert_str_eq(slurp(journal), "route m6t fd00:b::/64 1024\n");

	/* Close: undo what is left, remove the journal. */
	ck_assert_int_eq(kstate_apply(ks, &r3), 0);
	f.log[0] = '\0';
	kstate_close(ks);
	ck_assert_str_eq(f.log, "-route m6u fd00:d::/64 10\n-route m6t fd00:b::/64 1024\n");
	ck_assert_int_ne(access(journal, F_OK), 0);
}
END_TEST

START_TEST(journal_recovery)
{
	/* What a crashed run left: entries, a comment, a bad line, a torn one. */
	FILE *j = fopen(journal, "w");
	ck_assert_ptr_nonnull(j);
	fputs("# header\n"
	      "route m6t fd00:b::/64 1024\n"
	      "addr m6t fd00:a::1/64\n"
	      "bogus line\n"
	      "route gone0 fd00:c::/64 5\n"
	      "route m6t fd0",
	      j);
	fclose(j);
	struct fake f = { .undo_rc = M6E_NOTFOUND, .fail_ifname = "gone0" };
	struct kstate_recovery rec;
	struct kstate *ks = open_ks(&f, &rec);
	/* Newest first; gone0's route was already gone. */
	ck_assert_str_eq(f.log, "-route gone0 fd00:c::/64 5\n-addr m6t fd00:a::1/64\n-route m6t fd00:b::/64 1024\n");
	ck_assert_uint_eq(rec.undone, 2);
	ck_assert_uint_eq(rec.gone, 1);
	ck_assert_uint_eq(rec.failed, 0);
	ck_assert_uint_eq(rec.bad_lines, 2);
	ck_assert_int_ne(access(journal, F_OK), 0);
	ck_assert_uint_eq(kstate_count(ks), 0);
	kstate_close(ks);

	/* An undo that fails during recovery is counted. */
	j = fopen(journal, "w");
	fputs("route m6t fd00:b::/64 1024\n", j);
	fclose(j);
	struct fake g = { .undo_rc = M6E_IO };
	ks = open_ks(&g, &rec);
	ck_assert_uint_eq(rec.failed, 1);
	kstate_close(ks);
}
END_TEST

/* An nft table is journalled like a route, undone in order with them, and
 * not forgotten with a device that shares its name. */
START_TEST(journal_nft_entry)
{
	struct fake f = { 0 };
	struct kstate_recovery rec;
	struct kstate *ks = open_ks(&f, &rec);
	struct kstate_entry r1 = route("m6t", "fd00:b::/64", 1024), t = { .kind = KSTATE_NFT, .ifname = "m6t" };
	ck_assert_int_eq(kstate_apply(ks, &r1), 0);
	ck_assert_int_eq(kstate_apply(ks, &t), 0);
	ck_assert_str_eq(slurp(journal), "route m6t fd00:b::/64 1024\nnft m6t\n");
	kstate_forget_ifname(ks, "m6t");
	ck_assert_str_eq(slurp(journal), "nft m6t\n");
	ck_assert_uint_eq(kstate_count(ks), 1);
	ck_assert_int_eq(kstate_at(ks, 0)->kind, KSTATE_NFT);
	f.log[0] = '\0';
	kstate_close(ks);
	ck_assert_str_eq(f.log, "-nft m6t\n");
	ck_assert_int_ne(access(journal, F_OK), 0);

	/* After a crash: undone newest first with the routes. */
	FILE *j = fopen(journal, "w");
	ck_assert_ptr_nonnull(j);
	fputs("nft mip6sec\nroute m6t fd00:b::/64 1024\nnft bad;name\n", j);
	fclose(j);
	struct fake g = { 0 };
	ks = open_ks(&g, &rec);
	ck_assert_str_eq(g.log, "-route m6t fd00:b::/64 1024\n-nft mip6sec\n");
	ck_assert_uint_eq(rec.undone, 2);
	ck_assert_uint_eq(rec.bad_lines, 1);
	kstate_close(ks);
}
END_TEST

static struct kstate_entry parsed(const char *line)
{
	struct kstate_entry e;
	ck_assert_msg(kstate_parse_line(line, strlen(line), &e, NULL) == 0, "%s", line);
	return e;
}

/* The kinds of issue 4: a vanished device takes its routes, proxy entries
 * and per-device sysctls along, but not rules or the "all" sysctls; entries
 * without a device are undone on close like the others (kstate_close must
 * not mistake an empty interface name for "already undone"). */
START_TEST(journal_new_kinds)
{
	struct fake f = { 0 };
	struct kstate_recovery rec;
	struct kstate *ks = open_ks(&f, &rec);
	const char *lines[] = {
		"sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0",
		"sysctl /proc/sys/net/ipv6/conf/eth0/proxy_ndp 1 0",
		"sysctl /proc/sys/net/ipv6/neigh/eth0/proxy_delay 0 26",
		"sysctl /proc/sys/net/ipv6/conf/eth1/forwarding 1 0",
		"rule 32764 254 any is 0",
		"rule 32765 186 0x6d36/0xffffffff not -",
		"route6 m6mn0 ::/0 0 186 2001:db8:1::10 -",
		"proxy eth0 2001:db8:1::10",
		"route6 eth0 2001:db8:1::/64 5 254 - -",
	};
	char want[2048] = "";
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct kstate_entry e = parsed(lines[i]);
		ck_assert_int_eq(kstate_apply(ks, &e), 0);
		strcat(want, lines[i]);
		strcat(want, "\n");
	}
	ck_assert_str_eq(slurp(journal), want);
	f.log[0] = '\0';
	kstate_forget_ifname(ks, "eth0");
	ck_assert_str_eq(f.log, "");
	ck_assert_str_eq(slurp(journal), "sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0\n"
					 "sysctl /proc/sys/net/ipv6/conf/eth1/forwarding 1 0\n"
					 "rule 32764 254 any is 0\n"
					 "rule 32765 186 0x6d36/0xffffffff not -\n"
					 "route6 m6mn0 ::/0 0 186 2001:db8:1::10 -\n");
	/* A rule device name is no device: forgetting "" or a rule's table does nothing. */
	kstate_forget_ifname(ks, "");
	kstate_forget_ifname(ks, "all");
	ck_assert_uint_eq(kstate_count(ks), 5);

	/* Revert finds a sysctl by path and new value, whatever old was read. */
	struct kstate_entry sc = parsed("sysctl /proc/sys/net/ipv6/conf/eth1/forwarding 1 7");
	ck_assert_int_eq(kstate_revert(ks, &sc), 0);
	ck_assert_str_eq(f.log, "-sysctl /proc/sys/net/ipv6/conf/eth1/forwarding 1 0\n");
	/* A rule differing only in "not" is another rule. */
	struct kstate_entry ru = parsed("rule 32765 186 0x6d36/0xffffffff is -");
	ck_assert_int_eq(kstate_revert(ks, &ru), M6E_NOTFOUND);

	f.log[0] = '\0';
	kstate_close(ks);
	ck_assert_str_eq(f.log, "-route6 m6mn0 ::/0 0 186 2001:db8:1::10 -\n"
				"-rule 32765 186 0x6d36/0xffffffff not -\n"
				"-rule 32764 254 any is 0\n"
				"-sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0\n");
	ck_assert_int_ne(access(journal, F_OK), 0);

	/* After a crash: the new kinds are undone newest first, bad ones skipped. */
	FILE *j = fopen(journal, "w");
	ck_assert_ptr_nonnull(j);
	fputs("sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0\n"
	      "sysctl /proc/sys/net/ipv4/ip_forward 1 0\n"
	      "rule 32765 186 0x6d36/0xffffffff not -\n"
	      "rule 32766 254 any is -\n"
	      "proxy eth0 2001:db8:1::10\n"
	      "route6 m6mn0 ::/0 0 186 2001:db8:1::10 -\n"
	      "route6 m6mn0 ::/0 0 186 2001:db8:1::10",
	      j);
	fclose(j);
	struct fake g = { 0 };
	ks = open_ks(&g, &rec);
	ck_assert_str_eq(g.log, "-route6 m6mn0 ::/0 0 186 2001:db8:1::10 -\n"
				"-proxy eth0 2001:db8:1::10\n"
				"-rule 32765 186 0x6d36/0xffffffff not -\n"
				"-sysctl /proc/sys/net/ipv6/conf/all/forwarding 1 0\n");
	ck_assert_uint_eq(rec.undone, 4);
	ck_assert_uint_eq(rec.bad_lines, 3);
	kstate_close(ks);
}
END_TEST

/* The longest entries fit a journal line, and formatting refuses what the
 * parser would refuse. */
START_TEST(line_new_kinds_limits)
{
	char line[KSTATE_LINE_MAX];
	struct kstate_entry e = parsed("route6 abcdefghijklmno ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120 "
				       "4294967295 4294967295 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
				       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	ck_assert_int_gt(kstate_format_line(&e, line, sizeof(line)), 0);
	struct kstate_sysctl longest = { .value = "01234567890123456789012", .old = "01234567890123456789012" };
	memset(longest.path, 'a', sizeof(longest.path) - 1);
	memcpy(longest.path, KSTATE_SYSCTL_PREFIX, strlen(KSTATE_SYSCTL_PREFIX));
	struct kstate_entry sc = { .kind = KSTATE_SYSCTL, .sysctl = longest };
	int n = kstate_format_line(&sc, line, sizeof(line));
	ck_assert_int_gt(n, 0);
	struct kstate_entry back;
	ck_assert_int_eq(kstate_parse_line(line, (size_t)n - 1, &back, NULL), 0);
	ck_assert(kstate_entry_eq(&sc, &back));
	ck_assert_str_eq(back.sysctl.old, longest.old);

	struct kstate_entry bad_rule = { .kind = KSTATE_RULE, .rule = { .priority = 100, .table = 186,
									.fwmark = 3, .fwmask = 1 } };
	ck_assert_int_eq(kstate_format_line(&bad_rule, line, sizeof(line)), M6E_INVAL);
	bad_rule.rule.fwmark = 1;
	bad_rule.rule.suppress_prefixlen = 129;
	ck_assert_int_eq(kstate_format_line(&bad_rule, line, sizeof(line)), M6E_INVAL);
	struct kstate_entry bad_sysctl = { .kind = KSTATE_SYSCTL,
					   .sysctl = { .path = "/proc/sys/net/ipv6/conf/all/forwarding", .value = "1",
						       .old = "" } };
	ck_assert_int_eq(kstate_format_line(&bad_sysctl, line, sizeof(line)), M6E_INVAL);
	struct kstate_entry bad_table = parsed("route6 eth0 ::/0 0 186 - -");
	bad_table.route.table = 255;
	ck_assert_int_eq(kstate_format_line(&bad_table, line, sizeof(line)), M6E_INVAL);

	ck_assert(kstate_sysctl_path_ok("/proc/sys/net/ipv6/conf/all/forwarding"));
	ck_assert(!kstate_sysctl_path_ok("/proc/sys/net/ipv6/conf/all/forwarding/"));
	ck_assert(!kstate_sysctl_path_ok("/proc/sys/net/ipv6/conf/../../ipv4/ip_forward"));
	ck_assert(!kstate_sysctl_path_ok("/proc/sys/net/ipv6/conf/all/forwarding\n"));
	ck_assert(!kstate_sysctl_path_ok("/proc/sys/net/ipv6"));
	ck_assert(kstate_sysctl_value_ok("-1"));
	ck_assert(!kstate_sysctl_value_ok("1 2"));
	ck_assert(!kstate_sysctl_value_ok("1\t2"));
	ck_assert(!kstate_sysctl_value_ok(""));
}
END_TEST

/* io/kernel's checks that come before any I/O: sysctl paths are built and
 * refused by the same rule as journal lines, and a bad entry never reaches
 * the kernel (the netns tests cover the rest: tests/netns/kernel-*.sh). */
START_TEST(kernel_checks)
{
	char path[KSTATE_SYSCTL_PATH_MAX];
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "conf", "eth0", "proxy_ndp"), 0);
	ck_assert_str_eq(path, "/proc/sys/net/ipv6/conf/eth0/proxy_ndp");
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "neigh", "eth0.100", "proxy_delay"), 0);
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "conf", "..", "forwarding"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "conf", "a/b", "forwarding"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "conf", "", "forwarding"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_path(path, sizeof(path), "conf", "eth 0", "forwarding"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_path(path, 20, "conf", "eth0", "forwarding"), M6E_NOSPACE);

	struct kstate_entry e;
	ck_assert_int_eq(kernel_sysctl_entry(&e, "/proc/sys/kernel/core_pattern", "x"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_entry(&e, "/proc/sys/net/ipv6/conf/all/forwarding", "1 2"), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_write("/proc/sys/net/ipv6/../ipv4/ip_forward", "1"), M6E_INVAL);
	char v[8];
	ck_assert_int_eq(kernel_sysctl_read("/etc/passwd", v, sizeof(v)), M6E_INVAL);
	ck_assert_int_eq(kernel_sysctl_read("/proc/sys/net/ipv6/conf/no-such-device-x/forwarding", v, sizeof(v)),
			 M6E_NOTFOUND);
	struct kstate_entry unknown = { .kind = 99 };
	ck_assert_int_eq(kernel_do(NULL, &unknown, true), M6E_INVAL);
	struct kstate_entry bad_sysctl = { .kind = KSTATE_SYSCTL, .sysctl = { .path = "/tmp/x", .value = "1" } };
	ck_assert_int_eq(kernel_do(NULL, &bad_sysctl, true), M6E_INVAL);
	/* A device that does not exist: "gone" before any rtnetlink call. */
	struct kstate_entry proxy = parsed("proxy no-such-dev0 2001:db8::1");
	ck_assert_int_eq(kernel_do(NULL, &proxy, false), M6E_NOTFOUND);
	struct kstate_ops ops;
	kernel_kstate_ops(NULL, &ops);
	ck_assert_int_eq(ops.undo(ops.arg, &proxy), M6E_NOTFOUND);

	/* The builders make exactly the entries the journal lines describe. */
	struct kstate_entry b;
	struct prefix6 any, hoa128, hostbits;
	struct in6_addr hoa, gw;
	ck_assert_int_eq(prefix_parse("::/0", &any, false), 0);
	ck_assert_int_eq(prefix_parse("2001:db8:1::10/128", &hoa128, false), 0);
	ck_assert_int_eq(prefix_parse("2001:db8:1::10/64", &hostbits, true), 0);
	ck_assert_int_eq(addr_parse("2001:db8:1::10", &hoa), 0);
	ck_assert_int_eq(addr_parse("fe80::1", &gw), 0);
	ck_assert_int_eq(kernel_route_entry(&b, "m6mn0", &any, 186, 0, &hoa, NULL), 0);
	struct kstate_entry want = parsed("route6 m6mn0 ::/0 0 186 2001:db8:1::10 -");
	ck_assert(kstate_entry_eq(&b, &want));
	ck_assert_int_eq(kernel_route_entry(&b, "m6ha0", &hoa128, 254, 5, NULL, &gw), 0);
	want = parsed("route6 m6ha0 2001:db8:1::10/128 5 254 - fe80::1");
	ck_assert(kstate_entry_eq(&b, &want));
	ck_assert_int_eq(kernel_route_entry(&b, "m6ha0", &hostbits, 254, 0, NULL, NULL), M6E_INVAL);
	ck_assert_int_eq(kernel_route_entry(&b, "m6ha0", &hoa128, 255, 0, NULL, NULL), M6E_INVAL);
	ck_assert_int_eq(kernel_route_entry(&b, "averyveryverylongname", &hoa128, 254, 0, NULL, NULL), M6E_INVAL);
	ck_assert_int_eq(kernel_proxy_entry(&b, "eth0", &hoa), 0);
	want = parsed("proxy eth0 2001:db8:1::10");
	ck_assert(kstate_entry_eq(&b, &want));
	ck_assert_int_eq(kernel_proxy_entry(&b, "e/th0", &hoa), M6E_INVAL);
	const struct kstate_rule r = { .priority = 32765, .table = 186, .fwmark = 0x6d36, .fwmask = 0xffffffff,
				       .invert = true, .suppress_prefixlen = -1 };
	ck_assert_int_eq(kernel_rule_entry(&b, &r), 0);
	want = parsed("rule 32765 186 0x6d36/0xffffffff not -");
	ck_assert(kstate_entry_eq(&b, &want));
	const struct kstate_rule zero = { 0 }; /* priority 0 and no suppress field: refused */
	ck_assert_int_eq(kernel_rule_entry(&b, &zero), M6E_INVAL);
}
END_TEST

START_TEST(journal_failed_undo_stays)
{
	struct fake f = { .undo_rc = M6E_PERM, .fail_ifname = "stuck0" };
	struct kstate_recovery rec;
	struct kstate *ks = open_ks(&f, &rec);
	struct kstate_entry a = route("m6t", "fd00:b::/64", 1), b = route("stuck0", "fd00:c::/64", 2),
			    c = route("m6t", "fd00:d::/64", 3);
	ck_assert_int_eq(kstate_apply(ks, &a), 0);
	ck_assert_int_eq(kstate_apply(ks, &b), 0);
	ck_assert_int_eq(kstate_apply(ks, &c), 0);
	kstate_close(ks);
	/* The next start will try stuck0's route again. */
	ck_assert_str_eq(slurp(journal), "route stuck0 fd00:c::/64 2\n");
}
END_TEST

START_TEST(open_refuses_bad_dir)
{
	struct fake f = { 0 };
	struct kstate_ops ops = { .apply = fake_apply, .undo = fake_undo, .arg = &f };
	struct kstate_recovery rec;
	struct kstate *ks = NULL;
	char err[256] = "";
	ck_assert_int_lt(kstate_open("/nonexistent-dir/below", &ops, &ks, &rec, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/below"));
	/* A missing last component is created 0700. */
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/state", dir);
	ck_assert_int_eq(kstate_open(sub, &ops, &ks, &rec, err, sizeof(err)), 0);
	struct stat st;
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	kstate_close(ks);
	ck_assert_int_eq(rmdir(sub), 0);
}
END_TEST

static Suite *kstate_suite(void)
{
	Suite *s = suite_create("kstate");
	TCase *tc = tcase_create("line");
	tcase_add_loop_test(tc, line_round_trip, 0, sizeof(good_lines) / sizeof(good_lines[0]));
	tcase_add_loop_test(tc, line_refused, 0, sizeof(bad_lines) / sizeof(bad_lines[0]));
	tcase_add_test(tc, line_limits);
	tcase_add_test(tc, line_new_kinds_limits);
	tcase_add_test(tc, kernel_checks);
	suite_add_tcase(s, tc);
	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, journal_lifecycle);
	tcase_add_test(tc, journal_recovery);
	tcase_add_test(tc, journal_nft_entry);
	tcase_add_test(tc, journal_new_kinds);
	tcase_add_test(tc, journal_failed_undo_stays);
	tcase_add_test(tc, open_refuses_bad_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(kstate_suite());
}
