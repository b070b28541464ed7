/*
 * bundle — write a bundle (.tar.zst) of an installed image or kernel,
 * or of a directory holding manifest.json and its files
 * (docs/bundles.md).  `banger image bundle` and `banger kernel bundle`
 * run it directly, as the user, never over a socket (BG_VERB_LOCAL):
 * OUT is in the user's directories, which the service's sandbox does
 * not write, and the CLI stays free of libarchive and zstd.
 *
 * Request: {"v":1,"kind":"image"|"kernel","name":NAME,"out":PATH,
 *           "from":DIR?,"level":1-19?}  (relative paths are the
 *           caller's: the helper runs in its directory).
 * Result:  {"kind","name","path","size","sha256"}.
 *
 * OUT is written beside itself (OUT.tmp-PID) and renamed over it when
 * whole; a failure leaves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

static bool
kind_ok(const char *s)
{
	return strcmp(s, "image") == 0 || strcmp(s, "kernel") == 0;
}

static bool
path_ok(const char *s)
{
	return s[0] != '\0';
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	const char *kind = bg_req_str(rq, "kind");
	const char *name = bg_req_str(rq, "name");
	const char *out = bg_req_str(rq, "out");
	const char *from = bg_req_str(rq, "from");
	int level = (int)bg_req_int(rq, "level");
	char src[PATH_MAX], tmp[PATH_MAX + 32], sub[16], hex[65];
	_cleanup_close_ int sfd = -1, ofd = -1;
	struct bg_sha256 h;
	struct stat st;
	char buf[1 << 16];
	ssize_t n;
	int r;

	snprintf(sub, sizeof(sub), "%ss", kind);
	if (from != NULL)
		snprintf(src, sizeof(src), "%s", from);
	else if (bg_path_build(src, sizeof(src), BG_DIR_STATE, sub, name,
		     NULL) < 0) {
		bg_err_set(err, "bad_request", "bad %s name %s", kind, name);
		return -EINVAL;
	}
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		r = -errno;
		if (from == NULL && r == -ENOENT)
			bg_err_set(err, "not_found",
			    "no %s named \"%s\": banger %s list shows the %ss",
			    kind, name, kind, kind);
		else
			bg_err_set(err,
			    r == -ENOENT ? "not_found" : "bad_request",
			    "cannot open %s: %s", src, strerror(-r));
		return r;
	}
	r = snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", out, (long)getpid());
	ofd = r < 0 || (size_t)r >= sizeof(tmp) ?
	    (errno = ENAMETOOLONG, -1) :
	    open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (ofd < 0) {
		r = -errno;
		bg_err_set(err, "bad_request", "cannot create %s: %s", tmp,
		    strerror(-r));
		return r;
	}
	bg_proto_log(1, "writing %s bundle %s to %s", kind, name, out);
	r = bg_bundle_write(sfd, ofd, level, err);
	if (r == 0 && (fsync(ofd) < 0 || fstat(ofd, &st) < 0))
		r = -errno;
	if (r == 0) {
		bg_sha256_init(&h);
		while ((n = pread(ofd, buf, sizeof(buf), (off_t)h.len)) > 0)
			bg_sha256_update(&h, buf, (size_t)n);
		bg_sha256_hex(&h, hex);
		if (n < 0 || rename(tmp, out) < 0)
			r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		if (err->code[0] == '\0')
			bg_err_set(err, r == -ENOSPC ? "io" : "temporary",
			    "cannot write %s: %s", out, strerror(-r));
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "kind", kind);
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddStringToObject(*result, "path", out);
	cJSON_AddNumberToObject(*result, "size", (double)st.st_size);
	cJSON_AddStringToObject(*result, "sha256", hex);
	return 0;
}

static const struct bg_field fields[] = {
	{ .key = "kind",
	    .type = BG_T_STR,
	    .required = true,
	    .max = 6,
	    .valid = kind_ok,
	    .what = "\"image\" or \"kernel\"" },
	BG_F_ARTIFACT("name", true),
	{ .key = "out",
	    .type = BG_T_STR,
	    .required = true,
	    .max = PATH_MAX - 33,
	    .valid = path_ok,
	    .what = "a path" },
	{ .key = "from",
	    .type = BG_T_STR,
	    .max = PATH_MAX - 1,
	    .valid = path_ok,
	    .what = "a directory" },
	{ .key = "level", .type = BG_T_INT, .min = 1, .max = 19, .def = 3 },
	{ NULL },
};

BG_VERB(.name = "bundle", .flags = BG_VERB_LOCAL, .fields = fields, .act = act);
