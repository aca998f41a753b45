#include "base/err.h"

const char *err_str(int code)
{
	switch (code) {
	case M6E_OK: return "ok";
	case M6E_NOMEM: return "out of memory";
	case M6E_TRUNC: return "truncated";
	case M6E_INVAL: return "invalid";
	case M6E_RANGE: return "out of range";
	case M6E_NOSPACE: return "no space";
	case M6E_IO: return "i/o error";
	case M6E_PROTO: return "protocol violation";
	case M6E_NOTFOUND: return "not found";
	case M6E_EXISTS: return "already exists";
	case M6E_PERM: return "not permitted";
	case M6E_AGAIN: return "try again";
	case M6E_UNSUPP: return "unsupported";
	case M6E_AUTH: return "authentication failed";
	case M6E_ALIGN: return "bad alignment";
	case M6E_DUP: return "duplicate";
	case M6E_ORDER: return "bad order";
	case M6E_CKSUM: return "bad checksum";
	}
	return "unknown error";
}
