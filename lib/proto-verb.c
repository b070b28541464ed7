/*
 * proto-verb.c — read the verb line of a request (docs/protocol.md) one
 * byte at a time, so that nothing past its newline is consumed: the
 * dispatcher execs the helper with the rest still on stdin.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

int
bg_proto_read_verb(int fd, char *verb, int64_t deadline_ms, struct bg_err *err)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = bg_read_deadline(fd, &c, 1, deadline_ms);

		if (r < 0) {
			bg_err_set(err, "bad_request",
			    r == -ETIMEDOUT ?
				"no request verb arrived in time" :
				"reading the request verb failed: %s",
			    strerror((int)-r));
			return (int)r;
		}
		if (r == 0) {
			bg_err_set(err, "bad_request",
			    "the connection ended before the request verb line was complete");
			return -EPROTO;
		}
		if (c == '\n')
			break;
		if (n >= BG_VERB_MAX) {
			bg_err_set(err, "bad_request",
			    "the request verb is longer than %d bytes",
			    BG_VERB_MAX);
			return -EMSGSIZE;
		}
		verb[n++] = c;
	}
	verb[n] = '\0';
	if (!bg_verb_valid(verb) || strlen(verb) != n) {
		bg_err_set(err, "bad_request",
		    "the request verb must match [a-z0-9-]{1,%d}", BG_VERB_MAX);
		return -EPROTO;
	}
	return 0;
}
