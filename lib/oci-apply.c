/*
 * oci-apply.c — OCI image layers applied into an ext4 image with
 * libext2fs (lib/oci-apply.h has the rules; docs/oci-import.md).
 *
 * Every path is made canonical ("a/b/c") and walked one component at a
 * time from the root with ext2fs_lookup; each directory on the way must
 * be a real directory: a symlink is never followed, so nothing lands
 * outside the image whatever an earlier layer made.  The directories of
 * the last path walked are remembered (tar entries come in directory
 * order): only what is below the last of them is ever freed.
 *
 * Within a layer two sets say what the layer itself wrote: the inodes
 * it made (a libext2fs inode bitmap) and the (directory inode, name)
 * pairs of its entries and of every directory on their way (a hash
 * set).  An opaque marker or a whiteout spares those, which is what
 * makes the result independent of the order of the tar's entries.  A
 * name looked up in a directory this layer made is known to be missing
 * unless the layer wrote it, which saves most lookups of a first layer.
 *
 * Freeing follows e2fsprogs (fuse2fs's remove_inode, debugfs's
 * kill_file): a name is unlinked, the link count dropped, and an inode
 * left without links loses its xattr block (ext2fs_free_ext_attr), its
 * blocks (ext2fs_punch) and its bitmap bit; a directory's tree is freed
 * depth first.  New inodes follow misc/create_inode.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>

#include "banger.h"
#include "oci-apply.h"

#define SRC_BUF (128u << 10) /* the blob's bytes, as rd hands them */
#define DATA_BUF (256u << 10) /* a file's data, one chunk at a time */
#define DEPTH_MAX (PATH_MAX / 2) /* components of a path, at most */
#define WH ".wh."
#define WH_OPQ ".wh..wh..opq"
#define WH_META ".wh..wh."
#define XATTR_NAME_MAX 255 /* Linux's, prefix included */

/* (directory inode, name) pairs a layer wrote or walked through. */
struct pair {
	uint64_t hash;
	uint32_t ino, off, len; /* len 0: an empty slot */
};

struct bg_oci_apply {
	ext2_filsys fs;
	char *buf; /* DATA_BUF */
	char *ibuf; /* one on-disk inode, zeroed for new ones */
	char *dbuf; /* one directory block */
	bool in_layer;
	ext2fs_inode_bitmap fresh; /* inodes the current layer made */
	struct pair *pairs;
	size_t cap, used; /* cap: a power of two */
	char *names;
	size_t names_len, names_cap;
	/* The directories of the last path walked: chain[0, depth). */
	char chain[PATH_MAX];
	unsigned depth;
	size_t *chain_end; /* where component i ends in chain */
	ext2_ino_t *chain_ino; /* the directory component i names */
};

/* Attributes of an inode to write. */
struct attrs {
	unsigned mode; /* LINUX_S_IF* | 07777 */
	uint32_t uid, gid;
	int64_t mtime;
	long nsec;
	unsigned major, minor; /* devices */
	struct archive_entry *xattrs; /* or NULL */
};

/* ---- errors ------------------------------------------------------- */

static bool
disk_full(errcode_t e)
{
	return e == EXT2_ET_BLOCK_ALLOC_FAIL || e == EXT2_ET_INODE_ALLOC_FAIL ||
	    e == EXT2_ET_DIR_NO_SPACE_FOR_CSUM;
}

static int
fs_fail(struct bg_err *err, const char *what, const char *path, errcode_t e)
{
	if (disk_full(e)) {
		bg_err_set(err, "bad_request",
		    "the image is full: cannot %s \"%.200s\" (%s)", what, path,
		    error_message(e));
		return -EFBIG;
	}
	if (e == EXT2_ET_EA_NO_SPACE || e == EXT2_ET_EA_KEY_NOT_FOUND ||
	    e == EXT2_ET_INVALID_ARGUMENT || e == EINVAL) {
		bg_err_set(err, "bad_request", "cannot %s \"%.200s\": %s", what,
		    path, error_message(e));
		return -EINVAL;
	}
	bg_err_set(err, "temporary", "cannot %s \"%.200s\": %s", what, path,
	    error_message(e));
	return e == EXT2_ET_NO_MEMORY || e == ENOMEM ? -ENOMEM : -EIO;
}

static int
no_memory(struct bg_err *err)
{
	bg_err_set(err, "temporary", "out of memory");
	return -ENOMEM;
}

/* ---- paths -------------------------------------------------------- */

/*
 * p made canonical in out (cap >= PATH_MAX): "./a//b/./c/" -> "a/b/c",
 * "." -> "" (the root).  A leading "/" is -EPERM unless abs_ok (then
 * dropped); a ".." component is -EPERM; -ENAMETOOLONG past PATH_MAX or
 * for a name over 255 bytes.
 */
static int
canon(const char *p, bool abs_ok, char *out, size_t cap)
{
	size_t o = 0, k;

	if (p[0] == '/' && !abs_ok)
		return -EPERM;
	while (*p != '\0') {
		k = strcspn(p, "/");
		if (k == 2 && p[0] == '.' && p[1] == '.')
			return -EPERM;
		if (k > 255)
			return -ENAMETOOLONG;
		if (k > 0 && !(k == 1 && p[0] == '.')) {
			if (o + (o > 0) + k >= cap)
				return -ENAMETOOLONG;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, k);
			o += k;
		}
		p += k + (p[k] == '/');
	}
	out[o] = '\0';
	return 0;
}

/* The offset of path's last name (0 when it has one component). */
static size_t
base_off(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? (size_t)(s - path) + 1 : 0;
}

/* ---- the layer's own pairs ---------------------------------------- */

static uint64_t
pair_hash(ext2_ino_t dir, const char *name, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < 4; i++)
		h = (h ^ ((dir >> (8 * i)) & 0xff)) * 1099511628211ULL;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return h;
}

static struct pair *
pair_slot(struct pair *t, size_t cap, const char *names, uint64_t h,
    ext2_ino_t dir, const char *name, size_t len)
{
	size_t i = (size_t)h & (cap - 1);

	while (t[i].len != 0 &&
	    !(t[i].hash == h && t[i].ino == dir && t[i].len == len &&
		memcmp(names + t[i].off, name, len) == 0))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static bool
seen(struct bg_oci_apply *a, ext2_ino_t dir, const char *name, size_t len)
{
	if (!a->in_layer || a->used == 0)
		return false;
	return pair_slot(a->pairs, a->cap, a->names, pair_hash(dir, name, len),
		   dir, name, len)
		   ->len != 0;
}

static int
see(struct bg_oci_apply *a, ext2_ino_t dir, const char *name, size_t len)
{
	uint64_t h = pair_hash(dir, name, len);
	struct pair *p;
	size_t i;

	if ((a->used + 1) * 2 > a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 4096;
		struct pair *t = calloc(ncap, sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		for (i = 0; i < a->cap; i++)
			if (a->pairs[i].len != 0)
				*pair_slot(t, ncap, a->names, a->pairs[i].hash,
				    a->pairs[i].ino, a->names + a->pairs[i].off,
				    a->pairs[i].len) = a->pairs[i];
		free(a->pairs);
		a->pairs = t;
		a->cap = ncap;
	}
	p = pair_slot(a->pairs, a->cap, a->names, h, dir, name, len);
	if (p->len != 0)
		return 0;
	if (a->names_len + len > a->names_cap) {
		size_t ncap = a->names_cap ? a->names_cap * 2 : 65536;
		char *n;

		while (ncap < a->names_len + len)
			ncap *= 2;
		if ((n = realloc(a->names, ncap)) == NULL)
			return -ENOMEM;
		a->names = n;
		a->names_cap = ncap;
	}
	memcpy(a->names + a->names_len, name, len);
	p->hash = h;
	p->ino = dir;
	p->off = (uint32_t)a->names_len;
	p->len = (uint32_t)len;
	a->names_len += len;
	a->used++;
	return 0;
}

static bool
fresh(struct bg_oci_apply *a, ext2_ino_t ino)
{
	return a->in_layer && ext2fs_test_inode_bitmap2(a->fresh, ino);
}

static void
made(struct bg_oci_apply *a, ext2_ino_t ino)
{
	if (a->in_layer)
		ext2fs_mark_inode_bitmap2(a->fresh, ino);
}

/*
 * path (canonical, its directories just walked: they are the chain) was
 * written by this layer: it and every directory on its way.
 */
static int
see_path(struct bg_oci_apply *a, const char *path)
{
	size_t start = 0, k;
	ext2_ino_t dir = EXT2_ROOT_INO;
	unsigned i = 0;

	if (!a->in_layer || path[0] == '\0')
		return 0;
	for (;;) {
		k = strcspn(path + start, "/");
		if (see(a, dir, path + start, k) < 0)
			return -ENOMEM;
		if (path[start + k] == '\0')
			return 0;
		if (i >= a->depth)
			return 0; /* cannot happen: the chain is path's */
		dir = a->chain_ino[i++];
		start += k + 1;
	}
}

/* ---- inodes ------------------------------------------------------- */

static bool
large_inodes(ext2_filsys fs)
{
	return EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE;
}

/* ext4's times: 32 bits of seconds, then 2 epoch bits and nanoseconds. */
static void
set_times(struct ext2_inode_large *in, int64_t sec, long nsec)
{
	const int64_t lo = INT32_MIN, hi = lo + (4LL << 32) - 1;
	uint32_t extra;

	if (sec < lo)
		sec = lo;
	if (sec > hi)
		sec = hi;
	if (nsec < 0 || nsec > 999999999)
		nsec = 0;
	extra = (uint32_t)(((sec - (int32_t)sec) >> 32) & EXT4_EPOCH_MASK) |
	    ((uint32_t)nsec << EXT4_EPOCH_BITS);
	in->i_atime = in->i_ctime = in->i_mtime = (uint32_t)sec;
	if (in->i_extra_isize >= 24) { /* up to i_crtime_extra */
		in->i_atime_extra = in->i_ctime_extra = in->i_mtime_extra =
		    extra;
		in->i_crtime = (uint32_t)sec;
		in->i_crtime_extra = extra;
	}
}

static void
set_owner(struct ext2_inode_large *in, uint32_t uid, uint32_t gid)
{
	in->i_uid = (__u16)uid;
	in->i_gid = (__u16)gid;
	ext2fs_set_i_uid_high(*in, uid >> 16);
	ext2fs_set_i_gid_high(*in, gid >> 16);
}

static errcode_t
read_large(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
	memset(in, 0, sizeof(*in));
	return ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)in,
	    sizeof(*in));
}

static errcode_t
write_large(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
	return ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)in,
	    sizeof(*in));
}

/* Mode (permission bits), owner and times of an existing inode. */
static errcode_t
set_attrs(ext2_filsys fs, ext2_ino_t ino, const struct attrs *at)
{
	struct ext2_inode_large in;
	errcode_t e = read_large(fs, ino, &in);

	if (e)
		return e;
	in.i_mode = (__u16)((in.i_mode & LINUX_S_IFMT) | (at->mode & 07777));
	set_owner(&in, at->uid, at->gid);
	set_times(&in, at->mtime, at->nsec);
	return write_large(fs, ino, &in);
}

static int
ftype(unsigned mode)
{
	switch (mode & LINUX_S_IFMT) {
	case LINUX_S_IFREG:
		return EXT2_FT_REG_FILE;
	case LINUX_S_IFDIR:
		return EXT2_FT_DIR;
	case LINUX_S_IFLNK:
		return EXT2_FT_SYMLINK;
	case LINUX_S_IFCHR:
		return EXT2_FT_CHRDEV;
	case LINUX_S_IFBLK:
		return EXT2_FT_BLKDEV;
	case LINUX_S_IFIFO:
		return EXT2_FT_FIFO;
	default:
		return EXT2_FT_SOCK;
	}
}

/*
 * ext2fs_link looks for room in every block of a directory, which makes
 * filling one O(n^2); a layer's entries go into a directory one after
 * the other, so the room is at its end.  Append into the last block:
 * the last entry's slack, or that entry when it is empty.  *how: 1
 * done, 0 no room there, -1 a directory this does not do (hashed,
 * inline, odd): ext2fs_link's turn.
 */
static errcode_t
append_link(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    ext2_ino_t ino, int ft, int *how)
{
	ext2_filsys fs = a->fs;
	const unsigned bs = fs->blocksize, len = (unsigned)strlen(name);
	struct ext2_dir_entry *d = NULL;
	struct ext2_inode in;
	unsigned int off = 0, rec = 0, end = bs, need, used;
	blk64_t pblk = 0;
	errcode_t e;

	*how = -1;
	e = ext2fs_read_inode(fs, dir, &in);
	if (e || (in.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL)) ||
	    EXT2_I_SIZE(&in) < bs || EXT2_I_SIZE(&in) % bs != 0)
		return e;
	e = ext2fs_bmap2(fs, dir, &in, NULL, 0, EXT2_I_SIZE(&in) / bs - 1, NULL,
	    &pblk);
	if (e || pblk == 0)
		return e;
	e = ext2fs_read_dir_block4(fs, pblk, a->dbuf, 0, dir);
	if (e)
		return e;
	if (ext2fs_has_feature_metadata_csum(fs->super)) {
		if (!ext2fs_dirent_has_tail(fs,
			(struct ext2_dir_entry *)a->dbuf))
			return 0;
		end -= sizeof(struct ext2_dir_entry_tail);
	}
	for (;;) { /* to the last entry */
		d = (struct ext2_dir_entry *)(a->dbuf + off);
		if (ext2fs_get_rec_len(fs, d, &rec) || rec < 8 ||
		    rec > end - off)
			return 0;
		if (off + rec == end)
			break;
		off += rec;
	}
	need = EXT2_DIR_REC_LEN(len);
	used = d->inode != 0 ? EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(d)) : 0;
	if (rec < used + need) {
		*how = 0;
		return 0;
	}
	if (used > 0) {
		ext2fs_set_rec_len(fs, used, d);
		d = (struct ext2_dir_entry *)((char *)d + used);
		ext2fs_set_rec_len(fs, rec - used, d);
	}
	d->inode = ino;
	ext2fs_dirent_set_name_len(d, (int)len);
	ext2fs_dirent_set_file_type(d,
	    ext2fs_has_feature_filetype(fs->super) ? ft : 0);
	memcpy(d->name, name, len);
	e = ext2fs_write_dir_block4(fs, pblk, a->dbuf, 0, dir);
	if (e == 0)
		*how = 1;
	return e;
}

/* Link ino as name in dir, growing dir when it is full. */
static errcode_t
link_in(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    ext2_ino_t ino, int ft)
{
	errcode_t e;
	int how;

	e = append_link(a, dir, name, ino, ft, &how);
	if (e || how == 1)
		return e;
	if (how == 0) { /* the last block is full: one more */
		e = ext2fs_expand_dir(a->fs, dir);
		if (e == 0)
			e = append_link(a, dir, name, ino, ft, &how);
		if (e || how == 1)
			return e;
	}
	e = ext2fs_link(a->fs, dir, name, ino, ft);
	if (e == EXT2_ET_DIR_NO_SPACE) {
		e = ext2fs_expand_dir(a->fs, dir);
		if (e == 0)
			e = ext2fs_link(a->fs, dir, name, ino, ft);
	}
	return e;
}

/* The last name gone from a directory's subdirectories: one link less. */
static errcode_t
dir_unref(ext2_filsys fs, ext2_ino_t dir)
{
	struct ext2_inode in;
	errcode_t e = ext2fs_read_inode(fs, dir, &in);

	/* 1 is dir_nlink's "too many to count": it stays. */
	if (e == 0 && in.i_links_count > 2) {
		in.i_links_count--;
		e = ext2fs_write_inode(fs, dir, &in);
	}
	return e;
}

/* ---- freeing ------------------------------------------------------ */

static errcode_t drop(struct bg_oci_apply *a, ext2_ino_t ino, unsigned depth);

struct drop_ctx {
	struct bg_oci_apply *a;
	unsigned depth;
	errcode_t e;
};

static bool
dot_or_dotdot(const struct ext2_dir_entry *d)
{
	int n = ext2fs_dirent_name_len(d);

	return d->name[0] == '.' && (n == 1 || (n == 2 && d->name[1] == '.'));
}

static int
drop_child(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off, int bs,
    char *buf, void *p)
{
	struct drop_ctx *c = p;

	(void)dir, (void)entry, (void)off, (void)bs, (void)buf;
	if (d->inode == 0 || dot_or_dotdot(d))
		return 0;
	c->e = drop(c->a, d->inode, c->depth + 1);
	return c->e ? DIRENT_ABORT : 0;
}

/* An inode without links: its xattr block, its blocks, its bit. */
static errcode_t
free_inode(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode_large *in)
{
	bool dir = LINUX_S_ISDIR(in->i_mode);
	errcode_t e;

	in->i_links_count = 0;
	e = ext2fs_free_ext_attr(fs, ino, in);
	if (e == 0 &&
	    ext2fs_inode_has_valid_blocks2(fs, (struct ext2_inode *)in))
		e = ext2fs_punch(fs, ino, (struct ext2_inode *)in, NULL, 0,
		    ~0ULL);
	if (e)
		return e;
	in->i_dtime = fs->now ? (__u32)fs->now : (__u32)time(NULL);
	e = write_large(fs, ino, in);
	if (e == 0)
		ext2fs_inode_alloc_stats2(fs, ino, -1, dir);
	return e;
}

/*
 * One name of ino is gone: drop a link, and free the inode when none is
 * left; a directory (it has one name) is freed with its whole tree.
 */
static errcode_t
drop(struct bg_oci_apply *a, ext2_ino_t ino, unsigned depth)
{
	struct ext2_inode_large in;
	errcode_t e = read_large(a->fs, ino, &in);

	if (e)
		return e;
	if (LINUX_S_ISDIR(in.i_mode)) {
		struct drop_ctx c = { a, depth, 0 };

		if (depth > DEPTH_MAX)
			return EXT2_ET_DIR_CORRUPTED;
		e = ext2fs_dir_iterate2(a->fs, ino, 0, NULL, drop_child, &c);
		if (e == 0)
			e = c.e;
		if (e == 0)
			e = read_large(a->fs, ino, &in);
		if (e)
			return e;
	} else if (in.i_links_count > 1) {
		in.i_links_count--;
		return write_large(a->fs, ino, &in);
	}
	return free_inode(a->fs, ino, &in);
}

/* name (ino) in dir removed, a directory with its tree. */
static errcode_t
remove_name(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    ext2_ino_t ino)
{
	struct ext2_inode in;
	errcode_t e = ext2fs_read_inode(a->fs, ino, &in);

	if (e == 0)
		e = ext2fs_unlink(a->fs, dir, name, ino, 0);
	if (e == 0)
		e = drop(a, ino, 0);
	/* The walked directories (path's) are not below name: they stay. */
	if (e == 0 && LINUX_S_ISDIR(in.i_mode))
		e = dir_unref(a->fs, dir);
	return e;
}

/*
 * The opaque directory dir: its children of the lower layers go, this
 * layer's stay; in a directory of a lower layer this layer went through,
 * the same again below.
 */
struct opq_ctx {
	struct bg_oci_apply *a;
	unsigned depth, subdirs_gone;
	errcode_t e;
};

static errcode_t opaque(struct bg_oci_apply *a, ext2_ino_t dir, unsigned depth);

static int
opaque_child(ext2_ino_t dir, int entry, struct ext2_dir_entry *d, int off,
    int bs, char *buf, void *p)
{
	struct opq_ctx *c = p;
	struct bg_oci_apply *a = c->a;
	int n = ext2fs_dirent_name_len(d);
	struct ext2_inode in;

	(void)entry, (void)off, (void)bs, (void)buf;
	if (d->inode == 0 || dot_or_dotdot(d))
		return 0;
	/* mkfs's lost+found is not a layer's to delete. */
	if (dir == EXT2_ROOT_INO && n == 10 &&
	    memcmp(d->name, "lost+found", 10) == 0)
		return 0;
	c->e = ext2fs_read_inode(a->fs, d->inode, &in);
	if (c->e)
		return DIRENT_ABORT;
	if (seen(a, dir, d->name, (size_t)n)) {
		if (LINUX_S_ISDIR(in.i_mode) && !fresh(a, d->inode))
			c->e = opaque(a, d->inode, c->depth + 1);
		return c->e ? DIRENT_ABORT : 0;
	}
	c->e = drop(a, d->inode, c->depth + 1);
	if (c->e)
		return DIRENT_ABORT;
	if (LINUX_S_ISDIR(in.i_mode))
		c->subdirs_gone++;
	d->inode = 0; /* an empty entry, as ext2fs_unlink leaves a first one */
	return DIRENT_CHANGED;
}

static errcode_t
opaque(struct bg_oci_apply *a, ext2_ino_t dir, unsigned depth)
{
	struct opq_ctx c = { a, depth, 0, 0 };
	struct ext2_inode in;
	errcode_t e;

	if (depth > DEPTH_MAX)
		return EXT2_ET_DIR_CORRUPTED;
	e = ext2fs_dir_iterate2(a->fs, dir, 0, NULL, opaque_child, &c);
	if (e == 0)
		e = c.e;
	if (e == 0 && c.subdirs_gone > 0) {
		e = ext2fs_read_inode(a->fs, dir, &in);
		/* 1 is dir_nlink's "too many to count": it stays. */
		if (e == 0 && in.i_links_count > 2) {
			if (in.i_links_count > c.subdirs_gone + 2)
				in.i_links_count -= (__u16)c.subdirs_gone;
			else
				in.i_links_count = 2;
			e = ext2fs_write_inode(a->fs, dir, &in);
		}
	}
	return e;
}

/* ---- walking ------------------------------------------------------ */

static int make_dir(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    const char *path, const struct attrs *at, ext2_ino_t *out,
    struct bg_err *err);

/*
 * The directory path's first n bytes name (canonical), from the root.
 * Each component must be a directory: a symlink is refused (-ELOOP,
 * naming it), another non-directory is -ENOTDIR; a missing one is made
 * 0755 root:root when make, else -ENOENT.  what is the entry named in
 * messages.
 */
static int
walk(struct bg_oci_apply *a, const char *what, const char *path, size_t n,
    bool make, int64_t mtime, ext2_ino_t *out, struct bg_err *err)
{
	struct attrs at = { LINUX_S_IFDIR | 0755, 0, 0, mtime, 0, 0, 0, NULL };
	ext2_ino_t dir = EXT2_ROOT_INO, ino;
	struct ext2_inode in;
	char name[256];
	size_t off = 0, k;
	unsigned i;
	errcode_t e;
	int r;

	/* The longest prefix of the chain that is a prefix of path. */
	for (i = 0; i < a->depth; i++) {
		size_t end = a->chain_end[i];

		if (end > n || (end < n && path[end] != '/') ||
		    memcmp(a->chain, path, end) != 0)
			break;
		dir = a->chain_ino[i];
		off = end + 1;
	}
	a->depth = i;
	memcpy(a->chain, path, n);
	while (off < n) {
		k = strcspn(path + off, "/");
		if (off + k > n)
			k = n - off;
		memcpy(name, path + off, k);
		name[k] = '\0';
		if (fresh(a, dir) && !seen(a, dir, name, k))
			e = EXT2_ET_FILE_NOT_FOUND;
		else
			e = ext2fs_lookup(a->fs, dir, name, (int)k, NULL, &ino);
		if (e == EXT2_ET_FILE_NOT_FOUND && !make) {
			bg_err_set(err, "not_found", "\"%.200s\": no \"%.*s\"",
			    what, (int)(off + k), path);
			return -ENOENT;
		}
		if (e == EXT2_ET_FILE_NOT_FOUND) {
			r = make_dir(a, dir, name, what, &at, &ino, err);
			if (r < 0)
				return r;
		} else if (e) {
			return fs_fail(err, "look up", what, e);
		} else if ((e = ext2fs_read_inode(a->fs, ino, &in)) != 0) {
			return fs_fail(err, "read", what, e);
		} else if (LINUX_S_ISLNK(in.i_mode)) {
			bg_err_set(err, "bad_request",
			    "%s \"%.200s\" goes through the symlink \"%.*s\": "
			    "refused (symlinks are never followed)",
			    a->in_layer ? "layer entry" : "path", what,
			    (int)(off + k), path);
			return -ELOOP;
		} else if (!LINUX_S_ISDIR(in.i_mode)) {
			bg_err_set(err, "bad_request",
			    "%s \"%.200s\": \"%.*s\" on its way is not a "
			    "directory",
			    a->in_layer ? "layer entry" : "path", what,
			    (int)(off + k), path);
			return -ENOTDIR;
		}
		dir = ino;
		a->chain_end[a->depth] = off + k;
		a->chain_ino[a->depth++] = ino;
		off += k + 1;
	}
	*out = dir;
	return 0;
}

/*
 * Walk path's directories (made when make) and look up its last name:
 * *dir, *name (into path) and *ino (0 when missing).
 */
static int
place(struct bg_oci_apply *a, const char *what, const char *path, bool make,
    int64_t mtime, ext2_ino_t *dir, const char **name, ext2_ino_t *ino,
    struct bg_err *err)
{
	size_t b = base_off(path);
	errcode_t e;
	int r;

	*ino = 0;
	*name = path + b;
	r = walk(a, what, path, b ? b - 1 : 0, make, mtime, dir, err);
	if (r < 0)
		return r;
	if (fresh(a, *dir) && !seen(a, *dir, *name, strlen(*name)))
		return 0;
	e = ext2fs_lookup(a->fs, *dir, *name, (int)strlen(*name), NULL, ino);
	if (e == EXT2_ET_FILE_NOT_FOUND) {
		*ino = 0;
		return 0;
	}
	return e ? fs_fail(err, "look up", what, e) : 0;
}

/* ---- writing ------------------------------------------------------ */

static int
check_name(const char *name, const char *path, struct bg_err *err)
{
	if (name[0] == '\0' || strlen(name) > 255) {
		bg_err_set(err, "bad_request", "\"%.200s\": not a usable name",
		    path);
		return -EINVAL;
	}
	return 0;
}

/* Which xattrs a layer may set: the ones Linux's ext4 keeps. */
static bool
xattr_ok(const char *name)
{
	if (strlen(name) > XATTR_NAME_MAX)
		return false;
	return (strncmp(name, "user.", 5) == 0 && name[5] != '\0') ||
	    (strncmp(name, "trusted.", 8) == 0 && name[8] != '\0') ||
	    (strncmp(name, "security.", 9) == 0 && name[9] != '\0') ||
	    strcmp(name, "system.posix_acl_access") == 0 ||
	    strcmp(name, "system.posix_acl_default") == 0;
}

struct xnames {
	char name[XATTR_NAME_MAX + 1];
	bool found;
};

static int
first_xattr(char *name, char *value, size_t len, void *p)
{
	struct xnames *x = p;

	(void)value, (void)len;
	if (strcmp(name, "system.data") == 0)
		return 0; /* inline data, not an attribute */
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->found = true;
	return XATTR_ABORT;
}

/*
 * The entry's xattrs on ino; with replace (a directory over a
 * directory) the old ones go first.
 */
static int
set_xattrs(struct bg_oci_apply *a, ext2_ino_t ino, struct archive_entry *ae,
    bool replace, const char *path, struct bg_err *err)
{
	struct ext2_xattr_handle *h = NULL;
	const char *name;
	const void *value;
	size_t size, count = 0, i;
	struct xnames x;
	errcode_t e;
	int n = ae != NULL ? archive_entry_xattr_reset(ae) : 0;

	if (n == 0 && !replace)
		return 0;
	if (ae != NULL)
		while (archive_entry_xattr_next(ae, &name, &value, &size) ==
		    ARCHIVE_OK)
			if (!xattr_ok(name)) {
				bg_err_set(err, "bad_request",
				    "layer entry \"%.200s\": the extended "
				    "attribute \"%.100s\" is not one ext4 keeps",
				    path, name);
				return -EINVAL;
			}
	e = ext2fs_xattrs_open(a->fs, ino, &h);
	if (e == EXT2_ET_MISSING_EA_FEATURE && n == 0)
		return 0;
	if (e == 0)
		e = ext2fs_xattrs_read(h);
	if (e == 0 && replace)
		e = ext2fs_xattrs_count(h, &count);
	for (i = 0; e == 0 && i < count; i++) {
		x.found = false;
		e = ext2fs_xattrs_iterate(h, first_xattr, &x);
		if (e || !x.found)
			break;
		e = ext2fs_xattr_remove(h, x.name);
	}
	if (e == 0 && n > 0) {
		archive_entry_xattr_reset(ae);
		while (e == 0 &&
		    archive_entry_xattr_next(ae, &name, &value, &size) ==
			ARCHIVE_OK)
			e = ext2fs_xattr_set(h, name, value, size);
	}
	if (h != NULL) {
		errcode_t ce = ext2fs_xattrs_close(&h);

		if (e == 0)
			e = ce;
	}
	return e ? fs_fail(err, "set the extended attributes of", path, e) : 0;
}

/*
 * A new directory name in dir (its parent gains a link; dir_nlink's 1
 * past 65000), with at's attributes.
 */
static int
make_dir(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    const char *path, const struct attrs *at, ext2_ino_t *out,
    struct bg_err *err)
{
	struct ext2_inode pin;
	ext2_ino_t ino;
	errcode_t e;
	__u16 plinks;

	e = ext2fs_read_inode(a->fs, dir, &pin);
	if (e)
		return fs_fail(err, "read the directory of", path, e);
	plinks = pin.i_links_count;
	if ((plinks == 1 || plinks >= EXT2_LINK_MAX - 1) &&
	    !ext2fs_has_feature_dir_nlink(a->fs->super)) {
		bg_err_set(err, "bad_request",
		    "cannot make \"%.200s\": too many subdirectories", path);
		return -EMLINK;
	}
	e = ext2fs_new_inode(a->fs, dir, LINUX_S_IFDIR | 0755, NULL, &ino);
	if (e == 0)
		e = ext2fs_mkdir(a->fs, dir, ino, NULL);
	if (e == 0)
		e = link_in(a, dir, name, ino, EXT2_FT_DIR);
	if (e == 0 && (plinks == 1 || plinks >= EXT2_LINK_MAX - 1)) {
		e = ext2fs_read_inode(a->fs, dir, &pin);
		if (e == 0) {
			pin.i_links_count = 1;
			e = ext2fs_write_inode(a->fs, dir, &pin);
		}
	}
	if (e == 0)
		e = set_attrs(a->fs, ino, at);
	if (e)
		return fs_fail(err, "make the directory", path, e);
	made(a, ino);
	*out = ino;
	return 0;
}

/* A new inode of at's type (not a directory or symlink) as name in dir. */
static int
make_inode(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    const char *path, const struct attrs *at, ext2_ino_t *out,
    struct ext2_inode_large *in, struct bg_err *err)
{
	ext2_ino_t ino;
	errcode_t e;

	e = ext2fs_new_inode(a->fs, dir, (int)at->mode, NULL, &ino);
	if (e == 0)
		e = link_in(a, dir, name, ino, ftype(at->mode));
	if (e)
		return fs_fail(err, "create", path, e);
	ext2fs_inode_alloc_stats2(a->fs, ino, +1, 0);
	made(a, ino);
	memset(in, 0, sizeof(*in));
	in->i_mode = (__u16)at->mode;
	in->i_links_count = 1;
	set_owner(in, at->uid, at->gid);
	if (large_inodes(a->fs))
		in->i_extra_isize = sizeof(*in) - EXT2_GOOD_OLD_INODE_SIZE;
	set_times(in, at->mtime, at->nsec);
	if (LINUX_S_ISCHR(at->mode) || LINUX_S_ISBLK(at->mode)) {
		/* misc/create_inode.c's encoding: old, else new. */
		if (at->major < 256 && at->minor < 256) {
			in->i_block[0] = at->major * 256 + at->minor;
		} else {
			in->i_block[1] = (at->minor & 0xff) | (at->major << 8) |
			    ((at->minor & ~0xffu) << 12);
		}
	} else if (LINUX_S_ISREG(at->mode) &&
	    ext2fs_has_feature_extents(a->fs->super)) {
		ext2_extent_handle_t h;

		e = ext2fs_extent_open2(a->fs, ino, (struct ext2_inode *)in,
		    &h);
		if (e)
			return fs_fail(err, "create", path, e);
		ext2fs_extent_free(h);
	}
	/* The whole on-disk inode: a freed one's xattrs must not show. */
	memset(a->ibuf, 0, EXT2_INODE_SIZE(a->fs->super));
	memcpy(a->ibuf, in,
	    large_inodes(a->fs) ? sizeof(*in) : EXT2_GOOD_OLD_INODE_SIZE);
	e = ext2fs_write_inode_full(a->fs, ino, (struct ext2_inode *)a->ibuf,
	    EXT2_INODE_SIZE(a->fs->super));
	if (e)
		return fs_fail(err, "create", path, e);
	*out = ino;
	return 0;
}

static bool
all_zero(const char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/*
 * Fill buf from rd (up to n bytes, fewer only at the end): the count,
 * or -errno.
 */
static ssize_t
fill(bg_untar_read_fn *rd, void *arg, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = rd(arg, buf + got, n - got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/*
 * rd's bytes as ino's data, DATA_BUF at a time; all-zero blocks are
 * left unallocated (holes), the size set at the end.
 */
static int
write_data(struct bg_oci_apply *a, ext2_ino_t ino, struct ext2_inode_large *in,
    const char *path, bg_untar_read_fn *rd, void *arg, struct bg_err *err)
{
	const size_t bs = a->fs->blocksize;
	ext2_file_t f;
	uint64_t pos = 0;
	__u64 size = 0;
	ssize_t n = 0;
	size_t i, j;
	unsigned int w;
	errcode_t e, ce;
	int r = 0;

	e = ext2fs_file_open2(a->fs, ino, (struct ext2_inode *)in,
	    EXT2_FILE_WRITE, &f);
	if (e)
		return fs_fail(err, "write", path, e);
	while (e == 0 && (n = fill(rd, arg, a->buf, DATA_BUF)) > 0) {
		for (i = 0; e == 0 && i < (size_t)n; i = j) {
			size_t len = (size_t)n - i < bs ? (size_t)n - i : bs;

			if (all_zero(a->buf + i, len)) {
				j = i + len;
				continue;
			}
			for (j = i + len; j < (size_t)n; j += len) {
				len = (size_t)n - j < bs ? (size_t)n - j : bs;
				if (all_zero(a->buf + j, len))
					break;
			}
			e = ext2fs_file_llseek(f, pos + i, EXT2_SEEK_SET, NULL);
			if (e == 0)
				e = ext2fs_file_write(f, a->buf + i,
				    (unsigned int)(j - i), &w);
			if (e == 0 && w != j - i)
				e = EXT2_ET_SHORT_WRITE;
		}
		pos += (uint64_t)n;
	}
	if (e == 0 && n < 0)
		r = (int)n;
	if (e == 0 && r == 0)
		e = ext2fs_file_get_lsize(f, &size);
	if (e == 0 && r == 0 && size != pos)
		e = ext2fs_file_set_size2(f, pos);
	ce = ext2fs_file_close(f);
	if (e == 0)
		e = ce;
	if (e)
		return fs_fail(err, "write", path, e);
	return r;
}

struct mem_src {
	const char *p;
	size_t len;
};

static ssize_t
mem_read(void *arg, void *buf, size_t n)
{
	struct mem_src *m = arg;

	if (n > m->len)
		n = m->len;
	memcpy(buf, m->p, n);
	m->p += n;
	m->len -= n;
	return (ssize_t)n;
}

/*
 * A regular file, device or FIFO name in dir; a regular file's data
 * from rd.
 */
static int
make_node(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    const char *path, const struct attrs *at, bg_untar_read_fn *rd, void *arg,
    struct bg_err *err)
{
	struct ext2_inode_large in;
	ext2_ino_t ino = 0;
	int r = make_inode(a, dir, name, path, at, &ino, &in, err);

	if (r == 0 && LINUX_S_ISREG(at->mode) && rd != NULL)
		r = write_data(a, ino, &in, path, rd, arg, err);
	if (r == 0)
		r = set_xattrs(a, ino, at->xattrs, false, path, err);
	return r;
}

static int
make_symlink(struct bg_oci_apply *a, ext2_ino_t dir, const char *name,
    const char *path, const char *target, const struct attrs *at,
    struct bg_err *err)
{
	ext2_ino_t ino;
	errcode_t e;

	if (target == NULL || target[0] == '\0' ||
	    strlen(target) >= a->fs->blocksize) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": a symlink needs a target of 1 to "
		    "%u bytes",
		    path, a->fs->blocksize - 1);
		return -EINVAL;
	}
	e = ext2fs_new_inode(a->fs, dir, LINUX_S_IFLNK | 0777, NULL, &ino);
	if (e == 0)
		e = ext2fs_symlink(a->fs, dir, ino, NULL, target);
	if (e == 0)
		e = link_in(a, dir, name, ino, EXT2_FT_SYMLINK);
	if (e == 0)
		e = set_attrs(a->fs, ino, at);
	if (e)
		return fs_fail(err, "make the symlink", path, e);
	made(a, ino);
	return set_xattrs(a, ino, at->xattrs, false, path, err);
}

/*
 * A hard link path to target (canonical): an existing non-directory
 * reached without following a symlink.
 */
static int
make_hardlink(struct bg_oci_apply *a, const char *path, const char *target,
    int64_t mtime, struct bg_err *err)
{
	struct ext2_inode tin;
	ext2_ino_t tdir, t, dir, ino;
	const char *tname, *name;
	errcode_t e;
	int r;

	r = place(a, path, target, false, 0, &tdir, &tname, &t, err);
	if (r == -ENOENT || r == -ENOTDIR || (r == 0 && t == 0)) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": its hard link target \"%.200s\" "
		    "does not exist",
		    path, target);
		return -ENOENT;
	}
	if (r < 0)
		return r;
	if ((e = ext2fs_read_inode(a->fs, t, &tin)) != 0)
		return fs_fail(err, "read", target, e);
	if (LINUX_S_ISDIR(tin.i_mode)) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": its hard link target \"%.200s\" "
		    "is a directory",
		    path, target);
		return -EPERM;
	}
	r = place(a, path, path, true, mtime, &dir, &name, &ino, err);
	if (r < 0)
		return r;
	if ((r = check_name(name, path, err)) < 0)
		return r;
	/* As for any other entry: lost+found stays mkfs's directory. */
	if (dir == EXT2_ROOT_INO && strcmp(name, "lost+found") == 0) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": lost+found must stay a directory",
		    path);
		return -EPERM;
	}
	if (ino == t)
		return see_path(a, path) < 0 ? no_memory(err) : 0;
	if (ino != 0 && (e = remove_name(a, dir, name, ino)) != 0)
		return fs_fail(err, "replace", path, e);
	/* What was there may have held the target's last name. */
	e = ext2fs_read_inode(a->fs, t, &tin);
	if (e == 0 &&
	    (tin.i_links_count == 0 ||
		!ext2fs_test_inode_bitmap2(a->fs->inode_map, t))) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": its hard link target \"%.200s\" "
		    "went with the entry it replaced",
		    path, target);
		return -ENOENT;
	}
	if (e == 0 && tin.i_links_count >= EXT2_LINK_MAX) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": \"%.200s\" has too many links",
		    path, target);
		return -EMLINK;
	}
	if (e == 0)
		e = link_in(a, dir, name, t, ftype(tin.i_mode));
	if (e == 0) {
		tin.i_links_count++;
		e = ext2fs_write_inode(a->fs, t, &tin);
	}
	if (e)
		return fs_fail(err, "link", path, e);
	return see_path(a, path) < 0 ? no_memory(err) : 0;
}

/*
 * A non-link entry at path (canonical, not the root): a directory over
 * a directory takes the new attributes, anything else replaces what is
 * there.
 */
static int
make_entry(struct bg_oci_apply *a, const char *path, const struct attrs *at,
    const char *symlink, bg_untar_read_fn *rd, void *arg, struct bg_err *err)
{
	struct ext2_inode in;
	ext2_ino_t dir, ino;
	const char *name;
	errcode_t e;
	int r;

	r = place(a, path, path, true, at->mtime, &dir, &name, &ino, err);
	if (r == 0)
		r = check_name(name, path, err);
	if (r < 0)
		return r;
	if (ino != 0) {
		if ((e = ext2fs_read_inode(a->fs, ino, &in)) != 0)
			return fs_fail(err, "read", path, e);
		if (dir == EXT2_ROOT_INO && strcmp(name, "lost+found") == 0 &&
		    !LINUX_S_ISDIR(at->mode)) {
			bg_err_set(err, "bad_request",
			    "layer entry \"%.200s\": lost+found must stay a "
			    "directory",
			    path);
			return -EPERM;
		}
		if (LINUX_S_ISDIR(in.i_mode) && LINUX_S_ISDIR(at->mode)) {
			if ((e = set_attrs(a->fs, ino, at)) != 0)
				return fs_fail(err, "set the mode of", path, e);
			r = set_xattrs(a, ino, at->xattrs, true, path, err);
			if (r == 0 && see_path(a, path) < 0)
				r = no_memory(err);
			return r;
		}
		if ((e = remove_name(a, dir, name, ino)) != 0)
			return fs_fail(err, "replace", path, e);
	}
	if (LINUX_S_ISDIR(at->mode)) {
		r = make_dir(a, dir, name, path, at, &ino, err);
		if (r == 0)
			r = set_xattrs(a, ino, at->xattrs, false, path, err);
	} else if (LINUX_S_ISLNK(at->mode)) {
		r = make_symlink(a, dir, name, path, symlink, at, err);
	} else {
		r = make_node(a, dir, name, path, at, rd, arg, err);
	}
	if (r == 0 && see_path(a, path) < 0)
		r = no_memory(err);
	return r;
}

/* ---- whiteouts ---------------------------------------------------- */

/*
 * The whiteout entry path (its last name starts with ".wh."): NAME of
 * the lower layers deleted, or the directory made opaque.
 */
static int
whiteout(struct bg_oci_apply *a, const char *path, struct bg_err *err)
{
	size_t b = base_off(path);
	const char *base = path + b, *name = base + strlen(WH);
	struct ext2_inode in;
	ext2_ino_t dir, ino;
	errcode_t e;
	int r;

	if (strcmp(base, WH_OPQ) != 0 &&
	    (strncmp(base, WH_META, strlen(WH_META)) == 0 || name[0] == '\0' ||
		strcmp(name, ".") == 0 || strcmp(name, "..") == 0)) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": not a whiteout this applier "
		    "knows (only .wh.NAME and .wh..wh..opq are)",
		    path);
		return -EINVAL;
	}
	r = walk(a, path, path, b ? b - 1 : 0, false, 0, &dir, err);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0; /* nothing there to hide */
	if (r < 0)
		return r;
	if (strcmp(base, WH_OPQ) == 0) {
		e = opaque(a, dir, 0);
		return e ? fs_fail(err, "apply the opaque marker", path, e) : 0;
	}
	if (dir == EXT2_ROOT_INO && strcmp(name, "lost+found") == 0)
		return 0; /* mkfs's, not a layer's */
	e = ext2fs_lookup(a->fs, dir, name, (int)strlen(name), NULL, &ino);
	if (e == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (e == 0)
		e = ext2fs_read_inode(a->fs, ino, &in);
	if (e == 0 && seen(a, dir, name, strlen(name))) {
		/* This layer's own name stays; a lower directory it went
		 * through keeps only what this layer put in it. */
		if (LINUX_S_ISDIR(in.i_mode) && !fresh(a, ino))
			e = opaque(a, ino, 0);
	} else if (e == 0) {
		e = remove_name(a, dir, name, ino);
	}
	return e ? fs_fail(err, "apply the whiteout", path, e) : 0;
}

/* ---- a layer ------------------------------------------------------ */

struct src {
	bg_untar_read_fn *rd;
	void *arg;
	char *buf;
	int error; /* -errno from rd, or 0 */
};

static la_ssize_t
src_read(struct archive *ar, void *p, const void **out)
{
	struct src *s = p;
	ssize_t n = s->rd(s->arg, s->buf, SRC_BUF);

	if (n < 0) {
		s->error = (int)-n;
		archive_set_error(ar, (int)-n, "reading the layer: %s",
		    strerror((int)-n));
		return -1;
	}
	*out = s->buf;
	return n;
}

struct entry_src {
	struct archive *in;
};

static ssize_t
entry_read(void *arg, void *buf, size_t n)
{
	struct entry_src *d = arg;
	la_ssize_t k = archive_read_data(d->in, buf, n);

	return k < 0 ? -EBADMSG : (ssize_t)k;
}

static const char *
comp_name(enum bg_oci_compression c)
{
	return c == BG_OCI_COMP_GZIP ? "gzip-compressed" :
	    c == BG_OCI_COMP_ZSTD    ? "zstd-compressed" :
				       "plain (uncompressed)";
}

/* One tar entry. */
static int
apply_entry(struct bg_oci_apply *a, struct archive *in,
    struct archive_entry *ae, const struct bg_oci_apply_limits *lim,
    struct bg_oci_apply_stats *st, char *path, char *hl_path,
    struct bg_err *err)
{
	const char *raw = archive_entry_pathname(ae);
	const char *hl = archive_entry_hardlink(ae);
	const char *sym = archive_entry_symlink(ae);
	mode_t type = archive_entry_filetype(ae);
	int64_t size = archive_entry_size(ae);
	la_int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);
	struct entry_src es = { in };
	struct attrs at;
	const char *base, *c;
	int r;

	/* A name libarchive could not convert to this locale is kept as
	 * its bytes; the _utf8 forms are for what it holds only as UTF-8. */
	if (raw == NULL)
		raw = archive_entry_pathname_utf8(ae);
	if (hl == NULL)
		hl = archive_entry_hardlink_utf8(ae);
	if (sym == NULL)
		sym = archive_entry_symlink_utf8(ae);
	if (raw == NULL) {
		bg_err_set(err, "bad_request", "a layer entry has no name");
		return -EINVAL;
	}
	if (st->entries >= lim->max_entries) {
		bg_err_set(err, "bad_request",
		    "the layer has more than %llu entries",
		    (unsigned long long)lim->max_entries);
		return -E2BIG;
	}
	st->entries++;
	r = canon(raw, false, path, PATH_MAX);
	if (r == -EPERM) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\" leaves the image", raw);
		return r;
	}
	if (r < 0) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": the path is too long", raw);
		return r;
	}
	base = path + base_off(path);
	/* ".wh." only ever names a whiteout, never a directory on a way. */
	for (c = path; c < base; c += strcspn(c, "/") + 1)
		if (strncmp(c, WH, strlen(WH)) == 0) {
			bg_err_set(err, "bad_request",
			    "layer entry \"%.200s\": a whiteout name inside "
			    "its path",
			    raw);
			return -EINVAL;
		}
	/*
	 * Every entry's data counts, whiteouts' and hard links' too: the
	 * tar reader decompresses it even when nothing is written.
	 */
	if (size > 0) {
		if ((uint64_t)size > lim->max_bytes - st->bytes) {
			bg_err_set(err, "bad_request",
			    "the layer's files are larger than %llu bytes in "
			    "all",
			    (unsigned long long)lim->max_bytes);
			return -E2BIG;
		}
		st->bytes += (uint64_t)size;
	}
	if (strncmp(base, WH, strlen(WH)) == 0) {
		st->whiteouts++;
		return whiteout(a, path, err);
	}
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX) {
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": its owner is out of range", raw);
		return -ERANGE;
	}
	memset(&at, 0, sizeof(at));
	at.mode = archive_entry_perm(ae) & 07777;
	at.uid = (uint32_t)uid;
	at.gid = (uint32_t)gid;
	at.mtime = archive_entry_mtime(ae);
	at.nsec = archive_entry_mtime_nsec(ae);
	at.xattrs = ae;
	if (hl != NULL) {
		r = canon(hl, false, hl_path, PATH_MAX);
		if (r < 0 || hl_path[0] == '\0') {
			bg_err_set(err, "bad_request",
			    "layer entry \"%.200s\": its hard link target "
			    "\"%.200s\" leaves the image",
			    raw, hl);
			return -EPERM;
		}
		if (path[0] == '\0') {
			bg_err_set(err, "bad_request",
			    "layer entry \"%.200s\": the root cannot be a hard "
			    "link",
			    raw);
			return -EPERM;
		}
		return make_hardlink(a, path, hl_path, at.mtime, err);
	}
	switch (type) {
	case AE_IFREG:
		at.mode |= LINUX_S_IFREG;
		break;
	case AE_IFDIR:
		at.mode |= LINUX_S_IFDIR;
		break;
	case AE_IFLNK:
		at.mode |= LINUX_S_IFLNK;
		break;
	case AE_IFCHR:
		at.mode |= LINUX_S_IFCHR;
		break;
	case AE_IFBLK:
		at.mode |= LINUX_S_IFBLK;
		break;
	case AE_IFIFO:
		at.mode |= LINUX_S_IFIFO;
		break;
	case AE_IFSOCK:
		return 0; /* a socket is a process's, not an image's */
	default:
		bg_err_set(err, "bad_request",
		    "layer entry \"%.200s\": an unknown file type", raw);
		return -EINVAL;
	}
	if (type == AE_IFCHR || type == AE_IFBLK) {
		at.major = (unsigned)archive_entry_rdevmajor(ae);
		at.minor = (unsigned)archive_entry_rdevminor(ae);
	}
	if (path[0] == '\0') { /* "./": the root's own attributes */
		if (type != AE_IFDIR) {
			bg_err_set(err, "bad_request",
			    "layer entry \"%.200s\": the root must stay a "
			    "directory",
			    raw);
			return -EPERM;
		}
		errcode_t e = set_attrs(a->fs, EXT2_ROOT_INO, &at);

		if (e)
			return fs_fail(err, "set the mode of", "/", e);
		return set_xattrs(a, EXT2_ROOT_INO, ae, true, "/", err);
	}
	r = make_entry(a, path, &at, sym, type == AE_IFREG ? entry_read : NULL,
	    &es, err);
	if (r == -EBADMSG)
		bg_err_set(err, "bad_request",
		    "cannot read layer entry \"%.200s\": %s", raw,
		    archive_error_string(in));
	return r;
}

int
bg_oci_apply_layer(struct bg_oci_apply *a, enum bg_oci_compression c,
    bg_untar_read_fn *rd, void *arg, const struct bg_oci_apply_limits *lim,
    struct bg_oci_apply_stats *st, struct bg_err *err)
{
	static const struct bg_oci_apply_limits no_limits = { UINT64_MAX,
		UINT64_MAX };
	struct bg_oci_apply_stats st0;
	struct src s = { rd, arg, NULL, 0 };
	struct archive *in = archive_read_new();
	struct archive_entry *ae;
	char *path = malloc(PATH_MAX), *hl = malloc(PATH_MAX);
	int want = ARCHIVE_FILTER_NONE, r = 0, ar = ARCHIVE_OK;
	ssize_t n;

	if (lim == NULL)
		lim = &no_limits;
	if (st == NULL)
		st = &st0;
	memset(st, 0, sizeof(*st));
	s.buf = malloc(SRC_BUF);
	if (in == NULL || s.buf == NULL || path == NULL || hl == NULL) {
		r = no_memory(err);
		goto done;
	}
	if (c == BG_OCI_COMP_GZIP) {
		want = ARCHIVE_FILTER_GZIP;
		ar = archive_read_support_filter_gzip(in);
	} else if (c == BG_OCI_COMP_ZSTD) {
		want = ARCHIVE_FILTER_ZSTD;
		ar = archive_read_support_filter_zstd(in);
	}
	/* ARCHIVE_WARN: it would run an external program; not here. */
	if (ar != ARCHIVE_OK ||
	    archive_read_support_format_tar(in) != ARCHIVE_OK) {
		bg_err_set(err, "internal",
		    "this libarchive cannot read %s layers by itself "
		    "(it would run a program)",
		    comp_name(c));
		r = -ENOTSUP;
		goto done;
	}
	if (archive_read_open(in, &s, NULL, src_read, NULL) != ARCHIVE_OK) {
		if (s.error)
			bg_err_set(err, "temporary", "reading the layer: %s",
			    strerror(s.error));
		else
			bg_err_set(err, "bad_request",
			    "the layer is not a %s tar stream: %s",
			    comp_name(c), archive_error_string(in));
		r = s.error ? -s.error : -EBADMSG;
		goto done;
	}
	if (archive_filter_code(in, 0) != want) {
		bg_err_set(err, "bad_request",
		    "the layer is not %s as its media type says (libarchive "
		    "reads it as %s)",
		    comp_name(c), archive_filter_name(in, 0));
		r = -EBADMSG;
		goto done;
	}
	a->in_layer = true;
	ext2fs_clear_inode_bitmap(a->fresh);
	if (a->cap > 0)
		memset(a->pairs, 0, a->cap * sizeof(*a->pairs));
	a->used = a->names_len = 0;
	for (;;) {
		ar = archive_read_next_header(in, &ae);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			/* ARCHIVE_WARN: a name not in this locale's charset,
			 * kept as its bytes. */
			bg_err_set(err, s.error ? "temporary" : "bad_request",
			    "the layer is damaged: %s",
			    s.error ? strerror(s.error) :
				      archive_error_string(in));
			r = s.error ? -s.error : -EBADMSG;
			break;
		}
		r = apply_entry(a, in, ae, lim, st, path, hl, err);
		if (r < 0) {
			if (s.error) {
				bg_err_set(err,
				    s.error == EFBIG || s.error == EBADMSG ?
					"bad_request" :
					"temporary",
				    "reading the layer: %s", strerror(s.error));
				r = -s.error;
			}
			break;
		}
	}
	/* The rest of the blob (the tar's padding, a compressed trailer):
	 * read, so that whoever hashes rd's bytes sees them all. */
	while (r == 0 && (n = rd(arg, s.buf, SRC_BUF)) != 0)
		if (n < 0) {
			bg_err_set(err,
			    n == -EFBIG || n == -EBADMSG ? "bad_request" :
							   "temporary",
			    "reading the layer: %s", strerror((int)-n));
			r = (int)n;
		}
done:
	a->in_layer = false;
	if (in != NULL)
		archive_read_free(in);
	free(s.buf);
	free(path);
	free(hl);
	return r;
}

/* ---- the converter's additions ------------------------------------ */

static int
api_path(const char *in, char *out, struct bg_err *err)
{
	int r = in != NULL ? canon(in, true, out, PATH_MAX) : -EINVAL;

	if (r < 0)
		bg_err_set(err, "bad_request",
		    "\"%.200s\": not a path inside the image",
		    in != NULL ? in : "(null)");
	return r;
}

int
bg_oci_apply_file(struct bg_oci_apply *a, const char *path_in, unsigned mode,
    uid_t uid, gid_t gid, const void *data, size_t len, struct bg_err *err)
{
	char path[PATH_MAX];
	struct attrs at = { LINUX_S_IFREG | (mode & 07777), (uint32_t)uid,
		(uint32_t)gid, time(NULL), 0, 0, 0, NULL };
	struct mem_src m = { data, len };
	ext2_ino_t dir, ino;
	const char *name;
	int r = api_path(path_in, path, err);

	if (r == 0)
		r = place(a, path, path, true, at.mtime, &dir, &name, &ino,
		    err);
	if (r == 0)
		r = check_name(name, path, err);
	if (r == 0 && ino != 0) {
		bg_err_set(err, "bad_request",
		    "cannot write \"%.200s\": it exists already", path);
		r = -EEXIST;
	}
	if (r == 0)
		r = make_node(a, dir, name, path, &at, mem_read, &m, err);
	return r;
}

int
bg_oci_apply_symlink(struct bg_oci_apply *a, const char *path_in,
    const char *target, struct bg_err *err)
{
	char path[PATH_MAX];
	struct attrs at = { LINUX_S_IFLNK | 0777, 0, 0, time(NULL), 0, 0, 0,
		NULL };
	ext2_ino_t dir, ino;
	const char *name;
	int r = api_path(path_in, path, err);

	if (r == 0)
		r = place(a, path, path, true, at.mtime, &dir, &name, &ino,
		    err);
	if (r == 0)
		r = check_name(name, path, err);
	if (r == 0 && ino != 0) {
		bg_err_set(err, "bad_request",
		    "cannot make the symlink \"%.200s\": it exists already",
		    path);
		r = -EEXIST;
	}
	if (r == 0)
		r = make_symlink(a, dir, name, path, target, &at, err);
	return r;
}

int
bg_oci_apply_mkdir(struct bg_oci_apply *a, const char *path_in, unsigned mode,
    struct bg_err *err)
{
	char path[PATH_MAX];
	struct attrs at = { LINUX_S_IFDIR | (mode & 07777), 0, 0, time(NULL), 0,
		0, 0, NULL };
	struct ext2_inode in;
	ext2_ino_t dir, ino;
	const char *name;
	errcode_t e;
	int r = api_path(path_in, path, err);

	if (r < 0 || path[0] == '\0')
		return r;
	r = place(a, path, path, true, at.mtime, &dir, &name, &ino, err);
	if (r == 0)
		r = check_name(name, path, err);
	if (r < 0)
		return r;
	if (ino == 0)
		return make_dir(a, dir, name, path, &at, &ino, err);
	if ((e = ext2fs_read_inode(a->fs, ino, &in)) != 0)
		return fs_fail(err, "read", path, e);
	if (LINUX_S_ISDIR(in.i_mode))
		return 0;
	bg_err_set(err, "bad_request",
	    "cannot make the directory \"%.200s\": something else is there",
	    path);
	return -EEXIST;
}

bool
bg_oci_apply_exists(struct bg_oci_apply *a, const char *path_in)
{
	char path[PATH_MAX];
	struct bg_err err;
	ext2_ino_t dir, ino;
	const char *name;

	if (path_in == NULL || canon(path_in, true, path, sizeof(path)) < 0)
		return false;
	if (path[0] == '\0')
		return true;
	return place(a, path, path, false, 0, &dir, &name, &ino, &err) == 0 &&
	    ino != 0;
}

/* A symlink's target (cap > its size). */
static errcode_t
read_link(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *in, char *buf,
    size_t cap)
{
	uint64_t size = EXT2_I_SIZE(in);
	unsigned int got = 0;
	ext2_file_t f;
	errcode_t e, ce;

	if (size == 0 || size >= cap)
		return EXT2_ET_INVALID_ARGUMENT;
	if (ext2fs_is_fast_symlink(in)) {
		memcpy(buf, in->i_block, size);
	} else {
		e = ext2fs_file_open2(fs, ino, in, 0, &f);
		if (e)
			return e;
		e = ext2fs_file_read(f, buf, (unsigned int)size, &got);
		ce = ext2fs_file_close(f);
		if (e == 0)
			e = ce ? ce : got != size ? EXT2_ET_SHORT_READ : 0;
		if (e)
			return e;
	}
	buf[size] = '\0';
	return 0;
}

int
bg_oci_apply_resolve(struct bg_oci_apply *a, const char *path, char *out,
    size_t cap, struct bg_err *err)
{
	const size_t rcap = 2 * PATH_MAX + 2;
	char *rest = malloc(rcap), *tmp = malloc(rcap), *lnk = malloc(PATH_MAX);
	char *res = malloc(PATH_MAX);
	ext2_ino_t cur = EXT2_ROOT_INO, ino;
	struct ext2_inode in;
	size_t pos = 0, rl = 0, k, ll;
	unsigned hops = 0;
	bool dir = true;
	errcode_t e;
	int r = 0;

	if (rest == NULL || tmp == NULL || lnk == NULL || res == NULL) {
		r = no_memory(err);
		goto done;
	}
	if (strlen(path) >= PATH_MAX) {
		r = -ENAMETOOLONG;
		bg_err_set(err, "bad_request", "\"%.200s\": too long", path);
		goto done;
	}
	strcpy(rest, path);
	res[0] = '\0';
	while (rest[pos] != '\0') {
		k = strcspn(rest + pos, "/");
		if (k == 0) {
			pos++;
			continue;
		}
		if (!dir) {
			bg_err_set(err, "bad_request",
			    "\"%.200s\": \"%s\" is not a directory", path, res);
			r = -ENOTDIR;
			goto done;
		}
		if (k == 1 && rest[pos] == '.') {
			pos += 1;
			continue;
		}
		if (k == 2 && rest[pos] == '.' && rest[pos + 1] == '.') {
			pos += 2;
			if (rl == 0)
				continue; /* ".." of the root is the root */
			e = ext2fs_lookup(a->fs, cur, "..", 2, NULL, &cur);
			if (e) {
				r = fs_fail(err, "resolve", path, e);
				goto done;
			}
			while (rl > 0 && res[rl - 1] != '/')
				rl--;
			rl = rl > 0 ? rl - 1 : 0;
			res[rl] = '\0';
			continue;
		}
		if (k > 255) {
			bg_err_set(err, "bad_request",
			    "\"%.200s\": a name is longer than 255 bytes",
			    path);
			r = -ENAMETOOLONG;
			goto done;
		}
		e = ext2fs_lookup(a->fs, cur, rest + pos, (int)k, NULL, &ino);
		if (e == 0)
			e = ext2fs_read_inode(a->fs, ino, &in);
		if (e == EXT2_ET_FILE_NOT_FOUND) {
			bg_err_set(err, "not_found",
			    "\"%.200s\": \"%.*s\" is not in the image", path,
			    (int)k, rest + pos);
			r = -ENOENT;
			goto done;
		}
		if (e) {
			r = fs_fail(err, "resolve", path, e);
			goto done;
		}
		if (LINUX_S_ISLNK(in.i_mode)) {
			if (++hops > BG_OCI_APPLY_HOPS_MAX) {
				bg_err_set(err, "bad_request",
				    "\"%.200s\": more than %d symlinks", path,
				    BG_OCI_APPLY_HOPS_MAX);
				r = -ELOOP;
				goto done;
			}
			e = read_link(a->fs, ino, &in, lnk, PATH_MAX);
			if (e) {
				r = fs_fail(err, "read the symlink in", path,
				    e);
				goto done;
			}
			pos += k;
			ll = strlen(lnk);
			k = strlen(rest + pos);
			if (ll + 1 + k >= rcap) {
				bg_err_set(err, "bad_request",
				    "\"%.200s\": too long once resolved", path);
				r = -ENAMETOOLONG;
				goto done;
			}
			/* The target, then what was left of the path. */
			memcpy(tmp, lnk, ll);
			tmp[ll] = '/';
			memcpy(tmp + ll + 1, rest + pos, k + 1);
			memcpy(rest, tmp, ll + k + 2);
			pos = 0;
			if (lnk[0] == '/') {
				cur = EXT2_ROOT_INO;
				rl = 0;
				res[0] = '\0';
			}
			continue;
		}
		if (rl + (rl > 0) + k >= PATH_MAX) {
			bg_err_set(err, "bad_request",
			    "\"%.200s\": too long once resolved", path);
			r = -ENAMETOOLONG;
			goto done;
		}
		if (rl > 0)
			res[rl++] = '/';
		memcpy(res + rl, rest + pos, k);
		rl += k;
		res[rl] = '\0';
		pos += k;
		cur = ino;
		dir = LINUX_S_ISDIR(in.i_mode);
	}
	if (rl >= cap) {
		bg_err_set(err, "bad_request", "\"%.200s\": too long", path);
		r = -ENAMETOOLONG;
		goto done;
	}
	memcpy(out, res, rl + 1);
done:
	free(rest);
	free(tmp);
	free(lnk);
	free(res);
	return r;
}

/* ---- opening and closing ------------------------------------------ */

int
bg_oci_apply_open(const char *image, struct bg_oci_apply **out,
    struct bg_err *err)
{
	static bool tables;
	struct bg_oci_apply *a;
	errcode_t e;

	if (!tables) { /* error_message() names ext2 codes */
		initialize_ext2_error_table();
		tables = true;
	}
	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return no_memory(err);
	a->buf = malloc(DATA_BUF);
	a->chain_end = calloc(DEPTH_MAX + 1, sizeof(*a->chain_end));
	a->chain_ino = calloc(DEPTH_MAX + 1, sizeof(*a->chain_ino));
	if (a->buf == NULL || a->chain_end == NULL || a->chain_ino == NULL) {
		bg_oci_apply_close(a, NULL);
		return no_memory(err);
	}
	/*
	 * Checksums are written as always, but not verified on reads: the
	 * image is the converter's own, made by mkfs.ext4 moments ago, and
	 * verifying every directory block on every lookup was a third of
	 * the time of a layer that adds to a big directory.
	 */
	e = ext2fs_open(image,
	    EXT2_FLAG_RW | EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS, 0,
	    0, unix_io_manager, &a->fs);
	if (e) {
		a->fs = NULL;
		bg_oci_apply_close(a, NULL);
		return fs_fail(err, "open the file system in", image, e);
	}
	if (ext2fs_has_feature_ea_inode(a->fs->super) ||
	    ext2fs_has_feature_journal_needs_recovery(a->fs->super)) {
		bg_err_set(err, "bad_request",
		    "\"%.200s\": an ext4 image with %s is not supported", image,
		    ext2fs_has_feature_ea_inode(a->fs->super) ?
			"xattr inodes (ea_inode)" :
			"a journal to recover");
		bg_oci_apply_close(a, NULL);
		return -ENOTSUP;
	}
	/* A bigger inode cache than libext2fs's 4: directories and the
	 * files just made are read back often. */
	e = ext2fs_create_inode_cache(a->fs, 64);
	if (e == 0)
		e = ext2fs_read_bitmaps(a->fs);
	if (e == 0)
		e = ext2fs_allocate_inode_bitmap(a->fs, "layer inodes",
		    &a->fresh);
	if (e == 0 &&
	    ((a->ibuf = calloc(1, EXT2_INODE_SIZE(a->fs->super))) == NULL ||
		(a->dbuf = malloc(a->fs->blocksize)) == NULL))
		e = EXT2_ET_NO_MEMORY;
	if (e) {
		bg_oci_apply_close(a, NULL);
		return fs_fail(err, "read the file system in", image, e);
	}
	*out = a;
	return 0;
}

int
bg_oci_apply_close(struct bg_oci_apply *a, struct bg_err *err)
{
	errcode_t e = 0;

	if (a == NULL)
		return 0;
	if (a->fresh != NULL)
		ext2fs_free_inode_bitmap(a->fresh);
	/* Bitmaps, group descriptors and the superblock go out here. */
	if (a->fs != NULL)
		e = ext2fs_close_free(&a->fs);
	free(a->buf);
	free(a->ibuf);
	free(a->dbuf);
	free(a->chain_end);
	free(a->chain_ino);
	free(a->pairs);
	free(a->names);
	free(a);
	if (e && err != NULL)
		bg_err_set(err, disk_full(e) ? "bad_request" : "temporary",
		    "cannot finish the image: %s", error_message(e));
	return e ? (disk_full(e) ? -EFBIG : -EIO) : 0;
}
