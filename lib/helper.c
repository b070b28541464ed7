/*
 * helper.c — the first and last steps every helper's main() shares:
 * check who is calling, read the request, and write the final line.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

static int
begin(struct bg_helper *h, const char *verb, bool root_side, bool payload)
{
	struct bg_err err = { { 0 }, { 0 } };
	int r;

	memset(h, 0, sizeof(*h));
	h->verb = verb;
	/* A peer that hangs up must give -EPIPE, not kill us mid-answer. */
	signal(SIGPIPE, SIG_IGN);
	r = bg_peer_cred(0, &h->peer_uid, NULL, NULL);
	h->peer_is_socket = r == 0;
	if (!h->peer_is_socket)
		h->peer_uid = getuid();
	r = bg_peer_check(0, root_side, &err);
	if (r < 0)
		return bg_helper_fail(h, &err);
	r = bg_proto_read_request_payload(0, bg_now_ms() + BG_READ_TIMEOUT_MS,
	    &h->req, payload ? &h->extra : NULL, payload ? &h->extra_len : NULL,
	    &err);
	if (r < 0)
		return bg_helper_fail(h, &err);
	return 0;
}

int
bg_helper_begin(struct bg_helper *h, const char *verb, bool root_side)
{
	return begin(h, verb, root_side, false);
}

int
bg_helper_begin_payload(struct bg_helper *h, const char *verb)
{
	return begin(h, verb, false, true);
}

ssize_t
bg_helper_payload_read(struct bg_helper *h, void *buf, size_t n,
    int64_t deadline_ms)
{
	size_t k;

	if (h->extra_off < h->extra_len) {
		k = h->extra_len - h->extra_off;
		if (k > n)
			k = n;
		memcpy(buf, h->extra + h->extra_off, k);
		h->extra_off += k;
		return (ssize_t)k;
	}
	return bg_read_deadline(0, buf, n, deadline_ms);
}

int
bg_helper_no_payload(const struct bg_helper *h, struct bg_err *err)
{
	if (h->extra_len == 0)
		return 0;
	bg_err_set(err, "bad_request",
	    "extra data after the request line: send one JSON object per connection");
	return -EPROTO;
}

int
bg_helper_check_keys(const cJSON *req, const char *const *allowed,
    struct bg_err *err)
{
	const cJSON *it;
	size_t i;

	cJSON_ArrayForEach(it, req) {
		if (strcmp(it->string, "v") == 0)
			continue;
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(it->string, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			bg_err_set(err, "bad_request",
			    "unknown request key \"%.64s\"", it->string);
			return -EINVAL;
		}
	}
	return 0;
}

static void
helper_free(struct bg_helper *h)
{
	cJSON_Delete(h->req);
	h->req = NULL;
	free(h->extra);
	h->extra = NULL;
	h->extra_len = h->extra_off = 0;
}

int
bg_helper_ok(struct bg_helper *h, cJSON *result)
{
	int r = bg_proto_ok(1, result);

	helper_free(h);
	return r < 0 ? BG_EXIT_TEMP : BG_EXIT_OK;
}

int
bg_helper_fail(struct bg_helper *h, const struct bg_err *err)
{
	bg_proto_fail(1, err);
	bg_proto_drain(0);
	helper_free(h);
	return bg_exit_for_code(err->code);
}

const char *
bg_req_name(const cJSON *req, struct bg_err *err)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(req, "name"));

	if (name == NULL || !bg_name_valid(name)) {
		bg_err_set(err, "bad_request",
		    "\"name\" must be a VM name (a-z, 0-9 and '-', at most %d, starting with a letter or digit)",
		    BG_NAME_MAX);
		return NULL;
	}
	return name;
}

const char *
bg_req_artifact(const cJSON *req, const char *key, struct bg_err *err)
{
	const char *name = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(req, key));

	if (name == NULL || !bg_artifact_name_valid(name)) {
		bg_err_set(err, "bad_request",
		    "\"%s\" must be an image or kernel name (a-z, 0-9, '-' and single inner '.', at most %d)",
		    key, BG_NAME_MAX);
		return NULL;
	}
	return name;
}

int
bg_req_index(const cJSON *req, struct bg_err *err)
{
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(req, "index");

	if (!cJSON_IsNumber(ix) || ix->valuedouble != (double)ix->valueint ||
	    ix->valueint < BG_NET_INDEX_MIN || ix->valueint > BG_NET_INDEX_MAX) {
		bg_err_set(err, "bad_request",
		    "\"index\" must be an integer from %d to %d",
		    BG_NET_INDEX_MIN, BG_NET_INDEX_MAX);
		return -EINVAL;
	}
	return ix->valueint;
}
