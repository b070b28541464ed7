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
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

/* flock(LOCK_EX) an open fd; consumes fd on failure. */
static int
take(int fd, int flags)
{
	int tries = 0;

	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX | ((flags & BG_LOCK_NB) ? LOCK_NB : 0)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		/* A bg_lock_held() probe holds LOCK_SH for microseconds. */
		if (e == EWOULDBLOCK && ++tries < 20) {
			usleep(5000);
			continue;
		}
		close(fd);
		return -e;
	}
	return fd;
}

/*
 * Lock files are 0644: anyone may probe them (flock works on a
 * read-only fd), only their creator's side writes nothing to them.
 */
int
bg_lock_path(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	return take(fd < 0 ? -errno : fd, flags);
}

int
bg_lock_at(int dirfd, const char *name, int flags)
{
	return take(bg_openat_beneath(dirfd, name, O_RDWR | O_CREAT, 0644),
	    flags);
}

int
bg_lock_held(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int d, fd, r = 0;

	/*
	 * Root probes owner-made lock files too: no symlink anywhere in
	 * the directory part (resolved beneath the RUN root when the path
	 * is under it), a regular file, and never block (a FIFO).
	 */
	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	if (bg_path_dir(BG_DIR_RUN, dir, sizeof(dir)) == 0 &&
	    strncmp(path, dir, strlen(dir)) == 0 && path[strlen(dir)] == '/') {
		d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = d < 0 ? -errno : bg_openat_beneath(d, path + strlen(dir) + 1,
		    O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
		if (d >= 0)
			close(d);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = -EINVAL;
	/* A shared lock conflicts only with the holder's exclusive one. */
	else if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return r;
}

int
bg_lock_global(int flags)
{
	int d = bg_state_dir(BG_DIR_STATE, "", 0755), fd;

	if (d < 0)
		return d;
	fd = bg_lock_at(d, "lock", flags);
	close(d);
	return fd;
}

int
bg_lock_vm(const char *name, int flags)
{
	char rel[BG_NAME_MAX + 8];
	int d, fd;

	if (!bg_name_valid(name))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "vms/%s", name);
	d = bg_state_dir(BG_DIR_RUN, rel, 0755);
	if (d < 0)
		return d;
	fd = bg_lock_at(d, "lock", flags);
	close(d);
	return fd;
}
