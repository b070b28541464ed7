/*
 * vmm-firecracker.c — the Firecracker driver: `firecracker --api-sock
 * vmm.sock`, then the VM is described and started over that socket's
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

#define FC_HEAD_MAX 16384       /* status line + headers */
#define FC_BODY_MAX (1 << 20)   /* a response body */
#define FC_REQ_BODY_MAX 51200   /* Firecracker's own request payload limit */
#define FC_PATH_MAX 256
#define FC_VCPU_MAX 32          /* Firecracker's MAX_SUPPORTED_VCPUS */
#define FC_TIMEOUT_MS 10000
#define FC_START_TIMEOUT_MS 60000

int
bg_fc_argv(const struct bg_vm_paths *p, const char *fc_bin, char ***argv)
{
	struct sockaddr_un sa;
	char **v;
	int i;

	*argv = NULL;
	if (p == NULL || fc_bin == NULL || fc_bin[0] != '/' || p->sock[0] != '/')
		return -EINVAL;
	if (strlen(p->sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	v = calloc(4, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v[0] = strdup(fc_bin);
	v[1] = strdup("--api-sock");
	v[2] = strdup(p->sock);
	for (i = 0; i < 3; i++)
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
	*status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
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
		m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
		    "fault_message"));
		if (m == NULL)
			m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
			    "error"));
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
bg_fc_request(const char *sock, const char *method, const char *path,
    const char *body, int *status, cJSON **reply, int timeout_ms,
    struct bg_err *err)
{
	int64_t deadline = bg_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t blen = body != NULL ? strlen(body) : 0, have = 0, hlen = 0;
	char head[512], *buf = NULL, *eoh, *eol, *b;
	cJSON *j = NULL;
	long clen = -1;
	int fd = -1, n, r, st = 0;

	if (status != NULL)
		*status = 0;
	if (reply != NULL)
		*reply = NULL;
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "PUT") != 0 && strcmp(method, "PATCH") != 0) ||
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
		    "Content-Length: %zu\r\n\r\n", method, path, blen);
	else
		n = snprintf(head, sizeof(head),
		    "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		    "Accept: application/json\r\n\r\n", method, path);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EINVAL;

	fd = bg_vmm_connect(sock, deadline);
	if (fd < 0) {
		bg_err_set(err, "temporary",
		    "cannot reach Firecracker's API socket %s: %s",
		    sock != NULL ? sock : "(null)", strerror(-fd));
		return fd;
	}
	r = bg_vmm_send(fd, head, (size_t)n, deadline);
	if (r == 0 && blen > 0)
		r = bg_vmm_send(fd, body, blen, deadline);
	buf = r == 0 ? malloc(FC_HEAD_MAX + FC_BODY_MAX + 1) : NULL;
	if (r == 0 && buf == NULL)
		r = -ENOMEM;

	/* Status line and headers, skipping any 1xx interim answer. */
	while (r == 0) {
		ssize_t got;

		eoh = have > hlen ? memmem(buf + hlen, have - hlen, "\r\n\r\n", 4) : NULL;
		if (eoh != NULL) {
			eol = memmem(buf + hlen, (size_t)(eoh + 2 - (buf + hlen)),
			    "\r\n", 2);
			r = parse_status(buf + hlen, (size_t)(eol - (buf + hlen)), &st);
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
			ssize_t got = fill(fd, buf, &have, hlen + want, deadline);

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
	close(fd);
	if (r < 0) {
		free(buf);
		bg_err_set(err, "temporary", "firecracker: %s %s: %s", method, path,
		    r == -EPROTO ? "not an HTTP answer" :
		    r == -ECONNRESET ? "connection closed before the answer" :
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
			    "firecracker: %s %s: the answer is not JSON", method, path);
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

/* PUT path with body (consumed); a 2xx answer is success. */
static int
put(const char *sock, const char *path, cJSON *body, int timeout_ms,
    struct bg_err *err)
{
	char *s = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
	int st, r;

	cJSON_Delete(body);
	if (s == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = bg_fc_request(sock, "PUT", path, s, &st, NULL, timeout_ms, err);
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
		if ((c == cmdline || c[-1] == ' ') && (c[n] == ' ' || c[n] == '\0'))
			return true;
	return false;
}

/* {"drive_id", "path_on_host", "is_root_device", "is_read_only", "cache_type"} */
static cJSON *
drive(const char *id, const char *path, bool root)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || cJSON_AddStringToObject(o, "drive_id", id) == NULL ||
	    cJSON_AddStringToObject(o, "path_on_host", path) == NULL ||
	    cJSON_AddBoolToObject(o, "is_root_device", root) == NULL ||
	    cJSON_AddBoolToObject(o, "is_read_only", false) == NULL ||
	    /* Honour the guest's flushes, as the QEMU driver does. */
	    cJSON_AddStringToObject(o, "cache_type", "Writeback") == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
bg_fc_boot(const char *sock, const struct bg_vm *vm,
    const struct bg_vm_paths *p, const char *cmdline, struct bg_err *err)
{
	struct bg_vm v;
	cJSON *o;
	int r;

	if (vm == NULL || p == NULL || cmdline == NULL) {
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
		    "VM '%s' has %d vCPUs; Firecracker runs 1 to %d",
		    vm->name, vm->vcpu, FC_VCPU_MAX);
		return -EINVAL;
	}
	v = *vm;
	if (bg_vm_derive(&v) < 0) {
		bg_err_set(err, "internal", "firecracker: VM '%s' has no valid slot",
		    vm->name);
		return -EINVAL;
	}

	o = cJSON_CreateObject();
	if (o != NULL && (cJSON_AddNumberToObject(o, "vcpu_count", v.vcpu) == NULL ||
	    cJSON_AddNumberToObject(o, "mem_size_mib", (double)v.memory_mib) == NULL)) {
		cJSON_Delete(o);
		o = NULL;
	}
	r = put(sock, "/machine-config", o, FC_TIMEOUT_MS, err);
	if (r == 0) {
		o = cJSON_CreateObject();
		if (o != NULL &&
		    (cJSON_AddStringToObject(o, "kernel_image_path", p->kernel) == NULL ||
		    cJSON_AddStringToObject(o, "initrd_path", p->initrd) == NULL ||
		    cJSON_AddStringToObject(o, "boot_args", cmdline) == NULL)) {
			cJSON_Delete(o);
			o = NULL;
		}
		r = put(sock, "/boot-source", o, FC_TIMEOUT_MS, err);
	}
	/* The root drive is /dev/vda, the work disk /dev/vdb. */
	if (r == 0)
		r = put(sock, "/drives/rootfs", drive("rootfs", p->rootfs, true),
		    FC_TIMEOUT_MS, err);
	if (r == 0)
		r = put(sock, "/drives/work", drive("work", p->work, false),
		    FC_TIMEOUT_MS, err);
	if (r == 0) {
		o = cJSON_CreateObject();
		if (o != NULL &&
		    (cJSON_AddStringToObject(o, "iface_id", "eth0") == NULL ||
		    cJSON_AddStringToObject(o, "guest_mac", v.mac) == NULL ||
		    cJSON_AddStringToObject(o, "host_dev_name", v.tap) == NULL)) {
			cJSON_Delete(o);
			o = NULL;
		}
		r = put(sock, "/network-interfaces/eth0", o, FC_TIMEOUT_MS, err);
	}
	if (r == 0) {
		o = cJSON_CreateObject();
		if (o != NULL &&
		    cJSON_AddStringToObject(o, "action_type", "InstanceStart") == NULL) {
			cJSON_Delete(o);
			o = NULL;
		}
		r = put(sock, "/actions", o, FC_START_TIMEOUT_MS, err);
	}
	return r;
}

int
bg_fc_ctrl_alt_del(const char *sock, struct bg_err *err)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL &&
	    cJSON_AddStringToObject(o, "action_type", "SendCtrlAltDel") == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	return put(sock, "/actions", o, FC_TIMEOUT_MS, err);
}
