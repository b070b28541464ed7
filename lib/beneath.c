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

int
bg_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		    RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

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
		nfd = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		r = -errno;
		close(fd);
		if (nfd < 0)
			return r;
		fd = nfd;
		c += len;
	}
	return fd;
}
