/*
 * workspace.c — `vm run PATH`: the repository's files into /root/repo.
 *
 * Before any VM is made: PATH must be a directory inside a git work
 * tree and --from REF must name a commit, else exit 100.  The files are
 * what `git ls-files` lists (the working tree's version of each tracked
 * file; deleted ones skipped), plus with --include-untracked what
 * `git ls-files --others --exclude-standard` lists (never ignored
 * files); with --from, the files of REF's tree (`git ls-tree -r`).
 *
 * They travel as the payload of vm-create (cli_ws_send): `tar -c` of
 * the list (or `git archive REF`), plus with --branch a second archive
 * of a .git built here (branch_build), pumped into the connection;
 * vm-create unpacks it onto the work disk, which mkfs.ext4 -d writes
 * under fakeroot, so in the guest everything is root's with the modes
 * and symlinks kept, before the guest even boots.  git and tar run by
 * absolute path with no shell on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define GIT "/usr/bin/git"
#define TAR "/usr/bin/tar"
#define GIT_OUT_MAX (64u << 20) /* a file list: 64 MiB at most */
#define REPO_DIR "/root/repo"
#define PUMP_BUF (256u << 10)

/* Child side: stdin /dev/null (unless in >= 0), stdout out, no stderr. */
static void
child_exec(const char *const *argv, int in, int out, bool quiet)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;

	if (null < 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in >= 0 ? in : null, STDIN_FILENO) < 0 ||
	    dup2(out >= 0 ? out : null, STDOUT_FILENO) < 0 ||
	    (quiet && dup2(null, STDERR_FILENO) < 0))
		_exit(127);
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static int
wait_status(pid_t pid)
{
	int st = 0;
	pid_t w;

	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (w < 0)
		return BG_EXIT_TEMP;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Run argv, its stdout into *out (NUL-terminated, *len bytes, at most
 * GIT_OUT_MAX), stderr discarded.  Its exit status, or -1.
 */
static int
capture(const char *const *argv, char **out, size_t *len)
{
	int p[2], st;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	ssize_t k;
	pid_t pid;

	*out = NULL;
	*len = 0;
	if (buf == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		free(buf);
		return -1;
	}
	if (pid == 0)
		child_exec(argv, -1, p[1], true);
	close(p[1]);
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= GIT_OUT_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL)
				break;
			buf = nb;
		}
		k = read(p[0], buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(p[0]); /* an unread rest: git gets SIGPIPE */
	st = wait_status(pid);
	if (n == cap) { /* too much, or out of memory */
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return st;
}

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* Add path to the list (with its NUL). */
static int
add(struct cli_ws *ws, const char *path, unsigned long long size)
{
	size_t l = strlen(path) + 1;
	char *n = realloc(ws->list, ws->listlen + l);

	if (n == NULL)
		return -1;
	memcpy(n + ws->listlen, path, l);
	ws->list = n;
	ws->listlen += l;
	ws->nfiles++;
	ws->bytes += size;
	if (strcmp(path, ".mise.toml") == 0 ||
	    strcmp(path, ".tool-versions") == 0)
		ws->tooling = true;
	return 0;
}

/* The NUL-separated paths of git ls-files ARGS..., as they are on disk. */
static int
list_worktree(struct cli_ws *ws, const char *const *argv)
{
	char *out, *p, full[PATH_MAX * 2];
	size_t len;
	struct stat st;
	int r;

	r = capture(argv, &out, &len);
	if (r != 0) {
		free(out);
		fprintf(stderr, "banger: git ls-files failed in %s\n", ws->top);
		return BG_EXIT_TEMP;
	}
	for (p = out; p < out + len; p += strlen(p) + 1) {
		if (*p == '\0')
			continue;
		snprintf(full, sizeof(full), "%s/%s", ws->top, p);
		if (lstat(full, &st) < 0 || S_ISDIR(st.st_mode))
			continue; /* deleted, or a submodule */
		if (add(ws, p, (unsigned long long)st.st_size) < 0) {
			free(out);
			fputs("banger: out of memory\n", stderr);
			return BG_EXIT_TEMP;
		}
	}
	free(out);
	return 0;
}

/* The files of commit ws->from: git ls-tree -r -z -l. */
static int
list_commit(struct cli_ws *ws)
{
	const char *argv[] = { GIT, "-C", ws->top, "ls-tree", "-r", "-z", "-l",
		"--full-tree", ws->from, NULL };
	char *out, *p, *tab, *sp;
	size_t len;
	int r;

	r = capture(argv, &out, &len);
	if (r != 0) {
		free(out);
		fprintf(stderr, "banger: git ls-tree failed in %s\n", ws->top);
		return BG_EXIT_TEMP;
	}
	/* "MODE TYPE OBJECT   SIZE\tPATH" */
	for (p = out; p < out + len; p += strlen(p) + 1) {
		tab = strchr(p, '\t');
		if (tab == NULL)
			continue;
		*tab = '\0';
		sp = strchr(p, ' ');
		if (sp == NULL || strncmp(sp + 1, "blob ", 5) != 0) {
			*tab = '\t';
			continue; /* a submodule's commit */
		}
		sp = strrchr(p, ' ');
		if (add(ws, tab + 1, strtoull(sp + 1, NULL, 10)) < 0) {
			free(out);
			fputs("banger: out of memory\n", stderr);
			return BG_EXIT_TEMP;
		}
		*tab = '\t';
	}
	free(out);
	return 0;
}

/* git ARGV with its output discarded: its exit status, or -1. */
static int
git_quiet(const char *const *argv)
{
	char *out;
	size_t len;
	int r = capture(argv, &out, &len);

	free(out);
	return r;
}

/*
 * While the temporary .git exists, ^C, SIGTERM and SIGHUP only set
 * ws_sig: the step under way stops (git and tar children get the
 * terminal's signal themselves; the pump checks ws_sig between chunks),
 * cli_ws_sent removes the directory, puts the old handlers back and
 * raises the signal again.  So no copy of the history is left in /tmp.
 */
static volatile sig_atomic_t ws_sig;
static const int ws_sigs[] = { SIGINT, SIGTERM, SIGHUP };

static void
ws_on_signal(int sig)
{
	ws_sig = sig;
}

static void
ws_catch(struct cli_ws *ws)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ws_on_signal; /* no SA_RESTART: calls see EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(ws_sigs[i], &sa, &ws->old_sa[i]);
	ws->catching = true;
}

/* --branch NAME must be a branch name as git sees it: 0 or exit 100. */
static int
branch_check(struct cli_ws *ws, const char *name)
{
	const char *argv[] = { GIT, "check-ref-format", "--branch", name,
		NULL };
	char *out = NULL;
	size_t len;
	int r;

	r = name[0] == '-' || strlen(name) >= sizeof(ws->branch) ?
	    1 :
	    capture(argv, &out, &len);
	if (r == 0)
		chomp(out);
	if (r != 0 || strcmp(out, name) != 0) {
		free(out);
		fputs("banger: --branch ", stderr);
		cli_put_clean(stderr, name, CLI_STR_MAX);
		fputs(": not a valid branch name (git check-ref-format "
		      "--branch says why)\n",
		    stderr);
		return BG_EXIT_USAGE;
	}
	free(out);
	snprintf(ws->branch, sizeof(ws->branch), "%s", name);
	return 0;
}

/*
 * --branch: the guest's /root/repo/.git, built here in ws->tmp/.git: a
 * repository whose branch ws->branch is the base commit (--from REF, or
 * HEAD) with its history, checked out (HEAD, and an index of the base's
 * tree, so the shipped working tree's changes show as changes), and
 * the host's user.name and user.email so commits in the guest are
 * yours.  0, or the exit code after saying why (ws->tmp removed by
 * cli_ws_free).
 */
static int
branch_build(struct cli_ws *ws)
{
	char base[72], gd[PATH_MAX + 8], ref[320], spec[400], *out = NULL;
	const char *tmp = getenv("TMPDIR");
	size_t len;
	int r, i;

	if (ws->from[0] != '\0')
		snprintf(base, sizeof(base), "%s", ws->from);
	else {
		const char *argv[] = { GIT, "-C", ws->top, "rev-parse", "-q",
			"--verify", "HEAD^{commit}", NULL };

		r = capture(argv, &out, &len);
		if (r == 0)
			chomp(out);
		if (r != 0 || strlen(out) < 40 || strlen(out) >= sizeof(base)) {
			free(out);
			fputs("banger: --branch needs a commit to start from, "
			      "and ",
			    stderr);
			cli_put_clean(stderr, ws->top, PATH_MAX);
			fputs(" has none yet: commit first, or drop --branch\n",
			    stderr);
			return BG_EXIT_USAGE;
		}
		snprintf(base, sizeof(base), "%s", out);
		free(out);
	}
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > PATH_MAX / 2)
		tmp = "/tmp";
	ws_catch(ws);
	snprintf(ws->tmp, sizeof(ws->tmp), "%s/banger-workspace.XXXXXX", tmp);
	if (mkdtemp(ws->tmp) == NULL) {
		fprintf(stderr,
		    "banger: --branch: cannot make a directory in %s: %s\n",
		    tmp, strerror(errno));
		ws->tmp[0] = '\0';
		return BG_EXIT_TEMP;
	}
	snprintf(gd, sizeof(gd), "%s/.git", ws->tmp);
	snprintf(ref, sizeof(ref), "refs/heads/%s", ws->branch);
	snprintf(spec, sizeof(spec), "%s:%s", base, ref);
	{
		char init_branch[300];
		const char *init[] = { GIT, "init", "-q", "--bare",
			"--template=", init_branch, gd, NULL };
		/*
		 * No hooks run on either side: the pushing repository's are
		 * off by -c, and the receiving one's by its own config (git
		 * drops -c when it starts receive-pack, and a global
		 * core.hooksPath would apply there).  A shallow clone's
		 * history is taken as it is (receive.shallowUpdate).
		 */
		const char *nohooks[] = { GIT, "--git-dir", gd, "config",
			"core.hooksPath", "/dev/null", NULL };
		const char *shallow[] = { GIT, "--git-dir", gd, "config",
			"receive.shallowUpdate", "true", NULL };
		const char *push[] = { GIT, "-c", "core.hooksPath=/dev/null",
			"-c", "push.recurseSubmodules=no", "-C", ws->top,
			"push", "-q", "--no-verify", gd, spec, NULL };
		const char *index[] = { GIT, "--git-dir", gd, "read-tree", ref,
			NULL };
		const char *nobare[] = { GIT, "--git-dir", gd, "config",
			"core.bare", "false", NULL };
		const char *unhook[] = { GIT, "--git-dir", gd, "config",
			"--unset", "core.hooksPath", NULL };
		const char *const *steps[] = { init, nohooks, shallow, push,
			index, nobare, unhook };
		const char *names[] = { "init", "config", "config", "push",
			"read-tree", "config", "config" };

		snprintf(init_branch, sizeof(init_branch),
		    "--initial-branch=%s", ws->branch);
		for (i = 0; i < 7; i++)
			if (git_quiet(steps[i]) != 0 || ws_sig != 0) {
				fprintf(stderr,
				    "banger: --branch: building the "
				    "guest's repository failed (git %s)\n",
				    names[i]);
				return BG_EXIT_TEMP;
			}
	}
	/* Your identity, so commits made in the guest are attributed. */
	for (i = 0; i < 2; i++) {
		const char *key = i == 0 ? "user.name" : "user.email";
		const char *get[] = { GIT, "-C", ws->top, "config", key, NULL };

		out = NULL;
		if (capture(get, &out, &len) == 0 && (chomp(out), out[0])) {
			const char *set[] = { GIT, "--git-dir", gd, "config",
				key, out, NULL };

			git_quiet(set);
		}
		free(out);
	}
	return 0;
}

static const char *
opt_str(const struct cli_inv *inv, const char *name)
{
	return cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(inv->opts, name));
}

static bool
opt_true(const struct cli_inv *inv, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inv->opts, name));
}

int
cli_ws_prepare(struct cli_inv *inv, struct cli_ws *ws, bool *done)
{
	const char *path = inv->args[0], *from = opt_str(inv, "from");
	const char *base;
	struct stat st;
	char *out, spec[CLI_STR_MAX + 16];
	size_t len, k;
	int r;

	memset(ws, 0, sizeof(*ws));
	*done = false;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fputs("banger: ", stderr);
		cli_put_clean(stderr, path, PATH_MAX);
		fputs(": not a directory: vm run PATH needs a git "
		      "repository's directory\n",
		    stderr);
		return BG_EXIT_USAGE;
	}
	{
		const char *argv[] = { GIT, "-C", path, "rev-parse",
			"--show-toplevel", NULL };

		r = capture(argv, &out, &len);
	}
	if (r != 0 || out == NULL || (chomp(out), out[0] != '/') ||
	    strlen(out) >= sizeof(ws->top)) {
		free(out);
		if (r < 0 || access(GIT, X_OK) < 0) {
			fputs("banger: cannot run " GIT ": install git\n",
			    stderr);
			return BG_EXIT_TEMP;
		}
		fputs("banger: ", stderr);
		cli_put_clean(stderr, path, PATH_MAX);
		fputs(": not inside a git work tree\n", stderr);
		return BG_EXIT_USAGE;
	}
	snprintf(ws->top, sizeof(ws->top), "%s", out);
	free(out);
	base = strrchr(ws->top, '/') + 1;
	for (k = 0; base[k] != '\0' && k + 1 < sizeof(ws->repo); k++)
		ws->repo[k] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
				     "NOPQRSTUVWXYZ0123456789._-",
				  base[k]) ?
		    base[k] :
		    '_';
	if (k == 0)
		ws->repo[k++] = '_';
	ws->repo[k] = '\0';
	if (from != NULL) {
		const char *argv[] = { GIT, "-C", ws->top, "rev-parse", "-q",
			"--verify", spec, NULL };

		snprintf(spec, sizeof(spec), "%s^{commit}", from);
		out = NULL;
		r = from[0] == '-' ? 1 : capture(argv, &out, &len);
		if (r == 0)
			chomp(out);
		if (r != 0 || strlen(out) < 40 ||
		    strlen(out) >= sizeof(ws->from) ||
		    strspn(out, "0123456789abcdef") != strlen(out)) {
			free(out);
			fputs("banger: --from ", stderr);
			cli_put_clean(stderr, from, CLI_STR_MAX);
			fputs(": no such commit in ", stderr);
			cli_put_clean(stderr, ws->top, PATH_MAX);
			fputs("\n", stderr);
			return BG_EXIT_USAGE;
		}
		snprintf(ws->from, sizeof(ws->from), "%s", out);
		free(out);
		r = list_commit(ws);
	} else {
		const char *tracked[] = { GIT, "-C", ws->top, "ls-files", "-z",
			NULL };
		const char *others[] = { GIT, "-C", ws->top, "ls-files", "-z",
			"--others", "--exclude-standard", NULL };

		r = list_worktree(ws, tracked);
		if (r == 0 && opt_true(inv, "include-untracked"))
			r = list_worktree(ws, others);
	}
	if (r == 0 && opt_str(inv, "branch") != NULL)
		r = branch_check(ws, opt_str(inv, "branch"));
	if (r != 0)
		return r;
	if (opt_true(inv, "dry-run")) {
		const char *p;

		for (p = ws->list; p < ws->list + ws->listlen;
		     p += strlen(p) + 1) {
			cli_put_clean(stdout, p, PATH_MAX);
			putchar('\n');
		}
		fflush(stdout);
		fprintf(stderr,
		    "%zu files, %llu bytes (dry run: no VM created)\n",
		    ws->nfiles, ws->bytes);
		*done = true;
		return 0;
	}
	return ws->branch[0] != '\0' ? branch_build(ws) : 0;
}

/*
 * Run argv with stdin in (-1: /dev/null) and pump its stdout into sock.
 * 0; BG_EXIT_TEMP after saying why when argv failed; -EPIPE when the
 * service stopped reading (its answer tells why).
 */
static int
pump(const char *const *argv, int in, int sock)
{
	char *buf = malloc(PUMP_BUF);
	ssize_t n = 0, w = 0;
	size_t off;
	int p[2], st;
	bool gone = false;
	pid_t pid;

	if (buf == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		fputs("banger: out of memory or file descriptors\n", stderr);
		return BG_EXIT_TEMP;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child_exec(argv, in, p[1], false);
	close(p[1]);
	while (pid > 0 && !gone && ws_sig == 0) {
		n = read(p[0], buf, PUMP_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; off < (size_t)n && ws_sig == 0;
		     off += (size_t)w) {
			w = send(sock, buf + off, (size_t)n - off,
			    MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				gone = true;
				break;
			}
		}
	}
	close(p[0]); /* a producer still writing gets SIGPIPE */
	free(buf);
	if (pid < 0) {
		fprintf(stderr, "banger: fork: %s\n", strerror(errno));
		return BG_EXIT_TEMP;
	}
	if (gone || ws_sig != 0)
		kill(pid, SIGTERM);
	st = wait_status(pid);
	if (ws_sig != 0) {
		fputs("banger: interrupted while shipping the workspace\n",
		    stderr);
		return BG_EXIT_TEMP;
	}
	if (gone)
		return -EPIPE;
	if (st != 0 || n < 0) {
		fprintf(stderr,
		    "banger: shipping the workspace failed: %s "
		    "exited with status %d\n",
		    argv[0], st);
		return BG_EXIT_TEMP;
	}
	return 0;
}

int
cli_ws_send(int sock, void *arg)
{
	struct cli_ws *ws = arg;
	const char *tar_argv[] = { TAR, "-c", "-f", "-", "--null",
		"--verbatim-files-from", "--no-recursion", "--owner=0",
		"--group=0", "--numeric-owner", "-C", ws->top, "-T", "-",
		NULL };
	const char *git_argv[] = { GIT, "-c", "tar.umask=0022", "-C", ws->top,
		"archive", "--format=tar", ws->from, NULL };
	const char *dotgit_argv[] = { TAR, "-c", "-f", "-", "--owner=0",
		"--group=0", "--numeric-owner", "-C", ws->tmp, ".git", NULL };
	int list = -1, r;

	if (ws->from[0] == '\0') {
		list = memfd_create("banger-workspace-list", MFD_CLOEXEC);
		if (list < 0 || bg_write_all(list, ws->list, ws->listlen) < 0 ||
		    lseek(list, 0, SEEK_SET) < 0) {
			if (list >= 0)
				close(list);
			fputs("banger: cannot hand the file list to tar\n",
			    stderr);
			return BG_EXIT_TEMP;
		}
	}
	r = pump(ws->from[0] ? git_argv : tar_argv, list, sock);
	if (list >= 0)
		close(list);
	if (r == 0 && ws->tmp[0] != '\0')
		r = pump(dotgit_argv, -1, sock);
	return r;
}

int
cli_ws_command(const struct cli_ws *ws, char **words, int n, char **raw)
{
	char *j =
	    n > 0 ? cli_shell_join(words, n) : strdup("exec ${SHELL:-sh} -l");
	char boot[512] = "";
	size_t len;

	/* The tooling bootstrap: in the background, never failing the run. */
	if (ws->tooling)
		snprintf(boot, sizeof(boot),
		    "mkdir -p /root/.cache/banger && "
		    "{ (if command -v mise >/dev/null 2>&1; then cd " REPO_DIR
		    " && mise install; else echo 'mise is not installed in "
		    "this image'; fi) </dev/null >/root/.cache/banger/"
		    "vm-run-tooling-%s.log 2>&1 & }; ",
		    ws->repo);
	len = j != NULL ?
	    strlen(boot) + strlen("cd " REPO_DIR " && ") + strlen(j) + 1 :
	    0;
	*raw = j != NULL ? malloc(len) : NULL;
	if (*raw == NULL) {
		free(j);
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	snprintf(*raw, len, "%scd " REPO_DIR " && %s", boot, j);
	free(j);
	return 0;
}

void
cli_ws_sent(void *arg)
{
	struct cli_ws *ws = arg;

	if (ws->tmp[0] != '\0') {
		bg_rm_rf_at(AT_FDCWD, ws->tmp);
		ws->tmp[0] = '\0';
	}
	if (ws->catching) {
		size_t i;

		ws->catching = false;
		for (i = 0; i < 3; i++)
			sigaction(ws_sigs[i], &ws->old_sa[i], NULL);
		if (ws_sig != 0)
			raise(ws_sig); /* now that nothing is left behind */
	}
}

void
cli_ws_free(struct cli_ws *ws)
{
	cli_ws_sent(ws);
	free(ws->list);
	ws->list = NULL;
	ws->listlen = 0;
}
