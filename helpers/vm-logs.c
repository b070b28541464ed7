/*
 * vm-logs — a VM's serial console log.
 *
 * Request: {"v":1,"name":NAME,"follow":bool,"tail_bytes":N}.
 * Answer: {"event":"output","data":"..."} lines (at most 16 KiB of log
 * each), then {"ok":true,"result":{"name","bytes":N}}.  With "follow",
 * it keeps sending new output while the VM runs and ends when it stops
 * (or when the client goes away).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", "follow", "tail_bytes", NULL };

/* Send what the log has from *off on; returns -errno if the client is gone. */
static int
drain(int fd, off_t *off, uint64_t *sent)
{
	char buf[16384 + 1];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf) - 1, *off)) > 0) {
		cJSON *f = cJSON_CreateObject();
		int r;

		buf[n] = '\0';
		/* JSON strings cannot carry NUL: the console may. */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = '?';
		cJSON_AddStringToObject(f, "data", buf);
		r = bg_proto_event(1, "output", f);
		if (r < 0)
			return r;
		*off += n;
		*sent += (uint64_t)n;
	}
	return n < 0 ? -errno : 0;
}

/* The client hung up? (poll on stdin: POLLHUP / readable EOF) */
static bool
client_gone(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return read(0, &c, 1) <= 0;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	struct bg_vm_paths p;
	const char *name;
	const cJSON *fo, *tb;
	char rel[BG_NAME_MAX + 8];
	struct stat st;
	uint64_t sent = 0;
	off_t off = 0;
	int r, d, fd;
	cJSON *res;

	PROG = "banger-vm-logs";
	r = bg_helper_begin(&h, "vm-logs", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h.req,
	    "name"));
	fo = cJSON_GetObjectItemCaseSensitive(h.req, "follow");
	tb = cJSON_GetObjectItemCaseSensitive(h.req, "tail_bytes");
	if (name == NULL || !bg_name_valid(name) ||
	    (fo != NULL && !cJSON_IsBool(fo)) || (tb != NULL &&
	    (!cJSON_IsNumber(tb) || tb->valuedouble < 0))) {
		bg_err_set(&err, "bad_request",
		    "\"name\" must be a VM name, \"follow\" a boolean, \"tail_bytes\" a count");
		return bg_helper_fail(&h, &err);
	}
	r = bg_vm_load(name, &vm, &err);
	if (r == -ENOENT)
		bg_err_set(&err, "not_found",
		    "no VM named \"%s\": banger vm list shows the VMs", name);
	if (r < 0)
		return bg_helper_fail(&h, &err);
	bg_vm_paths(&vm, &p);
	snprintf(rel, sizeof(rel), "vms/%s", name);
	d = bg_state_dir(BG_DIR_STATE, rel, 0755);
	fd = d < 0 ? d : bg_openat_beneath(d, "serial.log", O_RDONLY, 0);
	if (d >= 0)
		close(d);
	if (fd == -ENOENT) {
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "name", name);
		cJSON_AddNumberToObject(res, "bytes", 0);
		return bg_helper_ok(&h, res);
	}
	if (fd < 0) {
		bg_err_set(&err, "temporary", "cannot open the serial log: %s",
		    strerror(-fd));
		return bg_helper_fail(&h, &err);
	}
	if (tb != NULL && fstat(fd, &st) == 0 &&
	    (double)st.st_size > tb->valuedouble)
		off = st.st_size - (off_t)tb->valuedouble;
	for (;;) {
		if (drain(fd, &off, &sent) < 0)
			return 0; /* the client went away */
		if (!cJSON_IsTrue(fo) || bg_lock_held(p.lock) != 1 ||
		    (h.peer_is_socket && client_gone()))
			break;
		usleep(200000);
	}
	drain(fd, &off, &sent);
	close(fd);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddNumberToObject(res, "bytes", (double)sent);
	return bg_helper_ok(&h, res);
}
