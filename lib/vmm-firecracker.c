/*
 * vmm-firecracker.c — the Firecracker driver: `firecracker --api-sock
 * vmm.sock --log-path firecracker.log` (its log in a file of its own,
 * so that serial.log, its stdout, holds the guest console alone),
 * then the VM is described and started over that socket's
 * HTTP/1.1 API (Firecracker v1.x, src/firecracker/swagger/
 * firecracker.yaml): PUT /machine-config, /boot-source, /drives/{id},
 * /network-interfaces/{id}, then PUT /actions InstanceStart; a graceful
 * stop is PUT /actions SendCtrlAltDel.
 *
 * One request per connection, one at a time: connect, send, read the
 * status line, the headers and Content-Length bytes of body, close.
 * Firecracker answers 204 No Content on success and 400 with
 * {"fault_message": "..."} when it refuses; that message is passed on
 * as "firecracker: <fault_message>".  Every read and write has a
 * deadline and every size a cap.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

#define FC_HEAD_MAX 16384 /* status line + headers */
#define FC_BODY_MAX (1 << 20) /* a response body */
#define FC_REQ_BODY_MAX 51200 /* Firecracker's own request payload limit */
#define FC_PATH_MAX 256
#define FC_VCPU_MAX 32 /* Firecracker's MAX_SUPPORTED_VCPUS */
#define FC_TIMEOUT_MS 10000
#define FC_START_TIMEOUT_MS 60000

static int
fc_argv(const struct bg_vmh *h, const char *fc_bin, const char *cmdline,
    char ***argv)
{
	char sock[PATH_MAX], log[PATH_MAX];
	struct sockaddr_un sa;
	char **v;
	int i;

	*argv = NULL;
	if (fc_bin == NULL || fc_bin[0] != '/' ||
	    bg_vm_path(h, BG_VMF_SOCK, sock, sizeof(sock)) < 0 ||
	    bg_path_build(log, sizeof(log), BG_DIR_STATE, "vms", h->vm.name,
		bg_vmm_firecracker.log_name) < 0)
		return -EINVAL;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	v = calloc(6, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v[0] = strdup(fc_bin);
	v[1] = strdup("--api-sock");
	v[2] = strdup(sock);
	/*
	 * Its log in a file of its own: Firecracker never creates it
	 * (vmm-exec makes it empty at each start), and without it the log
	 * lines would go to stdout, the guest console in serial.log.
	 */
	v[3] = strdup("--log-path");
	v[4] = strdup(log);
	for (i = 0; i < 5; i++)
		if (v[i] == NULL) {
			bg_argv_free(v);
			return -ENOMEM;
		}
	*argv = v;
	return 0;
}

/* A request target: absolute, printable, no spaces (one token). */
static bool
path_valid(const char *path)
{
	size_t i;

	if (path == NULL || path[0] != '/')
		return false;
	for (i = 0; path[i] != '\0'; i++)
		if (i >= FC_PATH_MAX || path[i] <= ' ' || path[i] > '~')
			return false;
	return true;
}

/* Read more into buf (cap bytes in all) by the deadline: bytes read, 0 at EOF. */
static ssize_t
fill(int fd, char *buf, size_t *have, size_t cap, int64_t deadline)
{
	ssize_t got;

	if (*have >= cap)
		return -EMSGSIZE;
	got = bg_read_deadline(fd, buf + *have, cap - *have, deadline);
	if (got > 0)
		*have += (size_t)got;
	return got;
}

/*
 * The status line: "HTTP/1.x NNN[ reason]".  Firecracker's micro_http
 * writes an empty reason ("HTTP/1.1 204 ").
 */
static int
parse_status(const char *line, size_t len, int *status)
{
	if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 ||
	    (line[7] != '0' && line[7] != '1') || line[8] != ' ')
		return -EPROTO;
	for (int i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return -EPROTO;
	if (len > 12 && line[12] != ' ')
		return -EPROTO;
	*status =
	    (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	return *status >= 100 ? 0 : -EPROTO;
}

/*
 * The headers between the status line and the blank line: only
 * Content-Length matters (-1 when absent); chunked bodies are refused
 * (micro_http never sends them).
 */
static int
parse_headers(char *h, char *end, long *clen)
{
	*clen = -1;
	while (h < end) {
		char *eol = memchr(h, '\r', (size_t)(end - h));
		size_t nlen;
		char *v;

		if (eol == NULL || eol + 1 >= end + 2 || eol[1] != '\n')
			return -EPROTO;
		*eol = '\0';
		v = strchr(h, ':');
		if (v == NULL)
			return -EPROTO;
		nlen = (size_t)(v - h);
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		if (nlen == 14 && strncasecmp(h, "Content-Length", 14) == 0) {
			long n = 0;
			char *c = v;

			for (; *c >= '0' && *c <= '9'; c++) {
				n = n * 10 + (*c - '0');
				if (n > FC_BODY_MAX)
					return -EMSGSIZE;
			}
			while (*c == ' ' || *c == '\t')
				c++;
			if (c == v || *c != '\0' || (*clen >= 0 && *clen != n))
				return -EPROTO;
			*clen = n;
		} else if (nlen == 17 &&
		    strncasecmp(h, "Transfer-Encoding", 17) == 0)
			return -EPROTO;
		h = eol + 2;
	}
	return 0;
}

/* Words for a refusal: fault_message, else micro_http's "error", else the text. */
static void
refusal(struct bg_err *err, int status, const char *method, const char *path,
    const char *body, const cJSON *j)
{
	const char *m = NULL;
	char shown[768];

	if (j != NULL) {
		m = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(j, "fault_message"));
		if (m == NULL)
			m = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(j, "error"));
	}
	if (m == NULL && body != NULL && body[0] != '\0')
		m = body;
	if (m == NULL) {
		bg_err_set(err, status >= 500 ? "temporary" : "bad_request",
		    "firecracker: %s %s: HTTP %d", method, path, status);
		return;
	}
	bg_toml_printable(m, shown, sizeof(shown));
	bg_err_set(err, status >= 500 ? "temporary" : "bad_request",
	    "firecracker: %s", shown);
}

int
bg_fc_request(int fd, const char *method, const char *path, const char *body,
    int *status, cJSON **reply, int64_t deadline, struct bg_err *err)
{
	size_t blen = body != NULL ? strlen(body) : 0, have = 0, hlen = 0;
	char head[512], *buf = NULL, *eoh, *eol, *b;
	cJSON *j = NULL;
	long clen = -1;
	int n, r, st = 0;

	if (status != NULL)
		*status = 0;
	if (reply != NULL)
		*reply = NULL;
	if (method == NULL ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0 &&
		strcmp(method, "PATCH") != 0) ||
	    !path_valid(path) || blen > FC_REQ_BODY_MAX ||
	    (strcmp(method, "GET") == 0 && blen > 0)) {
		bg_err_set(err, "internal", "firecracker: bad request %s %s",
		    method != NULL ? method : "(null)",
		    path_valid(path) ? path : "(bad path)");
		return -EINVAL;
	}
	if (blen > 0)
		n = snprintf(head, sizeof(head),
		    "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		    "Accept: application/json\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n",
		    method, path, blen);
	else
		n = snprintf(head, sizeof(head),
		    "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		    "Accept: application/json\r\n\r\n",
		    method, path);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;

	r = bg_vmm_send(fd, head, (size_t)n, deadline);
	if (r == 0 && blen > 0)
		r = bg_vmm_send(fd, body, blen, deadline);
	buf = r == 0 ? malloc(FC_HEAD_MAX + FC_BODY_MAX + 1) : NULL;
	if (r == 0 && buf == NULL)
		r = -ENOMEM;

	/* Status line and headers, skipping any 1xx interim answer. */
	while (r == 0) {
		ssize_t got;

		eoh = have > hlen ?
		    memmem(buf + hlen, have - hlen, "\r\n\r\n", 4) :
		    NULL;
		if (eoh != NULL) {
			eol = memmem(buf + hlen,
			    (size_t)(eoh + 2 - (buf + hlen)), "\r\n", 2);
			r = parse_status(buf + hlen,
			    (size_t)(eol - (buf + hlen)), &st);
			if (r < 0)
				break;
			if (st >= 200) {
				r = parse_headers(eol + 2, eoh + 2, &clen);
				hlen = (size_t)(eoh + 4 - buf);
				break;
			}
			hlen = (size_t)(eoh + 4 - buf);
			continue;
		}
		got = fill(fd, buf, &have, FC_HEAD_MAX + hlen, deadline);
		if (got == 0)
			r = -ECONNRESET;
		else if (got < 0)
			r = got == -EMSGSIZE ? -EPROTO : (int)got;
	}
	/* The body: Content-Length bytes (204/304 have none; else until EOF). */
	if (r == 0) {
		size_t want;

		if (st == 204 || st == 304)
			clen = 0;
		want = clen >= 0 ? (size_t)clen : FC_BODY_MAX;
		while (have - hlen < want) {
			ssize_t got =
			    fill(fd, buf, &have, hlen + want, deadline);

			if (got == 0 && clen < 0)
				break;
			if (got == 0) {
				r = -ECONNRESET;
				break;
			}
			if (got < 0) {
				r = (int)got;
				break;
			}
		}
		if (r == 0 && clen < 0 && have - hlen >= want)
			r = -EMSGSIZE;
	}
	if (r < 0) {
		free(buf);
		bg_err_set(err, "temporary", "firecracker: %s %s: %s", method,
		    path,
		    r == -EPROTO ? "not an HTTP answer" :
			r == -ECONNRESET ?
				   "connection closed before the answer" :
				   strerror(-r));
		return r;
	}
	b = buf + hlen;
	b[clen >= 0 ? (size_t)clen : have - hlen] = '\0';
	if (*b != '\0') {
		j = cJSON_ParseWithOpts(b, NULL, 1);
		if (j == NULL && st >= 200 && st < 300) {
			free(buf);
			bg_err_set(err, "temporary",
			    "firecracker: %s %s: the answer is not JSON",
			    method, path);
			return -EPROTO;
		}
	}
	if (status != NULL)
		*status = st;
	if (st < 200 || st >= 300) {
		refusal(err, st, method, path, b, j);
		r = -EREMOTEIO;
	}
	free(buf);
	if (reply != NULL)
		*reply = j;
	else
		cJSON_Delete(j);
	return r;
}

/*
 * PUT path with body (consumed) on a connection of its own; a 2xx
 * answer is success.  The connect retries while the socket is not yet
 * listening, and with BG_CONNECT_WAIT while it is not there: the boot's
 * PUTs follow Firecracker's start.
 */
static int
put(const struct bg_vmh *h, const char *path, cJSON *body, int timeout_ms,
    unsigned flags, struct bg_err *err)
{
	char *s = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
	int64_t deadline = bg_now_ms() + timeout_ms;
	int st, r, fd;

	cJSON_Delete(body);
	if (s == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	fd = bg_vm_connect(h, deadline, flags);
	if (fd < 0) {
		free(s);
		bg_err_set(err, "temporary",
		    "cannot reach the Firecracker API socket of VM \"%s\": %s",
		    h->vm.name, strerror(-fd));
		return fd;
	}
	r = bg_fc_request(fd, "PUT", path, s, &st, NULL, deadline, err);
	close(fd);
	free(s);
	return r;
}

/* One whole word of the command line. */
static bool
has_word(const char *cmdline, const char *w)
{
	size_t n = strlen(w);
	const char *c;

	for (c = cmdline; (c = strstr(c, w)) != NULL; c += n)
		if ((c == cmdline || c[-1] == ' ') &&
		    (c[n] == ' ' || c[n] == '\0'))
			return true;
	return false;
}

/*
 * A JSON object from "key", value pairs (NULL-terminated): a value
 * starting with '#' is a number, "@t"/"@f" a boolean, else a string.
 */
__attribute__((sentinel)) static cJSON *
obj(const char *key, ...)
{
	cJSON *o = cJSON_CreateObject(), *v;
	const char *k, *val;
	va_list ap;

	va_start(ap, key);
	for (k = key; o != NULL && k != NULL; k = va_arg(ap, const char *)) {
		val = va_arg(ap, const char *);
		v = val[0] == '#' ? cJSON_CreateNumber(strtod(val + 1, NULL)) :
		    strcmp(val, "@t") == 0 ? cJSON_CreateTrue() :
		    strcmp(val, "@f") == 0 ? cJSON_CreateFalse() :
					     cJSON_CreateString(val);
		if (v == NULL || !cJSON_AddItemToObject(o, k, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			o = NULL;
		}
	}
	va_end(ap);
	return o;
}

static int
fc_boot(const struct bg_vmh *h, const char *cmdline, struct bg_err *err)
{
	const struct bg_vm *vm = &h->vm;
	char kernel[PATH_MAX], initrd[PATH_MAX], rootfs[PATH_MAX],
	    work[PATH_MAX], mods[PATH_MAX], args[4096];
	char vcpu[16], mem[32];
	struct bg_vm v;
	size_t i;
	int r = 0, has_mods;

	if (cmdline == NULL) {
		bg_err_set(err, "internal", "firecracker: nothing to boot");
		return -EINVAL;
	}
	/* Firecracker exits when the guest reboots: that is how a VM ends. */
	if (!has_word(cmdline, "reboot=k") || !has_word(cmdline, "panic=1")) {
		bg_err_set(err, "internal",
		    "firecracker: boot_args must keep reboot=k panic=1");
		return -EINVAL;
	}
	if (vm->vcpu < 1 || vm->vcpu > FC_VCPU_MAX) {
		bg_err_set(err, "bad_request",
		    "VM \"%s\" has %d vCPUs; Firecracker runs 1 to %d",
		    vm->name, vm->vcpu, FC_VCPU_MAX);
		return -EINVAL;
	}
	v = *vm;
	if (bg_vm_derive(&v) < 0 ||
	    bg_vm_path(h, BG_VMF_KERNEL, kernel, sizeof(kernel)) < 0 ||
	    bg_vm_path(h, BG_VMF_INITRD, initrd, sizeof(initrd)) < 0 ||
	    bg_vm_path(h, BG_VMF_ROOTFS, rootfs, sizeof(rootfs)) < 0 ||
	    bg_vm_path(h, BG_VMF_WORK, work, sizeof(work)) < 0) {
		bg_err_set(err, "internal",
		    "firecracker: VM \"%s\" has no valid slot or paths",
		    vm->name);
		return -EINVAL;
	}
	/* The kernel's modules disk, if it has one: /dev/vdc, read-only. */
	has_mods = bg_vm_modules(h, mods, sizeof(mods));
	if (has_mods < 0) {
		bg_err_set(err, "internal",
		    "firecracker: the modules.ext4 of kernel \"%s\": %s",
		    vm->kernel, strerror(-has_mods));
		return has_mods;
	}
	if ((size_t)snprintf(args, sizeof(args), "%s%s", cmdline,
		has_mods ? " " BG_MODULES_ARG : "") >= sizeof(args)) {
		bg_err_set(err, "internal", "firecracker: boot_args too long");
		return -ENAMETOOLONG;
	}
	snprintf(vcpu, sizeof(vcpu), "#%d", v.vcpu);
	snprintf(mem, sizeof(mem), "#%ld", v.memory_mib);
	{
		/*
		 * The root drive is /dev/vda, the work disk /dev/vdb, and
		 * the kernel's modules.ext4, when it has one, /dev/vdc
		 * (Firecracker puts the root drive first, then the others
		 * in the order they were PUT).  The modules disk is shared
		 * by every VM of that kernel: read-only.  Writeback: the
		 * guest's flushes are honoured, as with QEMU.
		 */
		const struct {
			const char *path;
			cJSON *body;
			int timeout_ms;
			bool skip;
		} reqs[] = {
			{ "/machine-config",
			    obj("vcpu_count", vcpu, "mem_size_mib", mem, NULL),
			    FC_START_TIMEOUT_MS, false },
			{ "/boot-source",
			    obj("kernel_image_path", kernel, "initrd_path",
				initrd, "boot_args", args, NULL),
			    FC_TIMEOUT_MS, false },
			{ "/drives/rootfs",
			    obj("drive_id", "rootfs", "path_on_host", rootfs,
				"is_root_device", "@t", "is_read_only", "@f",
				"cache_type", "Writeback", NULL),
			    FC_TIMEOUT_MS, false },
			{ "/drives/work",
			    obj("drive_id", "work", "path_on_host", work,
				"is_root_device", "@f", "is_read_only", "@f",
				"cache_type", "Writeback", NULL),
			    FC_TIMEOUT_MS, false },
			{ "/drives/modules",
			    has_mods ?
				obj("drive_id", "modules", "path_on_host", mods,
				    "is_root_device", "@f", "is_read_only",
				    "@t", NULL) :
				NULL,
			    FC_TIMEOUT_MS, !has_mods },
			{ "/network-interfaces/eth0",
			    obj("iface_id", "eth0", "guest_mac", v.mac,
				"host_dev_name", v.tap, NULL),
			    FC_TIMEOUT_MS, false },
			{ "/actions", obj("action_type", "InstanceStart", NULL),
			    FC_START_TIMEOUT_MS, false },
		};

		/* In order; put() consumes each body, sent or not. */
		for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
			if (reqs[i].skip)
				continue;
			if (r == 0)
				r = put(h, reqs[i].path, reqs[i].body,
				    reqs[i].timeout_ms, BG_CONNECT_WAIT, err);
			else
				cJSON_Delete(reqs[i].body);
		}
	}
	return r;
}

static int
fc_shutdown(const struct bg_vmh *h, struct bg_err *err)
{
	return put(h, "/actions", obj("action_type", "SendCtrlAltDel", NULL),
	    FC_TIMEOUT_MS, 0, err);
}

static bool
fc_emulated(const struct bg_vm *vm)
{
	(void)vm;
	return false;
}

const struct bg_vmm bg_vmm_firecracker = {
	.name = "firecracker",
	.tool = "firecracker",
	.install = "install Firecracker from its GitHub releases into "
		   "/usr/local/bin, or set firecracker_bin in the config",
	/*
	 * Firecracker's own default words (>= 1.12, CHANGELOG #5074):
	 * without i8042.nopnp, which under its ACPI device model would
	 * stop SendCtrlAltDel (a graceful vm stop) reaching the guest.
	 */
	.kernel_words = "i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce",
	.needs_kvm = true,
	.console_on_stdout = true,
	.log_name = "firecracker.log",
	.emulated = fc_emulated,
	.argv = fc_argv,
	.boot = fc_boot,
	/* No quit request: a signal ends it. */
	.shutdown = fc_shutdown,
	/*
	 * Firecracker's own figure is under 5 MiB per microVM beyond the
	 * guest's RAM; the kernel is read into guest memory.  64 MiB leaves
	 * room for its API server and page cache of the logs.  Threads:
	 * the vCPUs, the VMM and the API server.
	 */
	.overhead_mib = 64,
	.overhead_emulated_mib = 64,
	.tasks_extra = 16,
};
