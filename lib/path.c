/*
 * path.c — every path banger touches is built here, from compiled-in
 * roots, fixed sub-directories and validated names.  Nothing that
 * arrives in a request is ever used as a path: a request carries a
 * name, and the name must pass bg_name_valid() before it is joined.
 *
 * BANGER_ROOT=DIR (absolute, no "." or ".." components) prefixes every
 * root, so tests and the demo run on a private tree.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banger.h"

#ifndef BG_LIBEXECDIR
#define BG_LIBEXECDIR "/usr/local/libexec/banger"
#endif

static const char *const roots[] = { [BG_DIR_ETC] = "/etc/banger",
	[BG_DIR_STATE] = "/var/lib/banger",
	[BG_DIR_CACHE] = "/var/cache/banger",
	[BG_DIR_RUN] = "/run/banger",
	[BG_DIR_ROOTRUN] = "/run/banger-root" };

/* Absolute, no empty-dot-dotdot games, not too long. */
static bool
abs_path_clean(const char *p)
{
	const char *c;
	size_t len;

	if (p == NULL || p[0] != '/' || strlen(p) > PATH_MAX / 2)
		return false;
	for (c = p; *c != '\0';) {
		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
	}
	return true;
}

/* buf = a + b, or -ENAMETOOLONG. */
static int
cat(char *buf, size_t n, const char *a, const char *b)
{
	int r = snprintf(buf, n, "%s%s", a, b);

	if (r < 0)
		return -EINVAL;
	if ((size_t)r >= n)
		return -ENAMETOOLONG;
	return 0;
}

int
bg_path_dir(enum bg_dir d, char *buf, size_t n)
{
	const char *root = secure_getenv("BANGER_ROOT");

	if ((unsigned)d >= sizeof(roots) / sizeof(roots[0]))
		return -EINVAL;
	if (root == NULL || root[0] == '\0')
		return cat(buf, n, "", roots[d]);
	if (!abs_path_clean(root))
		return -EINVAL;
	/* "/" as BANGER_ROOT means the real roots. */
	if (strspn(root, "/") == strlen(root))
		root = "";
	return cat(buf, n, root, roots[d]);
}

int
bg_path_build(char *buf, size_t n, enum bg_dir d, const char *sub,
    const char *name, const char *file)
{
	const char *parts[] = { sub, name, file };
	char dir[PATH_MAX];
	size_t len, i;
	int r;

	if (name != NULL && !bg_artifact_name_valid(name))
		return -EINVAL;
	r = bg_path_dir(d, dir, sizeof(dir));
	if (r < 0)
		return r;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i] == NULL)
			continue;
		len = strlen(dir);
		r = cat(dir + len, sizeof(dir) - len, "/", parts[i]);
		if (r < 0)
			return r;
	}
	return cat(buf, n, dir, "");
}

static int
env_or_run(char *buf, size_t n, const char *env, enum bg_dir d,
    const char *file)
{
	const char *p = secure_getenv(env);

	if (p != NULL && p[0] != '\0') {
		if (!abs_path_clean(p))
			return -EINVAL;
		return cat(buf, n, p, "");
	}
	return bg_path_build(buf, n, d, NULL, NULL, file);
}

int
bg_path_socket(char *buf, size_t n)
{
	return env_or_run(buf, n, "BANGER_SOCKET", BG_DIR_RUN, "bangerd.sock");
}

int
bg_path_root_socket(char *buf, size_t n)
{
	return env_or_run(buf, n, "BANGER_ROOT_SOCKET", BG_DIR_ROOTRUN,
	    "bangerd-root.sock");
}

int
bg_path_libexec(char *buf, size_t n)
{
	const char *p = secure_getenv("BANGER_LIBEXECDIR");

	if (p != NULL && p[0] != '\0') {
		if (!abs_path_clean(p))
			return -EINVAL;
		return cat(buf, n, p, "");
	}
	return cat(buf, n, BG_LIBEXECDIR, "");
}

int
bg_path_helper(char *buf, size_t n, const char *prefix, const char *verb)
{
	char dir[PATH_MAX];
	int r;

	if (!bg_verb_valid(verb))
		return -EINVAL;
	r = bg_path_libexec(dir, sizeof(dir));
	if (r < 0)
		return r;
	r = snprintf(buf, n, "%s/%s%s", dir, prefix, verb);
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

int
bg_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *c;
	int r;

	r = cat(tmp, sizeof(tmp), path, "");
	if (r < 0)
		return r;
	for (c = tmp + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char save = *c;
		*c = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*c = save;
		if (save == '\0')
			break;
	}
	return 0;
}

int
bg_path_self(char *buf, size_t n, int up)
{
	char self[PATH_MAX], *s;
	ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (l <= 0)
		return l < 0 ? -errno : -EIO;
	self[l] = '\0';
	for (; up > 0; up--) {
		s = strrchr(self, '/');
		if (s == NULL || s == self)
			return -EINVAL;
		*s = '\0';
	}
	if (strlen(self) >= n)
		return -ENAMETOOLONG;
	memcpy(buf, self, strlen(self) + 1);
	return 0;
}
