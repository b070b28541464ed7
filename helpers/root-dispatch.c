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
 * The routing is lib/dispatch.c's, shared with dispatch.  Before the
 * exec it narrows the bounding set to the verb's capabilities
 * (lib/root-verbs.c) and sets no_new_privs, so the helper starts with
 * exactly its set.
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
#include <sys/prctl.h>

#include "banger.h"

static const char *const planned[] = { NULL };

/* Passed on to root helpers when set; nothing else is. */
static const char *const keep_env[] = {
	"BANGER_ROOT",
	"BANGER_LIBEXECDIR",
	"BANGER_ROOT_SOCKET",
	"BANGER_NO_SYSTEMD",
	"JOURNAL_STREAM", /* stderr is the journal: log with fields (lib/audit.c) */
	NULL,
};

/* 1 if verb is a line of ETC/access/uid/<uid>/allow, 0 if not, -errno. */
static int
allowed(uid_t uid, const char *verb, struct bg_err *err)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	char *buf, *line, *save = NULL;
	size_t len;
	int r;

	if (uid == 0)
		return 1; /* root may use every root verb */
	r = bg_path_dir(BG_DIR_ETC, dir, sizeof(dir));
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/access/uid/%u/allow", dir,
		    (unsigned)uid);
		r = bg_read_file(AT_FDCWD, path, 4096, &buf, &len);
	}
	if (r == 0) {
		r = 0;
		for (line = strtok_r(buf, "\n", &save); line != NULL && r == 0;
		     line = strtok_r(NULL, "\n", &save))
			r = strcmp(line, verb) == 0;
		free(buf);
	}
	if (r == -ENOENT)
		r = 0;
	if (r <= 0)
		bg_err_set(err, "permission_denied",
		    r < 0 ?
			"uid %u: cannot read its access rules; rerun sudo banger "
			"system install" :
			"uid %u may not use the root verb \"%s\"",
		    (unsigned)uid, verb);
	return r;
}

/*
 * Narrow the bounding set to the verb's capabilities (lib/root-verbs.c)
 * and set no_new_privs: root's exec of the helper then gives it exactly
 * that set, and nothing it runs can gain more.  A fenced verb's helper
 * starts under the seccomp fence too (lib/seccomp.c).
 *
 * Why this is safe: the set comes from the compiled-in table, keyed by
 * a verb already checked against it; only dropping is possible here.
 */
static int
narrow(const char *verb, struct bg_err *err)
{
	const struct bg_root_verb *v = bg_root_verb(verb);
	int r;

	if (v == NULL) {
		bg_err_set(err, "internal", "no capability set for \"%s\"",
		    verb);
		return -ENOENT;
	}
	r = geteuid() != 0 ? 0 : bg_caps_bound(v->caps);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	if (r == 0 && v->fenced)
		r = bg_seccomp_fence();
	if (r < 0)
		bg_err_set(err, "internal",
		    "cannot narrow the capabilities for %s: %s", verb,
		    strerror(-r));
	return r;
}

int
main(void)
{
	static char env[9][PATH_MAX + 32];
	static const char *verbs[16];
	char *envp[9];
	struct bg_dispatch d = { .prog = "banger-root-dispatch",
		.root = true,
		.prefix = "root-",
		.verbs = verbs,
		.planned = planned,
		.allowed = allowed,
		.envp = envp,
		.before_exec = narrow };
	size_t i, n = 0;

	for (i = 0; bg_root_verbs[i].name != NULL && i < 15; i++)
		verbs[i] = bg_root_verbs[i].name;

	/* An empty environment but for PATH and the few variables above. */
	snprintf(env[n], sizeof(env[n]), "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	envp[n] = env[n];
	n++;
	for (i = 0; keep_env[i] != NULL && n < 8; i++) {
		const char *v = getenv(keep_env[i]);

		if (v != NULL && strlen(v) < PATH_MAX) {
			snprintf(env[n], sizeof(env[n]), "%s=%s", keep_env[i],
			    v);
			envp[n] = env[n];
			n++;
		}
	}
	envp[n] = NULL;
	return bg_dispatch_main(&d);
}
