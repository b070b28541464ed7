/*
 * install.c — what `system install` and `system uninstall` share: the
 * installed layout (compiled in: make's BINDIR, LIBEXECDIR, SHAREDIR),
 * banger's unit files, and systemctl (docs/install.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"
#include "dns.h"

#ifndef BG_BINDIR
#define BG_BINDIR "/usr/local/bin"
#endif
#ifndef BG_SHAREDIR
#define BG_SHAREDIR "/usr/local/share/banger"
#endif

const char *const bg_install_units[] = {
	"banger.socket",
	"banger.service",
	"banger-root.socket",
	"banger-root@.service",
	"banger-dns.socket",
	"banger-dns.service",
	"banger.slice",
	NULL,
};

/* Units of earlier versions: install and uninstall remove them. */
const char *const bg_install_units_old[] = {
	"banger@.service", /* Accept=yes, one instance per request */
	NULL,
};

const char *
bg_install_dir(enum bg_install_dir d)
{
	switch (d) {
	case BG_INST_BIN:
		return BG_BINDIR;
	case BG_INST_LIBEXEC:
		return BG_LIBEXECDIR;
	case BG_INST_SHARE:
		return BG_SHAREDIR;
	case BG_INST_UNITS:
		return "/etc/systemd/system";
	}
	return NULL;
}

static bool
ours(const char *dir)
{
	size_t n = strlen(dir);

	return n > 7 && strcmp(dir + n - 7, "/banger") == 0;
}

int
bg_install_refuse_sandbox(const char *what, struct bg_err *err)
{
	if (getenv("BANGER_ROOT") != NULL) {
		bg_err_set(err, "bad_request",
		    "%s works on the host itself, not in a private state "
		    "root: unset BANGER_ROOT",
		    what);
		return -EINVAL;
	}
	/* The host's own sockets and helpers, whatever the caller's environment. */
	unsetenv("BANGER_SOCKET");
	unsetenv("BANGER_ROOT_SOCKET");
	unsetenv("BANGER_LIBEXECDIR");
	/* Install prunes, uninstall removes them whole: banger's own only. */
	if (!ours(BG_LIBEXECDIR) || !ours(BG_SHAREDIR)) {
		bg_err_set(err, "bad_request",
		    "this banger was built with LIBEXECDIR=%s and SHAREDIR=%s; "
		    "%s needs directories of banger's own (ending in /banger): "
		    "rebuild with the defaults",
		    BG_LIBEXECDIR, BG_SHAREDIR, what);
		return -EINVAL;
	}
	return 0;
}

int
bg_install_init(char *init, size_t n, char *scandir, size_t m)
{
	struct bg_toml *t = NULL;
	const struct bg_toml *v;
	struct bg_err e;
	char path[PATH_MAX];
	uid_t uid;

	memset(&e, 0, sizeof(e));
	snprintf(init, n, "systemd");
	scandir[0] = '\0';
	if (bg_install_read(&uid, &t, path, sizeof(path), true, &e) < 0)
		return -ENOENT;
	v = bg_toml_get(t, "init");
	if (v != NULL && v->type == BG_TOML_STRING && strcmp(v->s, "s6") == 0)
		snprintf(init, n, "s6");
	v = bg_toml_get(t, "scandir");
	if (v != NULL && v->type == BG_TOML_STRING && bg_s6_scandir_ok(v->s))
		snprintf(scandir, m, "%s", v->s);
	bg_toml_free(t);
	return strcmp(init, "s6") == 0 && scandir[0] == '\0' ? -EINVAL : 0;
}

int
bg_install_start(bool enable, struct bg_err *err)
{
	static const char *const socks[] = { "banger.socket",
		"banger-root.socket", "banger-dns.socket", NULL };
	static const char *const down[] = { "banger.socket", "banger.service",
		"banger-dns.socket", "banger-dns.service", NULL };
	int r;

	bg_proto_log(1, "systemd: daemon-reload, %srestart %s, %s and %s",
	    enable ? "enable and " : "", socks[0], socks[1], socks[2]);
	r = bg_systemctl("daemon-reload", NULL, NULL, err);
	if (r == 0 && enable)
		r = bg_systemctl("enable", NULL, socks, err);
	/*
	 * A socket cannot start while its Accept=no service runs, and a
	 * listening banger.socket would start banger.service again: both
	 * stopped (serve finishes the requests in flight), then the sockets.
	 */
	if (r == 0)
		r = bg_systemctl("stop", NULL, down, err);
	if (r == 0)
		r = bg_systemctl("restart", NULL, socks, err);
	if (r == 0) {
		bg_proto_log(1, "network: bridge %s, nftables, ip_forward",
		    BG_BRIDGE);
		r = bg_net_ensure(err);
	}
	if (r == 0)
		bg_install_wire_dns();
	return r;
}

void
bg_install_wire_dns(void)
{
	struct bg_err e;
	char why[256];
	int w;

	/* Not fatal: VMs run without it, doctor says why. */
	memset(&e, 0, sizeof(e));
	w = bg_dns_wire_apply(why, sizeof(why), &e);
	bg_proto_log(1, "dns: %s",
	    w == 0 ? "systemd-resolved sends .vm to " BG_BRIDGE_ADDR
		     " on " BG_BRIDGE :
		w == 1 ? why :
			 e.msg);
}

int
bg_systemctl(const char *a1, const char *a2, const char *const *units,
    struct bg_err *err)
{
	char tool[PATH_MAX];
	char *argv[16];
	size_t n = 0, i;

	if (bg_host_tool("systemctl", NULL, tool, sizeof(tool)) < 0) {
		bg_err_set(err, "temporary",
		    "systemctl not found (is systemd installed?)");
		return -ENOENT;
	}
	argv[n++] = tool;
	argv[n++] = (char *)a1;
	if (a2 != NULL)
		argv[n++] = (char *)a2;
	for (i = 0; units != NULL && units[i] != NULL && n < 15; i++)
		argv[n++] = (char *)units[i];
	argv[n] = NULL;
	return bg_run(argv, 90000, err);
}
