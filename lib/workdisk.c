/*
 * workdisk.c — a VM's work disk, /root in the guest, built one way: an
 * empty ext4 from mkfs.ext4 (the one program it runs), then every file
 * written into the image through libext2fs (lib/ext4.c), owned by root:
 *
 *   /                              0700 (the guest's /root)
 *   /.ssh/                         0700
 *   /.ssh/authorized_keys          0600  the owner's public key
 *   /.banger/                      0700
 *   /.banger/ssh_host_ed25519_key  0600  the VM's host key
 *   /.banger/ssh_host_ed25519_key.pub 0644
 *   [[file_sync]] entries          as docs/file-sync.md says
 *   /repo/...                      the workspace (docs/workspace.md)
 *
 * No staging tree, no fakeroot: nothing is copied twice and nothing
 * pays a per-file round trip.  The file_sync entries are read as the
 * owner (this runs in the owner's helper); their host paths were
 * checked by the CLI and their shape by vm-create.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"

#define SYNC_MAX_BYTES (1024ULL * 1024 * 1024)
#define SYNC_MAX_DEPTH 64

struct sync {
	struct bg_ext4 *x;
	const struct bg_workdisk *w;
	char who[48]; /* "file_sync entry N" */
	uint64_t total;
	struct bg_err *err;
};

/* Prefix err's message with the entry: "file_sync entry N: ...". */
static int
entry_fail(struct sync *s, int r)
{
	char m[sizeof(s->err->msg)];

	memcpy(m, s->err->msg, sizeof(m));
	snprintf(s->err->msg, sizeof(s->err->msg), "%s: %.*s", s->who,
	    (int)sizeof(m) - 64, m);
	return r;
}

static int
sys_fail(struct sync *s, const char *what, const char *path, int e)
{
	bg_err_set(s->err, e == EFBIG ? "bad_request" : "temporary",
	    "%s: %s '%s': %s", s->who, what, path, strerror(e));
	return -e;
}

/* "warning: file_sync entry N: skipped PATH (why)". */
static void
skipped(struct sync *s, const char *path, const char *why)
{
	char msg[PATH_MAX + 160];

	snprintf(msg, sizeof(msg), "warning: %s: skipped %s%s", s->who,
	    why == NULL ? "the symlink " : "", path);
	if (why != NULL)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (%s)",
		    why);
	else
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
		    " (symlinks inside a synced directory are not copied)");
	if (s->w->warn != NULL)
		s->w->warn(msg);
}

struct from_fd {
	int fd;
	struct sync *s;
};

/* read(), counting against the 1 GiB of all entries together. */
static ssize_t
fd_read(void *arg, void *buf, size_t n)
{
	struct from_fd *f = arg;
	ssize_t k;

	do
		k = read(f->fd, buf, n);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	f->s->total += (uint64_t)k;
	return f->s->total > SYNC_MAX_BYTES ? -EFBIG : k;
}

static int
copy_file(struct sync *s, int fd, const struct stat *st, const char *guest,
    unsigned mode, const char *hpath)
{
	struct from_fd f = { fd, s };
	int r;

	if (s->total + (uint64_t)st->st_size > SYNC_MAX_BYTES)
		return sys_fail(s, "more than 1 GiB in total at", hpath, EFBIG);
	r = bg_ext4_file(s->x, guest, mode, st->st_mtime, fd_read, &f, s->err);
	if (r == -EFBIG && strstr(s->err->msg, "disk is full") == NULL)
		return sys_fail(s, "more than 1 GiB in total at", hpath, EFBIG);
	return r < 0 ? entry_fail(s, r) : 0;
}

/* The directory open at dfd (host path hpath) to guest, recursively. */
static int
copy_dir(struct sync *s, int dfd, const char *hpath, const char *guest,
    unsigned mode, time_t mtime, int depth)
{
	char hp[PATH_MAX], gp[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r = 0, fd;

	if (depth > SYNC_MAX_DEPTH) {
		close(dfd);
		return sys_fail(s, "too deep at", hpath, ELOOP);
	}
	/* 0700 while it fills; its own mode at the end. */
	r = bg_ext4_mkdir(s->x, guest, 0700, mtime, false, s->err);
	if (r < 0) {
		close(dfd);
		return entry_fail(s, r);
	}
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return sys_fail(s, "cannot read", hpath, errno);
	}
	while (r == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(hp, sizeof(hp), "%s/%s", hpath,
			e->d_name) >= sizeof(hp) ||
		    (size_t)snprintf(gp, sizeof(gp), "%s/%s", guest,
			e->d_name) >= sizeof(gp)) {
			r = sys_fail(s, "path too long at", hpath,
			    ENAMETOOLONG);
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			r = sys_fail(s, "cannot read", hp, errno);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			skipped(s, hp, NULL);
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			skipped(s, hp, "not a regular file or directory");
			continue;
		}
		fd = openat(dirfd(d), e->d_name,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0) {
			r = sys_fail(s, "cannot open", hp, errno);
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = copy_dir(s, fd, hp, gp, st.st_mode & 0777,
			    st.st_mtime, depth + 1);
		else {
			/* The file's own bits, without setuid and setgid. */
			r = copy_file(s, fd, &st, gp, st.st_mode & 01777, hp);
			close(fd);
		}
	}
	if (r == 0 && errno != 0)
		r = sys_fail(s, "cannot read", hpath, errno);
	closedir(d);
	if (r == 0 &&
	    (r = bg_ext4_mkdir(s->x, guest, mode, mtime, true, s->err)) < 0)
		return entry_fail(s, r);
	return r;
}

/* Each file_sync entry: {"host": absolute, "guest": relative to /root, "mode"?}. */
static int
sync_entries(struct bg_ext4 *x, const struct bg_workdisk *w, struct bg_err *err)
{
	struct sync s = { x, w, "", 0, err };
	const cJSON *e, *m;
	char real[PATH_MAX];
	struct stat st;
	int i = 0, fd, r = 0;

	cJSON_ArrayForEach(e, w->file_sync) {
		const char *host =
		    cJSON_GetObjectItemCaseSensitive(e, "host")->valuestring;
		const char *guest =
		    cJSON_GetObjectItemCaseSensitive(e, "guest")->valuestring;

		snprintf(s.who, sizeof(s.who), "file_sync entry %d", ++i);
		m = cJSON_GetObjectItemCaseSensitive(e, "mode");
		/*
		 * The rules on host paths (inside the home, top-level
		 * symlinks) are the CLI's, which knows the user's $HOME;
		 * this runs as that same owner, with no more access.
		 */
		if (realpath(host, real) == NULL) {
			bg_err_set(err, "bad_request",
			    "%s: host '%s' does not exist any more", s.who,
			    host);
			return -ENOENT;
		}
		fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = sys_fail(&s, "cannot open", host, errno);
			if (fd >= 0)
				close(fd);
			return r;
		}
		if (S_ISDIR(st.st_mode))
			r = copy_dir(&s, fd, host, guest, st.st_mode & 0777,
			    st.st_mtime, 0);
		else if (S_ISREG(st.st_mode)) {
			r = copy_file(&s, fd, &st, guest,
			    m != NULL ? (unsigned)m->valuedouble : 0600, host);
			close(fd);
		} else {
			close(fd);
			r = sys_fail(&s,
			    "not a regular file or directory:", host, EINVAL);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int
put(struct bg_ext4 *x, const char *path, unsigned mode, const char *a,
    const char *b, struct bg_err *err)
{
	char *text;
	struct bg_mem_src m;
	int r;

	if (asprintf(&text, "%s%s", a, b) < 0) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	m.p = text;
	m.left = strlen(text);
	r = bg_ext4_file(x, path, mode, time(NULL), bg_mem_read, &m, err);
	/* The host key's private half: wiped, not just freed. */
	explicit_bzero(text, strlen(text));
	free(text);
	return r;
}

/* Everything on the empty file system, in the order of the layout. */
static int
fill(struct bg_ext4 *x, const struct bg_workdisk *w, struct bg_err *err)
{
	time_t now = time(NULL);
	struct bg_untar_stats st;
	int r;

	if ((r = bg_ext4_mkdir(x, "", 0700, now, true, err)) < 0 ||
	    (r = bg_ext4_mkdir(x, ".ssh", 0700, now, false, err)) < 0 ||
	    (r = put(x, ".ssh/authorized_keys", 0600, w->authorized_key, "\n",
		 err)) < 0 ||
	    (r = bg_ext4_mkdir(x, ".banger", 0700, now, false, err)) < 0 ||
	    (r = put(x, ".banger/ssh_host_ed25519_key", 0600, w->host_key, "",
		 err)) < 0 ||
	    (r = put(x, ".banger/ssh_host_ed25519_key.pub", 0644, w->host_pub,
		 "\n", err)) < 0)
		return r;
	if (w->file_sync != NULL && (r = sync_entries(x, w, err)) < 0)
		return r;
	/* After file_sync: the user's own .profile, if synced, is kept. */
	if (w->profile != NULL &&
	    (r = put(x, ".profile", 0644, w->profile, "", err)) < 0 &&
	    r != -EEXIST)
		return r;
	if (w->ws_read == NULL)
		return 0;
	/*
	 * After the entries: a [[file_sync]] entry inside ~/repo makes the
	 * workspace fail naming the path that exists twice.
	 */
	r = bg_ext4_untar(x, "repo", w->ws_read, w->ws_arg, &w->ws_lim, &st,
	    err);
	if (r < 0) {
		char m[sizeof(err->msg)];

		memcpy(m, err->msg, sizeof(m));
		snprintf(err->msg, sizeof(err->msg), "the workspace: %.*s%s",
		    (int)sizeof(m) - 96, m,
		    r == -EFBIG ? ": give the VM a "
				  "larger work disk (--disk SIZE)" :
				  "");
	}
	return r;
}

int
bg_workdisk_build(int dirfd, const char *name, const char *path,
    const struct bg_workdisk *w, struct bg_err *err)
{
	struct bg_ext4 *x;
	int r;

	r = bg_ext4_mkfs(dirfd, name, path, w->bytes, "work", 0,
	    "the work disk", err);
	if (r < 0)
		return r;
	r = bg_ext4_open(path, &x, err);
	if (r < 0)
		return r;
	r = fill(x, w, err);
	if (bg_ext4_close(x, r < 0 ? NULL : err) < 0 && r == 0)
		r = -EIO;
	return r;
}
