/*
 * call.c — one request to a banger socket, from inside a helper (an
 * owner helper asking the root side for a tap, say): connect, send the
 * verb line and the JSON, read events (handed to on_event, may be
 * NULL) and the final line, all within timeout_ms (connecting
 * included).  The result object is returned; an error answer is turned
 * into err with the remote code and message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

int
bg_call(const char *sock, const char *verb, const cJSON *req, int timeout_ms,
    void (*on_event)(const cJSON *ev, void *arg), void *arg, cJSON **result,
    struct bg_err *err)
{
	struct bg_linereader lr;
	char *body, *line;
	/* One deadline for the whole call: events do not extend it. */
	int64_t deadline = bg_now_ms() + timeout_ms;
	int fd, r;

	*result = NULL;
	fd = bg_unix_connect_timeout(sock, timeout_ms);
	if (fd < 0) {
		bg_err_set(err, "temporary", "cannot connect to %s: %s", sock,
		    strerror(-fd));
		return fd;
	}
	body = cJSON_PrintUnformatted(req);
	if (body == NULL) {
		close(fd);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = bg_write_all(fd, verb, strlen(verb));
	if (r == 0)
		r = bg_write_all(fd, "\n", 1);
	if (r == 0)
		r = bg_write_all(fd, body, strlen(body));
	if (r == 0)
		r = bg_write_all(fd, "\n", 1);
	free(body);
	/* A peer that answered early (a refusal) still left its answer. */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
		close(fd);
		bg_err_set(err, "temporary", "sending to %s failed: %s", sock,
		    strerror(-r));
		return r;
	}
	bg_linereader_init(&lr, fd);
	for (;;) {
		cJSON *j, *ok;

		r = bg_linereader_next(&lr, &line, deadline);
		if (r <= 0) {
			bg_err_set(err, "temporary",
			    "%s: the answer to %s ended without a final line (%s)",
			    sock, verb,
			    r == 0 ? "connection closed" : strerror(-r));
			r = r == 0 ? -EPROTO : r;
			break;
		}
		j = cJSON_Parse(line);
		if (j == NULL || !cJSON_IsObject(j)) {
			cJSON_Delete(j);
			bg_err_set(err, "temporary",
			    "%s: garbage in the answer to %s", sock, verb);
			r = -EPROTO;
			break;
		}
		if (cJSON_GetObjectItemCaseSensitive(j, "event") != NULL) {
			if (on_event != NULL)
				on_event(j, arg);
			cJSON_Delete(j);
			continue;
		}
		ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
		if (cJSON_IsTrue(ok)) {
			*result = cJSON_DetachItemFromObjectCaseSensitive(j,
			    "result");
			if (*result == NULL)
				*result = cJSON_CreateObject();
			r = 0;
		} else {
			const cJSON *e =
			    cJSON_GetObjectItemCaseSensitive(j, "error");
			const char *code = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(e, "code"));
			const char *msg = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(e, "message"));

			bg_err_set(err, code ? code : "internal", "%s",
			    msg ? msg : "(no message)");
			r = -EREMOTEIO;
		}
		cJSON_Delete(j);
		break;
	}
	bg_linereader_free(&lr);
	close(fd);
	return r;
}

int
bg_root_call(const char *verb, const cJSON *req, int timeout_ms, cJSON **result,
    struct bg_err *err)
{
	char sock[4096];
	int r = bg_path_root_socket(sock, sizeof(sock));

	if (r < 0) {
		bg_err_set(err, "internal", "bad root socket path: %s",
		    strerror(-r));
		return r;
	}
	return bg_call(sock, verb, req, timeout_ms, NULL, NULL, result, err);
}

/* One root request with a name and/or an index (the root verbs' fields). */
int
bg_root(const char *verb, const char *name, int index, cJSON **result,
    struct bg_err *err)
{
	cJSON *req = cJSON_CreateObject(), *res = NULL;
	int r;

	if (result != NULL)
		*result = NULL;
	if (req == NULL || cJSON_AddNumberToObject(req, "v", 1) == NULL ||
	    (name != NULL &&
		cJSON_AddStringToObject(req, "name", name) == NULL) ||
	    (index > 0 &&
		cJSON_AddNumberToObject(req, "index", index) == NULL)) {
		cJSON_Delete(req);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = bg_root_call(verb, req, 60000, &res, err);
	cJSON_Delete(req);
	if (r == 0 && result != NULL)
		*result = res;
	else
		cJSON_Delete(res);
	return r;
}
