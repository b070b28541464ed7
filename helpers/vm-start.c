/*
 * vm-start — boot a created VM: its tap, on the host network (root
 * tap-add, which sets that network up too), then its VMM, launched as
 * the owner by the root side (root vmm-launch -> vmm-exec), then the
 * .vm names on the host (root dns-wire, when systemd-resolved runs);
 * last, for a
 * VMM configured over its API (Firecracker), the driver's boot step.
 *
 * Request: {"v":1,"name":NAME}.  Result: the VM with "state":"running".
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

static struct bg_vmh h = BG_VMH_INIT;

/*
 * NAME.vm on the host: resolved forgets br-fc's settings when the
 * bridge is made again (a reboot) or on `resolvectl revert`, so each
 * start asks the root side to wire it (idempotent), while the guest
 * boots.
 * Only when resolved runs (its runtime directory exists): elsewhere
 * there is nothing to wire.  Never fatal: the VM runs without it; doctor says
 * why (docs/dns-routing.md).
 */
static void
wire_dns(const char *name)
{
	struct bg_err e;

	/*
	 * resolved's runtime directory (any version; Debian's unit keeps it
	 * after a stop, and dns-wire then says resolved is not running).
	 */
	if (access("/run/systemd/resolve", F_OK) < 0)
		return;
	memset(&e, 0, sizeof(e));
	if (bg_root("dns-wire", NULL, 0, NULL, &e) < 0)
		bg_proto_log(1, "%s.vm will not resolve on the host: %s", name,
		    e.msg);
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	_cleanup_close_ int g = -1;
	char cmdline[4096], dns[128];
	int r;

	/*
	 * Held until the VMM holds the VM lock: vm-delete and vm-prune
	 * (which take it too) can never remove a VM that is starting.
	 */
	g = bg_lock_global_err(err);
	if (g < 0)
		return g;
	/* RUN/vms/NAME is the owner's: made here, never by root. */
	r = bg_vm_open(bg_req_str(rq, "name"), BG_VMH_RUNDIR, &h, err);
	if (r < 0)
		return r;
	if (strcmp(h.vm.status, "created") != 0 || bg_vm_creating(&h) != 0) {
		bg_err_set(err, "busy",
		    "VM \"%s\" was not completely created: banger vm prune removes it",
		    h.vm.name);
		return -EBUSY;
	}
	if (bg_vm_running(&h) == 1) {
		bg_err_set(err, "busy", "VM \"%s\" is already running",
		    h.vm.name);
		return -EBUSY;
	}
	/* Not running: a pid file left by its last VMM is stale. */
	if (unlinkat(h.rfd, "pid", 0) < 0 && errno != ENOENT) {
		bg_err_set(err, "temporary",
		    "cannot remove a stale pid file: %s", strerror(errno));
		return -errno;
	}
	bg_proto_progress(1, "start", 0, 3);
	r = bg_root("tap-add", NULL, h.vm.slot, NULL, err);
	if (r < 0)
		return r;
	bg_proto_progress(1, "start", 1, 3);
	r = bg_root("vmm-launch", h.vm.name, 0, NULL, err);
	if (r < 0)
		return r;
	close(bg_steal_fd(&g));
	wire_dns(h.vm.name);
	if (bg_vm_running(&h) != 1) {
		bg_err_set(err, "temporary",
		    "the VMM of \"%s\" exited right "
		    "after starting: see banger vm logs %s and vmm.log in its "
		    "state directory",
		    h.vm.name, h.vm.name);
		return -EIO;
	}
	bg_proto_progress(1, "start", 2, 3);
	if (h.vm.vmm->boot != NULL) {
		bg_guest_dns(dns, sizeof(dns));
		r = bg_vm_cmdline(&h.vm, dns, 0, cmdline, sizeof(cmdline));
		if (r < 0)
			bg_err_set(err, "internal",
			    "cannot build the kernel command line: %s",
			    strerror(-r));
		else
			r = h.vm.vmm->boot(&h, cmdline, err);
		if (r < 0) {
			/* A VMM that did not boot is of no use: it goes. */
			bg_vm_signal(&h, SIGKILL);
			return r;
		}
	}
	bg_proto_progress(1, "start", 3, 3);
	*result = bg_vm_to_json(&h.vm);
	cJSON_AddStringToObject(*result, "state",
	    bg_vm_running(&h) == 1 ? "running" : "stopped");
	return 0;
}

BG_VERB(.name = "vm-start", .fields = BG_FIELDS(BG_F_NAME), .act = act);
