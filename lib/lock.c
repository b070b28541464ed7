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
bg_lock_at(int dirfd, const char *name, int flags)
{
	return take(bg_openat_beneath(dirfd, name, O_RDWR | O_CREAT, 0644),
	    flags);
}

int
bg_lock_held_at(int dirfd, const char *name)
{
	struct stat st;
	int fd, r = 0;

	if (dirfd < 0)
		return 0;
	/*
	 * Root probes owner-made lock files too: no symlink, a regular
	 * file, and never block (a FIFO planted there).
	 */
	fd =
	    bg_openat_beneath(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
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
bg_lock_global_err(struct bg_err *err)
{
	int g = bg_lock_global(0);

	if (g < 0)
		bg_err_set(err, "temporary", "cannot take the global lock: %s",
		    strerror(-g));
	return g;
}
