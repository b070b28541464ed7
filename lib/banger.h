/*
 * banger.h — the interface of libbanger, the code every helper and the
 * CLI share.  Conventions (docs/conventions.md): functions return 0 or a
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
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/capability.h>

#include <cjson/cJSON.h>

/* Exit codes (execline/s6). */
#define BG_EXIT_OK 0
#define BG_EXIT_NO 1 /* an expected "no": not found, busy, denied */
#define BG_EXIT_USAGE 100 /* bad usage or request: don't retry */
#define BG_EXIT_BUG 101
#define BG_EXIT_TEMP 111 /* temporary failure: a syscall failed */

/* Limits. */
#define BG_NAME_MAX 63
#define BG_VMM_BIN_MAX 1024 /* a VMM binary path in vm.json */
#define BG_VERB_MAX 32
#define BG_REQ_MAX 65536 /* one request line, newline excluded */
#define BG_ANSWER_LINE_MAX (1 << 20) /* one answer line read by clients */
#define BG_REQ_DEPTH_MAX 64 /* nesting of a request, its object is 1 */
/* From the verb line's first byte to the request line's last, in all. */
#define BG_READ_TIMEOUT_MS 10000
/* The absolute deadline (bg_now_ms), handed from dispatcher to helper. */
#define BG_DEADLINE_ENV "BANGER_DEADLINE_MS"

/* VM size limits: one table for flags, config and vm.json. */
#define BG_VCPU_MIN 1
#define BG_VCPU_MAX 32 /* Firecracker's maximum */
#define BG_MEMORY_MIN_MIB 128
#define BG_MEMORY_MAX_MIB 1048576 /* 1 TiB */
#define BG_DISK_MIN (1ULL << 30) /* 1 GiB */
#define BG_DISK_MAX (16ULL << 40) /* 16 TiB */

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
	BG_DIR_ETC, /* /etc/banger */
	BG_DIR_STATE, /* /var/lib/banger */
	BG_DIR_CACHE, /* /var/cache/banger */
	BG_DIR_RUN, /* /run/banger */
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
 * The directory up steps above the running program's own file
 * (/proc/self/exe): up 1 is its directory.  -errno, -ENAMETOOLONG.
 */
int bg_path_self(char *buf, size_t n, int up);
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

/* ---- socket activation, numbers (lib/listen.c) ------------------ */

/* s is a whole decimal number from lo to hi: true and *out. */
bool bg_parse_long(const char *s, long lo, long hi, long *out);
/*
 * The sockets systemd (or systemd-socket-activate) passed as fds 3..:
 * their count, with LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES removed;
 * 0 when they are not for this process; -EINVAL when LISTEN_FDS is
 * not 1 to max.
 */
int bg_listen_fds(int max);

/* ---- base64 (lib/base64.c) --------------------------------------- */

/* in as base64 with padding, NUL-terminated (4 * ((n + 2) / 3) + 1 bytes). */
void bg_base64_encode(const unsigned char *in, size_t n, char *out);
/*
 * len bytes of padded base64 into out (len / 4 * 3 bytes at most): the
 * decoded length, or -1 when it is not base64.
 */
int bg_base64_decode(const char *s, size_t len, unsigned char *out);

/* ---- I/O (lib/io.c) ---------------------------------------------- */

int64_t bg_now_ms(void);
/* Now, UTC, as "2026-12-07T12:00:00Z" (n >= 21). */
void bg_now_rfc3339(char *buf, size_t n);
/* Bytes from memory, as a bg_untar_read_fn (arg: struct bg_mem_src). */
struct bg_mem_src {
	const void *p;
	size_t left;
};
ssize_t bg_mem_read(void *arg, void *buf, size_t n);
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
int
bg_read_file(int dirfd, const char *path, size_t cap, char **out, size_t *len);
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
/* pipe2(O_CLOEXEC) into p, then fork: the child's pid (0 in the child) or -errno. */
int bg_fork_pipe(int p[2], struct bg_err *err);

/* ---- the host (lib/host.c) --------------------------------------- */

/*
 * A host program: override (an absolute path, or a bare name) when set,
 * else name; a bare name is looked up in /usr/local/sbin, /usr/local/bin,
 * /usr/sbin, /usr/bin, /sbin, /bin — never $PATH, so doctor, the CLI
 * and the launcher find the same file.  0 with buf filled; -ENOENT,
 * -EACCES (not executable), -EISDIR, -EINVAL.
 */
int bg_host_tool(const char *name, const char *override, char *buf, size_t n);
/* Those directories, NULL-terminated (for messages). */
const char *const *bg_host_tool_dirs(void);
/* 0 when /dev/kvm can run a stock guest kernel; else -errno and words in err. */
int bg_host_kvm(struct bg_err *err);
/* systemd is PID 1 (what sd_booted() tests). */
bool bg_host_systemd(void);
/* The commit banger was built from (lib/version.c). */
const char *bg_version(void);

/* ---- the installed layout (lib/install.c) ------------------------- */

enum bg_install_dir {
	BG_INST_BIN, /* BINDIR: the CLI */
	BG_INST_LIBEXEC, /* LIBEXECDIR: the helpers */
	BG_INST_SHARE, /* SHAREDIR: unit templates, conf/ */
	BG_INST_UNITS, /* /etc/systemd/system */
};
/* Compiled in (make's PREFIX); never moved by BANGER_ROOT. */
const char *bg_install_dir(enum bg_install_dir d);
/* banger's unit files, NULL-terminated; and those of earlier versions. */
extern const char *const bg_install_units[];
extern const char *const bg_install_units_old[];
/*
 * bad_request when BANGER_ROOT is set (install works on the host only),
 * or when LIBEXECDIR or SHAREDIR is not a directory of banger's own.
 * Unsets BANGER_SOCKET, BANGER_ROOT_SOCKET and BANGER_LIBEXECDIR: the
 * host's own paths from here on.
 */
int bg_install_refuse_sandbox(const char *what, struct bg_err *err);
/*
 * The .vm routing in systemd-resolved (lib/dns-wire.c), logged as a
 * progress line; never fatal (doctor says why it is missing).
 */
void bg_install_wire_dns(void);
/*
 * systemd and the network, as install and restart leave them: reload,
 * (enable,) banger.service stopped, the three sockets restarted, then
 * bg_net_ensure and bg_install_wire_dns.  Log events on fd 1.
 */
int bg_install_start(bool enable, struct bg_err *err);
/*
 * From install.toml: init ("systemd", the default, or "s6") and, for
 * s6, the scan directory.  -ENOENT when not installed.
 */
int bg_install_init(char *init, size_t n, char *scandir, size_t m);
/* ---- s6 instead of systemd (lib/s6.c) ---- */
extern const char
    *const bg_s6_services[]; /* "banger", "banger-root", "banger-dns" */
/* An absolute scan directory of plain characters, no "..". */
bool bg_s6_scandir_ok(const char *dir);
/* The run script of service svc for the owner (malloc'd), NULL on ENOMEM. */
char *bg_s6_run_script(const char *svc, const char *owner, const char *group,
    uid_t uid, gid_t gid);
/* s6-svc -r both services; s6-svscanctl -a (prune: -an) the scan directory. */
int bg_s6_restart(const char *scandir, struct bg_err *err);
int bg_s6_rescan(const char *scandir, bool prune, struct bg_err *err);
/* systemctl a1 [a2] units...; err says what it printed on failure. */
int bg_systemctl(const char *a1, const char *a2, const char *const *units,
    struct bg_err *err);
/* The host TSC in kHz from /proc/cpuinfo ("cpu MHz"), or -errno. */
long bg_host_tsc_khz(void);

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
 * Open name beneath dirfd (creating, 0644, never through a symlink) and
 * flock(LOCK_EX); returns an O_CLOEXEC fd.  NB: -EWOULDBLOCK if still
 * busy after a few retries over ~100 ms (a concurrent bg_lock_held_at
 * probe holds a shared lock for microseconds).
 */
int bg_lock_at(int dirfd, const char *name, int flags);
/*
 * 1 if someone holds the lock name beneath dirfd (no symlink, a regular
 * file, never blocking), 0 if free or absent (or dirfd < 0), -errno.
 */
int bg_lock_held_at(int dirfd, const char *name);
/* STATE/lock: names, IPs, tap numbers. */
int bg_lock_global(int flags);
/* The same, waiting, with err filled on failure. */
int bg_lock_global_err(struct bg_err *err);

/* ---- JSON files (lib/json.c) ------------------------------------- */

int bg_json_read_file(int dirfd, const char *path, size_t cap, cJSON **out);
int
bg_json_write_file(int dirfd, const char *name, const cJSON *obj, mode_t mode);

/* ---- wire protocol (lib/proto.c) --------------------------------- */

/*
 * Read the verb line byte by byte (no read-ahead: the rest stays on fd
 * for the helper).  verb must hold BG_VERB_MAX + 1 bytes.
 */
int
bg_proto_read_verb(int fd, char *verb, int64_t deadline_ms, struct bg_err *err);
/*
 * Read one request line (≤ BG_REQ_MAX), parse exactly one JSON object,
 * check "v" (absent or 1).  Fills err with code "bad_request".
 */
int bg_proto_read_request(int fd, int64_t deadline_ms, cJSON **out,
    struct bg_err *err);
/*
 * The same, for a request that may be followed by a payload (vm-create's
 * workspace tar): bytes read past the newline are returned in *extra
 * (malloc'd, *extra_len bytes; NULL and 0 when none) instead of refused.
 */
int bg_proto_read_request_payload(int fd, int64_t deadline_ms, cJSON **out,
    char **extra, size_t *extra_len, struct bg_err *err);
/*
 * The deadline for reading the request line: BG_READ_TIMEOUT_MS from
 * now, or sooner if the dispatcher passed an earlier one in
 * BG_DEADLINE_ENV (which is then removed from the environment).
 */
int64_t bg_proto_deadline(void);
/* {"event":EVENT, ...fields}: fields (may be NULL) is consumed. */
int bg_proto_event(int fd, const char *event, cJSON *fields);
/* {"event":"log","message":...} */
int bg_proto_log(int fd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* {"event":"progress","what":...,"done":N,"total":M} */
int bg_proto_progress(int fd, const char *what, uint64_t done, uint64_t total);
/* An object anywhere in j has a key twice (cJSON keeps both). */
bool bg_json_has_duplicate_keys(const cJSON *j);
/*
 * Before cJSON parses len bytes of JSON text: how deep it nests (each
 * '[' and '{' outside a string), and whether a \u0000 escape would cut
 * a C string short of what was checked.
 */
int bg_json_nesting(const char *s, size_t len);
bool bg_json_has_nul_escape(const char *s, size_t len);
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
int
bg_linereader_next(struct bg_linereader *lr, char **line, int64_t deadline_ms);
void bg_linereader_free(struct bg_linereader *lr);
/* Connect to a unix stream socket (O_CLOEXEC).  -errno. */
int bg_unix_connect(const char *path);
/* The same, waiting at most timeout_ms (0: no bound) for a full backlog. */
int bg_unix_connect_timeout(const char *path, int timeout_ms);

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
struct bg_toml;
/*
 * install.toml read: *uid (owner_uid) and the parsed file in *t (NULL
 * when not installed and !require_install: then *uid = geteuid()).
 */
int bg_install_read(uid_t *uid, struct bg_toml **t, char *path, size_t n,
    bool require_install, struct bg_err *err);
/* A uid or gid of install.toml: an integer below 2^32 - 1. */
int bg_install_id(const struct bg_toml *t, const char *key, const char *path,
    long long *out, struct bg_err *err);
/*
 * The same with the owner's group (gid may be NULL): installed, the
 * primary gid of the owner's passwd entry, which owner_gid in
 * install.toml must match (lib/owner.c); not installed, this process's.
 */
int bg_owner(uid_t *uid, gid_t *gid, bool require_install, struct bg_err *err);
/*
 * Allow fd's peer if it is the owner or root; a non-socket fd (a pipe
 * from whoever ran us) is allowed.  -EPERM with err filled otherwise.
 */
int bg_peer_check(int fd, bool require_install, struct bg_err *err);
/* The same against a known owner uid. */
int bg_peer_allow(int fd, uid_t owner, struct bg_err *err);

/* ---- the dispatchers (lib/dispatch.c) ---------------------------- */

struct bg_dispatch {
	const char *prog; /* for diagnostics */
	bool root; /* the root socket: install.toml required */
	const char *prefix; /* of helper names: "" or "root-" */
	const char *const *verbs; /* routed (NULL-terminated) */
	const char *const *planned; /* known, not implemented yet */
	/* May uid use verb?  1 yes; 0 no, -errno: err says why.  NULL: yes. */
	int (*allowed)(uid_t uid, const char *verb, struct bg_err *err);
	char *const *envp; /* the helper's environment; NULL: ours */
	/* Last step before exec (root: narrow the capabilities).  May be NULL. */
	int (*before_exec)(const char *verb, struct bg_err *err);
};
/* Route the connection on stdin to its helper (execs; returns on refusal). */
int bg_dispatch_main(const struct bg_dispatch *d);

/* ---- verbs: one skeleton for every helper (lib/verb.c) ----------- */

/*
 * A helper is a struct bg_verb and a one-line main():
 *
 *   static int act(struct bg_req *rq, cJSON **result, struct bg_err *err);
 *   BG_VERB(.name = "vm-show", .fields = BG_FIELDS(BG_F_NAME), .act = act);
 *
 * bg_verb_main checks the peer, reads the request, checks it against
 * the fields (unknown key, wrong type, out of range, missing: exit 100
 * before anything is touched), runs validate (reads only) and act, and
 * answers; a failure runs the undo steps, is logged on stderr with the
 * verb and the peer, and becomes the error line and the exit code.
 */
enum bg_ftype {
	BG_T_STR, /* 1..max bytes, no control characters, valid() if set */
	BG_T_INT, /* an integer (no fraction) in [min, max] */
	BG_T_BOOL,
	BG_T_ARRAY, /* at most max items; the items are validate's to check */
};

struct bg_field {
	const char *key;
	enum bg_ftype type;
	bool required;
	int64_t min, max; /* INT: range; STR: bytes; ARRAY: items */
	int64_t def; /* INT, BOOL: the value when absent */
	bool (*valid)(const char *s); /* STR: the value's own rule */
	const char *what; /* STR: the rule in words, for the error */
};

#define BG_NAME_WHAT \
	"a VM name: 1-63 of a-z, 0-9 and '-', starting with a letter or digit"
#define BG_ARTIFACT_WHAT \
	"an image or kernel name: 1-63 of a-z, 0-9, '-' and single inner '.'"
/* The request's "name", a VM name. */
#define BG_F_NAME \
	{ \
		.key = "name", .type = BG_T_STR, .required = true, \
		.max = BG_NAME_MAX, .valid = bg_name_valid, \
		.what = BG_NAME_WHAT \
	}
/* An image or kernel name under key k. */
#define BG_F_ARTIFACT(k, req) \
	{ \
		.key = (k), .type = BG_T_STR, .required = (req), \
		.max = BG_NAME_MAX, .valid = bg_artifact_name_valid, \
		.what = BG_ARTIFACT_WHAT \
	}
/* "index": a VM slot, the last octet of its address and its tap number. */
#define BG_F_INDEX \
	{ \
		.key = "index", .type = BG_T_INT, .required = true, \
		.min = BG_NET_INDEX_MIN, .max = BG_NET_INDEX_MAX \
	}
#define BG_F_BOOL(k) \
	{ \
		.key = (k), .type = BG_T_BOOL \
	}

#define BG_VERB_ROOT 0x1 /* root side: the installed owner and root only */
#define BG_VERB_PAYLOAD 0x2 /* bytes may follow the request line (vm-create) */
/*
 * Run by the CLI on this host (system install, uninstall, status),
 * never over a socket: a socket peer is refused, no owner is looked up.
 */
#define BG_VERB_LOCAL 0x4
/* ...and only as root (system install and uninstall, under sudo). */
#define BG_VERB_SUDO 0x8

/* Capability bits of a root verb's descriptor: BG_CAP(CAP_NET_ADMIN) | ... */
#define BG_CAP(c) (UINT64_C(1) << (c))
/*
 * The root verbs' sets (lib/root-verbs.c).  Bridge, taps, nftables:
 * NET_ADMIN.  The VMM launch: read the owner's 0700 state, become the
 * owner.
 */
#define BG_CAPS_NET BG_CAP(CAP_NET_ADMIN)
#define BG_CAPS_VMM_LAUNCH \
	(BG_CAP(CAP_SETUID) | BG_CAP(CAP_SETGID) | BG_CAP(CAP_DAC_READ_SEARCH))

/*
 * One root verb: its name, capability set, and whether its helper is
 * fenced (bg_seccomp_fence: no connect, no signals to others, ...).
 */
struct bg_root_verb {
	const char *name;
	uint64_t caps;
	bool fenced;
};
extern const struct bg_root_verb bg_root_verbs[]; /* ends with { NULL } */
const struct bg_root_verb *bg_root_verb(const char *name);

/* Capabilities (lib/caps.c), as 64-bit masks of BG_CAP(n). */
int bg_caps_read(uint64_t *eff, uint64_t *prm, uint64_t *bnd);
/* Drop every capability not in keep from the bounding set (needs SETPCAP). */
int bg_caps_bound(uint64_t keep);
/*
 * Hold keep at most: bounding set narrowed (when it holds more),
 * ambient and inheritable cleared, permitted = effective = keep &
 * permitted.
 */
int bg_caps_limit(uint64_t keep);
/* "CAP_NET_ADMIN", for messages. */
const char *bg_cap_name(int c);
/*
 * no_new_privs, then a seccomp filter that makes connect, signals to
 * other processes, ptrace and process_vm_*, io_uring, unshare and setns
 * fail with EPERM, for good (lib/seccomp.c).  -errno.
 */
int bg_seccomp_fence(void);

/* ---- the audit trail (lib/audit.c) -------------------------------- */

/* One entry: a request's outcome. */
struct bg_audit {
	const char *ident; /* SYSLOG_IDENTIFIER: "banger-root" or "banger" */
	const char *prog; /* "banger-root-tap-add", the line's prefix */
	const char *verb; /* VERB, or NULL (not read yet) */
	bool peer_known; /* a socket peer: uid and pid below */
	uid_t uid;
	pid_t pid;
	const char *vm; /* VM=, or NULL */
	int index; /* INDEX=, or -1 */
	const char *result; /* "ok" or the error code */
	int err; /* ERRNO= on failure, or 0 */
	const char *msg; /* the error message (failure) */
	bool caps; /* add CAP_EFFECTIVE= (root helpers) */
};
/*
 * To journald with fields when stderr is the journal ($JOURNAL_STREAM),
 * else one line on stderr: "PROG: uid U pid P: ok" or "...: CODE: msg".
 */
void bg_audit(const struct bg_audit *a);
/* One native-protocol entry of n "KEY=value" fields (at most 16). */
int bg_journal_send(const char *const *fields, size_t n);

struct bg_req;
struct bg_verb {
	const char *name; /* the protocol verb */
	unsigned flags;
	const struct bg_field *fields; /* ends with { NULL } */
	uint64_t caps; /* root verbs: the capabilities act uses */
	/*
	 * Run after the peer checks and before the request is read (root
	 * helpers: after the capabilities are narrowed).  May be NULL.
	 */
	int (*prepare)(struct bg_err *err);
	/* Checks beyond the schema; reads, never writes.  May be NULL. */
	int (*validate)(struct bg_req *rq, struct bg_err *err);
	/*
	 * The work: -errno with err filled, or the exit code of a
	 * successful answer (0; doctor answers and exits 1 when a check
	 * failed).  *result (NULL means {}) is the answer's result.
	 */
	int (*act)(struct bg_req *rq, cJSON **result, struct bg_err *err);
};

struct bg_req {
	const struct bg_verb *verb;
	cJSON *json; /* the request, schema-checked */
	uid_t peer_uid; /* SO_PEERCRED, or getuid() on a pipe */
	pid_t peer_pid;
	bool peer_is_socket;
	bool schema_ok; /* the request passed its fields' rules */
	uid_t owner_uid; /* install.toml (or, owner side before install, us) */
	gid_t owner_gid;
	char *extra; /* payload bytes read with the request line */
	size_t extra_len, extra_off;
	struct {
		void (*fn)(void *);
		void *arg;
	} undo[8];
	size_t n_undo;
};

int bg_verb_main(const struct bg_verb *v);
/*
 * A helper's descriptor and its main(), at the end of its file:
 *   BG_VERB(.name = "vm-show", .fields = BG_FIELDS(BG_F_NAME), .act = act);
 */
#define BG_VERB(...) \
	static const struct bg_verb bg_verb_ = { __VA_ARGS__ }; \
	int main(void) \
	{ \
		return bg_verb_main(&bg_verb_); \
	} \
	extern int bg_verb_end_
/* The fields of a request, as a compound literal ending with { NULL }. */
#define BG_FIELDS(...) ((const struct bg_field[]){ __VA_ARGS__, { NULL } })
/* Typed fields of a checked request (absent: NULL, or the default). */
const char *bg_req_str(const struct bg_req *rq, const char *key);
int64_t bg_req_int(const struct bg_req *rq, const char *key);
bool bg_req_bool(const struct bg_req *rq, const char *key);
const cJSON *bg_req_array(const struct bg_req *rq, const char *key);
bool bg_req_has(const struct bg_req *rq, const char *key);
/* Payload: the bytes read ahead first, then stdin; 0 at its end. */
ssize_t bg_req_payload_read(struct bg_req *rq, void *buf, size_t n,
    int64_t deadline_ms);
bool bg_req_payload_pending(const struct bg_req *rq);
/* Run fn(arg) if the request fails after this point (newest first). */
void bg_req_on_fail(struct bg_req *rq, void (*fn)(void *), void *arg);

/*
 * One request to the root side (root-dispatch): verb with "name" (when
 * not NULL) and "index" (when > 0).  *result may be NULL.  An error
 * answer becomes err (the root helper's code and message).
 */
int bg_root(const char *verb, const char *name, int index, cJSON **result,
    struct bg_err *err);

/* ---- cleanup (crun's and systemd's habit) ------------------------ */

static inline void
bg_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void
bg_freep(void *p)
{
	free(*(void **)p);
}
static inline void
bg_json_freep(cJSON **j)
{
	cJSON_Delete(*j);
}
#define _cleanup_close_ __attribute__((cleanup(bg_closep)))
#define _cleanup_free_ __attribute__((cleanup(bg_freep)))
#define _cleanup_json_ __attribute__((cleanup(bg_json_freep)))
/* Hand an fd on: the cleanup no longer closes it. */
static inline int
bg_steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* ---- UTF-8 (lib/utf8.c) ----------------------------------------- */

/*
 * One UTF-8 character at s, not reading at or past end: its length, or
 * 0 if the bytes are not UTF-8 (truncated, overlong, a surrogate, above
 * U+10FFFF).
 */
int bg_utf8_decode(const char *s, const char *end, uint32_t *cp);
/* C0, DEL and C1: what a terminal may act on. */
bool bg_is_control(uint32_t c);
/* Whether all len bytes at s are UTF-8 (a NUL byte counts as U+0000). */
bool bg_utf8_valid(const char *s, size_t len);
/*
 * Make len bytes at s UTF-8 in place: each byte that does not start a
 * valid character becomes '?'.  Returns how many were replaced.
 */
size_t bg_utf8_scrub(char *s, size_t len);

/* ---- installed images and kernels (lib/artifact.c) -------------- */

/*
 * The entries of STATE/<kind>/ ("images" or "kernels") as a JSON array
 * sorted by name: {"name","state":"ready","version","bytes",...} from
 * each manifest.json, or {"name","state":"broken","error"}.
 */
int bg_artifact_list(const char *kind, cJSON **out, struct bg_err *err);
/* The act of image-list and kernel-list: {"images"|"kernels":[...]}. */
int bg_artifact_list_act(struct bg_req *rq, cJSON **result, struct bg_err *err);
/*
 * image-delete and kernel-delete: STATE/<kind>s/NAME renamed aside, then
 * removed; a kernel that a VM boots with is refused (busy).
 */
int
bg_artifact_delete_act(struct bg_req *rq, cJSON **result, struct bg_err *err);

/* ---- catalogs (lib/catalog.c): docs/image-catalog.md ------------- */

struct bg_catalog_entry {
	char kind[8]; /* "image" or "kernel" */
	char name[BG_NAME_MAX + 1];
	char url[4097]; /* https:// */
	char sha256[65]; /* "": not published (a build without a release) */
	uint64_t size; /* of the bundle; 0: not known */
	char kernel[BG_NAME_MAX + 1]; /* images: the kernel, or "" */
	char origin[PATH_MAX]; /* "built-in", a catalog file, config.toml:LINE */
};
struct bg_catalog {
	struct bg_catalog_entry *e;
	size_t n;
};
struct bg_config;
/* The catalog compiled in (conf/catalog.json), as JSON text. */
extern const char bg_catalog_builtin[];
/*
 * The built-in catalog, then c's catalog_file, then its [[catalog]]
 * entries: a later entry of the same kind and name replaces an earlier
 * one.  c may be NULL (the built-in one alone).  bad_config.
 */
int bg_catalog_load(struct bg_catalog *cat, const struct bg_config *c,
    struct bg_err *err);
/* Parse one catalog (JSON text) from origin into cat, replacing entries. */
int bg_catalog_add_json(struct bg_catalog *cat, const char *text,
    const char *origin, struct bg_err *err);
const struct bg_catalog_entry *bg_catalog_find(const struct bg_catalog *cat,
    const char *kind, const char *name);
void bg_catalog_free(struct bg_catalog *cat);

/* ---- SHA-256 (lib/sha256.c) -------------------------------------- */

struct bg_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
};
void bg_sha256_init(struct bg_sha256 *s);
void bg_sha256_update(struct bg_sha256 *s, const void *p, size_t n);
/* n zero bytes (a hole of a sparse file). */
void bg_sha256_zeros(struct bg_sha256 *s, uint64_t n);
void bg_sha256_final(struct bg_sha256 *s, unsigned char out[32]);
/* Final, as 64 lowercase hex digits. */
void bg_sha256_hex(struct bg_sha256 *s, char hex[65]);
/* 64 lowercase hex digits. */
bool bg_sha256_hex_valid(const char *s);
/* The CPU's SHA extensions are used. */
bool bg_sha256_accelerated(void);
/* The first size bytes of the file at fd, reading only its data: holes
 * hash as zeros without being read.  0 or -errno. */
int bg_sha256_fd(int fd, off_t size, char hex[65]);

/* ---- bundles (lib/bundle.c): docs/bundles.md --------------------- */

/*
 * A bundle is a zstd-compressed tar: manifest.json first, then each
 * file it lists, flat, regular, sha256-checked.  The zstd window is at
 * most 2^BG_BUNDLE_WINDOW_LOG bytes, which bounds a pull's memory.
 */
#define BG_BUNDLE_WINDOW_LOG 23
#define BG_BUNDLE_FILES_MAX 16
/* Below the 64 KiB readers allow: banger adds its install-side keys. */
#define BG_BUNDLE_MANIFEST_MAX (56u << 10)
/* All members' sizes together (holes count: they are hashed). */
#define BG_BUNDLE_LOGICAL_MAX (64ULL << 30)
/* Install-side keys a bundle's manifest.json never carries. */
extern const char *const bg_bundle_local_keys[];
/*
 * manifest m is a bundle manifest of kind ("image" or "kernel"): name,
 * version, arch, files with their sizes and sha256.  bad_request.
 */
int
bg_bundle_manifest_check(const cJSON *m, const char *kind, struct bg_err *err);
/* The compressed bytes: >0, 0 at the end, -errno with err filled. */
typedef ssize_t
bg_bundle_read_fn(void *arg, void *buf, size_t n, struct bg_err *err);
struct bg_bundle_in {
	const char *kind; /* "image" or "kernel" */
	const char *what; /* the URL or file, for messages */
	bg_bundle_read_fn *read;
	void *arg;
};
/*
 * Unpack a bundle into the empty directory dirfd: each member written
 * sparse (zero blocks not written), checked against the manifest, then
 * fsynced.  *manifest is the bundle's manifest.json (checked).
 */
int bg_bundle_extract(int dirfd, const struct bg_bundle_in *in,
    cJSON **manifest, uint64_t *written, struct bg_err *err);
/*
 * Write a bundle of the artifact in srcdir (manifest.json and its
 * files, checked against their sha256 as they are read) to outfd,
 * compressed at zstd level (1-19).
 */
int bg_bundle_write(int srcdir, int outfd, int level, struct bg_err *err);

/* ---- tar streams (lib/untar.c) ---------------------------------- */

/* Fill buf with up to n bytes: the count, 0 at the end, or -errno. */
typedef ssize_t bg_untar_read_fn(void *arg, void *buf, size_t n);
struct bg_untar_limits {
	uint64_t max_bytes; /* all regular files together */
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

/* ---- ext4 images without mounting (lib/ext4.c) -------------------- */

/*
 * An ext4 image open for writing through libext2fs: no mount, no root.
 * Every inode written is root:root.  Paths are relative to the image's
 * root, walked one component at a time; a symlink is never followed,
 * missing parents are made 0755, and an existing name is refused (a
 * directory over a directory only with exist_ok).
 */
struct bg_ext4;
int bg_ext4_open(const char *image, struct bg_ext4 **x, struct bg_err *err);
/* Write everything out and free x (NULL is fine). */
int bg_ext4_close(struct bg_ext4 *x, struct bg_err *err);
/* A directory ("" is the root: only its mode and time are set). */
int bg_ext4_mkdir(struct bg_ext4 *x, const char *path, unsigned perm,
    time_t mtime, bool exist_ok, struct bg_err *err);
/* A new regular file with the data rd returns (-EFBIG from rd: too much). */
int bg_ext4_file(struct bg_ext4 *x, const char *path, unsigned perm,
    time_t mtime, bg_untar_read_fn *rd, void *arg, struct bg_err *err);
int bg_ext4_symlink(struct bg_ext4 *x, const char *path, const char *target,
    time_t mtime, struct bg_err *err);
/*
 * The tar stream under the top-level directory top (made 0755 if
 * missing), with lib/untar.c's checks: files, directories, symlinks and
 * hard links, modes without setuid/setgid, modification times kept.
 */
/*
 * An empty ext4 file system, sparse, in the new file name beneath dirfd
 * (which path names too, for mkfs.ext4), every inode root's; one inode
 * per inode_ratio bytes (0: mkfs's default).  what names it in errors.
 */
int bg_ext4_mkfs(int dirfd, const char *name, const char *path, uint64_t bytes,
    const char *label, unsigned inode_ratio, const char *what,
    struct bg_err *err);
int bg_ext4_untar(struct bg_ext4 *x, const char *top, bg_untar_read_fn *rd,
    void *arg, const struct bg_untar_limits *lim, struct bg_untar_stats *st,
    struct bg_err *err);

/* ---- the work disk (lib/workdisk.c) ------------------------------- */

/*
 * A VM's work disk (/root in the guest), built in one way: an empty
 * ext4 from mkfs.ext4, then everything else written through libext2fs,
 * root-owned: authorized_keys, the VM's ssh host key, the [[file_sync]]
 * entries, the workspace (docs/guest.md has the layout and the modes).
 */
struct bg_workdisk {
	uint64_t bytes;
	const char *authorized_key; /* one OpenSSH public key line */
	const char *host_key; /* the host key, OpenSSH private key file */
	const char *host_pub; /* and its public line */
	const cJSON *file_sync; /* [{"host","guest","mode"?}], checked */
	bg_untar_read_fn *ws_read; /* the workspace tar stream, or NULL */
	void *ws_arg;
	struct bg_untar_limits ws_lim;
	/* Each file_sync entry skipped inside a directory (symlink, FIFO...). */
	void (*warn)(const char *msg);
	/* ~/.profile (an OCI image's Env and WorkingDir), or NULL; a
	 * [[file_sync]] .profile wins over it. */
	const char *profile;
};
/*
 * Make the image name beneath dirfd (which path names too, for mkfs)
 * and fill it.  On failure the image may be half-made: the caller
 * removes it.
 */
int bg_workdisk_build(int dirfd, const char *name, const char *path,
    const struct bg_workdisk *w, struct bg_err *err);

/* ---- ssh keys (lib/sshkey.c) ------------------------------------- */

/*
 * A new Ed25519 key pair (libsodium): *priv the OpenSSH private key file
 * ("-----BEGIN OPENSSH PRIVATE KEY-----", unencrypted), *pub the public
 * line "ssh-ed25519 BASE64" (no comment).  Both malloc'd; priv is wiped
 * by bg_sshkey_free.
 */
int bg_sshkey_ed25519(const char *comment, char **priv, char **pub);
void bg_sshkey_free(char *priv);

/* ---- host network (lib/net-*.c; root side) ---------------------- */

#define BG_BRIDGE "br-fc"
#define BG_BRIDGE_ADDR "172.16.0.1"
#define BG_BRIDGE_PREFIX 24
#define BG_SUBNET "172.16.0.0/24"
#define BG_TAP_PREFIX "bgtap"
#define BG_NET_INDEX_MIN 2 /* .2 .. .254: guest addresses and tap numbers */
#define BG_NET_INDEX_MAX 254

/* "bgtapN" for N in BG_NET_INDEX_MIN..MAX, else -EINVAL. */
int bg_net_tap_name(int index, char *buf, size_t n);
/* Create the bridge if missing, set its address, bring it up.  Idempotent. */
int bg_net_bridge_ensure(const char *name, const char *addr, int prefix);
/*
 * Persistent tap owned by uid:gid, attached to bridge, up.  Idempotent;
 * an existing device must be a tap owned by uid: -EPERM (another
 * owner's, or nobody's) or -ENOTTY (not a tap) and nothing touched.
 */
int
bg_net_tap_ensure(const char *name, uid_t uid, gid_t gid, const char *bridge);
/* Remove the owner's persistent tap; 0 if it did not exist; as above. */
int bg_net_tap_delete(const char *name, uid_t owner);
/* 0: name is a tap owned by owner; -EPERM, -ENOTTY, -ENODEV (gone). */
int bg_net_tap_mine(const char *name, uid_t owner);
/* 1 and err filled if r is a refusal of tap_ensure/delete, else 0. */
int bg_net_tap_refused(const char *tap, int r, struct bg_err *err);
/* 1 if the interface exists, 0 if not. */
int bg_net_link_exists(const char *name);
/*
 * net.ipv4.ip_forward = 1 (in the current network namespace); the value
 * found the first time is kept in ROOTRUN/ip_forward.saved.
 */
int bg_net_ip_forward(void);
/* ip_forward back to the kept value (none kept: left alone). */
int bg_net_ip_forward_restore(void);
/* The admin's guest network policy: ETC/network.toml (lib/net-policy.c). */
struct bg_net_policy {
	bool allow_lan; /* guests may reach private ranges */
	bool ipv6; /* IPv6 frames may cross the bridge */
};
/* Missing file: the defaults (all false); a bad one: bad_config. */
int bg_net_policy_load(struct bg_net_policy *p, struct bg_err *err);
/*
 * banger's tables (ip and bridge banger): NAT, the guest policy p, DNS
 * to the upstream servers dns ("a,b").  Idempotent, atomic.
 */
int bg_net_nft_ensure(const struct bg_net_policy *p, const char *dns,
    struct bg_err *err);
/* Both tables gone (fine if they were). */
int bg_net_nft_remove(struct bg_err *err);
/* Remove a bridge (down first); 0 if it did not exist. */
int bg_net_bridge_delete(const char *name);
/* All of it: bridge, policy tables, ip_forward (lib/net-setup.c).  Idempotent. */
int bg_net_ensure(struct bg_err *err);
/*
 * The way back: tables, bridge, ip_forward as it was; busy while any of
 * the owner's taps exists.
 */
int bg_net_down(uid_t owner, struct bg_err *err);
/* The network, then slot index's tap for uid:gid (its name into tap). */
int bg_net_tap_add(int index, uid_t uid, gid_t gid, char *tap, size_t n,
    struct bg_err *err);
/* Slot index's tap removed (*existed: it was there). */
int bg_net_tap_del(int index, uid_t owner, char *tap, size_t n, bool *existed,
    struct bg_err *err);

/* ---- VMs (lib/vm.c, lib/vm-handle.c) ---------------------------- */

struct bg_vmm;

/* One VM's spec and allocations: the content of vm.json (vm-lifecycle.md). */
struct bg_vm {
	char name[BG_NAME_MAX + 1];
	char status[16]; /* "creating" | "created" */
	char image[BG_NAME_MAX + 1];
	char kernel[BG_NAME_MAX + 1];
	int vcpu; /* BG_VCPU_MIN..BG_VCPU_MAX */
	long memory_mib; /* BG_MEMORY_MIN_MIB..BG_MEMORY_MAX_MIB */
	uint64_t disk_bytes; /* work disk size, BG_DISK_MIN..BG_DISK_MAX */
	int slot; /* 2..254 */
	char ip[16]; /* 172.16.0.<slot> (derived) */
	char mac[18]; /* 06:00:ac:10:00:<slot hex> (derived) */
	char tap[16]; /* bgtap<slot> (derived) */
	const struct bg_vmm *vmm; /* the driver ("vmm" in vm.json) */
	char vmm_bin[BG_VMM_BIN_MAX +
	    1]; /* the VMM binary chosen at create, or "" */
	char accel[8]; /* "tcg" | "kvm" (qemu only) */
	char created_at[32]; /* RFC 3339 UTC */
};

/*
 * Fill vm from a vm.json object, validating every field (names, ranges,
 * enums) and deriving ip/mac/tap from slot (stored values must agree).
 * Nothing unvalidated comes out of it.
 */
int bg_vm_from_json(const cJSON *j, struct bg_vm *vm, struct bg_err *err);
cJSON *bg_vm_to_json(const struct bg_vm *vm);
/* Derive ip, mac and tap from vm->slot. */
int bg_vm_derive(struct bg_vm *vm);
/* An absolute path with no ".", ".." or empty component (vmm_bin). */
bool bg_abs_path_valid(const char *s);

/*
 * The kernel command line: "console=ttyS0 reboot=k panic=1 ... banger.ip=
 * banger.gw= banger.dns= banger.hostname=", the driver's own words, and
 * when the guest is emulated (TCG) tsc_early_khz=<tsc_khz> (and
 * tsc=reliable with more than one vCPU).
 */
int bg_vm_cmdline(const struct bg_vm *vm, const char *dns, long tsc_khz,
    char *buf, size_t n);

/*
 * An open VM (lib/vm-handle.c): its state and run directories, opened
 * once beneath the state and run roots without following a symlink,
 * and its spec.  From then on every file of the VM is (dirfd, fixed
 * name); paths are built only for what another program opens (the
 * VMM's argv).
 */
struct bg_vmh {
	struct bg_vm vm;
	bool loaded; /* vm is vm.json's (BG_VMH_ANY may leave it unread) */
	int sfd; /* STATE/vms/<name> */
	int rfd; /* RUN/vms/<name>, or -1 while it does not exist */
};
#define BG_VMH_INIT \
	{ \
		.sfd = -1, .rfd = -1 \
	}
#define BG_VMH_RUNDIR 0x1 /* make RUN/vms/<name> (owner side) */
#define BG_VMH_ANY 0x2 /* vm.json may be missing or broken: loaded says */

/* DIR/vms/<name> for d STATE or RUN, beneath the root, no symlink (lib/vm-dir.c). */
int bg_vm_dir(enum bg_dir d, const char *name);
/*
 * Open VM name.  Errors: not_found ("no VM named ...: banger vm list
 * shows the VMs"), the half-made case ("banger vm prune removes it"), a
 * broken vm.json (what is wrong and how to remove it).
 */
int bg_vm_open(const char *name, unsigned flags, struct bg_vmh *h,
    struct bg_err *err);
void bg_vm_close(struct bg_vmh *h);
/* Write vm.json (atomically; never what bg_vm_from_json would refuse). */
int bg_vm_save(const struct bg_vmh *h);
/* The VM's files, by fixed name (enum index into one table). */
enum bg_vm_file {
	BG_VMF_ROOTFS,
	BG_VMF_WORK,
	BG_VMF_SERIAL,
	BG_VMF_VMMLOG,
	BG_VMF_SOCK,
	BG_VMF_KERNEL,
	BG_VMF_INITRD,
	BG_VMF_IMAGE,
	BG_VMF_MODULES, /* the kernel's modules.ext4, if it has one */
};
/* A path of the VM's file f, for another program to open (the VMM). */
int bg_vm_path(const struct bg_vmh *h, enum bg_vm_file f, char *buf, size_t n);
/*
 * The kernel's modules disk (docs/kernel-bundle.md): 1 with its path in
 * buf when the VM's kernel has a modules.ext4 (a regular file), 0 when
 * not, or -errno.  The drivers attach it read-only as the third disk and
 * add BG_MODULES_ARG to the guest's command line.
 */
int bg_vm_modules(const struct bg_vmh *h, char *buf, size_t n);
#define BG_MODULES_ARG "banger.modules=/dev/vdc"
/* Connect to the VMM's control socket (beneath rfd) by deadline_ms. */
int bg_vm_connect(const struct bg_vmh *h, int64_t deadline_ms, unsigned flags);

enum bg_vm_state {
	BG_VM_RUNNING,
	BG_VM_STOPPED,
	BG_VM_CREATING,
	BG_VM_BROKEN,
	BG_VM_UNKNOWN,
};
/* Running = someone holds RUN/vms/<name>/lock: 1, 0, or -errno. */
int bg_vm_running(const struct bg_vmh *h);
/* Being created = someone holds STATE/vms/<name>/create.lock: 1, 0, -errno. */
int bg_vm_creating(const struct bg_vmh *h);
enum bg_vm_state bg_vm_state(const struct bg_vmh *h);
const char *bg_vm_state_name(enum bg_vm_state s);
/*
 * Signal the VMM.  Its pid (RUN/vms/<name>/pid, written by vmm-exec
 * after it took the lock) is trusted only while the lock is held: the
 * lock is checked, the pid pinned with a pidfd, the lock checked again,
 * and the signal sent through the pidfd.  -ESRCH when not running.
 */
int bg_vm_signal(const struct bg_vmh *h, int sig);
/* Wait until the lock is free (the VMM has exited): 0 or -ETIMEDOUT. */
int bg_vm_wait_stopped(const struct bg_vmh *h, int timeout_ms);
/*
 * Stop the VM if it runs: the driver's shutdown and timeout_ms of grace
 * (none when 0), then the driver's quit, then SIGKILL.  *forced says
 * whether the guest was cut short.
 */
int bg_vm_stop(const struct bg_vmh *h, int timeout_ms, bool *forced,
    struct bg_err *err);

/*
 * Remove a stopped VM completely (lib/vm-destroy.c): tap via the root
 * helper (if it exists; slot -1 when unknown), known_hosts line, run
 * and state directories.  Caller holds the global lock.
 */
int bg_vm_destroy(const char *name, int slot, struct bg_err *err);

/* ---- VMM drivers (lib/vmm-*.c) ----------------------------------- */

/*
 * One entry per VMM (docs/vmm.md); nothing outside lib/vmm-*.c knows
 * a VMM by name.  The launcher (vmm-exec, as the owner) runs argv with
 * stdout on serial.log when console_on_stdout, else on vmm.log; then
 * vm-start calls boot (if any) to configure and start the guest.
 */
/* A number macro as a string literal. */
#define BG_STR_(x) #x
#define BG_STR(x) BG_STR_(x)
/* QEMU under TCG: the translation cache's size (MiB), see lib/vmm-qemu.c. */
#define BG_QEMU_TB_MIB 128

struct bg_vmm {
	const char *name; /* "qemu", "firecracker": vm.json, config */
	const char *tool; /* the binary, looked up by bg_host_tool */
	const char *install; /* how to get it, for messages */
	const char *kernel_words; /* this VMM's own kernel command line words */
	bool needs_kvm;
	bool console_on_stdout;
	/* The VMM's own log in the VM's state directory, made empty by vmm-exec at each start; NULL: none. */
	const char *log_name;
	/* Is the guest emulated (TCG)?  Then it needs the TSC words. */
	bool (*emulated)(const struct bg_vm *vm);
	/* The VMM's argv (malloc'd; bg_argv_free). */
	int (*argv)(const struct bg_vmh *h, const char *bin,
	    const char *cmdline, char ***argv);
	/* After launch: configure and start the guest; NULL: argv did it. */
	int (*boot)(const struct bg_vmh *h, const char *cmdline,
	    struct bg_err *err);
	/* Ask the guest to shut down (ACPI power button, Ctrl-Alt-Del). */
	int (*shutdown)(const struct bg_vmh *h, struct bg_err *err);
	/* Make the VMM quit at once; NULL: only a signal does. */
	int (*quit)(const struct bg_vmh *h, struct bg_err *err);
	/*
	 * The jail's limits (root-vmm-launch, docs/privileges.md): the
	 * unit's MemoryMax is the guest's RAM plus overhead_mib (or
	 * overhead_emulated_mib under TCG, whose translation cache and JIT
	 * also forbid MemoryDenyWriteExecute); TasksMax is the vCPUs plus
	 * tasks_extra (I/O and helper threads).
	 */
	unsigned overhead_mib, overhead_emulated_mib, tasks_extra;
};

/* The drivers (lib/vmm-qemu.c, lib/vmm-firecracker.c). */
extern const struct bg_vmm bg_vmm_qemu, bg_vmm_firecracker;
/* The driver named name, or NULL. */
const struct bg_vmm *bg_vmm_find(const char *name);
/* Every driver, NULL-terminated. */
const struct bg_vmm *const *bg_vmm_all(void);
struct bg_config;
/* The config's override of driver d's binary (firecracker_bin), or NULL. */
const char *
bg_vmm_config_bin(const struct bg_vmm *d, const struct bg_config *c);
/* The names, for messages: "qemu or firecracker". */
const char *bg_vmm_names(void);
/*
 * The config's vmm ("auto" or a name): auto is Firecracker when its
 * binary is there (fc_bin overrides the lookup) and KVM works, else
 * QEMU.  NULL for an unknown name.
 */
const struct bg_vmm *bg_vmm_choose(const char *choice, const char *fc_bin);
/* The VMM binary of vm: vm_bin (set at create) or the driver's tool. */
int bg_vmm_bin(const struct bg_vm *vm, char *buf, size_t n);
void bg_argv_free(char **argv);
/*
 * A VMM's control socket: a non-blocking O_CLOEXEC connect to path
 * that retries, until deadline_ms, a socket not yet listening (the
 * instant between a VMM's bind and listen), one whose backlog is full,
 * and with BG_CONNECT_WAIT one that is not there yet; and a send of all of buf that never raises
 * SIGPIPE.
 */
#define BG_CONNECT_WAIT \
	0x1 /* also wait for the socket to appear (a VMM starting) */
int bg_vmm_connect(const char *path, int64_t deadline_ms, unsigned flags);
int bg_vmm_send(int fd, const void *buf, size_t n, int64_t deadline_ms);
/* One QMP command ("quit", "system_powerdown", "query-status"); *reply may be NULL. */
int bg_qmp(const struct bg_vmh *h, const char *command, cJSON **reply,
    int timeout_ms, struct bg_err *err);
/*
 * One HTTP/1.1 request on Firecracker's API socket (fd from
 * bg_vm_connect or bg_vmm_connect); *status is the HTTP status; on
 * 4xx/5xx err carries fault_message.
 */
int
bg_fc_request(int fd, const char *method, const char *path, const char *body,
    int *status, cJSON **reply, int64_t deadline_ms, struct bg_err *err);

/*
 * Guest DNS (lib/host-dns.c): the host's non-loopback IPv4 resolvers,
 * comma-separated, at most 3; the bridge address when there are none.
 */
int bg_host_dns(char *buf, size_t n);
/* A guest's servers: 172.16.0.1, then up to two of bg_host_dns's. */
int bg_guest_dns(char *buf, size_t n);

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
	int line, col; /* 1-based, where the key (or header) starts */
	char *key; /* in the parent table; NULL in arrays and root */
	char *s; /* STRING (UTF-8, NUL-free) */
	long long i; /* INT */
	bool b; /* BOOL */
	struct bg_toml *child, *last, *next;
	size_t n; /* children */
	int flags; /* parser bookkeeping */
};

/* Parse; on error err->msg is "FILE:LINE:COL: message", code "bad_config". */
int bg_toml_parse(const char *text, size_t len, const char *filename,
    struct bg_toml **out, struct bg_err *err);
int
bg_toml_parse_file(const char *path, struct bg_toml **out, struct bg_err *err);
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
const char *
bg_prov_name(enum bg_prov p); /* "built-in", "host", "config", "flag" */

struct bg_file_sync {
	char *host; /* as written (~/ or absolute); checked later, at create */
	char *guest; /* as written (~/ or /root/) */
	unsigned mode;
	bool has_mode;
	int line;
};

struct bg_config {
	char *path; /* the file read (or that would be) */
	bool present; /* the file existed */
	char *default_image_name; /* default "debian-bookworm" */
	char *ssh_key_path; /* expanded, absolute */
	char *firecracker_bin; /* NULL: look on PATH */
	char vmm[16]; /* auto | firecracker | qemu */
	char qemu_accel[8]; /* auto | kvm | tcg */
	long vcpu;
	enum bg_prov vcpu_prov;
	long memory_mib;
	enum bg_prov memory_prov;
	uint64_t disk_bytes;
	enum bg_prov disk_prov;
	struct bg_file_sync *file_sync;
	size_t n_file_sync;
	char *catalog_file; /* expanded, absolute; NULL: none */
	char *ca_file; /* expanded, absolute; NULL: the system's CAs */
	/* [[catalog]] entries, as read: {"kind","name","url","sha256",
	 * "size","kernel"?,"where":"FILE:LINE:COL"} (lib/catalog.c checks) */
	cJSON *catalog;
	char **warnings; /* "FILE:LINE:COL: unknown key 'x'" */
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
