/*
 * dispatch — route one connection on the owner socket to its helper.
 *
 * Runs once per connection (forked by serve in banger.service; or
 * systemd-socket-activate --accept --inetd; or s6-ipcserver) with the
 * connection on stdin and stdout; lib/dispatch.c does the routing:
 * peer check, the verb line, exec LIBEXECDIR/<verb>.
 *
 * Exit: 0 never (it execs), 1 peer refused, 100 bad or unknown verb,
 * 101 a helper missing, 126/127 the helper could not be executed.
 */
#include "banger.h"

/* The owner-side verbs (docs/protocol.md).  Anything else is unknown. */
static const char *const verbs[] = {
	"vm-create",
	"vm-start",
	"vm-stop",
	"vm-delete",
	"vm-list",
	"vm-show",
	"vm-logs",
	"vm-prune",
	"image-list",
	"image-register",
	"image-delete",
	"image-pull",
	"image-import-oci",
	"kernel-list",
	"kernel-pull",
	"kernel-delete",
	"doctor",
	NULL,
};
/* Known, and answered with "not implemented yet". */
static const char *const planned[] = {
	NULL,
};

int
main(void)
{
	static const struct bg_dispatch d = {
		.prog = "banger-dispatch",
		.verbs = verbs,
		.planned = planned,
		.prefix = "",
	};

	return bg_dispatch_main(&d);
}
