/*
 * vm-start — boot a created VM: make sure the host network is there
 * (root net-setup), create its tap (root tap-add), and have the root
 * side launch its VMM as the owner (root vmm-launch).  For Firecracker
 * the VM is then configured and started over its API socket.
 *
 * Request: {"v":1,"name":NAME}.  Result: the VM with "state":"running".
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", NULL };

static int
root(const char *verb, const char *key, const char *s, int i,
    struct bg_err *err)
{
	cJSON *req = cJSON_CreateObject(), *res = NULL;
	int r;

	cJSON_AddNumberToObject(req, "v", 1);
	if (key != NULL && s != NULL)
		cJSON_AddStringToObject(req, key, s);
	else if (key != NULL)
		cJSON_AddNumberToObject(req, key, i);
	r = bg_root_call(verb, req, 60000, &res, err);
	cJSON_Delete(req);
	cJSON_Delete(res);
	return r;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	struct bg_vm_paths p;
	char cmdline[4096], dns[128];
	const char *name;
	cJSON *res;
	int r, i, g;

	PROG = "banger-vm-start";
	r = bg_helper_begin(&h, "vm-start", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = bg_req_name(h.req, &err);
	if (name == NULL)
		return bg_helper_fail(&h, &err);
	/*
	 * Held until the VMM holds the VM lock: vm-delete and vm-prune
	 * (which take it too) can never remove a VM that is starting.
	 */
	g = bg_lock_global(0);
	if (g < 0) {
		bg_err_set(&err, "temporary", "cannot take the global lock: %s",
		    strerror(-g));
		return bg_helper_fail(&h, &err);
	}
	r = bg_vm_load(name, &vm, &err);
	if (r == -ENOENT)
		bg_err_set(&err, "not_found",
		    "no VM named \"%s\": banger vm list shows the VMs", name);
	if (r < 0)
		return bg_helper_fail(&h, &err);
	bg_vm_paths(&vm, &p);
	if (strcmp(vm.status, "created") != 0 || bg_lock_held(p.create_lock)) {
		bg_err_set(&err, "busy",
		    "VM \"%s\" was not completely created: banger vm prune removes it",
		    name);
		return bg_helper_fail(&h, &err);
	}
	if (bg_lock_held(p.lock) == 1) {
		bg_err_set(&err, "busy", "VM \"%s\" is already running", name);
		return bg_helper_fail(&h, &err);
	}
	bg_proto_progress(1, "start", 0, 3);
	if (root("net-setup", NULL, NULL, 0, &err) < 0 ||
	    root("tap-add", "index", NULL, vm.slot, &err) < 0)
		return bg_helper_fail(&h, &err);
	bg_proto_progress(1, "start", 1, 3);
	/*
	 * RUN/vms/NAME is the owner's: made here, never by root.  The VMM's
	 * systemd unit needs it to exist (ReadWritePaths=).
	 */
	{
		char rel[BG_NAME_MAX + 8];
		int d;

		snprintf(rel, sizeof(rel), "vms/%s", vm.name);
		d = bg_state_dir(BG_DIR_RUN, rel, 0755);
		if (d < 0) {
			bg_err_set(&err, "temporary", "cannot create %s: %s",
			    p.rundir, strerror(-d));
			return bg_helper_fail(&h, &err);
		}
		close(d);
	}
	if (root("vmm-launch", "name", vm.name, 0, &err) < 0)
		return bg_helper_fail(&h, &err);
	close(g);
	if (bg_lock_held(p.lock) != 1) {
		bg_err_set(&err, "temporary",
		    "the VMM of \"%s\" exited right after starting: see %s/vmm.log and banger vm logs %s",
		    name, p.dir, name);
		return bg_helper_fail(&h, &err);
	}
	bg_proto_progress(1, "start", 2, 3);
	if (strcmp(vm.vmm, "firecracker") == 0) {
		/* The API socket appears once Firecracker is listening. */
		for (i = 0; i < 200 && access(p.sock, F_OK) < 0; i++)
			usleep(25000);
		bg_host_dns(dns, sizeof(dns));
		r = bg_vm_cmdline(&vm, dns, false, 0, cmdline, sizeof(cmdline));
		if (r == 0)
			r = bg_fc_boot(p.sock, &vm, &p, cmdline, &err);
		if (r < 0) {
			if (!err.code[0])
				bg_err_set(&err, "temporary",
				    "cannot configure Firecracker: %s", strerror(-r));
			bg_vm_signal(&vm, SIGKILL);
			return bg_helper_fail(&h, &err);
		}
	}
	bg_proto_progress(1, "start", 3, 3);
	res = bg_vm_to_json(&vm);
	cJSON_AddStringToObject(res, "state",
	    bg_lock_held(p.lock) == 1 ? "running" : "stopped");
	return bg_helper_ok(&h, res);
}
