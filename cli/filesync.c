/*
 * filesync.c — the [[file_sync]] rules that need the filesystem,
 * applied on the user's side before any VM is made (docs/file-sync.md):
 * host paths resolve (realpath) inside $HOME, a top-level symlink only
 * when its target does, the path exists, and the whole copy stays
 * under 1 GiB and fits in the request.  The entries go to vm-create as
 * "file_sync":[{"host":RESOLVED,"guest":RELATIVE_TO_/root,"mode":N}],
 * which copies them onto the work disk.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define FS_MAX_ENTRIES 64
#define FS_MAX_BYTES (1024ULL * 1024 * 1024)
#define FS_REQ_ROOM 49152 /* of BG_REQ_MAX, for the entries */

static uint64_t walk_total;

static int
add_size(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		walk_total += (uint64_t)st->st_size;
	return walk_total > FS_MAX_BYTES ? 1 : 0;
}

static bool
inside(const char *p, const char *home)
{
	size_t n = strlen(home);

	if (strcmp(home, "/") == 0)
		return true;
	return strncmp(p, home, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

int
cli_filesync_add(const struct bg_config *c, cJSON *req, struct bg_err *err)
{
	const char *henv = getenv("HOME");
	char home[PATH_MAX], want[PATH_MAX], real[PATH_MAX], who[64];
	cJSON *arr, *o;
	struct stat st;
	uint64_t total = 0;
	size_t i, room = 0;

	if (c->n_file_sync == 0)
		return 0;
	if (c->n_file_sync > FS_MAX_ENTRIES) {
		bg_err_set(err, "bad_config",
		    "file_sync: %zu entries, at most %d are allowed",
		    c->n_file_sync, FS_MAX_ENTRIES);
		return -EINVAL;
	}
	if (henv == NULL || henv[0] != '/' || realpath(henv, home) == NULL) {
		bg_err_set(err, "bad_config",
		    "file_sync: $HOME must be set to an existing absolute directory");
		return -EINVAL;
	}
	if ((arr = cJSON_AddArrayToObject(req, "file_sync")) == NULL)
		goto nomem;
	for (i = 0; i < c->n_file_sync; i++) {
		const struct bg_file_sync *fs = &c->file_sync[i];
		const char *g = fs->guest;

		snprintf(who, sizeof(who), "file_sync entry %zu (line %d)",
		    i + 1, fs->line);
		if (strncmp(fs->host, "~/", 2) == 0) {
			if ((size_t)snprintf(want, sizeof(want), "%s/%s", home,
				fs->host + 2) >= sizeof(want))
				goto toolong;
		} else if ((size_t)snprintf(want, sizeof(want), "%s",
			       fs->host) >= sizeof(want))
			goto toolong;
		if (lstat(want, &st) < 0) {
			bg_err_set(err, "bad_config",
			    "%s: host '%s' does not exist (%s)", who, fs->host,
			    strerror(errno));
			return -ENOENT;
		}
		if (realpath(want, real) == NULL) {
			bg_err_set(err, "bad_config",
			    "%s: host '%s' cannot be resolved (%s)%s", who,
			    fs->host, strerror(errno),
			    S_ISLNK(st.st_mode) ? ": a dangling symlink" : "");
			return -ENOENT;
		}
		if (!inside(real, home)) {
			bg_err_set(err, "bad_config",
			    S_ISLNK(st.st_mode) ?
				"%s: host '%s' is a symlink to '%s', outside your home %s: a top-level symlink is followed only when its target stays inside the home" :
				"%s: host '%s' resolves to '%s', outside your home %s: host paths must be inside the home",
			    who, fs->host, real, home);
			return -EPERM;
		}
		if (stat(real, &st) < 0 ||
		    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
			bg_err_set(err, "bad_config",
			    "%s: host '%s' must be a regular file or a directory",
			    who, fs->host);
			return -EINVAL;
		}
		walk_total = 0;
		if (S_ISDIR(st.st_mode))
			nftw(real, add_size, 32, FTW_PHYS);
		else
			walk_total = (uint64_t)st.st_size;
		total += walk_total;
		if (total > FS_MAX_BYTES) {
			bg_err_set(err, "bad_config",
			    "%s: the file_sync entries copy more than 1 GiB in total",
			    who);
			return -EFBIG;
		}
		g += strncmp(g, "~/", 2) == 0 ? 2 : strlen("/root/");
		while (*g == '/')
			g++;
		room += strlen(real) + strlen(g) + 48;
		if (room > FS_REQ_ROOM) {
			bg_err_set(err, "bad_config",
			    "%s: the file_sync paths are too long for one request (at most %d bytes in all)",
			    who, FS_REQ_ROOM);
			return -E2BIG;
		}
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o) ||
		    cJSON_AddStringToObject(o, "host", real) == NULL ||
		    cJSON_AddStringToObject(o, "guest", g) == NULL ||
		    (fs->has_mode &&
			cJSON_AddNumberToObject(o, "mode", (double)fs->mode) ==
			    NULL))
			goto nomem;
	}
	return 0;
toolong:
	bg_err_set(err, "bad_config", "%s: host path is too long", who);
	return -ENAMETOOLONG;
nomem:
	bg_err_set(err, "temporary", "out of memory");
	return -ENOMEM;
}
