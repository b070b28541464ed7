/*
 * dispatch.c — the one body of both dispatchers (helpers/dispatch.c on
 * the owner socket, helpers/root-dispatch.c on the root socket): check
 * the peer (SO_PEERCRED), read the verb line byte by byte (nothing past
 * the newline is consumed), check the verb against the dispatcher's
 * list (and, on the root side, the peer's access file), and exec
 * LIBEXECDIR/<prefix><verb> with the connection still on stdin, and
 * the read deadline in the helper's environment (BG_DEADLINE_ENV,
 * lib/proto-deadline.c) so that the helper does not start a new one.
 * It does no work of its own, and links no cJSON: it answers only errors,
 * written by hand (lib/proto-fail.c), so it starts fast.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static bool
listed(const char *const *list, const char *verb)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(verb, *list) == 0)
			return true;
	return false;
}

/* Who asked, for the audit trail. */
struct peer {
	const struct bg_dispatch *d;
	const char *verb; /* once read */
	bool known;
	uid_t uid;
	pid_t pid;
};

/*
 * A refusal: answered, the rest of the request drained, and logged
 * (lib/audit.c) when it is a root request (every one is) or logit: a
 * refused peer or a broken installation, not a client's bad verb line.
 */
static int
answer(const struct peer *p, struct bg_err *err, bool logit)
{
	struct bg_audit a = { .ident = p->d->root ? "banger-root" : "banger",
		.prog = p->d->prog,
		.verb = p->verb,
		.peer_known = p->known,
		.uid = p->uid,
		.pid = p->pid,
		.index = -1,
		.result = err->code,
		.msg = err->msg };

	if (logit || p->d->root)
		bg_audit(&a);
	bg_proto_fail(1, err);
	bg_proto_drain(0);
	return bg_exit_for_code(err->code);
}

/* Exec path with envp plus one "NAME=value" (replacing NAME's own). */
static void
exec_with(const char *path, char *const argv[], char *const envp[], char *one)
{
	size_t n = 0, k = 0, name = strcspn(one, "=") + 1;
	char **e;
	int saved;

	while (envp[n] != NULL)
		n++;
	e = calloc(n + 2, sizeof(*e));
	if (e == NULL)
		return;
	for (n = 0; envp[n] != NULL; n++)
		if (strncmp(envp[n], one, name) != 0)
			e[k++] = envp[n];
	e[k++] = one;
	e[k] = NULL;
	execve(path, argv, e);
	saved = errno;
	free(e);
	errno = saved;
}

int
bg_dispatch_main(const struct bg_dispatch *d)
{
	struct bg_err err = { { 0 }, { 0 } };
	char verb[BG_VERB_MAX + 1], path[PATH_MAX], dir[PATH_MAX];
	char *const argv[] = { path, NULL };
	char dl[sizeof(BG_DEADLINE_ENV) + 24];
	int64_t deadline;
	struct peer p = { .d = d, .uid = getuid(), .pid = getppid() };
	int r;

	PROG = d->prog;
	p.known = bg_peer_cred(0, &p.uid, NULL, &p.pid) == 0;
	r = bg_peer_check(0, d->root, &err);
	if (r < 0)
		return answer(&p, &err, true);
	deadline = bg_now_ms() + BG_READ_TIMEOUT_MS;
	r = bg_proto_read_verb(0, verb, deadline, &err);
	if (r < 0)
		return answer(&p, &err, false);
	p.verb = verb;
	if (listed(d->planned, verb)) {
		bg_err_set(&err, "not_implemented",
		    "\"%s\" is not implemented yet in this banger", verb);
		return answer(&p, &err, false);
	}
	if (!listed(d->verbs, verb)) {
		bg_err_set(&err, "unknown_verb",
		    "unknown %sverb \"%s\": this "
		    "banger does not know it (is the CLI newer than the installed "
		    "helpers? run sudo banger system install again)",
		    d->root ? "root " : "", verb);
		return answer(&p, &err, false);
	}
	if (d->allowed != NULL && (r = d->allowed(p.uid, verb, &err)) <= 0)
		return answer(&p, &err, true);
	r = bg_path_libexec(dir, sizeof(dir));
	if (r == 0)
		r = bg_path_helper(path, sizeof(path), d->prefix, verb);
	if (r < 0) {
		bg_err_set(&err, "internal",
		    "bad helper directory: %s (check BANGER_LIBEXECDIR)",
		    strerror(-r));
		return answer(&p, &err, true);
	}
	if (access(path, X_OK) < 0) {
		r = errno;
		bg_err_set(&err, "internal",
		    "the %s helper %s is missing or not "
		    "executable (%s): looked in %s, which is %s; reinstall banger "
		    "(sudo banger system install), or point BANGER_LIBEXECDIR at "
		    "the directory that holds the helpers",
		    verb, path, strerror(r), dir,
		    getenv("BANGER_LIBEXECDIR") != NULL ?
			"$BANGER_LIBEXECDIR" :
			"the compiled-in helper directory");
		return answer(&p, &err, true);
	}
	if (d->before_exec != NULL && (r = d->before_exec(verb, &err)) < 0)
		return answer(&p, &err, true);
	snprintf(dl, sizeof(dl), "%s=%lld", BG_DEADLINE_ENV,
	    (long long)deadline);
	if (d->envp != NULL)
		exec_with(path, argv, d->envp, dl);
	else if (setenv(BG_DEADLINE_ENV, dl + sizeof(BG_DEADLINE_ENV), 1) == 0)
		execv(path, argv);
	r = errno;
	strerr_warnwu2sys("exec ", path);
	bg_err_set(&err, "internal", "cannot run the %s helper %s: %s", verb,
	    path, strerror(r));
	bg_proto_fail(1, &err);
	return r == ENOENT ? 127 : 126;
}
