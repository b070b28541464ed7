/*
 * dispatch — route one connection to its helper.
 *
 * Runs once per connection (banger@.service, Accept=yes; or
 * systemd-socket-activate --accept --inetd; or s6-ipcserver) with the
 * connection on stdin and stdout.  It checks the peer's uid, reads the
 * verb line byte by byte (nothing past the newline is consumed), and
 * execs LIBEXECDIR/<verb> with the connection still on stdin, so the
 * helper reads the JSON request itself.  It does no work of its own.
 *
 * Exit: 0 never (it execs), 1 peer refused, 100 bad or unknown verb,
 * 126/127 the helper could not be executed, 111 system failure.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

/* The owner-side verbs (DESIGN.md §1).  Anything else is unknown. */
static const char *const verbs[] = {
	"vm-create", "vm-start", "vm-stop", "vm-delete", "vm-list", "vm-show",
	"vm-logs", "vm-prune", "image-pull", "image-list", "image-register",
	"image-delete", "image-import-oci", "kernel-pull", "kernel-list",
	"doctor", NULL,
};

static bool
known(const char *verb)
{
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(verb, verbs[i]) == 0)
			return true;
	return false;
}

static int
answer(const struct bg_err *err)
{
	bg_proto_fail(1, err);
	bg_proto_drain(0);
	return bg_exit_for_code(err->code);
}

int
main(int argc, char **argv)
{
	struct bg_err err = { { 0 }, { 0 } };
	char verb[BG_VERB_MAX + 1], path[PATH_MAX];
	char *const hargv[] = { verb, NULL };
	int r;

	PROG = "banger-dispatch";
	(void)argc;
	(void)argv;
	r = bg_peer_check(0, false, &err);
	if (r < 0) {
		strerr_warnw2x("refused: ", err.msg);
		return answer(&err);
	}
	r = bg_proto_read_verb(0, verb, bg_now_ms() + BG_READ_TIMEOUT_MS, &err);
	if (r < 0)
		return answer(&err);
	if (!known(verb)) {
		bg_err_set(&err, "unknown_verb",
		    "unknown verb \"%s\": this banger does not know it (is the CLI newer than the installed helpers? run banger system install again)",
		    verb);
		return answer(&err);
	}
	r = bg_path_helper(path, sizeof(path), "", verb);
	if (r < 0) {
		bg_err_set(&err, "internal", "bad helper directory: %s",
		    strerror(-r));
		return answer(&err);
	}
	if (access(path, X_OK) < 0 && errno == ENOENT) {
		bg_err_set(&err, "not_implemented",
		    "\"%s\" is not implemented yet in this banger", verb);
		return answer(&err);
	}
	execv(path, hargv);
	r = errno;
	strerr_warnwu2sys("exec ", path);
	bg_err_set(&err, "internal", "cannot run the %s helper: %s", verb,
	    strerror(r));
	bg_proto_fail(1, &err);
	return r == ENOENT ? 127 : 126;
}
