/*
 * banger.c — the command line: `banger <group> <verb> [flags] [args]`.
 *
 * Every command is one row of the table in commands.c (vmctl/main.c
 * style).  Parsing, validation and help are driven by that table, so a
 * usage error exits 100 the same way for every command.  A command
 * marked NOT_YET is not implemented yet: it is still parsed and
 * checked, then says so and exits 1.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_GO (-1) /* parsing succeeded: run the command */

/* ---- suggestions ------------------------------------------------- */

/*
 * Edit distance with transpositions (optimal string alignment),
 * case-insensitive, for words of at most 64 bytes: "nmae" is 1 from
 * "name".
 */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned char d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int ai = tolower((unsigned char)a[i - 1]);
			int bj = tolower((unsigned char)b[j - 1]);
			unsigned best = d[i - 1][j - 1] + (ai != bj);

			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 &&
			    ai == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == bj &&
			    d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

/* "banger: did you mean 'a', 'b' or 'c'?" */
static void
print_choices(const char *const *c, size_t n, const char *prefix)
{
	size_t i;

	fputs("banger: did you mean ", stderr);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s'%s%s'",
		    i == 0	   ? "" :
			i + 1 == n ? " or " :
				     ", ",
		    prefix, c[i]);
	fputs("?\n", stderr);
}

/*
 * Print "banger: did you mean 'x'?" for the candidates closest to word:
 * those it is a prefix of, else those within edit distance 2 (and less
 * than the word's length, so "x" suggests nothing).
 */
void
cli_suggest(const char *word, const char *const *cands, size_t n,
    const char *prefix)
{
	const char *pick[4];
	size_t score[64], best = SIZE_MAX, i, shown = 0, nbest = 0;
	size_t wl = strlen(word);

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		size_t d = distance(word, cands[i]);

		if (wl > 0 && strncasecmp(cands[i], word, wl) == 0)
			d = 0;
		else if (d > 2 || d >= wl)
			d = SIZE_MAX;
		score[i] = d;
		if (d < best)
			best = d;
	}
	if (best == SIZE_MAX)
		return;
	for (i = 0; i < n; i++)
		if (score[i] == best)
			nbest++;
	if (nbest > 4)
		return;
	for (i = 0; i < n; i++)
		if (score[i] == best)
			pick[shown++] = cands[i];
	print_choices(pick, shown, prefix);
}

/* ---- help -------------------------------------------------------- */

static void
full_name(const struct cli_cmd *c, char *buf, size_t n)
{
	if (c->group != NULL)
		snprintf(buf, n, "%s %s", c->group, c->name);
	else
		snprintf(buf, n, "%s", c->name);
}

/* "NAME", "[PATH] [-- COMMAND...]": the operands for a usage line. */
static void
operands_usage(const struct cli_cmd *c, char *buf, size_t n)
{
	const struct cli_operand *o;
	size_t len = 0;

	buf[0] = '\0';
	for (o = c->operands; o != NULL && o->metavar != NULL; o++) {
		snprintf(buf + len, n - len, o->optional ? "%s[%s]" : "%s%s",
		    len ? " " : "", o->metavar);
		len = strlen(buf);
	}
	if (c->takes_command)
		snprintf(buf + len, n - len, "%s[-- COMMAND...]",
		    len ? " " : "");
}

static void
print_cmd_line(FILE *f, const struct cli_cmd *c, bool with_group)
{
	char name[48], ops[96], left[160];

	if (with_group)
		full_name(c, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", c->name);
	operands_usage(c, ops, sizeof(ops));
	snprintf(left, sizeof(left), "%s%s%s", name, ops[0] ? " " : "", ops);
	if (strlen(left) > 24)
		fprintf(f, "  %s\n  %-24s  ", left, "");
	else
		fprintf(f, "  %-24s  ", left);
	fprintf(f, "%s%s\n", c->summary, cli_cmd_todo(c) ? " (not yet)" : "");
}

static void
print_global_flags(FILE *f)
{
	fputs("Global flags:\n"
	      "  --json        print the result as JSON on stdout\n"
	      "  -h, --help    show help\n",
	    f);
}

static void
print_main_usage(FILE *f)
{
	size_t g, i;

	fputs("usage: banger [--json] COMMAND [FLAGS] [ARGS]\n\n"
	      "One-command development sandboxes on microVMs.\n",
	    f);
	for (g = 0; g < cli_ngroups; g++) {
		fprintf(f, "\n%s:\n", cli_groups[g].title);
		for (i = 0; i < cli_ncmds; i++)
			if (cli_cmds[i].group != NULL &&
			    strcmp(cli_cmds[i].group, cli_groups[g].name) == 0)
				print_cmd_line(f, &cli_cmds[i], true);
	}
	fputs("\nOther commands:\n", f);
	for (i = 0; i < cli_ncmds; i++)
		if (cli_cmds[i].group == NULL)
			print_cmd_line(f, &cli_cmds[i], true);
	fprintf(f, "  %-24s  %s\n\n", "help [COMMAND]",
	    "show help for a command");
	print_global_flags(f);
	fputs("\nRun 'banger help COMMAND' or 'banger COMMAND --help' for a "
	      "command's flags.\n",
	    f);
}

static void
print_group_usage(FILE *f, const struct cli_group *g)
{
	size_t i;

	fprintf(f, "usage: banger %s COMMAND [FLAGS] [ARGS]\n\n", g->name);
	fprintf(f, "%s:\n", g->title);
	for (i = 0; i < cli_ncmds; i++)
		if (cli_cmds[i].group != NULL &&
		    strcmp(cli_cmds[i].group, g->name) == 0)
			print_cmd_line(f, &cli_cmds[i], false);
	fputc('\n', f);
	print_global_flags(f);
	fprintf(f, "\nRun 'banger %s COMMAND --help' for a command's flags.\n",
	    g->name);
}

static void
print_usage_line(FILE *f, const struct cli_cmd *c)
{
	char name[48], ops[96];

	full_name(c, name, sizeof(name));
	operands_usage(c, ops, sizeof(ops));
	fprintf(f, "usage: banger %s [FLAGS]%s%s\n", name, ops[0] ? " " : "",
	    ops);
}

static void human_size(long long v, char *buf, size_t n);

/* "1 to 32", "128M to 1T": the range of a number flag, from the table. */
static void
flag_range(const struct cli_flag *fl, char *buf, size_t n)
{
	char lo[32], hi[32];

	buf[0] = '\0';
	if (fl->type == CLI_INT) {
		snprintf(buf, n, "; %lld to %lld", fl->min, fl->max);
	} else if (fl->type == CLI_MIB || fl->type == CLI_SIZE) {
		int shift = fl->type == CLI_MIB ? 20 : 0;

		human_size(fl->min << shift, lo, sizeof(lo));
		human_size(fl->max << shift, hi, sizeof(hi));
		snprintf(buf, n, "; %s to %s", lo, hi);
	}
}

static void
print_cmd_usage(FILE *f, const struct cli_cmd *c)
{
	const struct cli_flag *fl;
	char left[64], range[80];

	print_usage_line(f, c);
	fprintf(f, "\n%c%s.%s\n", toupper((unsigned char)c->summary[0]),
	    c->summary + 1, cli_cmd_todo(c) ? "  (Not implemented yet.)" : "");
	if (c->details != NULL)
		fprintf(f, "\n%s", c->details);
	fputs("\nFlags:\n", f);
	for (fl = c->flags; fl != NULL && fl->name != NULL; fl++) {
		if (fl->sname)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", fl->sname,
			    fl->name, fl->metavar ? " " : "",
			    fl->metavar ? fl->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", fl->name,
			    fl->metavar ? " " : "",
			    fl->metavar ? fl->metavar : "");
		flag_range(fl, range, sizeof(range));
		fprintf(f, "  %-22s  %s%s\n", left, fl->help, range);
	}
	fprintf(f, "  %-22s  %s\n", "    --json",
	    "print the result as JSON on stdout");
	fprintf(f, "  %-22s  %s\n", "-h, --help", "show this help");
}

/* ---- lookup and errors -------------------------------------------- */

static const struct cli_group *
find_group(const char *name)
{
	size_t i;

	for (i = 0; i < cli_ngroups; i++)
		if (strcmp(cli_groups[i].name, name) == 0)
			return &cli_groups[i];
	return NULL;
}

static const struct cli_cmd *
find_cmd(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < cli_ncmds; i++) {
		if ((group == NULL) != (cli_cmds[i].group == NULL))
			continue;
		if (group != NULL && strcmp(group, cli_cmds[i].group) != 0)
			continue;
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	}
	return NULL;
}

/* "banger: unknown command 'vm lst'" and what was probably meant. */
static int
unknown_command(const char *group, const char *word)
{
	const char *cands[64];
	char full[8][48];
	size_t n = 0, nfull = 0, i;

	fputs("banger: unknown command '", stderr);
	if (group != NULL)
		fprintf(stderr, "%s ", group);
	cli_put_clean(stderr, word, 64);
	fputs("'\n", stderr);
	if (group != NULL) {
		for (i = 0; i < cli_ncmds && n < 60; i++)
			if (cli_cmds[i].group != NULL &&
			    strcmp(cli_cmds[i].group, group) == 0)
				cands[n++] = cli_cmds[i].name;
		cands[n++] = "help";
		cli_suggest(word, cands, n, "");
		fprintf(stderr,
		    "banger: run 'banger %s --help' for its commands\n", group);
		return BG_EXIT_USAGE;
	}
	/* "banger list": the verb of some group, without the group. */
	for (i = 0; i < cli_ncmds && nfull < 8; i++)
		if (cli_cmds[i].group != NULL &&
		    strcmp(cli_cmds[i].name, word) == 0) {
			full_name(&cli_cmds[i], full[nfull], sizeof(full[0]));
			cands[n++] = full[nfull++];
		}
	if (n > 0) {
		print_choices(cands, n, "");
	} else {
		for (i = 0; i < cli_ngroups && n < 30; i++)
			cands[n++] = cli_groups[i].name;
		for (i = 0; i < cli_ncmds && n < 60; i++)
			if (cli_cmds[i].group == NULL)
				cands[n++] = cli_cmds[i].name;
		cands[n++] = "help";
		cli_suggest(word, cands, n, "");
	}
	fputs("banger: run 'banger --help' for the list of commands\n", stderr);
	return BG_EXIT_USAGE;
}

int
cli_usage_error(const struct cli_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fputs("banger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_line(stderr, c);
	return BG_EXIT_USAGE;
}

/* "banger: --vcpu: 'abc' is not ..." with the value made printable. */
int
cli_bad_value(const char *what, const char *val, const char *why)
{
	fprintf(stderr, "banger: %s: '", what);
	cli_put_clean(stderr, val, 80);
	fprintf(stderr, "' %s\n", why);
	return BG_EXIT_USAGE;
}

/* ---- values -------------------------------------------------------- */

/* Digits only, no sign, no blanks, no overflow. */
static int
parse_uint(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

/* 268435456 → "256M", for messages about size bounds. */
static void
human_size(long long v, char *buf, size_t n)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (v >= 1024 && v % 1024 == 0 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%lld", v);
	else
		snprintf(buf, n, "%lld%c", v, units[u]);
}

/* Control characters (C0, DEL, C1) or bytes that are not UTF-8. */
static bool
has_control(const char *s)
{
	char *c = cli_clean(s, strlen(s), false);
	bool r = c == NULL || strcmp(c, s) != 0;

	free(c);
	return r;
}

/*
 * Check val against type t and turn it into a JSON value.  Returns 0,
 * or BG_EXIT_USAGE after saying what is wrong.
 */
static int
convert(const char *what, enum cli_type t, const char *val, long long min,
    long long max, cJSON **out)
{
	char lo[32], hi[32], why[160];
	long long v;
	uint64_t bytes;
	size_t len = strlen(val);

	*out = NULL;
	switch (t) {
	case CLI_BOOL:
		*out = cJSON_CreateTrue();
		break;
	case CLI_NAME:
		if (!bg_name_valid(val))
			return cli_bad_value(what, val,
			    "is not a valid name: use lowercase letters, "
			    "digits and '-', at most 63, starting with a "
			    "letter or digit");
		*out = cJSON_CreateString(val);
		break;
	case CLI_ARTIFACT:
		if (!bg_artifact_name_valid(val))
			return cli_bad_value(what, val,
			    "is not a valid image or kernel name: use "
			    "lowercase letters, digits, '-' and single inner "
			    "'.', at most 63, starting with a letter or digit");
		*out = cJSON_CreateString(val);
		break;
	case CLI_STR:
	case CLI_PATH:
		if (len == 0)
			return cli_bad_value(what, val, "is empty");
		if (len > (t == CLI_STR ? CLI_STR_MAX : PATH_MAX - 1))
			return cli_bad_value(what, val, "is too long");
		if (has_control(val))
			return cli_bad_value(what, val,
			    "contains control characters or is not UTF-8");
		*out = cJSON_CreateString(val);
		break;
	case CLI_INT:
		if (parse_uint(val, &v) < 0 || v < min || v > max) {
			snprintf(why, sizeof(why),
			    "is not a whole number from %lld to %lld", min,
			    max);
			return cli_bad_value(what, val, why);
		}
		*out = cJSON_CreateNumber((double)v);
		break;
	case CLI_MIB:
		if (parse_uint(val, &v) == 0)
			; /* plain MiB */
		else if (bg_size_parse(val, &bytes) == 0 &&
		    bytes % (1024 * 1024) == 0 &&
		    bytes / (1024 * 1024) <= LLONG_MAX)
			v = (long long)(bytes / (1024 * 1024));
		else
			v = -1;
		if (v < min || v > max) {
			human_size(min << 20, lo, sizeof(lo));
			human_size(max << 20, hi, sizeof(hi));
			snprintf(why, sizeof(why),
			    "is not a memory size from %s to %s: give MiB "
			    "(2048) or a suffix (2G, 512M)",
			    lo, hi);
			return cli_bad_value(what, val, why);
		}
		*out = cJSON_CreateNumber((double)v);
		break;
	case CLI_SIZE:
		if (bg_size_parse(val, &bytes) < 0 || bytes < (uint64_t)min ||
		    bytes > (uint64_t)max) {
			human_size(min, lo, sizeof(lo));
			human_size(max, hi, sizeof(hi));
			snprintf(why, sizeof(why),
			    "is not a size from %s to %s (like 16G or 1T)", lo,
			    hi);
			return cli_bad_value(what, val, why);
		}
		*out = cJSON_CreateNumber((double)bytes);
		break;
	}
	if (*out == NULL) {
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	return 0;
}

/* Add item under key to obj (consumes item). */
static int
add(cJSON *obj, const char *key, cJSON *item)
{
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	return 0;
}

/* Record a parsed value: under the flag's name, and in the request. */
static int
store(struct cli_inv *inv, const char *optname, const char *key, cJSON *v)
{
	cJSON *dup = NULL;
	int r;

	if (key != NULL && (dup = cJSON_Duplicate(v, 1)) == NULL) {
		cJSON_Delete(v);
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	if (optname != NULL) {
		r = add(inv->opts, optname, v);
		v = NULL;
		if (r != 0) {
			cJSON_Delete(dup);
			return r;
		}
	}
	cJSON_Delete(v);
	return dup != NULL ? add(inv->req, key, dup) : 0;
}

/* ---- parsing --------------------------------------------------------- */

static const struct cli_flag *
find_flag(const struct cli_cmd *c, const char *name, char sname)
{
	const struct cli_flag *f;

	for (f = c->flags; f != NULL && f->name != NULL; f++)
		if ((name != NULL && strcmp(f->name, name) == 0) ||
		    (name == NULL && sname != 0 && f->sname == sname))
			return f;
	return NULL;
}

static int
unknown_flag(const struct cli_inv *inv, const char *given, const char *name)
{
	const struct cli_flag *f;
	const char *cands[64];
	size_t n = 0;

	fputs("banger: unknown flag '", stderr);
	cli_put_clean(stderr, given, 64);
	fprintf(stderr, "' for '%s'\n", inv->fullname);
	if (name != NULL) {
		f = inv->cmd->flags;
		for (; f != NULL && f->name != NULL && n < 60; f++)
			cands[n++] = f->name;
		cands[n++] = "json";
		cands[n++] = "help";
		cli_suggest(name, cands, n, "--");
	}
	fprintf(stderr, "banger: run 'banger %s --help' for its flags\n",
	    inv->fullname);
	return BG_EXIT_USAGE;
}

/* One flag at argv[*i] (which may consume argv[*i + 1]). */
static int
parse_flag(struct cli_inv *inv, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *name = NULL, *val = NULL;
	const struct cli_flag *f;
	char nbuf[64], what[72];
	cJSON *v;
	int r;

	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);

		if (len >= sizeof(nbuf))
			len = sizeof(nbuf) - 1;
		memcpy(nbuf, a + 2, len);
		nbuf[len] = '\0';
		name = nbuf;
		val = eq ? eq + 1 : NULL;
		if (strcmp(name, "json") == 0) {
			if (val != NULL)
				return cli_usage_error(inv->cmd,
				    "--json takes no value");
			inv->json = true;
			return CLI_GO;
		}
		f = find_flag(inv->cmd, name, 0);
	} else {
		f = a[2] == '\0' ? find_flag(inv->cmd, NULL, a[1]) : NULL;
	}
	if (f == NULL) {
		if (val != NULL) {
			/* Name the flag without its value. */
			snprintf(what, sizeof(what), "--%s", name);
			return unknown_flag(inv, what, name);
		}
		return unknown_flag(inv, a, name);
	}
	snprintf(what, sizeof(what), "--%s", f->name);
	if (cJSON_GetObjectItemCaseSensitive(inv->opts, f->name) != NULL)
		return cli_usage_error(inv->cmd, "%s given twice", what);
	if (f->type == CLI_BOOL) {
		if (val != NULL)
			return cli_usage_error(inv->cmd, "%s takes no value",
			    what);
	} else if (val == NULL) {
		if (*i + 1 >= argc ||
		    (argv[*i + 1][0] == '-' && argv[*i + 1][1] != '\0'))
			return cli_usage_error(inv->cmd,
			    "%s needs a value (%s%s)", what, f->metavar,
			    *i + 1 < argc ? "; write --flag=VALUE for a value "
					    "that starts with '-'" :
					    "");
		val = argv[++*i];
	}
	r = convert(what, f->type, val ? val : "", f->min, f->max, &v);
	if (r != 0)
		return r;
	r = store(inv, f->name, f->key, v);
	return r != 0 ? r : CLI_GO;
}

static int
check_operands(struct cli_inv *inv)
{
	const struct cli_cmd *c = inv->cmd;
	const struct cli_operand *o = c->operands;
	int nops = 0, nreq = 0, k, r;
	cJSON *v;

	for (; o != NULL && o->metavar != NULL; o++) {
		nops++;
		if (!o->optional)
			nreq++;
	}
	if (inv->nargs < nreq)
		return cli_usage_error(c, "'%s' needs %s", inv->fullname,
		    c->operands[inv->nargs].metavar);
	if (inv->nargs > nops) {
		if (nops == 0)
			fprintf(stderr, "banger: '%s' takes no arguments: '",
			    inv->fullname);
		else
			fprintf(stderr,
			    "banger: too many arguments for '%s': '",
			    inv->fullname);
		cli_put_clean(stderr, inv->args[nops], 64);
		fputs("'\n", stderr);
		if (c->takes_command)
			fputs("banger: to run a command, put it after '--'\n",
			    stderr);
		print_usage_line(stderr, c);
		return BG_EXIT_USAGE;
	}
	for (k = 0; k < inv->nargs; k++) {
		o = &c->operands[k];
		r = convert(o->metavar, o->type, inv->args[k], 0, 0, &v);
		if (r != 0)
			return r;
		r = store(inv, NULL, o->key, v);
		if (r != 0)
			return r;
	}
	return 0;
}

static bool
is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* -h or --help among the words before "--". */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return true;
	return false;
}

/* Everything after the command's name (help was handled by parse()). */
static int
parse_cmd(const struct cli_cmd *c, int argc, char **argv, struct cli_inv *inv)
{
	int i, r;

	inv->cmd = c;
	full_name(c, inv->fullname, sizeof(inv->fullname));
	inv->opts = cJSON_CreateObject();
	inv->req = cJSON_CreateObject();
	inv->args = calloc((size_t)argc + 1, sizeof(char *));
	if (inv->opts == NULL || inv->req == NULL || inv->args == NULL ||
	    cJSON_AddNumberToObject(inv->req, "v", 1) == NULL) {
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	for (i = 0; i < argc; i++) {
		char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			if (c->takes_command) {
				inv->command = argv + i;
				inv->ncommand = argc - i;
				if (inv->ncommand == 0)
					return cli_usage_error(c,
					    "no COMMAND after '--'");
				break;
			}
			while (i < argc)
				inv->args[inv->nargs++] = argv[i++];
			break;
		}
		if (a[0] == '-' && a[1] != '\0') {
			r = parse_flag(inv, argc, argv, &i);
			if (r != CLI_GO)
				return r;
			continue;
		}
		inv->args[inv->nargs++] = a;
	}
	r = check_operands(inv);
	if (r == 0 && c->check != NULL)
		r = c->check(inv);
	return r != 0 ? r : CLI_GO;
}

/* banger help [GROUP] [VERB] */
static int
help(int argc, char **argv)
{
	const struct cli_group *g;
	const struct cli_cmd *c;

	if (argc == 0) {
		print_main_usage(stdout);
		return 0;
	}
	g = find_group(argv[0]);
	if (g != NULL && argc == 1) {
		print_group_usage(stdout, g);
		return 0;
	}
	c = find_cmd(g ? g->name : NULL, argv[g ? 1 : 0]);
	if (c == NULL)
		return unknown_command(g ? g->name : NULL, argv[g ? 1 : 0]);
	if (argc > (g ? 2 : 1)) {
		fputs("banger: usage: banger help [COMMAND]\n", stderr);
		return BG_EXIT_USAGE;
	}
	print_cmd_usage(stdout, c);
	return 0;
}

/* Flags before the command, or between its group and its verb. */
struct globals {
	bool json, help;
	const char *bad; /* the first unknown one */
	const struct cli_group *bad_in; /* where it was: NULL or a group */
};

/*
 * --json and -h/--help before (or between group and) the command.  An
 * unknown flag is only remembered: it is an error unless help is asked
 * for somewhere on the line (bad_global()).
 */
static void
global_flags(int argc, char **argv, int *i, struct globals *gl,
    const struct cli_group *g)
{
	for (; *i < argc && argv[*i][0] == '-' && argv[*i][1] != '\0'; (*i)++) {
		const char *a = argv[*i];

		if (strcmp(a, "--json") == 0) {
			gl->json = true;
		} else if (is_help(a)) {
			gl->help = true;
		} else if (gl->bad == NULL) {
			gl->bad = a;
			gl->bad_in = g;
		}
	}
}

static int
bad_global(const struct globals *gl)
{
	static const char *const cands[] = { "json", "help" };
	const struct cli_group *g = gl->bad_in;

	fputs("banger: unknown flag '", stderr);
	cli_put_clean(stderr, gl->bad, 64);
	fputs("'\n", stderr);
	if (gl->bad[1] == '-')
		cli_suggest(gl->bad + 2, cands, 2, "--");
	fprintf(stderr, "banger: run 'banger%s%s --help' for the usage\n",
	    g ? " " : "", g ? g->name : "");
	return BG_EXIT_USAGE;
}

/*
 * The command line.  Precedence: an unknown command is an error (with
 * suggestions) even with --help; else -h/--help anywhere before "--"
 * prints the help of the command named (or of its group, or banger's),
 * whatever else is wrong on the line; else flags and operands are
 * checked.  Returns CLI_GO to run inv, or an exit code.
 */
static int
parse(int argc, char **argv, struct cli_inv *inv)
{
	const struct cli_group *g;
	const struct cli_cmd *c;
	struct globals gl = { false, false, NULL, NULL };
	int i = 1, r;

	global_flags(argc, argv, &i, &gl, NULL);
	if (i >= argc) {
		if (gl.help) {
			print_main_usage(stdout);
			return 0;
		}
		if (gl.bad != NULL)
			return bad_global(&gl);
		print_main_usage(stderr);
		return BG_EXIT_USAGE;
	}
	if (strcmp(argv[i], "help") == 0)
		return help(argc - i - 1, argv + i + 1);
	g = find_group(argv[i]);
	if (g != NULL) {
		i++;
		global_flags(argc, argv, &i, &gl, g);
		if (i >= argc) {
			if (gl.help) {
				print_group_usage(stdout, g);
				return 0;
			}
			if (gl.bad != NULL)
				return bad_global(&gl);
			fprintf(stderr, "banger: '%s' needs a command\n",
			    g->name);
			print_group_usage(stderr, g);
			return BG_EXIT_USAGE;
		}
		if (strcmp(argv[i], "help") == 0) {
			argv[i] = (char *)g->name;
			return help(argc - i, argv + i);
		}
	}
	c = find_cmd(g ? g->name : NULL, argv[i]);
	if (c == NULL)
		return unknown_command(g ? g->name : NULL, argv[i]);
	if (gl.help || wants_help(argc - i - 1, argv + i + 1)) {
		print_cmd_usage(stdout, c);
		return 0;
	}
	if (gl.bad != NULL)
		return bad_global(&gl);
	r = parse_cmd(c, argc - i - 1, argv + i + 1, inv);
	inv->json = inv->json || gl.json;
	return r;
}

/* ---- main -------------------------------------------------------- */

static void
inv_free(struct cli_inv *inv)
{
	cJSON_Delete(inv->opts);
	cJSON_Delete(inv->req);
	free(inv->args);
}

/* A failed write to stdout (full disk, closed pipe) is a failure too. */
static int
finish_stdout(int r)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return r;
	if (errno != EPIPE)
		fprintf(stderr, "banger: writing the output failed: %s\n",
		    strerror(errno));
	return r != 0 ? r : BG_EXIT_TEMP;
}

/*
 * Make sure fds 0-2 are open, so that no pipe or socket we open later
 * lands on one of them (and is then clobbered or closed by a dup2).
 */
static void
open_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", O_RDWR | O_NOCTTY) < 0)
			exit(BG_EXIT_TEMP);
}

/*
 * banger: parse the command line against the command table, then run
 * the command, which asks the services over the owner socket or (doctor)
 * runs a helper directly.
 */
int
main(int argc, char **argv)
{
	struct cli_inv inv;
	int r;

	memset(&inv, 0, sizeof(inv));
	open_stdio();
	signal(SIGPIPE, SIG_IGN);
	r = parse(argc, argv, &inv);
	if (r == CLI_GO && cli_cmd_todo(inv.cmd)) {
		fprintf(stderr, "banger: '%s' is not implemented yet\n",
		    inv.fullname);
		r = BG_EXIT_NO;
	} else if (r == CLI_GO) {
		r = (inv.cmd->run != NULL ? inv.cmd->run : cli_remote)(&inv);
	}
	inv_free(&inv);
	return finish_stdout(r);
}
