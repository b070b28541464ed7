/*
 * peer.c — who is on the other end.  Identity comes from SO_PEERCRED
 * on the connection (the kernel's word), never from the request.  The
 * owner is the uid recorded by `system install` in ETC/install.toml,
 * its group the primary gid of that uid's passwd entry; before banger
 * is installed, an owner-side helper serves the uid it runs as (under
 * systemd that is User=OWNER anyway).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "banger.h"

int
bg_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return errno == ENOTSOCK || errno == ENOPROTOOPT ? -ENOTSOCK :
								   -errno;
	if (len != sizeof(uc))
		return -EPROTO;
	if (uid)
		*uid = uc.uid;
	if (gid)
		*gid = uc.gid;
	if (pid)
		*pid = uc.pid;
	return 0;
}

/* A uid or gid from install.toml: an integer below 2^32 - 1. */
int
bg_install_id(const struct bg_toml *t, const char *key, const char *path,
    long long *out, struct bg_err *err)
{
	const struct bg_toml *u = bg_toml_get(t, key);

	if (u == NULL || u->type != BG_TOML_INT || u->i < 0 ||
	    u->i >= (long long)UINT32_MAX) {
		bg_err_set(err, "internal",
		    "%s: %s is missing or not a number; rerun sudo banger system install",
		    path, key);
		return -EINVAL;
	}
	*out = u->i;
	return 0;
}

int
bg_install_read(uid_t *uid, struct bg_toml **out, char *path, size_t n,
    bool require_install, struct bg_err *err)
{
	struct bg_toml *t = NULL;
	long long u;
	int r;

	*out = NULL;
	r = bg_path_build(path, n, BG_DIR_ETC, NULL, NULL, "install.toml");
	if (r < 0) {
		bg_err_set(err, "internal",
		    "cannot build the install.toml path: %s", strerror(-r));
		return r;
	}
	r = bg_toml_parse_file(path, &t, err);
	if (r == -ENOENT && !require_install) {
		*uid = geteuid();
		return 0;
	}
	if (r == -ENOENT) {
		bg_err_set(err, "permission_denied",
		    "banger is not installed (%s is missing): run sudo banger system install --owner USER",
		    path);
		return r;
	}
	if (r < 0)
		return r;
	r = bg_install_id(t, "owner_uid", path, &u, err);
	if (r < 0) {
		bg_toml_free(t);
		return r;
	}
	*uid = (uid_t)u;
	*out = t;
	return 0;
}

int
bg_owner_uid(uid_t *out, bool require_install, struct bg_err *err)
{
	char path[PATH_MAX];
	struct bg_toml *t;
	int r =
	    bg_install_read(out, &t, path, sizeof(path), require_install, err);

	bg_toml_free(t);
	return r;
}

int
bg_peer_allow(int fd, uid_t owner, struct bg_err *err)
{
	uid_t peer = 0;
	int r = bg_peer_cred(fd, &peer, NULL, NULL);

	if (r == -ENOTSOCK)
		return 0; /* a pipe: whoever ran us already has our rights */
	if (r < 0) {
		bg_err_set(err, "temporary",
		    "cannot read the peer's credentials: %s", strerror(-r));
		return r;
	}
	if (peer == 0 || peer == owner)
		return 0;
	bg_err_set(err, "permission_denied",
	    "connection from uid %u refused: this banger serves only its owner (uid %u) and root",
	    (unsigned)peer, (unsigned)owner);
	return -EPERM;
}

int
bg_peer_check(int fd, bool require_install, struct bg_err *err)
{
	uid_t owner = 0, peer = 0;
	int r;

	/* A pipe, or root: no owner needed, do not read install.toml. */
	r = bg_peer_cred(fd, &peer, NULL, NULL);
	if (r == -ENOTSOCK || (r == 0 && peer == 0))
		return 0;
	r = bg_owner_uid(&owner, require_install, err);
	if (r == 0)
		r = bg_peer_allow(fd, owner, err);
	return r;
}
