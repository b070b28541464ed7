/*
 * Unit tests: bg_ext4_untar (lib/ext4-untar.c) — a tar stream written
 * straight into an ext4 image made by the real mkfs.ext4, then checked
 * with the real debugfs and e2fsck: contents, modes, root ownership,
 * symlinks, hard links, implicit parents, setuid dropped, and refusals
 * (through a symlink, twice, outside, a full disk) that leave a file
 * system e2fsck finds clean.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "banger.h"
#include "tap.h"

static char dir[] = "/tmp/banger-ext4-untar.XXXXXX";
static char img[sizeof(dir) + 16];

struct tb {
	struct archive *a;
	char *buf;
	size_t cap, len;
};

static void
tb_open(struct tb *t)
{
	t->cap = 96u << 20;
	t->buf = malloc(t->cap);
	t->a = archive_write_new();
	if (t->buf == NULL || t->a == NULL)
		abort();
	archive_write_set_format_pax_restricted(t->a);
	archive_write_set_bytes_per_block(t->a, 0);
	archive_write_open_memory(t->a, t->buf, t->cap, &t->len);
}

static void
tb_add(struct tb *t, const char *path, unsigned type, unsigned perm,
    const void *data, size_t len, const char *link, bool hard)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	if (hard) {
		archive_entry_set_hardlink(e, link);
	} else {
		archive_entry_set_filetype(e, type);
		archive_entry_set_perm(e, perm);
		if (link != NULL)
			archive_entry_set_symlink(e, link);
		archive_entry_set_size(e,
		    type == AE_IFREG ? (la_int64_t)len : 0);
	}
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1000);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		abort();
	if (data != NULL && len > 0)
		archive_write_data(t->a, data, len);
	archive_entry_free(e);
}

static void
tb_close(struct tb *t)
{
	archive_write_close(t->a);
	archive_write_free(t->a);
}

struct feed {
	const char *buf;
	size_t len, off;
};

static ssize_t
feed_read(void *arg, void *buf, size_t n)
{
	struct feed *f = arg;
	size_t k = f->len - f->off;

	if (k > n)
		k = n;
	if (k > 4093)
		k = 4093; /* odd chunks */
	memcpy(buf, f->buf + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

/* open, untar under top, close: what the work disk builder does. */
static int
untar_image(const char *image, const char *top, bg_untar_read_fn *rd, void *arg,
    const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err)
{
	struct bg_ext4 *x;
	int r = bg_ext4_open(image, &x, err);

	if (r < 0)
		return r;
	r = bg_ext4_untar(x, top, rd, arg, lim, st, err);
	if (bg_ext4_close(x, r < 0 ? NULL : err) < 0 && r == 0)
		r = -EIO;
	return r;
}

static int
run(struct tb *t, uint64_t max_bytes, struct bg_untar_stats *st,
    struct bg_err *err)
{
	struct feed f = { t->buf, t->len, 0 };
	struct bg_untar_limits lim = { max_bytes, 1000 };

	memset(err, 0, sizeof(*err));
	return untar_image(img, "repo", feed_read, &f, &lim, st, err);
}

/* Output of a shell command (at most 64 KiB), or "" on failure. */
static char out[65536];

__attribute__((format(printf, 1, 2))) static const char *
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (p == NULL)
		return out;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

/* system() of a formatted command: its exit status. */
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

static bool
fsck_clean(void)
{
	return cmd("e2fsck -fn %s >/dev/null 2>&1", img) == 0;
}

static bool
has(const char *s)
{
	return strstr(out, s) != NULL;
}

int
main(void)
{
	struct bg_untar_stats st;
	struct bg_err err;
	struct tb t;
	char *big;
	size_t i;
	int r;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(img, sizeof(img), "%s/w.ext4", dir);
	if (cmd("truncate -s 64M %s && mkfs.ext4 -q -F -L work %s", img, img) !=
	    0) {
		ok(0, "mkfs.ext4 (e2fsprogs) is needed");
		return done_testing();
	}
	big = malloc(3u << 20);
	for (i = 0; i < (3u << 20); i++)
		big[i] = (char)(i * 7 + i / 4096);

	/* 1. Everything that may be in a workspace. */
	tb_open(&t);
	tb_add(&t, "run.sh", AE_IFREG, 0755, "#!/bin/sh\n", 10, NULL, false);
	tb_add(&t, "sub", AE_IFDIR, 0750, NULL, 0, NULL, false);
	tb_add(&t, "sub/ro.txt", AE_IFREG, 0444, "ro\n", 3, NULL, false);
	tb_add(&t, "deep/er/file", AE_IFREG, 0644, "deep\n", 5, NULL, false);
	tb_add(&t, "big.bin", AE_IFREG, 0600, big, 3u << 20, NULL, false);
	tb_add(&t, "suid", AE_IFREG, 04755, "x", 1, NULL, false);
	tb_add(&t, "link", AE_IFLNK, 0777, NULL, 0, "../../etc/passwd", false);
	tb_add(&t, "hard", 0, 0, NULL, 0, "run.sh", true);
	tb_add(&t, "./sub/", AE_IFDIR, 0700, NULL, 0, NULL, false);
	tb_close(&t);
	r = run(&t, 1u << 30, &st, &err);
	is_int(r, 0, "a workspace unpacks into the image");
	if (r < 0)
		printf("# %s: %s\n", err.code, err.msg);
	ok(st.entries == 9 && st.bytes == 10 + 3 + 5 + (3u << 20) + 1,
	    "stats: 9 entries, the files' bytes");
	ok(fsck_clean(), "e2fsck -fn finds the file system clean");
	sh("debugfs -R 'stat /repo/run.sh' %s 2>/dev/null", img);
	ok(has("Mode:  0755") && has("User:     0   Group:     0"),
	    "run.sh: 0755, root:root");
	ok(has("Links: 2"), "run.sh has 2 links (the hard link)");
	sh("debugfs -R 'cat /repo/run.sh' %s 2>/dev/null", img);
	is_str(out, "#!/bin/sh\n", "run.sh: its content");
	sh("debugfs -R 'stat /repo/sub' %s 2>/dev/null", img);
	ok(has("Mode:  0700") && has("Type: directory"),
	    "a directory entry over an existing directory sets its mode");
	sh("debugfs -R 'stat /repo/sub/ro.txt' %s 2>/dev/null", img);
	ok(has("Mode:  0444"), "sub/ro.txt: 0444");
	sh("debugfs -R 'stat /repo/deep/er' %s 2>/dev/null", img);
	ok(has("Mode:  0755") && has("Type: directory"),
	    "implicit parents are 0755 directories");
	sh("debugfs -R 'stat /repo/suid' %s 2>/dev/null", img);
	ok(has("Mode:  0755"), "setuid is dropped: 04755 -> 0755");
	sh("debugfs -R 'stat /repo/link' %s 2>/dev/null", img);
	ok(has("Type: symlink") && has("../../etc/passwd"),
	    "the symlink keeps its target");
	sh("debugfs -R 'stat /repo/hard' %s 2>/dev/null | head -1 | sed 's/  Type.*//'; "
	   "debugfs -R 'stat /repo/run.sh' %s 2>/dev/null | head -1 | sed 's/  Type.*//'",
	    img, img);
	{
		char *nl = strchr(out, '\n');

		ok(nl != NULL && strncmp(out, nl + 1, (size_t)(nl - out)) == 0,
		    "hard and run.sh are the same inode");
	}
	cmd("debugfs -R 'dump /repo/big.bin %s/big.out' %s >/dev/null 2>&1",
	    dir, img);
	{
		FILE *f;
		char path[sizeof(dir) + 16];
		size_t n;
		char *back = malloc(4u << 20);

		snprintf(path, sizeof(path), "%s/big.out", dir);
		f = fopen(path, "rb");
		n = f != NULL ? fread(back, 1, 4u << 20, f) : 0;
		if (f != NULL)
			fclose(f);
		ok(n == (3u << 20) && memcmp(back, big, n) == 0,
		    "big.bin (3 MiB): every byte");
		free(back);
	}
	sh("debugfs -R 'stat /repo' %s 2>/dev/null", img);
	ok(has("Mode:  0755") && has("User:     0"), "/repo: 0755, root");
	free(t.buf);

	/* 2. Refusals, each leaving a clean file system. */
	tb_open(&t);
	tb_add(&t, "link/x", AE_IFREG, 0644, "x", 1, NULL, false);
	tb_close(&t);
	is_int(run(&t, 1u << 30, &st, &err), -ENOTDIR,
	    "an entry through a symlink is refused");
	ok(strstr(err.msg, "never followed") != NULL &&
		strcmp(err.code, "bad_request") == 0,
	    "... bad_request, saying why");
	free(t.buf);
	tb_open(&t);
	tb_add(&t, "run.sh", AE_IFREG, 0644, "y", 1, NULL, false);
	tb_close(&t);
	is_int(run(&t, 1u << 30, &st, &err), -EEXIST,
	    "a file that exists already is refused");
	free(t.buf);
	tb_open(&t);
	tb_add(&t, "../escape", AE_IFREG, 0644, "y", 1, NULL, false);
	tb_close(&t);
	is_int(run(&t, 1u << 30, &st, &err), -EPERM, "../escape is refused");
	free(t.buf);
	tb_open(&t);
	tb_add(&t, "h2", 0, 0, NULL, 0, "sub", true);
	tb_close(&t);
	is_int(run(&t, 1u << 30, &st, &err), -ENOENT,
	    "a hard link to a directory is refused");
	free(t.buf);
	tb_open(&t);
	tb_add(&t, "sub/../../x", AE_IFREG, 0644, "y", 1, NULL, false);
	tb_close(&t);
	is_int(run(&t, 1u << 30, &st, &err), -EPERM, "sub/../../x is refused");
	free(t.buf);
	ok(fsck_clean(), "after the refusals e2fsck still finds it clean");
	sh("debugfs -R 'ls /' %s 2>/dev/null", img);
	ok(!has("escape") && !has(" x "), "nothing landed outside /repo");

	/* 3. More than the disk holds: "the disk is full", still clean. */
	tb_open(&t);
	for (i = 0; i < 25; i++) {
		char name[32];

		snprintf(name, sizeof(name), "fill/%zu", i);
		tb_add(&t, name, AE_IFREG, 0644, big, 3u << 20, NULL, false);
	}
	tb_close(&t);
	r = run(&t, 1u << 30, &st, &err);
	is_int(r, -EFBIG, "a stream larger than the disk: -EFBIG");
	printf("# %s\n", err.msg);
	ok(strstr(err.msg, "disk is full") != NULL,
	    "... saying the disk is full");
	ok(fsck_clean(), "a full disk is still a clean file system");
	free(t.buf);

	/* 4. Not an ext4 image: a clean error. */
	{
		char bad[sizeof(dir) + 16];
		FILE *f;

		snprintf(bad, sizeof(bad), "%s/bad.img", dir);
		f = fopen(bad, "w");
		if (f != NULL) {
			fputs("not a file system", f);
			fclose(f);
		}
		tb_open(&t);
		tb_add(&t, "a", AE_IFREG, 0644, "a", 1, NULL, false);
		tb_close(&t);
		{
			struct feed fd = { t.buf, t.len, 0 };
			struct bg_untar_limits lim = { 1u << 30, 10 };

			r = untar_image(bad, "repo", feed_read, &fd, &lim, &st,
			    &err);
		}
		ok(r < 0 &&
			strstr(err.msg, "cannot open the file system") != NULL,
		    "not an ext4 image: refused, named");
		free(t.buf);
	}

	free(big);
	cmd("rm -rf %s", dir);
	return done_testing();
}
