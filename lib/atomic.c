/*
 * atomic.c — replace a file so that a crash at any point leaves either
 * the old or the new content: a temp file in the same directory,
 * written, fsynced, renamed over the name, then the directory fsynced
 * so the rename itself is durable.  On failure the temp file is removed
 * and the old file is untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

int
bg_atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode)
{
	char tmp[NAME_MAX + 1];
	unsigned i;
	int fd = -1, r;

	if (strchr(name, '/') != NULL || strlen(name) > NAME_MAX - 16)
		return -EINVAL;
	for (i = 0; i < 100; i++) {
		snprintf(tmp, sizeof(tmp), ".%s.tmp%u.%u", name,
		    (unsigned)getpid(), i);
		fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -errno;
	/* The umask must not weaken or strengthen the mode we were asked for. */
	if (fchmod(fd, mode) < 0)
		goto fail;
	r = bg_write_all(fd, buf, len);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
fail:
	r = -errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return r;
}

int
bg_atomic_write_path(const char *path, const void *buf, size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd, r;

	if (slash == NULL || slash[1] == '\0' ||
	    (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	if (slash == path)
		strcpy(dir, "/");
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	r = bg_atomic_write(dfd, slash + 1, buf, len, mode);
	close(dfd);
	return r;
}
