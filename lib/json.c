/*
 * json.c — state files are JSON objects, read with a size cap and
 * written atomically.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"

int
bg_json_read_file(int dirfd, const char *path, size_t cap, cJSON **out)
{
	char *buf;
	size_t len;
	cJSON *j;
	int r = bg_read_file(dirfd, path, cap, &buf, &len);

	if (r < 0)
		return r;
	/* cJSON's length counts the terminating NUL; a NUL inside is junk. */
	j = memchr(buf, '\0', len) ?
	    NULL :
	    cJSON_ParseWithLengthOpts(buf, len + 1, NULL, 1);
	free(buf);
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -EBADMSG;
	}
	*out = j;
	return 0;
}

int
bg_json_write_file(int dirfd, const char *name, const cJSON *obj, mode_t mode)
{
	char *s = cJSON_PrintUnformatted(obj);
	size_t len;
	int r;

	if (s == NULL)
		return -ENOMEM;
	len = strlen(s);
	s[len] = '\0';
	/* One line, newline-terminated, like every other banger JSON. */
	char *line = malloc(len + 2);
	if (line == NULL) {
		free(s);
		return -ENOMEM;
	}
	memcpy(line, s, len);
	line[len] = '\n';
	free(s);
	r = bg_atomic_write(dirfd, name, line, len + 1, mode);
	free(line);
	return r;
}
