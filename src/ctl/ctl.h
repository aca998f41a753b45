/*
 * ctl: control-socket command dispatch, without I/O.
 *
 * The server (io/ctl_sock.c) hands every complete request frame to
 * ctl_handle(), which decodes it (ctlproto), runs the command and writes one
 * response frame. The daemon supplies its state through ctl_ops; engines that
 * own bindings, SAs or policies register a listing callback for their
 * command, and until one does, the command answers "none" (or [] in JSON).
 */
#ifndef M6_CTL_CTL_H
#define M6_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wbuf.h"
#include "ctl/ctlproto.h"
#include "ctl/json.h"

struct conf;

enum ctl_reload_result { CTL_RELOAD_NONE = 0, CTL_RELOAD_OK, CTL_RELOAD_FAILED };

/* What `status` shows; filled by the daemon on each request. Pointers must
 * stay valid until ctl_handle() returns. */
struct ctl_status_info {
	const char *version;
	long pid;
	int64_t started;         /* wall clock, seconds since the epoch */
	uint64_t uptime_s;
	const struct conf *conf; /* the live configuration (may be NULL) */
	const char *config_file;
	int64_t config_loaded;   /* wall clock of the last successful load */
	unsigned config_generation; /* 1 at startup, +1 per successful reload */
	unsigned reloads;           /* reload attempts */
	unsigned reload_failures;
	enum ctl_reload_result last_reload;
	const char *last_reload_error; /* "file:line: key: message" or "" */
	const char *control_socket;
};

struct ctl_ops {
	void (*status)(void *arg, struct ctl_status_info *out);
	/* Reload the configuration; on failure fill err and return < 0. */
	int (*reload)(void *arg, char *err, size_t errlen);
};

/* Where a listing callback writes: JSON objects (key NULL) into an array
 * already opened, or table rows into text. */
struct ctl_view {
	bool json;
	struct json *j;     /* when json */
	struct wbuf *text;  /* otherwise */
	const char *filter; /* CTL_TLV_FILTER argument, or NULL */
};

#define CTL_SECTION_MAX 4

struct ctl {
	struct ctl_ops ops;
	void *arg;
	/* Listing callbacks return the number of entries written, or a negative
	 * M6E_* code. */
	struct {
		int (*fn)(void *arg, struct ctl_view *view);
		void *arg;
	} listing[CTL_CMD_MAX + 1];
	/* Role sections of `status` ("home-agent", "mobile-node"): each writes
	 * the members of one JSON object, or indented text lines. */
	struct {
		const char *key;
		void (*fn)(void *arg, struct ctl_view *view);
		void *arg;
	} section[CTL_SECTION_MAX];
};

/* Append one printf-formatted text line (cut at 1023 octets) to a listing
 * or status body. */
void ctl_textf(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ctl_init(struct ctl *c, const struct ctl_ops *ops, void *arg);
/* Register the listing for CTL_CMD_BINDINGS, _SAS, _POLICIES or _IKE (fn NULL
 * removes it); M6E_INVAL for any other command. */
int ctl_set_listing(struct ctl *c, unsigned cmd, int (*fn)(void *arg, struct ctl_view *view),
		    void *arg);

/* Add (or, with fn NULL, remove) the status section called key; key must
 * outlive the registration. M6E_NOSPACE when CTL_SECTION_MAX are taken. */
int ctl_set_status_section(struct ctl *c, const char *key, void (*fn)(void *arg, struct ctl_view *view),
			   void *arg);

/* Answer one complete request frame. out must be empty with room for
 * CTL_HDR_LEN + CTL_RESP_BODY_MAX octets. Always writes a response frame
 * (an error response for a bad request) and returns 0 when the connection
 * may carry further requests, M6E_PROTO when the request was malformed and
 * the connection should be closed after sending, or M6E_NOSPACE if not even
 * an error response fit. */
int ctl_handle(struct ctl *c, const uint8_t *req, size_t len, struct wbuf *out);

/* An error response for a frame the server refused before decoding it
 * (e.g. CTL_S_BUSY, or a header that failed ctlproto_frame_len()). */
int ctl_error_response(struct wbuf *out, uint8_t command, uint8_t status, const char *msg);

/* Count a refused frame per reason (the server counts its own refusals). */
void ctl_count_drop(enum ctlproto_reason why);

#endif
