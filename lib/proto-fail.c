/*
 * proto-fail.c — the final error line
 * {"ok":false,"error":{"code":"...","message":"..."}}, written by hand
 * (no cJSON) so that the dispatcher, which only ever answers errors
 * itself, links statically against libc and skalibs alone and starts
 * fast (bench/request-latency).
 */
#include <stdio.h>
#include <string.h>

#include "banger.h"

/*
 * Append s as JSON string content; control characters as \u00XX.  A
 * byte that is not UTF-8 becomes '?' (docs/protocol.md): an answer is
 * always UTF-8, whatever a message quoted or where it was cut.
 */
static size_t
escape(char *out, size_t n, size_t at, const char *s)
{
	const char *end = s + strlen(s);
	uint32_t cp;
	int l;

	for (; s < end && at + 7 < n; s += l) {
		unsigned char c = (unsigned char)*s;

		l = bg_utf8_decode(s, end, &cp);
		if (l == 0) {
			out[at++] = '?';
			l = 1;
		} else if (c == '"' || c == '\\') {
			out[at++] = '\\';
			out[at++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			at += (size_t)snprintf(out + at, n - at, "\\u%04x", c);
		else {
			memcpy(out + at, s, (size_t)l);
			at += (size_t)l;
		}
	}
	return at;
}

int
bg_proto_fail(int fd, const struct bg_err *err)
{
	char line[sizeof(err->msg) * 6 + sizeof(err->code) * 6 + 64];
	size_t at = 0;

	at += (size_t)snprintf(line, sizeof(line), "%s",
	    "{\"ok\":false,\"error\":{\"code\":\"");
	at = escape(line, sizeof(line), at,
	    err->code[0] ? err->code : "internal");
	at += (size_t)snprintf(line + at, sizeof(line) - at, "%s",
	    "\",\"message\":\"");
	at = escape(line, sizeof(line), at, err->msg);
	at += (size_t)snprintf(line + at, sizeof(line) - at, "%s", "\"}}\n");
	return bg_write_all(fd, line, at);
}
