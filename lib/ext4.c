/*
 * ext4.c — writing files into an ext4 image with libext2fs: no mount,
 * no root, no staging copy on the host's disk, and no fakeroot (every
 * inode is written with uid and gid 0 directly).  The work disk is
 * built with it (lib/workdisk.c), and a tar stream goes into it through
 * bg_ext4_untar (the checks are lib/untar.c's: this file is the sink).
 *
 * Paths are relative to the image's root and resolved one component at
 * a time with ext2fs_lookup; every component on the way must be a real
 * directory: a symlink, even one an earlier entry made, is never
 * followed, so nothing lands outside the directory it was meant for.
 * Missing parents are made 0755.  A name that exists already is
 * refused, except a directory over a directory (its mode and time are
 * then set).  The approach follows e2fsprogs' own populate code
 * (misc/create_inode.c): new inode, link (expanding a full directory),
 * extent header, data through ext2fs_file_write.
 */
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>

#include "banger.h"

#define COPY_BUF (256u << 10)

struct bg_ext4 {
	ext2_filsys fs;
	ext2_ino_t
	    top; /* where relative paths start (the root, or untar's top) */
	char *buf;
};

static bool
disk_full(errcode_t e)
{
	return e == EXT2_ET_BLOCK_ALLOC_FAIL || e == EXT2_ET_INODE_ALLOC_FAIL ||
	    e == EXT2_ET_DIR_NO_SPACE_FOR_CSUM;
}

static int
fs_fail(struct bg_err *err, const char *what, const char *path, errcode_t e)
{
	bg_err_set(err, disk_full(e) ? "bad_request" : "temporary",
	    "%s \"%.200s\": %s%s", what, path, error_message(e),
	    disk_full(e) ? " (the disk is full)" : "");
	return disk_full(e) ? -EFBIG : -EIO;
}

/* Link ino as name in dir, growing dir when it is full. */
static errcode_t
link_in(ext2_filsys fs, ext2_ino_t dir, const char *name, ext2_ino_t ino,
    int ftype)
{
	errcode_t e = ext2fs_link(fs, dir, name, ino, ftype);

	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, dir);
		if (e == 0)
			e = ext2fs_link(fs, dir, name, ino, ftype);
	}
	return e;
}

static errcode_t
mkdir_in(ext2_filsys fs, ext2_ino_t dir, const char *name)
{
	errcode_t e = ext2fs_mkdir(fs, dir, 0, name);

	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(fs, dir);
		if (e == 0)
			e = ext2fs_mkdir(fs, dir, 0, name);
	}
	return e;
}

/* mode (type and permission bits), owner root, times. */
static errcode_t
set_attrs(ext2_filsys fs, ext2_ino_t ino, unsigned mode, time_t mtime)
{
	struct ext2_inode inode;
	errcode_t e = ext2fs_read_inode(fs, ino, &inode);

	if (e)
		return e;
	inode.i_mode = (__u16)mode;
	inode.i_uid = inode.i_gid = 0;
	ext2fs_set_i_uid_high(inode, 0);
	ext2fs_set_i_gid_high(inode, 0);
	inode.i_atime = inode.i_ctime = inode.i_mtime = (__u32)mtime;
	return ext2fs_write_inode(fs, ino, &inode);
}

/*
 * Walk path's first n bytes from the top: the directory it names, made
 * (0755) where missing when make is true.  Anything but a directory on
 * the way is refused: symlinks are never followed.
 */
static int
walk(struct bg_ext4 *x, const char *path, size_t n, bool make, ext2_ino_t *out,
    struct bg_err *err)
{
	ext2_ino_t dir = x->top, ino;
	struct ext2_inode inode;
	char name[256];
	size_t off = 0, k;
	errcode_t e;

	while (off < n) {
		k = strcspn(path + off, "/");
		if (off + k > n)
			k = n - off;
		if (k == 0) {
			off++;
			continue;
		}
		if (k >= sizeof(name)) {
			bg_err_set(err, "bad_request",
			    "\"%.200s\": a name is longer than 255 bytes",
			    path);
			return -ENAMETOOLONG;
		}
		memcpy(name, path + off, k);
		name[k] = '\0';
		e = ext2fs_lookup(x->fs, dir, name, (int)k, NULL, &ino);
		if (e == EXT2_ET_FILE_NOT_FOUND && make) {
			e = mkdir_in(x->fs, dir, name);
			if (e == 0)
				e = ext2fs_lookup(x->fs, dir, name, (int)k,
				    NULL, &ino);
			if (e == 0)
				e = set_attrs(x->fs, ino, LINUX_S_IFDIR | 0755,
				    time(NULL));
		}
		if (e)
			return fs_fail(err, "cannot make the directory of",
			    path, e);
		e = ext2fs_read_inode(x->fs, ino, &inode);
		if (e)
			return fs_fail(err, "cannot read", path, e);
		if (!LINUX_S_ISDIR(inode.i_mode)) {
			bg_err_set(err, "bad_request",
			    "cannot write \"%.200s\": "
			    "\"%s\" on its way is not a directory (symlinks "
			    "are never followed)",
			    path, name);
			return -ENOTDIR;
		}
		dir = ino;
		off += k + 1;
	}
	*out = dir;
	return 0;
}

/*
 * Split path into its directory (walked, parents made) and its last
 * name, refusing a name that exists unless it is a directory and
 * dir_ok: then *existing is its inode.
 */
static int
place(struct bg_ext4 *x, const char *path_in, char *path, size_t cap,
    ext2_ino_t *dir, const char **name, bool dir_ok, ext2_ino_t *existing,
    struct bg_err *err)
{
	size_t pl = strlen(path_in);
	struct ext2_inode inode;
	const char *slash;
	ext2_ino_t ino;
	errcode_t e;
	int r;

	*existing = 0;
	/* "sub/" (how tar names a directory) is "sub". */
	while (pl > 1 && path_in[pl - 1] == '/')
		pl--;
	if (pl >= cap) {
		bg_err_set(err, "bad_request", "\"%.200s\": path too long",
		    path_in);
		return -ENAMETOOLONG;
	}
	memcpy(path, path_in, pl);
	path[pl] = '\0';
	slash = strrchr(path, '/');
	*name = slash != NULL ? slash + 1 : path;
	if ((*name)[0] == '\0' || strlen(*name) > 255 ||
	    strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
		bg_err_set(err, "bad_request", "\"%.200s\": not a usable name",
		    path);
		return -EINVAL;
	}
	r = walk(x, path, slash != NULL ? (size_t)(slash - path) : 0, true, dir,
	    err);
	if (r < 0)
		return r;
	e = ext2fs_lookup(x->fs, *dir, *name, (int)strlen(*name), NULL, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (e)
		return fs_fail(err, "cannot look up", path, e);
	if (dir_ok && ext2fs_read_inode(x->fs, ino, &inode) == 0 &&
	    LINUX_S_ISDIR(inode.i_mode)) {
		*existing = ino;
		return 0;
	}
	bg_err_set(err, "bad_request",
	    "cannot write \"%.200s\": it exists already", path);
	return -EEXIST;
}

int
bg_ext4_open(const char *image, struct bg_ext4 **out, struct bg_err *err)
{
	static bool tables;
	struct bg_ext4 *x;
	errcode_t e;

	if (!tables) { /* error_message() names ext2 codes */
		initialize_ext2_error_table();
		tables = true;
	}
	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (x != NULL)
		x->buf = malloc(COPY_BUF);
	if (x == NULL || x->buf == NULL) {
		free(x);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	x->top = EXT2_ROOT_INO;
	e = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
	    unix_io_manager, &x->fs);
	if (e == 0)
		e = ext2fs_read_bitmaps(x->fs);
	if (e) {
		if (x->fs != NULL)
			ext2fs_close_free(&x->fs);
		free(x->buf);
		free(x);
		return fs_fail(err, "cannot open the file system in", image, e);
	}
	*out = x;
	return 0;
}

int
bg_ext4_close(struct bg_ext4 *x, struct bg_err *err)
{
	errcode_t e = 0;

	if (x == NULL)
		return 0;
	/* Bitmaps, group descriptors and the superblock go out here. */
	if (x->fs != NULL)
		e = ext2fs_close_free(&x->fs);
	free(x->buf);
	free(x);
	return e ? fs_fail(err, "cannot finish the file system", "", e) : 0;
}

int
bg_ext4_mkdir(struct bg_ext4 *x, const char *path_in, unsigned perm,
    time_t mtime, bool exist_ok, struct bg_err *err)
{
	char path[PATH_MAX];
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t e;
	int r;

	if (path_in[0] == '\0') /* the root itself */
		return (e = set_attrs(x->fs, x->top, LINUX_S_IFDIR | perm,
			    mtime)) ?
		    fs_fail(err, "cannot set the mode of", "/", e) :
		    0;
	r = place(x, path_in, path, sizeof(path), &dir, &name, exist_ok, &ino,
	    err);
	if (r < 0)
		return r;
	if (ino == 0) {
		e = mkdir_in(x->fs, dir, name);
		if (e == 0)
			e = ext2fs_lookup(x->fs, dir, name, (int)strlen(name),
			    NULL, &ino);
		if (e)
			return fs_fail(err, "cannot make", path, e);
	}
	e = set_attrs(x->fs, ino, LINUX_S_IFDIR | perm, mtime);
	return e ? fs_fail(err, "cannot set the mode of", path, e) : 0;
}

int
bg_ext4_file(struct bg_ext4 *x, const char *path_in, unsigned perm,
    time_t mtime, bg_untar_read_fn *rd, void *arg, struct bg_err *err)
{
	char path[PATH_MAX];
	struct ext2_inode inode;
	const char *name;
	ext2_ino_t dir, ino;
	ext2_file_t f;
	ssize_t n;
	unsigned int w;
	errcode_t e;
	int r;

	r = place(x, path_in, path, sizeof(path), &dir, &name, false, &ino,
	    err);
	if (r < 0)
		return r;
	e = ext2fs_new_inode(x->fs, dir, LINUX_S_IFREG | 0755, 0, &ino);
	if (e == 0)
		e = link_in(x->fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (e)
		return fs_fail(err, "cannot create", path, e);
	ext2fs_inode_alloc_stats2(x->fs, ino, +1, 0);
	memset(&inode, 0, sizeof(inode));
	inode.i_mode = (__u16)(LINUX_S_IFREG | perm);
	inode.i_atime = inode.i_ctime = inode.i_mtime = (__u32)mtime;
	inode.i_links_count = 1;
	if (ext2fs_has_feature_extents(x->fs->super)) {
		ext2_extent_handle_t h;

		e = ext2fs_extent_open2(x->fs, ino, &inode, &h);
		if (e == 0)
			ext2fs_extent_free(h);
	}
	if (e == 0)
		e = ext2fs_write_new_inode(x->fs, ino, &inode);
	if (e == 0)
		e = ext2fs_file_open(x->fs, ino, EXT2_FILE_WRITE, &f);
	if (e)
		return fs_fail(err, "cannot create", path, e);
	while ((n = rd(arg, x->buf, COPY_BUF)) > 0) {
		e = ext2fs_file_write(f, x->buf, (unsigned int)n, &w);
		if (e || w != (unsigned int)n) {
			r = fs_fail(err, "cannot write", path,
			    e ? e : EXT2_ET_SHORT_WRITE);
			break;
		}
	}
	if (r == 0 && n < 0) {
		bg_err_set(err, n == -EFBIG ? "bad_request" : "temporary",
		    "cannot read \"%.200s\": %s", path, strerror((int)-n));
		r = (int)n;
	}
	/* The size follows the data written; ext2fs_file_close flushes it. */
	e = ext2fs_file_close(f);
	if (r == 0 && e)
		r = fs_fail(err, "cannot write", path, e);
	return r;
}

int
bg_ext4_symlink(struct bg_ext4 *x, const char *path_in, const char *target,
    time_t mtime, struct bg_err *err)
{
	char path[PATH_MAX];
	const char *name;
	ext2_ino_t dir, ino;
	errcode_t e;
	int r;

	if (target == NULL || target[0] == '\0' || strlen(target) >= 4096) {
		bg_err_set(err, "bad_request",
		    "\"%.200s\": a symlink needs a target of 1 to 4095 bytes",
		    path_in);
		return -EINVAL;
	}
	r = place(x, path_in, path, sizeof(path), &dir, &name, false, &ino,
	    err);
	if (r < 0)
		return r;
	e = ext2fs_symlink(x->fs, dir, 0, name, target);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(x->fs, dir);
		if (e == 0)
			e = ext2fs_symlink(x->fs, dir, 0, name, target);
	}
	if (e == 0)
		e = ext2fs_lookup(x->fs, dir, name, (int)strlen(name), NULL,
		    &ino);
	if (e == 0)
		e = set_attrs(x->fs, ino, LINUX_S_IFLNK | 0777, mtime);
	return e ? fs_fail(err, "cannot make the symlink", path, e) : 0;
}

/* A hard link at path to the regular file at target (both relative). */
static int
hardlink(struct bg_ext4 *x, const char *path_in, const char *target,
    struct bg_err *err)
{
	char path[PATH_MAX];
	struct ext2_inode inode;
	const char *name, *ts = strrchr(target, '/');
	const char *tn = ts != NULL ? ts + 1 : target;
	ext2_ino_t dir, tdir, ino;
	errcode_t e;
	int r;

	r = place(x, path_in, path, sizeof(path), &dir, &name, false, &ino,
	    err);
	if (r == 0)
		r = walk(x, target, ts != NULL ? (size_t)(ts - target) : 0,
		    false, &tdir, err);
	if (r < 0)
		return r;
	e = ext2fs_lookup(x->fs, tdir, tn, (int)strlen(tn), NULL, &ino);
	if (e == 0)
		e = ext2fs_read_inode(x->fs, ino, &inode);
	if (e != 0 || !LINUX_S_ISREG(inode.i_mode)) {
		bg_err_set(err, "bad_request",
		    "cannot unpack \"%.200s\": its "
		    "hard link target \"%.200s\" is not a file unpacked before "
		    "it",
		    path, target);
		return -ENOENT;
	}
	e = link_in(x->fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (e == 0) {
		inode.i_links_count++;
		e = ext2fs_write_inode(x->fs, ino, &inode);
	}
	return e ? fs_fail(err, "cannot link", path, e) : 0;
}

/* ---- a tar stream as the sink of lib/untar.c ------------------------ */

struct entry_data {
	struct archive *in;
};

static ssize_t
archive_rd(void *arg, void *buf, size_t n)
{
	struct entry_data *d = arg;
	la_ssize_t k = archive_read_data(d->in, buf, n);

	return k < 0 ? -EBADMSG : (ssize_t)k;
}

static int
ext4_entry(void *ctx, struct archive *in, struct archive_entry *e,
    const char *path, const char *hl, struct bg_err *err)
{
	struct bg_ext4 *x = ctx;
	struct entry_data d = { in };
	unsigned perm = archive_entry_perm(e) & 01777;
	time_t mtime = archive_entry_mtime(e);
	mode_t type = archive_entry_filetype(e);
	int r;

	if (hl != NULL)
		return hardlink(x, path, hl, err);
	if (type == AE_IFDIR)
		return bg_ext4_mkdir(x, path, perm, mtime, true, err);
	if (type == AE_IFLNK)
		return bg_ext4_symlink(x, path, archive_entry_symlink(e), mtime,
		    err);
	r = bg_ext4_file(x, path, perm, mtime, archive_rd, &d, err);
	if (r == -EBADMSG)
		bg_err_set(err, "bad_request",
		    "cannot read \"%.200s\" from the stream: %s", path,
		    archive_error_string(in));
	return r;
}

int
bg_ext4_untar(struct bg_ext4 *x, const char *top, bg_untar_read_fn *rd,
    void *arg, const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err)
{
	struct bg_untar_sink sink = { x, ext4_entry };
	ext2_ino_t root = x->top;
	int r;

	memset(st, 0, sizeof(*st));
	if (strchr(top, '/') != NULL || top[0] == '\0' || top[0] == '.') {
		bg_err_set(err, "internal", "bad top directory \"%s\"", top);
		return -EINVAL;
	}
	r = bg_ext4_mkdir(x, top, 0755, time(NULL), true, err);
	if (r == 0)
		r = walk(x, top, strlen(top), false, &x->top, err);
	if (r == 0)
		r = bg_untar_stream(rd, arg, lim, st, &sink, err);
	x->top = root;
	return r;
}

int
bg_ext4_mkfs(int dirfd, const char *name, const char *path, uint64_t bytes,
    const char *label, unsigned inode_ratio, const char *what,
    struct bg_err *err)
{
	char mkfs[PATH_MAX], ratio[16];
	int fd, r;

	fd = bg_openat_beneath(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		r = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		bg_err_set(err, "temporary", "cannot make %s: %s", what,
		    strerror(-r));
		return r;
	}
	close(fd);
	if (bg_host_tool("mkfs.ext4", NULL, mkfs, sizeof(mkfs)) < 0) {
		bg_err_set(err, "temporary",
		    "mkfs.ext4 is missing: sudo apt-get install e2fsprogs");
		return -ENOENT;
	}
	snprintf(ratio, sizeof(ratio), "%u", inode_ratio);
	{
		char *argv[] = { mkfs, "-q", "-F", "-t", "ext4", "-L",
			(char *)label, "-E", "root_owner=0:0", (char *)path,
			NULL, NULL, NULL };

		if (inode_ratio > 0) { /* -i RATIO before the path */
			argv[9] = "-i";
			argv[10] = ratio;
			argv[11] = (char *)path;
		}
		return bg_run(argv, 120000, err);
	}
}
