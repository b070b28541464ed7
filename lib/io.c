/*
 * io.c — bounded, deadline-aware reads and whole writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/allreadwrite.h>

#include "banger.h"

int64_t
bg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ssize_t
bg_read_deadline(int fd, void *buf, size_t n, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	for (;;) {
		int64_t left = deadline_ms - bg_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			continue;
		r = read(fd, buf, n);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		return r;
	}
}

int
bg_write_all(int fd, const void *buf, size_t n)
{
	size_t w = allwrite(fd, buf, n);

	return w == n ? 0 : -(errno ? errno : EIO);
}

int
bg_read_file(int dirfd, const char *path, size_t cap, char **out, size_t *len)
{
	char *buf = NULL;
	size_t have = 0, size = 4096;
	int fd, r = 0;

	if (dirfd == AT_FDCWD) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return -errno;
	} else {
		fd = bg_openat_beneath(dirfd, path,
		    O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
		if (fd < 0)
			return fd;
	}
	{
		struct stat st;

		if (fstat(fd, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = -EISDIR;
		else if (!S_ISREG(st.st_mode))
			r = -EINVAL;
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	for (;;) {
		if (have + 1 >= size || buf == NULL) {
			char *nb;

			if (buf != NULL)
				size *= 2;
			if (size > cap + 2)
				size = cap + 2;
			nb = realloc(buf, size);
			if (nb == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		ssize_t got = read(fd, buf + have, size - 1 - have);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		if (have > cap) {
			r = -EFBIG;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[have] = '\0';
	*out = buf;
	if (len != NULL)
		*len = have;
	return 0;
}

int
bg_fd_inherit(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

void
bg_now_rfc3339(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

ssize_t
bg_mem_read(void *arg, void *buf, size_t n)
{
	struct bg_mem_src *m = arg;

	if (n > m->left)
		n = m->left;
	memcpy(buf, m->p, n);
	m->p = (const char *)m->p + n;
	m->left -= n;
	return (ssize_t)n;
}
