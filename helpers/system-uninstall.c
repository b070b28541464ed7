/*
 * system-uninstall — take banger off this host (docs/install.md).
 *
 * Request: {"v":1,"purge":BOOL}.  Result: {"removed":[paths],
 * "stopped":[VM names],"kept":[paths]}.  Events: one log line per step.
 *
 * Run by `sudo banger system uninstall [--purge]` (BG_VERB_LOCAL: as
 * root, on this host, never over a socket).  In order: running VMs are
 * stopped cleanly, through the owner socket as any client would
 * (vm-stop: the guest is asked to power off); the owner's taps are
 * deleted; the sockets are stopped and disabled, banger.slice stopped
 * and banger's units removed; the network is taken down (tables, bridge, ip_forward back
 * to what it was); the programs, SHAREDIR and /etc/banger removed.
 * --purge also removes the state, cache and run directories (VMs,
 * images, kernels, downloads).  The owner's ~/.config/banger and
 * ~/.local/state/banger are never touched.  Each step goes on when an
 * earlier one found nothing to do, so running it twice, or after a
 * half-done install, ends in the same place.
 *
 * Why this is safe: root runs it by hand.  Every path is compiled in;
 * directories are removed beneath their parent without following a
 * symlink (bg_rm_rf_at); only the owner's own taps are deleted, and only
 * banger's tables and bridge.
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

struct un {
	cJSON *removed, *stopped, *kept;
};

/* rm -rf path (beneath its parent, never through a symlink), if there. */
static int
rm_path(struct un *u, const char *path, struct bg_err *err)
{
	char parent[PATH_MAX], *slash;
	int fd, r;

	if (strlen(path) >= sizeof(parent) || path[0] != '/')
		return -EINVAL;
	strcpy(parent, path);
	slash = strrchr(parent, '/');
	*slash = '\0';
	fd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (faccessat(fd, slash + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		close(fd);
		return 0;
	}
	r = bg_rm_rf_at(fd, slash + 1);
	close(fd);
	if (r < 0 && r != -ENOENT) {
		bg_err_set(err, "temporary", "cannot remove %s: %s", path,
		    strerror(-r));
		return r;
	}
	cJSON_AddItemToArray(u->removed, cJSON_CreateString(path));
	return 0;
}

/*
 * Every running VM, stopped through the owner socket (vm-stop), all
 * within STOP_BUDGET_MS: the answers are the owner's, and an owner who
 * stalls them (a stopped server, a list of VMs that never stop) must
 * not hold root's uninstall.  What is still running after it is stopped
 * the hard way (systemctl stop banger-vm-*).
 */
#define STOP_BUDGET_MS 300000
#define STOP_ONE_MS 60000

static void
stop_vms(struct un *u)
{
	char sock[PATH_MAX];
	cJSON *req = cJSON_CreateObject(), *res = NULL, *one, *vm, *ans;
	const cJSON *vms, *st, *name;
	int64_t end = bg_now_ms() + STOP_BUDGET_MS, left;
	struct bg_err e;

	memset(&e, 0, sizeof(e));
	cJSON_AddNumberToObject(req, "v", 1);
	if (bg_path_socket(sock, sizeof(sock)) < 0 || access(sock, F_OK) < 0 ||
	    bg_call(sock, "vm-list", req, 30000, NULL, NULL, &res, &e) < 0) {
		if (e.msg[0] != '\0')
			bg_proto_log(1, "no VM list (%s): stopping their units",
			    e.msg);
		cJSON_Delete(req);
		return;
	}
	vms = cJSON_GetObjectItemCaseSensitive(res, "vms");
	cJSON_ArrayForEach(vm, vms) {
		st = cJSON_GetObjectItemCaseSensitive(vm, "state");
		name = cJSON_GetObjectItemCaseSensitive(vm, "name");
		if (!cJSON_IsString(st) || strcmp(st->valuestring, "running") ||
		    !cJSON_IsString(name) || !bg_name_valid(name->valuestring))
			continue;
		left = end - bg_now_ms();
		if (left <= 0) {
			bg_proto_log(1,
			    "out of time for clean stops: the "
			    "rest are stopped by systemd");
			break;
		}
		bg_proto_log(1, "stopping VM %s", name->valuestring);
		one = cJSON_CreateObject();
		cJSON_AddNumberToObject(one, "v", 1);
		cJSON_AddStringToObject(one, "name", name->valuestring);
		memset(&e, 0, sizeof(e));
		/* bg_call always stores its result: never pass NULL. */
		if (bg_call(sock, "vm-stop", one,
			(int)(left < STOP_ONE_MS ? left : STOP_ONE_MS), NULL,
			NULL, &ans, &e) == 0)
			cJSON_AddItemToArray(u->stopped,
			    cJSON_CreateString(name->valuestring));
		else
			bg_proto_log(1, "vm stop %s: %s", name->valuestring,
			    e.msg);
		cJSON_Delete(ans);
		cJSON_Delete(one);
	}
	cJSON_Delete(res);
	cJSON_Delete(req);
}

/*
 * s6: the two services' links out of the scan directory (only links to
 * banger's own service directories), then s6-svscan told to drop them:
 * their supervisors take the servers down.
 */
static void
s6_down(struct un *u, const char *scandir)
{
	char link[PATH_MAX], want[PATH_MAX], got[PATH_MAX];
	struct bg_err e;
	ssize_t l;
	size_t i;

	bg_proto_log(1, "s6: %s, %s and %s out of %s", bg_s6_services[0],
	    bg_s6_services[1], bg_s6_services[2], scandir);
	for (i = 0; bg_s6_services[i] != NULL; i++) {
		snprintf(link, sizeof(link), "%s/%s", scandir,
		    bg_s6_services[i]);
		if (bg_path_build(want, sizeof(want), BG_DIR_ETC, "s6",
			bg_s6_services[i], NULL) < 0)
			continue;
		l = readlink(link, got, sizeof(got) - 1);
		if (l > 0 && (size_t)l == strlen(want) &&
		    memcmp(got, want, (size_t)l) == 0 && unlink(link) == 0)
			cJSON_AddItemToArray(u->removed,
			    cJSON_CreateString(link));
	}
	memset(&e, 0, sizeof(e));
	if (bg_s6_rescan(scandir, true, &e) < 0)
		bg_proto_log(1, "s6-svscanctl: %s", e.msg);
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const char *const socks[] = { "banger.socket",
		"banger-root.socket", "banger-dns.socket", NULL };
	static const char *const owner_svc[] = { "banger.service", NULL };
	static const enum bg_dir purged[] = { BG_DIR_STATE, BG_DIR_CACHE,
		BG_DIR_RUN, BG_DIR_ROOTRUN };
	const char *vm_units[] = { "banger-vm-*.service", NULL };
	static const char *const slice[] = { "banger.slice", NULL };
	bool purge = bg_req_bool(rq, "purge"), existed, s6;
	char init[8], scandir[256];
	struct un u;
	struct bg_err e;
	char p[PATH_MAX], tap[32];
	uid_t uid = 0;
	bool installed;
	size_t i;
	int r = 0;

	u.removed = cJSON_CreateArray();
	u.stopped = cJSON_CreateArray();
	u.kept = cJSON_CreateArray();
	memset(&e, 0, sizeof(e));
	installed = bg_owner_uid(&uid, true, &e) == 0;
	s6 = installed &&
	    bg_install_init(init, sizeof(init), scandir, sizeof(scandir)) ==
		0 &&
	    strcmp(init, "s6") == 0;
	if (installed) {
		stop_vms(&u);
		/* What vm-stop could not stop: their units, the hard way. */
		memset(&e, 0, sizeof(e));
		bg_systemctl("stop", NULL, vm_units, &e);
		for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX; i++) {
			memset(&e, 0, sizeof(e));
			if (bg_net_tap_del((int)i, uid, tap, sizeof(tap),
				&existed, &e) == 0 &&
			    existed)
				cJSON_AddItemToArray(u.removed,
				    cJSON_CreateString(tap));
		}
	}
	if (s6)
		s6_down(&u, scandir);
	bg_proto_log(1,
	    "systemd: stop and disable the sockets, remove the "
	    "units");
	memset(&e, 0, sizeof(e));
	bg_systemctl("disable", "--now", socks, &e);
	memset(&e, 0, sizeof(e));
	bg_systemctl("stop", NULL, owner_svc, &e);
	/*
	 * The VMs' slice: started with the first VM, it stays active (with
	 * its limits) when its unit file is gone, until it is stopped.
	 */
	memset(&e, 0, sizeof(e));
	bg_systemctl("stop", NULL, slice, &e);
	for (i = 0; r == 0 && bg_install_units[i] != NULL; i++) {
		r = snprintf(p, sizeof(p), "%s/%s",
			bg_install_dir(BG_INST_UNITS),
			bg_install_units[i]) < 0 ?
		    -EIO :
		    rm_path(&u, p, err);
	}
	for (i = 0; r == 0 && bg_install_units_old[i] != NULL; i++) {
		r = snprintf(p, sizeof(p), "%s/%s",
			bg_install_dir(BG_INST_UNITS),
			bg_install_units_old[i]) < 0 ?
		    -EIO :
		    rm_path(&u, p, err);
	}
	if (r == 0) {
		snprintf(p, sizeof(p), "%s/banger.slice.d",
		    bg_install_dir(BG_INST_UNITS));
		r = rm_path(&u, p, err);
	}
	memset(&e, 0, sizeof(e));
	if (r == 0)
		bg_systemctl("daemon-reload", NULL, NULL, &e);
	if (r == 0) {
		char why[256];
		int w;

		/* resolved's settings for br-fc first, while the bridge is there. */
		memset(&e, 0, sizeof(e));
		w = bg_dns_wire_revert(why, sizeof(why), &e);
		bg_proto_log(1, "dns: %s",
		    w == 0 ?
			"systemd-resolved no longer sends .vm to " BG_BRIDGE :
			w == 1 ? why :
				 e.msg);
		bg_proto_log(1, "network: bridge %s, nftables, ip_forward",
		    BG_BRIDGE);
		r = bg_net_down(uid, err);
	}
	if (r == 0) {
		snprintf(p, sizeof(p), "%s/banger",
		    bg_install_dir(BG_INST_BIN));
		r = rm_path(&u, p, err);
	}
	if (r == 0)
		r = rm_path(&u, bg_install_dir(BG_INST_LIBEXEC), err);
	if (r == 0)
		r = rm_path(&u, bg_install_dir(BG_INST_SHARE), err);
	if (r == 0 && (r = bg_path_dir(BG_DIR_ETC, p, sizeof(p))) == 0)
		r = rm_path(&u, p, err);
	for (i = 0; r == 0 && i < sizeof(purged) / sizeof(purged[0]); i++) {
		if ((r = bg_path_dir(purged[i], p, sizeof(p))) < 0)
			break;
		if (purge)
			r = rm_path(&u, p, err);
		else if (access(p, F_OK) == 0 &&
		    (purged[i] == BG_DIR_STATE || purged[i] == BG_DIR_CACHE))
			cJSON_AddItemToArray(u.kept, cJSON_CreateString(p));
	}
	if (r < 0) {
		if (err->code[0] == '\0')
			bg_err_set(err, "temporary", "uninstall failed: %s",
			    strerror(-r));
		cJSON_Delete(u.removed);
		cJSON_Delete(u.stopped);
		cJSON_Delete(u.kept);
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddItemToObject(*result, "removed", u.removed);
	cJSON_AddItemToObject(*result, "stopped", u.stopped);
	cJSON_AddItemToObject(*result, "kept", u.kept);
	return 0;
}

static int
validate(struct bg_req *rq, struct bg_err *err)
{
	(void)rq;
	return bg_install_refuse_sandbox("system uninstall", err);
}

BG_VERB(.name = "system-uninstall", .flags = BG_VERB_LOCAL | BG_VERB_SUDO,
    .fields = BG_FIELDS(BG_F_BOOL("purge")), .validate = validate, .act = act);
