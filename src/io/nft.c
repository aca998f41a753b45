#include "io/nft.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "wire/exthdr.h"
#include "wire/ip6.h"

#define NFT_SCRIPT_MAX 1024 /* < PIPE_BUF (4096): one atomic write */
#define NFT_EXIT_EXEC 127 /* the child could not run the program */

static const char *nft_prog = "nft";

void nft_set_program(const char *prog)
{
	nft_prog = prog ? prog : "nft";
}

int nft_kstate_entry(const char *table, struct kstate_entry *e)
{
	char line[KSTATE_LINE_MAX];
	memset(e, 0, sizeof(*e));
	e->kind = KSTATE_NFT;
	if (strlen(table) >= sizeof(e->ifname))
		return M6E_INVAL;
	memcpy(e->ifname, table, strlen(table) + 1);
	/* kstate's formatter holds the name rule (it reaches an nft script). */
	return kstate_format_line(e, line, sizeof(line)) < 0 ? M6E_INVAL : 0;
}

int nft_script(const char *table, char *buf, size_t len)
{
	struct kstate_entry e;
	if (nft_kstate_entry(table, &e) != 0)
		return M6E_INVAL;
	/* "table" first so the delete finds one; the three lines are one
	 * transaction, so a stale table is replaced without a gap. */
	int n = snprintf(buf, len,
			 "table inet %s\n"
			 "delete table inet %s\n"
			 "table inet %s {\n"
			 "\tchain out {\n"
			 "\t\ttype filter hook output priority 0; policy accept;\n"
			 "\t\ticmpv6 type parameter-problem @th,%d,8 %d @th,%d,8 %#x counter drop"
			 " comment \"mip6sec: invoking packet has a Home Address option\"\n"
			 "\t\ticmpv6 type parameter-problem @th,%d,8 %d @th,%d,8 %d counter drop"
			 " comment \"mip6sec: invoking packet has a type 2 Routing Header\"\n"
			 "\t}\n"
			 "}\n",
			 table, table, table, NFT_PP_NH_OFF * 8, IP6_NH_DSTOPTS, NFT_PP_HAO_TYPE_OFF * 8, EXTHDR_OPT_HAO,
			 NFT_PP_NH_OFF * 8, IP6_NH_ROUTING, NFT_PP_RT_TYPE_OFF * 8, EXTHDR_RT_MIP6);
	return n < 0 || (size_t)n >= len ? M6E_NOSPACE : n;
}

/* Run nft with argv (argv[0] is replaced by the program), script on its
 * stdin (may be NULL), its output into err. Returns the exit status, or
 * M6E_IO when it could not be run or died of a signal. */
static int nft_run(char *argv[], const char *script, char *err, size_t errlen)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t got = 0;
	int status = 0, rc = M6E_IO;
	if (errlen)
		err[0] = '\0';
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(NFT_EXIT_EXEC);
		argv[0] = (char *)nft_prog;
		execvp(nft_prog, argv);
		_exit(NFT_EXIT_EXEC);
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	/* The script is below PIPE_BUF: one write puts it whole into the pipe
	 * without waiting for the child to read. A child that exited early
	 * must not kill us with SIGPIPE (io/loop ignores it for the daemon;
	 * this is for callers without a loop); nft then says what failed. */
	signal(SIGPIPE, SIG_IGN);
	if (script) {
		ssize_t w;
		do
			w = write(in[1], script, strlen(script));
		while (w < 0 && errno == EINTR);
	}
	close(in[1]);
	in[1] = -1;
	for (;;) {
		char tmp[256];
		ssize_t r = read(out[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && got + 1 < errlen; i++)
			err[got++] = tmp[i] == '\n' ? ' ' : tmp[i];
	}
	if (errlen)
		err[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == NFT_EXIT_EXEC && got == 0)
		snprintf(err, errlen, "cannot run %s", nft_prog);
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		snprintf(err, errlen, "%s killed by signal %d", nft_prog, WTERMSIG(status));
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}

/* nft's exit status and message to an M6E_* code. */
static int nft_code(int st, const char *msg)
{
	if (st == 0)
		return 0;
	if (st < 0)
		return st;
	if (strstr(msg, "No such file or directory"))
		return M6E_NOTFOUND;
	if (strstr(msg, "Operation not permitted"))
		return M6E_PERM;
	return M6E_IO;
}

int nft_install(const char *table, char *err, size_t errlen)
{
	char script[NFT_SCRIPT_MAX];
	char *argv[] = { NULL, "-f", "-", NULL };
	int n = nft_script(table, script, sizeof(script));
	if (n < 0) {
		snprintf(err, errlen, "bad nft table name '%s'", table);
		return n;
	}
	int rc = nft_code(nft_run(argv, script, err, errlen), err);
	/* A table that was not there cannot be missing: NOTFOUND is a failure. */
	return rc == M6E_NOTFOUND ? M6E_IO : rc;
}

int nft_remove(const char *table, char *err, size_t errlen)
{
	struct kstate_entry e;
	if (nft_kstate_entry(table, &e) != 0) {
		snprintf(err, errlen, "bad nft table name '%s'", table);
		return M6E_INVAL;
	}
	char *argv[] = { NULL, "delete", "table", "inet", e.ifname, NULL };
	return nft_code(nft_run(argv, NULL, err, errlen), err);
}

int nft_kstate_do(const struct kstate_entry *e, bool add)
{
	char err[256];
	if (e->kind != KSTATE_NFT)
		return M6E_INVAL;
	int rc = add ? nft_install(e->ifname, err, sizeof(err)) : nft_remove(e->ifname, err, sizeof(err));
	if (rc != 0 && rc != M6E_NOTFOUND)
		LOG_WARN(LOG_SUB_IO, "nft %s table inet %s: %s", add ? "install" : "remove", e->ifname, err);
	return rc;
}
