/*
 * verb.c — the one main() of every helper (docs/architecture.md, "One
 * skeleton").  A helper file declares a struct bg_verb: its request
 * fields (name, type, required, range, default), a pure validate step
 * and an act step.  bg_verb_main() does the rest, in this order:
 *
 *   peer check (SO_PEERCRED: the owner or root; a pipe is its caller)
 *   -> read the request (one JSON line, bounded, with a deadline)
 *   -> schema check: unknown key, wrong type, out of range, missing
 *      -> bad_request, exit 100, before anything is touched
 *   -> validate (reads at most) -> act -> the final line.
 *
 * A root helper first narrows its capabilities to its verb's set.  On
 * any failure the undo steps act registered run (newest first), the
 * failure goes to the audit trail (lib/audit.c: the journal with
 * fields under systemd, else stderr) with the verb and the peer, and
 * the error line is written; a root verb's success is logged too.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static char prog[BG_VERB_MAX + 16];

static const struct bg_field *
field_of(const struct bg_verb *v, const char *key)
{
	const struct bg_field *f;

	for (f = v->fields; f != NULL && f->key != NULL; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

/* A declared field, or a bug in the helper: it asked for an undeclared key. */
static const struct bg_field *
declared(const struct bg_req *rq, const char *key, enum bg_ftype type)
{
	const struct bg_field *f = field_of(rq->verb, key);

	if (f == NULL || f->type != type) {
		strerr_warnw3x("bug: the request field \"", key,
		    "\" is not declared with that type");
		abort();
	}
	return f;
}

static const cJSON *
item(const struct bg_req *rq, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(rq->json, key);
}

const char *
bg_req_str(const struct bg_req *rq, const char *key)
{
	const struct bg_field *f = declared(rq, key, BG_T_STR);
	const cJSON *j = item(rq, key);

	(void)f;
	return j != NULL ? j->valuestring : NULL;
}

int64_t
bg_req_int(const struct bg_req *rq, const char *key)
{
	const struct bg_field *f = declared(rq, key, BG_T_INT);
	const cJSON *j = item(rq, key);

	return j != NULL ? (int64_t)j->valuedouble : f->def;
}

bool
bg_req_bool(const struct bg_req *rq, const char *key)
{
	const struct bg_field *f = declared(rq, key, BG_T_BOOL);
	const cJSON *j = item(rq, key);

	return j != NULL ? cJSON_IsTrue(j) : f->def != 0;
}

const cJSON *
bg_req_array(const struct bg_req *rq, const char *key)
{
	declared(rq, key, BG_T_ARRAY);
	return item(rq, key);
}

bool
bg_req_has(const struct bg_req *rq, const char *key)
{
	return field_of(rq->verb, key) != NULL && item(rq, key) != NULL;
}

/* No C0 control character and no DEL: what a log line or a path may not hide. */
static bool
clean_string(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int
bad_field(const struct bg_field *f, struct bg_err *err)
{
	switch (f->type) {
	case BG_T_STR:
		bg_err_set(err, "bad_request", "\"%s\" must be %s", f->key,
		    f->what != NULL ? f->what : "a string");
		break;
	case BG_T_INT:
		bg_err_set(err, "bad_request",
		    "\"%s\" must be an integer from %lld to %lld", f->key,
		    (long long)f->min, (long long)f->max);
		break;
	case BG_T_BOOL:
		bg_err_set(err, "bad_request", "\"%s\" must be true or false",
		    f->key);
		break;
	case BG_T_ARRAY:
		bg_err_set(err, "bad_request",
		    "\"%s\" must be an array of at most %lld entries", f->key,
		    (long long)f->max);
		break;
	}
	return -EINVAL;
}

/* One present field against its declaration. */
static int
check_field(const struct bg_field *f, const cJSON *j, struct bg_err *err)
{
	double d;
	size_t len;

	switch (f->type) {
	case BG_T_STR:
		if (!cJSON_IsString(j) || j->valuestring == NULL)
			return bad_field(f, err);
		len = strlen(j->valuestring);
		if (len == 0 || len > (size_t)f->max ||
		    !clean_string(j->valuestring) ||
		    (f->valid != NULL && !f->valid(j->valuestring)))
			return bad_field(f, err);
		return 0;
	case BG_T_INT:
		/* On the double, before any conversion: no fraction, no overflow. */
		if (!cJSON_IsNumber(j))
			return bad_field(f, err);
		d = j->valuedouble;
		if (!(d >= (double)f->min && d <= (double)f->max) ||
		    floor(d) != d)
			return bad_field(f, err);
		return 0;
	case BG_T_BOOL:
		return cJSON_IsBool(j) ? 0 : bad_field(f, err);
	case BG_T_ARRAY:
		if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) > f->max)
			return bad_field(f, err);
		return 0;
	}
	return bad_field(f, err);
}

/* The schema: every key declared (or "v"), every field well-typed, none missing. */
static int
check_schema(const struct bg_verb *v, const cJSON *req, struct bg_err *err)
{
	const struct bg_field *f;
	const cJSON *it;
	char shown[72];
	int r;

	cJSON_ArrayForEach(it, req) {
		if (strcmp(it->string, "v") == 0)
			continue;
		if (field_of(v, it->string) == NULL) {
			bg_toml_printable(it->string, shown, sizeof(shown));
			bg_err_set(err, "bad_request",
			    "unknown request key \"%s\" (%s takes %s)", shown,
			    v->name,
			    v->fields != NULL && v->fields->key != NULL ?
				"the keys in docs/protocol.md" :
				"no keys");
			return -EINVAL;
		}
	}
	for (f = v->fields; f != NULL && f->key != NULL; f++) {
		it = cJSON_GetObjectItemCaseSensitive(req, f->key);
		if (it == NULL) {
			/* Missing: the rule, which says what to send. */
			if (f->required)
				return bad_field(f, err);
			continue;
		}
		r = check_field(f, it, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void
bg_req_on_fail(struct bg_req *rq, void (*fn)(void *), void *arg)
{
	if (rq->n_undo >= sizeof(rq->undo) / sizeof(rq->undo[0])) {
		strerr_warnw1x("bug: too many undo steps");
		abort();
	}
	rq->undo[rq->n_undo].fn = fn;
	rq->undo[rq->n_undo].arg = arg;
	rq->n_undo++;
}

ssize_t
bg_req_payload_read(struct bg_req *rq, void *buf, size_t n, int64_t deadline_ms)
{
	size_t k;

	if (rq->extra_off < rq->extra_len) {
		k = rq->extra_len - rq->extra_off;
		if (k > n)
			k = n;
		memcpy(buf, rq->extra + rq->extra_off, k);
		rq->extra_off += k;
		return (ssize_t)k;
	}
	return bg_read_deadline(0, buf, n, deadline_ms);
}

bool
bg_req_payload_pending(const struct bg_req *rq)
{
	return rq->extra_len > rq->extra_off;
}

/*
 * The request's outcome in the audit trail (lib/audit.c): root verbs
 * always, owner verbs when they fail.  VM and INDEX only from a request
 * that passed its schema.
 */
static void
audit(const struct bg_req *rq, const char *result, int e, const char *msg)
{
	bool root = (rq->verb->flags & BG_VERB_ROOT) != 0;
	const cJSON *name = rq->schema_ok ? item(rq, "name") : NULL;
	const cJSON *index = rq->schema_ok ? item(rq, "index") : NULL;
	struct bg_audit a = {
		.ident = root ? "banger-root" : "banger",
		.prog = prog,
		.verb = rq->verb->name,
		.peer_known = rq->peer_is_socket,
		.uid = rq->peer_uid,
		.pid = rq->peer_pid,
		.vm = cJSON_IsString(name) && bg_name_valid(name->valuestring) ?
		    name->valuestring :
		    NULL,
		.index = cJSON_IsNumber(index) ? (int)index->valuedouble : -1,
		.result = result,
		.err = e,
		.msg = msg,
		.caps = root,
	};

	bg_audit(&a);
}

static int
finish_fail(struct bg_req *rq, int code, struct bg_err *err)
{
	while (rq->n_undo > 0) {
		rq->n_undo--;
		rq->undo[rq->n_undo].fn(rq->undo[rq->n_undo].arg);
	}
	if (err->code[0] == '\0')
		bg_err_set(err, "internal", "%s failed without saying why",
		    rq->verb->name);
	/* A local verb's caller, the CLI on a terminal, says it already. */
	if (!(rq->verb->flags & BG_VERB_LOCAL))
		audit(rq, err->code, code < 0 && code > -4096 ? -code : 0,
		    err->msg);
	bg_proto_fail(1, err);
	bg_proto_drain(0);
	return bg_exit_for_code(err->code);
}

/*
 * A root helper: its descriptor's set must be its root verb's (the one
 * root-dispatch narrowed the bounding set to, lib/root-verbs.c); as
 * root, hold exactly that set (a helper run by root in a pipeline
 * starts with all of root's), and refuse to go on without all of it.
 */
static int
root_caps(const struct bg_verb *v, struct bg_err *err)
{
	const struct bg_root_verb *rv = bg_root_verb(v->name);
	uint64_t eff = 0, missing;
	int r, c;

	if (rv == NULL || rv->caps != v->caps) {
		strerr_warnw3x("bug: the capabilities of root verb \"", v->name,
		    "\" disagree with lib/root-verbs.c");
		abort();
	}
	/* The fence holds whoever runs the helper (and stacks on root-dispatch's). */
	r = rv->fenced ? bg_seccomp_fence() : 0;
	if (r < 0) {
		bg_err_set(err, "internal", "cannot fence the helper: %s",
		    strerror(-r));
		return r;
	}
	if (geteuid() != 0)
		return 0; /* no capabilities to drop; act will say EPERM */
	r = bg_caps_limit(v->caps);
	if (r == 0)
		r = bg_caps_read(&eff, NULL, NULL);
	if (r < 0) {
		bg_err_set(err, "internal", "cannot narrow capabilities: %s",
		    strerror(-r));
		return r;
	}
	missing = v->caps & ~eff;
	for (c = 0; c < 64 && missing != 0; c++)
		if (missing & BG_CAP(c)) {
			bg_err_set(err, "internal",
			    "this root helper needs %s, which it was not "
			    "given (check CapabilityBoundingSet= of "
			    "banger-root@.service)",
			    bg_cap_name(c));
			return -EPERM;
		}
	return 0;
}

int
bg_verb_main(const struct bg_verb *v)
{
	struct bg_req rq;
	struct bg_err err;
	cJSON *result = NULL;
	bool root = (v->flags & BG_VERB_ROOT) != 0, owner;
	bool local = (v->flags & BG_VERB_LOCAL) != 0;
	int r, code;

	memset(&rq, 0, sizeof(rq));
	memset(&err, 0, sizeof(err));
	rq.verb = v;
	snprintf(prog, sizeof(prog), "banger-%s%s", root ? "root-" : "",
	    v->name);
	PROG = prog;
	/* A peer that hangs up must give -EPIPE, not kill us mid-answer. */
	signal(SIGPIPE, SIG_IGN);
	r = bg_peer_cred(0, &rq.peer_uid, NULL, &rq.peer_pid);
	rq.peer_is_socket = r == 0;
	if (!rq.peer_is_socket) {
		rq.peer_uid = getuid();
		rq.peer_pid = getppid();
	}
	/* A root helper holds its verb's capabilities and no more, from here. */
	r = root ? root_caps(v, &err) : 0;
	if (r == 0 && local && rq.peer_is_socket) {
		bg_err_set(&err, "permission_denied",
		    "%s runs on this host only (sudo banger system ...), "
		    "never over a socket",
		    v->name);
		r = -EPERM;
	} else if (r == 0 && (v->flags & BG_VERB_SUDO) && geteuid() != 0) {
		bg_err_set(&err, "permission_denied",
		    "%s needs root: run sudo banger system ...", v->name);
		r = -EPERM;
	}
	/*
	 * The owner from install.toml (owner side before install: this
	 * process's uid): a socket peer must be it, or root.  Read before
	 * the request only when a peer needs checking against it.
	 */
	owner = false;
	if (r == 0 && rq.peer_is_socket && rq.peer_uid != 0) {
		r = bg_owner(&rq.owner_uid, root ? &rq.owner_gid : NULL, root,
		    &err);
		if (r == 0)
			r = bg_peer_allow(0, rq.owner_uid, &err);
		owner = r == 0;
	}
	if (r == 0 && v->prepare != NULL)
		r = v->prepare(&err);
	if (r == 0)
		r = bg_proto_read_request_payload(0, bg_proto_deadline(),
		    &rq.json, (v->flags & BG_VERB_PAYLOAD) ? &rq.extra : NULL,
		    (v->flags & BG_VERB_PAYLOAD) ? &rq.extra_len : NULL, &err);
	if (r == 0)
		r = check_schema(v, rq.json, &err);
	rq.schema_ok = r == 0;
	if (r == 0 && !owner && !local)
		r = bg_owner(&rq.owner_uid, root ? &rq.owner_gid : NULL, root,
		    &err);
	if (r == 0 && v->validate != NULL)
		r = v->validate(&rq, &err);
	/* Nothing of this request has been touched until here. */
	code = r < 0 ? r : v->act(&rq, &result, &err);
	if (code < 0)
		r = finish_fail(&rq, code, &err);
	else {
		r = bg_proto_ok(1, result) < 0 ? BG_EXIT_TEMP : code;
		if (root)
			audit(&rq, "ok", 0, NULL);
	}
	cJSON_Delete(rq.json);
	free(rq.extra);
	return r;
}
