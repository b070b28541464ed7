/*
 * Unit tests: bg_untar (lib/untar.c), unpacking a tar stream beneath a
 * directory.  The archives are built in memory with libarchive's writer
 * and fed through a read callback in small odd chunks.  Covered: files,
 * implicit parents, symlinks and hard links with their modes and
 * times; setuid/setgid dropped; concatenated archives; paths, symlinks
 * and hard links leading outside refused; device and fifo entries
 * refused; the byte and entry limits; garbage, truncated streams and
 * read errors; the working directory and umask left as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "banger.h"
#include "tap.h"

#define MTIME 1500000000
#define TB_CAP (4u << 20)

/* ---- building archives --------------------------------------------- */

struct tb {
	struct archive *a;
	char *buf;
	size_t len;
};

static void
tb_open(struct tb *t, int ustar)
{
	t->a = archive_write_new();
	t->buf = malloc(TB_CAP);
	t->len = 0;
	if (t->a == NULL || t->buf == NULL)
		abort();
	if (ustar)
		archive_write_set_format_ustar(t->a);
	else
		archive_write_set_format_pax_restricted(t->a);
	if (archive_write_open_memory(t->a, t->buf, TB_CAP, &t->len) !=
	    ARCHIVE_OK)
		abort();
}

static void
tb_add(struct tb *t, const char *path, mode_t type, mode_t perm,
    const char *data, size_t len, const char *symlink, const char *hardlink)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, MTIME, 0);
	archive_entry_set_uid(e, 1234);
	archive_entry_set_gid(e, 1234);
	if (type == AE_IFREG && hardlink == NULL)
		archive_entry_set_size(e, (la_int64_t)len);
	if (symlink != NULL)
		archive_entry_set_symlink(e, symlink);
	if (hardlink != NULL)
		archive_entry_set_hardlink(e, hardlink);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, makedev(1, 3));
	if (archive_write_header(t->a, e) != ARCHIVE_OK) {
		fprintf(stderr, "tb_add %s: %s\n", path,
		    archive_error_string(t->a));
		abort();
	}
	if (type == AE_IFREG && hardlink == NULL && len > 0 &&
	    archive_write_data(t->a, data, len) != (la_ssize_t)len)
		abort();
	archive_entry_free(e);
}

static void
tb_file(struct tb *t, const char *path, mode_t perm, const char *data)
{
	tb_add(t, path, AE_IFREG, perm, data, strlen(data), NULL, NULL);
}

static void
tb_dir(struct tb *t, const char *path, mode_t perm)
{
	tb_add(t, path, AE_IFDIR, perm, NULL, 0, NULL, NULL);
}

static void
tb_symlink(struct tb *t, const char *path, const char *target)
{
	tb_add(t, path, AE_IFLNK, 0777, NULL, 0, target, NULL);
}

static void
tb_hardlink(struct tb *t, const char *path, const char *target)
{
	tb_add(t, path, AE_IFREG, 0644, NULL, 0, NULL, target);
}

/* Finish the archive; its bytes stay in t->buf, t->len. */
static void
tb_close(struct tb *t)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		abort();
	archive_write_free(t->a);
	t->a = NULL;
}

/* ---- feeding them ---------------------------------------------------- */

struct feed {
	const char *buf;
	size_t len, off, chunk;
	size_t fail_at; /* -EIO once off reaches it, if fail */
	int fail;
	unsigned calls;
};

static ssize_t
feed_read(void *arg, void *buf, size_t n)
{
	struct feed *f = arg;
	size_t left = f->len - f->off;

	f->calls++;
	if (f->fail && f->off >= f->fail_at)
		return -EIO;
	if (f->fail && f->off + n > f->fail_at)
		n = f->fail_at - f->off;
	if (n > f->chunk)
		n = f->chunk;
	if (n > left)
		n = left;
	memcpy(buf, f->buf + f->off, n);
	f->off += n;
	return (ssize_t)n;
}

/* ---- running bg_untar ------------------------------------------------ */

static char top[64], outside[128], cwd0[PATH_MAX];
static int topfd, tfd = -1; /* the work dir; the current target */
static struct bg_untar_stats st;
static struct bg_err err;

static const struct bg_untar_limits nolim = { UINT64_MAX, UINT64_MAX };

/*
 * Unpack buf into a fresh directory top/<name> (left open as tfd) with
 * the given chunk size, and check the working directory and the umask
 * are as they were.
 */
static int
untar_fail(const char *name, const char *buf, size_t len, size_t chunk,
    const struct bg_untar_limits *lim, size_t fail_at, int fail)
{
	struct feed f = { buf, len, 0, chunk, fail_at, fail, 0 };
	char cwd[PATH_MAX];
	mode_t um;
	int r;

	if (tfd >= 0)
		close(tfd);
	if (mkdirat(topfd, name, 0755) < 0 ||
	    (tfd = openat(topfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	memset(&err, 0, sizeof(err));
	memset(&st, 0xa5, sizeof(st));
	umask(027);
	r = bg_untar(tfd, feed_read, &f, lim, &st, &err);
	um = umask(022);
	ok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, cwd0) == 0 &&
		um == 027,
	    "%s: working directory and umask unchanged", name);
	if (r < 0)
		printf("# %s: %d %s: %s\n", name, r, err.code, err.msg);
	return r;
}

static int
untar(const char *name, const char *buf, size_t len, size_t chunk,
    const struct bg_untar_limits *lim)
{
	return untar_fail(name, buf, len, chunk, lim, 0, 0);
}

/* Mode bits, or -1 if path (not followed) is missing or not of type. */
static int
mode_of(int dfd, const char *path, mode_t type)
{
	struct stat sb;

	if (fstatat(dfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (sb.st_mode & S_IFMT) != type)
		return -1;
	return (int)(sb.st_mode & 07777);
}

static int
exists(int dfd, const char *path)
{
	struct stat sb;

	return fstatat(dfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

static long long
mtime_of(int dfd, const char *path)
{
	struct stat sb;

	if (fstatat(dfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return (long long)sb.st_mtime;
}

/* The content of a regular file beneath dfd ("" on any failure). */
static char content[8192];

static const char *
read_at(int dfd, const char *path)
{
	char *b = NULL;
	size_t n;

	content[0] = '\0';
	if (bg_read_file(dfd, path, sizeof(content) - 1, &b, &n) == 0) {
		memcpy(content, b, n);
		content[n] = '\0';
	}
	free(b);
	return content;
}

static int
count_entries(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

/* The outside witness: one file, untouched; top holds only what we made. */
static int
outside_intact(int top_entries)
{
	int ofd = openat(topfd, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int good = ofd >= 0 && count_entries(ofd) == 1 &&
	    strcmp(read_at(ofd, "witness"), "keep me\n") == 0 &&
	    mode_of(ofd, "witness", S_IFREG) == 0644 &&
	    count_entries(topfd) == top_entries;

	if (ofd >= 0)
		close(ofd);
	return good;
}

/* ---- the tests ------------------------------------------------------- */

int
main(void)
{
	static const size_t chunks[] = { 7, 4096, 1 << 20 };
	char big[5000], path[PATH_MAX], lnk[PATH_MAX];
	struct bg_untar_limits lim;
	struct tb t, t2;
	struct stat s1, s2;
	char *cat;
	int ntop, r, ofd, fd;
	size_t i;
	ssize_t n;

	/* The work dir: top/outside/witness, and a target per case. */
	snprintf(top, sizeof(top), "/tmp/banger-untar.XXXXXX");
	if (mkdtemp(top) == NULL ||
	    (topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(topfd, "outside", 0755) < 0 ||
	    (ofd = openat(topfd, "outside", O_RDONLY | O_DIRECTORY)) < 0 ||
	    bg_atomic_write(ofd, "witness", "keep me\n", 8, 0644) < 0)
		abort();
	close(ofd);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	/* Run from a directory of our own, to see bg_untar come back to it. */
	if (chdir(outside) < 0 || getcwd(cwd0, sizeof(cwd0)) == NULL)
		abort();
	ntop = 1;
	memset(big, 'b', sizeof(big));
	big[sizeof(big) - 1] = '\0';

	/* 1. Files, implicit parents, a symlink, a hard link: content,
	 * modes, times and stats, whatever the chunk size. */
	tb_open(&t, 0);
	tb_dir(&t, "d", 0750);
	tb_file(&t, "d/f1", 0755, "one\n");
	tb_file(&t, "x/y/z.txt", 0444, "deep\n");
	tb_file(&t, "./secret", 0600, "s3cret");
	tb_file(&t, "empty", 0644, "");
	tb_file(&t, "big", 0640, big);
	tb_symlink(&t, "d/ln", "../x/y/z.txt");
	tb_hardlink(&t, "hl", "d/f1");
	tb_close(&t);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "basic-%zu", chunks[i]);
		r = untar(name, t.buf, t.len, chunks[i], &nolim);
		ntop++;
		is_int(r, 0, "%s: unpacked", name);
		is_int(st.entries, 8, "%s: 8 entries counted", name);
		is_int(st.bytes, 4 + 5 + 6 + 0 + sizeof(big) - 1,
		    "%s: bytes of the regular files counted", name);
		is_str(read_at(tfd, "d/f1"), "one\n", "%s: d/f1 content", name);
		is_int(mode_of(tfd, "d/f1", S_IFREG), 0755, "%s: d/f1 0755",
		    name);
		is_str(read_at(tfd, "x/y/z.txt"), "deep\n",
		    "%s: x/y/z.txt content (implicit parents)", name);
		is_int(mode_of(tfd, "x/y/z.txt", S_IFREG), 0444,
		    "%s: x/y/z.txt 0444", name);
		is_int(mode_of(tfd, "x/y", S_IFDIR), 0755,
		    "%s: implicit parent x/y is a 0755 directory", name);
		is_str(read_at(tfd, "secret"), "s3cret",
		    "%s: ./secret lands as secret", name);
		is_int(mode_of(tfd, "secret", S_IFREG), 0600, "%s: secret 0600",
		    name);
		is_int(mode_of(tfd, "empty", S_IFREG), 0644,
		    "%s: empty file made", name);
		ok(strcmp(read_at(tfd, "big"), big) == 0,
		    "%s: big file content (%zu bytes)", name, sizeof(big) - 1);
		is_int(mode_of(tfd, "d", S_IFDIR), 0750,
		    "%s: dir mode 0750 (deferred)", name);
		is_int(mtime_of(tfd, "d"), MTIME, "%s: dir mtime", name);
		is_int(mtime_of(tfd, "d/f1"), MTIME, "%s: file mtime", name);
		is_int(mtime_of(tfd, "x/y/z.txt"), MTIME, "%s: deep file mtime",
		    name);
		n = readlinkat(tfd, "d/ln", lnk, sizeof(lnk) - 1);
		lnk[n > 0 ? n : 0] = '\0';
		is_str(lnk, "../x/y/z.txt", "%s: symlink target", name);
		is_str(read_at(tfd, "d/ln") /* not followed */, "",
		    "%s: symlink is a symlink", name);
		ok(fstatat(tfd, "hl", &s1, AT_SYMLINK_NOFOLLOW) == 0 &&
			fstatat(tfd, "d/f1", &s2, AT_SYMLINK_NOFOLLOW) == 0 &&
			s1.st_ino == s2.st_ino && s1.st_nlink == 2,
		    "%s: hl is a hard link to d/f1", name);
		is_int(count_entries(tfd), 6, "%s: nothing else at the top",
		    name);
	}
	free(t.buf);

	/* Long names and link targets (pax headers) arrive whole. */
	{
		char lp[300], lt[300];

		/* 120 + 1 + 120 + 1 + 40 + 4: past ustar's 100 and 155. */
		memset(lp, 'p', 120);
		lp[120] = '/';
		memset(lp + 121, 'q', 120);
		lp[241] = '/';
		memset(lp + 242, 'r', 40);
		strcpy(lp + 282, ".txt");
		snprintf(lt, sizeof(lt), "%s", lp);
		lt[0] = 't';
		tb_open(&t, 0);
		tb_file(&t, lp, 0644, "long\n");
		tb_symlink(&t, "longlink", lt);
		tb_close(&t);
		is_int(untar("long-names", t.buf, t.len, 7, &nolim), 0,
		    "long-names: unpacked");
		ntop++;
		is_str(read_at(tfd, lp), "long\n",
		    "long-names: a %zu-byte path", strlen(lp));
		n = readlinkat(tfd, "longlink", lnk, sizeof(lnk) - 1);
		lnk[n > 0 ? n : 0] = '\0';
		is_str(lnk, lt, "long-names: a %zu-byte link target",
		    strlen(lt));
		free(t.buf);
	}

	/* An empty archive (only its end blocks) is fine. */
	tb_open(&t, 1);
	tb_close(&t);
	is_int(untar("empty-archive", t.buf, t.len, 4096, &nolim), 0,
	    "empty archive: unpacked");
	ntop++;
	is_int(st.entries, 0, "empty archive: no entries");
	is_int(count_entries(tfd), 0, "empty archive: nothing made");
	free(t.buf);

	/* 2. setuid and setgid dropped, the sticky bit kept. */
	tb_open(&t, 1);
	tb_file(&t, "suid", 04755, "#!/bin/sh\n");
	tb_file(&t, "sgid", 02755, "#!/bin/sh\n");
	tb_file(&t, "both", 06711, "#!/bin/sh\n");
	tb_dir(&t, "sticky", 01777);
	tb_dir(&t, "sgiddir", 02775);
	tb_close(&t);
	is_int(untar("modes", t.buf, t.len, 7, &nolim), 0, "modes: unpacked");
	ntop++;
	is_int(mode_of(tfd, "suid", S_IFREG), 0755, "modes: 04755 -> 0755");
	is_int(mode_of(tfd, "sgid", S_IFREG), 0755, "modes: 02755 -> 0755");
	is_int(mode_of(tfd, "both", S_IFREG), 0711, "modes: 06711 -> 0711");
	is_int(mode_of(tfd, "sticky", S_IFDIR), 01777,
	    "modes: sticky dir keeps 01777");
	is_int(mode_of(tfd, "sgiddir", S_IFDIR), 0775,
	    "modes: setgid dir 02775 -> 0775");
	ok(fstatat(tfd, "suid", &s1, 0) == 0 && s1.st_uid == geteuid() &&
		s1.st_gid == getegid(),
	    "modes: owner not restored");
	free(t.buf);

	/* 3. Two archives end to end: both unpack. */
	tb_open(&t, 0);
	tb_file(&t, "first/a", 0644, "A\n");
	tb_close(&t);
	tb_open(&t2, 1);
	tb_dir(&t2, ".git", 0755);
	tb_file(&t2, ".git/HEAD", 0644, "ref: refs/heads/main\n");
	tb_close(&t2);
	cat = malloc(t.len + t2.len);
	memcpy(cat, t.buf, t.len);
	memcpy(cat + t.len, t2.buf, t2.len);
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "concat-%zu", chunks[i]);
		r = untar(name, cat, t.len + t2.len, chunks[i], &nolim);
		ntop++;
		is_int(r, 0, "%s: unpacked", name);
		is_str(read_at(tfd, "first/a"), "A\n",
		    "%s: the first archive's file", name);
		is_str(read_at(tfd, ".git/HEAD"), "ref: refs/heads/main\n",
		    "%s: the second archive's file", name);
		is_int(st.entries, 3, "%s: 3 entries in all", name);
		is_int(st.bytes, 2 + 21, "%s: bytes of both", name);
	}
	free(cat);
	free(t.buf);
	free(t2.buf);

	/* 3b. `tar -C DIR .` starts with "./": the top, skipped; "./f" lands. */
	tb_open(&t, 0);
	tb_dir(&t, "./", 0700);
	tb_file(&t, "./f", 0644, "F\n");
	tb_close(&t);
	r = untar("dot-top", t.buf, t.len, 4096, &nolim);
	ntop++;
	is_int(r, 0, "dot-top: unpacked");
	is_str(read_at(tfd, "f"), "F\n", "dot-top: ./f is f");
	is_int(st.entries, 1, "dot-top: the top directory is not an entry");
	free(t.buf);

	/* 4. Paths outside the target refused, nothing written there. */
	{
		static const char *bad[] = {
			"../escape",
			NULL /* absolute, below */,
			"a/../../x",
			"ok/../..",
			"..",
			"./../dots",
			"a/..",
		};
		char abs[PATH_MAX];

		snprintf(abs, sizeof(abs), "%s/abs", top);
		bad[1] = abs;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "dotdot-%zu", i);
			tb_open(&t, 0);
			tb_file(&t, "before", 0644, "b\n");
			tb_file(&t, bad[i], 0644, "pwned\n");
			tb_file(&t, "after", 0644, "a\n");
			tb_close(&t);
			r = untar(name, t.buf, t.len, 7, &nolim);
			ntop++;
			is_int(r, -EPERM, "%s: \"%s\" refused", name, bad[i]);
			is_str(err.code, "bad_request", "%s: bad_request",
			    name);
			ok(!exists(tfd, "after"),
			    "%s: nothing unpacked past it", name);
			ok(!exists(topfd, "escape") && !exists(topfd, "abs") &&
				!exists(topfd, "x") && !exists(topfd, "dots") &&
				outside_intact(ntop),
			    "%s: nothing written outside", name);
			free(t.buf);
		}
	}
	/* A hard link to a path outside is refused as well. */
	tb_open(&t, 0);
	tb_hardlink(&t, "h", "../outside/witness");
	tb_close(&t);
	is_int(untar("hardlink-dotdot", t.buf, t.len, 7, &nolim), -EPERM,
	    "hardlink-dotdot: refused");
	ntop++;
	is_str(err.code, "bad_request", "hardlink-dotdot: bad_request");
	ok(!exists(tfd, "h"), "hardlink-dotdot: no link made");
	free(t.buf);
	tb_open(&t, 0);
	snprintf(path, sizeof(path), "%s/witness", outside);
	tb_hardlink(&t, "h", path);
	tb_close(&t);
	is_int(untar("hardlink-abs", t.buf, t.len, 7, &nolim), -EPERM,
	    "hardlink-abs: refused");
	ntop++;
	is_str(err.code, "bad_request", "hardlink-abs: bad_request");
	ok(!exists(tfd, "h") && outside_intact(ntop),
	    "hardlink-abs: no link made");
	free(t.buf);

	/* 5. Through a symlink an earlier entry made: refused. */
	{
		static const struct {
			const char *name, *ln, *target, *through;
		} cases[] = {
			{ "symlink-abs", "ln", NULL /* outside */, "ln/file" },
			{ "symlink-up", "up", "..", "up/upfile" },
			{ "symlink-up2", "d/up", "../..", "d/up/upfile" },
			{ "symlink-rel", "ln", "../outside", "ln/file" },
			{ "symlink-dir", "ln", NULL, "ln/newdir/file" },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			tb_open(&t, 0);
			tb_symlink(&t, cases[i].ln,
			    cases[i].target ? cases[i].target : outside);
			tb_file(&t, cases[i].through, 0644, "pwned\n");
			tb_close(&t);
			r = untar(cases[i].name, t.buf, t.len, 4096, &nolim);
			ntop++;
			ok(r < 0, "%s: \"%s\" through \"%s\" refused",
			    cases[i].name, cases[i].through, cases[i].ln);
			is_str(err.code, "bad_request", "%s: bad_request",
			    cases[i].name);
			ok(!exists(topfd, "upfile") && outside_intact(ntop),
			    "%s: nothing written outside", cases[i].name);
			free(t.buf);
		}
	}
	/* A hard link through such a symlink: no link to the outside file. */
	tb_open(&t, 0);
	tb_symlink(&t, "ln", outside);
	tb_hardlink(&t, "h", "ln/witness");
	tb_close(&t);
	r = untar("hardlink-symlink", t.buf, t.len, 4096, &nolim);
	ntop++;
	ok(r < 0, "hardlink-symlink: hard link through a symlink refused");
	ok(fstatat(tfd, "h", &s1, AT_SYMLINK_NOFOLLOW) < 0 ||
		fstatat(topfd, "outside/witness", &s2, 0) < 0 ||
		s1.st_ino != s2.st_ino,
	    "hardlink-symlink: h is not the outside witness");
	ok(outside_intact(ntop), "hardlink-symlink: outside intact");
	free(t.buf);
	/* A file over a symlink replaces the symlink, never writes through. */
	tb_open(&t, 0);
	snprintf(path, sizeof(path), "%s/witness", outside);
	tb_symlink(&t, "ln", path);
	tb_file(&t, "ln", 0644, "pwned\n");
	tb_close(&t);
	r = untar("file-over-symlink", t.buf, t.len, 4096, &nolim);
	ntop++;
	ok(outside_intact(ntop), "file-over-symlink: witness untouched (r=%d)",
	    r);
	ok(r < 0 || mode_of(tfd, "ln", S_IFREG) == 0644,
	    "file-over-symlink: either refused or ln is now a file");
	free(t.buf);

	/* 6. Devices and fifos refused. */
	{
		static const struct {
			const char *name;
			mode_t type;
		} cases[] = {
			{ "fifo", AE_IFIFO },
			{ "chardev", AE_IFCHR },
			{ "blockdev", AE_IFBLK },
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			tb_open(&t, 0);
			tb_file(&t, "before", 0644, "b\n");
			tb_add(&t, "node", cases[i].type, 0666, NULL, 0, NULL,
			    NULL);
			tb_file(&t, "after", 0644, "a\n");
			tb_close(&t);
			r = untar(cases[i].name, t.buf, t.len, 7, &nolim);
			ntop++;
			is_int(r, -EPERM, "%s: refused", cases[i].name);
			is_str(err.code, "bad_request", "%s: bad_request",
			    cases[i].name);
			ok(!exists(tfd, "node") && !exists(tfd, "after"),
			    "%s: no node made, nothing after", cases[i].name);
			free(t.buf);
		}
	}

	/* 7. Limits: at the limit fine, one past it refused. */
	tb_open(&t, 0);
	tb_file(&t, "a", 0644, "123456");
	tb_dir(&t, "d", 0755);
	tb_file(&t, "d/b", 0644, "7890");
	tb_file(&t, "c", 0644, "x");
	tb_close(&t);
	lim = (struct bg_untar_limits){ 11, 4 };
	is_int(untar("limit-exact", t.buf, t.len, 7, &lim), 0,
	    "limit-exact: 11 bytes, 4 entries allowed");
	ntop++;
	is_int(st.bytes, 11, "limit-exact: 11 bytes");
	is_int(st.entries, 4, "limit-exact: 4 entries");
	lim = (struct bg_untar_limits){ 10, 100 };
	is_int(untar("limit-bytes", t.buf, t.len, 7, &lim), -EFBIG,
	    "limit-bytes: 11 bytes over 10 refused");
	ntop++;
	is_str(err.code, "bad_request", "limit-bytes: bad_request");
	ok(exists(tfd, "d/b") && !exists(tfd, "c"),
	    "limit-bytes: stopped at the file past the limit");
	lim = (struct bg_untar_limits){ 100, 3 };
	is_int(untar("limit-entries", t.buf, t.len, 4096, &lim), -EFBIG,
	    "limit-entries: 4 entries over 3 refused");
	ntop++;
	is_str(err.code, "bad_request", "limit-entries: bad_request");
	ok(exists(tfd, "d/b") && !exists(tfd, "c"),
	    "limit-entries: stopped at the 4th entry");
	lim = (struct bg_untar_limits){ 0, 0 };
	is_int(untar("limit-zero", t.buf, t.len, 4096, &lim), -EFBIG,
	    "limit-zero: no entry allowed");
	ntop++;
	is_int(count_entries(tfd), 0, "limit-zero: nothing made");
	free(t.buf);
	/* One huge declared size: refused before any data is read. */
	tb_open(&t, 0);
	tb_file(&t, "big", 0644, big);
	tb_close(&t);
	lim = (struct bg_untar_limits){ 1000, 100 };
	is_int(untar("limit-big", t.buf, t.len, 4096, &lim), -EFBIG,
	    "limit-big: a 4999-byte file over 1000 refused");
	ntop++;
	ok(!exists(tfd, "big"), "limit-big: not made");

	/* 8. Garbage, truncated streams: clean failures. */
	{
		char garbage[3000];

		for (i = 0; i < sizeof(garbage); i++)
			garbage[i] = "not a tar archive\n"[i % 18];
		r = untar("garbage", garbage, sizeof(garbage), 7, &nolim);
		ntop++;
		ok(r < 0, "garbage: refused (%d)", r);
		is_str(err.code, "bad_request", "garbage: bad_request");
		ok(err.msg[0] != '\0', "garbage: message given");
		is_int(count_entries(tfd), 0, "garbage: nothing made");
	}
	{
		static const size_t cuts[] = { 100, 511, 512 + 2000,
			512 + 4999 };

		for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "truncated-%zu", cuts[i]);
			r = untar(name, t.buf, cuts[i], 7, &nolim);
			ntop++;
			ok(r < 0, "%s: refused (%d)", name, r);
			is_str(err.code, "bad_request", "%s: bad_request",
			    name);
			ok(err.msg[0] != '\0', "%s: message given", name);
		}
	}
	r = untar("no-bytes", t.buf, 0, 7, &nolim);
	ntop++;
	printf("# no-bytes: an empty stream gives %d\n", r);
	ok(r == 0 || strcmp(err.code, "bad_request") == 0,
	    "no-bytes: an empty stream is empty or bad_request");

	/* 9. Read errors: temporary, wherever they strike. */
	{
		static const size_t at[] = { 0, 100, 512 + 700, 512 + 4999 };

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "eio-%zu", at[i]);
			r = untar_fail(name, t.buf, t.len, 7, &nolim, at[i], 1);
			ntop++;
			char what[128];

			ok(r < 0, "%s: fails (%d)", name, r);
			snprintf(what, sizeof(what), "%s: temporary (got %s)",
			    name, err.code);
			ok(strcmp(err.code, "temporary") == 0, "%s", what);
			snprintf(what, sizeof(what), "%s: the message says %s",
			    name, strerror(EIO));
			ok(strstr(err.msg, strerror(EIO)) != NULL, "%s", what);
		}
	}
	free(t.buf);

	/* 10. A bad target: fails, working directory unchanged. */
	{
		struct feed f = { "", 0, 0, 7, 0, 0, 0 };
		char cwd[PATH_MAX];

		memset(&err, 0, sizeof(err));
		r = bg_untar(-1, feed_read, &f, &nolim, &st, &err);
		ok(r < 0, "bad dirfd: fails (%d)", r);
		is_str(err.code, "temporary", "bad dirfd: temporary");
		ok(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, cwd0) == 0,
		    "bad dirfd: working directory unchanged");
		fd = open(top, O_RDONLY | O_CLOEXEC);
		is_int(fd >= 0 ? 0 : -1, 0, "top opens");
		if (fd >= 0) {
			int wfd =
			    openat(fd, "outside/witness", O_RDONLY | O_CLOEXEC);

			memset(&err, 0, sizeof(err));
			r = bg_untar(wfd, feed_read, &f, &nolim, &st, &err);
			is_int(r, -ENOTDIR, "a file as target: -ENOTDIR");
			ok(getcwd(cwd, sizeof(cwd)) != NULL &&
				strcmp(cwd, cwd0) == 0,
			    "a file as target: working directory unchanged");
			close(wfd);
			close(fd);
		}
	}

	if (tfd >= 0)
		close(tfd);
	if (chdir("/") < 0)
		abort();
	close(topfd);
	{
		char *slash = strrchr(top, '/');
		int tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		ok(tmpfd >= 0 && bg_rm_rf_at(tmpfd, slash + 1) == 0 &&
			!exists(tmpfd, slash + 1),
		    "work dir removed");
		if (tmpfd >= 0)
			close(tmpfd);
	}
	return done_testing();
}
