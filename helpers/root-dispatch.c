/*
 * root-dispatch — route one connection on the root socket to its root
 * helper.
 *
 * Runs as root, once per connection (banger-root@.service, Accept=yes)
 * with the connection on stdin and stdout.  It serves the installed
 * owner and root only, and each of them only the verbs its access file
 * allows: ETC/access/uid/<uid>/allow, one verb per line (s6
 * accessrules style; written by `system install`).  Everything else is
 * denied.  Root may use every root verb.  Then it execs
 * LIBEXECDIR/root-<verb> with the connection still on stdin, from an
 * empty environment plus the few variables listed below.
 *
 * Why this is safe: the peer's uid comes from SO_PEERCRED (the
 * kernel), never from the request; without install.toml nobody but
 * root is served; the verb is checked against [a-z0-9-]{1,32}, a
 * compiled-in list and the access file before it becomes part of a
 * path; the helper path is LIBEXECDIR (compiled in, or set by whoever
 * started the service, never by the client) + "/root-" + verb; the
 * helper gets no environment from the client.  This program reads at
 * most 33 bytes of the request; the helper revalidates all the rest.
 *
 * Exit: 1 refused, 100 bad or unknown verb, 126/127 exec failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

/* The root-side verbs (DESIGN.md §1, §6). */
static const char *const verbs[] = {
	"net-setup", "tap-add", "tap-del", "vmm-launch", "dns-wire", NULL,
};

/* Passed on to root helpers when set; nothing else is. */
static const char *const keep_env[] = {
	"BANGER_ROOT", "BANGER_LIBEXECDIR", "BANGER_ROOT_SOCKET",
	"BANGER_QEMU_BIN", "BANGER_FIRECRACKER_BIN", "BANGER_NO_SYSTEMD", NULL,
};

static int
answer(const struct bg_err *err)
{
	bg_proto_fail(1, err);
	bg_proto_drain(0);
	return bg_exit_for_code(err->code);
}

/* 1 if verb is a line of ETC/access/uid/<uid>/allow, 0 if not, -errno. */
static int
allowed(uid_t uid, const char *verb)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	char *buf, *line, *save = NULL;
	size_t len;
	int r;

	r = bg_path_dir(BG_DIR_ETC, dir, sizeof(dir));
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/access/uid/%u/allow", dir,
	    (unsigned)uid);
	r = bg_read_file(AT_FDCWD, path, 4096, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = 0;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strcmp(line, verb) == 0) {
			r = 1;
			break;
		}
	free(buf);
	return r;
}

static bool
known(const char *verb)
{
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(verb, verbs[i]) == 0)
			return true;
	return false;
}

int
main(void)
{
	struct bg_err err = { { 0 }, { 0 } };
	char verb[BG_VERB_MAX + 1], path[PATH_MAX];
	char env[10][PATH_MAX + 32], *envp[10];
	char *const hargv[] = { path, NULL };
	uid_t uid = getuid();
	size_t i, n = 0;
	int r;

	PROG = "banger-root-dispatch";
	r = bg_peer_check(0, true, &err);
	if (r < 0) {
		strerr_warnw2x("refused: ", err.msg);
		return answer(&err);
	}
	bg_peer_cred(0, &uid, NULL, NULL);
	r = bg_proto_read_verb(0, verb, bg_now_ms() + BG_READ_TIMEOUT_MS, &err);
	if (r < 0)
		return answer(&err);
	if (!known(verb)) {
		bg_err_set(&err, "unknown_verb",
		    "unknown root verb \"%s\"", verb);
		return answer(&err);
	}
	r = uid == 0 ? 1 : allowed(uid, verb);
	if (r <= 0) {
		bg_err_set(&err, "permission_denied", r < 0 ?
		    "uid %u: cannot read its access rules; rerun sudo banger system install" :
		    "uid %u may not use the root verb \"%s\"", (unsigned)uid, verb);
		strerr_warnw2x("denied: ", err.msg);
		return answer(&err);
	}
	r = bg_path_helper(path, sizeof(path), "root-", verb);
	if (r < 0) {
		bg_err_set(&err, "internal", "bad helper directory: %s",
		    strerror(-r));
		return answer(&err);
	}
	if (access(path, X_OK) < 0 && errno == ENOENT) {
		bg_err_set(&err, "not_implemented",
		    "root verb \"%s\" is not implemented yet in this banger", verb);
		return answer(&err);
	}
	snprintf(env[n], sizeof(env[n]), "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	envp[n] = env[n];
	n++;
	for (i = 0; keep_env[i] != NULL && n < 9; i++) {
		const char *v = getenv(keep_env[i]);

		if (v != NULL && strlen(v) < PATH_MAX) {
			snprintf(env[n], sizeof(env[n]), "%s=%s", keep_env[i], v);
			envp[n] = env[n];
			n++;
		}
	}
	envp[n] = NULL;
	execve(path, hargv, envp);
	r = errno;
	strerr_warnwu2sys("exec ", path);
	bg_err_set(&err, "internal", "cannot run the root helper %s: %s", verb,
	    strerror(r));
	bg_proto_fail(1, &err);
	return r == ENOENT ? 127 : 126;
}
