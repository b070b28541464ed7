/*
 * toml.c — a small TOML 1.0 parser for banger's config files.
 *
 * It reads comments, bare, quoted and dotted keys, [table] and
 * [[array.of.tables]] headers, basic and literal strings (one-line and
 * multi-line), integers (decimal, 0x, 0o, 0b, with '_' between digits),
 * booleans, arrays and inline tables.  Floats, dates and times are
 * refused with a message that says so: nothing in banger's config needs
 * them.
 *
 * An inline table, { k = v, k2 = v2 }, gives the same BG_TOML_TABLE node
 * (children in order, key, position) as a [table] section or an
 * [[array]] element, so a reader of the tree cannot tell them apart.  As
 * TOML 1.0 says, it is on one line (only a value inside it, such as an
 * array or a multi-line string, may span lines), has no trailing comma,
 * and is complete once closed: no header, sub-table or dotted key may add
 * to it later.  Arrays nest at most ARRAY_DEPTH_MAX deep, and arrays and
 * inline tables together at most NEST_DEPTH_MAX deep, which bounds the
 * recursion of the parser.
 *
 * The text is checked first as a whole: valid UTF-8, no NUL, no control
 * character but tab and newline, CR only in CRLF.  The parser proper can
 * then take every byte for what it looks like.  A UTF-8 byte order mark
 * at the very start is skipped (columns on line 1 count from after it).
 *
 * Every error fills err with code "bad_config" and the message
 * "FILE:LINE:COL: what", LINE and COL 1-based, COL counted in bytes from
 * the start of the line, pointing at the offending character (for an
 * unterminated string, array or inline table: its opening quote, '[' or
 * '{'; for a key defined twice: the second definition).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"

#define TOML_FILE_MAX (1 << 20)
#define KEY_PARTS_MAX 32
#define ARRAY_DEPTH_MAX 32
#define NEST_DEPTH_MAX 64
#define TABLE_KEYS_MAX 1024

/* bg_toml.flags */
enum {
	F_DEFINED = 1, /* table: opened by its [header], or an [[element]] */
	F_IMPLICIT = 2, /* table: created on the way to a deeper [a.b] header */
	F_DOTTED = 4, /* table: created by a dotted key a.b = v */
	F_AOT = 8, /* array: of tables, made by [[headers]] */
	F_INLINE = 16, /* table: an inline table { ... }, complete */
};

#define INLINE_FIXED \
	"table '%s' was defined inline (line %d) and cannot be extended; " \
	"put all its keys inside its braces"

struct parser {
	const char *p, *end; /* cursor and end of the text */
	const char *bol; /* beginning of the current line */
	int line;
	const char *file;
	struct bg_err *err;
	int depth; /* arrays and inline tables open around the cursor */
	int arrays; /* arrays alone */
};

struct key {
	char *part[KEY_PARTS_MAX];
	int line[KEY_PARTS_MAX], col[KEY_PARTS_MAX];
	int n;
};

struct buf {
	char *s;
	size_t len, cap;
};

#define COL(P, at) ((int)((at) - (P)->bol) + 1)
#define HERE(P) (P)->line, COL(P, (P)->p)

__attribute__((format(printf, 4, 5))) static int
perr(struct parser *P, int line, int col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bg_err_set(P->err, "bad_config", "%s:%d:%d: %s", P->file, line, col,
	    msg);
	return -EINVAL;
}

static int
nomem(struct parser *P)
{
	bg_err_set(P->err, "temporary", "%s: out of memory", P->file);
	return -ENOMEM;
}

/* For messages: 'x' for printable ASCII, words or U+XXXX otherwise. */
static const char *
desc(struct parser *P, const char *at, char *buf, size_t n)
{
	uint32_t cp;

	if (at >= P->end)
		return "end of file";
	if (*at == '\n' || *at == '\r')
		return "end of line";
	if (bg_utf8_decode(at, P->end, &cp) == 0)
		cp = (unsigned char)*at;
	if (cp >= 0x20 && cp < 0x7f)
		snprintf(buf, n, "'%c'", (char)cp);
	else
		snprintf(buf, n, "U+%04X", (unsigned)cp);
	return buf;
}

const char *
bg_toml_printable(const char *s, char *buf, size_t n)
{
	const char *end;
	size_t o = 0;
	uint32_t cp;
	int l;

	if (n == 0)
		return buf;
	for (end = s + strlen(s); *s != '\0'; s += l) {
		l = bg_utf8_decode(s, end, &cp);
		if (l == 0) {
			l = 1;
			cp = '?';
		}
		if (o + (size_t)l + 4 > n) {
			if (o + 4 <= n) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (bg_is_control(cp) || cp == '?')
			buf[o++] = '?'; /* also each undecodable byte */
		else {
			memcpy(buf + o, s, (size_t)l);
			o += (size_t)l;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* The whole text: UTF-8, no NUL, no controls but tab and newline, CRLF. */
static int
check_text(struct parser *P)
{
	const char *p, *start = P->p;
	uint32_t cp;
	int n;

	for (p = P->p; p < P->end; p += n) {
		n = 1;
		if (*p == '\n') {
			P->line++;
			P->bol = p + 1;
			continue;
		}
		if (*p == '\r') {
			if (p + 1 < P->end && p[1] == '\n')
				continue;
			return perr(P, P->line, COL(P, p),
			    "carriage return without a line feed");
		}
		if (*p == '\0')
			return perr(P, P->line, COL(P, p),
			    "NUL byte in the file");
		if ((n = bg_utf8_decode(p, P->end, &cp)) == 0)
			return perr(P, P->line, COL(P, p), "invalid UTF-8");
		if (cp != '\t' && cp < 0x80 && bg_is_control(cp))
			return perr(P, P->line, COL(P, p),
			    "control character U+%04X is not allowed",
			    (unsigned)cp);
	}
	P->p = P->bol = start;
	P->line = 1;
	return 0;
}

static int
ch(struct parser *P, size_t i)
{
	return P->p + i < P->end ? (unsigned char)P->p[i] : -1;
}

static bool
at_eol(struct parser *P)
{
	return P->p >= P->end || *P->p == '\n' || *P->p == '\r';
}

static void
skip_ws(struct parser *P)
{
	while (P->p < P->end && (*P->p == ' ' || *P->p == '\t'))
		P->p++;
}

/* Past one newline (LF or CRLF), if the cursor is on one. */
static void
eat_nl(struct parser *P)
{
	if (ch(P, 0) == '\r')
		P->p++;
	if (ch(P, 0) == '\n') {
		P->p++;
		P->line++;
		P->bol = P->p;
	}
}

static void
skip_comment(struct parser *P)
{
	if (ch(P, 0) == '#')
		while (!at_eol(P))
			P->p++;
}

/* Whitespace, comments and newlines, as allowed inside arrays. */
static void
skip_blank(struct parser *P)
{
	for (;;) {
		skip_ws(P);
		skip_comment(P);
		if (P->p >= P->end || !at_eol(P))
			return;
		eat_nl(P);
	}
}

/* After a key/value pair or a header: nothing but a comment. */
static int
end_line(struct parser *P, const char *what)
{
	char d[16];

	skip_ws(P);
	skip_comment(P);
	if (!at_eol(P))
		return perr(P, HERE(P),
		    "unexpected %s after %s; expected the end of the line",
		    desc(P, P->p, d, sizeof(d)), what);
	eat_nl(P);
	return 0;
}

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL)
			return -ENOMEM;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* The string built so far, never NULL (an empty string is ""). */
static int
buf_steal(struct buf *b, char **out)
{
	if (b->s == NULL && buf_add(b, "", 0) < 0)
		return -ENOMEM;
	*out = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One backslash escape of a basic string; the cursor is on the '\'. */
static int
parse_escape(struct parser *P, struct buf *b, bool multi)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *bs = P->p, *q;
	int c = ch(P, 1), n, i, line = P->line;
	uint32_t cp = 0;
	char u[4], d[16];

	if (c > 0 && (q = strchr(from, c)) != NULL) {
		P->p += 2;
		if (buf_add(b, &to[q - from], 1) < 0)
			return nomem(P);
		return 0;
	}
	if (c == 'u' || c == 'U') {
		n = c == 'u' ? 4 : 8;
		for (i = 0; i < n; i++) {
			if (hexval(ch(P, (size_t)(2 + i))) < 0)
				return perr(P, HERE(P),
				    "\\%c must be followed by %d "
				    "hexadecimal digits",
				    c, n);
			cp = cp << 4 | (uint32_t)hexval(ch(P, (size_t)(2 + i)));
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return perr(P, HERE(P),
			    "\\%c%.*s is not a valid unicode scalar value", c,
			    n, bs + 2);
		if (cp == 0)
			return perr(P, HERE(P),
			    "NUL (\\%c%.*s) is not allowed in strings", c, n,
			    bs + 2);
		if (cp < 0x80)
			u[0] = (char)cp, n = 1;
		else if (cp < 0x800)
			u[0] = (char)(0xc0 | cp >> 6), n = 2;
		else if (cp < 0x10000)
			u[0] = (char)(0xe0 | cp >> 12), n = 3;
		else
			u[0] = (char)(0xf0 | cp >> 18), n = 4;
		for (i = 1; i < n; i++)
			u[i] =
			    (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
		P->p += c == 'u' ? 6 : 10;
		return buf_add(b, u, (size_t)n) < 0 ? nomem(P) : 0;
	}
	if (multi) {
		/* Line-ending backslash: drop it and all blank space after. */
		for (q = bs + 1; q < P->end && (*q == ' ' || *q == '\t'); q++)
			;
		if (q < P->end && (*q == '\n' || *q == '\r')) {
			P->p = q;
			while (P->p < P->end &&
			    (at_eol(P) || *P->p == ' ' || *P->p == '\t')) {
				if (at_eol(P))
					eat_nl(P);
				else
					P->p++;
			}
			return 0;
		}
	}
	if (c > 0x20 && c < 0x7f)
		return perr(P, line, COL(P, bs),
		    "invalid escape sequence '\\%c'", c);
	return perr(P, line, COL(P, bs),
	    "invalid escape sequence: backslash followed by %s",
	    desc(P, bs + 1, d, sizeof(d)));
}

/*
 * A string of any of the four kinds; the cursor is on its first quote.
 * Keys may not be multi-line strings.
 */
static int
parse_string(struct parser *P, char **out, bool is_key)
{
	struct buf b = { 0 };
	char q = *P->p;
	bool multi = ch(P, 1) == q && ch(P, 2) == q;
	int line = P->line, col = COL(P, P->p), c, n, r;

	if (multi && is_key)
		return perr(P, line, col,
		    "a key cannot be a multi-line string");
	P->p += multi ? 3 : 1;
	if (multi && P->p < P->end && at_eol(P))
		eat_nl(P); /* a newline right after the opening quotes */
	for (;;) {
		c = ch(P, 0);
		if (c < 0 || (!multi && (c == '\n' || c == '\r'))) {
			free(b.s);
			return perr(P, line, col,
			    "unterminated string (no closing %s)",
			    q == '"' ? (multi ? "\"\"\"" : "\"") :
				       (multi ? "'''" : "'"));
		}
		if (c == q) {
			for (n = 1; ch(P, (size_t)n) == q; n++)
				;
			if (!multi) {
				P->p++;
				break;
			}
			if (n > 5) {
				free(b.s);
				return perr(P, HERE(P),
				    "too many quotes in a row in a string");
			}
			r = n >= 3 ? buf_add(&b, P->p, (size_t)n - 3) :
				     buf_add(&b, P->p, (size_t)n);
			P->p += n;
			if (r < 0) {
				free(b.s);
				return nomem(P);
			}
			if (n >= 3)
				break;
			continue;
		}
		if (c == '\\' && q == '"')
			r = parse_escape(P, &b, multi);
		else if (c == '\n' || c == '\r') {
			eat_nl(P); /* CRLF becomes LF */
			r = buf_add(&b, "\n", 1) < 0 ? nomem(P) : 0;
		} else {
			r = buf_add(&b, P->p, 1) < 0 ? nomem(P) : 0;
			P->p++;
		}
		if (r < 0) {
			free(b.s);
			return r;
		}
	}
	if (buf_steal(&b, out) < 0)
		return nomem(P);
	return 0;
}

static bool
is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static void
key_free(struct key *k)
{
	int i;

	for (i = 0; i < k->n; i++)
		free(k->part[i]);
	k->n = 0;
}

/* key = simple-key *( ws "." ws simple-key ) */
static int
parse_key(struct parser *P, struct key *k)
{
	const char *s;
	char d[16];
	int r;

	k->n = 0;
	for (;;) {
		skip_ws(P);
		if (k->n == KEY_PARTS_MAX)
			return perr(P, HERE(P), "key has more than %d parts",
			    KEY_PARTS_MAX);
		k->line[k->n] = P->line;
		k->col[k->n] = COL(P, P->p);
		if (ch(P, 0) == '"' || ch(P, 0) == '\'') {
			if ((r = parse_string(P, &k->part[k->n], true)) < 0)
				return r;
		} else {
			for (s = P->p; P->p < P->end && is_bare(*P->p); P->p++)
				;
			if (s == P->p)
				return perr(P, HERE(P),
				    "expected a key, found %s",
				    desc(P, P->p, d, sizeof(d)));
			if ((k->part[k->n] = strndup(s, (size_t)(P->p - s))) ==
			    NULL)
				return nomem(P);
		}
		k->n++;
		skip_ws(P);
		if (ch(P, 0) != '.')
			return 0;
		P->p++;
	}
}

/* The key's first upto + 1 parts joined with '.', for messages. */
static const char *
key_name(const struct key *k, int upto, char *buf, size_t n)
{
	char part[128];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i <= upto && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? "." : "",
		    bg_toml_printable(k->part[i], part, sizeof(part)));
	return buf;
}

static struct bg_toml *
find(struct bg_toml *t, const char *key)
{
	struct bg_toml *c;

	for (c = t->child; c != NULL; c = c->next)
		if (c->key != NULL && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

/*
 * A new last child of parent.  It takes key (freed on failure); a table
 * holds at most TABLE_KEYS_MAX keys (lookups are linear).
 */
static int
add_node(struct parser *P, struct bg_toml *parent, enum bg_toml_type type,
    char *key, int line, int col, struct bg_toml **out)
{
	struct bg_toml *n;

	if (parent->type == BG_TOML_TABLE && parent->n >= TABLE_KEYS_MAX) {
		free(key);
		return perr(P, line, col, "more than %d keys in one table",
		    TABLE_KEYS_MAX);
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		free(key);
		return nomem(P);
	}
	n->type = type;
	n->key = key;
	n->line = line;
	n->col = col;
	if (parent->last != NULL)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	parent->n++;
	*out = n;
	return 0;
}

/* Add part i of k under t, at the position of that part. */
static int
add_part(struct parser *P, struct bg_toml *t, enum bg_toml_type type,
    struct key *k, int i, int flags, struct bg_toml **out)
{
	char *key;
	int r;

	if ((key = strdup(k->part[i])) == NULL)
		return nomem(P);
	r = add_node(P, t, type, key, k->line[i], k->col[i], out);
	if (r == 0)
		(*out)->flags = flags;
	return r;
}

/*
 * An integer token [s, e): sign, 0x/0o/0b prefixes, '_' between digits,
 * no leading zeros, within long long.
 */
static int
parse_int(struct parser *P, const char *s, const char *e, long long *out)
{
	const char *d = s, *p;
	unsigned long long v = 0, lim;
	int base = 10, dv;
	bool neg = false;
	char c[16];

	if (*d == '+' || *d == '-')
		neg = *d++ == '-';
	if (e - d >= 2 && d[0] == '0' && strchr("xob", d[1]) != NULL) {
		if (d != s)
			return perr(P, P->line, COL(P, s),
			    "a sign is not allowed on hexadecimal, "
			    "octal or binary integers");
		base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
		d += 2;
	} else if (e - d >= 2 && d[0] == '0')
		return perr(P, P->line, COL(P, s),
		    "leading zeros are not allowed in integers");
	if (d == e)
		return perr(P, P->line, COL(P, s), "invalid integer '%.*s'",
		    (int)(e - s), s);
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (p = d; p < e; p++) {
		if (*p == '_') {
			if (p == d || p + 1 == e || p[1] == '_')
				return perr(P, P->line, COL(P, p),
				    "'_' in an integer must be between digits");
			continue;
		}
		dv = hexval(*p);
		if (dv < 0 || dv >= base)
			return perr(P, P->line, COL(P, p),
			    "unexpected %s in an integer",
			    desc(P, p, c, sizeof(c)));
		if (v > (lim - (unsigned)dv) / (unsigned)base)
			return perr(P, P->line, COL(P, s),
			    "integer '%.*s' is out of range", (int)(e - s), s);
		v = v * (unsigned)base + (unsigned)dv;
	}
	if (!neg)
		*out = (long long)v;
	else
		*out = v > LLONG_MAX ? LLONG_MIN : -(long long)v;
	return 0;
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A number-like token: an integer, or a float or date we refuse. */
static int
parse_number(struct parser *P, struct bg_toml *v)
{
	const char *s = P->p, *e = s, *d;
	bool prefixed;
	int r;

	while (
	    e < P->end && (is_bare(*e) || *e == '+' || *e == '.' || *e == ':'))
		e++;
	d = s + (*s == '+' || *s == '-');
	prefixed = e - d >= 2 && d[0] == '0' && strchr("xob", d[1]) != NULL;
	if ((e - s >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
		is_digit(s[3]) && s[4] == '-') ||
	    (e - s >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':'))
		return perr(P, HERE(P),
		    "dates and times are not supported in banger's config");
	if ((e - d == 3 &&
		(strncmp(d, "inf", 3) == 0 || strncmp(d, "nan", 3) == 0)) ||
	    (!prefixed &&
		(memchr(s, '.', (size_t)(e - s)) ||
		    memchr(s, 'e', (size_t)(e - s)) ||
		    memchr(s, 'E', (size_t)(e - s)))))
		return perr(P, HERE(P),
		    "floats are not supported in banger's config; use "
		    "an integer");
	if ((r = parse_int(P, s, e, &v->i)) < 0)
		return r;
	v->type = BG_TOML_INT;
	P->p = e;
	return 0;
}

static int parse_value(struct parser *, struct bg_toml *);
static int parse_keyval(struct parser *, struct bg_toml *);

/* Entering an array or inline table at (line, col): within the limits? */
static int
nest(struct parser *P, bool array, int line, int col)
{
	if (array && P->arrays >= ARRAY_DEPTH_MAX)
		return perr(P, line, col, "arrays nested more than %d deep",
		    ARRAY_DEPTH_MAX);
	if (P->depth >= NEST_DEPTH_MAX)
		return perr(P, line, col,
		    "arrays and inline tables nested more than %d "
		    "deep; use [table] sections for the outer levels",
		    NEST_DEPTH_MAX);
	P->depth++;
	P->arrays += array;
	return 0;
}

static int
parse_array(struct parser *P, struct bg_toml *a)
{
	struct bg_toml *v;
	int line = P->line, col = COL(P, P->p), r;
	char d[16];

	a->type = BG_TOML_ARRAY;
	if ((r = nest(P, true, line, col)) < 0)
		return r;
	P->p++;
	for (;;) {
		skip_blank(P);
		if (ch(P, 0) == ']')
			break;
		if (ch(P, 0) < 0)
			return perr(P, line, col,
			    "unterminated array (no closing ']')");
		if ((r = add_node(P, a, BG_TOML_STRING, NULL, HERE(P), &v)) < 0)
			return r;
		if ((r = parse_value(P, v)) < 0)
			return r;
		skip_blank(P);
		if (ch(P, 0) == ',') {
			P->p++;
			continue;
		}
		if (ch(P, 0) == ']')
			break;
		if (ch(P, 0) < 0)
			return perr(P, line, col,
			    "unterminated array (no closing ']')");
		return perr(P, HERE(P),
		    "expected ',' or ']' in an array, found %s",
		    desc(P, P->p, d, sizeof(d)));
	}
	P->p++;
	P->depth--;
	P->arrays--;
	return 0;
}

/*
 * Where a key, ',' or '}' of the inline table opened at (line, col) must
 * come: not the end of the file, of the line, or a comment.
 */
static int
inline_gap(struct parser *P, int line, int col)
{
	if (ch(P, 0) < 0)
		return perr(P, line, col,
		    "unterminated inline table (no closing '}')");
	if (at_eol(P))
		return perr(P, HERE(P),
		    "end of line inside an inline table; an inline "
		    "table must be on one line (close it with '}' "
		    "before the line ends, or use a [table] section)");
	if (ch(P, 0) == '#')
		return perr(P, HERE(P),
		    "comment inside an inline table; an inline table "
		    "must be on one line (close it with '}' before "
		    "the comment)");
	return 0;
}

/*
 * { k = v, ... }; the cursor is on the '{'.  The table is marked
 * F_INLINE, so that nothing outside the braces can add to it later.
 */
static int
parse_inline(struct parser *P, struct bg_toml *t)
{
	const char *comma;
	int line = P->line, col = COL(P, P->p), r;
	char d[16];

	t->type = BG_TOML_TABLE;
	t->flags = F_DEFINED | F_INLINE;
	if ((r = nest(P, false, line, col)) < 0)
		return r;
	P->p++;
	skip_ws(P);
	while (ch(P, 0) != '}') {
		if ((r = inline_gap(P, line, col)) < 0 ||
		    (r = parse_keyval(P, t)) < 0)
			return r;
		skip_ws(P);
		if ((r = inline_gap(P, line, col)) < 0)
			return r;
		if (ch(P, 0) == '}')
			break;
		if (ch(P, 0) != ',')
			return perr(P, HERE(P),
			    "expected ',' or '}' in an inline table, found %s",
			    desc(P, P->p, d, sizeof(d)));
		comma = P->p++;
		skip_ws(P);
		if (ch(P, 0) == '}')
			return perr(P, P->line, COL(P, comma),
			    "trailing comma in an inline table; remove "
			    "it (only arrays may end with a comma)");
	}
	P->p++;
	P->depth--;
	return 0;
}

static int
parse_value(struct parser *P, struct bg_toml *v)
{
	int c = ch(P, 0);
	char d[16];

	if (c == '"' || c == '\'') {
		v->type = BG_TOML_STRING;
		return parse_string(P, &v->s, false);
	}
	if (c == '[')
		return parse_array(P, v);
	if (c == '{')
		return parse_inline(P, v);
	if (P->end - P->p >= 4 && strncmp(P->p, "true", 4) == 0) {
		v->type = BG_TOML_BOOL;
		v->b = true;
		P->p += 4;
		return 0;
	}
	if (P->end - P->p >= 5 && strncmp(P->p, "false", 5) == 0) {
		v->type = BG_TOML_BOOL;
		P->p += 5;
		return 0;
	}
	if (is_digit(c) || c == '+' || c == '-' ||
	    (P->end - P->p >= 3 &&
		(strncmp(P->p, "inf", 3) == 0 || strncmp(P->p, "nan", 3) == 0)))
		return parse_number(P, v);
	if (at_eol(P) || c == '#')
		return perr(P, HERE(P), "missing value after '='");
	return perr(P, HERE(P),
	    "expected a value (string, integer, boolean, array or "
	    "inline table), found %s%s",
	    desc(P, P->p, d, sizeof(d)),
	    is_bare(c) ? " (strings must be quoted)" : "");
}

/* [a.b.c] or [[a.b.c]]: the table that following keys go into. */
static int
parse_header(struct parser *P, struct bg_toml *root, struct bg_toml **cur)
{
	struct key k = { .n = 0 };
	struct bg_toml *t = root, *n;
	const char *at;
	int line = P->line, col = COL(P, P->p), i, r;
	bool aot = ch(P, 1) == '[';
	char name[256], d[16];

	P->p += aot ? 2 : 1;
	if ((r = parse_key(P, &k)) < 0)
		goto out;
	skip_ws(P);
	if (ch(P, 0) != ']' || (aot && ch(P, 1) != ']')) {
		at = P->p + (aot && ch(P, 0) == ']');
		r = perr(P, P->line, COL(P, at),
		    "expected '%s' to end the table header, found %s",
		    aot ? "]]" : "]", desc(P, at, d, sizeof(d)));
		goto out;
	}
	P->p += aot ? 2 : 1;
	for (i = 0; i < k.n; i++) {
		key_name(&k, i, name, sizeof(name));
		n = find(t, k.part[i]);
		if (n == NULL && i < k.n - 1)
			r = add_part(P, t, BG_TOML_TABLE, &k, i, F_IMPLICIT,
			    &n);
		else if (n == NULL && aot)
			r = add_part(P, t, BG_TOML_ARRAY, &k, i, F_AOT, &n);
		else if (n == NULL)
			r = add_part(P, t, BG_TOML_TABLE, &k, i, F_DEFINED, &n);
		else if (n->type == BG_TOML_ARRAY && (n->flags & F_AOT)) {
			if (i < k.n - 1) {
				t = n->last;
				continue;
			}
			if (!aot)
				r = perr(P, k.line[i], k.col[i],
				    "table [%s] is already defined as an "
				    "array of tables (line %d)",
				    name, n->line);
		} else if (n->type != BG_TOML_TABLE)
			r = perr(P, k.line[i], k.col[i],
			    "key '%s' is already defined as a value (line %d)",
			    name, n->line);
		else if (n->flags & F_INLINE)
			r = perr(P, k.line[i], k.col[i], INLINE_FIXED, name,
			    n->line);
		else if (i < k.n - 1)
			;
		else if (aot)
			r = perr(P, k.line[i], k.col[i],
			    "key '%s' is already defined as a table (line %d)",
			    name, n->line);
		else if (n->flags & F_DOTTED)
			r = perr(P, k.line[i], k.col[i],
			    "table [%s] is already defined by dotted keys "
			    "(line %d)",
			    name, n->line);
		else if (n->flags & F_DEFINED)
			r = perr(P, k.line[i], k.col[i],
			    "table [%s] is defined twice (first at line %d)",
			    name, n->line);
		else
			n->flags = F_DEFINED;
		if (r < 0)
			goto out;
		if (i == k.n - 1 && aot && n->n == 0) {
			n->line = line; /* a new array of tables */
			n->col = col;
		}
		t = n;
	}
	if (aot)
		r = add_node(P, t, BG_TOML_TABLE, NULL, line, col, &t);
	if (r == 0) {
		t->line = line;
		t->col = col;
		t->flags = F_DEFINED;
		*cur = t;
	}
out:
	key_free(&k);
	return r;
}

/* key = value, into the current table (or the inline table being read). */
static int
parse_keyval(struct parser *P, struct bg_toml *cur)
{
	struct key k = { .n = 0 };
	struct bg_toml *t = cur, *n;
	char name[256], d[16];
	int i, r;

	if ((r = parse_key(P, &k)) < 0)
		goto out;
	skip_ws(P);
	if (ch(P, 0) != '=') {
		r = at_eol(P) ?
		    perr(P, HERE(P), "expected '=' after the key") :
		    perr(P, HERE(P), "expected '=' after the key, found %s",
			desc(P, P->p, d, sizeof(d)));
		goto out;
	}
	P->p++;
	skip_ws(P);
	for (i = 0; i < k.n; i++) {
		key_name(&k, i, name, sizeof(name));
		n = find(t, k.part[i]);
		if (n == NULL && i < k.n - 1)
			r = add_part(P, t, BG_TOML_TABLE, &k, i, F_DOTTED, &n);
		else if (n == NULL)
			r = add_part(P, t, BG_TOML_STRING, &k, i, 0, &n);
		else if (i == k.n - 1 && n->type == BG_TOML_TABLE)
			r = perr(P, k.line[i], k.col[i],
			    "key '%s' is already defined as a table (line %d)",
			    name, n->line);
		else if (i == k.n - 1)
			r = perr(P, k.line[i], k.col[i],
			    "duplicate key '%s' (first defined at line %d)",
			    name, n->line);
		else if (n->type != BG_TOML_TABLE)
			r = perr(P, k.line[i], k.col[i],
			    "key '%s' is already defined (line %d) and is "
			    "not a table",
			    name, n->line);
		else if (n->flags & F_INLINE)
			r = perr(P, k.line[i], k.col[i], INLINE_FIXED, name,
			    n->line);
		else if (!(n->flags & F_DOTTED))
			r = perr(P, k.line[i], k.col[i],
			    "table '%s' (line %d) cannot be extended with "
			    "dotted keys here",
			    name, n->line);
		if (r < 0)
			goto out;
		t = n;
	}
	r = parse_value(P, t);
out:
	key_free(&k);
	return r;
}

int
bg_toml_parse(const char *text, size_t len, const char *filename,
    struct bg_toml **out, struct bg_err *err)
{
	struct parser P = { .p = text,
		.end = text + len,
		.bol = text,
		.line = 1,
		.file = filename ? filename : "-",
		.err = err };
	struct bg_toml *root, *cur;
	const char *what;
	int r = 0;

	if ((root = calloc(1, sizeof(*root))) == NULL)
		return nomem(&P);
	root->type = BG_TOML_TABLE;
	root->line = root->col = 1;
	root->flags = F_DEFINED;
	cur = root;
	if ((r = check_text(&P)) < 0)
		goto fail;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		P.p = P.bol = text + 3; /* a UTF-8 byte order mark */
	while (P.p < P.end) {
		skip_ws(&P);
		what = "the value";
		if (ch(&P, 0) == '[') {
			r = parse_header(&P, root, &cur);
			what = "the table header";
		} else if (ch(&P, 0) != '#' && !at_eol(&P))
			r = parse_keyval(&P, cur);
		if (r < 0 || (r = end_line(&P, what)) < 0)
			goto fail;
	}
	*out = root;
	return 0;
fail:
	bg_toml_free(root);
	return r;
}

int
bg_toml_parse_file(const char *path, struct bg_toml **out, struct bg_err *err)
{
	char *text;
	size_t len;
	int r;

	r = bg_read_file(AT_FDCWD, path, TOML_FILE_MAX, &text, &len);
	if (r == -EFBIG)
		bg_err_set(err, "bad_config", "%s: file is larger than 1 MiB",
		    path);
	else if (r == -ENOENT)
		bg_err_set(err, "not_found", "%s: no such file", path);
	else if (r < 0)
		bg_err_set(err, "io", "%s: cannot read: %s", path,
		    strerror(-r));
	if (r < 0)
		return r;
	r = bg_toml_parse(text, len, path, out, err);
	free(text);
	return r;
}

void
bg_toml_free(struct bg_toml *t)
{
	struct bg_toml *c, *next;

	if (t == NULL)
		return;
	for (c = t->child; c != NULL; c = next) {
		next = c->next;
		bg_toml_free(c);
	}
	free(t->key);
	free(t->s);
	free(t);
}

const struct bg_toml *
bg_toml_get(const struct bg_toml *table, const char *key)
{
	const struct bg_toml *c;

	if (table == NULL || table->type != BG_TOML_TABLE || key == NULL)
		return NULL;
	for (c = table->child; c != NULL; c = c->next)
		if (c->key != NULL && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}
