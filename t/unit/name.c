/* Unit tests: name and verb validation, path building. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "banger.h"
#include "tap.h"

int
main(void)
{
	char big[301], p[PATH_MAX];
	static const char *const good[] = { "a", "0", "sandbox", "vm-1",
		"a-b-c", "x9",
		"a123456789012345678901234567890123456789012345678901234567890bc",
		NULL };
	static const char *const bad[] = { "", ".", "..", "../etc", "a/b", "/a",
		"-a", "A", "Sandbox", "a_b", "a.b", "a b", "é", "a\xc3\xa9",
		"a\n", "a\t", "\xff", "a:b", "~a",
		"a1234567890123456789012345678901234567890123456789012345678901bcd",
		NULL };
	size_t i;

	for (i = 0; good[i]; i++)
		ok(bg_name_valid(good[i]), "name '%s' is valid", good[i]);
	for (i = 0; bad[i]; i++)
		ok(!bg_name_valid(bad[i]), "name #%zu rejected", i);
	ok(!bg_name_valid(NULL), "NULL name rejected");
	/* A NUL inside: the string the C code sees ends there, so "ab\0../x"
	 * is just "ab"; t/unit/proto.c checks that the protocol refuses raw
	 * NUL bytes and \\u0000 escapes, so such a name never arrives. */
	ok(bg_name_valid("ab\0../x"),
	    "NUL ends the C string (the protocol refuses NUL)");
	memset(big, 'a', 300);
	big[300] = '\0';
	ok(!bg_name_valid(big), "300 chars rejected");
	big[63] = '\0';
	ok(bg_name_valid(big), "63 chars accepted");
	big[63] = 'a';
	big[64] = '\0';
	ok(!bg_name_valid(big), "64 chars rejected");

	ok(bg_artifact_name_valid("debian-6.1.0-56-amd64"),
	    "artifact name with dots");
	ok(bg_artifact_name_valid("test"), "artifact name without dots");
	ok(!bg_artifact_name_valid("a..b"), "artifact name with .. rejected");
	ok(!bg_artifact_name_valid(".."), "artifact name .. rejected");
	ok(!bg_artifact_name_valid(".a"),
	    "artifact name with a leading dot rejected");
	ok(!bg_artifact_name_valid("a."),
	    "artifact name with a trailing dot rejected");
	ok(!bg_artifact_name_valid("a/b"), "artifact name with / rejected");
	ok(!bg_name_valid("debian-6.1"), "VM names stay dot-free");
	ok(bg_verb_valid("vm-list"), "verb vm-list");
	ok(!bg_verb_valid("vm_list"), "verb with _ rejected");
	ok(!bg_verb_valid(""), "empty verb rejected");
	ok(!bg_verb_valid("../x"), "verb ../x rejected");
	ok(!bg_verb_valid("abcdefghijabcdefghijabcdefghijabc"),
	    "33-byte verb rejected");
	ok(bg_verb_valid("abcdefghijabcdefghijabcdefghijab"),
	    "32-byte verb accepted");

	unsetenv("BANGER_ROOT");
	is_int(bg_path_build(p, sizeof(p), BG_DIR_STATE, "vms", "a", "vm.json"),
	    0, "path built");
	is_str(p, "/var/lib/banger/vms/a/vm.json", "default state root");
	setenv("BANGER_ROOT", "/tmp/x", 1);
	bg_path_build(p, sizeof(p), BG_DIR_RUN, "vms", "a", "lock");
	is_str(p, "/tmp/x/run/banger/vms/a/lock", "BANGER_ROOT prefixes /run");
	bg_path_dir(BG_DIR_ETC, p, sizeof(p));
	is_str(p, "/tmp/x/etc/banger", "BANGER_ROOT prefixes /etc");
	is_int(bg_path_build(p, sizeof(p), BG_DIR_STATE, "vms", "../x", NULL),
	    -EINVAL, "bad name refused in path");
	is_int(bg_path_build(p, sizeof(p), BG_DIR_STATE, "vms", "", NULL),
	    -EINVAL, "empty name refused in path");
	is_int(bg_path_build(p, 10, BG_DIR_STATE, NULL, NULL, NULL),
	    -ENAMETOOLONG, "short buffer");
	setenv("BANGER_ROOT", "relative/dir", 1);
	is_int(bg_path_dir(BG_DIR_ETC, p, sizeof(p)), -EINVAL,
	    "relative BANGER_ROOT refused");
	setenv("BANGER_ROOT", "/tmp/../etc", 1);
	is_int(bg_path_dir(BG_DIR_ETC, p, sizeof(p)), -EINVAL,
	    "BANGER_ROOT with .. refused");
	setenv("BANGER_ROOT", "/", 1);
	bg_path_dir(BG_DIR_CACHE, p, sizeof(p));
	is_str(p, "/var/cache/banger", "BANGER_ROOT=/ is the real root");
	setenv("BANGER_ROOT", "/r", 1);
	unsetenv("BANGER_SOCKET");
	bg_path_socket(p, sizeof(p));
	is_str(p, "/r/run/banger/bangerd.sock",
	    "owner socket under BANGER_ROOT");
	bg_path_root_socket(p, sizeof(p));
	is_str(p, "/r/run/banger-root/bangerd-root.sock",
	    "root socket under BANGER_ROOT");
	setenv("BANGER_SOCKET", "/s/x.sock", 1);
	bg_path_socket(p, sizeof(p));
	is_str(p, "/s/x.sock", "BANGER_SOCKET overrides");
	setenv("BANGER_LIBEXECDIR", "rel", 1);
	is_int(bg_path_libexec(p, sizeof(p)), -EINVAL,
	    "relative BANGER_LIBEXECDIR refused");
	return done_testing();
}
