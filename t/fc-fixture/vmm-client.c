/*
 * vmm-client — drives banger's VMM drivers (lib/vmm-*.c) from shell
 * tests, so the tests exercise the library's own code, not curl:
 *
 *   vmm-client request SOCK METHOD PATH [BODY]
 *       bg_fc_request(); prints the HTTP status, then the answer's JSON
 *       (or an empty line), then "fault: MESSAGE" when it was refused.
 *       Exit 0 on 2xx, 1 on a refusal, 111 when there was no answer.
 *   vmm-client fc-boot NAME DNS
 *       vm.json of NAME (BANGER_ROOT), bg_vm_paths(), bg_vm_cmdline()
 *       (as for Firecracker: no TCG flags), then bg_fc_boot() on the
 *       VM's vmm.sock.
 *   vmm-client fc-ctrl-alt-del NAME
 *   vmm-client qemu-exec NAME QEMU_BIN DNS
 *       exec the argv of bg_qemu_argv() (TCG flags per vm.json).
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
	fprintf(stderr, "usage: vmm-client request SOCK METHOD PATH [BODY]\n"
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
load(const char *name, struct bg_vm *vm, struct bg_vm_paths *p,
    struct bg_err *err)
{
	int r = bg_vm_load(name, vm, err);

	if (r == 0 && (r = bg_vm_paths(vm, p)) < 0)
		bg_err_set(err, "internal", "bg_vm_paths failed");
	return r;
}

int
main(int argc, char **argv)
{
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	struct bg_vm_paths p;
	char cmdline[4096];
	const char *t = getenv("VMM_CLIENT_TIMEOUT_MS");
	int timeout = t != NULL && atoi(t) > 0 ? atoi(t) : 10000;
	int r;

	if (argc >= 5 && strcmp(argv[1], "request") == 0 && argc <= 6) {
		cJSON *reply = NULL;
		char *s = NULL;
		int st = 0;

		r = bg_fc_request(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL,
		    &st, &reply, timeout, &err);
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
	if (argc == 4 && strcmp(argv[1], "fc-boot") == 0) {
		r = load(argv[2], &vm, &p, &err);
		if (r == 0 && (r = bg_vm_cmdline(&vm, argv[3], false, 0, cmdline,
		    sizeof(cmdline))) < 0)
			bg_err_set(&err, "bad_request", "bg_vm_cmdline failed");
		if (r == 0)
			r = bg_fc_boot(p.sock, &vm, &p, cmdline, &err);
		return r == 0 ? 0 : fail(&err, r);
	}
	if (argc == 3 && strcmp(argv[1], "fc-ctrl-alt-del") == 0) {
		r = load(argv[2], &vm, &p, &err);
		if (r == 0)
			r = bg_fc_ctrl_alt_del(p.sock, &err);
		return r == 0 ? 0 : fail(&err, r);
	}
	if (argc == 5 && strcmp(argv[1], "qemu-exec") == 0) {
		char **v = NULL;

		r = load(argv[2], &vm, &p, &err);
		if (r == 0 && (r = bg_vm_cmdline(&vm, argv[4],
		    strcmp(vm.accel, "tcg") == 0, bg_host_tsc_khz(), cmdline,
		    sizeof(cmdline))) < 0)
			bg_err_set(&err, "bad_request", "bg_vm_cmdline failed");
		if (r == 0 && (r = bg_qemu_argv(&vm, &p, argv[3], cmdline, &v)) < 0)
			bg_err_set(&err, "bad_request", "bg_qemu_argv failed");
		if (r < 0)
			return fail(&err, r);
		execv(v[0], v);
		fprintf(stderr, "vmm-client: exec %s: %s\n", v[0], strerror(errno));
		bg_argv_free(v);
		return 127;
	}
	if (argc == 4 && strcmp(argv[1], "qmp") == 0) {
		cJSON *reply = NULL;
		char *s;

		r = load(argv[2], &vm, &p, &err);
		if (r == 0)
			r = bg_qmp(p.sock, argv[3], &reply, timeout, &err);
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
