/*
 * proto-answer.c — the answer's JSON lines: events, then exactly one
 * final {"ok":true,"result":...}.  (The error line is proto-fail.c.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "banger.h"

static int
write_json_line(int fd, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	size_t len;
	int r;

	cJSON_Delete(obj);
	if (s == NULL)
		return -ENOMEM;
	len = strlen(s);
	/*
	 * cJSON copies a string's bytes as they are: a name read from disk
	 * or a VM's console may not be UTF-8, an answer always is
	 * (docs/protocol.md).  Each byte that is not becomes '?', which
	 * cannot change the JSON: every byte of its syntax is ASCII.
	 */
	bg_utf8_scrub(s, len);
	/* PrintUnformatted allocated len+1; reuse the NUL for the newline. */
	s[len] = '\n';
	r = bg_write_all(fd, s, len + 1);
	free(s);
	return r;
}

int
bg_proto_event(int fd, const char *event, cJSON *fields)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *f;

	if (o == NULL) {
		cJSON_Delete(fields);
		return -ENOMEM;
	}
	cJSON_AddStringToObject(o, "event", event);
	if (fields != NULL) {
		while ((f = fields->child) != NULL) {
			cJSON_DetachItemViaPointer(fields, f);
			/* "event" is ours: a field may not add a second one. */
			if (strcmp(f->string, "event") == 0)
				cJSON_Delete(f);
			else
				cJSON_AddItemToObject(o, f->string, f);
		}
		cJSON_Delete(fields);
	}
	return write_json_line(fd, o);
}

int
bg_proto_log(int fd, const char *fmt, ...)
{
	char msg[1024];
	cJSON *f = cJSON_CreateObject();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(f, "message", msg);
	return bg_proto_event(fd, "log", f);
}

int
bg_proto_progress(int fd, const char *what, uint64_t done, uint64_t total)
{
	cJSON *f = cJSON_CreateObject();

	if (f == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(f, "what", what);
	cJSON_AddNumberToObject(f, "done", (double)done);
	cJSON_AddNumberToObject(f, "total", (double)total);
	return bg_proto_event(fd, "progress", f);
}

int
bg_proto_ok(int fd, cJSON *result)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL) {
		cJSON_Delete(result);
		return -ENOMEM;
	}
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddItemToObject(o, "result",
	    result != NULL ? result : cJSON_CreateObject());
	return write_json_line(fd, o);
}
