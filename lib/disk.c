/*
 * disk.c — files of a VM: copy-on-write clones with a sparse-copy
 * fallback, and removing a VM directory without following symlinks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "banger.h"

/* Copy [off, off+len) with copy_file_range, falling back to read/write. */
static int
copy_range(int src, int dst, off_t off, off_t len)
{
	char buf[1 << 16];

	while (len > 0) {
		loff_t in = off, out = off;
		ssize_t n =
		    copy_file_range(src, &in, dst, &out, (size_t)len, 0);

		if (n < 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
			errno == EINVAL)) {
			n = pread(src, buf,
			    sizeof(buf) < (size_t)len ? sizeof(buf) :
							(size_t)len,
			    off);
			if (n > 0 && pwrite(dst, buf, (size_t)n, off) != n)
				return -(errno ? errno : EIO);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* the source shrank under us */
		off += n;
		len -= n;
	}
	return 0;
}

int
bg_clone_file(int src, int dst)
{
	struct stat st;
	off_t data, hole;
	int r;

	if (fstat(src, &st) < 0)
		return -errno;
	if (ioctl(dst, FICLONE, src) == 0)
		return 1;
	if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL &&
	    errno != ENOTTY)
		return -errno;
	/* Sparse copy: only the data extents; holes stay holes. */
	if (ftruncate(dst, 0) < 0 || ftruncate(dst, st.st_size) < 0)
		return -errno;
	for (data = 0; data < st.st_size; data = hole) {
		data = lseek(src, data, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			return -errno;
		}
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		r = copy_range(src, dst, data, hole - data);
		if (r < 0)
			return r;
	}
	return 0;
}

int
bg_rm_rf_at(int at, const char *name)
{
	int fd, r = 0;
	DIR *d;
	struct dirent *e;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES) {
		/* A directory of ours without read or search permission
		 * (a 0000 directory from a tar): open it up, then retry. */
		struct stat st;

		if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
		    fchmodat(at, name, 0700, 0) == 0)
			fd = openat(at, name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		else
			errno = EACCES;
	}
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* A read-only directory (0555, unpacked from a tar) of ours. */
	(void)fchmod(fd, 0700);
	d = fdopendir(fd);
	if (d == NULL) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = bg_rm_rf_at(dirfd(d), e->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}
