/*
 * vmm-client — drives banger's VMM drivers (lib/vmm-*.c) from shell
 * tests, so the tests exercise the library's own code, not curl:
 *
 *   vmm-client request SOCK METHOD PATH [BODY]
 *       bg_vmm_connect() then bg_fc_request(); prints the HTTP status,
 *       then the answer's JSON (or an empty line), then "fault:
 *       MESSAGE" when it was refused.  Exit 0 on 2xx, 1 on a refusal,
 *       111 when there was no answer.
 *   vmm-client fc-boot NAME DNS
 *       bg_vm_open() of NAME (BANGER_ROOT), bg_vm_cmdline() (TSC
 *       unknown: Firecracker's guest is never emulated), then the
 *       Firecracker driver's boot on the VM's vmm.sock.
 *   vmm-client fc-ctrl-alt-del NAME
 *       the Firecracker driver's shutdown (SendCtrlAltDel).
 *   vmm-client qemu-exec NAME QEMU_BIN DNS
 *       exec the QEMU driver's argv (the TSC words when the VM's
 *       driver says its guest is emulated); makes RUN/vms/NAME.
 *   vmm-client qmp NAME COMMAND
 *       bg_qmp() on the VM's vmm.sock; prints the "return" value.
 * VMM_CLIENT_TIMEOUT_MS sets the deadline of request and qmp (10 s).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

static int
usage(void)
{
	fprintf(stderr,
	    "usage: vmm-client request SOCK METHOD PATH [BODY]\n"
	    "       vmm-client fc-boot NAME DNS\n"
	    "       vmm-client fc-ctrl-alt-del NAME\n"
	    "       vmm-client qemu-exec NAME QEMU_BIN DNS\n"
	    "       vmm-client qmp NAME COMMAND\n");
	return 100;
}

static int
fail(const struct bg_err *err, int r)
{
	fprintf(stderr, "vmm-client: %s: %s (%s)\n", err->code, err->msg,
	    strerror(-r));
	return r == -EREMOTEIO ? 1 : 111;
}

static int
request(int argc, char **argv, int timeout)
{
	struct bg_err err = { { 0 }, { 0 } };
	int64_t deadline = bg_now_ms() + timeout;
	cJSON *reply = NULL;
	char *s = NULL;
	int fd, r, st = 0;

	fd = bg_vmm_connect(argv[2], deadline, BG_CONNECT_WAIT);
	if (fd < 0) {
		bg_err_set(&err, "temporary", "cannot connect to %s: %s",
		    argv[2], strerror(-fd));
		return fail(&err, fd);
	}
	r = bg_fc_request(fd, argv[3], argv[4], argc == 6 ? argv[5] : NULL, &st,
	    &reply, deadline, &err);
	close(fd);
	if (st == 0)
		return fail(&err, r);
	if (reply != NULL)
		s = cJSON_PrintUnformatted(reply);
	printf("%d\n%s\n", st, s != NULL ? s : "");
	if (r < 0)
		printf("fault: %s\n", err.msg);
	free(s);
	cJSON_Delete(reply);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vmh h = BG_VMH_INIT;
	char cmdline[4096];
	const char *t = getenv("VMM_CLIENT_TIMEOUT_MS");
	int timeout = t != NULL && atoi(t) > 0 ? atoi(t) : 10000;
	int r;

	if (argc >= 5 && strcmp(argv[1], "request") == 0 && argc <= 6)
		return request(argc, argv, timeout);
	if (argc == 4 && strcmp(argv[1], "fc-boot") == 0) {
		r = bg_vm_open(argv[2], 0, &h, &err);
		if (r == 0 &&
		    (r = bg_vm_cmdline(&h.vm, argv[3], 0, cmdline,
			 sizeof(cmdline))) < 0)
			bg_err_set(&err, "bad_request", "bg_vm_cmdline failed");
		if (r == 0)
			r = bg_vmm_firecracker.boot(&h, cmdline, &err);
		bg_vm_close(&h);
		return r == 0 ? 0 : fail(&err, r);
	}
	if (argc == 3 && strcmp(argv[1], "fc-ctrl-alt-del") == 0) {
		r = bg_vm_open(argv[2], 0, &h, &err);
		if (r == 0)
			r = bg_vmm_firecracker.shutdown(&h, &err);
		bg_vm_close(&h);
		return r == 0 ? 0 : fail(&err, r);
	}
	if (argc == 5 && strcmp(argv[1], "qemu-exec") == 0) {
		char **v = NULL;

		/* QEMU makes its socket there: the directory must exist. */
		r = bg_vm_open(argv[2], BG_VMH_RUNDIR, &h, &err);
		if (r == 0 &&
		    (r = bg_vm_cmdline(&h.vm, argv[4],
			 h.vm.vmm->emulated(&h.vm) ? bg_host_tsc_khz() : 0,
			 cmdline, sizeof(cmdline))) < 0)
			bg_err_set(&err, "bad_request", "bg_vm_cmdline failed");
		if (r == 0 &&
		    (r = bg_vmm_qemu.argv(&h, argv[3], cmdline, &v)) < 0)
			bg_err_set(&err, "bad_request",
			    "the QEMU driver's argv failed");
		bg_vm_close(&h);
		if (r < 0)
			return fail(&err, r);
		execv(v[0], v);
		fprintf(stderr, "vmm-client: exec %s: %s\n", v[0],
		    strerror(errno));
		bg_argv_free(v);
		return 127;
	}
	if (argc == 4 && strcmp(argv[1], "qmp") == 0) {
		cJSON *reply = NULL;
		char *s;

		r = bg_vm_open(argv[2], 0, &h, &err);
		if (r == 0)
			r = bg_qmp(&h, argv[3], &reply, timeout, &err);
		bg_vm_close(&h);
		if (r < 0)
			return fail(&err, r);
		s = reply != NULL ? cJSON_PrintUnformatted(reply) : NULL;
		printf("%s\n", s != NULL ? s : "");
		free(s);
		cJSON_Delete(reply);
		return 0;
	}
	return usage();
}
