/*
 * system-restart — restart banger's services on this host
 * (docs/install.md, "system restart").
 *
 * Request: {"v":1}.  Result: {"sockets":[units],"network":true}.
 *
 * Run by `sudo banger system restart` (BG_VERB_LOCAL | BG_VERB_SUDO).
 * systemd re-reads the unit files (daemon-reload), banger's sockets are
 * restarted (a request in flight finishes in its own instance), and the
 * network and the .vm routing in systemd-resolved are applied again: the bridge kept if it is there, banger's
 * tables replaced in one transaction (a changed network.toml takes
 * effect), ip_forward on.  Running VMs are left alone: each is its own
 * transient unit, its tap stays on the bridge, and the tables' sets do
 * not depend on which VMs run, so they stay reachable throughout.
 *
 * Why this is safe: root runs it by hand; it names only banger's own
 * units, bridge and tables.
 */
#include <errno.h>
#include <string.h>

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const char *const socks[] = { "banger.socket",
		"banger-root.socket", "banger-dns.socket", NULL };
	struct bg_toml *t = NULL;
	char path[4096], init[8], scandir[256];
	uid_t uid;
	int r;

	(void)rq;
	r = bg_install_refuse_sandbox("system restart", err);
	if (r == 0)
		r = bg_install_read(&uid, &t, path, sizeof(path), true, err);
	bg_toml_free(t);
	if (r < 0)
		return r;
	if (bg_install_init(init, sizeof(init), scandir, sizeof(scandir)) ==
		0 &&
	    strcmp(init, "s6") == 0) {
		bg_proto_log(1, "s6: restart %s, %s and %s in %s",
		    bg_s6_services[0], bg_s6_services[1], bg_s6_services[2],
		    scandir);
		r = bg_s6_restart(scandir, err);
		if (r == 0)
			r = bg_net_ensure(err);
		if (r == 0)
			bg_install_wire_dns();
	} else if (!bg_host_systemd()) {
		bg_err_set(err, "not_implemented",
		    "PID 1 of this host is not systemd: nothing to restart");
		return -ENOTSUP;
	} else
		r = bg_install_start(false, err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddItemToObject(*result, "sockets",
	    cJSON_CreateStringArray(socks, 3));
	cJSON_AddBoolToObject(*result, "network", true);
	return 0;
}

BG_VERB(.name = "system-restart", .flags = BG_VERB_LOCAL | BG_VERB_SUDO,
    .act = act);
