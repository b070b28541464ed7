/*
 * remote.c — asking a helper and showing its answer (docs/protocol.md).
 *
 * cli_call() connects to the owner socket, sends the verb line and the
 * request line, then reads answer lines: "log" events go to stderr,
 * "progress" events become a progress bar when stderr is a terminal,
 * other events ("output") go to the caller's on_event, and the one
 * final line is kept for the caller.  The deadline is on silence
 * between lines, not on the whole operation, so a long image pull that
 * keeps reporting never times out.  cli_finish() turns the final line
 * into output and an exit code; cli_remote() is the two for a command
 * that only asks the service.
 *
 * cli_local() runs a helper directly on a pair of pipes and reads its
 * answer the same way: doctor must work before the services are
 * installed, and system install/uninstall are what installs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

struct progress {
	bool tty;
	bool active; /* a bar is on the terminal's last line */
	bool reported; /* not a tty: "WHAT: done" printed */
	bool bytes;
	char what[96];
	double done, total;
	int64_t drawn_ms;
	int64_t start_ms; /* the first event of this bar */
	double start_done;
	int shown_pct; /* not a tty: the last 10% step printed */
};

/*
 * A message from the service, made safe (cli_clean): every line of it
 * starts with "banger: ".
 */
void
cli_message(const char *s)
{
	char *c = cli_clean(s, 4096, true);
	const char *p;

	fputs("banger: ", stderr);
	for (p = c != NULL ? c : "?"; *p != '\0'; p++)
		if (*p == '\n')
			fputs("\nbanger: ", stderr);
		else
			fputc(*p, stderr);
	fputc('\n', stderr);
	free(c);
}

/* ---- progress ------------------------------------------------------ */

static int
term_cols(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col > 300 ? 300 : ws.ws_col;
	return 80;
}

/* 90.1 (unit: false) or "214.0 MiB"; bytes are scaled by the total. */
static void
fmt_amount(const struct progress *p, double v, bool unit, char *buf, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double scale = 1, ref = p->total > 0 ? p->total : v;
	int u = 0;

	if (!p->bytes) {
		snprintf(buf, n, "%.0f", v);
		return;
	}
	while (u < 4 && ref >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%.0f%s%s", v, unit ? " " : "",
		    unit ? units[u] : "");
	else
		snprintf(buf, n, "%.1f%s%s", v / scale, unit ? " " : "",
		    unit ? units[u] : "");
}

/* "  12.3 MiB/s  ETA 0:14" for bytes, once a second has passed. */
static const char *
rate_eta(const struct progress *p)
{
	static char buf[64];
	double secs = (double)(bg_now_ms() - p->start_ms) / 1000, rate, left;
	long eta;

	buf[0] = '\0';
	if (!p->bytes || secs < 1 || p->done <= p->start_done)
		return buf;
	rate = (p->done - p->start_done) / secs;
	left = p->total > p->done ? (p->total - p->done) / rate : 0;
	eta = left > 359999 ? 359999 : (long)left;
	snprintf(buf, sizeof(buf), "  %.1f MiB/s  ETA %ld:%02ld",
	    rate / 1048576, eta / 60, eta % 60);
	return buf;
}

/* "pulling debian-bookworm [#######.........]  42%  90.1/214.0 MiB" */
static void
progress_draw(struct progress *p)
{
	char line[400], done[32], total[32], bar[64];
	int cols = term_cols(), barw, fill, pct, k;

	fmt_amount(p, p->done, p->total <= 0, done, sizeof(done));
	if (p->total > 0) {
		fmt_amount(p, p->total, true, total, sizeof(total));
		pct =
		    p->done >= p->total ? 100 : (int)(p->done * 100 / p->total);
		barw = cols - (int)strlen(p->what) - (int)strlen(done) -
		    (int)strlen(total) - 14;
		if (barw > 40)
			barw = 40;
		if (barw < 10)
			barw = 10;
		fill = barw * pct / 100;
		for (k = 0; k < barw; k++)
			bar[k] = k < fill ? '#' : '.';
		bar[barw] = '\0';
		snprintf(line, sizeof(line), "%s [%s] %3d%%  %s/%s%s", p->what,
		    bar, pct, done, total, rate_eta(p));
	} else {
		snprintf(line, sizeof(line), "%s  %s", p->what, done);
	}
	if ((int)strlen(line) > cols - 1)
		line[cols - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->active = true;
	p->drawn_ms = bg_now_ms();
}

/* Leave the bar as it ended, on a line of its own. */
static void
progress_end(struct progress *p)
{
	if (!p->active)
		return;
	progress_draw(p);
	fputc('\n', stderr);
	p->active = false;
}

static double
num_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	/* NaN fails both comparisons; the cap also stops infinity. */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
		return 0;
	if (v->valuedouble > 9.2e18)
		return 9.2e18;
	return (double)(unsigned long long)v->valuedouble;
}

static void
on_progress(struct progress *p, const cJSON *ev)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(ev, "what");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(ev, "unit");
	char what[sizeof(p->what)], *c;

	/* Made safe and cut to fit (with "...") at a character boundary. */
	c = cli_clean(cJSON_IsString(w) && w->valuestring[0] ? w->valuestring :
							       "working",
	    sizeof(what) - 4, false);
	snprintf(what, sizeof(what), "%s", c != NULL ? c : "working");
	free(c);
	if (strcmp(what, p->what) != 0) {
		progress_end(p);
		memcpy(p->what, what, sizeof(what));
		p->reported = false;
		p->start_ms = bg_now_ms();
		p->start_done = num_field(ev, "done");
		p->shown_pct = -1;
	}
	p->done = num_field(ev, "done");
	p->total = num_field(ev, "total");
	p->bytes = cJSON_IsString(u) && strcmp(u->valuestring, "bytes") == 0;
	if (p->tty) {
		if (!p->active || bg_now_ms() - p->drawn_ms >= 100 ||
		    p->done >= p->total)
			progress_draw(p);
	} else if (p->total > 0 && p->done >= p->total && !p->reported) {
		fprintf(stderr, "%s: done\n", p->what);
		p->reported = true;
	} else if (p->total > 0 && p->bytes && !p->reported &&
	    (int)(p->done * 10 / p->total) > p->shown_pct) {
		/* Not a terminal: a plain line at each tenth. */
		char d[32], t[32];

		p->shown_pct = (int)(p->done * 10 / p->total);
		fmt_amount(p, p->done, false, d, sizeof(d));
		fmt_amount(p, p->total, true, t, sizeof(t));
		fprintf(stderr, "%s: %d%% (%s/%s)\n", p->what,
		    p->shown_pct * 10, d, t);
	}
}

static void
on_log(struct progress *p, const cJSON *ev)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(ev, "message");
	char *c;

	if (!cJSON_IsString(m))
		return;
	if (p->active)
		fputs("\r\033[K", stderr);
	c = cli_clean(m->valuestring, 4096, true);
	fputs(c != NULL ? c : "?", stderr);
	fputc('\n', stderr);
	free(c);
	if (p->active)
		progress_draw(p);
}

/* ---- answers ------------------------------------------------------- */

/* Take code and message out of a final {"ok":false,"error":{...}}. */
static void
take_error(const cJSON *final, struct bg_err *err)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(final, "error");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
	const char *code = "internal";

	if (cJSON_IsString(c) && c->valuestring[0] != '\0' &&
	    strlen(c->valuestring) < sizeof(err->code) &&
	    strspn(c->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		strlen(c->valuestring))
		code = c->valuestring;
	bg_err_set(err, code, "%s",
	    cJSON_IsString(m) && m->valuestring[0] ?
		m->valuestring :
		"the service failed without saying why");
}

/*
 * Read events until the final line.  0 with c's final, ok, result and
 * err filled, or -1 with c->err filled when no final line came (closed,
 * timed out, garbage, or on_event said stop).
 */
static int
read_answer(int fd, const char *from, struct cli_call *c)
{
	struct bg_linereader lr;
	struct progress p;
	struct bg_err *err = &c->err;
	char *line;
	int r, ret = -1;

	memset(&p, 0, sizeof(p));
	p.tty = isatty(STDERR_FILENO);
	bg_linereader_init(&lr, fd);
	for (;;) {
		const cJSON *ev, *ok;
		cJSON *j;

		r = bg_linereader_next(&lr, &line,
		    c->silence_ms > 0 ? bg_now_ms() + c->silence_ms :
					INT64_MAX);
		if (r == 0) {
			bg_err_set(err, "temporary",
			    "%s closed the connection "
			    "without an answer\nsee 'banger system status' and "
			    "the service's journal",
			    from);
			break;
		}
		if (r < 0) {
			if (r == -ETIMEDOUT)
				bg_err_set(err, "timeout",
				    "no answer from %s for %lld s", from,
				    (long long)(c->silence_ms / 1000));
			else if (r == -EMSGSIZE)
				bg_err_set(err, "protocol",
				    "%s sent an answer "
				    "line longer than %d bytes",
				    from, BG_ANSWER_LINE_MAX);
			else if (r == -EPROTO)
				bg_err_set(err, "temporary",
				    "%s closed the "
				    "connection in the middle of a line",
				    from);
			else
				bg_err_set(err, "temporary",
				    "reading the answer from %s failed: %s",
				    from, strerror(-r));
			break;
		}
		j = cJSON_ParseWithOpts(line, NULL, 1);
		if (!cJSON_IsObject(j)) {
			cJSON_Delete(j);
			bg_err_set(err, "protocol",
			    "%s sent a line that is not a JSON object", from);
			break;
		}
		ev = cJSON_GetObjectItemCaseSensitive(j, "event");
		ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
		if (cJSON_IsString(ev)) {
			r = 0;
			if (c->json_events)
				cli_print_json(j);
			else if (strcmp(ev->valuestring, "progress") == 0)
				on_progress(&p, j);
			else if (strcmp(ev->valuestring, "log") == 0)
				on_log(&p, j);
			else if (c->on_event != NULL)
				r = c->on_event(ev->valuestring, j, c->arg);
			/* Other events are for newer clients. */
			cJSON_Delete(j);
			if (r < 0) {
				bg_err_set(err, "io",
				    "stopped reading the answer from %s", from);
				break;
			}
			continue;
		}
		if (!cJSON_IsBool(ok)) {
			cJSON_Delete(j);
			bg_err_set(err, "protocol",
			    "%s sent a line that is "
			    "neither an event nor an answer",
			    from);
			break;
		}
		c->final = j;
		c->ok = cJSON_IsTrue(ok);
		if (c->ok)
			c->result =
			    cJSON_GetObjectItemCaseSensitive(j, "result");
		else
			take_error(j, err);
		ret = 0;
		break;
	}
	progress_end(&p);
	bg_linereader_free(&lr);
	return ret;
}

/* Print an error for humans (stderr) and, with --json, for scripts. */
int
cli_fail(const struct cli_inv *inv, const struct bg_err *err)
{
	if (inv->json) {
		cJSON *o = cJSON_CreateObject();

		if (o != NULL &&
		    cJSON_AddStringToObject(o, "code", err->code) &&
		    cJSON_AddStringToObject(o, "message", err->msg))
			cli_print_json(o);
		cJSON_Delete(o);
	}
	cli_message(err->msg);
	return bg_exit_for_code(err->code);
}

/*
 * The answer becomes output and an exit code: the result (render, else
 * key: value lines; --json: the object), or the error as the service
 * sent it, or the reason no answer came.
 */
int
cli_finish(const struct cli_inv *inv, const struct cli_call *c,
    cli_render_fn render)
{
	if (c->final == NULL)
		return cli_fail(inv, &c->err);
	if (!c->ok) {
		if (inv->json) {
			const cJSON *e =
			    cJSON_GetObjectItemCaseSensitive(c->final, "error");

			if (cJSON_IsObject(e))
				cli_print_json(e);
		}
		cli_message(c->err.msg);
		return bg_exit_for_code(c->err.code);
	}
	if (inv->json) {
		cJSON *empty = cJSON_CreateObject();

		cli_print_json(c->result != NULL ? c->result : empty);
		cJSON_Delete(empty);
	} else if (c->result != NULL) {
		(render != NULL ? render : cli_render_generic)(inv, c->result);
	}
	return 0;
}

void
cli_call_free(struct cli_call *c)
{
	cJSON_Delete(c->final);
	c->final = NULL;
	c->result = NULL;
}

/*
 * The deadline on silence: BANGER_CLIENT_TIMEOUT seconds (0: none),
 * else 10 minutes.  -1 after a usage message.
 */
int64_t
cli_silence_ms(void)
{
	const char *s = getenv("BANGER_CLIENT_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || s[0] == '\0')
		return CLI_SILENCE_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v > 86400) {
		fputs("banger: BANGER_CLIENT_TIMEOUT must be a number of "
		      "seconds from 0 (no limit) to 86400\n",
		    stderr);
		return -1;
	}
	return (int64_t)v * 1000;
}

/* "verb\n{...}\n" in one write; verb NULL: the request line alone. */
static int
send_request(int fd, const char *verb, const cJSON *req, struct bg_err *err)
{
	char *json = cJSON_PrintUnformatted(req), *buf;
	size_t jl, vl = verb != NULL ? strlen(verb) + 1 : 0;
	int r;

	if (json == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	jl = strlen(json);
	if (jl > BG_REQ_MAX) {
		cJSON_free(json);
		bg_err_set(err, "bad_request",
		    "the request is larger than %d bytes", BG_REQ_MAX);
		return -EMSGSIZE;
	}
	buf = malloc(vl + jl + 1);
	if (buf == NULL) {
		cJSON_free(json);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	if (verb != NULL) {
		memcpy(buf, verb, vl - 1);
		buf[vl - 1] = '\n';
	}
	memcpy(buf + vl, json, jl);
	buf[vl + jl] = '\n';
	r = bg_write_all(fd, buf, vl + jl + 1);
	/* It may carry a credential (image pull's "auth"): wiped. */
	explicit_bzero(buf, vl + jl + 1);
	explicit_bzero(json, jl);
	free(buf);
	cJSON_free(json);
	/* A peer that closed early may still have left an answer to read. */
	if (r == -EPIPE || r == -ECONNRESET)
		return 0;
	if (r < 0)
		bg_err_set(err, "temporary", "sending the request failed: %s",
		    strerror(-r));
	return r;
}

static void
connect_error(struct bg_err *err, const char *path, int e)
{
	const char *hint;

	switch (e) {
	case ECONNREFUSED:
		hint =
		    "the socket exists but nothing listens on it: run "
		    "'sudo banger system restart' (see 'banger system status')";
		break;
	case EACCES:
	case EPERM:
		hint = "only the user banger was installed for may use it: "
		       "see 'banger system status'";
		break;
	default:
		hint = "is banger installed? run: sudo banger system "
		       "install --owner $USER\n"
		       "(BANGER_SOCKET names another socket to use)";
		break;
	}
	bg_err_set(err, "unavailable", "cannot connect to %s: %s\n%s", path,
	    strerror(e), hint);
}

/*
 * Ask the service: c->verb and c->req over the owner socket.  0 when
 * it answered ok; else the exit code, with c->err filled (and
 * c->final kept when the service answered with an error).  Free with
 * cli_call_free.
 */
int
cli_call(struct cli_call *c)
{
	char path[PATH_MAX];
	int fd, r;

	memset(&c->err, 0, sizeof(c->err));
	c->final = NULL;
	c->result = NULL;
	c->ok = false;
	r = bg_path_socket(path, sizeof(path));
	if (r < 0) {
		bg_err_set(&c->err, "bad_request",
		    "cannot build the socket "
		    "path: %s\nBANGER_SOCKET and BANGER_ROOT must be absolute "
		    "paths without '.' or '..'",
		    strerror(-r));
		return BG_EXIT_USAGE;
	}
	fd = bg_unix_connect(path);
	if (fd < 0) {
		connect_error(&c->err, path, -fd);
		return bg_exit_for_code(c->err.code);
	}
	r = send_request(fd, c->verb, c->req, &c->err);
	c->payload_status = 0;
	if (r == 0 && c->payload != NULL) {
		c->payload_status = c->payload(fd, c->payload_arg);
		shutdown(fd, SHUT_WR);
	}
	if (r == 0)
		r = read_answer(fd, "the service", c);
	close(fd);
	if (r != 0)
		return bg_exit_for_code(c->err.code);
	return c->ok ? 0 : bg_exit_for_code(c->err.code);
}

/* Send inv's request to the owner socket and show the answer. */
int
cli_remote(struct cli_inv *inv)
{
	struct cli_call c;
	int r;

	memset(&c, 0, sizeof(c));
	c.verb = inv->cmd->verb;
	c.req = inv->req;
	c.silence_ms = cli_silence_ms();
	if (c.silence_ms < 0)
		return BG_EXIT_USAGE;
	cli_call(&c);
	r = cli_finish(inv, &c, inv->cmd->render);
	cli_call_free(&c);
	return r;
}

/* ---- doctor --------------------------------------------------------- */

/* <dir of this binary>/../libexec/banger/VERB, if it is there. */
static int
self_helper(char *buf, size_t n, const char *verb)
{
	char self[PATH_MAX];
	int r;

	if (bg_path_self(self, sizeof(self), 1) < 0)
		return -1;
	r = snprintf(buf, n, "%s/../libexec/banger/%s", self, verb);
	return r > 0 && (size_t)r < n && access(buf, X_OK) == 0 ? 0 : -1;
}

/*
 * The helper for a command run here: LIBEXECDIR/VERB, else the one
 * beside this binary (build/bin/banger finds build/libexec/banger).
 * system-* verbs take the one beside this binary first: `sudo
 * ./build/bin/banger system install` installs that build, not the
 * helpers of an older installation.
 */
static int
helper_path(char *buf, size_t n, const char *verb)
{
	char dir[PATH_MAX], first[PATH_MAX + 40];
	bool self_first = strncmp(verb, "system-", 7) == 0;
	int r;

	if (self_first && self_helper(buf, n, verb) == 0)
		return 0;
	r = bg_path_libexec(dir, sizeof(dir));
	if (r == -EINVAL) {
		fputs("banger: BANGER_LIBEXECDIR must be an absolute path "
		      "without '.' or '..'\n",
		    stderr);
		return BG_EXIT_USAGE;
	}
	snprintf(first, sizeof(first), "%s/%s", r == 0 ? dir : "?", verb);
	if (r == 0 && strlen(first) < n && access(first, X_OK) == 0) {
		memcpy(buf, first, strlen(first) + 1);
		return 0;
	}
	if (!self_first && self_helper(buf, n, verb) == 0)
		return 0;
	fprintf(stderr,
	    "banger: cannot find the %s helper: %s is "
	    "missing\nbanger: reinstall banger, or set BANGER_LIBEXECDIR to "
	    "the directory of its helpers\n",
	    verb, first);
	return BG_EXIT_TEMP;
}

/* Start path with stdin and stdout on pipes.  The child's pid, or -1. */
static pid_t
spawn(const char *path, int *to, int *from)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };

		if (dup2(in[0], STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0)
			_exit(BG_EXIT_TEMP);
		signal(SIGPIPE, SIG_DFL);
		execv(path, argv);
		dprintf(STDERR_FILENO, "banger: cannot run %s: %s\n", path,
		    strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	*to = in[1];
	*from = out[0];
	return pid;
}

static int
failed_checks(const cJSON *result)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(result, "failed");
	const cJSON *checks, *c, *st;
	int n = 0;

	if (cJSON_IsNumber(f))
		return f->valuedouble >= INT_MAX ? INT_MAX :
		    f->valuedouble > 0		 ? (int)f->valuedouble :
						   0;
	checks = cJSON_GetObjectItemCaseSensitive(result, "checks");
	cJSON_ArrayForEach(c, checks) {
		st = cJSON_GetObjectItemCaseSensitive(c, "status");
		if (cJSON_IsString(st) && strcmp(st->valuestring, "fail") == 0)
			n++;
	}
	return n;
}

/*
 * Run the command's helper here, not through the socket: doctor (it
 * must work before the services are installed) and the system-*
 * commands (they install them).  Events are shown as they come.
 */
int
cli_local(struct cli_inv *inv)
{
	struct cli_call c;
	char path[PATH_MAX], label[64];
	int to, from, r, st = 0, failed = 0;
	bool doctor = strcmp(inv->cmd->verb, "doctor") == 0, unhealthy;
	pid_t pid;

	memset(&c, 0, sizeof(c));
	c.silence_ms = cli_silence_ms();
	if (c.silence_ms < 0)
		return BG_EXIT_USAGE;
	r = helper_path(path, sizeof(path), inv->cmd->verb);
	if (r != 0)
		return r;
	pid = spawn(path, &to, &from);
	if (pid < 0) {
		fprintf(stderr, "banger: cannot start %s: %s\n", path,
		    strerror(errno));
		return BG_EXIT_TEMP;
	}
	r = send_request(to, NULL, inv->req, &c.err);
	close(to);
	snprintf(label, sizeof(label), "the %s helper", inv->cmd->verb);
	if (r == 0)
		r = read_answer(from, label, &c);
	close(from);
	if (r != 0 && waitpid(pid, &st, WNOHANG) == 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r != 0) {
		/* exec failed: the child said why. */
		if (WIFEXITED(st) &&
		    (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127))
			return WEXITSTATUS(st);
		/* A crash is a bug: say which signal, not only "no answer". */
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			bg_err_set(&c.err, "internal",
			    "%s was killed by signal %d (%s): a bug in banger, "
			    "please report it",
			    label, WTERMSIG(st), strsignal(WTERMSIG(st)));
		return cli_fail(inv, &c.err);
	}
	if (c.ok && doctor)
		failed = failed_checks(c.result);
	/* system status: not installed, or a socket down. */
	unhealthy = c.ok &&
	    cJSON_IsFalse(
		cJSON_GetObjectItemCaseSensitive(c.result, "healthy"));
	r = cli_finish(inv, &c, inv->cmd->render);
	cli_call_free(&c);
	if (r == 0 && unhealthy)
		r = BG_EXIT_NO;
	if (r == 0 && failed > 0) {
		fprintf(stderr, "banger: %d check%s failed\n", failed,
		    failed == 1 ? "" : "s");
		r = BG_EXIT_NO;
	}
	return r;
}
