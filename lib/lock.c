/*
 * lock.c — coordination by flock(2).  A lock is a file; holding it is
 * holding an open fd with LOCK_EX on it.  The locks are released by the
 * kernel when the last fd closes, so a crashed holder never leaves a
 * stale lock.  To hold a lock for as long as a program runs (the VMM),
 * take it, bg_fd_inherit() the fd, and exec (s6-setlock style).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <unistd.h>

#include "banger.h"

int
bg_lock_path(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | ((flags & BG_LOCK_NB) ? LOCK_NB : 0)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return -e;
	}
	return fd;
}

int
bg_lock_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A shared lock conflicts only with the holder's exclusive one. */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return r;
}

int
bg_lock_global(int flags)
{
	char p[PATH_MAX];
	int r = bg_path_build(p, sizeof(p), BG_DIR_STATE, NULL, NULL, NULL);

	if (r < 0)
		return r;
	r = bg_mkdir_p(p, 0755);
	if (r < 0)
		return r;
	r = bg_path_build(p, sizeof(p), BG_DIR_STATE, NULL, NULL, "lock");
	if (r < 0)
		return r;
	return bg_lock_path(p, flags);
}

int
bg_lock_vm(const char *name, int flags)
{
	char p[PATH_MAX];
	int r = bg_path_build(p, sizeof(p), BG_DIR_RUN, "vms", name, NULL);

	if (r < 0)
		return r;
	r = bg_mkdir_p(p, 0755);
	if (r < 0)
		return r;
	r = bg_path_build(p, sizeof(p), BG_DIR_RUN, "vms", name, "lock");
	if (r < 0)
		return r;
	return bg_lock_path(p, flags);
}
