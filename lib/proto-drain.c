/*
 * proto-drain.c — before closing early, take what the client sent.
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

void
bg_proto_drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t r;

	/*
	 * Closing a unix socket with unread bytes resets the connection;
	 * read what the client already sent (bounded, never waiting) so
	 * an early answer ends in a clean EOF.  Pipes: ENOTSOCK, nothing.
	 */
	while (total < BG_REQ_MAX + BG_VERB_MAX + 2 &&
	    (r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
}
