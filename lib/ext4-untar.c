/*
 * ext4-untar.c — a tar stream straight into an ext4 image, with
 * libext2fs: no mount, no root, no staging copy on the host's disk, and
 * no fakeroot (the inodes are written with uid and gid 0 directly).
 *
 * The checks (paths, types, limits, no setuid) are lib/untar.c's
 * (bg_untar_stream); this file is the sink.  Paths are resolved one
 * component at a time from the top directory with ext2fs_lookup, and an
 * intermediate component must be a real directory: a symlink, even one
 * an earlier entry made, is never followed, so nothing lands outside
 * the top directory.  Missing parents are made 0755.  An entry whose
 * name exists already is refused, except a directory over a directory
 * (its mode and time are then set).  The approach follows e2fsprogs'
 * own populate code (misc/create_inode.c): new inode, link (expanding
 * a full directory), extent header, data through ext2fs_file_write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>

#include "banger.h"

#define COPY_BUF (256u << 10)

struct ext4 {
	ext2_filsys fs;
	ext2_ino_t top;
	char *buf;
};

static int
fs_fail(struct bg_err *err, const char *what, const char *path, errcode_t e)
{
	bg_err_set(err, e == EXT2_ET_BLOCK_ALLOC_FAIL ||
	    e == EXT2_ET_INODE_ALLOC_FAIL ? "bad_request" : "temporary",
	    "%s \"%.200s\": %s%s", what, path, error_message(e),
	    e == EXT2_ET_BLOCK_ALLOC_FAIL || e == EXT2_ET_INODE_ALLOC_FAIL ?
	    " (the disk is full)" : "");
	return e == EXT2_ET_BLOCK_ALLOC_FAIL || e == EXT2_ET_INODE_ALLOC_FAIL ?
	    -EFBIG : -EIO;
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
walk(struct ext4 *x, const char *path, size_t n, bool make, ext2_ino_t *out,
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
			bg_err_set(err, "bad_request", "\"%.200s\": a name is "
			    "longer than 255 bytes", path);
			return -ENAMETOOLONG;
		}
		memcpy(name, path + off, k);
		name[k] = '\0';
		e = ext2fs_lookup(x->fs, dir, name, (int)k, NULL, &ino);
		if (e == EXT2_ET_FILE_NOT_FOUND && make) {
			e = mkdir_in(x->fs, dir, name);
			if (e == 0)
				e = ext2fs_lookup(x->fs, dir, name, (int)k, NULL,
				    &ino);
			if (e == 0)
				e = set_attrs(x->fs, ino, LINUX_S_IFDIR | 0755,
				    time(NULL));
		}
		if (e)
			return fs_fail(err, "cannot make the directory of", path,
			    e);
		e = ext2fs_read_inode(x->fs, ino, &inode);
		if (e)
			return fs_fail(err, "cannot read", path, e);
		if (!LINUX_S_ISDIR(inode.i_mode)) {
			bg_err_set(err, "bad_request", "cannot unpack \"%.200s\": "
			    "\"%s\" on its way is not a directory (symlinks "
			    "are never followed)", path, name);
			return -ENOTDIR;
		}
		dir = ino;
		off += k + 1;
	}
	*out = dir;
	return 0;
}

/* A regular file: new inode, linked, extent header, the entry's data. */
static int
put_file(struct ext4 *x, struct archive *in, ext2_ino_t dir,
    const char *name, const char *path, unsigned perm, time_t mtime,
    int64_t size, struct bg_err *err)
{
	struct ext2_inode inode;
	ext2_file_t f;
	ext2_ino_t ino;
	la_ssize_t n;
	unsigned int w;
	errcode_t e;
	int r = 0;

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
	e = ext2fs_inode_size_set(x->fs, &inode, (ext2_off64_t)size);
	if (e == 0 && ext2fs_has_feature_extents(x->fs->super)) {
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
	while ((n = archive_read_data(in, x->buf, COPY_BUF)) > 0) {
		e = ext2fs_file_write(f, x->buf, (unsigned int)n, &w);
		if (e || w != (unsigned int)n) {
			r = fs_fail(err, "cannot write", path, e ? e :
			    EXT2_ET_SHORT_WRITE);
			break;
		}
	}
	if (r == 0 && n < 0) {
		bg_err_set(err, "bad_request", "cannot read \"%.200s\" from the "
		    "stream: %s", path, archive_error_string(in));
		r = -EIO;
	}
	e = ext2fs_file_close(f);
	if (r == 0 && e)
		r = fs_fail(err, "cannot write", path, e);
	return r;
}

static int
ext4_entry(void *ctx, struct archive *in, struct archive_entry *e,
    const char *path_in, const char *hl, struct bg_err *err)
{
	struct ext4 *x = ctx;
	char path[PATH_MAX];
	size_t pl = strlen(path_in);
	const char *slash;

	/* "sub/" (how tar names a directory) is "sub". */
	while (pl > 1 && path_in[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(path)) {
		bg_err_set(err, "bad_request", "\"%.200s\": path too long",
		    path_in);
		return -ENAMETOOLONG;
	}
	memcpy(path, path_in, pl);
	path[pl] = '\0';
	slash = strrchr(path, '/');
	const char *name;
	unsigned perm = archive_entry_perm(e) & 01777;
	time_t mtime = archive_entry_mtime(e);
	mode_t type = archive_entry_filetype(e);
	struct ext2_inode inode;
	ext2_ino_t dir, ino, target;
	errcode_t ee;
	int r;

	name = slash != NULL ? slash + 1 : path;
	if (name[0] == '\0' || strlen(name) > 255) {
		bg_err_set(err, "bad_request", "\"%.200s\": not a usable name",
		    path);
		return -EINVAL;
	}
	r = walk(x, path, slash != NULL ? (size_t)(slash - path) : 0, true,
	    &dir, err);
	if (r < 0)
		return r;
	ee = ext2fs_lookup(x->fs, dir, name, (int)strlen(name), NULL, &ino);
	if (ee == 0) {
		if (type == AE_IFDIR && hl == NULL &&
		    ext2fs_read_inode(x->fs, ino, &inode) == 0 &&
		    LINUX_S_ISDIR(inode.i_mode)) {
			ee = set_attrs(x->fs, ino, LINUX_S_IFDIR | perm, mtime);
			return ee ? fs_fail(err, "cannot set the mode of", path,
			    ee) : 0;
		}
		bg_err_set(err, "bad_request", "cannot unpack \"%.200s\": it "
		    "exists already", path);
		return -EEXIST;
	}
	if (ee != EXT2_ET_FILE_NOT_FOUND)
		return fs_fail(err, "cannot look up", path, ee);
	if (hl != NULL) {
		const char *ts = strrchr(hl, '/');
		const char *tn = ts != NULL ? ts + 1 : hl;

		r = walk(x, hl, ts != NULL ? (size_t)(ts - hl) : 0, false,
		    &target, err);
		if (r < 0)
			return r;
		ee = ext2fs_lookup(x->fs, target, tn, (int)strlen(tn), NULL,
		    &ino);
		if (ee == 0)
			ee = ext2fs_read_inode(x->fs, ino, &inode);
		if (ee != 0 || !LINUX_S_ISREG(inode.i_mode)) {
			bg_err_set(err, "bad_request", "cannot unpack \"%.200s\": "
			    "its hard link target \"%.200s\" is not a file "
			    "unpacked before it", path, hl);
			return -ENOENT;
		}
		ee = link_in(x->fs, dir, name, ino, EXT2_FT_REG_FILE);
		if (ee == 0) {
			inode.i_links_count++;
			ee = ext2fs_write_inode(x->fs, ino, &inode);
		}
		return ee ? fs_fail(err, "cannot link", path, ee) : 0;
	}
	if (type == AE_IFDIR) {
		ee = mkdir_in(x->fs, dir, name);
		if (ee == 0)
			ee = ext2fs_lookup(x->fs, dir, name, (int)strlen(name),
			    NULL, &ino);
		if (ee == 0)
			ee = set_attrs(x->fs, ino, LINUX_S_IFDIR | perm, mtime);
		return ee ? fs_fail(err, "cannot make", path, ee) : 0;
	}
	if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(e);

		if (t == NULL || t[0] == '\0' || strlen(t) >= 4096) {
			bg_err_set(err, "bad_request", "\"%.200s\": a symlink "
			    "needs a target of 1 to 4095 bytes", path);
			return -EINVAL;
		}
		ee = ext2fs_symlink(x->fs, dir, 0, name, t);
		if (ee == EXT2_ET_DIR_NO_SPACE) {
			ee = ext2fs_expand_dir(x->fs, dir);
			if (ee == 0)
				ee = ext2fs_symlink(x->fs, dir, 0, name, t);
		}
		if (ee == 0)
			ee = ext2fs_lookup(x->fs, dir, name, (int)strlen(name),
			    NULL, &ino);
		if (ee == 0)
			ee = set_attrs(x->fs, ino, LINUX_S_IFLNK | 0777, mtime);
		return ee ? fs_fail(err, "cannot make the symlink", path, ee) : 0;
	}
	return put_file(x, in, dir, name, path, perm, mtime,
	    archive_entry_size(e), err);
}

int
bg_ext4_untar(const char *image, const char *dir, bg_untar_read_fn *rd,
    void *arg, const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err)
{
	struct ext4 x = { NULL, 0, NULL };
	struct bg_untar_sink sink = { &x, ext4_entry };
	struct ext2_inode inode;
	errcode_t e;
	int r;

	static bool tables;

	if (!tables) {          /* error_message() names ext2 codes */
		initialize_ext2_error_table();
		tables = true;
	}
	memset(st, 0, sizeof(*st));
	if (strchr(dir, '/') != NULL || dir[0] == '\0' || dir[0] == '.') {
		bg_err_set(err, "internal", "bad top directory \"%s\"", dir);
		return -EINVAL;
	}
	x.buf = malloc(COPY_BUF);
	if (x.buf == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	e = ext2fs_open(image, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
	    unix_io_manager, &x.fs);
	if (e == 0)
		e = ext2fs_read_bitmaps(x.fs);
	if (e) {
		free(x.buf);
		if (x.fs != NULL)
			ext2fs_close_free(&x.fs);
		return fs_fail(err, "cannot open the file system in", image, e);
	}
	e = ext2fs_lookup(x.fs, EXT2_ROOT_INO, dir, (int)strlen(dir), NULL,
	    &x.top);
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		e = mkdir_in(x.fs, EXT2_ROOT_INO, dir);
		if (e == 0)
			e = ext2fs_lookup(x.fs, EXT2_ROOT_INO, dir,
			    (int)strlen(dir), NULL, &x.top);
		if (e == 0)
			e = set_attrs(x.fs, x.top, LINUX_S_IFDIR | 0755,
			    time(NULL));
	}
	if (e == 0)
		e = ext2fs_read_inode(x.fs, x.top, &inode);
	if (e == 0 && !LINUX_S_ISDIR(inode.i_mode)) {
		bg_err_set(err, "bad_request", "/%s on the disk is not a "
		    "directory", dir);
		r = -ENOTDIR;
	} else if (e) {
		r = fs_fail(err, "cannot make", dir, e);
	} else {
		r = bg_untar_stream(rd, arg, lim, st, &sink, err);
	}
	/* Bitmaps, group descriptors and the superblock go out here. */
	e = ext2fs_close_free(&x.fs);
	if (r == 0 && e)
		r = fs_fail(err, "cannot finish the file system in", image, e);
	free(x.buf);
	return r;
}
