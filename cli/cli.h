/*
 * cli.h — what the parts of the banger command line share: the command
 * table's types, one parsed invocation, the remote call and the
 * renderers of results.
 */
#ifndef BANGER_CLI_H
#define BANGER_CLI_H

#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "banger.h"

#define CLI_STR_MAX 255 /* a free-text flag value or operand */
#define CLI_SILENCE_MS (10 * 60 * 1000) /* default: no answer line for 10 min */

/* What a flag's value or an operand must look like. */
enum cli_type {
	CLI_BOOL, /* a switch: true when given, takes no value */
	CLI_STR, /* text: at most CLI_STR_MAX bytes, no control chars */
	CLI_NAME, /* a banger name (bg_name_valid) */
	CLI_ARTIFACT, /* an image or kernel name (bg_artifact_name_valid) */
	CLI_PATH, /* a host path: like CLI_STR, up to PATH_MAX */
	CLI_INT, /* a whole number in [min, max] */
	CLI_MIB, /* memory: MiB, or a size with a suffix; in MiB */
	CLI_SIZE, /* a size ("16G"; no suffix: bytes); [min, max] bytes */
};

struct cli_flag {
	const char *name; /* "vcpu" for --vcpu; NULL ends a list */
	char sname; /* 'f' for -f, or 0 */
	enum cli_type type;
	const char *key; /* key in the request, or NULL: CLI only */
	const char *metavar;
	const char *help;
	long long min, max;
};

struct cli_operand {
	const char *metavar; /* "NAME"; NULL ends a list */
	enum cli_type type;
	const char *key; /* key in the request, or NULL: CLI only */
	bool optional;
};

struct cli_inv;

/* Prints a result for humans (stdout). */
typedef void (*cli_render_fn)(const struct cli_inv *inv, const cJSON *result);

/*
 * One command.  todo (NOT_YET in commands.c) means "not implemented
 * yet": parsing and validation still happen (so usage errors exit 100),
 * then the command says so and exits 1.  A command that only asks the
 * service sets verb and leaves run NULL (cli_remote is the default);
 * render prints its result for humans.  A local command sets run; one
 * with neither run nor verb cannot run and counts as not implemented.
 */
struct cli_cmd {
	const char *group; /* "vm", or NULL for a top-level command */
	const char *name;
	const char *summary;
	const char *details; /* more text for --help, or NULL */
	const struct cli_flag *flags;
	const struct cli_operand *operands;
	bool takes_command; /* "-- COMMAND..." */
	const char *verb; /* wire verb, or NULL for a local command */
	int (*run)(struct cli_inv *);
	cli_render_fn render;
	int (*check)(struct cli_inv *); /* more validation; BG_EXIT_USAGE */
	bool todo; /* not implemented yet */
};

static inline bool
cli_cmd_todo(const struct cli_cmd *c)
{
	return c->todo || (c->run == NULL && c->verb == NULL);
}

/* One parsed command line. */
struct cli_inv {
	const struct cli_cmd *cmd;
	char fullname[48]; /* "vm list" */
	bool json;
	cJSON *opts; /* every flag given, by flag name */
	cJSON *req; /* {"v":1, keyed flags and operands} */
	char **args; /* operands as given */
	int nargs;
	char **command; /* the words after "--" (takes_command) */
	int ncommand;
};

struct cli_group {
	const char *name;
	const char *title;
	const char *summary;
};

/* commands.c */
extern const struct cli_group cli_groups[];
extern const size_t cli_ngroups;
extern const struct cli_cmd cli_cmds[];
extern const size_t cli_ncmds;

/* banger.c: messages for usage errors, all returning BG_EXIT_USAGE. */
void cli_suggest(const char *word, const char *const *cands, size_t n,
    const char *prefix);
int cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cli_bad_value(const char *what, const char *val, const char *why);

/*
 * remote.c: one request to the service.  Fill verb, req, silence_ms
 * (and on_event), then cli_call(); the answer stays in final until
 * cli_call_free().
 */
struct cli_call {
	const char *verb;
	const cJSON *req;
	int64_t silence_ms; /* deadline on silence between lines; 0: none */
	/* Events other than log and progress ("output"); -1 stops reading. */
	int (*on_event)(const char *event, const cJSON *ev, void *arg);
	void *arg;
	/* --json: every event printed on stdout as a JSON line, no bar. */
	bool json_events;
	/* A payload after the request (vm-create's workspace): written to
	 * the socket, which is then shut down for writing, before the
	 * answer is read.  Returns 0, -EPIPE (the service stopped reading:
	 * its answer says why) or an exit code, kept in payload_status. */
	int (*payload)(int fd, void *arg);
	void *payload_arg;
	int payload_status;
	cJSON *final; /* the final line (owned), NULL: none came */
	bool ok;
	const cJSON *result; /* ok: the result, NULL means {} */
	struct bg_err err; /* not ok: the error, from the service or not */
};

int cli_call(struct cli_call *c);
void cli_call_free(struct cli_call *c);
int cli_finish(const struct cli_inv *inv, const struct cli_call *c,
    cli_render_fn render);
int cli_fail(const struct cli_inv *inv, const struct bg_err *err);
void cli_message(const char *s);
int64_t cli_silence_ms(void);
int cli_remote(struct cli_inv *inv);
/* Run the command's helper here, not over the socket (doctor, system). */
int cli_local(struct cli_inv *inv);
/*
 * pull.c: image pull, kernel pull, image bundle, kernel bundle; and
 * the pull of a missing image or kernel before vm-create (s->req's
 * "image" and "kernel"): 0, or the exit code after a message.
 */
struct cli_spec;
int cli_pull(struct cli_inv *inv);
int cli_bundle_check(struct cli_inv *inv);
void cli_render_bundle(const struct cli_inv *inv, const cJSON *result);
int cli_pull_missing(const struct cli_inv *inv, struct cli_spec *s);
/* system.c: system install and uninstall (root, the owner, then cli_local). */
int cli_system(struct cli_inv *inv);
void cli_render_install(const struct cli_inv *inv, const cJSON *result);
void cli_render_uninstall(const struct cli_inv *inv, const cJSON *result);
void cli_render_status(const struct cli_inv *inv, const cJSON *result);

/*
 * spec.c: what `vm create` and `vm run` ask for, resolved on this host
 * (config, flags, host heuristics, the ssh key, VMM and accelerator).
 */
struct cli_spec {
	struct bg_config cfg;
	bool cfg_loaded;
	cJSON *req; /* the vm-create request */
	bool named; /* --name given: never renamed */
	int (*payload)(int fd, void *arg); /* see struct cli_call */
	void *payload_arg;
	void (*payload_sent)(void *arg); /* after vm-create answered */
	/* The image or kernel is missing and no catalog can give it: what
	 * to say if vm-create answers not_found ("" when nothing). */
	char missing_hint[1024];
};

int cli_spec_init(struct cli_inv *inv, struct cli_spec *s);
int cli_spec_rename(struct cli_spec *s);
void cli_spec_free(struct cli_spec *s);
int cli_config_load(struct cli_inv *inv, struct bg_config *c);

/*
 * filesync.c: the [[file_sync]] entries checked against the filesystem
 * (inside $HOME, top-level symlinks, existence, 1 GiB) and added to req
 * as "file_sync"; -errno with err set ("bad_config": exit 100).
 */
int cli_filesync_add(const struct bg_config *c, cJSON *req, struct bg_err *err);

/* vm.c */
int cli_vm_create(struct cli_inv *inv);
int cli_vm_delete(struct cli_inv *inv);
int cli_vm_prune(struct cli_inv *inv);
int cli_vm_logs(struct cli_inv *inv);
int cli_vm_ssh(struct cli_inv *inv);
int cli_vm_run(struct cli_inv *inv);
char *cli_shell_join(char **words, int n);

/*
 * workspace.c: vm run PATH.  cli_ws_prepare checks PATH (a git work
 * tree), --from and --branch before any VM is made, lists the files
 * (with --dry-run it prints them and sets *done) and, for --branch,
 * builds the guest's .git in a temporary directory; cli_ws_send is the
 * payload of vm-create (the tar stream that becomes /root/repo on the
 * work disk); cli_ws_command is the remote command for the session
 * (the tooling bootstrap, then COMMAND or a login shell in /root/repo).
 */
struct cli_ws {
	char top[PATH_MAX]; /* the work tree's top level */
	char repo[64]; /* its base name, made safe for a file name */
	char from[72]; /* --from: the commit's id (SHA-1 or SHA-256), or "" */
	char *list; /* the paths, each ending in NUL */
	size_t listlen;
	size_t nfiles;
	unsigned long long bytes;
	bool tooling; /* .mise.toml or .tool-versions shipped */
	char branch[256]; /* --branch NAME, or "" */
	char tmp[PATH_MAX]; /* --branch: holds .git; removed by cli_ws_sent */
	struct sigaction old_sa[3]; /* SIGINT, SIGTERM, SIGHUP before tmp */
	bool catching;
};

int cli_ws_prepare(struct cli_inv *inv, struct cli_ws *ws, bool *done);
int cli_ws_send(int sock, void *ws);
/* After vm-create answered: tmp removed, deferred signals let through. */
void cli_ws_sent(void *ws);
int cli_ws_command(const struct cli_ws *ws, char **words, int n, char **raw);
void cli_ws_free(struct cli_ws *ws);

/* sshconfig.c: the command; the refresh of ~/.config/banger/ssh_config
 * after a VM is created or deleted (only once the user has run it). */
int cli_ssh_config(struct cli_inv *inv);
void cli_ssh_config_refresh(void);

/* completion.c */
int cli_completion(struct cli_inv *inv);

/* output.c */
char *cli_clean(const char *s, size_t max, bool lines);
/* o's string key, or "-" when absent or empty. */
const char *cli_str(const cJSON *o, const char *key);
char *cli_clean_console(const char *s, size_t max);
void cli_put_clean(FILE *f, const char *s, size_t max);
void cli_print_json(const cJSON *j);
void cli_render_generic(const struct cli_inv *inv, const cJSON *result);
void cli_render_vm_list(const struct cli_inv *inv, const cJSON *result);
void cli_render_image_list(const struct cli_inv *inv, const cJSON *result);
void cli_render_kernel_list(const struct cli_inv *inv, const cJSON *result);
void cli_render_vm_prune(const struct cli_inv *inv, const cJSON *result);
void cli_render_doctor(const struct cli_inv *inv, const cJSON *result);

#endif
