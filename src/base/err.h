/* Error convention: functions return 0 on success or a negative M6E_* code. */
#ifndef M6_BASE_ERR_H
#define M6_BASE_ERR_H

enum m6_err {
	M6E_OK = 0,
	M6E_NOMEM = -1,    /* allocation failed */
	M6E_TRUNC = -2,    /* input shorter than its header or declared length */
	M6E_INVAL = -3,    /* malformed or out-of-range input */
	M6E_RANGE = -4,    /* value outside the allowed range */
	M6E_NOSPACE = -5,  /* output buffer too small */
	M6E_IO = -6,       /* system call failed (errno kept by the caller) */
	M6E_PROTO = -7,    /* protocol rule violated */
	M6E_NOTFOUND = -8, /* no such entry */
	M6E_EXISTS = -9,   /* entry already exists */
	M6E_PERM = -10,    /* not permitted (file modes, authorisation) */
	M6E_AGAIN = -11,   /* try later */
	M6E_UNSUPP = -12,  /* recognised but not supported */
	M6E_AUTH = -13,    /* authentication / integrity check failed */
	M6E_ALIGN = -14,   /* alignment rule violated */
	M6E_DUP = -15,     /* duplicate where only one is allowed */
	M6E_ORDER = -16,   /* ordering rule violated */
	M6E_CKSUM = -17,   /* checksum mismatch */
};

/* Short, stable text for an M6E_* code (never NULL). */
const char *err_str(int code);

#endif
