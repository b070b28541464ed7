/*
 * beneath.c — open and create inside a state directory without ever
 * following a symlink.  The state trees (/var/lib/banger, /run/banger)
 * are owned by the owner, and root helpers work in them too: a path
 * joined as a string would let a symlink planted by the owner send a
 * root helper anywhere on the host.  openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS) makes the kernel refuse any symlink and any
 * escape ("..", absolute) in the relative part.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "banger.h"

/*
 * The same walk without openat2: one openat(O_NOFOLLOW) per component,
 * refusing absolute paths and "..".  For kernels before 5.6 and for
 * seccomp filters that deny openat2 -- systemd's RestrictSUIDSGID=yes
 * (set in banger's units) makes it fail with ENOSYS, because it cannot
 * inspect the flags openat2 takes by pointer.
 */
static int
openat_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char part[NAME_MAX + 1];
	const char *c = rel;
	int fd = dirfd, nfd, e;

	if (rel == NULL || rel[0] == '\0')
		return -ENOENT;
	if (rel[0] == '/')
		return -EXDEV;
	for (;;) {
		size_t len = strcspn(c, "/");
		const char *next = c + len;
		bool last;

		while (*next == '/')
			next++;
		last = *next == '\0';
		if (len > NAME_MAX) {
			nfd = -1;
			e = ENAMETOOLONG;
		} else if (len == 2 && c[0] == '.' && c[1] == '.') {
			nfd = -1;
			e = EXDEV;
		} else {
			memcpy(part, c, len);
			part[len] = '\0';
			nfd = last ?
			    openat(fd, part, flags | O_NOFOLLOW | O_CLOEXEC,
				mode) :
			    openat(fd, part,
				O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			e = errno;
			/* As openat2 says: a symlink on the way is ELOOP. */
			if (nfd < 0 && e == ENOTDIR && !last) {
				struct stat st;

				if (fstatat(fd, part, &st,
					AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					e = ELOOP;
			}
		}
		if (fd != dirfd)
			close(fd);
		if (nfd < 0)
			return -e;
		if (last)
			return nfd;
		fd = nfd;
		c = next;
	}
}

int
bg_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (no_openat2)
		return openat_walk(dirfd, rel, flags, mode);
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		no_openat2 = true;
		return openat_walk(dirfd, rel, flags, mode);
	}
	return fd < 0 ? -errno : (int)fd;
}

int
bg_state_dir(enum bg_dir d, const char *rel, mode_t mode)
{
	char root[PATH_MAX], part[PATH_MAX];
	const char *c;
	int fd, nfd, r;

	r = bg_path_dir(d, root, sizeof(root));
	if (r < 0)
		return r;
	/* The root itself comes from compiled-in paths or BANGER_ROOT. */
	r = bg_mkdir_p(root, 0755);
	if (r < 0)
		return r;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (c = rel; c != NULL && *c != '\0';) {
		size_t len;

		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if (len == 0)
			break;
		if (len >= sizeof(part) || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.')) {
			close(fd);
			return -EINVAL;
		}
		memcpy(part, c, len);
		part[len] = '\0';
		if (mkdirat(fd, part, mode) < 0 && errno != EEXIST) {
			r = -errno;
			close(fd);
			return r;
		}
		nfd = openat(fd, part,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = -errno;
		close(fd);
		if (nfd < 0)
			return r;
		fd = nfd;
		c += len;
	}
	return fd;
}
