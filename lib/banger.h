/*
 * banger.h — the interface of libbanger, the code every helper and the
 * CLI share.  Conventions (shared/STYLE.md): functions return 0 or a
 * positive count on success and -errno on failure; they never exit and
 * never log.  Where a caller needs words for the user, a function takes
 * a struct bg_err * and fills it (code + message) on failure.
 */
#ifndef BANGER_H
#define BANGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* Exit codes (execline/s6). */
#define BG_EXIT_OK 0
#define BG_EXIT_NO 1     /* an expected "no": not found, busy, denied */
#define BG_EXIT_USAGE 100 /* bad usage or request: don't retry */
#define BG_EXIT_BUG 101
#define BG_EXIT_TEMP 111 /* temporary failure: a syscall failed */

/* Limits. */
#define BG_NAME_MAX 63
#define BG_VERB_MAX 32
#define BG_REQ_MAX 65536          /* one request line, newline excluded */
#define BG_ANSWER_LINE_MAX (1 << 20) /* one answer line read by clients */
#define BG_READ_TIMEOUT_MS 10000  /* deadline for reading a request */

/* VM size limits: one table for flags, config and vm.json. */
#define BG_VCPU_MIN 1
#define BG_VCPU_MAX 32              /* Firecracker's maximum */
#define BG_MEMORY_MIN_MIB 128
#define BG_MEMORY_MAX_MIB 1048576   /* 1 TiB */
#define BG_DISK_MIN (1ULL << 30)    /* 1 GiB */
#define BG_DISK_MAX (16ULL << 40)   /* 16 TiB */

/* ---- errors (lib/err.c) ------------------------------------------ */

/*
 * A machine code (the protocol's error.code, e.g. "not_found") and a
 * sentence for the user that names the thing and what to do next.
 */
struct bg_err {
	char code[32];
	char msg[1024];
};

void bg_err_set(struct bg_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The exit code for a protocol error code (one table for CLI and helpers). */
int bg_exit_for_code(const char *code);

/* ---- names (lib/name.c) ------------------------------------------ */

/* [a-z0-9][a-z0-9-]{0,62}: safe as one path component everywhere. */
bool bg_name_valid(const char *s);
/* Image/kernel names: also single inner dots ("debian-6.1.0-56-amd64"). */
bool bg_artifact_name_valid(const char *s);
/* [a-z0-9-]{1,32}: a protocol verb. */
bool bg_verb_valid(const char *s);

/* ---- paths (lib/path.c) ------------------------------------------ */

/*
 * Every root is compiled in; BANGER_ROOT=DIR (absolute, no "..")
 * prefixes all of them so tests run on a private tree.
 */
enum bg_dir {
	BG_DIR_ETC,     /* /etc/banger */
	BG_DIR_STATE,   /* /var/lib/banger */
	BG_DIR_CACHE,   /* /var/cache/banger */
	BG_DIR_RUN,     /* /run/banger */
	BG_DIR_ROOTRUN, /* /run/banger-root */
};

/* The root directory d, with BANGER_ROOT applied. -EINVAL on a bad BANGER_ROOT. */
int bg_path_dir(enum bg_dir d, char *buf, size_t n);
/*
 * dir d + "/" + sub (a fixed, compiled-in relative path, may be NULL)
 * + "/" + name (validated with bg_artifact_name_valid, a superset of
 * bg_name_valid; may be NULL) + "/" + file
 * (fixed, may be NULL).  -EINVAL for an invalid name, -ENAMETOOLONG.
 */
int bg_path_build(char *buf, size_t n, enum bg_dir d, const char *sub,
    const char *name, const char *file);
/* The owner socket: $BANGER_SOCKET or RUN/bangerd.sock. */
int bg_path_socket(char *buf, size_t n);
/* The root socket: $BANGER_ROOT_SOCKET or ROOTRUN/bangerd-root.sock. */
int bg_path_root_socket(char *buf, size_t n);
/*
 * Directory of the helpers: $BANGER_LIBEXECDIR (absolute) or the
 * compiled-in BG_LIBEXECDIR.
 */
int bg_path_libexec(char *buf, size_t n);
/*
 * Open rel beneath dirfd (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS):
 * no symlink, no "..", no absolute path is followed.  O_CLOEXEC added.
 */
int bg_openat_beneath(int dirfd, const char *rel, int flags, mode_t mode);
/*
 * The directory rel (e.g. "vms/NAME") under root d, created with mode
 * where missing, walked component by component without following
 * symlinks.  Returns an O_DIRECTORY fd.
 */
int bg_state_dir(enum bg_dir d, const char *rel, mode_t mode);
/* LIBEXECDIR/<prefix><verb> (verb checked with bg_verb_valid). */
int bg_path_helper(char *buf, size_t n, const char *prefix, const char *verb);
/* mkdir -p with mode for each created component. */
int bg_mkdir_p(const char *path, mode_t mode);

/* ---- I/O (lib/io.c) ---------------------------------------------- */

int64_t bg_now_ms(void);
/* read() that waits at most until deadline_ms (bg_now_ms() clock); -ETIMEDOUT. */
ssize_t bg_read_deadline(int fd, void *buf, size_t n, int64_t deadline_ms);
/* Write all of buf, retrying on EINTR/short writes. */
int bg_write_all(int fd, const void *buf, size_t n);
/*
 * Read a whole regular file of at most cap bytes (NUL-terminated);
 * -EFBIG if larger, -EINVAL if not a regular file (a FIFO never
 * blocks).  With a real dirfd, path is resolved beneath it without
 * following symlinks (state files); AT_FDCWD opens normally (the
 * user's own files, which may be symlinks).
 */
int bg_read_file(int dirfd, const char *path, size_t cap, char **out, size_t *len);
/* Clear FD_CLOEXEC so fd survives exec (the lock-across-exec pattern). */
int bg_fd_inherit(int fd);

/* ---- files of VMs, programs (lib/disk.c, lib/run.c) ------------- */

/* FICLONE src into dst (1), else a sparse copy keeping holes (0); -errno. */
int bg_clone_file(int src, int dst);
/* rm -rf name beneath dirfd, never following symlinks. */
int bg_rm_rf_at(int dirfd, const char *name);
/*
 * Run argv[0] (absolute path) without a shell; stdin/stdout /dev/null;
 * stderr's first bytes go into err on failure.  -ETIMEDOUT kills it.
 */
int bg_run(char *const argv[], int timeout_ms, struct bg_err *err);
/* A host tool by name in the fixed dirs /usr/sbin /usr/bin /sbin /bin (never $PATH). */
const char *bg_find_tool(const char *name, char *buf, size_t n);

/*
 * STATE/ssh/known_hosts: replace VM name's line with "<ip>,<name>.vm
 * <pubkey>", or remove it when pubkey is NULL.  Hold the global lock.
 */
int bg_known_hosts_update(const char *name, const char *ip, const char *pubkey);

/* ---- atomic writes (lib/atomic.c) -------------------------------- */

/* temp file in the same dir, write, fsync, rename, fsync dir. */
int bg_atomic_write(int dirfd, const char *name, const void *buf, size_t len,
    mode_t mode);
int bg_atomic_write_path(const char *path, const void *buf, size_t len,
    mode_t mode);

/* ---- locks (lib/lock.c) ------------------------------------------ */

#define BG_LOCK_NB 1
/*
 * Open (creating, 0644, never through a symlink) and flock(LOCK_EX);
 * returns an O_CLOEXEC fd.  NB: -EWOULDBLOCK if still busy after a few
 * retries over ~100 ms (a concurrent bg_lock_held probe holds a shared
 * lock for microseconds).
 */
int bg_lock_path(const char *path, int flags);
/* The same, for name beneath dirfd (no symlinks). */
int bg_lock_at(int dirfd, const char *name, int flags);
/* 1 if someone holds the lock on path, 0 if free or absent, -errno. */
int bg_lock_held(const char *path);
/* STATE/lock: names, IPs, tap numbers. */
int bg_lock_global(int flags);
/* RUN/vms/<name>/lock, held by the process running the VM. */
int bg_lock_vm(const char *name, int flags);

/* ---- JSON files (lib/json.c) ------------------------------------- */

int bg_json_read_file(int dirfd, const char *path, size_t cap, cJSON **out);
int bg_json_write_file(int dirfd, const char *name, const cJSON *obj, mode_t mode);

/* ---- wire protocol (lib/proto.c) --------------------------------- */

/*
 * Read the verb line byte by byte (no read-ahead: the rest stays on fd
 * for the helper).  verb must hold BG_VERB_MAX + 1 bytes.
 */
int bg_proto_read_verb(int fd, char *verb, int64_t deadline_ms, struct bg_err *err);
/*
 * Read one request line (≤ BG_REQ_MAX), parse exactly one JSON object,
 * check "v" (absent or 1).  Fills err with code "bad_request".
 */
int bg_proto_read_request(int fd, int64_t deadline_ms, cJSON **out, struct bg_err *err);
/*
 * The same, for a request that may be followed by a payload (vm-create's
 * workspace tar): bytes read past the newline are returned in *extra
 * (malloc'd, *extra_len bytes; NULL and 0 when none) instead of refused.
 */
int bg_proto_read_request_payload(int fd, int64_t deadline_ms, cJSON **out,
    char **extra, size_t *extra_len, struct bg_err *err);
/* {"event":EVENT, ...fields}: fields (may be NULL) is consumed. */
int bg_proto_event(int fd, const char *event, cJSON *fields);
/* {"event":"log","message":...} */
int bg_proto_log(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* {"event":"progress","what":...,"done":N,"total":M} */
int bg_proto_progress(int fd, const char *what, uint64_t done, uint64_t total);
/* Read (never wait) what a client already sent, so closing is clean. */
void bg_proto_drain(int fd);
/* Final lines.  result is consumed (NULL means {}). */
int bg_proto_ok(int fd, cJSON *result);
int bg_proto_fail(int fd, const struct bg_err *err);

/* Client side: reads answer lines (≤ BG_ANSWER_LINE_MAX). */
struct bg_linereader {
	int fd;
	char *buf;
	size_t len, off;
	size_t cap;
};
void bg_linereader_init(struct bg_linereader *lr, int fd);
/* 1 and *line (NUL-terminated, valid until the next call) per line, 0 at EOF, -errno. */
int bg_linereader_next(struct bg_linereader *lr, char **line, int64_t deadline_ms);
void bg_linereader_free(struct bg_linereader *lr);
/* Connect to a unix stream socket (O_CLOEXEC).  -errno. */
int bg_unix_connect(const char *path);

/*
 * One request over a banger socket from inside a helper (lib/call.c):
 * events go to on_event (may be NULL), the result is returned; an
 * error answer becomes err (remote code and message) and -EREMOTEIO.
 */
int bg_call(const char *sock, const char *verb, const cJSON *req,
    int timeout_ms, void (*on_event)(const cJSON *ev, void *arg), void *arg,
    cJSON **result, struct bg_err *err);
/* The same on the root socket (bg_path_root_socket). */
int bg_root_call(const char *verb, const cJSON *req, int timeout_ms,
    cJSON **result, struct bg_err *err);

/* ---- identity (lib/peer.c) --------------------------------------- */

/* SO_PEERCRED of fd; -ENOTSOCK when fd is not a unix socket (pipe, tty). */
int bg_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid);
/*
 * The owner uid: owner_uid in ETC/install.toml, else (not installed)
 * the uid this process runs as.  require_install: fail with -ENOENT
 * instead of falling back (root helpers).
 */
int bg_owner_uid(uid_t *out, bool require_install, struct bg_err *err);
/* The same with the owner's gid (owner_gid in install.toml, else = uid). */
int bg_owner(uid_t *uid, gid_t *gid, bool require_install, struct bg_err *err);
/*
 * Allow fd's peer if it is the owner or root; a non-socket fd (a pipe
 * from whoever ran us) is allowed.  -EPERM with err filled otherwise.
 */
int bg_peer_check(int fd, bool require_install, struct bg_err *err);

/* ---- helper scaffolding (lib/helper.c) --------------------------- */

struct bg_helper {
	const char *verb;
	cJSON *req;      /* the request object (owned) */
	uid_t peer_uid;  /* SO_PEERCRED uid, or getuid() on a pipe */
	bool peer_is_socket;
	char *extra;     /* bg_helper_begin_payload: payload bytes read ahead */
	size_t extra_len, extra_off;
};
/*
 * The start of every helper's main(): checks stdin's peer, reads and
 * parses the request.  On failure it has already written the final
 * error line to stdout and returns the exit code to return from main;
 * on success returns 0.
 */
int bg_helper_begin(struct bg_helper *h, const char *verb, bool root_side);
/*
 * The same for a helper whose request may be followed by a payload on
 * stdin (owner side only); read it with bg_helper_payload_read.  A
 * helper that finds no use for the payload must refuse extra bytes
 * with bg_helper_no_payload.
 */
int bg_helper_begin_payload(struct bg_helper *h, const char *verb);
/* Up to n payload bytes: the read-ahead first, then stdin; 0 at EOF. */
ssize_t bg_helper_payload_read(struct bg_helper *h, void *buf, size_t n, int64_t deadline_ms);
/* -EPROTO with err filled if payload bytes were read ahead. */
int bg_helper_no_payload(const struct bg_helper *h, struct bg_err *err);
/* Refuse keys of req that are not in allowed (NULL-terminated).  Fills err. */
int bg_helper_check_keys(const cJSON *req, const char *const *allowed, struct bg_err *err);
/* req's "name", a valid VM name, or NULL with err filled (bad_request). */
const char *bg_req_name(const cJSON *req, struct bg_err *err);
/* req's key, a valid image or kernel name, or NULL with err filled. */
const char *bg_req_artifact(const cJSON *req, const char *key, struct bg_err *err);
/* req's "index", a VM slot (2..254), or -EINVAL with err filled. */
int bg_req_index(const cJSON *req, struct bg_err *err);
/* Write the final ok line, free h; returns 0 or 111 if stdout failed. */
int bg_helper_ok(struct bg_helper *h, cJSON *result);
/* Write the final error line, free h; returns bg_exit_for_code(err->code). */
int bg_helper_fail(struct bg_helper *h, const struct bg_err *err);

/* ---- UTF-8 (lib/utf8.c) ----------------------------------------- */

/*
 * One UTF-8 character at s, not reading at or past end: its length, or
 * 0 if the bytes are not UTF-8 (truncated, overlong, a surrogate, above
 * U+10FFFF).
 */
int bg_utf8_decode(const char *s, const char *end, uint32_t *cp);
/* C0, DEL and C1: what a terminal may act on. */
bool bg_is_control(uint32_t c);

/* ---- installed images and kernels (lib/artifact.c) -------------- */

/*
 * The entries of STATE/<kind>/ ("images" or "kernels") as a JSON array
 * sorted by name: {"name","state":"ready","version","bytes",...} from
 * each manifest.json, or {"name","state":"broken","error"}.
 */
int bg_artifact_list(const char *kind, cJSON **out, struct bg_err *err);
/* The whole of image-list and kernel-list: {"v":1} -> {kind:[...]}. */
int bg_artifact_list_helper(const char *verb, const char *kind);

/* ---- tar streams (lib/untar.c) ---------------------------------- */

/* Fill buf with up to n bytes: the count, 0 at the end, or -errno. */
typedef ssize_t bg_untar_read_fn(void *arg, void *buf, size_t n);
struct bg_untar_limits {
	uint64_t max_bytes;     /* all regular files together */
	uint64_t max_entries;
};
struct bg_untar_stats {
	uint64_t bytes, entries;
};
/*
 * Unpack the tar stream (one archive or concatenated ones) beneath the
 * directory dirfd: files, directories, symlinks and hard links only,
 * nothing outside it, owners not restored, no setuid/setgid bits.
 * 0, or -errno with err filled (bad_request: the stream's fault).
 */
int bg_untar(int dirfd, bg_untar_read_fn *rd, void *arg,
    const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err);
/*
 * The checks without the writing, for other sinks: each entry that
 * passes (cleaned relative path; hardlink cleaned or NULL; perm without
 * setuid/setgid) goes to entry(), which reads its data from in
 * (archive_read_data) and returns 0 or -errno with err filled.
 */
struct archive;
struct archive_entry;
struct bg_untar_sink {
	void *ctx;
	int (*entry)(void *ctx, struct archive *in, struct archive_entry *e,
	    const char *path, const char *hardlink, struct bg_err *err);
};
int bg_untar_stream(bg_untar_read_fn *rd, void *arg,
    const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    const struct bg_untar_sink *sink, struct bg_err *err);
/*
 * Unpack the tar stream straight into the ext4 file system in the
 * image file at image (not mounted, no root needed: libext2fs), under
 * the top-level directory dir (made 0755 if missing): every file
 * root:root, modes (no setuid/setgid), symlinks, hard links and
 * modification times kept; nothing is ever followed through a
 * symlink, and an entry that exists already is refused (directories
 * excepted).  lib/ext4-untar.c.
 */
int bg_ext4_untar(const char *image, const char *dir, bg_untar_read_fn *rd,
    void *arg, const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err);

/* ---- host network (lib/net-*.c; root side) ---------------------- */

#define BG_BRIDGE "br-fc"
#define BG_BRIDGE_ADDR "172.16.0.1"
#define BG_BRIDGE_PREFIX 24
#define BG_SUBNET "172.16.0.0/24"
#define BG_TAP_PREFIX "bgtap"
#define BG_NET_INDEX_MIN 2   /* .2 .. .254: guest addresses and tap numbers */
#define BG_NET_INDEX_MAX 254

/* "bgtapN" for N in BG_NET_INDEX_MIN..MAX, else -EINVAL. */
int bg_net_tap_name(int index, char *buf, size_t n);
/* Create the bridge if missing, set its address, bring it up.  Idempotent. */
int bg_net_bridge_ensure(const char *name, const char *addr, int prefix);
/* Persistent tap owned by uid:gid, attached to bridge, up.  Idempotent. */
int bg_net_tap_ensure(const char *name, uid_t uid, gid_t gid, const char *bridge);
/* Remove a persistent tap; 0 if it did not exist. */
int bg_net_tap_delete(const char *name);
/* 1 if the interface exists, 0 if not. */
int bg_net_link_exists(const char *name);
/* net.ipv4.ip_forward = 1 (in the current network namespace). */
int bg_net_ip_forward(void);
/* banger's own nftables table: NAT masquerade + forward accept.  Idempotent. */
int bg_net_nft_ensure(const char *bridge, const char *subnet, struct bg_err *err);

/* ---- VMs (lib/vm.c) --------------------------------------------- */

/* One VM's spec and allocations: the content of vm.json (vm-lifecycle.md). */
struct bg_vm {
	char name[BG_NAME_MAX + 1];
	char status[16];              /* "creating" | "created" */
	char image[BG_NAME_MAX + 1];
	char kernel[BG_NAME_MAX + 1];
	int vcpu;                     /* BG_VCPU_MIN..BG_VCPU_MAX */
	long memory_mib;              /* BG_MEMORY_MIN_MIB..BG_MEMORY_MAX_MIB */
	uint64_t disk_bytes;          /* work disk size, BG_DISK_MIN..BG_DISK_MAX */
	int slot;                     /* 2..254 */
	char ip[16];                  /* 172.16.0.<slot> (derived) */
	char mac[18];                 /* 06:00:ac:10:00:<slot hex> (derived) */
	char tap[16];                 /* bgtap<slot> (derived) */
	char vmm[16];                 /* "qemu" | "firecracker" */
	char accel[8];                /* "tcg" | "kvm" (qemu only) */
	char created_at[32];          /* RFC 3339 UTC */
};

/*
 * Fill vm from a vm.json object, validating every field (names, ranges,
 * enums) and deriving ip/mac/tap from slot (stored values must agree).
 * Used on the root side too: nothing unvalidated comes out of it.
 */
int bg_vm_from_json(const cJSON *j, struct bg_vm *vm, struct bg_err *err);
cJSON *bg_vm_to_json(const struct bg_vm *vm);
/* Derive ip, mac and tap from vm->slot. */
int bg_vm_derive(struct bg_vm *vm);
/* Read / write STATE/vms/<name>/vm.json. */
int bg_vm_load(const char *name, struct bg_vm *vm, struct bg_err *err);
int bg_vm_save(const struct bg_vm *vm);

/* Every file of a VM, rebuilt from validated names (never from a request). */
struct bg_vm_paths {
	char dir[PATH_MAX];      /* STATE/vms/<name> */
	char vmjson[PATH_MAX];
	char rootfs[PATH_MAX];
	char work[PATH_MAX];
	char serial[PATH_MAX];
	char create_lock[PATH_MAX];
	char rundir[PATH_MAX];   /* RUN/vms/<name> */
	char lock[PATH_MAX];
	char sock[PATH_MAX];     /* vmm.sock */
	char kernel[PATH_MAX];   /* STATE/kernels/<kernel>/vmlinux */
	char initrd[PATH_MAX];   /* STATE/kernels/<kernel>/initrd.img */
	char image_rootfs[PATH_MAX]; /* STATE/images/<image>/rootfs.ext4 */
};
int bg_vm_paths(const struct bg_vm *vm, struct bg_vm_paths *p);

/*
 * The kernel command line: "console=ttyS0 reboot=k panic=1 ... banger.ip=
 * banger.gw= banger.dns= banger.hostname=", plus under TCG
 * tsc_early_khz=<tsc_khz> (and tsc=reliable with more than one vCPU).
 */
int bg_vm_cmdline(const struct bg_vm *vm, const char *dns, bool tcg,
    long tsc_khz, char *buf, size_t n);
/* The host TSC in kHz from /proc/cpuinfo ("cpu MHz"), or -errno. */
long bg_host_tsc_khz(void);

/*
 * Remove a stopped VM completely (lib/vm-destroy.c): tap via the root
 * helper (if it exists; slot -1 when unknown), known_hosts line, run
 * and state directories.  Caller holds the global lock.
 */
int bg_vm_destroy(const char *name, int slot, struct bg_err *err);

/* Wait until the VM lock is free: 0, or -ETIMEDOUT (lib/vm-kill.c). */
int bg_vm_wait_stopped(const struct bg_vm_paths *p, int timeout_ms);
/* Signal the VMM (pid from RUN/vms/<name>/pid, written by vmm-exec). */
int bg_vm_signal(const struct bg_vm *vm, int sig);

/* ---- VMM drivers (lib/vmm-qemu.c, lib/vmm-firecracker.c) --------- */

/*
 * QEMU microvm argv (NULL-terminated, malloc'd; free with
 * bg_argv_free): -M microvm -nodefaults -no-user-config, virtio-mmio
 * disks and net, serial appended to serial.log, QMP on vmm.sock,
 * -no-reboot, accel per vm->accel.
 */
int bg_qemu_argv(const struct bg_vm *vm, const struct bg_vm_paths *p,
    const char *qemu_bin, const char *cmdline, char ***argv);
void bg_argv_free(char **argv);
/*
 * A VMM's control socket (both drivers): a non-blocking O_CLOEXEC
 * connect that gives up at deadline_ms (-ETIMEDOUT) instead of
 * blocking on a full backlog; and a send of all of buf by deadline_ms
 * that never raises SIGPIPE.
 */
int bg_vmm_connect(const char *sock, int64_t deadline_ms);
int bg_vmm_send(int fd, const void *buf, size_t n, int64_t deadline_ms);
/* One QMP command ("quit", "system_powerdown", "query-status"); *reply may be NULL. */
int bg_qmp(const char *sock, const char *command, cJSON **reply,
    int timeout_ms, struct bg_err *err);

/* firecracker argv: --api-sock vmm.sock (config comes over the API). */
int bg_fc_argv(const struct bg_vm_paths *p, const char *fc_bin, char ***argv);
/*
 * One HTTP/1.1 request on Firecracker's API socket; *status is the
 * HTTP status; on 4xx/5xx err carries fault_message.
 */
int bg_fc_request(const char *sock, const char *method, const char *path,
    const char *body, int *status, cJSON **reply, int timeout_ms,
    struct bg_err *err);
/* machine-config, boot-source, drives, network-interfaces, then InstanceStart. */
int bg_fc_boot(const char *sock, const struct bg_vm *vm,
    const struct bg_vm_paths *p, const char *cmdline, struct bg_err *err);
/* SendCtrlAltDel. */
int bg_fc_ctrl_alt_del(const char *sock, struct bg_err *err);

/*
 * Guest DNS (lib/host-dns.c): the host's non-loopback IPv4 resolvers,
 * comma-separated, at most 3; the bridge address when there are none.
 */
int bg_host_dns(char *buf, size_t n);

/* ---- TOML (lib/toml.c) ------------------------------------------- */

enum bg_toml_type {
	BG_TOML_TABLE,
	BG_TOML_ARRAY,
	BG_TOML_STRING,
	BG_TOML_INT,
	BG_TOML_BOOL,
};

/* A node of the parsed document.  Tables and arrays keep children in order. */
struct bg_toml {
	enum bg_toml_type type;
	int line, col;          /* 1-based, where the key (or header) starts */
	char *key;              /* in the parent table; NULL in arrays and root */
	char *s;                /* STRING (UTF-8, NUL-free) */
	long long i;            /* INT */
	bool b;                 /* BOOL */
	struct bg_toml *child, *last, *next;
	size_t n;               /* children */
	int flags;              /* parser bookkeeping */
};

/* Parse; on error err->msg is "FILE:LINE:COL: message", code "bad_config". */
int bg_toml_parse(const char *text, size_t len, const char *filename,
    struct bg_toml **out, struct bg_err *err);
int bg_toml_parse_file(const char *path, struct bg_toml **out, struct bg_err *err);
void bg_toml_free(struct bg_toml *t);
const struct bg_toml *bg_toml_get(const struct bg_toml *table, const char *key);
/*
 * s for a message: control characters (C0, DEL, C1) become '?', and it
 * is cut at a character boundary with "..." to fit n.  Returns buf.
 */
const char *bg_toml_printable(const char *s, char *buf, size_t n);

/* ---- config (lib/config.c) --------------------------------------- */

enum bg_prov {
	BG_PROV_BUILTIN,
	BG_PROV_HOST,
	BG_PROV_CONFIG,
	BG_PROV_FLAG,
};
const char *bg_prov_name(enum bg_prov p); /* "built-in", "host", "config", "flag" */

struct bg_file_sync {
	char *host;   /* as written (~/ or absolute); checked later, at create */
	char *guest;  /* as written (~/ or /root/) */
	unsigned mode;
	bool has_mode;
	int line;
};

struct bg_config {
	char *path;                  /* the file read (or that would be) */
	bool present;                /* the file existed */
	char *default_image_name;    /* default "debian-bookworm" */
	char *ssh_key_path;          /* expanded, absolute */
	char *firecracker_bin;       /* NULL: look on PATH */
	char vmm[16];                /* auto | firecracker | qemu */
	char qemu_accel[8];          /* auto | kvm | tcg */
	long vcpu;
	enum bg_prov vcpu_prov;
	long memory_mib;
	enum bg_prov memory_prov;
	uint64_t disk_bytes;
	enum bg_prov disk_prov;
	struct bg_file_sync *file_sync;
	size_t n_file_sync;
	char **warnings;             /* "FILE:LINE:COL: unknown key 'x'" */
	size_t n_warnings;
};

/* ~/.config/banger/config.toml ($HOME must be set and absolute). */
int bg_config_default_path(char *buf, size_t n);
/* Load path (NULL: default path).  A missing file is not an error. */
int bg_config_load(struct bg_config *c, const char *path, struct bg_err *err);
void bg_config_free(struct bg_config *c);
/* Host heuristics, pure: vcpu = cpus/4 capped at 4, memory = ram/8 capped at 8 GiB, floors. */
void bg_config_heuristics(long host_cpus, uint64_t host_ram_mib, long *vcpu,
    enum bg_prov *vcpu_prov, long *memory_mib, enum bg_prov *memory_prov);
/* "16G", "512M", "1T", "1073741824": bytes.  -EINVAL, -ERANGE. */
int bg_size_parse(const char *s, uint64_t *out);

#endif
