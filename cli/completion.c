/*
 * completion.c — `banger completion SHELL`: a completion script for
 * bash, zsh, fish or powershell, generated from the command table in
 * commands.c (groups, verbs, flags, operands), so it never drifts from
 * what the parser accepts.
 *
 * Live names (VMs, images and kernels) are asked of the running
 * service by the CLI itself, in a hidden mode of this command:
 *
 *   BANGER_COMPLETE=vms banger completion bash
 *
 * prints one VM name a line (vm-list, with a deadline of about a
 * second), and prints nothing, exit 0, when the service is down, slow
 * or answers an error.  The scripts never fall back to file names.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define NAMES_TIMEOUT_MS 1000

static const char *const shell_names[] = { "bash", "zsh", "fish",
	"powershell" };
#define NSHELLS (sizeof(shell_names) / sizeof(shell_names[0]))

/* ---- what the table says ------------------------------------------- */

static void
cmd_path(const struct cli_cmd *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", c->group ? c->group : "",
	    c->group ? " " : "", c->name);
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t ls = strlen(s), lt = strlen(tail);

	return ls >= lt && strcmp(s + ls - lt, tail) == 0;
}

/*
 * What follows a flag: NULL (a switch, no value), "none" (free text:
 * nothing offered), or a list of live names ("images", "kernels").
 */
static const char *
flag_kind(const struct cli_flag *f)
{
	if (f->type == CLI_BOOL)
		return NULL;
	if (f->type == CLI_ARTIFACT && strcmp(f->name, "image") == 0)
		return "images";
	if (f->type == CLI_ARTIFACT && strcmp(f->name, "kernel") == 0)
		return "kernels";
	return "none";
}

/*
 * What an operand completes to: an existing VM (a NAME in the vm
 * group), an existing image or kernel (an artifact NAME of a verb
 * other than pull and register, and of bundle), the shells of
 * `completion`, or nothing
 * ("none": free text and host paths; no file completion).
 */
static const char *
operand_kind(const struct cli_cmd *c, const struct cli_operand *o)
{
	if (c->group == NULL && strcmp(c->name, "completion") == 0)
		return "shells";
	if (c->group == NULL)
		return "none";
	if (o->type == CLI_NAME && strcmp(c->group, "vm") == 0)
		return "vms";
	if (o->type == CLI_ARTIFACT &&
	    ((c->verb != NULL && !ends_with(c->verb, "-pull") &&
		 !ends_with(c->verb, "-register")) ||
		strcmp(c->name, "bundle") == 0)) {
		if (strcmp(c->group, "image") == 0)
			return "images";
		if (strcmp(c->group, "kernel") == 0)
			return "kernels";
	}
	return "none";
}

/* Space-separated words: the top level, or a group's verbs. */
static void
put_words(FILE *f, const char *group)
{
	const char *sep = "";
	size_t i;

	if (group == NULL) {
		for (i = 0; i < cli_ngroups; i++) {
			fprintf(f, "%s%s", sep, cli_groups[i].name);
			sep = " ";
		}
	}
	for (i = 0; i < cli_ncmds; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		if ((group == NULL) != (c->group == NULL) ||
		    (group != NULL && strcmp(group, c->group) != 0))
			continue;
		fprintf(f, "%s%s", sep, c->name);
		sep = " ";
	}
	if (group == NULL)
		fputs(" help", f);
}

static void
put_flags(FILE *f, const struct cli_cmd *c)
{
	const struct cli_flag *fl;

	for (fl = c->flags; fl != NULL && fl->name != NULL; fl++) {
		fprintf(f, "--%s ", fl->name);
		if (fl->sname)
			fprintf(f, "-%c ", fl->sname);
	}
	fputs("--json --help -h", f);
}

static void
put_shells(FILE *f)
{
	size_t k;

	for (k = 0; k < NSHELLS; k++)
		fprintf(f, "%s%s", k ? " " : "", shell_names[k]);
}

/* ---- the tables, in each shell's syntax ----------------------------- */

/*
 * One dialect: how to open a lookup on its arguments, write one arm
 * (a pattern, then the words printed), and close it.
 */
struct dialect {
	const char *fn_open; /* %s: the function's name */
	const char *fn_close;
	const char *arm_open; /* %s: the pattern */
	const char *arm_close;
	const char *key1; /* how the key of one argument is formed */
	const char *key2; /* ... of two */
};

static const struct dialect sh_dialect = {
	"%s() {\n\tcase $1 in\n",
	"\tesac\n}\n\n",
	"\t'%s') echo '",
	"' ;;\n",
	NULL,
	"\"$1|$2\"",
};

static const struct dialect fish_dialect = {
	"function %s\n\tswitch \"$argv[1]\"\n",
	"\tend\nend\n\n",
	"\tcase '%s'\n\t\techo '",
	"'\n",
	NULL,
	NULL,
};

/* PowerShell: a hashtable from key to words. */
static const struct dialect ps_dialect = {
	"$%s = @{\n",
	"}\n\n",
	"\t'%s' = '",
	"'\n",
	NULL,
	NULL,
};

/* tmpl with its one "%s" replaced by arg (no printf: tmpl is data) */
static void
subst(FILE *f, const char *tmpl, const char *arg)
{
	const char *m = strstr(tmpl, "%s");

	if (m == NULL) {
		fputs(tmpl, f);
		return;
	}
	fwrite(tmpl, 1, (size_t)(m - tmpl), f);
	fputs(arg, f);
	fputs(m + 2, f);
}

/*
 * The four tables every script uses:
 *   words KEY          '' → top-level words; GROUP → its verbs
 *   flags CMD          the flags of CMD ("vm stop")
 *   flagarg CMD|FLAG   what follows FLAG: none, images, kernels (absent:
 *                      a switch)
 *   operand CMD|N      what operand N (from 0) is: vms, images,
 *                      kernels, shells, none (absent: none)
 * In bash and zsh the two-key tables are looked up with "$1|$2".
 */
static void
put_tables(FILE *f, const struct dialect *d, const char *pre, bool two_args)
{
	char name[64], path[48], key[96];
	const struct cli_flag *fl;
	const struct cli_operand *o;
	size_t i, g;
	int n;

	snprintf(name, sizeof(name), "%swords", pre);
	subst(f, d->fn_open, name);
	subst(f, d->arm_open, "");
	put_words(f, NULL);
	fputs(d->arm_close, f);
	for (g = 0; g < cli_ngroups; g++) {
		subst(f, d->arm_open, cli_groups[g].name);
		put_words(f, cli_groups[g].name);
		fputs(d->arm_close, f);
	}
	fputs(d->fn_close, f);

	snprintf(name, sizeof(name), "%sflags", pre);
	subst(f, d->fn_open, name);
	for (i = 0; i < cli_ncmds; i++) {
		cmd_path(&cli_cmds[i], path, sizeof(path));
		subst(f, d->arm_open, path);
		put_flags(f, &cli_cmds[i]);
		fputs(d->arm_close, f);
	}
	fputs(d->fn_close, f);

	/* bash and zsh: case "$1|$2" in; fish: switch "$argv[1]|$argv[2]" */
	snprintf(name, sizeof(name), "%sflagarg", pre);
	if (two_args && d == &sh_dialect)
		fprintf(f, "%s() {\n\tcase \"$1|$2\" in\n", name);
	else if (two_args)
		fprintf(f, "function %s\n\tswitch \"$argv[1]|$argv[2]\"\n",
		    name);
	else
		subst(f, d->fn_open, name);
	for (i = 0; i < cli_ncmds; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		cmd_path(c, path, sizeof(path));
		for (fl = c->flags; fl != NULL && fl->name != NULL; fl++) {
			const char *k = flag_kind(fl);

			if (k == NULL)
				continue;
			snprintf(key, sizeof(key), "%s|--%s", path, fl->name);
			subst(f, d->arm_open, key);
			fprintf(f, "%s%s", k, d->arm_close);
			if (fl->sname) {
				snprintf(key, sizeof(key), "%s|-%c", path,
				    fl->sname);
				subst(f, d->arm_open, key);
				fprintf(f, "%s%s", k, d->arm_close);
			}
		}
	}
	fputs(d->fn_close, f);

	snprintf(name, sizeof(name), "%soperand", pre);
	if (two_args && d == &sh_dialect)
		fprintf(f, "%s() {\n\tcase \"$1|$2\" in\n", name);
	else if (two_args)
		fprintf(f, "function %s\n\tswitch \"$argv[1]|$argv[2]\"\n",
		    name);
	else
		subst(f, d->fn_open, name);
	subst(f, d->arm_open, "help|0");
	fprintf(f, "words%s", d->arm_close);
	for (i = 0; i < cli_ncmds; i++) {
		const struct cli_cmd *c = &cli_cmds[i];

		cmd_path(c, path, sizeof(path));
		for (n = 0, o = c->operands; o != NULL && o->metavar != NULL;
		     o++, n++) {
			snprintf(key, sizeof(key), "%s|%d", path, n);
			subst(f, d->arm_open, key);
			fprintf(f, "%s%s", operand_kind(c, o), d->arm_close);
		}
	}
	fputs(d->fn_close, f);
}

/* ---- bash ----------------------------------------------------------- */

static const char bash_main[] =
    "# Names from the running service; nothing when it is down.\n"
    "_banger_names() {\n"
    "\tBANGER_COMPLETE=$1 command \"${COMP_WORDS[0]:-banger}\" completion bash \\\n"
    "\t    2>/dev/null </dev/null\n"
    "}\n\n# _banger_kind KIND: the words KIND stands for.\n_banger_kind() {\n"
    "\tcase $1 in\n\tvms|images|kernels) _banger_names \"$1\" ;;\n"
    "\tshells) echo '@SHELLS@' ;;\n\twords) _banger_words '' ;;\n"
    "\tesac\n}\n\n_banger() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} grp= cmd= w k i n=0\n"
    "\tCOMPREPLY=()\n"
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n\t\tw=${COMP_WORDS[i]}\n"
    "\t\tcase $w in\n\t\t--) return 0 ;;\n"
    "\t\t-*)\n\t\t\t[[ -n $cmd ]] || continue\n"
    "\t\t\tk=$(_banger_flagarg \"$cmd\" \"$w\")\n"
    "\t\t\t[[ -n $k ]] || continue\n\t\t\tif ((i + 1 == COMP_CWORD)); then\n"
    "\t\t\t\tCOMPREPLY=($(compgen -W \"$(_banger_kind \"$k\")\" -- \"$cur\"))\n"
    "\t\t\t\treturn 0\n\t\t\tfi\n"
    "\t\t\t((i++))\n\t\t\t;;\n\t\t*)\n\t\t\tif [[ -n $cmd ]]; then\n"
    "\t\t\t\t((n++))\n\t\t\telif [[ -n $grp ]]; then\n\t\t\t\tcmd=\"$grp $w\"\n"
    "\t\t\telif [[ \" $(_banger_words '') \" == *\" $w \"* &&\n"
    "\t\t\t    -n $(_banger_words \"$w\") ]]; then\n\t\t\t\tgrp=$w\n"
    "\t\t\telse\n\t\t\t\tcmd=$w\n\t\t\tfi\n\t\t\t;;\n"
    "\t\tesac\n\tdone\n"
    "\tif [[ $cur == -* ]]; then\n\t\tif [[ -n $cmd ]]; then\n"
    "\t\t\tCOMPREPLY=($(compgen -W \"$(_banger_flags \"$cmd\")\" -- \"$cur\"))\n"
    "\t\telse\n"
    "\t\t\tCOMPREPLY=($(compgen -W '--json --help -h' -- \"$cur\"))\n\t\tfi\n"
    "\telif [[ -z $cmd ]]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_banger_words \"$grp\")\" -- \"$cur\"))\n"
    "\telse\n\t\tk=$(_banger_operand \"$cmd\" \"$n\")\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_banger_kind \"$k\")\" -- \"$cur\"))\n"
    "\tfi\n"
    "\treturn 0\n}\n\n# No -o default or -o bashdefault: never file names.\n"
    "complete -F _banger banger\n";

/* ---- zsh ------------------------------------------------------------ */

static const char zsh_main[] =
    "# Names from the running service; nothing when it is down.\n"
    "_banger_names() {\n"
    "\tBANGER_COMPLETE=$1 command banger completion zsh 2>/dev/null </dev/null\n"
    "}\n"
    "\n_banger_kind() {\n"
    "\tcase $1 in\n\tvms|images|kernels) _banger_names \"$1\" ;;\n"
    "\tshells) echo '@SHELLS@' ;;\n\twords) _banger_words '' ;;\n\tesac\n}\n"
    "\n_banger() {\n"
    "\tlocal cur=${words[CURRENT]} grp= cmd= w k i n=0\n\tlocal -a cands\n"
    "\tfor ((i = 2; i < CURRENT; i++)); do\n\t\tw=${words[i]}\n"
    "\t\tcase $w in\n\t\t--) return 1 ;;\n"
    "\t\t-*)\n\t\t\t[[ -n $cmd ]] || continue\n"
    "\t\t\tk=$(_banger_flagarg \"$cmd\" \"$w\")\n"
    "\t\t\t[[ -n $k ]] || continue\n\t\t\tif ((i + 1 == CURRENT)); then\n"
    "\t\t\t\tcands=(${=$(_banger_kind \"$k\")})\n"
    "\t\t\t\tcompadd -a cands\n\t\t\t\treturn\n"
    "\t\t\tfi\n\t\t\t((i++))\n\t\t\t;;\n\t\t*)\n"
    "\t\t\tif [[ -n $cmd ]]; then\n\t\t\t\t((n++))\n"
    "\t\t\telif [[ -n $grp ]]; then\n\t\t\t\tcmd=\"$grp $w\"\n"
    "\t\t\telif [[ \" $(_banger_words '') \" == *\" $w \"* &&\n"
    "\t\t\t    -n $(_banger_words \"$w\") ]]; then\n"
    "\t\t\t\tgrp=$w\n\t\t\telse\n\t\t\t\tcmd=$w\n\t\t\tfi\n"
    "\t\t\t;;\n\t\tesac\n\tdone\n\tif [[ $cur == -* ]]; then\n"
    "\t\tif [[ -n $cmd ]]; then\n\t\t\tcands=(${=$(_banger_flags \"$cmd\")})\n"
    "\t\telse\n\t\t\tcands=(--json --help -h)\n"
    "\t\tfi\n\telif [[ -z $cmd ]]; then\n"
    "\t\tcands=(${=$(_banger_words \"$grp\")})\n\telse\n"
    "\t\tk=$(_banger_operand \"$cmd\" \"$n\")\n"
    "\t\tcands=(${=$(_banger_kind \"$k\")})\n"
    "\tfi\n\t# Only these words, never file names.\n\tcompadd -a cands\n}\n"
    "\nif [[ $funcstack[1] == _banger ]]; then\n\t_banger \"$@\"\nelse\n"
    "\tcompdef _banger banger\nfi\n";

/* ---- fish ----------------------------------------------------------- */

static const char fish_main[] =
    "# Names from the running service; nothing when it is down.\n"
    "function __banger_kind\n"
    "\tswitch \"$argv[1]\"\n\tcase vms images kernels\n"
    "\t\tBANGER_COMPLETE=$argv[1] command banger completion fish 2>/dev/null </dev/null\n"
    "\tcase shells\n\t\tstring split ' ' -- '@SHELLS@'\n\tcase words\n"
    "\t\tstring split ' ' -- (__banger_words '')\n\tend\nend\n\n"
    "function __banger_complete\n\tset -l toks (commandline -opc)\n"
    "\tset -l cur (commandline -ct)\n\tset -l grp ''\n"
    "\tset -l cmd ''\n\tset -l n 0\n"
    "\tset -l i 2\n\twhile test $i -le (count $toks)\n"
    "\t\tset -l w $toks[$i]\n\t\tif test \"$w\" = --\n"
    "\t\t\treturn 0\n\t\telse if string match -q -- '-*' $w\n"
    "\t\t\tif test -n \"$cmd\"\n\t\t\t\tset -l k (__banger_flagarg $cmd $w)\n"
    "\t\t\t\tif test -n \"$k\"\n\t\t\t\t\tif test $i -eq (count $toks)\n"
    "\t\t\t\t\t\t__banger_kind $k\n\t\t\t\t\t\treturn 0\n"
    "\t\t\t\t\tend\n\t\t\t\t\tset i (math $i + 1)\n"
    "\t\t\t\tend\n\t\t\tend\n"
    "\t\telse if test -n \"$cmd\"\n\t\t\tset n (math $n + 1)\n"
    "\t\telse if test -n \"$grp\"\n\t\t\tset cmd \"$grp $w\"\n"
    "\t\telse if contains -- $w (string split ' ' -- (__banger_words ''))\n"
    "\t\t\tand test -n \"$(__banger_words $w)\"\n\t\t\tset grp $w\n\t\telse\n"
    "\t\t\tset cmd $w\n\t\tend\n\t\tset i (math $i + 1)\n\tend\n"
    "\tif string match -q -- '-*' \"$cur\"\n\t\tif test -n \"$cmd\"\n"
    "\t\t\tstring split ' ' -- (__banger_flags $cmd)\n\t\telse\n"
    "\t\t\tprintf '%s\\n' --json --help -h\n\t\tend\n"
    "\telse if test -z \"$cmd\"\n"
    "\t\tstring split ' ' -- (__banger_words $grp)\n"
    "\telse\n\t\t__banger_kind (__banger_operand $cmd $n)\n"
    "\tend\nend\n\n# -f: never file names, only these words.\n"
    "complete -c banger -f\ncomplete -c banger -f -a '(__banger_complete)'\n";

/* ---- powershell ----------------------------------------------------- */

static const char ps_main[] =
    "function __BangerKind($kind) {\n\tswitch ($kind) {\n"
    "\t\t{ $_ -in 'vms', 'images', 'kernels' } {\n"
    "\t\t\t$env:BANGER_COMPLETE = $kind\n"
    "\t\t\ttry { return @(banger completion powershell 2>$null) }\n"
    "\t\t\tfinally { Remove-Item Env:BANGER_COMPLETE }\n"
    "\t\t}\n\t\t'shells' { return '@SHELLS@' -split ' ' }\n"
    "\t\t'words' { return $__bangerWords[''] -split ' ' }\n\t}\n"
    "\treturn @()\n}\n"
    "\nRegister-ArgumentCompleter -Native -CommandName banger -ScriptBlock {\n"
    "\tparam($wordToComplete, $commandAst, $cursorPosition)\n"
    "\t$toks = @($commandAst.CommandElements | Where-Object {\n"
    "\t\t$_.Extent.EndOffset -lt $cursorPosition -or\n"
    "\t\t($_.Extent.EndOffset -eq $cursorPosition -and $wordToComplete -eq '')\n"
    "\t} | ForEach-Object { $_.ToString() })\n"
    "\tif ($wordToComplete -ne '' -and $toks.Count -gt 0 -and\n"
    "\t    $toks[-1] -eq $wordToComplete) {\n"
    "\t\t$toks = @($toks | Select-Object -SkipLast 1)\n"
    "\t}\n\t$grp = ''; $cmd = ''; $n = 0; $cands = $null\n"
    "\tfor ($i = 1; $i -lt $toks.Count; $i++) {\n\t\t$w = $toks[$i]\n"
    "\t\tif ($w -eq '--') { return }\n\t\tif ($w.StartsWith('-')) {\n"
    "\t\t\tif ($cmd -eq '') { continue }\n"
    "\t\t\t$k = $__bangerFlagarg[\"$cmd|$w\"]\n"
    "\t\t\tif (-not $k) { continue }\n"
    "\t\t\tif ($i + 1 -eq $toks.Count) { $cands = __BangerKind $k; break }\n"
    "\t\t\t$i++\n\t\t} elseif ($cmd -ne '') {\n"
    "\t\t\t$n++\n\t\t} elseif ($grp -ne '') {\n"
    "\t\t\t$cmd = \"$grp $w\"\n"
    "\t\t} elseif ($__bangerWords.ContainsKey($w)) {\n"
    "\t\t\t$grp = $w\n\t\t} else {\n\t\t\t$cmd = $w\n\t\t}\n"
    "\t}\n\tif ($null -eq $cands) {\n"
    "\t\tif ($wordToComplete.StartsWith('-')) {\n"
    "\t\t\tif ($cmd -ne '') { $cands = $__bangerFlags[$cmd] -split ' ' }\n"
    "\t\t\telse { $cands = '--json', '--help', '-h' }\n"
    "\t\t} elseif ($cmd -eq '') {\n"
    "\t\t\t$cands = $__bangerWords[$grp] -split ' '\n\t\t} else {\n"
    "\t\t\t$k = $__bangerOperand[\"$cmd|$n\"]\n"
    "\t\t\tif ($k) { $cands = __BangerKind $k } else { $cands = @() }\n"
    "\t\t}\n\t}\n\t# Only these words: never file names.\n"
    "\t$cands | Where-Object { $_ -and $_.StartsWith($wordToComplete) } |\n"
    "\t    ForEach-Object {\n"
    "\t\t[System.Management.Automation.CompletionResult]::new($_, $_,\n"
    "\t\t    'ParameterValue', $_)\n\t}\n"
    "}\n";

/* main text with @SHELLS@ replaced by the shells' names */
static void
put_main(FILE *f, const char *text)
{
	const char *p = text, *m;

	while ((m = strstr(p, "@SHELLS@")) != NULL) {
		fwrite(p, 1, (size_t)(m - p), f);
		put_shells(f);
		p = m + strlen("@SHELLS@");
	}
	fputs(p, f);
}

static void
print_script(FILE *f, const char *shell)
{
	if (strcmp(shell, "bash") == 0) {
		fputs("# bash completion for banger "
		      "(generated by 'banger completion bash')\n"
		      "# Load: banger completion bash | "
		      "sudo tee /etc/bash_completion.d/banger\n\n",
		    f);
		put_tables(f, &sh_dialect, "_banger_", true);
		put_main(f, bash_main);
	} else if (strcmp(shell, "zsh") == 0) {
		fputs("#compdef banger\n# zsh completion for banger "
		      "(generated by 'banger completion zsh')\n"
		      "# Load: banger completion zsh > ~/.zfunc/_banger, with\n"
		      "#   fpath=(~/.zfunc $fpath); autoload -Uz compinit; "
		      "compinit\n# in ~/.zshrc\n\n",
		    f);
		put_tables(f, &sh_dialect, "_banger_", true);
		put_main(f, zsh_main);
	} else if (strcmp(shell, "fish") == 0) {
		fputs("# fish completion for banger "
		      "(generated by 'banger completion fish')\n"
		      "# Load: banger completion fish > "
		      "~/.config/fish/completions/banger.fish\n\n",
		    f);
		put_tables(f, &fish_dialect, "__banger_", true);
		put_main(f, fish_main);
	} else {
		fputs("# PowerShell completion for banger "
		      "(generated by 'banger completion powershell')\n"
		      "# Load: add to $PROFILE:\n"
		      "#   banger completion powershell | Out-String | "
		      "Invoke-Expression\n\n",
		    f);
		put_tables(f, &ps_dialect, "__banger", false);
		put_main(f, ps_main);
	}
}

/* ---- the hidden helper: live names ---------------------------------- */

static void
on_alarm(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * The names in verb's answer (array arr), one a line, each valid by
 * valid(); nothing at all on any failure.
 */
static void
print_list(const char *verb, const char *arr, bool (*valid)(const char *))
{
	struct cli_call c;
	const cJSON *all, *o, *name;
	cJSON *req = cJSON_CreateObject();

	if (req == NULL || cJSON_AddNumberToObject(req, "v", 1) == NULL) {
		cJSON_Delete(req);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.verb = verb;
	c.req = req;
	c.silence_ms = NAMES_TIMEOUT_MS;
	if (cli_call(&c) == 0 && c.ok && c.result != NULL) {
		all = cJSON_GetObjectItemCaseSensitive(c.result, arr);
		cJSON_ArrayForEach(o, all) {
			name = cJSON_GetObjectItemCaseSensitive(o, "name");
			if (cJSON_IsString(name) && valid(name->valuestring))
				printf("%s\n", name->valuestring);
		}
	}
	cli_call_free(&c);
	cJSON_Delete(req);
}

static int
print_names(const char *what)
{
	/* Quiet, and never more than about a second in all. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 0;
	signal(SIGALRM, on_alarm);
	alarm(2);
	if (strcmp(what, "vms") == 0)
		print_list("vm-list", "vms", bg_name_valid);
	else if (strcmp(what, "images") == 0)
		print_list("image-list", "images", bg_artifact_name_valid);
	else if (strcmp(what, "kernels") == 0)
		print_list("kernel-list", "kernels", bg_artifact_name_valid);
	return 0;
}

/*
 * banger completion SHELL (the SHELL was checked by the table's
 * check), or, with BANGER_COMPLETE=vms|images|kernels in the
 * environment, the hidden helper the scripts call for live names.
 */
int
cli_completion(struct cli_inv *inv)
{
	const char *what = getenv("BANGER_COMPLETE");

	if (what != NULL && what[0] != '\0')
		return print_names(what);
	print_script(stdout, inv->args[0]);
	return 0;
}
