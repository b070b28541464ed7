/*
 * listen.c — what a socket-activated program reads of its starter
 * (sd_listen_fds(3), by hand: no libsystemd for serve and dns-answer,
 * which start on a connection or a query), and bounded numbers from
 * the command line.  libc only: serve links it statically.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "banger.h"

bool
bg_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int
bg_listen_fds(int max)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long p, n;

	if (pid == NULL || fds == NULL)
		return 0;
	if (!bg_parse_long(pid, 1, 1L << 30, &p) || p != (long)getpid())
		return 0; /* for another process (a parent that exec'd us) */
	if (!bg_parse_long(fds, 1, max, &n))
		return -EINVAL;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)n;
}
