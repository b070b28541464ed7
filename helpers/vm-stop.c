/*
 * vm-stop — stop a running VM: ask the guest to shut down (ACPI power
 * button under QEMU, Ctrl-Alt-Del under Firecracker), wait, then force:
 * QMP quit, and at last SIGKILL to the VMM.  A stopped VM is fine.
 *
 * Request: {"v":1,"name":NAME,"timeout_s":N (0..600, default 10)}.
 * Result: {"name","state":"stopped","was_running":bool,"forced":bool}.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", "timeout_s", NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } }, ignore;
	struct bg_vm vm;
	struct bg_vm_paths p;
	const cJSON *t;
	const char *name;
	bool qemu, forced = false, was;
	int r, timeout_ms = 10000;
	cJSON *res;

	PROG = "banger-vm-stop";
	r = bg_helper_begin(&h, "vm-stop", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h.req,
	    "name"));
	t = cJSON_GetObjectItemCaseSensitive(h.req, "timeout_s");
	if (name == NULL || !bg_name_valid(name) || (t != NULL &&
	    (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 600))) {
		bg_err_set(&err, "bad_request",
		    "\"name\" must be a VM name and \"timeout_s\" 0 to 600");
		return bg_helper_fail(&h, &err);
	}
	if (t != NULL)
		timeout_ms = (int)(t->valuedouble * 1000);
	r = bg_vm_load(name, &vm, &err);
	if (r == -ENOENT)
		bg_err_set(&err, "not_found",
		    "no VM named \"%s\": banger vm list shows the VMs", name);
	if (r < 0)
		return bg_helper_fail(&h, &err);
	bg_vm_paths(&vm, &p);
	qemu = strcmp(vm.vmm, "qemu") == 0;
	was = bg_lock_held(p.lock) == 1;
	if (was) {
		/* Graceful first. */
		if (qemu)
			bg_qmp(p.sock, "system_powerdown", NULL, 2000, &ignore);
		else
			bg_fc_ctrl_alt_del(p.sock, &ignore);
		if (bg_vm_wait_stopped(&p, timeout_ms) < 0) {
			forced = true;
			if (qemu)
				bg_qmp(p.sock, "quit", NULL, 2000, &ignore);
			if (bg_vm_wait_stopped(&p, 3000) < 0) {
				bg_vm_signal(&vm, SIGKILL);
				r = bg_vm_wait_stopped(&p, 5000);
				if (r < 0) {
					bg_err_set(&err, "temporary",
					    "VM \"%s\" did not stop, even after SIGKILL",
					    name);
					return bg_helper_fail(&h, &err);
				}
			}
		}
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddStringToObject(res, "state", "stopped");
	cJSON_AddBoolToObject(res, "was_running", was);
	cJSON_AddBoolToObject(res, "forced", forced);
	return bg_helper_ok(&h, res);
}
