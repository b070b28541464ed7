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
 * The routing is lib/dispatch.c's, shared with dispatch.
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

#include "banger.h"

/* The root-side verbs (docs/architecture.md). */
static const char *const verbs[] = {
	"net-down",
	"net-setup",
	"tap-add",
	"tap-del",
	"vmm-launch",
	NULL,
};
static const char *const planned[] = { "dns-wire", NULL };

/* Passed on to root helpers when set; nothing else is. */
static const char *const keep_env[] = {
	"BANGER_ROOT",
	"BANGER_LIBEXECDIR",
	"BANGER_ROOT_SOCKET",
	"BANGER_NO_SYSTEMD",
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

int
main(void)
{
	static char env[8][PATH_MAX + 32];
	char *envp[8];
	struct bg_dispatch d = { .prog = "banger-root-dispatch",
		.root = true,
		.prefix = "root-",
		.verbs = verbs,
		.planned = planned,
		.allowed = allowed,
		.envp = envp };
	size_t i, n = 0;

	/* An empty environment but for PATH and the few variables above. */
	snprintf(env[n], sizeof(env[n]), "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	envp[n] = env[n];
	n++;
	for (i = 0; keep_env[i] != NULL && n < 7; i++) {
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
