/*
 * untar.c — unpack a tar stream beneath a directory, safely.
 *
 * The stream is one tar archive or several concatenated ones (ustar,
 * pax or GNU; no compression), read through a callback so it can come
 * from a helper's payload.  Each entry must be a regular file, a
 * directory, a symlink or a hard link to an earlier entry, with a
 * relative path that has no ".." component; anything else refuses the
 * whole stream.  libarchive writes with SECURE_SYMLINKS, SECURE_NODOTDOT
 * and SECURE_NOABSOLUTEPATHS, so no entry lands outside the directory,
 * not even through a symlink an earlier entry made.  Owners are not
 * restored (the files are the caller's); permission bits are, without
 * setuid and setgid; modification times are.  The total size of the
 * regular files and the number of entries are bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "banger.h"

#define UNTAR_BUF (256u << 10)

struct src {
	bg_untar_read_fn *rd;
	void *arg;
	char *buf;
	int error; /* -errno from rd, or 0 */
};

static la_ssize_t
src_read(struct archive *a, void *p, const void **out)
{
	struct src *s = p;
	ssize_t n = s->rd(s->arg, s->buf, UNTAR_BUF);

	(void)a;
	if (n < 0) {
		s->error = (int)-n;
		archive_set_error(a, (int)-n, "reading the stream: %s",
		    strerror((int)-n));
		return -1;
	}
	*out = s->buf;
	return n;
}

/*
 * "./a/b" -> "a/b"; "." and "./" (the top directory itself, as
 * `tar -C DIR .` writes it) -> ""; NULL if empty, absolute or with a
 * ".." component.
 */
static const char *
clean_path(const char *p)
{
	const char *c;
	size_t n;

	if (p == NULL || p[0] == '\0')
		return NULL;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (strcmp(p, ".") == 0 || p[0] == '\0')
		return "";
	if (p[0] == '/' || strlen(p) >= PATH_MAX)
		return NULL;
	for (c = p; *c != '\0'; c += n + (c[n] == '/')) {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return NULL;
	}
	return p;
}

/*
 * The loop every sink shares: read each header, check it (path, type,
 * limits), hand it to the sink with its cleaned path and hard-link
 * target; the sink reads the entry's data from in.
 */
int
bg_untar_stream(bg_untar_read_fn *rd, void *arg,
    const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    const struct bg_untar_sink *sink, struct bg_err *err)
{
	struct src s = { rd, arg, NULL, 0 };
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	char pbuf[PATH_MAX], hbuf[PATH_MAX];
	int r = 0, ar;

	memset(st, 0, sizeof(*st));
	s.buf = malloc(UNTAR_BUF);
	if (in == NULL || s.buf == NULL) {
		bg_err_set(err, "temporary",
		    "cannot start unpacking: out of memory");
		r = -ENOMEM;
		goto done;
	}
	archive_read_support_format_tar(in);
	archive_read_set_options(in, "tar:read_concatenated_archives");
	if (archive_read_open(in, &s, NULL, src_read, NULL) != ARCHIVE_OK) {
		if (s.error)
			bg_err_set(err, "temporary",
			    "reading the tar stream: %s", strerror(s.error));
		else
			bg_err_set(err, "bad_request",
			    "the stream is not a tar archive: %s",
			    archive_error_string(in));
		r = s.error ? -s.error : -EBADMSG;
		goto done;
	}
	while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *path = clean_path(archive_entry_pathname(e));
		const char *hl = archive_entry_hardlink(e);
		mode_t type = archive_entry_filetype(e);
		int64_t size = archive_entry_size(e);

		if (path != NULL && path[0] == '\0' && type == AE_IFDIR &&
		    hl == NULL)
			continue; /* the top directory: already there */
		if (hl != NULL)
			hl = clean_path(hl);
		if (path == NULL || path[0] == '\0' ||
		    (archive_entry_hardlink(e) != NULL &&
			(hl == NULL || hl[0] == '\0'))) {
			bg_err_set(err, "bad_request",
			    "the archive has an entry "
			    "outside its directory: \"%.200s\"",
			    archive_entry_pathname(e) ?
				archive_entry_pathname(e) :
				"");
			r = -EPERM;
			break;
		}
		if (hl == NULL && type != AE_IFREG && type != AE_IFDIR &&
		    type != AE_IFLNK) {
			bg_err_set(err, "bad_request",
			    "\"%.200s\" is not a file, "
			    "directory or symlink: the archive may hold nothing "
			    "else",
			    path);
			r = -EPERM;
			break;
		}
		if (++st->entries > lim->max_entries) {
			bg_err_set(err, "bad_request",
			    "the archive has more than %llu entries",
			    (unsigned long long)lim->max_entries);
			r = -EFBIG;
			break;
		}
		if (type == AE_IFREG && hl == NULL && size > 0) {
			st->bytes += (uint64_t)size;
			if (st->bytes > lim->max_bytes) {
				bg_err_set(err, "bad_request",
				    "the files are "
				    "larger than %llu bytes in all",
				    (unsigned long long)lim->max_bytes);
				r = -EFBIG;
				break;
			}
		}
		archive_entry_set_perm(e, archive_entry_perm(e) & 01777);
		/* Copies: path and hl point into e's own strings, which a
		 * sink may rewrite (archive_entry_set_pathname). */
		if (strlen(path) >= sizeof(pbuf) ||
		    (hl != NULL && strlen(hl) >= sizeof(hbuf))) {
			bg_err_set(err, "bad_request",
			    "a path in the archive is longer than %d bytes",
			    PATH_MAX - 1);
			r = -ENAMETOOLONG;
			break;
		}
		strcpy(pbuf, path);
		if (hl != NULL)
			hl = strcpy(hbuf, hl);
		r = sink->entry(sink->ctx, in, e, pbuf, hl, err);
		if (r < 0) {
			if (s.error) {
				bg_err_set(err, "temporary",
				    "cannot unpack \"%.200s\": %s", path,
				    strerror(s.error));
				r = -s.error;
			}
			break;
		}
	}
	if (r == 0 && ar != ARCHIVE_EOF) {
		bg_err_set(err, s.error ? "temporary" : "bad_request",
		    "the tar stream is damaged: %s",
		    s.error ? strerror(s.error) : archive_error_string(in));
		r = -EBADMSG;
	}
done:
	if (in != NULL)
		archive_read_free(in);
	free(s.buf);
	return r;
}

/* ---- the disk sink: archive_write_disk beneath the working directory */

/* The host failed (full, read-only, I/O), not the archive: temporary. */
static bool
disk_errno(struct archive *out)
{
	int e = archive_errno(out);

	return e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS ||
	    e == ENOMEM || e == EMFILE || e == ENFILE;
}

static int
disk_entry(void *ctx, struct archive *in, struct archive_entry *e,
    const char *path, const char *hl, struct bg_err *err)
{
	struct archive *out = ctx;
	const void *blk;
	size_t len;
	la_int64_t off;
	int ar;

	archive_entry_set_pathname(e, path);
	if (hl != NULL)
		archive_entry_set_hardlink(e, hl);
	if (archive_write_header(out, e) != ARCHIVE_OK) {
		bg_err_set(err, disk_errno(out) ? "temporary" : "bad_request",
		    "cannot unpack \"%.200s\": %s", path,
		    archive_error_string(out));
		return -EIO;
	}
	if (archive_entry_filetype(e) == AE_IFREG && hl == NULL) {
		while ((ar = archive_read_data_block(in, &blk, &len, &off)) ==
		    ARCHIVE_OK)
			if (archive_write_data_block(out, blk, len, off) !=
			    ARCHIVE_OK) {
				ar = ARCHIVE_FATAL;
				break;
			}
		if (ar != ARCHIVE_EOF) {
			bg_err_set(err,
			    disk_errno(out) ? "temporary" : "bad_request",
			    "cannot unpack \"%.200s\": %s", path,
			    archive_error_string(out) ?
				archive_error_string(out) :
				archive_error_string(in));
			return -EIO;
		}
	}
	if (archive_write_finish_entry(out) != ARCHIVE_OK) {
		bg_err_set(err, "temporary", "cannot finish \"%.200s\": %s",
		    path, archive_error_string(out));
		return -EIO;
	}
	return 0;
}

int
bg_untar(int dirfd, bg_untar_read_fn *rd, void *arg,
    const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err)
{
	struct archive *out = NULL;
	struct bg_untar_sink sink;
	const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	mode_t old_umask;
	int cwd, r;

	memset(st, 0, sizeof(*st));
	/* archive_write_disk works relative to the working directory. */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		cwd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	out = archive_write_disk_new();
	if (cwd < 0 || out == NULL) {
		bg_err_set(err, "temporary", "cannot start unpacking: %s",
		    cwd < 0 ? strerror(errno) : "out of memory");
		r = -ENOMEM;
		goto done;
	}
	if (fchdir(dirfd) < 0) {
		bg_err_set(err, "temporary", "cannot enter the target: %s",
		    strerror(errno));
		r = -errno;
		goto done;
	}
	old_umask = umask(022);
	archive_write_disk_set_options(out, flags);
	sink.ctx = out;
	sink.entry = disk_entry;
	r = bg_untar_stream(rd, arg, lim, st, &sink, err);
	/* Directory modes and times are set at close (deferred fixups). */
	if (archive_write_close(out) != ARCHIVE_OK && r == 0) {
		bg_err_set(err, "temporary", "cannot finish unpacking: %s",
		    archive_error_string(out));
		r = -EIO;
	}
	umask(old_umask);
	if (fchdir(cwd) < 0 && r == 0) {
		bg_err_set(err, "temporary",
		    "cannot return to the working directory: %s",
		    strerror(errno));
		r = -errno;
	}
done:
	if (out != NULL)
		archive_write_free(out);
	if (cwd >= 0)
		close(cwd);
	return r;
}
