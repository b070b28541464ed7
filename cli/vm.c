/*
 * vm.c — the VM commands that are more than one request: `vm create`
 * (spec, key, name, then vm-create), `vm delete` (stops a running VM
 * first), `vm logs` (the console as it comes), `vm ssh` (vm-show, then
 * exec OpenSSH) and `vm run` (create, start, wait for ssh, ssh, and
 * with --rm stop and delete afterwards; with a PATH, workspace.c checks
 * the repository first and ships it once ssh is up).
 *
 * Waiting for the guest's sshd is a loop in this process: a
 * non-blocking connect to port 22 with a 100 ms timeout, then the
 * "SSH-" banner, every 100 ms or so, and a vm-show every 2 s to notice
 * a VM that stopped while booting.  No poller process is forked (under
 * TCG a forking poller made hosts hang).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CREATE_TRIES 5 /* generated names that may collide */
#define SSH_TIMEOUT_S 120 /* default --ssh-timeout */
#define PROBE_MS 100 /* one connect attempt */
#define PERIOD_MS 20 /* between attempts (one process, no fork) */
#define BANNER_MS 10000 /* sshd accepted: its banner within this */
#define STATE_CHECK_MS 500 /* is the VM still running, while waiting */
#define IP_MAX 16

static volatile sig_atomic_t got_signal;

/* ---- requests ------------------------------------------------------- */

/*
 * verb {"v":1,"name":name} into c, with "flag":true when flag is not
 * NULL; 0 or the exit code (c->err).
 */
static int
ask(struct cli_call *c, const char *verb, const char *name, const char *flag,
    int64_t silence)
{
	cJSON *req = cJSON_CreateObject();
	int r;

	memset(c, 0, sizeof(*c));
	if (req == NULL || cJSON_AddNumberToObject(req, "v", 1) == NULL ||
	    cJSON_AddStringToObject(req, "name", name) == NULL ||
	    (flag != NULL && cJSON_AddTrueToObject(req, flag) == NULL)) {
		cJSON_Delete(req);
		bg_err_set(&c->err, "temporary", "out of memory");
		return BG_EXIT_TEMP;
	}
	c->verb = verb;
	c->req = req;
	c->silence_ms = silence;
	r = cli_call(c);
	c->req = NULL;
	cJSON_Delete(req);
	return r;
}

static int
ask_name(struct cli_call *c, const char *verb, const char *name,
    int64_t silence)
{
	return ask(c, verb, name, NULL, silence);
}

/* A string field of a result, or "". */
static const char *
field(const cJSON *o, const char *key)
{
	const char *s =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));

	return s != NULL ? s : "";
}

/*
 * vm-create with s's request; a generated name that exists already is
 * replaced by another, up to CREATE_TRIES times.  0 or the exit code,
 * the answer in c either way.
 */
static int
create(struct cli_spec *s, struct cli_call *c, int64_t silence)
{
	int r, k;

	for (k = 0;; k++) {
		memset(c, 0, sizeof(*c));
		c->verb = "vm-create";
		c->req = s->req;
		c->silence_ms = silence;
		c->payload = s->payload;
		c->payload_arg = s->payload_arg;
		r = cli_call(c);
		if (r == 0 || c->final == NULL || s->named ||
		    strcmp(c->err.code, "exists") != 0 ||
		    k + 1 >= CREATE_TRIES || cli_spec_rename(s) < 0) {
			if (s->payload_sent != NULL)
				s->payload_sent(s->payload_arg);
			/* No image: how to get one (cli_pull_missing). */
			if (r != 0 && c->final != NULL &&
			    strcmp(c->err.code, "not_found") == 0 &&
			    s->missing_hint[0] != '\0') {
				char m[sizeof(c->err.msg)];

				memcpy(m, c->err.msg, sizeof(m));
				bg_err_set(&c->err, "not_found",
				    "%.400s\n%.600s", m, s->missing_hint);
			}
			return r;
		}
		cli_call_free(c);
	}
}

/* "created VM NAME (IP)" on stderr. */
static void
announce(const cJSON *vm)
{
	fputs("created VM ", stderr);
	cli_put_clean(stderr, field(vm, "name"), BG_NAME_MAX);
	fputs(" (", stderr);
	cli_put_clean(stderr, field(vm, "ip"), IP_MAX);
	fputs(")\n", stderr);
}

int
cli_vm_create(struct cli_inv *inv)
{
	struct cli_spec s;
	struct cli_call c;
	int64_t silence = cli_silence_ms();
	int r;

	memset(&c, 0, sizeof(c));
	if (silence < 0)
		return BG_EXIT_USAGE;
	r = cli_spec_init(inv, &s);
	if (r == 0) {
		if (create(&s, &c, silence) == 0) {
			announce(c.result);
			cli_ssh_config_refresh();
		}
		r = cli_finish(inv, &c, NULL);
	}
	cli_call_free(&c);
	cli_spec_free(&s);
	return r;
}

/* ---- delete --------------------------------------------------------- */

/* vm-delete; a running VM ("busy") is stopped first, then deleted. */
int
cli_vm_delete(struct cli_inv *inv)
{
	const char *name = inv->args[0];
	struct cli_call c;
	int64_t silence = cli_silence_ms();
	int r;

	if (silence < 0)
		return BG_EXIT_USAGE;
	r = ask_name(&c, "vm-delete", name, silence);
	if (r != 0 && c.final != NULL && strcmp(c.err.code, "busy") == 0) {
		cli_call_free(&c);
		fprintf(stderr, "stopping VM %s first\n", name);
		r = ask_name(&c, "vm-stop", name, silence);
		if (r == 0) {
			cli_call_free(&c);
			r = ask_name(&c, "vm-delete", name, silence);
		}
	}
	if (r == 0)
		cli_ssh_config_refresh();
	r = cli_finish(inv, &c, NULL);
	cli_call_free(&c);
	return r;
}

/* vm prune: as any remote command, then the ssh_config refresh. */
int
cli_vm_prune(struct cli_inv *inv)
{
	int r = cli_remote(inv);

	if (r == 0 &&
	    !cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(inv->opts, "dry-run")))
		cli_ssh_config_refresh();
	return r;
}

/* ---- logs ----------------------------------------------------------- */

struct logs {
	bool json, tty;
	char carry[4]; /* tty: an unfinished UTF-8 character */
	size_t ncarry;
};

/* Bytes at the end of s[0, len) that start a character not finished. */
static size_t
unfinished(const char *s, size_t len)
{
	size_t k, need;
	unsigned char c;

	for (k = 1; k <= 3 && k <= len; k++) {
		c = (unsigned char)s[len - k];
		if ((c & 0xc0) == 0x80)
			continue;
		if (c < 0xc0)
			return 0;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return need > k ? k : 0;
	}
	return 0;
}

/* Console text for a terminal: made safe, characters kept whole. */
static int
put_console(struct logs *l, const char *data)
{
	size_t len = strlen(data), all = l->ncarry + len, tail;
	char *buf = malloc(all + 1), *c;

	if (buf == NULL)
		return -1;
	memcpy(buf, l->carry, l->ncarry);
	memcpy(buf + l->ncarry, data, len + 1);
	tail = unfinished(buf, all);
	memcpy(l->carry, buf + all - tail, tail);
	l->ncarry = tail;
	buf[all - tail] = '\0';
	c = cli_clean_console(buf, all);
	free(buf);
	if (c == NULL)
		return -1;
	fputs(c, stdout);
	free(c);
	return 0;
}

/*
 * {"event":"output","data":...}: the console as it is when stdout is
 * not a terminal (it is what was asked for), made safe when it is;
 * with --json, one {"data":...} line per event.
 */
static int
on_output(const char *event, const cJSON *ev, void *arg)
{
	struct logs *l = arg;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
	cJSON *o;

	if (strcmp(event, "output") != 0 || !cJSON_IsString(d))
		return 0;
	if (l->json) {
		o = cJSON_CreateObject();
		if (o == NULL ||
		    cJSON_AddStringToObject(o, "data", d->valuestring) ==
			NULL) {
			cJSON_Delete(o);
			return -1;
		}
		cli_print_json(o);
		cJSON_Delete(o);
	} else if (l->tty) {
		if (put_console(l, d->valuestring) < 0)
			return -1;
	} else {
		fputs(d->valuestring, stdout);
	}
	/* A reader that went away (| head) ends a followed log. */
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

static void
render_nothing(const struct cli_inv *inv, const cJSON *result)
{
}

/* vm logs [-f]: following has no deadline on silence. */
int
cli_vm_logs(struct cli_inv *inv)
{
	struct logs l;
	struct cli_call c;
	int r;

	memset(&l, 0, sizeof(l));
	memset(&c, 0, sizeof(c));
	l.json = inv->json;
	l.tty = isatty(STDOUT_FILENO);
	c.verb = inv->cmd->verb;
	c.req = inv->req;
	c.on_event = on_output;
	c.arg = &l;
	c.silence_ms = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inv->opts,
			   "follow")) ?
	    0 :
	    cli_silence_ms();
	if (c.silence_ms < 0)
		return BG_EXIT_USAGE;
	r = cli_call(&c);
	if (l.ncarry > 0 && !l.json)
		fwrite("???", 1, l.ncarry, stdout);
	if (r != 0 && c.final == NULL && ferror(stdout))
		r = BG_EXIT_TEMP; /* main says why, unless it was EPIPE */
	else
		r = cli_finish(inv, &c, render_nothing);
	cli_call_free(&c);
	return r;
}

/* ---- ssh ------------------------------------------------------------ */

/* Put n bytes of s at out + o (out NULL: only count them). */
static size_t
put(char *out, size_t o, const char *s, size_t n)
{
	if (out != NULL)
		memcpy(out + o, s, n);
	return o + n;
}

/*
 * A word as the guest's shell will read it back: as it is when it has
 * only safe characters, else in single quotes ('it'\''s').  Its length;
 * written at out unless out is NULL.
 */
static size_t
quote(const char *w, char *out)
{
	static const char safe[] =
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
	size_t o = 0;

	if (w[0] != '\0' && strspn(w, safe) == strlen(w))
		return put(out, 0, w, strlen(w));
	o = put(out, o, "'", 1);
	for (; *w != '\0'; w++)
		o = *w == '\'' ? put(out, o, "'\\''", 4) : put(out, o, w, 1);
	return put(out, o, "'", 1);
}

/* COMMAND's words, each quoted, joined by spaces: one string for ssh. */
char *
cli_shell_join(char **words, int n)
{
	size_t len = 0, o = 0;
	char *s;
	int k;

	for (k = 0; k < n; k++)
		len += quote(words[k], NULL) + 1;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	for (k = 0; k < n; k++) {
		if (k > 0)
			s[o++] = ' ';
		o += quote(words[k], s + o);
	}
	s[o] = '\0';
	return s;
}

struct ssh {
	char bin[PATH_MAX];
	char identity[PATH_MAX];
	char known[PATH_MAX + 32];
	char dest[IP_MAX + 8];
	char *command; /* NULL: interactive */
	char *argv[20];
};

/*
 * ssh -i KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=STATE/ssh/
 * known_hosts -o StrictHostKeyChecking=yes [-o BatchMode=yes]
 * -o LogLevel=ERROR -- root@IP [COMMAND].  0, or the exit code after
 * saying why not.
 */
static void ssh_free(struct ssh *s);
static int ssh_prepare_raw(struct ssh *s, const char *key, const char *ip,
    char *raw, bool tty);

static int
ssh_prepare(struct ssh *s, const char *key, const char *ip, char **words,
    int nwords)
{
	char *raw = NULL;

	if (nwords > 0 && (raw = cli_shell_join(words, nwords)) == NULL) {
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	return ssh_prepare_raw(s, key, ip, raw, false);
}

/*
 * As ssh_prepare, with the remote command raw (a string for the guest's
 * shell, owned by s from here on, or NULL) and -t when tty.
 */
static int
ssh_prepare_raw(struct ssh *s, const char *key, const char *ip, char *raw,
    bool tty)
{
	char kh[PATH_MAX];
	int n = 0;

	memset(s, 0, sizeof(*s));
	s->command = raw;
	if (bg_host_tool("ssh", NULL, s->bin, sizeof(s->bin)) < 0) {
		fputs("banger: ssh is missing: install openssh-client\n",
		    stderr);
		ssh_free(s);
		return 127;
	}
	if (access(key, R_OK) < 0) {
		fprintf(stderr,
		    "banger: cannot use the ssh key %s: %s\n"
		    "banger: it is made by 'banger vm create' (ssh_key_path in "
		    "config)\n",
		    key, strerror(errno));
		ssh_free(s);
		return BG_EXIT_NO;
	}
	if (bg_path_build(kh, sizeof(kh), BG_DIR_STATE, "ssh", NULL,
		"known_hosts") < 0 ||
	    strlen(key) >= sizeof(s->identity)) {
		fputs("banger: the state or key path is too long or not "
		      "absolute (BANGER_ROOT)\n",
		    stderr);
		ssh_free(s);
		return BG_EXIT_USAGE;
	}
	snprintf(s->identity, sizeof(s->identity), "%s", key);
	snprintf(s->known, sizeof(s->known), "UserKnownHostsFile=%s", kh);
	snprintf(s->dest, sizeof(s->dest), "root@%s", ip);
	s->argv[n++] = s->bin;
	if (tty)
		s->argv[n++] = "-t";
	s->argv[n++] = "-i";
	s->argv[n++] = s->identity;
	s->argv[n++] = "-o";
	s->argv[n++] = "IdentitiesOnly=yes";
	s->argv[n++] = "-o";
	s->argv[n++] = s->known;
	s->argv[n++] = "-o";
	s->argv[n++] = "StrictHostKeyChecking=yes";
	if (s->command != NULL) {
		s->argv[n++] = "-o";
		s->argv[n++] = "BatchMode=yes";
	}
	s->argv[n++] = "-o";
	s->argv[n++] = "LogLevel=ERROR";
	s->argv[n++] = "--";
	s->argv[n++] = s->dest;
	if (s->command != NULL)
		s->argv[n++] = s->command;
	s->argv[n] = NULL;
	return 0;
}

/* Replace this process with ssh (the child's signals as they were). */
static int
ssh_exec(struct ssh *s)
{
	int e;

	fflush(stdout);
	fflush(stderr);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	execv(s->bin, s->argv);
	e = errno;
	fprintf(stderr, "banger: cannot run %s: %s\n", s->bin, strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* ssh as a child; its exit status (a signal: 128 + it). */
static int
ssh_run(struct ssh *s)
{
	pid_t pid, w;
	int st = 0;
	bool fwd = false;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "banger: fork: %s\n", strerror(errno));
		return BG_EXIT_TEMP;
	}
	if (pid == 0)
		_exit(ssh_exec(s));
	/* --rm and a signal for banger alone (kill, a supervisor): end
	 * the session too, so the VM can go.  (^C reaches ssh itself.) */
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		if (got_signal != 0 && !fwd) {
			kill(pid, SIGTERM);
			fwd = true;
		}
	if (w < 0)
		return BG_EXIT_TEMP;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
ssh_free(struct ssh *s)
{
	free(s->command);
	s->command = NULL;
}

/*
 * The VM's address from vm-show, if it is running (0); else the exit
 * code after saying why.
 */
static int
running_ip(struct cli_inv *inv, const char *name, int64_t silence, char *ip)
{
	struct cli_call c;
	struct bg_err err;
	struct in_addr a;
	const char *state, *addr;
	int r;

	r = ask_name(&c, "vm-show", name, silence);
	if (r != 0) {
		r = cli_finish(inv, &c, NULL);
		cli_call_free(&c);
		return r;
	}
	state = field(c.result, "state");
	addr = field(c.result, "ip");
	memset(&err, 0, sizeof(err));
	if (strcmp(state, "running") != 0) {
		char *st = cli_clean(state[0] ? state : "unknown", 32, false);

		bg_err_set(&err, "not_running",
		    "VM %s is %s: start it with 'banger vm start %s'", name,
		    st != NULL ? st : "?", name);
		free(st);
		r = BG_EXIT_NO;
	} else if (strlen(addr) >= IP_MAX ||
	    inet_pton(AF_INET, addr, &a) != 1) {
		bg_err_set(&err, "protocol",
		    "the service gave VM %s no IPv4 address", name);
		r = BG_EXIT_TEMP;
	} else {
		memcpy(ip, addr, strlen(addr) + 1);
	}
	cli_call_free(&c);
	if (r != 0)
		cli_fail(inv, &err);
	return r;
}

/* vm ssh NAME [-- COMMAND...]: exec ssh, so its status is ours. */
int
cli_vm_ssh(struct cli_inv *inv)
{
	struct bg_config cfg;
	struct ssh s;
	char ip[IP_MAX];
	int64_t silence = cli_silence_ms();
	int r;

	if (silence < 0)
		return BG_EXIT_USAGE;
	r = cli_config_load(inv, &cfg);
	if (r != 0)
		return r;
	r = running_ip(inv, inv->args[0], silence, ip);
	if (r == 0)
		r = ssh_prepare(&s, cfg.ssh_key_path, ip, inv->command,
		    inv->ncommand);
	bg_config_free(&cfg);
	if (r == 0) {
		r = ssh_exec(&s);
		ssh_free(&s);
	}
	return r;
}

/* ---- run ------------------------------------------------------------ */

struct run {
	struct cli_inv *inv;
	int64_t silence;
	bool rm;
	int ssh_timeout_s;
	char name[BG_NAME_MAX + 1];
	char ip[IP_MAX];
};

static void
on_signal(int sig)
{
	got_signal = sig;
}

/*
 * With --rm, SIGINT, SIGTERM and SIGHUP only make banger stop waiting
 * and clean up; a second one kills it (SA_RESETHAND).
 */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL); /* a signal ends it early: fine */
}

/*
 * One try: connect to ip:22 within PROBE_MS, then read "SSH-" within
 * BANNER_MS (or until deadline).  1 when sshd answered, else 0.
 */
static int
probe_ssh(const struct in_addr *ip, int64_t deadline)
{
	struct sockaddr_in sa;
	struct pollfd p;
	socklen_t sl = sizeof(int);
	char banner[8];
	size_t have = 0;
	ssize_t n;
	int fd, e = 0, ok = 0;
	int64_t until;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(22);
	sa.sin_addr = *ip;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS)
			goto out;
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, PROBE_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 || e != 0)
			goto out;
	}
	until = bg_now_ms() + BANNER_MS;
	if (until > deadline)
		until = deadline;
	while (have < 4) {
		n = bg_read_deadline(fd, banner + have, 4 - have, until);
		if (n <= 0)
			goto out;
		have += (size_t)n;
	}
	ok = memcmp(banner, "SSH-", 4) == 0;
out:
	close(fd);
	return ok;
}

/*
 * Did the VM stop while booting?  Its lock says so, probed in place
 * (the CLI runs as the owner, who may read its run directory): no
 * request, no process.  Where the run directory cannot be opened, ask
 * vm-show.
 */
static bool
vm_stopped(const struct run *rn)
{
	struct cli_call c;
	bool stopped = false;
	int d = bg_vm_dir(BG_DIR_RUN, rn->name), held;

	if (d >= 0) {
		held = bg_lock_held_at(d, "lock");
		close(d);
		if (held >= 0)
			return held == 0;
	}
	if (ask_name(&c, "vm-show", rn->name, rn->silence) == 0)
		stopped = strcmp(field(c.result, "state"), "stopped") == 0 ||
		    strcmp(field(c.result, "state"), "broken") == 0;
	cli_call_free(&c);
	return stopped;
}

/*
 * Wait for the guest's sshd: 0, -ETIMEDOUT, -ECHILD (the VM stopped),
 * -EINTR (a signal, with --rm).
 */
static int
wait_ssh(const struct run *rn)
{
	struct in_addr a;
	int64_t start = bg_now_ms(), t, check = start + STATE_CHECK_MS;
	int64_t deadline = start + (int64_t)rn->ssh_timeout_s * 1000;

	if (inet_pton(AF_INET, rn->ip, &a) != 1)
		return -EINVAL;
	fprintf(stderr, "waiting for ssh on %s (at most %d s)\n", rn->ip,
	    rn->ssh_timeout_s);
	for (;;) {
		t = bg_now_ms();
		if (got_signal)
			return -EINTR;
		if (probe_ssh(&a, deadline))
			return 0;
		if (bg_now_ms() >= deadline)
			return -ETIMEDOUT;
		if (bg_now_ms() >= check) {
			if (vm_stopped(rn))
				return -ECHILD;
			check = bg_now_ms() + STATE_CHECK_MS;
		}
		sleep_ms(t + PERIOD_MS - bg_now_ms());
	}
}

/* --rm: stop at once and delete.  0, or the exit code after saying why. */
static int
remove_vm(const struct run *rn)
{
	struct cli_call c;
	int r;

	/*
	 * vm-delete that stops a running VM at once, without grace: the
	 * disks go right after, a guest shutdown would protect nothing.
	 */
	r = ask(&c, "vm-delete", rn->name, "stop", rn->silence);
	if (r == 0) {
		fprintf(stderr, "deleted VM %s\n", rn->name);
		cli_ssh_config_refresh();
	} else
		cli_finish(rn->inv, &c, NULL);
	cli_call_free(&c);
	return r;
}

/* Say why the VM is not usable, and keep it for a look at its console. */
static int
boot_failed(const struct run *rn, int why)
{
	if (why == -ETIMEDOUT)
		fprintf(stderr,
		    "banger: VM %s did not answer on ssh (%s:22) within %d s\n",
		    rn->name, rn->ip, rn->ssh_timeout_s);
	else
		fprintf(stderr, "banger: VM %s stopped while booting\n",
		    rn->name);
	fprintf(stderr,
	    "banger: VM %s kept for inspection: banger vm logs %s\n", rn->name,
	    rn->name);
	return why == -ETIMEDOUT ? BG_EXIT_TEMP : BG_EXIT_NO;
}

/* Create, start, then wait for ssh: 0, or the exit code. */
static int
bring_up(struct run *rn, struct cli_spec *s)
{
	struct cli_call c;
	int r;

	r = create(s, &c, rn->silence);
	if (r != 0) {
		/* A stream cut short by its producer (said already) makes
		 * the service call it damaged: the cause is ours, 111. */
		int ps = c.payload_status;

		r = cli_finish(rn->inv, &c, NULL);
		cli_call_free(&c);
		return ps > 0 ? BG_EXIT_TEMP : r;
	}
	announce(c.result);
	cli_ssh_config_refresh();
	snprintf(rn->name, sizeof(rn->name), "%s", field(c.result, "name"));
	snprintf(rn->ip, sizeof(rn->ip), "%s", field(c.result, "ip"));
	r = c.payload_status;
	cli_call_free(&c);
	if (!bg_name_valid(rn->name)) {
		fputs("banger: the service answered without the VM's name\n",
		    stderr);
		return BG_EXIT_TEMP;
	}
	if (r != 0) {
		/* The workspace did not go out whole (tar said so after
		 * the service took the stream): this VM must not stay. */
		if (r == -EPIPE)
			fputs("banger: the service stopped reading the "
			      "workspace\n",
			    stderr);
		remove_vm(rn);
		return r < 0 ? BG_EXIT_TEMP : r;
	}
	if (got_signal)
		return remove_vm(rn) == 0 ? 128 + got_signal : BG_EXIT_TEMP;
	r = ask_name(&c, "vm-start", rn->name, rn->silence);
	if (r != 0) {
		r = cli_finish(rn->inv, &c, NULL);
		cli_call_free(&c);
		if (rn->rm)
			remove_vm(rn);
		else
			fprintf(stderr,
			    "banger: VM %s was created but did not "
			    "start: see 'banger vm logs %s', or 'banger vm "
			    "delete %s'\n",
			    rn->name, rn->name, rn->name);
		return r;
	}
	cli_call_free(&c);
	r = wait_ssh(rn);
	if (r == -EINTR)
		return remove_vm(rn) == 0 ? 128 + got_signal : BG_EXIT_TEMP;
	if (r == -EINVAL) {
		fprintf(stderr,
		    "banger: the service gave VM %s no IPv4 address\n",
		    rn->name);
		return BG_EXIT_TEMP;
	}
	return r < 0 ? boot_failed(rn, r) : 0;
}

/*
 * vm run [-- COMMAND...]: a new VM, then ssh.  Without --rm banger
 * becomes ssh (the VM stays); with --rm it waits for ssh, then stops
 * and deletes the VM, and exits with ssh's status (the command's, or
 * 255 when ssh itself failed) unless that was 0 and the cleanup failed.
 */
int
cli_vm_run(struct cli_inv *inv)
{
	struct cli_spec s;
	struct ssh sh;
	struct run rn;
	struct cli_ws ws;
	const cJSON *t;
	int r, st;

	memset(&ws, 0, sizeof(ws));
	memset(&rn, 0, sizeof(rn));
	rn.inv = inv;
	rn.rm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inv->opts, "rm"));
	/* First, so that --branch's handlers (workspace.c) stack on top. */
	if (rn.rm)
		catch_signals();
	if (inv->nargs > 0) {
		bool done = false;

		r = cli_ws_prepare(inv, &ws, &done);
		if (r == 0 && got_signal)
			r = 128 + got_signal;
		if (r != 0 || done) {
			cli_ws_free(&ws);
			return r;
		}
	}
	t = cJSON_GetObjectItemCaseSensitive(inv->opts, "ssh-timeout");
	rn.ssh_timeout_s =
	    cJSON_IsNumber(t) ? (int)t->valuedouble : SSH_TIMEOUT_S;
	rn.silence = cli_silence_ms();
	if (rn.silence < 0) {
		cli_ws_free(&ws);
		return BG_EXIT_USAGE;
	}
	r = cli_spec_init(inv, &s);
	if (r == 0 && inv->nargs > 0) {
		/* The workspace rides on the work disk: vm-create's payload. */
		if (!cJSON_AddTrueToObject(s.req, "workspace")) {
			fputs("banger: out of memory\n", stderr);
			r = BG_EXIT_TEMP;
		}
		s.payload = cli_ws_send;
		s.payload_arg = &ws;
		s.payload_sent = cli_ws_sent;
		fprintf(stderr,
		    "shipping %zu files (%llu bytes) to /root/repo%s\n",
		    ws.nfiles, ws.bytes, ws.branch[0] ? ", with its .git" : "");
	}
	if (r == 0)
		r = bring_up(&rn, &s);
	if (r == 0 && inv->nargs > 0) {
		char *raw = NULL;

		r = cli_ws_command(&ws, inv->command, inv->ncommand, &raw);
		if (r == 0)
			r = ssh_prepare_raw(&sh, s.cfg.ssh_key_path, rn.ip, raw,
			    inv->ncommand == 0 && isatty(STDIN_FILENO));
		if (r != 0 && rn.rm)
			remove_vm(&rn);
		else if (r != 0)
			fprintf(stderr,
			    "banger: VM %s kept: 'banger vm delete "
			    "%s' removes it\n",
			    rn.name, rn.name);
	} else if (r == 0) {
		r = ssh_prepare(&sh, s.cfg.ssh_key_path, rn.ip, inv->command,
		    inv->ncommand);
		if (r != 0 && rn.rm)
			remove_vm(&rn);
	}
	cli_ws_free(&ws);
	cli_spec_free(&s);
	if (r != 0)
		return r;
	if (!rn.rm) {
		r = ssh_exec(&sh);
		ssh_free(&sh);
		return r;
	}
	st = ssh_run(&sh);
	ssh_free(&sh);
	r = remove_vm(&rn);
	return st != 0 || r == 0 ? st : r;
}
