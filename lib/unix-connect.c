/*
 * unix-connect.c — connect to a unix stream socket.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

int
bg_unix_connect(const char *path)
{
	return bg_unix_connect_timeout(path, 0);
}

/*
 * A unix stream connect() waits while the listener's backlog is full
 * (a stopped server), for as long as the socket's send timeout:
 * timeout_ms bounds it (0: no bound), then the timeout is cleared.
 */
int
bg_unix_connect_timeout(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000 };
	struct timeval none = { 0, 0 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		close(fd);
		return -errno;
	}
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return e == EAGAIN || e == EINPROGRESS ? -ETIMEDOUT : -e;
	}
	if (timeout_ms > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none,
		    sizeof(none));
	return fd;
}
