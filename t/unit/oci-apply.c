/*
 * Unit tests: lib/oci-apply.c — OCI layers (tar streams made here with
 * libarchive's writer: gzip, zstd, uncompressed) applied into images
 * made by the real mkfs.ext4, then read back with libext2fs and checked
 * by the real e2fsck: owners, modes, devices, xattrs, hard links,
 * whiteouts and opaque directories across layers, replacements, the
 * refusals (escapes, symlinks on the way, wrong compression, damaged
 * streams, limits, a full image), resolve and the converter's calls.
 */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <ext2fs/ext2fs.h>

#include "banger.h"
#include "oci-apply.h"
#include "tap.h"

static char dir[] = "/tmp/banger-oci-apply.XXXXXX";
static char img[sizeof(dir) + 32];

/* ---- layers ------------------------------------------------------- */

struct tb {
	struct archive *a;
	char *buf;
	size_t cap, len;
};

static void
tb_open(struct tb *t, enum bg_oci_compression c)
{
	t->cap = 64u << 20;
	t->buf = malloc(t->cap);
	t->a = archive_write_new();
	if (t->buf == NULL || t->a == NULL)
		abort();
	archive_write_set_format_pax_restricted(t->a);
	if (c == BG_OCI_COMP_GZIP)
		archive_write_add_filter_gzip(t->a);
	else if (c == BG_OCI_COMP_ZSTD)
		archive_write_add_filter_zstd(t->a);
	archive_write_set_bytes_per_block(t->a, 0);
	if (archive_write_open_memory(t->a, t->buf, t->cap, &t->len) !=
	    ARCHIVE_OK)
		abort();
}

/* An entry with the defaults (root, mtime 1700000000); tb_put frees it. */
static struct archive_entry *
ent(const char *path, unsigned type, unsigned perm)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_size(e, 0);
	return e;
}

static void
tb_put(struct tb *t, struct archive_entry *e, const void *data, size_t len)
{
	if (data != NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	/* ARCHIVE_WARN: a name in no charset, written as its bytes. */
	if (archive_write_header(t->a, e) < ARCHIVE_WARN) {
		printf("# archive_write_header: %s\n",
		    archive_error_string(t->a));
		fflush(stdout);
		abort();
	}
	if (data != NULL && len > 0)
		archive_write_data(t->a, data, len);
	archive_entry_free(e);
}

static void
tb_file(struct tb *t, const char *path, unsigned perm, const char *s)
{
	tb_put(t, ent(path, AE_IFREG, perm), s, strlen(s));
}

static void
tb_dir(struct tb *t, const char *path, unsigned perm)
{
	tb_put(t, ent(path, AE_IFDIR, perm), NULL, 0);
}

static void
tb_sym(struct tb *t, const char *path, const char *target)
{
	struct archive_entry *e = ent(path, AE_IFLNK, 0777);

	archive_entry_set_symlink(e, target);
	tb_put(t, e, NULL, 0);
}

static void
tb_hard(struct tb *t, const char *path, const char *target)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_hardlink(e, target);
	archive_entry_set_mtime(e, 1700000000, 0);
	tb_put(t, e, NULL, 0);
}

static void
tb_wh(struct tb *t, const char *path)
{
	tb_put(t, ent(path, AE_IFREG, 0), "", 0);
}

static void
tb_close(struct tb *t)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		abort();
	archive_write_free(t->a);
}

struct feed {
	const char *buf;
	size_t len, off;
	size_t fail_at; /* -EIO once off reaches it (0: never) */
};

static ssize_t
feed_read(void *arg, void *buf, size_t n)
{
	struct feed *f = arg;
	size_t k = f->len - f->off;

	if (f->fail_at != 0 && f->off >= f->fail_at)
		return -EIO;
	if (k > n)
		k = n;
	if (k > 7001)
		k = 7001; /* odd chunks */
	memcpy(buf, f->buf + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static const struct bg_oci_apply_limits big_lim = { 1ULL << 34, 1000000 };

/* Apply the layer in t (freed) to the image open in a. */
static int
apply(struct bg_oci_apply *a, struct tb *t, enum bg_oci_compression c,
    struct bg_oci_apply_stats *st, struct bg_err *err)
{
	struct feed f = { t->buf, t->len, 0, 0 };
	struct bg_oci_apply_stats st0;
	int r;

	memset(err, 0, sizeof(*err));
	r = bg_oci_apply_layer(a, c, feed_read, &f, &big_lim,
	    st != NULL ? st : &st0, err);
	if (r == 0 && f.off != f.len)
		printf("# the layer was not read to its end (%zu of %zu)\n",
		    f.off, f.len);
	if (r < 0)
		printf("# %d %s: %s\n", r, err->code, err->msg);
	free(t->buf);
	return r == 0 && f.off != f.len ? -EPIPE : r;
}

/* ---- images ------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static int
cmd(const char *fmt, ...)
{
	char c[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(c), fmt, ap);
	va_end(ap);
	return system(c);
}

/* A fresh image at path: mkfs.ext4 as lib/workdisk.c runs it. */
static bool
mkimg(const char *path, const char *size, const char *extra)
{
	return cmd("rm -f %s && truncate -s %s %s && mkfs.ext4 -q -F -t ext4 "
		   "-L oci %s -E root_owner=0:0 %s",
		   path, size, path, extra, path) == 0;
}

static bool
fsck_clean(const char *path)
{
	int r = cmd("e2fsck -fn %s >%s/fsck.out 2>&1", path, dir);

	if (r != 0)
		cmd("sed 's/^/# /' %s/fsck.out | head -40", dir);
	return r == 0;
}

/* ---- reading the image back --------------------------------------- */

static ext2_filsys rfs;

static void
ro_open(void)
{
	if (ext2fs_open(img, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &rfs))
		abort();
}

static void
ro_close(void)
{
	ext2fs_close_free(&rfs);
}

/* The inode at path (the last name not followed); false if none. */
static bool
get(const char *path, struct ext2_inode_large *in)
{
	ext2_ino_t ino;

	memset(in, 0, sizeof(*in));
	return ext2fs_namei(rfs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino) ==
	    0 &&
	    ext2fs_read_inode_full(rfs, ino, (struct ext2_inode *)in,
		sizeof(*in)) == 0;
}

static ext2_ino_t
ino_of(const char *path)
{
	ext2_ino_t ino;

	return ext2fs_namei(rfs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino) ==
		0 ?
	    ino :
	    0;
}

static bool
exists(const char *path)
{
	return ino_of(path) != 0;
}

/* A file's content (malloc'd, NUL-terminated) or NULL. */
static char *
content(const char *path, size_t *len)
{
	ext2_ino_t ino = ino_of(path);
	ext2_file_t f;
	__u64 size;
	unsigned int got;
	char *b;

	if (ino == 0 || ext2fs_file_open(rfs, ino, 0, &f))
		return NULL;
	ext2fs_file_get_lsize(f, &size);
	b = malloc(size + 1);
	if (ext2fs_file_read(f, b, (unsigned int)size, &got) || got != size) {
		free(b);
		b = NULL;
	} else {
		b[size] = '\0';
		if (len != NULL)
			*len = size;
	}
	ext2fs_file_close(f);
	return b;
}

static bool
has_content(const char *path, const char *want)
{
	char *c = content(path, NULL);
	bool ok_ = c != NULL && strcmp(c, want) == 0;

	if (!ok_)
		printf("#   %s: '%s'\n", path, c != NULL ? c : "(none)");
	free(c);
	return ok_;
}

/* xattr key of path: its value's length, or -1. */
static long
xattr(const char *path, const char *key, char *val, size_t cap)
{
	struct ext2_xattr_handle *h;
	ext2_ino_t ino = ino_of(path);
	void *v = NULL;
	size_t n = 0;
	long r = -1;

	if (ino == 0 || ext2fs_xattrs_open(rfs, ino, &h))
		return -1;
	if (ext2fs_xattrs_read(h) == 0 &&
	    ext2fs_xattr_get(h, key, &v, &n) == 0) {
		r = (long)n;
		memcpy(val, v, n < cap ? n : cap);
		free(v);
	}
	ext2fs_xattrs_close(&h);
	return r;
}

static bool
link_is(const char *path, const char *target)
{
	struct ext2_inode_large in;

	return get(path, &in) && LINUX_S_ISLNK(in.i_mode) &&
	    ext2fs_is_fast_symlink((struct ext2_inode *)&in) &&
	    strcmp((char *)in.i_block, target) == 0;
}

static unsigned
uid_of(const struct ext2_inode_large *in)
{
	return in->i_uid | (unsigned)in->osd2.linux2.l_i_uid_high << 16;
}

static unsigned
gid_of(const struct ext2_inode_large *in)
{
	return in->i_gid | (unsigned)in->osd2.linux2.l_i_gid_high << 16;
}

static unsigned long long
free_blocks(void)
{
	return ext2fs_free_blocks_count(rfs->super);
}

/* ---- the layers of the main image ---------------------------------- */

static char *big, *sparse;
#define BIG_LEN (3u << 20)
#define SPARSE_LEN (8u << 20)

static const char cap_ping[20] = { 1, 0, 0, 2, 0, 0x20, 0, 0 }; /* NET_RAW */
/* A POSIX ACL as Linux's VFS has it: version 2, then tag, perm, id. */
static const char acl[] = {
	2, 0, 0, 0, /* version */
	1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff, /* user:: rw */
	2, 0, 4, 0, (char)0xe8, 3, 0, 0, /* user:1000: r */
	4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, /* group:: r */
	0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff, /* mask:: r */
	0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, /* other:: - */
};

static void
layer1(struct tb *t)
{
	struct archive_entry *e;

	tb_open(t, BG_OCI_COMP_GZIP);
	tb_dir(t, "./", 0755);
	tb_dir(t, "etc/", 0755);
	tb_file(t, "etc/passwd", 0644, "root:x:0:0::/root:/bin/sh\n");
	e = ent("etc/acl", AE_IFREG, 0640);
	archive_entry_xattr_add_entry(e, "system.posix_acl_access", acl,
	    sizeof(acl));
	tb_put(t, e, "acl", 3);
	tb_sym(t, "etc/abs", "/etc/passwd");
	tb_dir(t, "usr/", 0755);
	tb_dir(t, "usr/bin/", 0755);
	e = ent("usr/bin/ping", AE_IFREG, 04755);
	archive_entry_xattr_add_entry(e, "security.capability", cap_ping,
	    sizeof(cap_ping));
	archive_entry_xattr_add_entry(e, "user.note", "hello", 5);
	archive_entry_xattr_add_entry(e, "trusted.t", "tv", 2);
	tb_put(t, e, "ELF", 3);
	e = ent("usr/bin/wall", AE_IFREG, 02755);
	archive_entry_set_gid(e, 5);
	tb_put(t, e, "wall", 4);
	tb_dir(t, "usr/sbin/", 0755);
	tb_file(t, "usr/sbin/init", 0755, "init\n");
	tb_sym(t, "sbin", "usr/sbin");
	tb_sym(t, "up", "../../..");
	tb_dir(t, "tmp/", 01777);
	e = ent("var/mail/", AE_IFDIR, 02775);
	archive_entry_set_gid(e, 8);
	tb_put(t, e, NULL, 0);
	e = ent("dev/null", AE_IFCHR, 0666);
	archive_entry_set_rdevmajor(e, 1);
	archive_entry_set_rdevminor(e, 3);
	tb_put(t, e, NULL, 0);
	e = ent("dev/sda", AE_IFBLK, 0660);
	archive_entry_set_rdevmajor(e, 8);
	archive_entry_set_rdevminor(e, 0);
	archive_entry_set_gid(e, 6);
	tb_put(t, e, NULL, 0);
	e = ent("dev/big", AE_IFCHR, 0600);
	archive_entry_set_rdevmajor(e, 300);
	archive_entry_set_rdevminor(e, 70000);
	tb_put(t, e, NULL, 0);
	tb_put(t, ent("run/fifo", AE_IFIFO, 0600), NULL, 0);
	e = ent("home/u/file", AE_IFREG, 0640);
	archive_entry_set_uid(e, 100000);
	archive_entry_set_gid(e, 100001);
	archive_entry_set_mtime(e, 3000000000LL, 123456789); /* past 2038 */
	tb_put(t, e, "mine", 4);
	/* three names, one inode */
	tb_file(t, "lib/a", 0644, "shared");
	tb_hard(t, "lib/b", "lib/a");
	tb_hard(t, "./lib/c", "./lib/a");
	/* an opaque directory next layer */
	tb_dir(t, "o/", 0755);
	tb_file(t, "o/lower1", 0644, "l1");
	tb_dir(t, "o/sub/", 0755);
	tb_file(t, "o/sub/x", 0644, "x");
	tb_file(t, "o/sub/y", 0644, "old y");
	tb_dir(t, "o/sub/deeper/", 0755);
	tb_file(t, "o/sub/deeper/z", 0644, "z");
	/* replacements next layer */
	tb_file(t, "r/f2d", 0644, "file");
	tb_dir(t, "r/d2f/", 0755);
	tb_file(t, "r/d2f/a", 0644, "a");
	tb_file(t, "r/d2f/deep/er/b", 0644, "b");
	tb_hard(t, "r/outside", "r/d2f/a"); /* survives its directory */
	/* whiteouts next layer */
	e = ent("w/file", AE_IFREG, 0644); /* its xattr needs a block */
	archive_entry_xattr_add_entry(e, "user.big", big, 1000);
	tb_put(t, e, "f", 1);
	tb_dir(t, "w/dir/", 0755);
	tb_file(t, "w/dir/one", 0644, "1");
	tb_put(t, ent("w/dir/two/three/big", AE_IFREG, 0644), big, BIG_LEN);
	tb_sym(t, "w/link", "file");
	tb_file(t, "w2/f", 0644, "lower f");
	tb_file(t, "s/keep", 0644, "lower keep");
	/* hard links next layer */
	tb_file(t, "h/x", 0644, "x data");
	tb_hard(t, "h/y", "h/x");
	tb_file(t, "h/p", 0644, "old p");
	tb_hard(t, "h/q", "h/p");
	/* data */
	tb_put(t, ent("data/big", AE_IFREG, 0644), big, BIG_LEN);
	tb_put(t, ent("data/sparse", AE_IFREG, 0644), sparse, SPARSE_LEN);
	tb_put(t, ent("data/empty", AE_IFREG, 0644), "", 0);
	e = ent("ddir/", AE_IFDIR, 0700);
	archive_entry_xattr_add_entry(e, "user.d", "1", 1);
	tb_put(t, e, NULL, 0);
	/* the same name twice in a new directory: the second wins */
	tb_file(t, "n/f", 0644, "first");
	tb_file(t, "n/f", 0600, "second");
	tb_close(t);
}

static void
layer2(struct tb *t)
{
	struct archive_entry *e;

	tb_open(t, BG_OCI_COMP_ZSTD);
	/* opaque o/: this layer's entries before and after the marker */
	tb_dir(t, "o/", 0750);
	tb_file(t, "o/new1", 0644, "n1");
	tb_dir(t, "o/sub/", 0755);
	tb_file(t, "o/sub/y", 0644, "new y");
	tb_wh(t, "o/.wh..wh..opq");
	tb_file(t, "o/new2", 0644, "n2");
	/* whiteouts */
	tb_wh(t, "w/.wh.file");
	tb_wh(t, "w/.wh.dir");
	tb_wh(t, "w/.wh.link");
	tb_wh(t, "w/.wh.nothing");
	tb_wh(t, "nowhere/.wh.x");
	tb_wh(t, "w2/.wh.f");
	tb_file(t, "w2/f", 0644, "upper f");
	tb_file(t, "s/keep", 0644, "upper keep");
	tb_wh(t, "s/.wh.keep");
	/* hard links */
	tb_wh(t, "h/.wh.x");
	tb_file(t, "h/p", 0644, "new p");
	/* replacements */
	tb_dir(t, "r/f2d/", 0711);
	tb_file(t, "r/f2d/inner", 0644, "inner");
	tb_file(t, "r/d2f", 0600, "now a file");
	tb_sym(t, "lib/b", "a");
	e = ent("ddir/", AE_IFDIR, 0755);
	archive_entry_xattr_add_entry(e, "user.e", "2", 1);
	tb_put(t, e, NULL, 0);
	tb_close(t);
}

/* ---- the tests ---------------------------------------------------- */

static void
test_layers(void)
{
	struct bg_oci_apply *a;
	struct bg_oci_apply_stats st;
	struct ext2_inode_large in;
	struct bg_err err;
	struct tb t;
	char v[64];
	char *c;
	size_t n;
	int r;

	ok(mkimg(img, "128M", "-b 4096"),
	    "mkfs.ext4 makes the image (4 KiB blocks, as big images have)");
	r = bg_oci_apply_open(img, &a, &err);
	is_int(r, 0, "bg_oci_apply_open");
	if (r < 0)
		return;
	layer1(&t);
	is_int(apply(a, &t, BG_OCI_COMP_GZIP, &st, &err), 0,
	    "layer 1 (gzip) applies");
	ok(st.entries == 52 && st.whiteouts == 0 &&
		st.bytes == 2 * BIG_LEN + SPARSE_LEN + 107,
	    "layer 1's stats (%llu entries, %llu bytes)",
	    (unsigned long long)st.entries, (unsigned long long)st.bytes);
	layer2(&t);
	is_int(apply(a, &t, BG_OCI_COMP_ZSTD, &st, &err), 0,
	    "layer 2 (zstd) applies");
	is_int(st.whiteouts, 9, "layer 2: 9 whiteouts");
	is_int(bg_oci_apply_close(a, &err), 0, "close writes the image out");
	ok(fsck_clean(img),
	    "e2fsck -fn: clean after two layers with deletions");

	ro_open();
	ok(get("usr/bin/ping", &in) && (in.i_mode & 07777) == 04755 &&
		LINUX_S_ISREG(in.i_mode),
	    "ping: 04755 (setuid kept)");
	ok(xattr("usr/bin/ping", "security.capability", v, sizeof(v)) ==
		    (long)sizeof(cap_ping) &&
		memcmp(v, cap_ping, sizeof(cap_ping)) == 0,
	    "ping: security.capability kept, byte for byte");
	ok(xattr("usr/bin/ping", "user.note", v, sizeof(v)) == 5 &&
		memcmp(v, "hello", 5) == 0 &&
		xattr("usr/bin/ping", "trusted.t", v, sizeof(v)) == 2,
	    "ping: user.* and trusted.* kept");
	n = (size_t)xattr("etc/acl", "system.posix_acl_access", v, sizeof(v));
	/* ext4 stores no id for user::, group::, mask:: and other::;
	 * libext2fs gives them back as 0 where Linux's VFS says -1. */
	ok(n == sizeof(acl) && memcmp(v, acl, 8) == 0 &&
		memcmp(v + 12, acl + 12, 12) == 0 && v[28] == 0x10 &&
		v[30] == 4 && v[36] == 0x20 && v[38] == 0,
	    "etc/acl: its POSIX ACL (user:1000:r among them) kept");
	ok(get("usr/bin/wall", &in) && (in.i_mode & 07777) == 02755 &&
		gid_of(&in) == 5,
	    "wall: setgid, group 5");
	ok(get("tmp", &in) && (in.i_mode & 07777) == 01777 &&
		LINUX_S_ISDIR(in.i_mode),
	    "tmp: 01777 (sticky)");
	ok(get("var/mail", &in) && (in.i_mode & 07777) == 02775 &&
		gid_of(&in) == 8,
	    "var/mail: 02775, group 8");
	ok(get("var", &in) && (in.i_mode & 07777) == 0755 && uid_of(&in) == 0,
	    "an implicit parent: 0755 root");
	ok(get("dev/null", &in) && LINUX_S_ISCHR(in.i_mode) &&
		in.i_block[0] == 0x103 && (in.i_mode & 0777) == 0666,
	    "dev/null: a character device 1,3");
	ok(get("dev/sda", &in) && LINUX_S_ISBLK(in.i_mode) &&
		in.i_block[0] == 0x800 && gid_of(&in) == 6,
	    "dev/sda: a block device 8,0, group 6");
	ok(get("dev/big", &in) && in.i_block[0] == 0 &&
		in.i_block[1] ==
		    ((70000u & 0xff) | (300u << 8) | ((70000u & ~0xffu) << 12)),
	    "dev/big: 300,70000 in the new encoding");
	ok(get("run/fifo", &in) && LINUX_S_ISFIFO(in.i_mode),
	    "run/fifo: a FIFO");
	ok(get("home/u/file", &in) && uid_of(&in) == 100000 &&
		gid_of(&in) == 100001,
	    "owners above 65535 (the high 16 bits)");
	ok(in.i_mtime == (__u32)3000000000LL && (in.i_mtime_extra & 3) == 1,
	    "an mtime past 2038 (epoch bits 1)");
	ok(in.i_mtime_extra >> 2 == 123456789, "... with its nanoseconds (%u)",
	    in.i_mtime_extra >> 2);
	ok(get("etc/passwd", &in) && in.i_mtime == 1700000000 &&
		(in.i_mode & 0777) == 0644,
	    "etc/passwd: mode and mtime");
	ok(has_content("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
	    "etc/passwd: its content");
	ok(link_is("sbin", "usr/sbin") && link_is("etc/abs", "/etc/passwd"),
	    "symlinks keep their targets");
	ok(has_content("usr/sbin/init", "init\n"), "usr/sbin/init");

	/* hard links */
	ok(ino_of("lib/a") == ino_of("lib/c") && get("lib/a", &in) &&
		in.i_links_count == 2,
	    "lib/a and lib/c: one inode, 2 links (lib/b became a symlink)");
	ok(link_is("lib/b", "a"), "lib/b: the symlink that replaced the link");
	ok(has_content("h/y", "x data") && get("h/y", &in) &&
		in.i_links_count == 1 && !exists("h/x"),
	    "h/x whited out: h/y keeps the data, 1 link");
	ok(has_content("h/q", "old p") && get("h/q", &in) &&
		in.i_links_count == 1 && has_content("h/p", "new p") &&
		ino_of("h/p") != ino_of("h/q"),
	    "h/p replaced: h/q keeps the old data, 1 link");
	ok(has_content("r/outside", "a") && get("r/outside", &in) &&
		in.i_links_count == 1,
	    "a hard link outside a replaced directory survives, 1 link");

	/* opaque */
	ok(!exists("o/lower1"), "opaque o/: the lower file is gone");
	ok(has_content("o/new1", "n1") && has_content("o/new2", "n2"),
	    "opaque o/: this layer's files before and after the marker stay");
	ok(has_content("o/sub/y", "new y") && !exists("o/sub/x") &&
		!exists("o/sub/deeper"),
	    "opaque o/: in o/sub (lower, this layer wrote in it) only this "
	    "layer's stay");
	ok(get("o", &in) && (in.i_mode & 0777) == 0750 && in.i_links_count == 3,
	    "o: the new mode, 3 links (., .., sub)");

	/* whiteouts */
	ok(!exists("w/file") && !exists("w/dir") && !exists("w/link") &&
		exists("w"),
	    "w/file, w/dir (a tree with 3 MiB in it) and w/link whited out");
	ok(get("w", &in) && in.i_links_count == 2,
	    "w: 2 links once w/dir is gone");
	ok(!exists("nowhere"), "a whiteout in a missing directory: a no-op");
	ok(has_content("w2/f", "upper f"),
	    "a whiteout then the same name: the new one");
	ok(has_content("s/keep", "upper keep"),
	    "a whiteout after this layer's own entry: the entry stays");

	/* replacements */
	ok(get("r/f2d", &in) && LINUX_S_ISDIR(in.i_mode) &&
		(in.i_mode & 0777) == 0711 &&
		has_content("r/f2d/inner", "inner"),
	    "a file replaced by a directory");
	ok(get("r/d2f", &in) && LINUX_S_ISREG(in.i_mode) &&
		has_content("r/d2f", "now a file"),
	    "a directory (a tree) replaced by a file");
	ok(get("r", &in) && in.i_links_count == 3, "r: 3 links (., .., f2d)");
	ok(get("ddir", &in) && (in.i_mode & 0777) == 0755 &&
		xattr("ddir", "user.e", v, sizeof(v)) == 1 &&
		xattr("ddir", "user.d", v, sizeof(v)) < 0,
	    "a directory over a directory: its mode and xattrs replaced");
	ok(has_content("n/f", "second") && get("n/f", &in) &&
		(in.i_mode & 0777) == 0600,
	    "the same name twice in one layer: the second");

	/* data */
	c = content("data/big", &n);
	ok(c != NULL && n == BIG_LEN && memcmp(c, big, n) == 0,
	    "data/big: 3 MiB, every byte");
	free(c);
	c = content("data/sparse", &n);
	ok(c != NULL && n == SPARSE_LEN && memcmp(c, sparse, n) == 0,
	    "data/sparse: 8 MiB, every byte");
	free(c);
	ok(get("data/sparse", &in) &&
		in.i_blocks < 64 /* 512-byte units: < 32 KiB */,
	    "data/sparse: its zero blocks are holes (%u sectors)", in.i_blocks);
	ok(get("data/empty", &in) && in.i_size == 0, "data/empty");
	ok(exists("lost+found"), "lost+found is still there");
	ok(get("/", &in) && in.i_mtime == 1700000000,
	    "the \"./\" entry set the root's attributes");
	ro_close();
}

/* Layer by layer in fresh images (1 KiB blocks: mkfs.ext4's for small ones): the refusals. */
static int
one_layer(const char *what, struct tb *t, enum bg_oci_compression c,
    struct bg_err *err)
{
	struct bg_oci_apply *a;
	int r = bg_oci_apply_open(img, &a, err);

	(void)what;
	if (r < 0) {
		free(t->buf);
		return r;
	}
	r = apply(a, t, c, NULL, err);
	bg_oci_apply_close(a, NULL);
	return r;
}

static void
test_refusals(void)
{
	struct bg_oci_apply *a;
	struct bg_err err;
	struct tb t;
	int r;

	ok(mkimg(img, "32M", ""), "a fresh image");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_sym(&t, "etc", "/host");
	tb_sym(&t, "up", "../../..");
	tb_sym(&t, "rel", "sub");
	tb_dir(&t, "sub/", 0755);
	tb_file(&t, "sub/f", 0644, "f");
	tb_close(&t);
	is_int(one_layer("base", &t, BG_OCI_COMP_NONE, &err), 0,
	    "a layer with symlinks to /host, ../../.. and sub");

	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "../x", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "\"../x\" is refused");
	ok(strstr(err.msg, "layer entry \"../x\" leaves the image") != NULL &&
		strcmp(err.code, "bad_request") == 0,
	    "... bad_request, naming the entry");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "/abs", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "an absolute path is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "sub/../../x", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "sub/../../x is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "etc/x", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ELOOP,
	    "etc/x through etc -> /host (an earlier layer's) is refused");
	ok(strstr(err.msg, "goes through the symlink \"etc\"") != NULL &&
		strstr(err.msg, "refused") != NULL,
	    "... saying so: %s", err.msg);
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "up/x", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ELOOP,
	    "up/x through up -> ../../.. is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "rel/g", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ELOOP,
	    "even a harmless relative symlink is never followed");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_sym(&t, "l2", "/etc");
	tb_file(&t, "l2/passwd", 0644, "x");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ELOOP,
	    "a symlink made earlier in the same layer is not followed either");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_wh(&t, "etc/.wh.passwd");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ELOOP,
	    "a whiteout through a symlink is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_hard(&t, "h", "rel/f");
	tb_close(&t);
	ok(one_layer("", &t, BG_OCI_COMP_NONE, &err) < 0 &&
		strstr(err.msg, "symlink") != NULL,
	    "a hard link whose target goes through a symlink is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_hard(&t, "lost+found", "sub/f");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "a hard link over lost+found is refused");
	ok(strstr(err.msg, "lost+found must stay a directory") != NULL,
	    "... saying so: %s", err.msg);
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_hard(&t, "h", "../etc/passwd");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "a hard link to ../etc/passwd is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_hard(&t, "h", "sub");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EPERM,
	    "a hard link to a directory is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_hard(&t, "h", "missing");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -ENOENT,
	    "a hard link to nothing is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_wh(&t, "sub/.wh..wh.plnk");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EINVAL,
	    "an AUFS .wh..wh. name is refused");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, ".wh.x/y", 0644, "y");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EINVAL,
	    "a .wh. directory on a path is refused");
	{
		struct archive_entry *e = ent("xa", AE_IFREG, 0644);

		archive_entry_xattr_add_entry(e, "system.data", "x", 1);
		tb_open(&t, BG_OCI_COMP_NONE);
		tb_put(&t, e, "x", 1);
		tb_close(&t);
		is_int(one_layer("", &t, BG_OCI_COMP_NONE, &err), -EINVAL,
		    "an xattr ext4 does not keep (system.data) is refused");
	}
	ok(fsck_clean(img), "after the refusals: still clean");

	/* compression */
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "a", 0644, "a");
	tb_close(&t);
	r = one_layer("", &t, BG_OCI_COMP_GZIP, &err);
	ok(r == -EBADMSG && strstr(err.msg, "not gzip-compressed") != NULL &&
		strcmp(err.code, "bad_request") == 0,
	    "gzip declared, a plain tar sent: refused (%s)", err.msg);
	tb_open(&t, BG_OCI_COMP_GZIP);
	tb_file(&t, "a", 0644, "a");
	tb_close(&t);
	is_int(one_layer("", &t, BG_OCI_COMP_ZSTD, &err), -EBADMSG,
	    "zstd declared, gzip sent: refused");
	tb_open(&t, BG_OCI_COMP_ZSTD);
	tb_file(&t, "a", 0644, "a");
	tb_close(&t);
	ok(one_layer("", &t, BG_OCI_COMP_NONE, &err) < 0,
	    "uncompressed declared, zstd sent: refused (%s)", err.msg);
	tb_open(&t, BG_OCI_COMP_GZIP);
	tb_put(&t, ent("big", AE_IFREG, 0644), big, BIG_LEN);
	tb_close(&t);
	t.len /= 2;
	ok(one_layer("", &t, BG_OCI_COMP_GZIP, &err) < 0 &&
		strcmp(err.code, "bad_request") == 0,
	    "a truncated gzip stream: refused (%s)", err.msg);
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_put(&t, ent("big", AE_IFREG, 0644), big, BIG_LEN);
	tb_close(&t);
	t.len = 100000;
	ok(one_layer("", &t, BG_OCI_COMP_NONE, &err) < 0 &&
		strcmp(err.code, "bad_request") == 0,
	    "a truncated tar: refused (%s)", err.msg);
	{
		struct feed f;
		struct bg_oci_apply_stats st;

		tb_open(&t, BG_OCI_COMP_NONE);
		tb_put(&t, ent("big2", AE_IFREG, 0644), big, BIG_LEN);
		tb_close(&t);
		f = (struct feed){ t.buf, t.len, 0, 200000 };
		bg_oci_apply_open(img, &a, &err);
		r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, feed_read, &f,
		    &big_lim, &st, &err);
		bg_oci_apply_close(a, NULL);
		free(t.buf);
		ok(r == -EIO && strcmp(err.code, "temporary") == 0,
		    "the reader's error ends the layer with it (%d %s)", r,
		    err.msg);
	}
	{
		/* trailing bytes after the tar's end are read too */
		struct feed f;
		struct bg_oci_apply_stats st;

		tb_open(&t, BG_OCI_COMP_NONE);
		tb_file(&t, "t1", 0644, "t");
		tb_close(&t);
		memset(t.buf + t.len, 0, 50000);
		f = (struct feed){ t.buf, t.len + 50000, 0, 0 };
		bg_oci_apply_open(img, &a, &err);
		r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, feed_read, &f,
		    &big_lim, &st, &err);
		bg_oci_apply_close(a, NULL);
		free(t.buf);
		ok(r == 0 && f.off == f.len,
		    "the blob is read to its end, past the tar's");
	}

	/* limits, each layer's */
	{
		struct bg_oci_apply_limits lim = { 100, 5 };
		struct bg_oci_apply_stats st;
		struct feed f;

		bg_oci_apply_open(img, &a, &err);
		tb_open(&t, BG_OCI_COMP_NONE);
		tb_put(&t, ent("l1", AE_IFREG, 0644), big, 60);
		tb_put(&t, ent("l2", AE_IFREG, 0644), big, 60);
		tb_close(&t);
		f = (struct feed){ t.buf, t.len, 0, 0 };
		r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, feed_read, &f, &lim,
		    &st, &err);
		free(t.buf);
		ok(r == -E2BIG && strstr(err.msg, "larger than 100") != NULL &&
			strcmp(err.code, "bad_request") == 0,
		    "60 + 60 bytes in a layer: over max_bytes 100, -E2BIG "
		    "(%s)",
		    err.msg);
		tb_open(&t, BG_OCI_COMP_NONE);
		tb_put(&t, ent("l3", AE_IFREG, 0644), big, 60);
		tb_close(&t);
		f = (struct feed){ t.buf, t.len, 0, 0 };
		r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, feed_read, &f, &lim,
		    &st, &err);
		free(t.buf);
		ok(r == 0 && st.bytes == 60 && st.entries == 1,
		    "60 in the next layer: the bounds are each layer's");
		bg_oci_apply_close(a, NULL);

		bg_oci_apply_open(img, &a, &err);
		tb_open(&t, BG_OCI_COMP_NONE);
		tb_file(&t, "e1", 0644, "");
		tb_file(&t, "e2", 0644, "");
		tb_wh(&t, ".wh.e9");
		tb_file(&t, "e3", 0644, "");
		tb_file(&t, "e4", 0644, "");
		tb_file(&t, "e5", 0644, "");
		tb_close(&t);
		f = (struct feed){ t.buf, t.len, 0, 0 };
		r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, feed_read, &f, &lim,
		    &st, &err);
		free(t.buf);
		ok(r == -E2BIG && strstr(err.msg, "more than 5 entries"),
		    "6 entries (a whiteout among them) over max_entries 5");
		bg_oci_apply_close(a, NULL);
	}
}

static void
test_full(void)
{
	struct bg_err err;
	struct tb t;
	int i, r;

	ok(mkimg(img, "8M", ""), "a small image (8 MiB)");
	tb_open(&t, BG_OCI_COMP_GZIP);
	for (i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fill/%d", i);
		tb_put(&t, ent(name, AE_IFREG, 0644), big, BIG_LEN);
	}
	tb_close(&t);
	r = one_layer("", &t, BG_OCI_COMP_GZIP, &err);
	ok(r == -EFBIG && strcmp(err.code, "bad_request") == 0 &&
		strstr(err.msg, "the image is full") != NULL,
	    "12 MiB into 8: -EFBIG, the image is full (%s)", err.msg);

	ok(mkimg(img, "8M", "-N 64"), "an image with 64 inodes");
	tb_open(&t, BG_OCI_COMP_NONE);
	for (i = 0; i < 100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%d", i);
		tb_file(&t, name, 0644, "");
	}
	tb_close(&t);
	r = one_layer("", &t, BG_OCI_COMP_NONE, &err);
	ok(r == -EFBIG && strstr(err.msg, "the image is full") != NULL,
	    "100 files into 64 inodes: the image is full (%s)", err.msg);
}

/* A deep tree made, then whited out (the recursion frees it all). */
static void
test_deep(void)
{
	struct bg_oci_apply *a;
	struct bg_err err;
	struct tb t;
	char *p = malloc(PATH_MAX);
	unsigned long long blocks;
	size_t n = 0;
	int i;

	ok(mkimg(img, "32M", "-b 4096"), "a fresh image (4 KiB blocks)");
	ro_open();
	blocks = free_blocks();
	ro_close();
	for (i = 0; i < 1500; i++) {
		memcpy(p + n, "d/", 2);
		n += 2;
	}
	memcpy(p + n, "f", 2);
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, p, 0644, "deep");
	{
		struct archive_entry *e = ent("d/d/big", AE_IFREG, 0644);

		archive_entry_xattr_add_entry(e, "user.big", big, 2000);
		tb_put(&t, e, big, BIG_LEN);
	}
	tb_close(&t);
	bg_oci_apply_open(img, &a, &err);
	is_int(apply(a, &t, BG_OCI_COMP_NONE, NULL, &err), 0,
	    "a file 1500 directories deep");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_wh(&t, ".wh.d");
	tb_close(&t);
	is_int(apply(a, &t, BG_OCI_COMP_NONE, NULL, &err), 0, "... whited out");
	bg_oci_apply_close(a, NULL);
	ok(fsck_clean(img), "e2fsck -fn: clean");
	ro_open();
	ok(!exists("d") &&
		rfs->super->s_free_inodes_count ==
		    rfs->super->s_inodes_count - 11,
	    "every inode freed (%u free)", rfs->super->s_free_inodes_count);
	ok(free_blocks() == blocks, "every block freed (%llu, was %llu)",
	    free_blocks(), blocks);
	ro_close();
	free(p);
}

static void
test_api(void)
{
	struct bg_oci_apply *a;
	struct ext2_inode_large in;
	struct bg_err err;
	struct tb t;
	char out[PATH_MAX];

	ok(mkimg(img, "32M", ""), "a fresh image");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_dir(&t, "usr/sbin/", 0755);
	tb_file(&t, "usr/sbin/init", 0755, "init");
	tb_sym(&t, "sbin", "usr/sbin");
	tb_sym(&t, "abs", "/usr/sbin/init");
	tb_sym(&t, "up", "../../..");
	tb_sym(&t, "loop1", "loop2");
	tb_sym(&t, "loop2", "loop1");
	tb_file(&t, "etc/passwd", 0644, "p");
	tb_close(&t);
	bg_oci_apply_open(img, &a, &err);
	is_int(apply(a, &t, BG_OCI_COMP_NONE, NULL, &err), 0,
	    "a merged-usr layer");

#define RESOLVE(in_, want, what) \
	do { \
		int r_ = bg_oci_apply_resolve(a, in_, out, sizeof(out), &err); \
		if (r_ < 0) \
			printf("#   %d %s\n", r_, err.msg); \
		is_str(r_ == 0 ? out : "(failed)", want, what); \
	} while (0)
	RESOLVE("sbin", "usr/sbin", "resolve sbin -> usr/sbin");
	RESOLVE("/sbin/init", "usr/sbin/init", "resolve /sbin/init");
	RESOLVE("abs", "usr/sbin/init", "an absolute target, from the root");
	RESOLVE("sbin/..", "usr", "sbin/.. is usr");
	RESOLVE("up", "", "../../.. clamped at the root");
	RESOLVE("up/etc/passwd", "etc/passwd", "up/etc/passwd");
	RESOLVE("", "", "the root");
	is_int(bg_oci_apply_resolve(a, "loop1", out, sizeof(out), &err), -ELOOP,
	    "a symlink loop: -ELOOP");
	is_int(bg_oci_apply_resolve(a, "sbin/nope", out, sizeof(out), &err),
	    -ENOENT, "a missing name: -ENOENT");
	is_int(bg_oci_apply_resolve(a, "etc/passwd/x", out, sizeof(out), &err),
	    -ENOTDIR, "through a file: -ENOTDIR");
	is_int(bg_oci_apply_resolve(a, "sbin", out, 4, &err), -ENAMETOOLONG,
	    "a buffer too small: -ENAMETOOLONG");

	ok(bg_oci_apply_exists(a, "sbin") && bg_oci_apply_exists(a, "/sbin") &&
		!bg_oci_apply_exists(a, "sbin/init") &&
		bg_oci_apply_exists(a, "usr/sbin/init") &&
		!bg_oci_apply_exists(a, "nope") &&
		!bg_oci_apply_exists(a, "../etc"),
	    "exists: lstat-like, never through a symlink");
	is_int(bg_oci_apply_file(a, "/etc/banger/init.sh", 0750, 0, 0,
		   "#!/bin/sh\n", 10, &err),
	    0, "file: a new file, its directory made");
	is_int(bg_oci_apply_file(a, "etc/passwd", 0644, 0, 0, "x", 1, &err),
	    -EEXIST, "file: an existing name is refused");
	is_int(bg_oci_apply_file(a, "sbin/x", 0644, 0, 0, "x", 1, &err), -ELOOP,
	    "file: never through a symlink");
	is_int(bg_oci_apply_symlink(a, "usr/sbin/banger-init",
		   "/etc/banger/init.sh", &err),
	    0, "symlink");
	is_int(bg_oci_apply_symlink(a, "sbin", "x", &err), -EEXIST,
	    "symlink: an existing name is refused");
	is_int(bg_oci_apply_mkdir(a, "run/banger", 0700, &err), 0, "mkdir");
	is_int(bg_oci_apply_mkdir(a, "run/banger", 0755, &err), 0,
	    "mkdir: an existing directory is fine");
	is_int(bg_oci_apply_mkdir(a, "etc/passwd", 0755, &err), -EEXIST,
	    "mkdir: over a file, -EEXIST");
	is_int(bg_oci_apply_file(a, "../x", 0644, 0, 0, "x", 1, &err), -EPERM,
	    "file: ../x refused");
	is_int(bg_oci_apply_close(a, &err), 0, "close");
	ok(fsck_clean(img), "e2fsck -fn: clean");
	ro_open();
	ok(has_content("etc/banger/init.sh", "#!/bin/sh\n") &&
		get("etc/banger/init.sh", &in) && (in.i_mode & 07777) == 0750,
	    "the file, 0750");
	ok(link_is("usr/sbin/banger-init", "/etc/banger/init.sh"),
	    "the symlink");
	ok(get("run/banger", &in) && (in.i_mode & 07777) == 0700 &&
		LINUX_S_ISDIR(in.i_mode),
	    "the directory, 0700 (the second mkdir left it)");
	ro_close();
}

/* A pax "path" in UTF-8 read in the C locale: kept as its bytes. */
static void
test_names(void)
{
	struct bg_oci_apply *a;
	struct bg_err err;
	struct tb t;

	ok(mkimg(img, "32M", ""), "a fresh image");
	tb_open(&t, BG_OCI_COMP_NONE);
	tb_file(&t, "raw-\xff\xfe", 0644, "raw");
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
		struct archive_entry *e = ent("x", AE_IFREG, 0644);

		archive_entry_set_pathname_utf8(e, "caf\xc3\xa9");
		tb_put(&t, e, "utf8", 4);
		setlocale(LC_CTYPE, "C");
	}
	tb_close(&t);
	bg_oci_apply_open(img, &a, &err);
	is_int(apply(a, &t, BG_OCI_COMP_NONE, NULL, &err), 0,
	    "names that are not ASCII");
	bg_oci_apply_close(a, NULL);
	ro_open();
	ok(has_content("raw-\xff\xfe", "raw"), "a name in no charset");
	ok(has_content("caf\xc3\xa9", "utf8"), "a pax UTF-8 name");
	ro_close();
}

/* Many small files: how long a layer like a real one takes. */
static void
test_many(void)
{
	struct bg_oci_apply *a;
	struct bg_oci_apply_stats st;
	struct bg_err err;
	struct timespec t0, t1;
	struct tb t;
	char name[64];
	int i;

	ok(mkimg(img, "512M", "-b 4096"), "a 512 MiB image");
	tb_open(&t, BG_OCI_COMP_GZIP);
	for (i = 0; i < 20000; i++) {
		if (i % 100 == 0) {
			snprintf(name, sizeof(name), "usr/share/d%d/", i / 100);
			tb_dir(&t, name, 0755);
		}
		snprintf(name, sizeof(name), "usr/share/d%d/file-%d.txt",
		    i / 100, i);
		tb_put(&t, ent(name, AE_IFREG, 0644), big + i, 100 + i % 5000);
	}
	tb_close(&t);
	bg_oci_apply_open(img, &a, &err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(apply(a, &t, BG_OCI_COMP_GZIP, &st, &err), 0,
	    "a layer of 20000 files in 200 directories");
	is_int(bg_oci_apply_close(a, &err), 0, "close");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# 20200 entries, %llu MB: %.2f s (ASan build)\n",
	    (unsigned long long)st.bytes >> 20,
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	ok(fsck_clean(img), "e2fsck -fn: clean");
}

int
main(void)
{
	char path[4096];
	size_t i;

	/* mkfs.ext4 and e2fsck are in sbin, which a user's PATH may lack. */
	snprintf(path, sizeof(path), "/usr/sbin:/sbin:%s",
	    getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(img, sizeof(img), "%s/i.ext4", dir);
	if (cmd("command -v mkfs.ext4 e2fsck >/dev/null") != 0) {
		ok(0, "mkfs.ext4 and e2fsck (e2fsprogs) are needed");
		return done_testing();
	}
	big = malloc(BIG_LEN + 32768);
	for (i = 0; i < BIG_LEN + 32768; i++)
		big[i] = (char)(i * 7 + i / 4096 + 1);
	sparse = calloc(1, SPARSE_LEN);
	memcpy(sparse + SPARSE_LEN - 4096, big, 4096);
	memcpy(sparse + 12345, "x", 1);

	test_layers();
	test_refusals();
	test_full();
	test_deep();
	test_api();
	test_names();
	test_many();

	free(big);
	free(sparse);
	cmd("rm -rf %s", dir);
	return done_testing();
}
