/*
 * system-install — install banger on this host for one owner, or
 * upgrade an installation in place (docs/install.md).
 *
 * Request: {"v":1,"owner":USER}.  Result: {"owner","uid","gid",
 * "version","from","written":[paths],"unchanged":N,"sockets":[units]}.
 * Events: one log line per step.
 *
 * Run by `sudo banger system install --owner USER` (BG_VERB_LOCAL: as
 * root, on this host, never over a socket).  It copies the programs,
 * unit templates and conf/ of the tree it was started from (the
 * directory above its own libexec/banger: a build tree or an installed
 * prefix) to the compiled-in places, writes /etc/banger, the units and
 * the slice's drop-in, makes the state, cache and run directories,
 * reloads systemd, enables and (re)starts the sockets and sets up the
 * network.  A file is written only when its content or mode changes,
 * atomically; a second run changes nothing.  VMs, images and kernels
 * are never touched: an upgrade keeps them, and running VMs keep
 * running (their units are transient, not among the files written).
 *
 * Why this is safe: root runs it, on the tree root chose to run.  What
 * it makes for the owner (state, cache, the VMs' run directory) is
 * opened without following a symlink and changed through the fd, so a
 * planted link redirects nothing.  The directories that hold the
 * listening sockets (/run/banger, /run/banger-root) are made root's,
 * 0755: systemd chowns a socket path to SocketUser= following symlinks,
 * and the owner must never be able to put one there.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

#define MAX_FILE (64u << 20)

struct inst {
	char init[8]; /* "systemd" or "s6" */
	char scandir[256]; /* s6: the scan directory */
	char src[PATH_MAX]; /* the tree: SRC/bin, SRC/libexec/banger, SRC/share/banger */
	char owner[64], group[64];
	uid_t uid;
	gid_t gid;
	cJSON *written;
	int unchanged;
};

/* The tree this program was started from: .../libexec/banger/<me>. */
static int
src_tree(char *buf, size_t n, struct bg_err *err)
{
	char dir[PATH_MAX];
	size_t l;

	/* SRC/libexec/banger: its directory must end so, SRC is above. */
	if (bg_path_self(dir, sizeof(dir), 1) < 0 || (l = strlen(dir)) < 15 ||
	    strcmp(dir + l - 15, "/libexec/banger") != 0 || l - 15 >= n ||
	    l == 15) {
		bg_err_set(err, "internal",
		    "system-install must run from a banger tree "
		    "(PREFIX/libexec/banger/system-install)");
		return -EINVAL;
	}
	memcpy(buf, dir, l - 15);
	buf[l - 15] = '\0';
	return 0;
}

static int
path_of(char *buf, size_t n, const char *a, const char *b, const char *c)
{
	int r = snprintf(buf, n, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "",
	    c ? "/" : "", c ? c : "");

	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

/* dst = buf (mode, root's), unless it already is. */
static int
put(struct inst *in, const char *dst, const void *buf, size_t len, mode_t mode,
    struct bg_err *err)
{
	char *old = NULL, dir[PATH_MAX], *slash;
	size_t olen = 0;
	struct stat st;
	int r;

	if (bg_read_file(AT_FDCWD, dst, MAX_FILE, &old, &olen) == 0 &&
	    olen == len && memcmp(old, buf, len) == 0 && lstat(dst, &st) == 0 &&
	    (st.st_mode & 07777) == mode && st.st_uid == 0 && st.st_gid == 0) {
		free(old);
		in->unchanged++;
		return 0;
	}
	free(old);
	if (strlen(dst) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, dst);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if ((r = bg_mkdir_p(dir, 0755)) < 0) {
			bg_err_set(err, "temporary", "cannot make %s: %s", dir,
			    strerror(-r));
			return r;
		}
	}
	r = bg_atomic_write_path(dst, buf, len, mode);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot write %s: %s", dst,
		    strerror(-r));
		return r;
	}
	cJSON_AddItemToArray(in->written, cJSON_CreateString(dst));
	return 0;
}

static int
copy(struct inst *in, const char *src, const char *dst, mode_t mode,
    struct bg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r = bg_read_file(AT_FDCWD, src, MAX_FILE, &buf, &len);

	if (r < 0) {
		bg_err_set(err, "not_found", "cannot read %s: %s (run make)",
		    src, strerror(-r));
		return r;
	}
	r = put(in, dst, buf, len, mode, err);
	free(buf);
	return r;
}

/* Same directory (the tree is the installed prefix itself)? */
static bool
same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The helpers: every program of SRC/libexec/banger; stale ones removed. */
static int
programs(struct inst *in, struct bg_err *err)
{
	const char *lx = bg_install_dir(BG_INST_LIBEXEC);
	char sdir[PATH_MAX], s[PATH_MAX], d[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dp;
	int r;

	if ((r = path_of(sdir, sizeof(sdir), in->src, "libexec/banger", NULL)) <
		0 ||
	    (r = path_of(s, sizeof(s), in->src, "bin/banger", NULL)) < 0 ||
	    (r = path_of(d, sizeof(d), bg_install_dir(BG_INST_BIN), "banger",
		 NULL)) < 0)
		return r;
	if (same_dir(sdir, lx))
		return 0; /* reinstalling from the installed tree */
	if ((r = copy(in, s, d, 0755, err)) < 0)
		return r;
	if ((dp = opendir(sdir)) == NULL) {
		bg_err_set(err, "not_found", "cannot read %s: %s", sdir,
		    strerror(errno));
		return -errno;
	}
	while (r == 0 && (e = readdir(dp)) != NULL) {
		if (!bg_verb_valid(e->d_name) ||
		    fstatat(dirfd(dp), e->d_name, &st, 0) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((r = path_of(s, sizeof(s), sdir, e->d_name, NULL)) == 0 &&
		    (r = path_of(d, sizeof(d), lx, e->d_name, NULL)) == 0)
			r = copy(in, s, d, 0755, err);
	}
	closedir(dp);
	if (r < 0 || (dp = opendir(lx)) == NULL)
		return r;
	/* A helper this tree no longer has would run with today's units. */
	while ((e = readdir(dp)) != NULL) {
		if (!bg_verb_valid(e->d_name) ||
		    path_of(s, sizeof(s), sdir, e->d_name, NULL) < 0 ||
		    access(s, F_OK) == 0 ||
		    fstatat(dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(dp), e->d_name, 0) == 0 &&
		    path_of(d, sizeof(d), lx, e->d_name, NULL) == 0)
			cJSON_AddItemToArray(in->written,
			    cJSON_CreateString(d));
	}
	closedir(dp);
	return 0;
}

/*
 * SHAREDIR: the unit templates and conf/, for later reinstalls, and the
 * guest files `image pull` lays over container images (docs/oci-import.md).
 */
static const char *const shared[] = { "conf/slice.conf",
	"conf/config.toml.example", "conf/access/owner.allow", "guest.tar",
	NULL };

static int
share(struct inst *in, struct bg_err *err)
{
	const char *sh = bg_install_dir(BG_INST_SHARE);
	char sdir[PATH_MAX], s[PATH_MAX], d[PATH_MAX];
	size_t i;
	int r;

	if ((r = path_of(sdir, sizeof(sdir), in->src, "share/banger", NULL)) <
	    0)
		return r;
	if (same_dir(sdir, sh))
		return 0;
	for (i = 0; shared[i] != NULL; i++) {
		if ((r = path_of(s, sizeof(s), sdir, shared[i], NULL)) < 0 ||
		    (r = path_of(d, sizeof(d), sh, shared[i], NULL)) < 0 ||
		    (r = copy(in, s, d, 0644, err)) < 0)
			return r;
	}
	for (i = 0; bg_install_units[i] != NULL; i++) {
		if ((r = path_of(s, sizeof(s), sdir, "units",
			 bg_install_units[i])) < 0 ||
		    (r = path_of(d, sizeof(d), sh, "units",
			 bg_install_units[i])) < 0 ||
		    (r = copy(in, s, d, 0644, err)) < 0)
			return r;
	}
	return 0;
}

/* text with @OWNER@ and @OWNER_GROUP@ filled in; NULL on ENOMEM. */
static char *
fill(const char *text, const struct inst *in, size_t *len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	const char *p = text;

	if (f == NULL)
		return NULL;
	while (*p != '\0') {
		if (strncmp(p, "@OWNER@", 7) == 0) {
			fputs(in->owner, f);
			p += 7;
		} else if (strncmp(p, "@OWNER_GROUP@", 13) == 0) {
			fputs(in->group, f);
			p += 13;
		} else
			fputc(*p++, f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

/* The first "@NAME@" left in s (NAME of [A-Z_]), or NULL. */
static const char *
placeholder(const char *s)
{
	size_t k;

	for (s = strchr(s, '@'); s != NULL; s = strchr(s + 1, '@')) {
		k = strspn(s + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
		if (k > 0 && s[1 + k] == '@')
			return s;
	}
	return NULL;
}

/* The units, filled in for the owner; the slice's drop-in link. */
static int
units(struct inst *in, struct bg_err *err)
{
	const char *ud = bg_install_dir(BG_INST_UNITS);
	char s[PATH_MAX], d[PATH_MAX], conf[PATH_MAX], link[PATH_MAX + 1],
	    tmp[PATH_MAX];
	char *text, *out;
	const char *at;
	size_t len, i;
	ssize_t l;
	int r;

	for (i = 0; bg_install_units[i] != NULL; i++) {
		if ((r = path_of(s, sizeof(s), in->src, "share/banger/units",
			 bg_install_units[i])) < 0 ||
		    (r = path_of(d, sizeof(d), ud, bg_install_units[i], NULL)) <
			0)
			return r;
		r = bg_read_file(AT_FDCWD, s, MAX_FILE, &text, &len);
		if (r < 0) {
			bg_err_set(err, "not_found",
			    "cannot read %s: %s (run make)", s, strerror(-r));
			return r;
		}
		out = fill(text, in, &len);
		free(text);
		if (out == NULL)
			return -ENOMEM;
		at = placeholder(out);
		if (at != NULL) {
			bg_err_set(err, "internal",
			    "%s has a placeholder left: %.40s", s, at);
			free(out);
			return -EINVAL;
		}
		r = put(in, d, out, len, 0644, err);
		free(out);
		if (r < 0)
			return r;
	}
	/* An earlier version's units go: they would still be loaded. */
	for (i = 0; bg_install_units_old[i] != NULL; i++) {
		if ((r = path_of(d, sizeof(d), ud, bg_install_units_old[i],
			 NULL)) < 0)
			return r;
		if (unlink(d) == 0)
			cJSON_AddItemToArray(in->written,
			    cJSON_CreateString(d));
	}
	/* banger.slice.d/50-banger.conf -> ETC/slice.conf: the admin's limits. */
	if ((r = bg_path_build(conf, sizeof(conf), BG_DIR_ETC, NULL, NULL,
		 "slice.conf")) < 0 ||
	    (r = path_of(d, sizeof(d), ud, "banger.slice.d/50-banger.conf",
		 NULL)) < 0 ||
	    (r = path_of(tmp, sizeof(tmp), ud,
		 "banger.slice.d/.50-banger.conf.tmp", NULL)) < 0)
		return r;
	l = readlink(d, link, sizeof(link) - 1);
	if (l > 0 && (size_t)l == strlen(conf) &&
	    memcmp(link, conf, (size_t)l) == 0) {
		in->unchanged++;
		return 0;
	}
	snprintf(s, sizeof(s), "%s/banger.slice.d", ud);
	unlink(tmp);
	if ((r = bg_mkdir_p(s, 0755)) < 0 ||
	    (symlink(conf, tmp) < 0 && (r = -errno)) ||
	    (rename(tmp, d) < 0 && (r = -errno))) {
		unlink(tmp);
		bg_err_set(err, "temporary", "cannot link %s: %s", d,
		    strerror(-r));
		return r;
	}
	cJSON_AddItemToArray(in->written, cJSON_CreateString(d));
	return 0;
}

/* ETC: install.toml, the owner's access rules, slice.conf if missing. */
static int
etc(struct inst *in, struct bg_err *err)
{
	char d[PATH_MAX], s[PATH_MAX], uid[16], *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	f = open_memstream(&text, &len);
	if (f == NULL)
		return -ENOMEM;
	fprintf(f,
	    "# Written by `banger system install`: run it again rather than\n"
	    "# editing this file (docs/install.md).\n"
	    "owner = \"%s\"\nowner_uid = %u\nowner_gid = %u\n"
	    "version = \"%s\"\nbindir = \"%s\"\nlibexecdir = \"%s\"\n"
	    "init = \"%s\"\n",
	    in->owner, (unsigned)in->uid, (unsigned)in->gid, bg_version(),
	    bg_install_dir(BG_INST_BIN), bg_install_dir(BG_INST_LIBEXEC),
	    in->init);
	if (strcmp(in->init, "s6") == 0)
		fprintf(f, "scandir = \"%s\"\n", in->scandir);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	r = bg_path_build(d, sizeof(d), BG_DIR_ETC, NULL, NULL, "install.toml");
	if (r == 0)
		r = put(in, d, text, len, 0644, err);
	free(text);
	snprintf(uid, sizeof(uid), "%u", (unsigned)in->uid);
	if (r == 0 &&
	    (r = path_of(s, sizeof(s), in->src,
		 "share/banger/conf/access/owner.allow", NULL)) == 0 &&
	    (r = bg_path_build(d, sizeof(d), BG_DIR_ETC, "access/uid", uid,
		 "allow")) == 0)
		r = copy(in, s, d, 0644, err);
	if (r == 0 &&
	    (r = path_of(s, sizeof(s), in->src, "share/banger/conf/slice.conf",
		 NULL)) == 0 &&
	    (r = bg_path_build(d, sizeof(d), BG_DIR_ETC, NULL, NULL,
		 "slice.conf")) == 0 &&
	    access(d, F_OK) < 0)
		r = copy(in, s, d, 0644, err);
	return r;
}

/*
 * path, a directory owned by uid:gid with mode, whatever was there: made
 * if missing, else opened without following a symlink and fixed
 * through the fd.  Its parent must already be root's.
 */
static int
dir(struct inst *in, const char *path, uid_t uid, gid_t gid, mode_t mode,
    struct bg_err *err)
{
	struct stat st;
	int fd, r = 0;

	if (mkdir(path, mode) == 0)
		cJSON_AddItemToArray(in->written, cJSON_CreateString(path));
	else if (errno != EEXIST)
		r = -errno;
	fd = r < 0 ?
	    r :
	    open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && r == 0)
		r = -errno;
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r == 0 && (st.st_uid != uid || st.st_gid != gid) &&
	    fchown(fd, uid, gid) < 0)
		r = -errno;
	if (r == 0 && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		bg_err_set(err,
		    r == -ELOOP || r == -ENOTDIR ? "exists" : "temporary",
		    "cannot make %s a directory of uid %u, mode %04o: %s%s",
		    path, (unsigned)uid, (unsigned)mode, strerror(-r),
		    r == -ELOOP || r == -ENOTDIR ? " (move it away)" : "");
	return r;
}

static int
dirs(struct inst *in, struct bg_err *err)
{
	static const struct {
		enum bg_dir d;
		const char *sub;
		bool owner;
		mode_t mode;
	} t[] = {
		{ BG_DIR_STATE, NULL, true, 0700 },
		{ BG_DIR_CACHE, NULL, true, 0700 },
		/* The sockets' directories: root's (see the top). */
		{ BG_DIR_RUN, NULL, false, 0755 },
		{ BG_DIR_RUN, "vms", true, 0700 },
		{ BG_DIR_ROOTRUN, NULL, false, 0755 },
	};
	char p[PATH_MAX], parent[PATH_MAX], *s;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = bg_path_dir(t[i].d, parent, sizeof(parent));
		if (r == 0)
			r = path_of(p, sizeof(p), parent, t[i].sub, NULL);
		if (r < 0)
			return r;
		strcpy(parent, p);
		s = strrchr(parent, '/');
		if (s != NULL && s != parent) {
			*s = '\0';
			if (t[i].sub == NULL &&
			    (r = bg_mkdir_p(parent, 0755)) < 0)
				return r;
		}
		r = dir(in, p, t[i].owner ? in->uid : 0,
		    t[i].owner ? in->gid : 0, t[i].mode, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A user or group name banger puts into unit files: [a-z_][a-z0-9_.-]*,
 * at most 32 bytes (the CLI checks the same).  Never all digits (systemd
 * reads User=0 as root), never whitespace or a newline (a directive of
 * its own in a unit).
 */
static bool
user_name(const char *s)
{
	size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-");

	return (('a' <= s[0] && s[0] <= 'z') || s[0] == '_') && s[k] == '\0' &&
	    k <= 32;
}

/* The owner: a passwd entry, not root; its primary group. */
static int
owner(struct inst *in, const char *name, struct bg_err *err)
{
	struct passwd *pw = getpwnam(name);
	struct group *gr;

	if (pw == NULL) {
		bg_err_set(err, "not_found",
		    "no user named \"%s\" on this host (the owner must be an "
		    "existing account: useradd it first)",
		    name);
		return -ENOENT;
	}
	if (pw->pw_uid == 0) {
		bg_err_set(err, "bad_request",
		    "the owner cannot be root: VMs run as their owner, and root "
		    "would defeat the privilege split (use your own user: "
		    "--owner \"$SUDO_USER\")");
		return -EINVAL;
	}
	if (strlen(pw->pw_name) >= sizeof(in->owner)) {
		bg_err_set(err, "bad_request", "the user name is too long");
		return -EINVAL;
	}
	if (!user_name(pw->pw_name)) {
		bg_err_set(err, "bad_request",
		    "the user name \"%.32s\" is not [a-z_][a-z0-9_.-]*: banger "
		    "writes it into systemd units, which read a number as a "
		    "uid; choose an owner with a plain name",
		    pw->pw_name);
		return -EINVAL;
	}
	strcpy(in->owner, pw->pw_name);
	in->uid = pw->pw_uid;
	in->gid = pw->pw_gid;
	gr = getgrgid(in->gid);
	if (gr == NULL || !user_name(gr->gr_name) ||
	    strlen(gr->gr_name) >= sizeof(in->group)) {
		bg_err_set(err, "bad_request",
		    "the primary group %u of %s has no group entry, or its "
		    "name is not [a-z_][a-z0-9_.-]* (banger writes it into "
		    "banger-root.socket)",
		    (unsigned)in->gid, in->owner);
		return -EINVAL;
	}
	strcpy(in->group, gr->gr_name);
	return 0;
}

/*
 * State or cache left by another owner (uninstalled without --purge):
 * the new owner would get the top directory and, inside it, read the
 * old owner's images, VMs and known_hosts.  Refused.
 */
static int
other_state(const struct inst *in, struct bg_err *err)
{
	static const enum bg_dir ds[] = { BG_DIR_STATE, BG_DIR_CACHE };
	char p[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		if (bg_path_dir(ds[i], p, sizeof(p)) < 0 || lstat(p, &st) < 0)
			continue;
		if (st.st_uid != in->uid && st.st_uid != 0) {
			bg_err_set(err, "exists",
			    "%s belongs to uid %u, not to %s: it holds another "
			    "owner's VMs and images; install for that user, or "
			    "remove it with sudo banger system uninstall --purge",
			    p, (unsigned)st.st_uid, in->owner);
			return -EEXIST;
		}
	}
	return 0;
}

/*
 * Which init serves the sockets: --init, else systemd when it is PID 1.
 * s6 needs an s6-svscan watching the scan directory (its .s6-svscan).
 */
static int
init_of(struct bg_req *rq, struct inst *in, struct bg_err *err)
{
	const char *init = bg_req_str(rq, "init");
	const char *scan = bg_req_str(rq, "scandir");
	char ctl[300];
	struct stat st;

	if (init == NULL)
		init = bg_host_systemd() ? "systemd" : NULL;
	if (init == NULL) {
		bg_err_set(err, "not_implemented",
		    "PID 1 of this host is not systemd: run banger under s6 "
		    "instead, sudo banger system install --init s6 [--scandir "
		    "DIR] (docs/install.md)");
		return -ENOTSUP;
	}
	snprintf(in->init, sizeof(in->init), "%s", init);
	if (strcmp(init, "systemd") == 0) {
		if (scan != NULL) {
			bg_err_set(err, "bad_request",
			    "--scandir goes with --init s6");
			return -EINVAL;
		}
		if (!bg_host_systemd()) {
			bg_err_set(err, "not_implemented",
			    "PID 1 of this host is not systemd: use --init s6 "
			    "(docs/install.md)");
			return -ENOTSUP;
		}
		return 0;
	}
	snprintf(in->scandir, sizeof(in->scandir), "%s",
	    scan != NULL ? scan : "/run/service");
	snprintf(ctl, sizeof(ctl), "%s/.s6-svscan", in->scandir);
	if (stat(ctl, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bg_err_set(err, "bad_request",
		    "no s6-svscan watches %s (%s is missing): start one "
		    "there, or name yours with --scandir DIR",
		    in->scandir, ctl);
		return -ENOENT;
	}
	return 0;
}

/*
 * s6: ETC/s6/SERVICE/run for both services, linked into the scan
 * directory; s6-svscan told to look, and services that were already
 * there restarted with the new scripts.
 */
static int
s6_services(struct inst *in, struct bg_err *err)
{
	char d[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX], got[PATH_MAX];
	bool existed = true;
	char *text;
	ssize_t l;
	size_t i;
	int r;

	for (i = 0; bg_s6_services[i] != NULL; i++) {
		text = bg_s6_run_script(bg_s6_services[i], in->owner, in->group,
		    in->uid, in->gid);
		if (text == NULL)
			return -ENOMEM;
		r = bg_path_build(d, sizeof(d), BG_DIR_ETC, "s6",
		    bg_s6_services[i], "run");
		if (r == 0)
			r = put(in, d, text, strlen(text), 0755, err);
		free(text);
		if (r < 0)
			return r;
		*strrchr(d, '/') = '\0';
		snprintf(link, sizeof(link), "%s/%s", in->scandir,
		    bg_s6_services[i]);
		l = readlink(link, got, sizeof(got) - 1);
		if (l > 0 && (size_t)l == strlen(d) &&
		    memcmp(got, d, (size_t)l) == 0)
			continue;
		existed = false;
		snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", in->scandir,
		    bg_s6_services[i]);
		unlink(tmp);
		if (symlink(d, tmp) < 0 || rename(tmp, link) < 0) {
			r = -errno;
			unlink(tmp);
			bg_err_set(err, "temporary", "cannot link %s: %s", link,
			    strerror(-r));
			return r;
		}
		cJSON_AddItemToArray(in->written, cJSON_CreateString(link));
	}
	bg_proto_log(1, "s6: %s in %s", existed ? "restart" : "start",
	    in->scandir);
	r = bg_s6_rescan(in->scandir, false, err);
	if (r == 0 && existed)
		r = bg_s6_restart(in->scandir, err);
	return r;
}

static int
validate(struct bg_req *rq, struct bg_err *err)
{
	struct inst in;
	uid_t prev;
	int r = bg_install_refuse_sandbox("system install", err);

	if (r == 0)
		r = owner(&in, bg_req_str(rq, "owner"), err);
	if (r < 0)
		return r;
	if ((r = init_of(rq, &in, err)) < 0)
		return r;
	/* Another owner's installation: uninstall first (their VMs). */
	if (bg_owner_uid(&prev, true, err) == 0) {
		if (in.uid != prev) {
			bg_err_set(err, "exists",
			    "banger is installed for uid %u: sudo banger "
			    "system uninstall first (its VMs stay in "
			    "/var/lib/banger unless --purge)",
			    (unsigned)prev);
			return -EEXIST;
		}
	}
	memset(err, 0, sizeof(*err));
	return other_state(&in, err);
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const char *const socks[] = { "banger.socket",
		"banger-root.socket", "banger-dns.socket", NULL };
	struct inst in;
	int r;

	memset(&in, 0, sizeof(in));
	if ((r = owner(&in, bg_req_str(rq, "owner"), err)) < 0 ||
	    (r = init_of(rq, &in, err)) < 0 ||
	    (r = src_tree(in.src, sizeof(in.src), err)) < 0)
		return r;
	in.written = cJSON_CreateArray();
	if (in.written == NULL)
		return -ENOMEM;
	bg_proto_log(1, "installing banger %s from %s for %s (uid %u, gid %u)",
	    bg_version(), in.src, in.owner, (unsigned)in.uid, (unsigned)in.gid);
	if ((r = programs(&in, err)) == 0 && (r = share(&in, err)) == 0 &&
	    (r = etc(&in, err)) == 0 && (r = dirs(&in, err)) == 0) {
		if (strcmp(in.init, "s6") == 0) {
			r = s6_services(&in, err);
			if (r == 0)
				r = bg_net_ensure(err);
			if (r == 0)
				bg_install_wire_dns();
		} else {
			r = units(&in, err);
			if (r == 0)
				r = bg_install_start(true, err);
		}
	}
	if (r < 0) {
		if (err->code[0] == '\0')
			bg_err_set(err, "temporary", "install failed: %s",
			    strerror(-r));
		cJSON_Delete(in.written);
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "owner", in.owner);
	cJSON_AddNumberToObject(*result, "uid", in.uid);
	cJSON_AddNumberToObject(*result, "gid", in.gid);
	cJSON_AddStringToObject(*result, "version", bg_version());
	cJSON_AddStringToObject(*result, "from", in.src);
	cJSON_AddItemToObject(*result, "written", in.written);
	cJSON_AddNumberToObject(*result, "unchanged", in.unchanged);
	cJSON_AddStringToObject(*result, "init", in.init);
	if (strcmp(in.init, "s6") == 0)
		cJSON_AddItemToObject(*result, "services",
		    cJSON_CreateStringArray(bg_s6_services, 3));
	else
		cJSON_AddItemToObject(*result, "sockets",
		    cJSON_CreateStringArray(socks, 3));
	return 0;
}

static bool
init_name(const char *s)
{
	return strcmp(s, "systemd") == 0 || strcmp(s, "s6") == 0;
}

BG_VERB(.name = "system-install", .flags = BG_VERB_LOCAL | BG_VERB_SUDO,
    .fields =
	BG_FIELDS({ .key = "owner",
		      .type = BG_T_STR,
		      .required = true,
		      .max = 32,
		      .valid = user_name,
		      .what = "a user name: [a-z_][a-z0-9_.-]*, at most 32 "
			      "bytes" },
	    { .key = "init",
		.type = BG_T_STR,
		.max = 8,
		.valid = init_name,
		.what = "systemd or s6" },
	    { .key = "scandir",
		.type = BG_T_STR,
		.max = 199,
		.valid = bg_s6_scandir_ok,
		.what = "an absolute path of plain characters" }),
    .validate = validate, .act = act);
