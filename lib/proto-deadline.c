/*
 * proto-deadline.c — one read deadline for the whole request
 * (docs/protocol.md): BG_READ_TIMEOUT_MS from the verb line's first
 * byte to the request line's newline.  The dispatcher starts it and
 * passes the absolute time (bg_now_ms: CLOCK_MONOTONIC, the same clock
 * in every process) to the helper it execs, in BG_DEADLINE_ENV; the
 * helper keeps it instead of starting a second one, so a client that
 * trickles bytes is held BG_READ_TIMEOUT_MS in all, not twice that.
 */
#include <stdlib.h>

#include "banger.h"

int64_t
bg_proto_deadline(void)
{
	int64_t d = bg_now_ms() + BG_READ_TIMEOUT_MS, v = 0;
	const char *s = getenv(BG_DEADLINE_ENV), *c;

	/*
	 * Only ever earlier: the value can shorten the wait, never lengthen
	 * it.  Anything but 1 to 18 digits is ignored (no sign, no overflow).
	 */
	for (c = s; c != NULL && *c >= '0' && *c <= '9' && c - s < 18; c++)
		v = v * 10 + (*c - '0');
	if (c != NULL && c != s && *c == '\0' && v > 0 && v < d)
		d = v;
	/* It was for this process: the helper's children start their own. */
	unsetenv(BG_DEADLINE_ENV);
	return d;
}
