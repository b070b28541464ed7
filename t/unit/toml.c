/*
 * Unit tests: the TOML parser.  Valid documents are checked through a
 * canonical dump of the parsed tree; every error class is checked with
 * its exact "FILE:LINE:COL: message", so a wrong position fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

struct out {
	char s[8192];
	size_t len;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n < sizeof(o->s)) {
		memcpy(o->s + o->len, s, n);
		o->len += n;
		o->s[o->len] = '\0';
	}
}

static void
puts_esc(struct out *o, const char *s)
{
	char x[8];

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			put(o, "\\", 1);
			put(o, s, 1);
		} else if ((unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f) {
			snprintf(x, sizeof(x), "\\x%02x", (unsigned char)*s);
			put(o, x, strlen(x));
		} else
			put(o, s, 1);
	}
}

/* {k=v,...} [v,...] "s" 12 true; with pos, keys get @LINE:COL. */
static void
dump(struct out *o, const struct bg_toml *t, bool pos)
{
	const struct bg_toml *c;
	char x[64];

	switch (t->type) {
	case BG_TOML_TABLE:
	case BG_TOML_ARRAY:
		put(o, t->type == BG_TOML_TABLE ? "{" : "[", 1);
		for (c = t->child; c != NULL; c = c->next) {
			if (c != t->child)
				put(o, ",", 1);
			if (c->key != NULL) {
				puts_esc(o, c->key);
				if (pos) {
					snprintf(x, sizeof(x), "@%d:%d",
					    c->line, c->col);
					put(o, x, strlen(x));
				}
				put(o, "=", 1);
			} else if (pos && c->type == BG_TOML_TABLE) {
				snprintf(x, sizeof(x), "@%d:%d", c->line,
				    c->col);
				put(o, x, strlen(x));
			}
			dump(o, c, pos);
		}
		put(o, t->type == BG_TOML_TABLE ? "}" : "]", 1);
		break;
	case BG_TOML_STRING:
		put(o, "\"", 1);
		puts_esc(o, t->s);
		put(o, "\"", 1);
		break;
	case BG_TOML_INT:
		snprintf(x, sizeof(x), "%lld", t->i);
		put(o, x, strlen(x));
		break;
	case BG_TOML_BOOL:
		put(o, t->b ? "true" : "false", t->b ? 4 : 5);
		break;
	}
}

/* The dump of text, or "ERROR: msg". */
static const char *
parse_dump(const char *text, size_t len, bool pos)
{
	static struct out o;
	struct bg_toml *t = NULL;
	struct bg_err err = { "", "" };
	int r;

	o.len = 0;
	o.s[0] = '\0';
	r = bg_toml_parse(text, len, "t.toml", &t, &err);
	if (r < 0) {
		snprintf(o.s, sizeof(o.s), "ERROR %d: %s", r, err.msg);
		return o.s;
	}
	dump(&o, t, pos);
	bg_toml_free(t);
	return o.s;
}

#define valid(text, want) \
	is_str(parse_dump(text, strlen(text), false), want, "valid: %s", #text)
#define valid_pos(text, want) \
	is_str(parse_dump(text, strlen(text), true), want, "positions: %s", \
	    #text)

/* Parse must fail with code bad_config, -EINVAL and exactly msg. */
static void
fails_n(const char *text, size_t len, const char *msg, const char *what)
{
	struct bg_toml *t = NULL;
	struct bg_err err = { "", "" };
	int r;

	r = bg_toml_parse(text, len, "t.toml", &t, &err);
	if (!ok(r == -EINVAL && strcmp(err.code, "bad_config") == 0 &&
		    strcmp(err.msg, msg) == 0,
		"invalid: %s", what))
		printf("#   got %d %s '%s'\n#  want '%s'\n", r, err.code,
		    err.msg, msg);
	if (r == 0)
		bg_toml_free(t);
}

#define fails(text, msg) fails_n(text, strlen(text), msg, #text)

static void
test_valid(void)
{
	valid("", "{}");
	valid("\n\n  \t\n", "{}");
	valid("# only a comment", "{}");
	valid("# c\r\n\r\n  # indented comment \t\r\n", "{}");
	valid("a = 1", "{a=1}");
	valid("a=1\nb = \"x\"\nc = true\nd = false\n",
	    "{a=1,b=\"x\",c=true,d=false}");
	valid("  a\t=\t1  # trailing comment\n", "{a=1}");
	valid("a = \"#not a comment\" # but this is", "{a=\"#not a comment\"}");
	valid("1-2_x = 1\n123 = 2\ntrue = 3\nA-b = 4\n",
	    "{1-2_x=1,123=2,true=3,A-b=4}");
	valid("\"a b\" = 1\n'c.d' = 2\n\"\" = 3\n\"\\u00e9\" = 4\n"
	      "'\"q\"' = 5\n",
	    "{a b=1,c.d=2,=3,\\xc3\\xa9=4,\\\"q\\\"=5}");
	valid("a.b.c = 1\na.b.d = 2\na.e = 3\n", "{a={b={c=1,d=2},e=3}}");
	valid("a . b = 1\n\"x\".'y'.z = 2\n", "{a={b=1},x={y={z=2}}}");
	valid("[t]\nx = 1\n[u.v]\ny = 2\n[u]\nz = 3\n",
	    "{t={x=1},u={v={y=2},z=3}}");
	valid("top = 1\n[ a . b ]\nc = 2\n[ \"q k\" ]\n",
	    "{top=1,a={b={c=2}},q k={}}");
	valid("[[f]]\nh = 1\n[[f]]\nh = 2\n[f.sub]\nq = 1\n[[f.list]]\nz = 1\n"
	      "[[f.list]]\n[[ f ]]\n",
	    "{f=[{h=1},{h=2,sub={q=1},list=[{z=1},{}]},{}]}");
	valid("[[a.b]]\nx = 1\n[a]\ny = 2\n", "{a={b=[{x=1}],y=2}}");
	valid("[[f]]\na.b = 1\n[[f]]\na.b = 2\n", "{f=[{a={b=1}},{a={b=2}}]}");
	/* Sub-tables of tables made by dotted keys may have headers. */
	valid("a.b = 1\n[a.c]\nx = 1\n", "{a={b=1,c={x=1}}}");
	valid("[f]\napple.color = 1\n[f.apple.texture]\nsmooth = true\n",
	    "{f={apple={color=1,texture={smooth=true}}}}");
	/* An implicit table may be defined later, once. */
	valid("[a.b.c]\nx = 1\n[a]\ny = 2\n[a.b]\nz = 3\n",
	    "{a={b={c={x=1},z=3},y=2}}");
	valid("[a]\n[b]\n[a.x]\n", "{a={x={}},b={}}");

	/* Strings. */
	valid("s = \"\\b\\t\\n\\f\\r\\\"\\\\\"",
	    "{s=\"\\x08\\x09\\x0a\\x0c\\x0d\\\"\\\\\"}");
	valid("s = \"\\u00e9\\u20AC\\U0001F600\\u007f\\uFFFF\"",
	    "{s="
	    "\"\\xc3\\xa9\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80\\x7f\\xef\\xbf\\"
	    "xbf\"}");
	valid("s = \"tab\there\"", "{s=\"tab\\x09here\"}");
	valid("s = \"\"\ns2 = ''", "{s=\"\",s2=\"\"}");
	valid("s = 'C:\\path\\\"x'", "{s=\"C:\\\\path\\\\\\\"x\"}");
	valid("s = \"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
	    "{s=\"caf\\xc3\\xa9 \\xf0\\x9f\\x98\\x80\"}");
	valid("s = \"\"\"\nline1\nline2\"\"\"", "{s=\"line1\\x0aline2\"}");
	valid("s = \"\"\"\r\nline1\r\nline2\r\n\"\"\"",
	    "{s=\"line1\\x0aline2\\x0a\"}");
	valid("s = \"\"\"no newline\"\"\"", "{s=\"no newline\"}");
	valid("s = \"\"\"\n\nkept\"\"\"", "{s=\"\\x0akept\"}");
	valid("s = \"\"\"one \\\n    two \\\n\n   \t three\"\"\"",
	    "{s=\"one two three\"}");
	valid("s = \"\"\"trail \\   \n  x\"\"\"", "{s=\"trail x\"}");
	valid("s = \"\"\"a\"b\"\"c\"\"\"", "{s=\"a\\\"b\\\"\\\"c\"}");
	valid("s = \"\"\"\"q\"\"\"\"", "{s=\"\\\"q\\\"\"}");
	valid("s = \"\"\"x\"\"\"\"\"", "{s=\"x\\\"\\\"\"}");
	valid("s = \"\"\"\\\"\"\"\"\"\"", "{s=\"\\\"\\\"\\\"\"}");
	valid("s = \"\"\"\\\"\"\"\"\"", "{s=\"\\\"\\\"\"}");
	valid("s = '''\nraw \\n 'q' ''\n'''", "{s=\"raw \\\\n 'q' ''\\x0a\"}");
	valid("s = ''''x'''''", "{s=\"'x''\"}");
	valid("s = \"\"\"tab\there\"\"\"", "{s=\"tab\\x09here\"}");

	/* Integers. */
	valid("a = 0\nb = +0\nc = -0\nd = 42\ne = +17\nf = -17\n",
	    "{a=0,b=0,c=0,d=42,e=17,f=-17}");
	valid("a = 1_000\nb = 5_349_221\nc = 1_2_3_4_5\n",
	    "{a=1000,b=5349221,c=12345}");
	valid("h = 0xDEADbeef\ni = 0xdead_beef\no = 0o755\np = 0o0_1\n"
	      "b = 0b1101_0110\nz = 0x0\n",
	    "{h=3735928559,i=3735928559,o=493,p=1,b=214,z=0}");
	valid("max = 9223372036854775807\nmin = -9223372036854775808\n"
	      "hmax = 0x7fffffffffffffff\n",
	    "{max=9223372036854775807,min=-9223372036854775808,"
	    "hmax=9223372036854775807}");

	/* Arrays. */
	valid("a = [1, 2, 3]", "{a=[1,2,3]}");
	valid("a = []\nb = [ ]\n", "{a=[],b=[]}");
	valid("a = [ \"x\", 'y', ]", "{a=[\"x\",\"y\"]}");
	valid("a = [[1, 2], [3], []]", "{a=[[1,2],[3],[]]}");
	valid("a = [1, \"two\", true, [3]]", "{a=[1,\"two\",true,[3]]}");
	valid("a = [ # comment\n  1, # one\n\n  2 # two\n  , 3\n] # end\nb = 1",
	    "{a=[1,2,3],b=1}");
	valid("a = [\r\n1,\r\n2\r\n]\r\n", "{a=[1,2]}");

	/* Line endings and the end of the file. */
	valid("a = 1\r\nb = 2\r\n", "{a=1,b=2}");
	valid("a = 1\n\n\n[t]", "{a=1,t={}}");
	valid("a = true # c", "{a=true}");
	valid("a = 'x'\t", "{a=\"x\"}");
	valid("# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85\na = 1",
	    "{a=1}");
	/* A UTF-8 byte order mark is skipped at the start, only there. */
	valid("\xef\xbb\xbf"
	      "a = 1",
	    "{a=1}");
	valid("\xef\xbb\xbf", "{}");
	fails("\xef\xbb\xbf"
	      "a",
	    "t.toml:1:2: expected '=' after the key");
	fails("\xef\xbb\xbf\xef\xbb\xbf"
	      "a = 1",
	    "t.toml:1:1: expected a key, found U+FEFF");
	fails("a = 1\n\xef\xbb\xbf"
	      "b = 1",
	    "t.toml:2:1: expected a key, found U+FEFF");
}

static void
test_positions(void)
{
	const char *doc = "\n  key = 1\n[t]\n\ta.b = 2\n  [[arr]]\n"
			  "x = 'v'\n[[arr]]\n[t2.sub]\n\"caf\xc3\xa9\" = 1 \n";

	valid_pos(doc,
	    "{key@2:3=1,t@3:1={a@4:2={b@4:4=2}},"
	    "arr@5:3=[@5:3{x@6:1=\"v\"},@7:1{}],"
	    "t2@8:2={sub@8:1={caf\\xc3\\xa9@9:1=1}}}");
	/* An implicit table takes its header's position once defined. */
	valid_pos("[a.b]\n\n[a]\n", "{a@3:1={b@1:1={}}}");
	valid_pos("x = \"\"\"\n\n\"\"\"\ny = 1\r\nz = [\n1]\n w = 0",
	    "{x@1:1=\"\\x0a\",y@4:1=1,z@5:1=[1],w@7:2=0}");
}

static void
test_structure_errors(void)
{
	fails("a = 1\na = 2\n",
	    "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
	fails("a = 1\r\nb = 2\r\n\r\n  b = 3\r\n",
	    "t.toml:4:3: duplicate key 'b' (first defined at line 2)");
	fails("\"a\" = 1\na = 2\n",
	    "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
	fails("a.b = 1\na.b = 2\n",
	    "t.toml:2:3: duplicate key 'a.b' (first defined at line 1)");
	fails("[t]\nx = 1\n\n[t]\n",
	    "t.toml:4:2: table [t] is defined twice (first at line 1)");
	fails("[a.b]\n[a . b]\n",
	    "t.toml:2:6: table [a.b] is defined twice (first at line 1)");
	fails("[a.b]\n[a]\n[a]\n",
	    "t.toml:3:2: table [a] is defined twice (first at line 2)");
	fails("a = 1\n[a]\n",
	    "t.toml:2:2: key 'a' is already defined as a value (line 1)");
	fails("[t]\nx = 1\n[t.x]\n",
	    "t.toml:3:4: key 't.x' is already defined as a value (line 2)");
	fails("[t]\nx = 1\n[t.x.y]\n",
	    "t.toml:3:4: key 't.x' is already defined as a value (line 2)");
	fails("a.b = 1\n[a]\n",
	    "t.toml:2:2: table [a] is already defined by dotted keys (line 1)");
	fails("[x]\na.b.c = 1\n[x.a.b]\n",
	    "t.toml:3:6: table [x.a.b] is already defined by dotted keys "
	    "(line 2)");
	fails("[a.b]\n[a]\nb = 1\n",
	    "t.toml:3:1: key 'b' is already defined as a table (line 1)");
	fails("[a]\nb.c = 1\nb = 2\n",
	    "t.toml:3:1: key 'b' is already defined as a table (line 2)");
	fails("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
	    "t.toml:4:1: table 'b' (line 1) cannot be extended with dotted "
	    "keys here");
	fails("[a]\n[a.b]\n[a]\n",
	    "t.toml:3:2: table [a] is defined twice (first at line 1)");
	fails("a = 1\na.b = 2\n",
	    "t.toml:2:1: key 'a' is already defined "
	    "(line 1) and is not a table");
	fails("[[a]]\n[a]\n",
	    "t.toml:2:2: table [a] is already defined as an "
	    "array of tables (line 1)");
	fails("[a]\n[[a]]\n",
	    "t.toml:2:3: key 'a' is already defined as a table (line 1)");
	fails("a = [1]\n[[a]]\n",
	    "t.toml:2:3: key 'a' is already defined as a value (line 1)");
	fails("a = [1]\n[a.b]\n",
	    "t.toml:2:2: key 'a' is already defined as a value (line 1)");
	fails("[[f]]\nx = 1\nx = 2\n",
	    "t.toml:3:1: duplicate key 'x' (first defined at line 2)");
	fails("\"a\\u001bb\" = 1\n\"a\\u001bb\" = 2\n",
	    "t.toml:2:1: duplicate key 'a?b' (first defined at line 1)");
}

static void
test_syntax_errors(void)
{
	fails("a 1\n", "t.toml:1:3: expected '=' after the key, found '1'");
	fails("a\n", "t.toml:1:2: expected '=' after the key");
	fails("a", "t.toml:1:2: expected '=' after the key");
	fails("a.b c = 1", "t.toml:1:5: expected '=' after the key, found 'c'");
	fails("a = \n", "t.toml:1:5: missing value after '='");
	fails("a =", "t.toml:1:4: missing value after '='");
	fails("a = # nothing\n", "t.toml:1:5: missing value after '='");
	fails("= 1\n", "t.toml:1:1: expected a key, found '='");
	fails("a. = 1\n", "t.toml:1:4: expected a key, found '='");
	fails("a..b = 1\n", "t.toml:1:3: expected a key, found '.'");
	fails("a$ = 1\n", "t.toml:1:2: expected '=' after the key, found '$'");
	fails("\xc3\xa9 = 1\n", "t.toml:1:1: expected a key, found U+00E9");
	fails("a = hello\n",
	    "t.toml:1:5: expected a value (string, integer, boolean, array "
	    "or inline table), found 'h' (strings must be quoted)");
	fails("a = @\n",
	    "t.toml:1:5: expected a value (string, integer, "
	    "boolean, array or inline table), found '@'");
	fails("a = 1 2\n",
	    "t.toml:1:7: unexpected '2' after the value; "
	    "expected the end of the line");
	fails("a = \"x\"y\n",
	    "t.toml:1:8: unexpected 'y' after the value; "
	    "expected the end of the line");
	fails("x = \"\xc3\xa9\" z",
	    "t.toml:1:10: unexpected 'z' after the "
	    "value; expected the end of the line");
	fails("a = trueish\n",
	    "t.toml:1:9: unexpected 'i' after the value; "
	    "expected the end of the line");
	fails("a = 1\nb = 2 c = 3\n",
	    "t.toml:2:7: unexpected 'c' after the "
	    "value; expected the end of the line");
	fails("[t] x = 1\n",
	    "t.toml:1:5: unexpected 'x' after the table "
	    "header; expected the end of the line");
	fails("[t]]\n",
	    "t.toml:1:4: unexpected ']' after the table header; "
	    "expected the end of the line");
	fails("[a\n",
	    "t.toml:1:3: expected ']' to end the table header, "
	    "found end of line");
	fails("[a",
	    "t.toml:1:3: expected ']' to end the table header, "
	    "found end of file");
	fails("[a b]\n",
	    "t.toml:1:4: expected ']' to end the table header, found 'b'");
	fails("[[a]\n",
	    "t.toml:1:5: expected ']]' to end the table header, "
	    "found end of line");
	fails("[[a] ]\n",
	    "t.toml:1:5: expected ']]' to end the table header, found ' '");
	fails("[]\n", "t.toml:1:2: expected a key, found ']'");
	fails("[a.]\n", "t.toml:1:4: expected a key, found ']'");
	fails("[[]]\n", "t.toml:1:3: expected a key, found ']'");
	fails("\"\"\"k\"\"\" = 1\n",
	    "t.toml:1:1: a key cannot be a multi-line string");
	fails("[t]\n  '''k''' = 1\n",
	    "t.toml:2:3: a key cannot be a multi-line string");
}

static void
test_string_errors(void)
{
	fails("a = \"abc\n", "t.toml:1:5: unterminated string (no closing \")");
	fails("a = \"abc", "t.toml:1:5: unterminated string (no closing \")");
	fails("a = \"abc\\\"\n",
	    "t.toml:1:5: unterminated string (no closing \")");
	fails("a = 'abc\nb = 1'\n",
	    "t.toml:1:5: unterminated string (no closing ')");
	fails("\n\na = \"\"\"abc\n\ndef\"\"\n",
	    "t.toml:3:5: unterminated string (no closing \"\"\")");
	fails("a = '''abc''\n",
	    "t.toml:1:5: unterminated string (no closing ''')");
	fails("\"k = 1\n", "t.toml:1:1: unterminated string (no closing \")");
	fails("a = \"\\x41\"", "t.toml:1:6: invalid escape sequence '\\x'");
	fails("a = \"ok\\e\"", "t.toml:1:8: invalid escape sequence '\\e'");
	fails("a = \"\\ \"",
	    "t.toml:1:6: invalid escape sequence: backslash followed by ' '");
	fails("a = \"\\\xc3\xa9\"",
	    "t.toml:1:6: invalid escape sequence: "
	    "backslash followed by U+00E9");
	fails("a = \"x\\\ny\"",
	    "t.toml:1:7: invalid escape sequence: backslash followed by "
	    "end of line");
	fails("a = \"\"\"x\\ y\"\"\"",
	    "t.toml:1:9: invalid escape sequence: backslash followed by ' '");
	fails("a = \"\\u00\"",
	    "t.toml:1:6: \\u must be followed by 4 hexadecimal digits");
	fails("a = \"\\u00G0\"",
	    "t.toml:1:6: \\u must be followed by 4 hexadecimal digits");
	fails("a = \"\\U0001F60\"",
	    "t.toml:1:6: \\U must be followed by 8 hexadecimal digits");
	fails("a = \"\\uD800\"",
	    "t.toml:1:6: \\uD800 is not a valid unicode scalar value");
	fails("a = \"\\udfff\"",
	    "t.toml:1:6: \\udfff is not a valid unicode scalar value");
	fails("a = \"\\U00110000\"",
	    "t.toml:1:6: \\U00110000 is not a valid unicode scalar value");
	fails("a = \"\\UFFFFFFFF\"",
	    "t.toml:1:6: \\UFFFFFFFF is not a valid unicode scalar value");
	fails("a = \"x\\u0000\"",
	    "t.toml:1:7: NUL (\\u0000) is not allowed in strings");
	fails("a = \"\\U00000000\"",
	    "t.toml:1:6: NUL (\\U00000000) is not allowed in strings");
	fails("a = \"\"\"x\"\"\"\"\"\"\n",
	    "t.toml:1:9: too many quotes in a row in a string");
	fails("a = '''x''''''\n",
	    "t.toml:1:9: too many quotes in a row in a string");
}

static void
test_text_errors(void)
{
	fails("a = \"\x01\"",
	    "t.toml:1:6: control character U+0001 is not allowed");
	fails("a = 1\n# esc \x1b[31m\n",
	    "t.toml:2:7: control character U+001B is not allowed");
	fails("a = '\x7f'",
	    "t.toml:1:6: control character U+007F is not allowed");
	fails("a = \"\"\"\x0c\"\"\"",
	    "t.toml:1:8: control character U+000C is not allowed");
	fails("a = \"\xc3\xa9\x0b\"",
	    "t.toml:1:8: control character U+000B is not allowed");
	fails_n("a = 1\nb = \"x\0y\"\n", 16, "t.toml:2:7: NUL byte in the file",
	    "NUL byte");
	fails_n("\0", 1, "t.toml:1:1: NUL byte in the file", "only a NUL");
	fails("a = \"\xff\"", "t.toml:1:6: invalid UTF-8");
	fails("# \xc0\x80 overlong\n", "t.toml:1:3: invalid UTF-8");
	fails("a = 1\n\n# \xe0\x80\xaf overlong\n",
	    "t.toml:3:3: invalid UTF-8");
	fails("a = '\xed\xa0\x80'", "t.toml:1:6: invalid UTF-8");
	fails("a = '\xf4\x90\x80\x80'", "t.toml:1:6: invalid UTF-8");
	fails("a = 'x\xe2\x82", "t.toml:1:7: invalid UTF-8");
	fails("a = '\x80'", "t.toml:1:6: invalid UTF-8");
	fails("a = 1\rb = 2\n",
	    "t.toml:1:6: carriage return without a line feed");
	fails("a = 1\r", "t.toml:1:6: carriage return without a line feed");
	fails("a = 1\r\nb = '\r'\r\n",
	    "t.toml:2:6: carriage return without a line feed");
	fails("a = \"\"\"x\ry\"\"\"\n",
	    "t.toml:1:9: carriage return without a line feed");
}

static void
test_value_errors(void)
{
	fails("a = 01",
	    "t.toml:1:5: leading zeros are not allowed in integers");
	fails("a = -007",
	    "t.toml:1:5: leading zeros are not allowed in integers");
	fails("a = 0_1",
	    "t.toml:1:5: leading zeros are not allowed in integers");
	fails("a = 1__0",
	    "t.toml:1:6: '_' in an integer must be between digits");
	fails("a = 1_", "t.toml:1:6: '_' in an integer must be between digits");
	fails("a = 0x_1",
	    "t.toml:1:7: '_' in an integer must be between digits");
	fails("a = -_1",
	    "t.toml:1:6: '_' in an integer must be between digits");
	fails("a = 9223372036854775808",
	    "t.toml:1:5: integer '9223372036854775808' is out of range");
	fails("a = -9223372036854775809",
	    "t.toml:1:5: integer '-9223372036854775809' is out of range");
	fails("a = 99999999999999999999999",
	    "t.toml:1:5: integer '99999999999999999999999' is out of range");
	fails("a = 0x8000000000000000",
	    "t.toml:1:5: integer '0x8000000000000000' is out of range");
	fails("a = 0x", "t.toml:1:5: invalid integer '0x'");
	fails("a = -", "t.toml:1:5: invalid integer '-'");
	fails("a = +", "t.toml:1:5: invalid integer '+'");
	fails("a = +0x1",
	    "t.toml:1:5: a sign is not allowed on hexadecimal, "
	    "octal or binary integers");
	fails("a = -0o7",
	    "t.toml:1:5: a sign is not allowed on hexadecimal, "
	    "octal or binary integers");
	fails("a = 0xG", "t.toml:1:7: unexpected 'G' in an integer");
	fails("a = 0o8", "t.toml:1:7: unexpected '8' in an integer");
	fails("a = 0b102", "t.toml:1:9: unexpected '2' in an integer");
	fails("a = 12a", "t.toml:1:7: unexpected 'a' in an integer");
	fails("a = 1-2", "t.toml:1:6: unexpected '-' in an integer");
	fails("a = 0X1F",
	    "t.toml:1:5: leading zeros are not allowed in integers");
	fails("a = 1.5",
	    "t.toml:1:5: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = 1e3",
	    "t.toml:1:5: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = -2E-2",
	    "t.toml:1:5: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = inf",
	    "t.toml:1:5: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = -nan",
	    "t.toml:1:5: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = [1, 2.0]",
	    "t.toml:1:9: floats are not supported in banger's config; use an "
	    "integer");
	fails("a = 1979-05-27",
	    "t.toml:1:5: dates and times are not supported in banger's config");
	fails("a = 07:32:00",
	    "t.toml:1:5: dates and times are not supported in banger's config");
	fails("a = 1979-05-27T07:32:00Z",
	    "t.toml:1:5: dates and times are not supported in banger's config");
	fails("a = 1979-05-27 07:32:00",
	    "t.toml:1:5: dates and times are not supported in banger's config");
	fails("a = [1, 2", "t.toml:1:5: unterminated array (no closing ']')");
	fails("a = [1,\n2,\n",
	    "t.toml:1:5: unterminated array (no closing ']')");
	fails("a = [1 2]",
	    "t.toml:1:8: expected ',' or ']' in an array, found '2'");
	fails("a = [\n1\n2]",
	    "t.toml:3:1: expected ',' or ']' in an array, found '2'");
	fails("a = [,]",
	    "t.toml:1:6: expected a value (string, integer, "
	    "boolean, array or inline table), found ','");
	fails("a = [1,,2]",
	    "t.toml:1:8: expected a value (string, integer, "
	    "boolean, array or inline table), found ','");
	fails("a = ['x\n']", "t.toml:1:6: unterminated string (no closing ')");
}

/* a and b parse to the same tree (not an error). */
static void
same_(const char *a, const char *b, const char *what_a, const char *what_b)
{
	char want[8192];

	snprintf(want, sizeof(want), "%s", parse_dump(a, strlen(a), false));
	if (!ok(strncmp(want, "ERROR", 5) != 0, "parses: %s", what_a))
		printf("#   %s\n", want);
	is_str(parse_dump(b, strlen(b), false), want, "same tree: %s", what_b);
}

#define same(a, b) same_(a, b, #a, #b)

static void
test_inline_valid(void)
{
	valid("a = { x = 1, y = \"s\", z = true }", "{a={x=1,y=\"s\",z=true}}");
	valid("a = {x=1,y=2}\nb = 3", "{a={x=1,y=2},b=3}");
	valid("a = {}\nb = { }\nc = {\t}\n", "{a={},b={},c={}}");
	valid("a = { b = { c = { d = 1 } }, e = [1, 2], f = {} }",
	    "{a={b={c={d=1}},e=[1,2],f={}}}");
	valid("a = { b.c = 1, b.d = 2, e = 3, \"q k\".'l' = 4 }",
	    "{a={b={c=1,d=2},e=3,q k={l=4}}}");
	valid("a = { b = { c.d = 1 }, b2.c = { d = 2 } }",
	    "{a={b={c={d=1}},b2={c={d=2}}}}");
	valid("f = [{ h = 1 }, { h = 2 }, {}]", "{f=[{h=1},{h=2},{}]}");
	valid("f = [\n  { h = 1 }, # one\n\n  { h = [{ i = 2 }] },\n]\nb = 1",
	    "{f=[{h=1},{h=[{i=2}]}],b=1}");
	valid("f = [[{ a = 1 }], [{}, {}]]", "{f=[[{a=1}],[{},{}]]}");
	/* A value inside the braces may span lines; the table may not. */
	valid("a = { b = [\n  1,\n  2,\n], c = 3 }\nd = 4",
	    "{a={b=[1,2],c=3},d=4}");
	valid("a = { s = \"\"\"x\ny\"\"\", t = '''\n''' }",
	    "{a={s=\"x\\x0ay\",t=\"\"}}");
	valid("a = { x = 1 } # comment\r\nb = { } \t\r\n", "{a={x=1},b={}}");
	valid("[t]\na = { x = 1 }\n[[f]]\ng = { y = 2 }\n[[f]]\n",
	    "{t={a={x=1}},f=[{g={y=2}},{}]}");
	valid("a.b = { c = 1 }\na.d = 2\n[a.e]\n", "{a={b={c=1},d=2,e={}}}");
	valid("a = { true = false, 1 = 0x10, -x = 'y' }",
	    "{a={true=false,1=16,-x=\"y\"}}");
	valid_pos("a = { b = 1, c.d = 2 }\nf = [ {x = 1}, {} ]\n",
	    "{a@1:1={b@1:7=1,c@1:14={d@1:16=2}},"
	    "f@2:1=[@2:7{x@2:8=1},@2:16{}]}");

	/* The same tree as the table forms. */
	same("[vm_defaults]\nvcpu = 2\nmemory_mib = 1024\n",
	    "vm_defaults = { vcpu = 2, memory_mib = 1024 }\n");
	same("[[file_sync]]\nhost = '~/a'\nguest = '~/a'\n"
	     "[[file_sync]]\nhost = '~/b'\nguest = '~/b'\nmode = '0755'\n",
	    "file_sync = [{ host = '~/a', guest = '~/a' },\n"
	    "  { host = '~/b', guest = '~/b', mode = '0755' }]\n");
	same("[a.b]\nc = 1\n", "a = { b = { c = 1 } }");
	same("[a.b]\nc = 1\n", "a.b = { c = 1 }");
	same("[a]\n", "a = {}");
}

static void
test_inline_errors(void)
{
	/* One line, no trailing comma, no comment, a closing brace. */
	fails("a = { x = 1,\n y = 2 }",
	    "t.toml:1:13: end of line inside an inline table; an inline "
	    "table must be on one line (close it with '}' before the line "
	    "ends, or use a [table] section)");
	fails("a = {\n}",
	    "t.toml:1:6: end of line inside an inline table; "
	    "an inline table must be on one line (close it "
	    "with '}' before the line ends, or use a [table] section)");
	fails("a = {\r\n}",
	    "t.toml:1:6: end of line inside an inline "
	    "table; an inline table must be on one line "
	    "(close it with '}' before the line ends, or use "
	    "a [table] section)");
	fails("f = [\n{ x = 1,\n y = 2 }\n]",
	    "t.toml:2:9: end of line inside an inline table; an inline "
	    "table must be on one line (close it with '}' before the line "
	    "ends, or use a [table] section)");
	/* A missing '}' shows at the end of the line. */
	fails("a = { x = 1\nb = 2\n",
	    "t.toml:1:12: end of line inside an inline table; an inline "
	    "table must be on one line (close it with '}' before the line "
	    "ends, or use a [table] section)");
	fails("a = { x = 1 # c\n}",
	    "t.toml:1:13: comment inside an inline table; an inline table "
	    "must be on one line (close it with '}' before the comment)");
	fails("a = { x = 1, }",
	    "t.toml:1:12: trailing comma in an inline table; remove it "
	    "(only arrays may end with a comma)");
	fails("a = { x = 1,}",
	    "t.toml:1:12: trailing comma in an inline table; remove it "
	    "(only arrays may end with a comma)");
	fails("a = { , }", "t.toml:1:7: expected a key, found ','");
	fails("a = { x = 1,, y = 2 }",
	    "t.toml:1:13: expected a key, found ','");
	fails("a = { x = 1",
	    "t.toml:1:5: unterminated inline table (no closing '}')");
	fails("a = {",
	    "t.toml:1:5: unterminated inline table (no closing '}')");
	fails("f = [{ x = 1 }, { y = 2",
	    "t.toml:1:17: unterminated inline table (no closing '}')");
	fails("a = { x = 1 y = 2 }",
	    "t.toml:1:13: expected ',' or '}' in an inline table, found 'y'");
	fails("a = { x = 1 ]",
	    "t.toml:1:13: expected ',' or '}' in an inline table, found ']'");
	fails("a = { x = 1 }}",
	    "t.toml:1:14: unexpected '}' after the value; "
	    "expected the end of the line");
	fails("a = { x = }",
	    "t.toml:1:11: expected a value (string, integer, "
	    "boolean, array or inline table), found '}'");
	fails("a = { x = hello }",
	    "t.toml:1:11: expected a value (string, integer, boolean, array "
	    "or inline table), found 'h' (strings must be quoted)");
	fails("a = { x }", "t.toml:1:9: expected '=' after the key, found '}'");
	fails("a = { x = 'y }\n",
	    "t.toml:1:11: unterminated string (no closing ')");
	fails("a = { x = 1.5 }",
	    "t.toml:1:11: floats are not supported in banger's config; use "
	    "an integer");
	fails("a = { d = 1979-05-27 }",
	    "t.toml:1:11: dates and times are not "
	    "supported in banger's config");

	/* Duplicates inside the braces. */
	fails("a = { x = 1, x = 2 }",
	    "t.toml:1:14: duplicate key 'x' (first defined at line 1)");
	fails("a = { b = 1, b.c = 2 }",
	    "t.toml:1:14: key 'b' is already defined (line 1) and is not a "
	    "table");
	fails("a = { b.c = 1, b = 2 }",
	    "t.toml:1:16: key 'b' is already defined as a table (line 1)");
	fails("a = { b.c = 1, b.c = 2 }",
	    "t.toml:1:18: duplicate key 'b.c' (first defined at line 1)");
	fails("a = { b = { c = 1 }, b.d = 2 }",
	    "t.toml:1:22: table 'b' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");

	/* Complete once closed: no header, sub-table or dotted key adds. */
	fails("a = { x = 1 }\n[a]\n",
	    "t.toml:2:2: table 'a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("a = { x = 1 }\n[a.b]\n",
	    "t.toml:2:2: table 'a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("[t]\na = { b = {} }\n[t.a.b.c]\n",
	    "t.toml:3:4: table 't.a' was defined inline (line 2) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("a = {}\n[[a]]\n",
	    "t.toml:2:3: table 'a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("a = {}\n[[a.b]]\n",
	    "t.toml:2:3: table 'a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("a = { x = 1 }\na.y = 2\n",
	    "t.toml:2:1: table 'a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("[t]\na = {}\na.b = 1\n",
	    "t.toml:3:1: table 'a' was defined inline (line 2) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("x.a = { b.c = 1 }\nx.a.b.d = 2\n",
	    "t.toml:2:3: table 'x.a' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	fails("a = [{ x = 1 }]\n[[a]]\n",
	    "t.toml:2:3: key 'a' is already defined as a value (line 1)");
	fails("a = [{ x = 1 }]\n[a.b]\n",
	    "t.toml:2:2: key 'a' is already defined as a value (line 1)");

	/* Nor may an inline table redefine a table or a value. */
	fails("a.b = 1\na = { c = 1 }\n",
	    "t.toml:2:1: key 'a' is already defined as a table (line 1)");
	fails("[x.y]\n[x]\ny = { z = 1 }\n",
	    "t.toml:3:1: key 'y' is already defined as a table (line 1)");
	fails("a = {}\na = {}\n",
	    "t.toml:2:1: key 'a' is already defined as a table (line 1)");
	fails("a = 1\na = {}\n",
	    "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
}

/* "a = " and tables levels of {b=, arrays levels of [, around a 1. */
static size_t
nested(char *doc, size_t n, int tables, int arrays)
{
	size_t o;
	int i;

	o = (size_t)snprintf(doc, n, "a = ");
	for (i = 0; i < tables; i++)
		o += (size_t)snprintf(doc + o, n - o, "{b=");
	for (i = 0; i < arrays; i++)
		o += (size_t)snprintf(doc + o, n - o, "[");
	o += (size_t)snprintf(doc + o, n - o, "1");
	for (i = 0; i < arrays; i++)
		o += (size_t)snprintf(doc + o, n - o, "]");
	for (i = 0; i < tables; i++)
		o += (size_t)snprintf(doc + o, n - o, "}");
	return o;
}

static void
test_limits(void)
{
	char doc[20000];
	size_t o;
	int i;

	/* 32 key parts are fine, 33 are not. */
	o = 0;
	for (i = 0; i < 32; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "%sk",
		    i ? "." : "");
	snprintf(doc + o, sizeof(doc) - o, " = 1");
	ok(strncmp(parse_dump(doc, strlen(doc), false), "{k={k={", 7) == 0,
	    "32 key parts");
	snprintf(doc + o, sizeof(doc) - o, ".k = 1");
	fails_n(doc, strlen(doc), "t.toml:1:65: key has more than 32 parts",
	    "33 key parts");

	/* Arrays nest 32 deep at most. */
	memcpy(doc, "a = [", 5);
	memset(doc + 5, '[', 32);
	memset(doc + 37, ']', 33);
	doc[70] = '\0';
	fails_n(doc, 70, "t.toml:1:37: arrays nested more than 32 deep",
	    "33 deep");
	doc[4] = ' ';
	doc[69] = '\0';
	ok(strncmp(parse_dump(doc, 69, false), "{a=[[[", 6) == 0,
	    "arrays nested 32 deep");

	/* Arrays and inline tables together nest 64 deep at most. */
	o = nested(doc, sizeof(doc), 65, 0);
	fails_n(doc, o,
	    "t.toml:1:197: arrays and inline tables nested more than 64 "
	    "deep; use [table] sections for the outer levels",
	    "inline tables 65 deep");
	o = nested(doc, sizeof(doc), 64, 0);
	ok(strncmp(parse_dump(doc, o, false), "{a={b={b={", 10) == 0,
	    "inline tables 64 deep");
	o = nested(doc, sizeof(doc), 40, 25);
	fails_n(doc, o,
	    "t.toml:1:149: arrays and inline tables nested more than 64 "
	    "deep; use [table] sections for the outer levels",
	    "40 inline tables around 25 arrays");
	o = nested(doc, sizeof(doc), 40, 24);
	ok(strncmp(parse_dump(doc, o, false), "{a={b={b={", 10) == 0,
	    "40 inline tables around 24 arrays");
	o = nested(doc, sizeof(doc), 1, 33);
	fails_n(doc, o, "t.toml:1:40: arrays nested more than 32 deep",
	    "33 arrays in an inline table");

	/* A table holds 1024 keys at most. */
	o = 0;
	for (i = 0; i < 1025; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "k%d=1\n", i);
	fails_n(doc, o, "t.toml:1025:1: more than 1024 keys in one table",
	    "1025 keys");
	ok(strncmp(parse_dump(doc, o - strlen("k1024=1\n"), false), "{k0=1,",
	       6) == 0,
	    "1024 keys");
}

static void
test_api(void)
{
	struct bg_toml *t = NULL;
	const struct bg_toml *v;
	struct bg_err err = { "", "" };
	const char *doc = "a = 1\n[t]\ns = 'x'\n[[f]]\n";
	char path[] = "/tmp/banger-toml-XXXXXX", file[64], pbuf[16];
	char *big;
	int fd, r;

	r = bg_toml_parse(doc, strlen(doc), "t.toml", &t, &err);
	is_int(r, 0, "parse ok");
	v = bg_toml_get(t, "a");
	ok(v != NULL && v->type == BG_TOML_INT && v->i == 1, "get a");
	ok(bg_toml_get(t, "b") == NULL, "get missing key");
	ok(bg_toml_get(NULL, "a") == NULL, "get from NULL");
	ok(bg_toml_get(v, "a") == NULL, "get from a non-table");
	v = bg_toml_get(bg_toml_get(t, "t"), "s");
	ok(v != NULL && v->type == BG_TOML_STRING && strcmp(v->s, "x") == 0 &&
		v->line == 3 && v->col == 1,
	    "get t.s");
	v = bg_toml_get(t, "f");
	ok(v != NULL && v->type == BG_TOML_ARRAY && v->n == 1 &&
		v->child->type == BG_TOML_TABLE && v->child->key == NULL,
	    "array of tables");
	ok(bg_toml_get(v, "x") == NULL, "get from an array");
	is_int(t->n, 3, "root has 3 children");
	bg_toml_free(t);
	bg_toml_free(NULL);

	/* A document with no filename says "-". */
	r = bg_toml_parse("x", 1, NULL, &t, &err);
	is_str(err.msg, "-:1:2: expected '=' after the key", "NULL filename");

	is_str(bg_toml_printable("ok \xc3\xa9", pbuf, sizeof(pbuf)),
	    "ok \xc3\xa9", "printable keeps UTF-8");
	is_str(bg_toml_printable("a\x1b[1m\xc2\x9b\x7f", pbuf, sizeof(pbuf)),
	    "a?[1m??", "printable masks C0, C1 and DEL");
	is_str(bg_toml_printable("0123456789abcdefgh", pbuf, sizeof(pbuf)),
	    "0123456789ab...", "printable truncates");
	is_str(bg_toml_printable("0123456789a\xc3\xa9xxxx", pbuf, sizeof(pbuf)),
	    "0123456789a...", "printable cuts between characters");

	/* Files. */
	ok(mkdtemp(path) != NULL, "temp dir");
	snprintf(file, sizeof(file), "%s/c.toml", path);
	r = bg_toml_parse_file(file, &t, &err);
	is_int(r, -ENOENT, "missing file: -ENOENT");
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && write(fd, "[t]\nx = 1\nx = 2\n", 16) == 16, "write file");
	close(fd);
	r = bg_toml_parse_file(file, &t, &err);
	is_int(r, -EINVAL, "bad file: -EINVAL");
	{
		char want[128];

		snprintf(want, sizeof(want),
		    "%s:3:1: duplicate key 'x' (first defined at line 2)",
		    file);
		is_str(err.msg, want, "file name in the message");
	}
	big = malloc((1 << 20) + 2);
	memset(big, '#', (1 << 20) + 1);
	fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ok(fd >= 0 && write(fd, big, (1 << 20) + 1) == (1 << 20) + 1,
	    "write a big file");
	close(fd);
	r = bg_toml_parse_file(file, &t, &err);
	is_int(r, -EFBIG, "1 MiB + 1 byte: -EFBIG");
	ok(strstr(err.msg, "larger than 1 MiB") != NULL, "says 1 MiB");
	fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ok(fd >= 0 && write(fd, big, 1 << 20) == 1 << 20, "write 1 MiB");
	close(fd);
	r = bg_toml_parse_file(file, &t, &err);
	is_int(r, 0, "exactly 1 MiB of comment parses");
	bg_toml_free(t);
	free(big);
	unlink(file);
	rmdir(path);
}

int
main(void)
{
	test_valid();
	test_positions();
	test_structure_errors();
	test_syntax_errors();
	test_string_errors();
	test_text_errors();
	test_value_errors();
	test_inline_valid();
	test_inline_errors();
	test_limits();
	test_api();
	return done_testing();
}
