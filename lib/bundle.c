/*
 * bundle.c — image and kernel bundles (docs/bundles.md): a zstd stream
 * of a tar whose first member is manifest.json and whose other members
 * are exactly the files the manifest lists, each a regular file at the
 * top level whose size and sha256 match.
 *
 * Reading is one pass, streaming: compressed bytes from the caller →
 * zstd (window at most 2^BG_BUNDLE_WINDOW_LOG, so a bundle cannot ask
 * for more memory) → libarchive (tar only) → each member written into
 * the caller's staging directory.  A member that is absolute, has a
 * "..", a "/", is a link, a device, a directory, is not in the manifest
 * or comes twice refuses the whole bundle.  Zero blocks are not written,
 * so a rootfs comes out sparse whether or not the tar recorded its
 * holes.  Memory: the zstd window, libarchive's buffers and ours.
 *
 * Writing is the reverse, from an installed artifact's directory: holes
 * found with SEEK_DATA/SEEK_HOLE are recorded as pax sparse entries
 * (GNU.sparse 1.0, which GNU tar and libarchive restore), and every file
 * is hashed as it is read and checked against its manifest.
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
#include <zstd.h>

#include "banger.h"

#define IN_BUF (128u << 10)
#define BLK 4096

const char *const bg_bundle_local_keys[] = { "pulled_from", "bundle_sha256",
	"pulled_at", "catalog", "oci_digest", NULL };

/* A member's name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, not manifest.json. */
static bool
member_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	    strspn(s,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789._-") == n &&
	    s[0] != '.' && s[0] != '-' && strcmp(s, "manifest.json") != 0;
}

int
bg_bundle_manifest_check(const cJSON *m, const char *kind, struct bg_err *err)
{
	static const char *const need_image[] = { "rootfs.ext4", NULL };
	static const char *const need_kernel[] = { "vmlinux", "initrd.img",
		NULL };
	const char *const *need;
	const cJSON *v, *files, *f, *sz, *sha;
	double total = 0;
	int n = 0;

	if (!cJSON_IsObject(m)) {
		bg_err_set(err, "bad_request",
		    "manifest.json is not a JSON object");
		return -EINVAL;
	}
	/* One value per key: what is checked is what is installed. */
	if (bg_json_has_duplicate_keys(m)) {
		bg_err_set(err, "bad_request",
		    "manifest.json has a key twice in one object");
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "kind");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, kind) != 0) {
		bg_err_set(err, "bad_request",
		    "manifest.json says kind \"%s\", not \"%s\": this is not "
		    "%s %s bundle",
		    cJSON_IsString(v) ? v->valuestring : "?", kind,
		    kind[0] == 'i' ? "an" : "a", kind);
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "name");
	if (!cJSON_IsString(v) || !bg_artifact_name_valid(v->valuestring)) {
		bg_err_set(err, "bad_request",
		    "manifest.json's \"name\" must be %s", BG_ARTIFACT_WHAT);
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "version");
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
	    strlen(v->valuestring) > 128) {
		bg_err_set(err, "bad_request",
		    "manifest.json has no \"version\" (a string of 1-128 "
		    "bytes)");
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "arch");
	if (v != NULL &&
	    (!cJSON_IsString(v) || strcmp(v->valuestring, "x86_64") != 0)) {
		bg_err_set(err, "bad_request",
		    "the bundle is for \"%s\"; this banger runs x86_64 guests",
		    cJSON_IsString(v) ? v->valuestring : "?");
		return -EINVAL;
	}
	v = cJSON_GetObjectItemCaseSensitive(m, "kernel");
	if (v != NULL &&
	    (!cJSON_IsString(v) || !bg_artifact_name_valid(v->valuestring))) {
		bg_err_set(err, "bad_request",
		    "manifest.json's \"kernel\" must be %s", BG_ARTIFACT_WHAT);
		return -EINVAL;
	}
	files = cJSON_GetObjectItemCaseSensitive(m, "files");
	if (!cJSON_IsObject(files)) {
		bg_err_set(err, "bad_request",
		    "manifest.json has no \"files\" object");
		return -EINVAL;
	}
	cJSON_ArrayForEach(f, files) {
		sz = cJSON_GetObjectItemCaseSensitive(f, "size");
		sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
		if (!member_name_ok(f->string)) {
			bg_err_set(err, "bad_request",
			    "manifest.json lists a file named \"%.64s\": "
			    "names are 1-64 of A-Z a-z 0-9 . _ - , not "
			    "starting with . or -",
			    f->string);
			return -EINVAL;
		}
		if (!cJSON_IsNumber(sz) || !(sz->valuedouble >= 0) ||
		    sz->valuedouble > (double)BG_DISK_MAX ||
		    sz->valuedouble != (double)(uint64_t)sz->valuedouble ||
		    !cJSON_IsString(sha) ||
		    !bg_sha256_hex_valid(sha->valuestring)) {
			bg_err_set(err, "bad_request",
			    "manifest.json's entry for %s needs \"size\" (an "
			    "integer of at most 16 TiB) and \"sha256\" (64 "
			    "lowercase hex digits)",
			    f->string);
			return -EINVAL;
		}
		total += sz->valuedouble;
		if (total > (double)BG_BUNDLE_LOGICAL_MAX) {
			bg_err_set(err, "bad_request",
			    "manifest.json's files add up to more than %llu GiB",
			    (unsigned long long)(BG_BUNDLE_LOGICAL_MAX >> 30));
			return -EFBIG;
		}
		if (++n > BG_BUNDLE_FILES_MAX) {
			bg_err_set(err, "bad_request",
			    "manifest.json lists more than %d files",
			    BG_BUNDLE_FILES_MAX);
			return -EINVAL;
		}
	}
	for (need = strcmp(kind, "image") == 0 ? need_image : need_kernel;
	     *need != NULL; need++)
		if (cJSON_GetObjectItemCaseSensitive(files, *need) == NULL) {
			bg_err_set(err, "bad_request",
			    "manifest.json lists no %s: an %s bundle needs "
			    "it",
			    *need, kind);
			return -EINVAL;
		}
	return 0;
}

/* ---- reading ------------------------------------------------------- */

struct rd {
	const struct bg_bundle_in *in;
	struct bg_err *err; /* the source's own error, when it failed */
	int error; /* -errno of the source or of zstd */
	ZSTD_DStream *z;
	ZSTD_inBuffer zi;
	unsigned char *ibuf, *obuf;
	size_t obuf_n;
	bool eof; /* the source ended */
	size_t
	    frame_left; /* ZSTD_decompressStream's last hint: 0 = between frames */
};

static la_ssize_t
rd_read(struct archive *a, void *p, const void **out)
{
	struct rd *r = p;
	ZSTD_outBuffer zo = { r->obuf, r->obuf_n, 0 };
	size_t ret;
	ssize_t n;

	while (zo.pos == 0) {
		if (r->zi.pos == r->zi.size) {
			if (r->eof)
				break;
			n = r->in->read(r->in->arg, r->ibuf, IN_BUF, r->err);
			if (n < 0) {
				r->error = (int)n;
				archive_set_error(a, EIO, "source");
				return -1;
			}
			if (n == 0) {
				r->eof = true;
				break;
			}
			r->zi.src = r->ibuf;
			r->zi.size = (size_t)n;
			r->zi.pos = 0;
		}
		ret = ZSTD_decompressStream(r->z, &zo, &r->zi);
		if (ZSTD_isError(ret)) {
			r->error = -EBADMSG;
			bg_err_set(r->err, "bad_request",
			    "%s is not a valid zstd stream: %s "
			    "(bundles are .tar.zst with a window of at most "
			    "%u MiB)",
			    r->in->what, ZSTD_getErrorName(ret),
			    1u << (BG_BUNDLE_WINDOW_LOG - 20));
			archive_set_error(a, EINVAL, "zstd");
			return -1;
		}
		r->frame_left = ret;
	}
	if (zo.pos == 0 && r->frame_left != 0) {
		r->error = -EPROTO;
		bg_err_set(r->err, "bad_request",
		    "%s ends in the middle of its zstd stream (truncated)",
		    r->in->what);
		archive_set_error(a, EINVAL, "truncated");
		return -1;
	}
	*out = r->obuf;
	return (la_ssize_t)zo.pos;
}

/* "./name" or "name" → name; NULL for anything with a '/' left. */
static const char *
top_name(const char *p)
{
	if (p == NULL)
		return NULL;
	if (p[0] == '.' && p[1] == '/')
		p += 2;
	return strchr(p, '/') == NULL ? p : NULL;
}

static bool
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* pwrite what is not zero, a 4 KiB block (aligned on the file) at a time. */
static int
write_sparse(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	size_t i = 0, k, run;

	while (i < n) {
		k = BLK - (size_t)((off + i) % BLK);
		if (k > n - i)
			k = n - i;
		if (all_zero(p + i, k)) {
			i += k;
			continue;
		}
		/* A run of blocks that are not all zero. */
		run = k;
		while (i + run < n) {
			size_t b = n - i - run < BLK ? n - i - run : BLK;

			if (all_zero(p + i + run, b))
				break;
			run += b;
		}
		for (k = 0; k < run;) {
			ssize_t w = pwrite(fd, p + i + k, run - k,
			    (off_t)(off + i + k));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			k += (size_t)w;
		}
		i += run;
	}
	return 0;
}

static int
write_error(const char *name, uint64_t size, int r, struct bg_err *err)
{
	bg_err_set(err, r == -ENOSPC || r == -EDQUOT ? "io" : "temporary",
	    "cannot write %s (%llu bytes): %s%s", name,
	    (unsigned long long)size, strerror(-r),
	    r == -ENOSPC || r == -EDQUOT ?
		": free some space where banger keeps its images and kernels "
		"(/var/lib/banger) and pull again" :
		"");
	return r;
}

struct seen {
	const char *name;
};

static int
member(struct archive *a, struct archive_entry *e, int dirfd, const char *name,
    const cJSON *entry, const char *what, uint64_t *written, struct bg_err *err)
{
	uint64_t size =
	    (uint64_t)cJSON_GetObjectItemCaseSensitive(entry, "size")
		->valuedouble;
	const char *want =
	    cJSON_GetObjectItemCaseSensitive(entry, "sha256")->valuestring;
	struct bg_sha256 h;
	uint64_t at = 0;
	_cleanup_close_ int fd = -1;
	const void *buf;
	size_t n;
	la_int64_t off;
	char got[65];
	int r;

	if (archive_entry_size_is_set(e) &&
	    (uint64_t)archive_entry_size(e) != size) {
		bg_err_set(err, "bad_request",
		    "%s: member %s is %lld bytes, its manifest says %llu", what,
		    name, (long long)archive_entry_size(e),
		    (unsigned long long)size);
		return -EINVAL;
	}
	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		bg_err_set(err, "temporary", "cannot create %s: %s", name,
		    strerror(-r));
		return r;
	}
	bg_sha256_init(&h);
	for (;;) {
		r = archive_read_data_block(a, &buf, &n, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return -EIO; /* the caller words it */
		if (off < 0 || (uint64_t)off < at || (uint64_t)off > size ||
		    n > size - (uint64_t)off) {
			bg_err_set(err, "bad_request",
			    "%s: member %s has data outside its %llu bytes",
			    what, name, (unsigned long long)size);
			return -EINVAL;
		}
		bg_sha256_zeros(&h, (uint64_t)off - at); /* a hole */
		bg_sha256_update(&h, buf, n);
		r = write_sparse(fd, buf, n, (uint64_t)off);
		if (r < 0)
			return write_error(name, size, r, err);
		at = (uint64_t)off + n;
		*written += n;
	}
	bg_sha256_zeros(&h, size - at);
	if (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0)
		return write_error(name, size, -errno, err);
	bg_sha256_hex(&h, got);
	if (strcmp(got, want) != 0) {
		bg_err_set(err, "bad_request",
		    "%s: member %s has sha256 %s, its manifest says %s: the "
		    "bundle is corrupt",
		    what, name, got, want);
		return -EBADMSG;
	}
	return 0;
}

/*
 * The rest of the stream after the tar's end (padding; anything else is
 * ignored as tar readers do), read to its end so the zstd stream is
 * checked whole and the caller hashes every byte.
 */
static int
drain(struct archive *a, struct rd *r)
{
	const void *out;
	la_ssize_t n;

	do
		n = rd_read(a, r, &out);
	while (n > 0);
	return n < 0 ? (r->error < 0 ? r->error : -EIO) : 0;
}

int
bg_bundle_extract(int dirfd, const struct bg_bundle_in *in, cJSON **manifest,
    uint64_t *written, struct bg_err *err)
{
	struct rd r = { .in = in, .err = err };
	struct archive *a = NULL;
	struct archive_entry *e;
	struct seen seen[BG_BUNDLE_FILES_MAX];
	const cJSON *files = NULL, *f;
	cJSON *m = NULL;
	size_t nseen = 0, i;
	int ret = 0, st;

	*manifest = NULL;
	*written = 0;
	err->code[0] = '\0';
	r.z = ZSTD_createDStream();
	r.obuf_n = ZSTD_DStreamOutSize();
	r.ibuf = malloc(IN_BUF);
	r.obuf = malloc(r.obuf_n);
	a = archive_read_new();
	if (r.z == NULL || r.ibuf == NULL || r.obuf == NULL || a == NULL ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(r.z, ZSTD_d_windowLogMax,
		BG_BUNDLE_WINDOW_LOG)) ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_none(a) != ARCHIVE_OK) {
		bg_err_set(err, "temporary", "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (archive_read_open(a, &r, NULL, rd_read, NULL) != ARCHIVE_OK) {
		ret = r.error < 0 ? r.error : -EINVAL;
		goto bad;
	}
	for (;;) {
		const char *name;

		st = archive_read_next_header(a, &e);
		if (st == ARCHIVE_EOF)
			break;
		if (st != ARCHIVE_OK) {
			ret = r.error < 0 ? r.error : -EINVAL;
			goto bad;
		}
		name = top_name(archive_entry_pathname(e));
		if (m == NULL && name != NULL &&
		    (strcmp(name, "") == 0 || strcmp(name, ".") == 0) &&
		    archive_entry_filetype(e) == AE_IFDIR)
			continue; /* "./", as `tar -C DIR .` writes it */
		if (name == NULL || archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_hardlink(e) != NULL ||
		    archive_entry_symlink(e) != NULL) {
			const char *p = archive_entry_pathname(e);

			bg_err_set(err, "bad_request",
			    "%s: refused member \"%.200s\": a bundle holds "
			    "only regular files at its top level (no "
			    "directories, links, devices, absolute paths or "
			    "..)",
			    in->what, p != NULL ? p : "?");
			ret = -EINVAL;
			goto out;
		}
		if (m == NULL) {
			char *text;
			la_ssize_t n;
			int64_t sz = archive_entry_size(e);

			if (strcmp(name, "manifest.json") != 0) {
				bg_err_set(err, "bad_request",
				    "%s: the first member is \"%.200s\"; a "
				    "bundle starts with manifest.json",
				    in->what, name);
				ret = -EINVAL;
				goto out;
			}
			if (sz <= 0 || sz > (int64_t)BG_BUNDLE_MANIFEST_MAX) {
				bg_err_set(err, "bad_request",
				    "%s: manifest.json is %lld bytes (1 to "
				    "%u)",
				    in->what, (long long)sz,
				    BG_BUNDLE_MANIFEST_MAX);
				ret = -EINVAL;
				goto out;
			}
			text = malloc((size_t)sz + 1);
			if (text == NULL) {
				ret = -ENOMEM;
				bg_err_set(err, "temporary", "out of memory");
				goto out;
			}
			n = archive_read_data(a, text, (size_t)sz);
			if (n != sz) {
				free(text);
				ret = r.error < 0 ? r.error : -EINVAL;
				goto bad;
			}
			text[sz] = '\0';
			m = bg_utf8_valid(text, (size_t)sz) ?
			    cJSON_ParseWithOpts(text, NULL, 1) :
			    NULL;
			free(text);
			ret = bg_bundle_manifest_check(m, in->kind, err);
			if (ret < 0) {
				char tmp[sizeof(err->msg)];

				memcpy(tmp, err->msg, sizeof(tmp));
				bg_err_set(err, "bad_request", "%.300s: %.700s",
				    in->what, tmp);
				goto out;
			}
			files = cJSON_GetObjectItemCaseSensitive(m, "files");
			continue;
		}
		f = cJSON_GetObjectItemCaseSensitive(files, name);
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i].name, name) == 0)
				break;
		if (f == NULL || i < nseen) {
			bg_err_set(err, "bad_request",
			    "%s: refused member \"%.200s\": %s", in->what, name,
			    f == NULL ? "manifest.json does not list it" :
					"it comes twice");
			ret = -EINVAL;
			goto out;
		}
		seen[nseen++].name = f->string;
		ret = member(a, e, dirfd, f->string, f, in->what, written, err);
		if (ret == -EIO)
			goto bad;
		if (ret < 0)
			goto out;
	}
	if (m == NULL) {
		bg_err_set(err, "bad_request",
		    "%s holds no manifest.json: not a banger bundle", in->what);
		ret = -EINVAL;
		goto out;
	}
	ret = drain(a, &r);
	if (ret < 0)
		goto out;
	cJSON_ArrayForEach(f, files) {
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i].name, f->string) == 0)
				break;
		if (i == nseen) {
			bg_err_set(err, "bad_request",
			    "%s ends without %s, which its manifest lists "
			    "(truncated?)",
			    in->what, f->string);
			ret = -EINVAL;
			goto out;
		}
	}
	if (fsync(dirfd) < 0) {
		ret = -errno;
		bg_err_set(err, "temporary", "fsync: %s", strerror(-ret));
	}
	goto out;
bad:
	/* A failure inside libarchive: the source's words, or its own. */
	if (err->code[0] == '\0')
		bg_err_set(err, "bad_request", "%s is not a valid bundle: %s",
		    in->what,
		    archive_error_string(a) != NULL ? archive_error_string(a) :
						      "unreadable tar");
	if (ret == 0)
		ret = -EINVAL;
out:
	if (a != NULL)
		archive_read_free(a);
	ZSTD_freeDStream(r.z);
	free(r.ibuf);
	free(r.obuf);
	if (ret < 0)
		cJSON_Delete(m);
	else
		*manifest = m;
	return ret;
}

/* ---- writing ------------------------------------------------------- */

struct wr {
	int fd;
	ZSTD_CCtx *z;
	unsigned char *obuf;
	size_t obuf_n;
	int error;
};

static int
wr_flush(struct wr *w, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer zi = { p, n, 0 };
	size_t left;
	int r;

	do {
		ZSTD_outBuffer zo = { w->obuf, w->obuf_n, 0 };

		left = ZSTD_compressStream2(w->z, &zo, &zi, end);
		if (ZSTD_isError(left))
			return -EIO;
		r = bg_write_all(w->fd, w->obuf, zo.pos);
		if (r < 0)
			return r;
	} while (end == ZSTD_e_end ? left != 0 : zi.pos < zi.size);
	return 0;
}

static la_ssize_t
wr_write(struct archive *a, void *p, const void *buf, size_t n)
{
	struct wr *w = p;
	int r = wr_flush(w, buf, n, ZSTD_e_continue);

	if (r < 0) {
		w->error = r;
		archive_set_error(a, -r, "%s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)n;
}

/* One member: header with its sparse map, then its data, hashed. */
static int
put_file(struct archive *a, int srcdir, const char *name, const cJSON *ent,
    struct bg_err *err)
{
	static const unsigned char zero[1 << 16];
	const char *want =
	    cJSON_GetObjectItemCaseSensitive(ent, "sha256")->valuestring;
	uint64_t size =
	    (uint64_t)cJSON_GetObjectItemCaseSensitive(ent, "size")->valuedouble;
	struct archive_entry *e = archive_entry_new();
	_cleanup_free_ unsigned char *buf = malloc(1 << 20);
	_cleanup_close_ int fd = -1;
	struct bg_sha256 h;
	struct stat st;
	off_t at, data, hole;
	char got[65];
	int r = 0;

	fd = bg_openat_beneath(srcdir, name, O_RDONLY, 0);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != size || e == NULL || buf == NULL) {
		r = fd < 0 ? fd : -EINVAL;
		bg_err_set(err, "bad_request",
		    "%s is missing, not a regular file, or not the %llu bytes "
		    "its manifest says: reinstall the artifact",
		    name, (unsigned long long)size);
		archive_entry_free(e);
		return r;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	/* The data regions; none added means a dense file. */
	for (at = 0; at < (off_t)size; at = hole) {
		data = lseek(fd, at, SEEK_DATA);
		if (data < 0)
			break; /* ENXIO: a hole to the end */
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)size)
			hole = (off_t)size;
		if (data == 0 && hole == (off_t)size)
			break;
		archive_entry_sparse_add_entry(e, data, hole - data);
	}
	if (at == 0 && lseek(fd, 0, SEEK_DATA) < 0 && size > 0)
		archive_entry_sparse_add_entry(e, (la_int64_t)size, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		bg_err_set(err, "temporary", "cannot write %s's header: %s",
		    name, archive_error_string(a));
		archive_entry_free(e);
		return -EIO;
	}
	archive_entry_free(e);
	bg_sha256_init(&h);
	for (at = 0; at < (off_t)size;) {
		data = lseek(fd, at, SEEK_DATA);
		if (data < 0)
			data = (off_t)size;
		while (at < data) { /* a hole: zeros, not stored */
			size_t k = data - at < (off_t)sizeof(zero) ?
			    (size_t)(data - at) :
			    sizeof(zero);

			if (archive_write_data(a, zero, k) != (la_ssize_t)k)
				return -EIO;
			bg_sha256_update(&h, zero, k);
			at += (off_t)k;
		}
		if (at >= (off_t)size)
			break;
		hole = lseek(fd, at, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)size)
			hole = (off_t)size;
		while (at < hole) {
			size_t k = hole - at < (1 << 20) ? (size_t)(hole - at) :
							   (1 << 20);
			ssize_t n = pread(fd, buf, k, at);

			if (n <= 0) {
				r = n < 0 ? -errno : -EIO;
				bg_err_set(err, "temporary",
				    "cannot read %s: %s", name, strerror(-r));
				return r;
			}
			bg_sha256_update(&h, buf, (size_t)n);
			if (archive_write_data(a, buf, (size_t)n) != n)
				return -EIO;
			at += n;
		}
	}
	bg_sha256_hex(&h, got);
	if (strcmp(got, want) != 0) {
		bg_err_set(err, "bad_request",
		    "%s has sha256 %s, its manifest says %s: it changed since "
		    "it was installed; reinstall it",
		    name, got, want);
		return -EBADMSG;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
bg_bundle_write(int srcdir, int outfd, int level, struct bg_err *err)
{
	struct wr w = { .fd = outfd };
	_cleanup_json_ cJSON *m = NULL;
	_cleanup_free_ char *text = NULL;
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	const cJSON *kind, *files, *f;
	const char *names[BG_BUNDLE_FILES_MAX];
	size_t n = 0, i;
	int r;

	err->code[0] = '\0';
	r = bg_json_read_file(srcdir, "manifest.json", BG_BUNDLE_MANIFEST_MAX,
	    &m);
	if (r < 0) {
		bg_err_set(err, "bad_request", "cannot read manifest.json: %s",
		    r == -EBADMSG ? "not JSON" : strerror(-r));
		return r;
	}
	kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
	r = bg_bundle_manifest_check(m,
	    cJSON_IsString(kind) ? kind->valuestring : "image", err);
	if (r < 0)
		return r;
	for (i = 0; bg_bundle_local_keys[i] != NULL; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(m,
		    bg_bundle_local_keys[i]);
	if (cJSON_GetObjectItemCaseSensitive(m, "arch") == NULL)
		cJSON_AddStringToObject(m, "arch", "x86_64");
	text = cJSON_PrintUnformatted(m);
	files = cJSON_GetObjectItemCaseSensitive(m, "files");
	cJSON_ArrayForEach(f, files)
		names[n++] = f->string;
	qsort(names, n, sizeof(*names), cmp_str);

	w.z = ZSTD_createCCtx();
	w.obuf_n = ZSTD_CStreamOutSize();
	w.obuf = malloc(w.obuf_n);
	a = archive_write_new();
	e = archive_entry_new();
	if (text == NULL || w.z == NULL || w.obuf == NULL || a == NULL ||
	    e == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		r = -ENOMEM;
		goto out;
	}
	ZSTD_CCtx_setParameter(w.z, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(w.z, ZSTD_c_checksumFlag, 1);
	/*
	 * Levels 1-19 use a window of at most 2^23 bytes, what readers
	 * accept (BG_BUNDLE_WINDOW_LOG); 20-22 (--ultra) would not.
	 */
	if (level < 1 || level > 19) {
		bg_err_set(err, "bad_request",
		    "the zstd level must be 1 to 19, not %d", level);
		r = -EINVAL;
		goto out;
	}
	ZSTD_CCtx_setParameter(w.z, ZSTD_c_nbWorkers, 2); /* if built in */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &w, NULL, wr_write, NULL) != ARCHIVE_OK) {
		bg_err_set(err, "temporary", "cannot start the archive: %s",
		    archive_error_string(a));
		r = -EIO;
		goto out;
	}
	archive_entry_set_pathname(e, "manifest.json");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	archive_entry_set_mtime(e, 0, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, text, strlen(text)) !=
		(la_ssize_t)strlen(text)) {
		r = -EIO;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = put_file(a, srcdir, names[i],
		    cJSON_GetObjectItemCaseSensitive(files, names[i]), err);
		if (r < 0)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = -EIO;
		goto out;
	}
	r = wr_flush(&w, NULL, 0, ZSTD_e_end);
out:
	if (r < 0 && err->code[0] == '\0')
		bg_err_set(err, w.error == -ENOSPC ? "io" : "temporary",
		    "cannot write the bundle: %s",
		    w.error < 0 ?
			strerror(-w.error) :
			(a != NULL && archive_error_string(a) != NULL ?
				archive_error_string(a) :
				"compression failed"));
	archive_entry_free(e);
	if (a != NULL)
		archive_write_free(a);
	ZSTD_freeCCtx(w.z);
	free(w.obuf);
	return r;
}
