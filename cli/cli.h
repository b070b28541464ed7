/*
 * cli.h — what the parts of the banger command line share: the command
 * table's types, one parsed invocation, the remote call and the
 * renderers of results.
 */
#ifndef BANGER_CLI_H
#define BANGER_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "banger.h"

#define CLI_STR_MAX 255         /* a free-text flag value or operand */
#define CLI_SILENCE_MS (10 * 60 * 1000) /* default: no answer line for 10 min */

/* What a flag's value or an operand must look like. */
enum cli_type {
	CLI_BOOL,       /* a switch: true when given, takes no value */
	CLI_STR,        /* text: at most CLI_STR_MAX bytes, no control chars */
	CLI_NAME,       /* a banger name (bg_name_valid) */
	CLI_PATH,       /* a host path: like CLI_STR, up to PATH_MAX */
	CLI_INT,        /* a whole number in [min, max] */
	CLI_MIB,        /* memory: MiB, or a size with a suffix; in MiB */
	CLI_SIZE,       /* a size ("16G"; no suffix: bytes); [min, max] bytes */
};

struct cli_flag {
	const char *name;       /* "vcpu" for --vcpu; NULL ends a list */
	char sname;             /* 'f' for -f, or 0 */
	enum cli_type type;
	const char *key;        /* key in the request, or NULL: CLI only */
	const char *metavar;
	const char *help;
	long long min, max;
};

struct cli_operand {
	const char *metavar;    /* "NAME"; NULL ends a list */
	enum cli_type type;
	const char *key;        /* key in the request, or NULL: CLI only */
	bool optional;
};

struct cli_inv;

/*
 * One command.  todo (NOT_YET in commands.c) means "not implemented
 * yet": parsing and validation still happen (so usage errors exit 100),
 * then the command says so and exits 1.  A command that only asks the
 * service sets verb and leaves run NULL (cli_remote is the default);
 * render prints its result for humans.  A local command sets run; one
 * with neither run nor verb cannot run and counts as not implemented.
 */
struct cli_cmd {
	const char *group;      /* "vm", or NULL for a top-level command */
	const char *name;
	const char *summary;
	const char *details;    /* more text for --help, or NULL */
	const struct cli_flag *flags;
	const struct cli_operand *operands;
	bool takes_command;     /* "-- COMMAND..." */
	const char *verb;       /* wire verb, or NULL for a local command */
	int (*run)(struct cli_inv *);
	void (*render)(const cJSON *result);
	int (*check)(struct cli_inv *); /* more validation; BG_EXIT_USAGE */
	bool todo;              /* not implemented yet */
};

static inline bool
cli_cmd_todo(const struct cli_cmd *c)
{
	return c->todo || (c->run == NULL && c->verb == NULL);
}

/* One parsed command line. */
struct cli_inv {
	const struct cli_cmd *cmd;
	char fullname[48];      /* "vm list" */
	bool json;
	cJSON *opts;            /* every flag given, by flag name */
	cJSON *req;             /* {"v":1, keyed flags and operands} */
	char **args;            /* operands as given */
	int nargs;
	char **command;         /* the words after "--" (takes_command) */
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

/* remote.c */
int cli_remote(struct cli_inv *inv);
int cli_doctor(struct cli_inv *inv);

/* output.c */
char *cli_clean(const char *s, size_t max, bool lines);
void cli_put_clean(FILE *f, const char *s, size_t max);
void cli_print_json(const cJSON *j);
void cli_render_generic(const cJSON *result);
void cli_render_vm_list(const cJSON *result);
void cli_render_doctor(const cJSON *result);

#endif
