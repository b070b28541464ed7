/*
 * owner.c — the owner and its group, for root helpers: owner_uid from
 * ETC/install.toml (lib/peer.c), its group from the passwd entry.
 * Apart from peer.c so that the static dispatchers, which need only the
 * uid, do not link glibc's NSS.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

/*
 * The owner's primary group: the gid of its passwd entry, never a
 * number derived from the uid (uid 999 is not group 999: on Debian
 * that is systemd-journal).  install.toml's owner_gid, written by
 * `system install`, must agree; a mismatch means the account changed
 * since, and root acts for nobody until the install is redone.
 */
static int
owner_group(uid_t uid, const struct bg_toml *t, const char *path, gid_t *gid,
    struct bg_err *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	long long g;
	int r;

	r = getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
	if (r != 0 || res == NULL) {
		bg_err_set(err, "permission_denied",
		    "the owner uid %u (%s) has no passwd entry%s%s: banger "
		    "cannot tell its group; recreate the account or rerun "
		    "sudo banger system install --owner USER",
		    (unsigned)uid, path, r != 0 ? ": " : "",
		    r != 0 ? strerror(r) : "");
		return r != 0 ? -r : -ENOENT;
	}
	if (bg_toml_get(t, "owner_gid") != NULL) {
		r = bg_install_id(t, "owner_gid", path, &g, err);
		if (r < 0)
			return r;
		if ((gid_t)g != pw.pw_gid) {
			bg_err_set(err, "permission_denied",
			    "%s says owner_gid = %lld, but the primary group of "
			    "the owner %s (uid %u) is %u: rerun sudo banger "
			    "system install --owner %s",
			    path, g, pw.pw_name, (unsigned)uid,
			    (unsigned)pw.pw_gid, pw.pw_name);
			return -EPERM;
		}
	}
	*gid = pw.pw_gid;
	return 0;
}

int
bg_owner(uid_t *uid, gid_t *gid, bool require_install, struct bg_err *err)
{
	char path[PATH_MAX];
	struct bg_toml *t;
	int r;

	if (gid == NULL)
		return bg_owner_uid(uid, require_install, err);
	r = bg_install_read(uid, &t, path, sizeof(path), require_install, err);
	if (r == 0 && t == NULL)
		*gid = getegid(); /* not installed: this process's */
	else if (r == 0)
		r = owner_group(*uid, t, path, gid, err);
	bg_toml_free(t);
	return r;
}
