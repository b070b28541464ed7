/*
 * linereader.c — the client side: answer lines with a cap and a deadline.
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

void
bg_linereader_init(struct bg_linereader *lr, int fd)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
}

int
bg_linereader_next(struct bg_linereader *lr, char **line, int64_t deadline_ms)
{
	for (;;) {
		char *start = lr->buf + lr->off;
		char *nl = lr->len > lr->off ?
		    memchr(start, '\n', lr->len - lr->off) :
		    NULL;

		if (nl != NULL) {
			*nl = '\0';
			*line = start;
			lr->off = (size_t)(nl - lr->buf) + 1;
			return 1;
		}
		/* Compact, then grow within the cap. */
		if (lr->off > 0) {
			memmove(lr->buf, start, lr->len - lr->off);
			lr->len -= lr->off;
			lr->off = 0;
		}
		if (lr->len + 1 >= lr->cap) {
			size_t ncap = lr->cap ? lr->cap * 2 : 4096;
			char *nb;

			if (ncap > BG_ANSWER_LINE_MAX + 2)
				ncap = BG_ANSWER_LINE_MAX + 2;
			if (lr->len + 1 >= ncap)
				return -EMSGSIZE;
			nb = realloc(lr->buf, ncap);
			if (nb == NULL)
				return -ENOMEM;
			lr->buf = nb;
			lr->cap = ncap;
		}
		ssize_t r = bg_read_deadline(lr->fd, lr->buf + lr->len,
		    lr->cap - 1 - lr->len, deadline_ms);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return lr->len == 0 ? 0 : -EPROTO;
		lr->len += (size_t)r;
	}
}

void
bg_linereader_free(struct bg_linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->len = lr->off = lr->cap = 0;
}
