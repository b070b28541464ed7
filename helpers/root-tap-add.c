/*
 * root-tap-add — create the persistent tap of one VM slot, owned by the
 * installed owner so that the owner's unprivileged VMM can open it,
 * attached to br-fc and up.  Idempotent.
 *
 * Request: {"v":1,"index":N}, N in 2..254 (the guest's last address
 * octet).  Result: {"tap":"bgtapN"}.
 *
 * Why this is safe: the request carries a small integer, never a name
 * or path; the interface name "bgtapN" is built here, so only banger's
 * own taps can be created, and they are given to the owner uid read
 * from /etc/banger/install.toml (never from the request).  The bridge
 * must already exist (net-setup); nothing else is changed.
 */
#include <errno.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "index", NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	int ix;
	char tap[16];
	uid_t uid;
	gid_t gid;
	cJSON *res;
	int r;

	PROG = "banger-root-tap-add";
	r = bg_helper_begin(&h, "tap-add", true);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	ix = bg_req_index(h.req, &err);
	if (ix < 0 || bg_net_tap_name(ix, tap, sizeof(tap)) < 0)
		return bg_helper_fail(&h, &err);
	if (bg_owner(&uid, &gid, true, &err) < 0)
		return bg_helper_fail(&h, &err);
	if (!bg_net_link_exists(BG_BRIDGE)) {
		bg_err_set(&err, "not_found",
		    "bridge %s does not exist: run net-setup first", BG_BRIDGE);
		return bg_helper_fail(&h, &err);
	}
	r = bg_net_tap_ensure(tap, uid, gid, BG_BRIDGE);
	if (r < 0) {
		bg_err_set(&err, r == -EBUSY ? "busy" : "temporary",
		    "cannot create tap %s: %s", tap, strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "tap", tap);
	return bg_helper_ok(&h, res);
}
