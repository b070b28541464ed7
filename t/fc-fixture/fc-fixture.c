/*
 * fc-fixture — a stand-in for the `firecracker` binary, for the tests
 * of banger's Firecracker driver on hosts where Firecracker cannot run
 * (docs/testing.md).  It serves the part of Firecracker's API that
 * banger uses over the --api-sock unix socket and, on InstanceStart,
 * boots the configured guest with QEMU (microvm, TCG) underneath.
 *
 * It stands for Firecracker v1.16.0, the current release.  The API
 * was written from v1.7.0's sources: src/firecracker/swagger/
 * firecracker.yaml for paths, methods, bodies and field names;
 * src/firecracker/src/api_server/ (parsed_request.rs, request/ files)
 * and src/vmm/src/rpc_interface.rs for which request gets which answer;
 * micro_http for the wire format ("HTTP/1.1 204 ", "Server: Firecracker
 * API", Content-Length only when there is a body, the 51200-byte
 * payload limit, keep-alive connections, several requests per
 * connection).  What v1.16 does differently and banger meets follows
 * v1.16: the version, the default command line and pci=off,
 * SendCtrlAltDel to a guest booted with i8042.nopnp, the logger.
 * Faithful:
 *   - GET /, /version, /machine-config, /vm/config;
 *   - PUT /machine-config, /boot-source, /drives/{id},
 *     /network-interfaces/{id}, /actions (FlushMetrics, InstanceStart,
 *     SendCtrlAltDel): 204 No Content on success; 400 with
 *     {"fault_message": "..."} on a body that is not the right JSON
 *     (unknown field, missing field, wrong type, duplicate field), on an
 *     id in the path that differs from the body's, an empty or invalid
 *     id, an unknown path or method, a pre-boot-only request after
 *     InstanceStart, a runtime-only one before it, a second
 *     InstanceStart, a second root drive, a kernel, initrd, drive file
 *     or tap that cannot be opened (all checked when PUT, as
 *     Firecracker does); the messages are Firecracker's, except serde's
 *     " at line L column C" suffix;
 *   - boot_args defaults to Firecracker's default command line,
 *     "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux
 *     i8042.nomux i8042.dumbkbd swiotlb=noforce" (no i8042.nopnp since
 *     v1.12, PR #5074); " pci=off" is appended to it (Firecracker does,
 *     without --enable-pci, which the fixture does not have), then
 *     " root=/dev/vda rw" (or ro, or root=PARTUUID=); the root drive is
 *     /dev/vda whatever the order of the PUTs, the others follow in the
 *     order they were first PUT;
 *   - SendCtrlAltDel when the guest's command line sets i8042.nopnp:
 *     204 and nothing more.  Since v1.12 Firecracker describes its
 *     i8042 in ACPI, and a kernel told not to look there never sees the
 *     key combination: the guest keeps running, so does the VMM;
 *   - the tap is opened when PUT (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR, as
 *     Firecracker does) and that very fd is handed to QEMU;
 *   - --api-sock must not exist: "Error: RunWithApi(FailedToBindSocket
 *     (...))" and exit 1, like Firecracker; the socket is bound, then
 *     listened on (a connect in between is refused: see
 *     FC_FIXTURE_LISTEN_DELAY_MS); --version prints "Firecracker
 *     v1.16.0"; the guest console goes to stdout; when the guest
 *     reboots (reboot=k) the VMM exits with 0;
 *   - the logger, in Firecracker's format ("<local time, ns> [<id>:
 *     <thread>] <message>", no level, no origin): "Running Firecracker
 *     v1.16.0" at start; 'The API server received a Put request on
 *     "/actions" with body "..."' on InstanceStart; "Vmm is stopping."
 *     and "Firecracker exiting successfully. exit_code=0" (or "with
 *     error") at the end.  To stdout, among the console's lines, or
 *     with --log-path PATH appended to PATH, which must exist (opened
 *     O_RDWR|O_APPEND|O_NONBLOCK, never created): otherwise "Could not
 *     initialize logger: Failed to open target file: ..." on stdout,
 *     "Error: LoggerInitialization(LoggerUpdateError(Os { ... }))" on
 *     stderr and exit 1.  Firecracker's other lines (one per API
 *     request and its outcome, ...) are not written; --level,
 *     --show-level and --show-log-origin are accepted and ignored,
 *     PUT /logger is refused (below).
 * Different by necessity:
 *   - SendCtrlAltDel (without i8042.nopnp): QEMU microvm has no i8042
 *     the guest kernel can use (hardware-reduced ACPI: no legacy IRQ 1),
 *     so the guest cannot see the key combination.  The fixture gets
 *     the same end — a clean guest reboot, hence the VMM's exit — with
 *     the guest's magic SysRq on the serial console: a break, then 's'
 *     (sync), 'u' (remount read-only), 'b' (reboot), a second apart.  A
 *     guest whose kernel.sysrq forbids those ignores it, as a
 *     Firecracker guest without an i8042 driver ignores SendCtrlAltDel.
 *   - Under TCG the guest needs tsc_early_khz= (and tsc=reliable with
 *     several vCPUs, docs/host-facts.md): the fixture appends them, as
 *     Firecracker appends its own parameters.  It appends no
 *     virtio_mmio.device= (QEMU describes the devices in ACPI).
 *   - Its own diagnostics go to stderr, "fc-fixture: ..." lines.
 * Not implemented (400 "fc-fixture: ... not implemented"): rate
 * limiters, vhost-user drives, cpu templates, huge pages, PATCH
 * requests, balloon, vsock, mmds, entropy, PUT /logger, metrics,
 * snapshots, cpu-config, --config-file, --no-api.
 *
 * Environment: FC_FIXTURE_QEMU (default qemu-system-x86_64, from
 * PATH), FC_FIXTURE_ACCEL (tcg, the default, or kvm),
 * FC_FIXTURE_LISTEN_DELAY_MS (0 to 5000, default 0: how long the
 * fixture sleeps between bind() and listen() of the API socket, so a
 * test can meet the window where the socket file exists and a connect
 * is refused with ECONNREFUSED; any other value is a startup error,
 * exit 1).
 *
 * A test fixture, so a plain poll() loop: API connections, the QMP
 * socket of its QEMU (a socketpair), a timer for the SysRq steps.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define FC_VERSION "1.16.0"
#define MAX_CONNECTIONS 10 /* micro_http */
#define LINE_MAX_BYTES 1024 /* micro_http: a request or header line */
#define HEAD_MAX_BYTES 8192
#define PAYLOAD_MAX 51200 /* Firecracker's HTTP_MAX_PAYLOAD_SIZE */
#define CMDLINE_MAX_SIZE 2048 /* arch::x86_64::layout */
#define MAX_VCPUS 32
#define MAX_DRIVES 16
#define MAX_NETS 8
/* Since v1.12 (PR #5074): no i8042.nopnp, and pci=off is appended. */
#define DEFAULT_CMDLINE \
	"reboot=k panic=1 nomodule 8250.nr_uarts=0 " \
	"i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce"
#define LISTEN_DELAY_MAX_MS 5000
#define NOT_STARTED "Not started"

static const char *prog = "fc-fixture";

/* ---- state: what the API has configured ---------------------------- */

struct drive {
	char *id, *path, *partuuid;
	bool root, read_only, writeback;
};

struct net {
	char *id, *tap, *mac; /* mac may be NULL */
	int fd; /* the tap, opened when PUT */
};

static struct {
	const char *id;
	int vcpus;
	long mem_mib;
	bool smt, track_dirty;
	char *kernel, *initrd, *boot_args; /* kernel NULL: no boot source */
	struct drive drives[MAX_DRIVES];
	int ndrives;
	struct net nets[MAX_NETS];
	int nnets;
	bool started;
	bool nopnp; /* the guest's command line sets i8042.nopnp */
	pid_t qemu;
	int qmp; /* our end of QEMU's QMP socketpair */
	int serial_in; /* write end of QEMU's stdin: the guest console's input */
	int sysrq_step; /* 0 idle, 1..3 next step */
	int64_t sysrq_at;
} vm = { .id = "anonymous-instance",
	.vcpus = 1,
	.mem_mib = 128,
	.qemu = -1,
	.qmp = -1,
	.serial_in = -1 };

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
logf_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Where Firecracker's log lines go: stdout, or --log-path. */
static int log_fd = STDOUT_FILENO;

/*
 * A line of Firecracker's logger: "<local time> [<id>:<thread>] <msg>",
 * the time as utils::time::LocalTime prints it (nanoseconds), no level
 * and no origin (their defaults).  One write(); a line the destination
 * cannot take now is lost, as Firecracker counts it in
 * missed_log_count and moves on.
 */
static void fc_log(const char *thread, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fc_log(const char *thread, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;
	char *msg, *line;
	size_t off;
	ssize_t w;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = asprintf(&line, "%d-%02d-%02dT%02d:%02d:%02d.%09ld [%s:%s] %s\n",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec, vm.id, thread, msg);
	free(msg);
	if (n < 0)
		return;
	for (off = 0; off < (size_t)n; off += (size_t)w) {
		w = write(log_fd, line + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			break;
	}
	free(line);
}

/* Firecracker's last words, then its exit status. */
static int
fc_exit(int code)
{
	fc_log("main", "Vmm is stopping.");
	if (code == 0)
		fc_log("main", "Firecracker exiting successfully. exit_code=0");
	else
		fc_log("main", "Firecracker exiting with error. exit_code=%d",
		    code);
	return code;
}

static char *
xstrdup(const char *s)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL) {
		logf_("out of memory");
		exit(1);
	}
	return d;
}

/* Rust's io::Error Display: "No such file or directory (os error 2)". */
static const char *
os_error(int e, char *buf, size_t n)
{
	snprintf(buf, n, "%s (os error %d)", strerror(e), e);
	return buf;
}

/* Rust's io::Error Debug: Os { code: 2, kind: NotFound, message: "..." }. */
static const char *
os_error_debug(int e, char *buf, size_t n)
{
	const char *kind = e == ENOENT ? "NotFound" :
	    e == EACCES || e == EPERM  ? "PermissionDenied" :
	    e == EISDIR		       ? "IsADirectory" :
					 "Uncategorized";

	snprintf(buf, n, "Os { code: %d, kind: %s, message: \"%s\" }", e, kind,
	    strerror(e));
	return buf;
}

/*
 * Rust's str Debug: quoted, with \" \\ \n \r \t and \u{..} for the other
 * control characters; malloc'd, NULL when out of memory.
 */
static char *
rust_debug_str(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *o = malloc(8 * n + 3);
	const unsigned char *c;

	if (o == NULL)
		return NULL;
	o[j++] = '"';
	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		const char *esc = *c == '"' ? "\\\"" :
		    *c == '\\'		    ? "\\\\" :
		    *c == '\n'		    ? "\\n" :
		    *c == '\r'		    ? "\\r" :
		    *c == '\t'		    ? "\\t" :
					      NULL;

		if (esc != NULL)
			j += (size_t)sprintf(o + j, "%s", esc);
		else if (*c < ' ' || *c == 0x7f)
			j += (size_t)sprintf(o + j, "\\u{%x}", *c);
		else
			o[j++] = (char)*c;
	}
	o[j++] = '"';
	o[j] = '\0';
	return o;
}

/* ---- answers ------------------------------------------------------- */

struct answer {
	int status; /* 200, 204, 400 */
	char *body; /* malloc'd JSON, or NULL */
	bool close; /* an HTTP-level error: drop the connection after it */
};

static void
answer_json(struct answer *a, int status, cJSON *j)
{
	a->status = status;
	a->body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
}

/* 400 {"fault_message": "..."}, Firecracker's way of saying no. */
static void fault(struct answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fault(struct answer *a, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	cJSON *j = cJSON_CreateObject();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(j, "fault_message", msg);
	answer_json(a, 400, j);
}

/* micro_http's answer to a request it cannot parse (not valid JSON: as theirs). */
static void
http_error(struct answer *a, const char *msg)
{
	a->status = 400;
	if (asprintf(&a->body,
		"{ \"error\": \"%s\nAll previous unanswered "
		"requests will be dropped.\" }",
		msg) < 0)
		a->body = NULL;
	a->close = true;
}

static void
no_content(struct answer *a)
{
	a->status = 204;
	a->body = NULL;
}

static const char *const post_boot =
    "The requested operation is not supported after starting the microVM.";
static const char *const pre_boot =
    "The requested operation is not supported before starting the microVM.";

/* ---- strict JSON bodies (serde with deny_unknown_fields) ---------- */

enum ftype { T_STR, T_BOOL, T_U8, T_USIZE, T_ENUM, T_MAC, T_UNSUPPORTED };

struct fdef {
	const char *name;
	enum ftype type;
	bool required;
	const char *const *variants; /* T_ENUM */
};

static const char *
json_kind(const cJSON *v, char *buf, size_t n)
{
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsBool(v))
		snprintf(buf, n, "boolean `%s`",
		    cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v))
		snprintf(buf, n, "integer `%.0f`", v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, n, "string \"%.64s\"", v->valuestring);
	else if (cJSON_IsArray(v))
		snprintf(buf, n, "sequence");
	else
		snprintf(buf, n, "map");
	return buf;
}

#define DESER \
	"An error occurred when deserializing the json body of a request: "

/*
 * Parse body as the struct described by defs; vals[i] is the value of
 * defs[i] (NULL when absent or null).  On error the answer is filled
 * and -1 returned.  *root must be freed by the caller.
 */
static int
parse_struct(struct answer *a, const char *body, const char *what,
    const struct fdef *defs, int n, const cJSON **vals, cJSON **root)
{
	const cJSON *c;
	char kb[96];
	int i;

	*root = cJSON_ParseWithOpts(body, NULL, 1);
	if (*root == NULL) {
		fault(a, DESER "expected value.");
		return -1;
	}
	if (!cJSON_IsObject(*root)) {
		fault(a, DESER "invalid type: %s, expected struct %s.",
		    json_kind(*root, kb, sizeof(kb)), what);
		return -1;
	}
	for (i = 0; i < n; i++)
		vals[i] = NULL;
	for (c = (*root)->child; c != NULL; c = c->next) {
		for (i = 0; i < n; i++)
			if (strcmp(c->string, defs[i].name) == 0)
				break;
		if (i == n) {
			char exp[512] = "";

			for (i = 0; i < n; i++)
				snprintf(exp + strlen(exp),
				    sizeof(exp) - strlen(exp), "%s`%s`",
				    i ? ", " : "", defs[i].name);
			fault(a, DESER "unknown field `%.64s`, expected %s%s.",
			    c->string, n > 1 ? "one of " : "", exp);
			return -1;
		}
		if (vals[i] != NULL) {
			fault(a, DESER "duplicate field `%s`.", defs[i].name);
			return -1;
		}
		/* Option<T>: null is None. */
		if (cJSON_IsNull(c) && !defs[i].required) {
			vals[i] = NULL;
			continue;
		}
		vals[i] = c;
	}
	for (i = 0; i < n; i++) {
		const cJSON *v = vals[i];
		const char *want = NULL;

		if (v == NULL) {
			if (defs[i].required) {
				fault(a, DESER "missing field `%s`.",
				    defs[i].name);
				return -1;
			}
			continue;
		}
		switch (defs[i].type) {
		case T_STR:
		case T_MAC:
			if (!cJSON_IsString(v))
				want = "a string";
			break;
		case T_BOOL:
			if (!cJSON_IsBool(v))
				want = "a boolean";
			break;
		case T_U8:
		case T_USIZE:
			if (!cJSON_IsNumber(v))
				want = defs[i].type == T_U8 ? "u8" : "usize";
			else if (v->valuedouble < 0 ||
			    (defs[i].type == T_U8 && v->valuedouble > 255) ||
			    v->valuedouble > 9007199254740992.0) {
				fault(a,
				    DESER
				    "invalid value: integer `%.0f`, expected %s.",
				    v->valuedouble,
				    defs[i].type == T_U8 ? "u8" : "usize");
				return -1;
			} else if (v->valuedouble !=
			    (double)(int64_t)v->valuedouble) {
				fault(a,
				    DESER
				    "invalid type: floating point `%g`, expected %s.",
				    v->valuedouble,
				    defs[i].type == T_U8 ? "u8" : "usize");
				return -1;
			}
			break;
		case T_ENUM:
			if (!cJSON_IsString(v))
				want = "variant identifier";
			else {
				const char *const *e;
				char exp[256] = "";

				for (e = defs[i].variants; *e != NULL; e++)
					if (strcmp(*e, v->valuestring) == 0)
						break;
				if (*e != NULL)
					break;
				for (e = defs[i].variants; *e != NULL; e++)
					snprintf(exp + strlen(exp),
					    sizeof(exp) - strlen(exp), "%s`%s`",
					    e == defs[i].variants ? "" : ", ",
					    *e);
				fault(a,
				    DESER
				    "unknown variant `%.64s`, expected one of %s.",
				    v->valuestring, exp);
				return -1;
			}
			break;
		case T_UNSUPPORTED:
			fault(a,
			    "fc-fixture: `%s` is not implemented by this fixture",
			    defs[i].name);
			return -1;
		}
		if (want != NULL) {
			fault(a, DESER "invalid type: %s, expected %s.",
			    json_kind(v, kb, sizeof(kb)), want);
			return -1;
		}
		if (defs[i].type == T_MAC) {
			const char *m = v->valuestring;
			int k;

			for (k = 0; k < 17; k++)
				if (m[k] == '\0' ||
				    (k % 3 == 2 ?
					    m[k] != ':' :
					    strchr("0123456789abcdefABCDEF",
						m[k]) == NULL))
					break;
			if (k != 17 || m[17] != '\0') {
				fault(a,
				    DESER
				    "The provided MAC address is invalid.");
				return -1;
			}
		}
	}
	return 0;
}

static const char *
str(const cJSON *v)
{
	return v != NULL ? v->valuestring : NULL;
}

/* parsed_request.rs checked_id(): non-empty, alphanumeric or '_'. */
static bool
checked_id(struct answer *a, const char *id)
{
	const char *c;

	if (id == NULL || *id == '\0') {
		fault(a, "The ID cannot be empty.");
		return false;
	}
	for (c = id; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_')) {
			fault(a,
			    "API Resource IDs can only contain alphanumeric "
			    "characters and underscores.");
			return false;
		}
	return true;
}

/* ---- GET ----------------------------------------------------------- */

static void
get_instance_info(struct answer *a)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "id", vm.id);
	cJSON_AddStringToObject(j, "state",
	    vm.started ? "Running" : NOT_STARTED);
	cJSON_AddStringToObject(j, "vmm_version", FC_VERSION);
	cJSON_AddStringToObject(j, "app_name", "Firecracker");
	answer_json(a, 200, j);
}

static cJSON *
machine_config_json(void)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddNumberToObject(j, "vcpu_count", vm.vcpus);
	cJSON_AddNumberToObject(j, "mem_size_mib", (double)vm.mem_mib);
	cJSON_AddBoolToObject(j, "smt", vm.smt);
	cJSON_AddBoolToObject(j, "track_dirty_pages", vm.track_dirty);
	cJSON_AddStringToObject(j, "huge_pages", "None");
	return j;
}

static cJSON *
nullable(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* GET /vm/config: the parts of Firecracker's VmmConfig the fixture has. */
static void
get_vm_config(struct answer *a)
{
	cJSON *j = cJSON_CreateObject(), *arr;
	int i;

	if (vm.kernel != NULL) {
		cJSON *b = cJSON_AddObjectToObject(j, "boot-source");

		cJSON_AddStringToObject(b, "kernel_image_path", vm.kernel);
		cJSON_AddItemToObject(b, "initrd_path", nullable(vm.initrd));
		cJSON_AddItemToObject(b, "boot_args", nullable(vm.boot_args));
	} else
		cJSON_AddNullToObject(j, "boot-source");
	arr = cJSON_AddArrayToObject(j, "drives");
	for (i = 0; i < vm.ndrives; i++) {
		const struct drive *d = &vm.drives[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "drive_id", d->id);
		cJSON_AddItemToObject(o, "partuuid", nullable(d->partuuid));
		cJSON_AddBoolToObject(o, "is_root_device", d->root);
		cJSON_AddStringToObject(o, "cache_type",
		    d->writeback ? "Writeback" : "Unsafe");
		cJSON_AddBoolToObject(o, "is_read_only", d->read_only);
		cJSON_AddStringToObject(o, "path_on_host", d->path);
		cJSON_AddNullToObject(o, "rate_limiter");
		cJSON_AddStringToObject(o, "io_engine", "Sync");
		cJSON_AddNullToObject(o, "socket");
		cJSON_AddItemToArray(arr, o);
	}
	cJSON_AddItemToObject(j, "machine-config", machine_config_json());
	arr = cJSON_AddArrayToObject(j, "network-interfaces");
	for (i = 0; i < vm.nnets; i++) {
		const struct net *n = &vm.nets[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "iface_id", n->id);
		cJSON_AddStringToObject(o, "host_dev_name", n->tap);
		cJSON_AddItemToObject(o, "guest_mac", nullable(n->mac));
		cJSON_AddNullToObject(o, "rx_rate_limiter");
		cJSON_AddNullToObject(o, "tx_rate_limiter");
		cJSON_AddItemToArray(arr, o);
	}
	answer_json(a, 200, j);
}

/* ---- PUT /machine-config ------------------------------------------ */

static const char *const huge_pages_v[] = { "None", "2M", NULL };
static const char *const cpu_template_v[] = { "C3", "T2", "T2S", "None", "T2CL",
	"T2A", NULL };

static void
put_machine_config(struct answer *a, const char *body)
{
	static const struct fdef defs[] = {
		{ "vcpu_count", T_U8, true, NULL },
		{ "mem_size_mib", T_USIZE, true, NULL },
		{ "smt", T_BOOL, false, NULL },
		{ "cpu_template", T_ENUM, false, cpu_template_v },
		{ "track_dirty_pages", T_BOOL, false, NULL },
		{ "huge_pages", T_ENUM, false, huge_pages_v },
	};
	const cJSON *v[6];
	cJSON *root;
	int vcpus;
	bool smt;

	if (parse_struct(a, body, "MachineConfig", defs, 6, v, &root) < 0)
		goto out;
	if (vm.started) {
		fault(a, "%s", post_boot);
		goto out;
	}
	if ((v[3] != NULL && strcmp(str(v[3]), "None") != 0) ||
	    (v[5] != NULL && strcmp(str(v[5]), "None") != 0)) {
		fault(a,
		    "fc-fixture: cpu templates and huge pages are not "
		    "implemented by this fixture");
		goto out;
	}
	vcpus = (int)v[0]->valuedouble;
	smt = v[2] != NULL && cJSON_IsTrue(v[2]);
	if (vcpus == 0 || vcpus > MAX_VCPUS ||
	    (smt && vcpus > 1 && vcpus % 2)) {
		fault(a,
		    "Machine config error: The number of vCPUs must be greater "
		    "than 0, less than %d and must be 1 or an even number if SMT "
		    "is enabled.",
		    MAX_VCPUS);
		goto out;
	}
	if (v[1]->valuedouble == 0) {
		fault(a,
		    "Machine config error: The memory size (MiB) is either 0, "
		    "or not a multiple of the configured page size.");
		goto out;
	}
	vm.vcpus = vcpus;
	vm.mem_mib = (long)v[1]->valuedouble;
	vm.smt = smt;
	vm.track_dirty = v[4] != NULL && cJSON_IsTrue(v[4]);
	no_content(a);
out:
	cJSON_Delete(root);
}

/* ---- PUT /boot-source --------------------------------------------- */

/* linux_loader's Cmdline: printable ASCII, shorter than the limit. */
static const char *
cmdline_error(const char *s)
{
	const char *c;

	if (strlen(s) >= CMDLINE_MAX_SIZE)
		return "Command line string too large";
	for (c = s; *c != '\0'; c++)
		if (*c < ' ' || *c > '~')
			return "String contains an invalid character";
	return NULL;
}

static void
put_boot_source(struct answer *a, const char *body)
{
	static const struct fdef defs[] = {
		{ "kernel_image_path", T_STR, true, NULL },
		{ "initrd_path", T_STR, false, NULL },
		{ "boot_args", T_STR, false, NULL },
	};
	const cJSON *v[3];
	cJSON *root;
	char eb[256];
	const char *ce;
	int fd;

	if (parse_struct(a, body, "BootSourceConfig", defs, 3, v, &root) < 0)
		goto out;
	if (vm.started) {
		fault(a, "%s", post_boot);
		goto out;
	}
	/* Firecracker opens both files now, not at InstanceStart. */
	fd = open(str(v[0]), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fault(a,
		    "Boot source error: The kernel file cannot be opened: %s",
		    os_error(errno, eb, sizeof(eb)));
		goto out;
	}
	close(fd);
	if (v[1] != NULL) {
		fd = open(str(v[1]), O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fault(a,
			    "Boot source error: The initrd file cannot be opened "
			    "due to invalid path or invalid permissions. %s",
			    os_error(errno, eb, sizeof(eb)));
			goto out;
		}
		close(fd);
	}
	ce = cmdline_error(v[2] != NULL ? str(v[2]) : DEFAULT_CMDLINE);
	if (ce != NULL) {
		fault(a,
		    "Boot source error: The kernel command line is invalid: %s",
		    ce);
		goto out;
	}
	free(vm.kernel);
	free(vm.initrd);
	free(vm.boot_args);
	vm.kernel = xstrdup(str(v[0]));
	vm.initrd = xstrdup(str(v[1]));
	vm.boot_args = xstrdup(str(v[2]));
	no_content(a);
out:
	cJSON_Delete(root);
}

/* ---- PUT /drives/{id} --------------------------------------------- */

static const char *const cache_type_v[] = { "Unsafe", "Writeback", NULL };
static const char *const io_engine_v[] = { "Sync", "Async", NULL };

static void
drive_free(struct drive *d)
{
	free(d->id);
	free(d->path);
	free(d->partuuid);
	memset(d, 0, sizeof(*d));
}

static void
put_drive(struct answer *a, const char *id, const char *body)
{
	static const struct fdef defs[] = {
		{ "drive_id", T_STR, true, NULL },
		{ "partuuid", T_STR, false, NULL },
		{ "is_root_device", T_BOOL, true, NULL },
		{ "cache_type", T_ENUM, false, cache_type_v },
		{ "is_read_only", T_BOOL, false, NULL },
		{ "path_on_host", T_STR, false, NULL },
		{ "rate_limiter", T_UNSUPPORTED, false, NULL },
		{ "io_engine", T_ENUM, false, io_engine_v },
		{ "socket", T_UNSUPPORTED, false, NULL },
	};
	const cJSON *v[9];
	struct drive d = { 0 };
	cJSON *root = NULL;
	char eb[256];
	int pos, i, fd;

	if (!checked_id(a, id))
		return;
	if (parse_struct(a, body, "BlockDeviceConfig", defs, 9, v, &root) < 0)
		goto out;
	if (strcmp(id, str(v[0])) != 0) {
		fault(a,
		    "The id from the path does not match the id from the body!");
		goto out;
	}
	if (vm.started) {
		fault(a, "%s", post_boot);
		goto out;
	}
	for (pos = 0; pos < vm.ndrives; pos++)
		if (strcmp(vm.drives[pos].id, id) == 0)
			break;
	d.root = cJSON_IsTrue(v[2]);
	/* BlockBuilder::insert: one root, and it is always first. */
	if (d.root && vm.ndrives > 0 && vm.drives[0].root && pos != 0) {
		fault(a,
		    "Drive config error: A root block device already exists!");
		goto out;
	}
	if (v[5] == NULL) {
		fault(a,
		    "Drive config error: Unable to create the virtio block "
		    "device: InvalidBlockConfig");
		goto out;
	}
	d.read_only = v[4] != NULL && cJSON_IsTrue(v[4]);
	fd = open(str(v[5]), (d.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		fault(a,
		    "Drive config error: Unable to create the virtio block "
		    "device: VirtioBackend(BackingFile(%s, \"%s\"))",
		    os_error_debug(errno, eb, sizeof(eb)), str(v[5]));
		goto out;
	}
	close(fd);
	if (pos == vm.ndrives && vm.ndrives == MAX_DRIVES) {
		fault(a, "fc-fixture: more than %d drives", MAX_DRIVES);
		goto out;
	}
	d.id = xstrdup(id);
	d.path = xstrdup(str(v[5]));
	d.partuuid = xstrdup(str(v[1]));
	d.writeback = v[3] != NULL && strcmp(str(v[3]), "Writeback") == 0;
	if (pos < vm.ndrives) {
		drive_free(&vm.drives[pos]);
		vm.drives[pos] = d;
		if (pos != 0 && d.root) {
			struct drive t = vm.drives[0];

			vm.drives[0] = vm.drives[pos];
			vm.drives[pos] = t;
		}
	} else if (d.root) {
		for (i = vm.ndrives; i > 0; i--)
			vm.drives[i] = vm.drives[i - 1];
		vm.drives[0] = d;
		vm.ndrives++;
	} else
		vm.drives[vm.ndrives++] = d;
	no_content(a);
out:
	cJSON_Delete(root);
}

/* ---- PUT /network-interfaces/{id} --------------------------------- */

static void
net_free(struct net *n)
{
	free(n->id);
	free(n->tap);
	free(n->mac);
	if (n->fd >= 0)
		close(n->fd);
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

/* Tap::open_named(): IFF_TAP | IFF_NO_PI | IFF_VNET_HDR on /dev/net/tun. */
static int
open_tap(const char *name, char *why, size_t n)
{
	struct ifreq ifr;
	char eb[128];
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(why, n, "Invalid interface name");
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, n, "Couldn't open /dev/net/tun: %s",
		    os_error(errno, eb, sizeof(eb)));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(why, n,
		    "Error while creating ifreq structure: %s. Invalid "
		    "TUN/TAP Backend provided by %s. Check our documentation on "
		    "setting up the network devices.",
		    os_error(errno, eb, sizeof(eb)), name);
		close(fd);
		return -1;
	}
	return fd;
}

static void
put_net(struct answer *a, const char *id, const char *body)
{
	static const struct fdef defs[] = {
		{ "iface_id", T_STR, true, NULL },
		{ "host_dev_name", T_STR, true, NULL },
		{ "guest_mac", T_MAC, false, NULL },
		{ "rx_rate_limiter", T_UNSUPPORTED, false, NULL },
		{ "tx_rate_limiter", T_UNSUPPORTED, false, NULL },
	};
	const cJSON *v[5];
	cJSON *root = NULL;
	char why[512];
	int i, fd;

	if (!checked_id(a, id))
		return;
	if (parse_struct(a, body, "NetworkInterfaceConfig", defs, 5, v, &root) <
	    0)
		goto out;
	if (strcmp(id, str(v[0])) != 0) {
		fault(a,
		    "The id from the path [%s] does not match the id from the "
		    "body [%s]!",
		    id, str(v[0]));
		goto out;
	}
	if (vm.started) {
		fault(a, "%s", post_boot);
		goto out;
	}
	/* NetBuilder::build: no MAC twice, an update replaces, then open. */
	for (i = 0; v[2] != NULL && i < vm.nnets; i++)
		if (vm.nets[i].mac != NULL &&
		    strcasecmp(vm.nets[i].mac, str(v[2])) == 0 &&
		    strcmp(vm.nets[i].id, id) != 0) {
			fault(a,
			    "Network config error: The MAC address is already in "
			    "use: %s",
			    str(v[2]));
			goto out;
		}
	for (i = 0; i < vm.nnets; i++)
		if (strcmp(vm.nets[i].id, id) == 0) {
			net_free(&vm.nets[i]);
			vm.nets[i] = vm.nets[--vm.nnets]; /* swap_remove */
			break;
		}
	if (vm.nnets == MAX_NETS) {
		fault(a, "fc-fixture: more than %d network interfaces",
		    MAX_NETS);
		goto out;
	}
	fd = open_tap(str(v[1]), why, sizeof(why));
	if (fd < 0) {
		fault(a,
		    "Network config error: Could not create the network device: "
		    "Open tap device failed: %s",
		    why);
		goto out;
	}
	vm.nets[vm.nnets].id = xstrdup(id);
	vm.nets[vm.nnets].tap = xstrdup(str(v[1]));
	vm.nets[vm.nnets].mac = xstrdup(str(v[2]));
	vm.nets[vm.nnets].fd = fd;
	vm.nnets++;
	no_content(a);
out:
	cJSON_Delete(root);
}

/* ---- QEMU underneath ---------------------------------------------- */

/* One QMP command; events in between are skipped.  0, or -1 with why. */
static int
qmp_command(const char *json, int timeout_ms, char *why, size_t n)
{
	char buf[8192];
	size_t have = 0;
	int64_t deadline = now_ms() + timeout_ms;

	if (send(vm.qmp, json, strlen(json), MSG_NOSIGNAL) < 0 ||
	    send(vm.qmp, "\n", 1, MSG_NOSIGNAL) < 0) {
		snprintf(why, n, "QMP: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		char *nl;
		struct pollfd p = { .fd = vm.qmp, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t got;

		while ((nl = memchr(buf, '\n', have)) != NULL) {
			cJSON *j;
			bool ret, err;

			*nl = '\0';
			j = cJSON_Parse(buf);
			ret = cJSON_GetObjectItemCaseSensitive(j, "return") !=
			    NULL;
			err = cJSON_GetObjectItemCaseSensitive(j, "error") !=
			    NULL;
			cJSON_Delete(j);
			if (err)
				snprintf(why, n, "QMP refused: %.200s", buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			if (ret || err)
				return ret ? 0 : -1;
		}
		if (left <= 0 || have == sizeof(buf)) {
			snprintf(why, n, "QMP: no answer");
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			snprintf(why, n, "QMP: %s", strerror(errno));
			return -1;
		}
		got =
		    recv(vm.qmp, buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (got == 0) {
			snprintf(why, n, "QEMU closed its QMP socket");
			return -1;
		}
		if (got > 0)
			have += (size_t)got;
		else if (errno != EAGAIN && errno != EINTR) {
			snprintf(why, n, "QMP: %s", strerror(errno));
			return -1;
		}
	}
}

/* "cpu MHz : 2596.096" in kHz (docs/host-facts.md), 0 when unknown. */
static long
host_tsc_khz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	long khz = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned long mhz;
		char fr[8] = "";
		int k;

		if (sscanf(line, "cpu MHz : %lu.%7[0-9]", &mhz, fr) < 1)
			continue;
		khz = (long)mhz;
		for (k = 0; k < 3; k++)
			khz =
			    khz * 10 + (k < (int)strlen(fr) ? fr[k] - '0' : 0);
		break;
	}
	if (f != NULL)
		fclose(f);
	return khz;
}

/* A QEMU option value: ',' must be doubled. */
static char *
qemu_escape(const char *s)
{
	size_t n = strlen(s), i, j;
	char *o = malloc(2 * n + 1);

	if (o == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		o[j++] = s[i];
		if (s[i] == ',')
			o[j++] = ',';
	}
	o[j] = '\0';
	return o;
}

static bool
has_word(const char *cmdline, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *c;

	for (c = cmdline; (c = strstr(c, prefix)) != NULL; c += n)
		if (c == cmdline || c[-1] == ' ')
			return true;
	return false;
}

/*
 * Whether a kernel command line sets i8042.nopnp, as the kernel reads
 * it: the last word naming the parameter wins ("i8042.nopnp", or
 * "=value" as kstrtobool() takes it; a value it does not take leaves
 * the setting alone); the words after "--" are init's.
 */
static bool
sets_nopnp(const char *cmdline)
{
	static const char w[] = "i8042.nopnp";
	const char *c = cmdline, *e, *v;
	bool on = false;

	for (;; c = e) {
		c += strspn(c, " ");
		if (*c == '\0')
			break;
		e = c + strcspn(c, " ");
		if (e - c == 2 && c[0] == '-' && c[1] == '-')
			break;
		if (strncmp(c, w, sizeof(w) - 1) != 0)
			continue;
		v = c + sizeof(w) - 1;
		if (v == e)
			on = true;
		else if (*v == '=' && v + 1 < e) {
			if (strchr("yYtT1", v[1]) != NULL ||
			    (strchr("oO", v[1]) != NULL && v + 2 < e &&
				strchr("nN", v[2]) != NULL))
				on = true;
			else if (strchr("nNfF0", v[1]) != NULL ||
			    (strchr("oO", v[1]) != NULL && v + 2 < e &&
				strchr("fF", v[2]) != NULL))
				on = false;
		}
	}
	return on;
}

/* argv helpers: every string is malloc'd, the array NULL-terminated. */
static void add(char **argv, int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add(char **argv, int *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&argv[*n], fmt, ap) < 0) {
		logf_("out of memory");
		exit(1);
	}
	va_end(ap);
	argv[++*n] = NULL;
}

/*
 * InstanceStart: exec QEMU with what the API configured; wait for its
 * QMP greeting, so a QEMU that cannot start is a 400 as in Firecracker.
 */
static void
instance_start(struct answer *a)
{
	char *argv[32 + 4 * MAX_DRIVES + 4 * MAX_NETS],
	    cmdline[CMDLINE_MAX_SIZE + 256];
	char why[512], eb[128];
	const char *qemu = getenv("FC_FIXTURE_QEMU");
	const char *accel = getenv("FC_FIXTURE_ACCEL");
	int sp[2] = { -1, -1 }, in[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int argc = 0, i, e = 0, status;
	long khz;
	ssize_t got;
	pid_t pid;

	if (vm.kernel == NULL) {
		fault(a,
		    "Start microvm error: Cannot start microvm without kernel "
		    "configuration.");
		return;
	}
	if (qemu == NULL || *qemu == '\0')
		qemu = "qemu-system-x86_64";
	if (accel == NULL || strcmp(accel, "kvm") != 0)
		accel = "tcg";

	/*
	 * boot_args, then what Firecracker appends (pci=off without
	 * --enable-pci, the root drive), then what TCG needs.
	 */
	snprintf(cmdline, sizeof(cmdline), "%s pci=off",
	    vm.boot_args != NULL ? vm.boot_args : DEFAULT_CMDLINE);
	if (vm.ndrives > 0 && vm.drives[0].root) {
		if (vm.drives[0].partuuid != NULL)
			snprintf(cmdline + strlen(cmdline),
			    sizeof(cmdline) - strlen(cmdline),
			    " root=PARTUUID=%s", vm.drives[0].partuuid);
		else
			strcat(cmdline, " root=/dev/vda");
		strcat(cmdline, vm.drives[0].read_only ? " ro" : " rw");
	}
	if (strcmp(accel, "tcg") == 0) {
		khz = host_tsc_khz();
		if (khz > 0 && !has_word(cmdline, "tsc_early_khz="))
			snprintf(cmdline + strlen(cmdline),
			    sizeof(cmdline) - strlen(cmdline),
			    " tsc_early_khz=%ld", khz);
		if (vm.vcpus > 1 && !has_word(cmdline, "tsc="))
			strcat(cmdline, " tsc=reliable");
	}
	if (strlen(cmdline) >= CMDLINE_MAX_SIZE) {
		fault(a,
		    "Start microvm error: Invalid kernel command line: Command "
		    "line string too large");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    pipe2(in, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		goto fail;
	}

	argv[0] = NULL;
	add(argv, &argc, "%s", qemu);
	add(argv, &argc, "-M");
	add(argv, &argc, "microvm");
	add(argv, &argc, "-nodefaults");
	add(argv, &argc, "-no-user-config");
	add(argv, &argc, "-display");
	add(argv, &argc, "none");
	add(argv, &argc, "-no-reboot");
	add(argv, &argc, "-accel");
	add(argv, &argc, "%s", accel);
	add(argv, &argc, "-cpu");
	add(argv, &argc, "%s", strcmp(accel, "kvm") == 0 ? "host" : "max");
	add(argv, &argc, "-smp");
	add(argv, &argc, "%d", vm.vcpus);
	add(argv, &argc, "-m");
	add(argv, &argc, "%ldM", vm.mem_mib);
	add(argv, &argc, "-kernel");
	add(argv, &argc, "%s", vm.kernel);
	if (vm.initrd != NULL) {
		add(argv, &argc, "-initrd");
		add(argv, &argc, "%s", vm.initrd);
	}
	add(argv, &argc, "-append");
	add(argv, &argc, "%s", cmdline);
	/* The console: output to our stdout, input from us (SysRq). */
	add(argv, &argc, "-chardev");
	add(argv, &argc, "stdio,id=ser,signal=off");
	add(argv, &argc, "-serial");
	add(argv, &argc, "chardev:ser");
	for (i = 0; i < vm.ndrives; i++) {
		char *p = qemu_escape(vm.drives[i].path);

		if (p == NULL)
			exit(1);
		/* cache_type Unsafe ignores flushes, as cache=unsafe does. */
		add(argv, &argc, "-drive");
		add(argv, &argc,
		    "id=drv%d,if=none,format=raw,cache=%s%s,file=%s", i,
		    vm.drives[i].writeback ? "writeback" : "unsafe",
		    vm.drives[i].read_only ? ",readonly=on" : "", p);
		add(argv, &argc, "-device");
		add(argv, &argc, "virtio-blk-device,drive=drv%d", i);
		free(p);
	}
	for (i = 0; i < vm.nnets; i++) {
		add(argv, &argc, "-netdev");
		add(argv, &argc, "tap,id=net%d,fd=%d", i, vm.nets[i].fd);
		add(argv, &argc, "-device");
		if (vm.nets[i].mac != NULL)
			add(argv, &argc,
			    "virtio-net-device,netdev=net%d,mac=%s", i,
			    vm.nets[i].mac);
		else
			add(argv, &argc, "virtio-net-device,netdev=net%d", i);
	}
	add(argv, &argc, "-chardev");
	add(argv, &argc, "socket,id=qmp,fd=%d", sp[1]);
	add(argv, &argc, "-mon");
	add(argv, &argc, "chardev=qmp,mode=control");

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		e = errno;
		for (i = 0; i < argc; i++)
			free(argv[i]);
		goto fail;
	}
	if (pid == 0) {
		/* QEMU dies with us, like a guest dies with Firecracker. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || fcntl(sp[1], F_SETFD, 0) < 0)
			goto child_fail;
		for (i = 0; i < vm.nnets; i++)
			if (fcntl(vm.nets[i].fd, F_SETFD, 0) < 0)
				goto child_fail;
		execvp(argv[0], argv);
child_fail:
		e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	for (i = 0; i < argc; i++)
		free(argv[i]);
	close(sp[1]);
	close(in[0]);
	close(ep[1]);
	sp[1] = in[0] = ep[1] = -1;
	do
		got = read(ep[0], &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	close(ep[0]);
	ep[0] = -1;
	if (got == sizeof(e)) {
		waitpid(pid, NULL, 0);
		goto fail;
	}
	vm.qemu = pid;
	vm.qmp = sp[0];
	vm.serial_in = in[1];
	sp[0] = in[1] = -1;
	/* The greeting, then leave capabilities negotiation mode. */
	if (qmp_command("{\"execute\":\"qmp_capabilities\"}", 30000, why,
		sizeof(why)) < 0) {
		kill(vm.qemu, SIGKILL);
		waitpid(vm.qemu, &status, 0);
		close(vm.qmp);
		close(vm.serial_in);
		vm.qemu = vm.qmp = vm.serial_in = -1;
		fault(a,
		    "Start microvm error: Internal error while starting "
		    "microVM: fc-fixture: %s did not start (%s; its stderr says "
		    "why)",
		    qemu, why);
		return;
	}
	vm.started = true;
	vm.nopnp =
	    sets_nopnp(vm.boot_args != NULL ? vm.boot_args : DEFAULT_CMDLINE);
	logf_("InstanceStart: %s running as pid %d", qemu, (int)vm.qemu);
	no_content(a);
	return;
fail:
	for (i = 0; i < 2; i++) {
		if (sp[i] >= 0)
			close(sp[i]);
		if (in[i] >= 0)
			close(in[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	fault(a,
	    "Start microvm error: Internal error while starting microVM: "
	    "fc-fixture: cannot run %s: %s",
	    qemu, os_error(e, eb, sizeof(eb)));
}

/*
 * One step of the guest's clean reboot: a break on the serial line arms
 * SysRq, the next character is the command.
 */
static void
sysrq_step(void)
{
	static const char keys[] = "sub";
	char why[256] = "cannot write to the console";

	if (qmp_command("{\"execute\":\"chardev-send-break\","
			"\"arguments\":{\"id\":\"ser\"}}",
		5000, why, sizeof(why)) < 0 ||
	    write(vm.serial_in, &keys[vm.sysrq_step - 1], 1) != 1)
		logf_("SendCtrlAltDel: SysRq %c failed: %s",
		    keys[vm.sysrq_step - 1], why);
	vm.sysrq_step = vm.sysrq_step == 3 ? 0 : vm.sysrq_step + 1;
	vm.sysrq_at = now_ms() + 1000;
}

/* ---- PUT /actions -------------------------------------------------- */

static const char *const action_v[] = { "FlushMetrics", "InstanceStart",
	"SendCtrlAltDel", NULL };

static void
put_actions(struct answer *a, const char *body)
{
	static const struct fdef defs[] = {
		{ "action_type", T_ENUM, true, action_v },
	};
	const cJSON *v[1];
	cJSON *root;
	const char *t;

	if (parse_struct(a, body, "ActionBody", defs, 1, v, &root) < 0)
		goto out;
	t = str(v[0]);
	if (strcmp(t, "InstanceStart") == 0) {
		char *d = rust_debug_str(body);

		/* Firecracker logs every request so; the fixture just this. */
		if (d != NULL)
			fc_log("fc_api",
			    "The API server received a Put "
			    "request on \"/actions\" with body %s.",
			    d);
		free(d);
		if (vm.started)
			fault(a, "%s", post_boot);
		else
			instance_start(a);
	} else if (!vm.started)
		fault(a, "%s", pre_boot);
	else if (strcmp(t, "SendCtrlAltDel") == 0 && vm.nopnp) {
		/* Firecracker >= 1.12 presses the keys; the guest is deaf. */
		logf_("SendCtrlAltDel: i8042.nopnp on the guest's command "
		      "line: the guest cannot see it (Firecracker >= 1.12), "
		      "nothing sent");
		no_content(a);
	} else if (strcmp(t, "SendCtrlAltDel") == 0) {
		logf_("SendCtrlAltDel: guest SysRq s, u, b");
		if (vm.sysrq_step == 0) {
			vm.sysrq_step = 1;
			sysrq_step();
		}
		no_content(a);
	} else
		no_content(a); /* FlushMetrics: no metrics configured */
out:
	cJSON_Delete(root);
}

/* ---- routing (parsed_request.rs) ----------------------------------- */

static void
route(struct answer *a, const char *method, const char *uri, const char *body)
{
	char path[LINE_MAX_BYTES], *tok, *id = NULL, *q;
	bool has_body = body != NULL;

	snprintf(path, sizeof(path), "%s", uri);
	q = strchr(path, '?');
	if (q != NULL)
		*q = '\0';
	/* Trim leading '/', split on '/': the resource, then its id. */
	tok = path + strspn(path, "/");
	q = strchr(tok, '/');
	if (q != NULL) {
		*q = '\0';
		id = q + 1;
		q = strchr(id, '/');
		if (q != NULL)
			*q = '\0';
	}
	if (strcmp(method, "GET") == 0) {
		if (has_body) {
			fault(a, "GET request cannot have a body.");
		} else if (*tok == '\0')
			get_instance_info(a);
		else if (strcmp(tok, "version") == 0) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddStringToObject(j, "firecracker_version",
			    FC_VERSION);
			answer_json(a, 200, j);
		} else if (strcmp(tok, "machine-config") == 0)
			answer_json(a, 200, machine_config_json());
		else if (strcmp(tok, "vm") == 0 && id != NULL &&
		    strcmp(id, "config") == 0)
			get_vm_config(a);
		else if (strcmp(tok, "balloon") == 0 ||
		    strcmp(tok, "mmds") == 0)
			fault(a,
			    "fc-fixture: GET /%s is not implemented by this fixture",
			    tok);
		else
			fault(a, "Invalid request method and/or path: GET %s.",
			    tok);
		return;
	}
	if (strcmp(method, "PUT") == 0) {
		if (!has_body)
			fault(a, "Empty PUT request.");
		else if (strcmp(tok, "actions") == 0)
			put_actions(a, body);
		else if (strcmp(tok, "boot-source") == 0)
			put_boot_source(a, body);
		else if (strcmp(tok, "drives") == 0) {
			if (id == NULL)
				fault(a, "The ID cannot be empty.");
			else
				put_drive(a, id, body);
		} else if (strcmp(tok, "machine-config") == 0)
			put_machine_config(a, body);
		else if (strcmp(tok, "network-interfaces") == 0) {
			if (id == NULL)
				fault(a, "The ID cannot be empty.");
			else
				put_net(a, id, body);
		} else if (strcmp(tok, "balloon") == 0 ||
		    strcmp(tok, "cpu-config") == 0 ||
		    strcmp(tok, "logger") == 0 || strcmp(tok, "metrics") == 0 ||
		    strcmp(tok, "mmds") == 0 || strcmp(tok, "snapshot") == 0 ||
		    strcmp(tok, "vsock") == 0 || strcmp(tok, "entropy") == 0)
			fault(a,
			    "fc-fixture: PUT /%s is not implemented by this fixture",
			    tok);
		else
			fault(a, "Invalid request method and/or path: PUT %s.",
			    tok);
		return;
	}
	/* PATCH */
	if (!has_body)
		fault(a, "Empty PATCH request.");
	else if (strcmp(tok, "balloon") == 0 || strcmp(tok, "drives") == 0 ||
	    strcmp(tok, "machine-config") == 0 || strcmp(tok, "mmds") == 0 ||
	    strcmp(tok, "network-interfaces") == 0 || strcmp(tok, "vm") == 0)
		fault(a,
		    "fc-fixture: PATCH /%s is not implemented by this fixture",
		    tok);
	else
		fault(a, "Invalid request method and/or path: PATCH %s.", tok);
}

/* ---- HTTP connections (micro_http) --------------------------------- */

struct conn {
	int fd;
	char *buf;
	size_t len;
};

static struct conn conns[MAX_CONNECTIONS];

static void
conn_close(struct conn *c)
{
	close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	c->len = 0;
}

static void
send_answer(struct conn *c, const struct answer *a)
{
	char head[256];
	size_t blen = a->body != NULL ? strlen(a->body) : 0;
	int n;

	if (a->status == 204)
		n = snprintf(head, sizeof(head),
		    "HTTP/1.1 204 \r\nServer: "
		    "Firecracker API\r\nConnection: keep-alive\r\n\r\n");
	else
		n = snprintf(head, sizeof(head),
		    "HTTP/1.1 %d \r\nServer: "
		    "Firecracker API\r\nConnection: keep-alive\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\n\r\n",
		    a->status, blen);
	/* Small answers on a unix socket: the buffer takes them whole. */
	if (send(c->fd, head, (size_t)n, MSG_NOSIGNAL) != n ||
	    (blen > 0 &&
		send(c->fd, a->body, blen, MSG_NOSIGNAL) != (ssize_t)blen))
		conn_close(c);
}

/*
 * Parse and serve every complete request in c's buffer.  Returns -1
 * when the connection was closed.
 */
static int
serve(struct conn *c)
{
	for (;;) {
		struct answer a = { 0, NULL, false };
		char *eol, *eoh, *head, *h, *sp1, *sp2, *body = NULL;
		size_t clen = 0, used;

		eol = memmem(c->buf, c->len, "\r\n", 2);
		if ((eol == NULL && c->len >= LINE_MAX_BYTES) ||
		    (eol != NULL && eol - c->buf >= LINE_MAX_BYTES)) {
			http_error(&a, "Invalid request.");
			goto answer;
		}
		eoh = memmem(c->buf, c->len, "\r\n\r\n", 4);
		if (eoh == NULL) {
			if (c->len >= HEAD_MAX_BYTES) {
				http_error(&a, "Invalid request.");
				goto answer;
			}
			return 0;
		}
		/* Parse a copy: the body may still be on its way. */
		used = (size_t)(eoh + 4 - c->buf);
		head = strndup(c->buf, used - 2);
		if (head == NULL)
			exit(1);
		eol = strstr(head, "\r\n");
		*eol = '\0';
		/* Request line: METHOD SP URI SP VERSION. */
		sp1 = strchr(head, ' ');
		sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
		if (sp1 == NULL || sp2 == NULL ||
		    strchr(sp2 + 1, ' ') != NULL) {
			http_error(&a, "Invalid request.");
			goto bad;
		}
		*sp1 = *sp2 = '\0';
		if (strcmp(head, "GET") != 0 && strcmp(head, "PUT") != 0 &&
		    strcmp(head, "PATCH") != 0) {
			http_error(&a,
			    "Invalid HTTP Method: Unsupported HTTP method.");
			goto bad;
		}
		if (strcmp(sp2 + 1, "HTTP/1.1") != 0 &&
		    strcmp(sp2 + 1, "HTTP/1.0") != 0) {
			http_error(&a,
			    "Invalid HTTP Version: Unsupported HTTP version.");
			goto bad;
		}
		if (sp1[1] != '/') {
			http_error(&a, "Invalid URI: Unsupported URI.");
			goto bad;
		}
		/* Headers: Content-Length counts; chunked is not supported. */
		for (h = eol + 2; *h != '\0';) {
			char *e = strstr(h, "\r\n");

			*e = '\0';
			if (e - h >= LINE_MAX_BYTES) {
				http_error(&a, "Invalid request.");
				goto bad;
			}
			if (strncasecmp(h, "Content-Length:", 15) == 0) {
				const char *v = h + 15 + strspn(h + 15, " \t");
				unsigned long long n = 0;
				size_t k;

				for (k = 0;
				     v[k] >= '0' && v[k] <= '9' && k < 12; k++)
					n = n * 10 + (unsigned)(v[k] - '0');
				if (k == 0 ||
				    v[k + strspn(v + k, " \t")] != '\0') {
					http_error(&a,
					    "Invalid header. Reason: Invalid value. "
					    "Key:Content-Length; Value:");
					goto bad;
				}
				if (n > PAYLOAD_MAX) {
					char m[160];

					snprintf(m, sizeof(m),
					    "Request payload with size %llu "
					    "is larger than the limit of %d allowed by server.",
					    n, PAYLOAD_MAX);
					http_error(&a, m);
					goto bad;
				}
				clen = (size_t)n;
			} else if (strncasecmp(h, "Transfer-Encoding:", 18) ==
			    0) {
				http_error(&a,
				    "Invalid header. Reason: Unsupported "
				    "value. Key:Transfer-Encoding; Value:chunked");
				goto bad;
			}
			h = e + 2;
		}
		if (c->len < used + clen) {
			free(head);
			return 0; /* the body is still on its way */
		}
		if (clen > 0) {
			body = malloc(clen + 1);
			if (body == NULL)
				exit(1);
			memcpy(body, c->buf + used, clen);
			body[clen] = '\0';
		}
		route(&a, head, sp1 + 1, body);
		free(body);
		memmove(c->buf, c->buf + used + clen, c->len - used - clen);
		c->len -= used + clen;
bad:
		free(head);
answer:
		send_answer(c, &a);
		free(a.body);
		if (c->fd < 0)
			return -1;
		if (a.close) {
			conn_close(c);
			return -1;
		}
	}
}

static void
conn_read(struct conn *c)
{
	size_t cap = HEAD_MAX_BYTES + PAYLOAD_MAX + 16;
	ssize_t got;

	if (c->buf == NULL && (c->buf = malloc(cap)) == NULL)
		exit(1);
	got = recv(c->fd, c->buf + c->len, cap - c->len, MSG_DONTWAIT);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (got > 0) {
		c->len += (size_t)got;
		serve(c);
	}
}

/* ---- main ---------------------------------------------------------- */

static void
usage_error(const char *msg, const char *arg)
{
	fprintf(stderr,
	    "Error: Arguments parsing error: %s%s%s \n\n"
	    "For more information try --help.\n",
	    msg, arg ? arg : "",
	    arg ? "' which wasn't expected, or isn't valid in this context." :
		  "");
	exit(153);
}

static bool
id_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 &&
	    strspn(s,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

/* FC_FIXTURE_LISTEN_DELAY_MS: 0..LISTEN_DELAY_MAX_MS, or -1. */
static long
listen_delay_ms(void)
{
	const char *e = getenv("FC_FIXTURE_LISTEN_DELAY_MS");
	char *end;
	long ms;

	if (e == NULL || *e == '\0')
		return 0;
	errno = 0;
	ms = strtol(e, &end, 10);
	if (errno != 0 || *end != '\0' || *e < '0' || *e > '9' || ms < 0 ||
	    ms > LISTEN_DELAY_MAX_MS) {
		fprintf(stderr,
		    "%s: FC_FIXTURE_LISTEN_DELAY_MS: want 0 to %d "
		    "(milliseconds), not \"%.32s\"\n",
		    prog, LISTEN_DELAY_MAX_MS, e);
		return -1;
	}
	return ms;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * --log-path: Firecracker's LOGGER.update() opens an existing file or
 * FIFO, never creates one; a failure ends the start, reported as
 * main() reports any error (the logger still on stdout).
 */
static int
open_log(const char *path)
{
	char eb[256];
	int fd, e;

	fd = open(path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		log_fd = fd;
		return 0;
	}
	e = errno;
	fc_log("main",
	    "Could not initialize logger: Failed to open target file: %s",
	    os_error(e, eb, sizeof(eb)));
	fprintf(stderr, "Error: LoggerInitialization(LoggerUpdateError(%s))\n",
	    os_error_debug(e, eb, sizeof(eb)));
	fc_log("main", "Firecracker exiting with error. exit_code=1");
	return -1;
}

/* The API socket could not be set up: Firecracker's words, exit 1. */
static int
api_sock_error(const char *path)
{
	if (errno == EADDRINUSE)
		fprintf(stderr,
		    "Error: RunWithApi(FailedToBindSocket(\"%s\"))\n", path);
	else
		fprintf(stderr,
		    "Error: RunWithApi("
		    "FailedToBindAndRunHttpServer(IOError(%s)))\n",
		    strerror(errno));
	fc_log("main", "Firecracker exiting with error. exit_code=1");
	return 1;
}

int
main(int argc, char **argv)
{
	const char *api_sock = "/run/firecracker.socket", *log_path = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, i, status;
	long delay;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--version") == 0) {
			printf("Firecracker v%s\n\n", FC_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0) {
			printf("fc-fixture: a Firecracker v%s API stand-in for tests\n"
			       "usage: %s --api-sock PATH [--id ID] "
			       "[--log-path PATH]\n",
			    FC_VERSION, argv[0]);
			return 0;
		} else if (strcmp(a, "--api-sock") == 0 ||
		    strcmp(a, "--id") == 0 || strcmp(a, "--level") == 0 ||
		    strcmp(a, "--log-path") == 0) {
			if (i + 1 >= argc)
				usage_error(
				    "The argument was provided without value: ",
				    NULL);
			if (strcmp(a, "--api-sock") == 0)
				api_sock = argv[++i];
			else if (strcmp(a, "--log-path") == 0)
				log_path = argv[++i];
			else if (strcmp(a, "--id") == 0) {
				vm.id = argv[++i];
				if (!id_valid(vm.id)) {
					fprintf(stderr,
					    "Invalid instance ID: %s\n", vm.id);
					return 1;
				}
			} else
				i++;
		} else if (strcmp(a, "--no-seccomp") == 0 ||
		    strcmp(a, "--show-level") == 0 ||
		    strcmp(a, "--show-log-origin") == 0 ||
		    strcmp(a, "--boot-timer") == 0)
			continue;
		else if (strcmp(a, "--config-file") == 0 ||
		    strcmp(a, "--no-api") == 0) {
			fprintf(stderr, "%s: %s is not implemented\n", prog, a);
			return 153;
		} else
			usage_error("Found argument '", a);
	}
	if ((delay = listen_delay_ms()) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (log_path != NULL && open_log(log_path) < 0)
		return 1;
	fc_log("main", "Running Firecracker v%s", FC_VERSION);
	for (i = 0; i < MAX_NETS; i++)
		vm.nets[i].fd = -1;
	for (i = 0; i < MAX_CONNECTIONS; i++)
		conns[i].fd = -1;

	/* Like micro_http's UnixListener::bind: an existing path is an error. */
	if (strlen(api_sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr,
		    "Error: RunWithApi(FailedToBindAndRunHttpServer("
		    "IOError(\"path too long\")))\n");
		fc_log("main", "Firecracker exiting with error. exit_code=1");
		return 1;
	}
	strcpy(sa.sun_path, api_sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return api_sock_error(api_sock);
	/* Bound, not listening yet: a connect now is refused. */
	if (delay > 0)
		sleep_ms(delay);
	if (listen(lfd, 128) < 0)
		return api_sock_error(api_sock);
	logf_("Firecracker v%s API on %s", FC_VERSION, api_sock);

	for (;;) {
		struct pollfd p[MAX_CONNECTIONS + 2];
		int np = 0, timeout = vm.qemu > 0 ? 100 : -1;

		p[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = vm.qmp, .events = POLLIN };
		for (i = 0; i < MAX_CONNECTIONS; i++)
			p[np++] = (struct pollfd){ .fd = conns[i].fd,
				.events = POLLIN };
		if (vm.sysrq_step > 0) {
			int64_t left = vm.sysrq_at - now_ms();

			timeout = left < 0 ? 0 :
			    left < timeout ? (int)left :
					     timeout;
		}
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			logf_("poll: %s", strerror(errno));
			return fc_exit(1);
		}
		/* QEMU gone: the guest rebooted (or died); so do we. */
		if (vm.qemu > 0 &&
		    waitpid(vm.qemu, &status, WNOHANG) == vm.qemu) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				logf_("the guest rebooted: exiting");
				return fc_exit(0);
			}
			logf_("QEMU ended with %s %d",
			    WIFEXITED(status) ? "status" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) :
						WTERMSIG(status));
			return fc_exit(1);
		}
		if (vm.sysrq_step > 0 && now_ms() >= vm.sysrq_at)
			sysrq_step();
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char junk[4096];

			/* Events nobody asked for; EOF means QEMU is ending. */
			if (recv(vm.qmp, junk, sizeof(junk), MSG_DONTWAIT) ==
			    0) {
				close(vm.qmp);
				vm.qmp = -1;
			}
		}
		if (p[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL,
			    SOCK_CLOEXEC | SOCK_NONBLOCK);

			for (i = 0; fd >= 0 && i < MAX_CONNECTIONS; i++)
				if (conns[i].fd < 0) {
					conns[i].fd = fd;
					break;
				}
			if (fd >= 0 && i == MAX_CONNECTIONS)
				close(fd);
		}
		for (i = 0; i < MAX_CONNECTIONS; i++)
			if (conns[i].fd >= 0 &&
			    (p[2 + i].revents & (POLLIN | POLLHUP)) &&
			    p[2 + i].fd == conns[i].fd)
				conn_read(&conns[i]);
	}
}
