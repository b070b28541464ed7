/*
 * commands.c — the command table: every command's name, flags,
 * operands, wire verb, and the function that runs it.  A row marked
 * NOT_YET is parsed and checked but not implemented yet.  Turning on a
 * command that only asks the service (it has a verb) is deleting its
 * NOT_YET; cli_remote runs it, and a render function can be added if
 * its result deserves more than key: value lines.  A local command
 * (no verb) also needs its run function.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci-ref.h"

/* Not implemented yet: delete to turn the command on. */
#define NOT_YET .todo = true

const struct cli_group cli_groups[] = {
	{ "vm", "VM commands", "create, run and manage VMs" },
	{ "image", "Image commands", "pull and manage golden images" },
	{ "kernel", "Kernel commands", "pull and list kernel bundles" },
	{ "system", "System commands (install, restart, uninstall need sudo)",
	    "install and manage the host services" },
};
const size_t cli_ngroups = sizeof(cli_groups) / sizeof(cli_groups[0]);

#define VM_SPEC_FLAGS \
	{ "name", 0, CLI_NAME, "name", "NAME", \
		"name of the VM (default: a generated one)", 0, 0 }, \
	    { "image", 0, CLI_ARTIFACT, "image", "NAME", \
		    "golden image (default: default_image_name in config)", 0, \
		    0 }, \
	    { "kernel", 0, CLI_ARTIFACT, "kernel", "NAME", \
		    "kernel bundle (default: picked by the service)", 0, 0 }, \
	    { "vcpu", 0, CLI_INT, "vcpu", "N", "virtual CPUs", BG_VCPU_MIN, \
		    BG_VCPU_MAX }, \
	    { "memory", 0, CLI_MIB, "memory_mib", "SIZE", \
		    "RAM in MiB, or with a suffix: 2G", BG_MEMORY_MIN_MIB, \
		    BG_MEMORY_MAX_MIB }, \
	{ \
		"disk", 0, CLI_SIZE, "disk_bytes", "SIZE", \
		    "disk size with a suffix: 16G", (long long)BG_DISK_MIN, \
		    (long long)BG_DISK_MAX \
	}

static const struct cli_flag vm_create_flags[] = {
	VM_SPEC_FLAGS,
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_run_flags[] = {
	VM_SPEC_FLAGS,
	{ "rm", 0, CLI_BOOL, NULL, NULL,
	    "delete the VM when the session or COMMAND ends", 0, 0 },
	{ "ssh-timeout", 0, CLI_INT, NULL, "SECS",
	    "seconds to wait for ssh (default 120)", 1, 3600 },
	{ "branch", 0, CLI_STR, NULL, "BRANCH",
	    "workspace: /root/repo is a git repo on a new BRANCH", 0, 0 },
	{ "from", 0, CLI_STR, NULL, "REF",
	    "workspace: start from REF instead of HEAD", 0, 0 },
	{ "include-untracked", 0, CLI_BOOL, NULL, NULL,
	    "workspace: also copy untracked (not ignored) files", 0, 0 },
	{ "dry-run", 0, CLI_BOOL, NULL, NULL,
	    "workspace: list the files to copy, then exit", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_stop_flags[] = {
	{ "timeout", 0, CLI_INT, "timeout_s", "SECS",
	    "seconds until a forced stop (default 10)", 0, 600 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_prune_flags[] = {
	{ "dry-run", 0, CLI_BOOL, "dry_run", NULL,
	    "only say what would be removed", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_logs_flags[] = {
	{ "follow", 'f', CLI_BOOL, "follow", NULL,
	    "keep printing the console log as it grows", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag image_register_flags[] = {
	{ "kernel", 0, CLI_ARTIFACT, "kernel", "NAME",
	    "kernel bundle to boot the image with", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag image_pull_flags[] = {
	{ "name", 0, CLI_ARTIFACT, "as", "NAME",
	    "OCI: the local image name (default: from REF)", 0, 0 },
	{ "size", 0, CLI_SIZE, "size", "SIZE",
	    "OCI: the image's file system size", 64LL << 20, 16LL << 40 },
	{ "kernel", 0, CLI_ARTIFACT, "kernel", "NAME",
	    "OCI: kernel bundle to boot the image with", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag system_install_flags[] = {
	{ "owner", 0, CLI_STR, "owner", "USER",
	    "the user who will own the VMs and run the service", 0, 0 },
	{ "init", 0, CLI_STR, "init", "INIT",
	    "systemd (the default where it is PID 1) or s6", 0, 0 },
	{ "scandir", 0, CLI_STR, "scandir", "DIR",
	    "--init s6: your s6-svscan's directory (/run/service)", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag system_uninstall_flags[] = {
	{ "purge", 0, CLI_BOOL, "purge", NULL,
	    "also remove VMs, images and caches (/var, /run)", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag ssh_config_flags[] = {
	{ "install", 0, CLI_BOOL, NULL, NULL,
	    "add banger's ssh_config Include to ~/.ssh/config", 0, 0 },
	{ "uninstall", 0, CLI_BOOL, NULL, NULL, "remove that Include again", 0,
	    0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_operand op_name[] = {
	{ "NAME", CLI_NAME, "name", false },
	{ NULL, 0, NULL, false },
};

/* An image or a kernel: names may carry a version with dots. */
static const struct cli_operand op_artifact[] = {
	{ "NAME", CLI_ARTIFACT, "name", false },
	{ NULL, 0, NULL, false },
};

static const struct cli_operand op_path[] = {
	{ "PATH", CLI_PATH, NULL, true },
	{ NULL, 0, NULL, false },
};

static const struct cli_operand op_image[] = {
	{ "NAME", CLI_STR, "name", false },
	{ NULL, 0, NULL, false },
};

static const struct cli_operand op_register[] = {
	{ "NAME", CLI_ARTIFACT, "name", false },
	{ "ROOTFS", CLI_PATH, "rootfs", false },
	{ NULL, 0, NULL, false },
};

static const struct cli_operand op_bundle[] = {
	{ "NAME", CLI_ARTIFACT, "name", false },
	{ "OUT", CLI_PATH, "out", false },
	{ NULL, 0, NULL, false },
};

static const struct cli_flag bundle_flags[] = {
	{ "from", 0, CLI_PATH, "from", "DIR",
	    "bundle the artifact in DIR (manifest.json and its files), "
	    "not an installed one",
	    0, 0 },
	{ "level", 0, CLI_INT, "level", "N",
	    "zstd level, 1 (fast) to 19 (small); default 3", 1, 19 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_operand op_shell[] = {
	{ "SHELL", CLI_STR, NULL, false },
	{ NULL, 0, NULL, false },
};

static int check_vm_run(struct cli_inv *);
static int check_image_pull(struct cli_inv *);
static int check_image_register(struct cli_inv *);
static int check_owner(struct cli_inv *);
static int check_ssh_config(struct cli_inv *);
static int check_completion(struct cli_inv *);

/* One command per block, its fields packed: kept as written. */
/* clang-format off */
const struct cli_cmd cli_cmds[] = {
	{ .group = "vm", .name = "run",
	  .summary = "start a new VM and ssh in, or run COMMAND",
	  .details =
	    "Without PATH: a bare sandbox, kept running after you log out.\n"
	    "With PATH: the repository's git-tracked files (working tree, or\n"
	    "--from REF) are on the VM's disk at /root/repo when it boots, and\n"
	    "COMMAND runs there.  With -- COMMAND: COMMAND runs in the guest\n"
	    "(as in vm ssh) and its exit status is banger's.\n"
	    "--rm deletes the VM afterwards, except when ssh never answered:\n"
	    "then it is kept for 'banger vm logs NAME'.\n"
	    "--branch, --from, --include-untracked and --dry-run need PATH.\n",
	  .flags = vm_run_flags, .operands = op_path, .takes_command = true,
	  .run = cli_vm_run, .check = check_vm_run },
	{ .group = "vm", .name = "create",
	  .summary = "create a VM without starting it",
	  .details =
	    "Prints a spec: line first (vCPU, RAM, disk and where each\n"
	    "came from: flag, config, host or built-in).\n",
	  .flags = vm_create_flags, .verb = "vm-create",
	  .run = cli_vm_create },
	{ .group = "vm", .name = "start", .summary = "start a stopped VM",
	  .operands = op_name, .verb = "vm-start" },
	{ .group = "vm", .name = "stop", .summary = "stop a running VM",
	  .flags = vm_stop_flags, .operands = op_name, .verb = "vm-stop" },
	{ .group = "vm", .name = "ssh",
	  .summary = "ssh into a VM, or run COMMAND in it",
	  .details =
	    "COMMAND's words reach the guest as they are (each is quoted\n"
	    "for the guest's shell): use -- sh -c '...' for pipes.\n",
	  .operands = op_name, .takes_command = true, .run = cli_vm_ssh },
	{ .group = "vm", .name = "logs", .summary = "print a VM's console log",
	  .flags = vm_logs_flags, .operands = op_name, .verb = "vm-logs",
	  .run = cli_vm_logs },
	{ .group = "vm", .name = "list", .summary = "list VMs and their state",
	  .verb = "vm-list", .render = cli_render_vm_list },
	{ .group = "vm", .name = "show",
	  .summary = "show everything about a VM",
	  .operands = op_name, .verb = "vm-show",
	  .render = cli_render_generic },
	{ .group = "vm", .name = "delete",
	  .summary = "delete a VM and its disks",
	  .operands = op_name, .verb = "vm-delete", .run = cli_vm_delete },
	{ .group = "vm", .name = "prune",
	  .summary = "remove stopped and half-created VMs",
	  .flags = vm_prune_flags, .verb = "vm-prune", .run = cli_vm_prune,
	  .render = cli_render_vm_prune },
	{ .group = "image", .name = "pull",
	  .summary = "pull a catalog image or an OCI image",
	  .details =
	    "NAME is a catalog name (debian-bookworm) or an OCI reference\n"
	    "[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST] with at least one '/'\n"
	    "(docker.io/library/debian:12), made into a bootable image\n"
	    "(docs/oci-import.md); credentials come from\n"
	    "~/.docker/config.json.  A catalog image comes with the kernel\n"
	    "it boots with.  The catalogs: the built-in one, catalog_file\n"
	    "and [[catalog]] in the config.  https_proxy and no_proxy are\n"
	    "honoured.\n",
	  .flags = image_pull_flags, .operands = op_image, .run = cli_pull,
	  .check = check_image_pull },
	{ .group = "image", .name = "list", .summary = "list local images",
	  .verb = "image-list", .render = cli_render_image_list },
	{ .group = "image", .name = "register",
	  .summary = "register a local ext4 rootfs as an image",
	  .flags = image_register_flags, .operands = op_register,
	  .check = check_image_register, .verb = "image-register" },
	{ .group = "image", .name = "delete", .summary = "delete a local image",
	  .operands = op_artifact, .verb = "image-delete" },
	{ .group = "image", .name = "bundle",
	  .summary = "write a bundle (.tar.zst) of a local image",
	  .details =
	    "OUT can be published and named in a catalog: the command prints\n"
	    "its size and sha256 (docs/bundles.md).\n",
	  .flags = bundle_flags, .operands = op_bundle, .verb = "bundle",
	  .run = cli_local, .check = cli_bundle_check,
	  .render = cli_render_bundle },
	{ .group = "kernel", .name = "pull",
	  .summary = "fetch a kernel bundle from the catalog",
	  .operands = op_artifact, .run = cli_pull },
	{ .group = "kernel", .name = "list", .summary = "list local kernels",
	  .verb = "kernel-list", .render = cli_render_kernel_list },
	{ .group = "kernel", .name = "delete",
	  .summary = "delete a local kernel (not one a VM boots with)",
	  .operands = op_artifact, .verb = "kernel-delete" },
	{ .group = "kernel", .name = "bundle",
	  .summary = "write a bundle (.tar.zst) of a local kernel",
	  .flags = bundle_flags, .operands = op_bundle, .verb = "bundle",
	  .run = cli_local, .check = cli_bundle_check,
	  .render = cli_render_bundle },
	{ .group = "system", .name = "install",
	  .summary = "install and start the host services",
	  .details =
	    "Installs this build (programs, units, /etc/banger), makes the\n"
	    "state, cache and run directories, enables and starts the\n"
	    "sockets and sets up the network and, with systemd-resolved,\n"
	    "NAME.vm on this host (docs/dns-routing.md).  Run again, or from a newer\n"
	    "build, it upgrades in place and keeps VMs and images.\n"
	    "--owner defaults to the user who ran sudo.  --init s6 serves\n"
	    "the sockets with s6 on hosts without systemd.  docs/install.md.\n",
	  .flags = system_install_flags, .check = check_owner,
	  .verb = "system-install", .run = cli_system,
	  .render = cli_render_install },
	{ .group = "system", .name = "status",
	  .summary = "show the state of the host services",
	  .details =
	    "The installed version (and a warning if this banger differs),\n"
	    "the owner, each socket's state, the running VMs' units, the\n"
	    "bridge, banger's nftables tables, whether NAME.vm resolves here\n"
	    "and the last warnings and errors banger logged.  No sudo needed; with sudo it can also\n"
	    "list nftables and read the whole journal.  Exits 1 when banger\n"
	    "is not installed or a socket is not active.\n",
	  .verb = "system-status", .run = cli_local,
	  .render = cli_render_status },
	{ .group = "system", .name = "restart",
	  .summary = "restart the host services",
	  .details =
	    "Reloads the units, restarts the sockets and applies the network\n"
	    "and the .vm routing again (a changed /etc/banger/network.toml\n"
	    "takes effect).\n"
	    "Running VMs keep running and stay reachable.\n",
	  .verb = "system-restart", .run = cli_system,
	  .render = cli_render_generic },
	{ .group = "system", .name = "uninstall",
	  .summary = "remove the host services",
	  .details =
	    "Stops the VMs (cleanly), removes the units, programs, network,\n"
	    "the .vm routing and /etc/banger.  VMs, images and kernels stay in\n"
	    "/var/lib/banger unless --purge.  Your ~/.config/banger and\n"
	    "~/.local/state/banger are never touched.  docs/install.md.\n",
	  .flags = system_uninstall_flags, .verb = "system-uninstall",
	  .run = cli_system, .render = cli_render_uninstall },
	{ .name = "doctor",
	  .summary = "check that this host can run banger",
	  .details =
	    "Runs the doctor helper directly, so it works before banger is\n"
	    "installed.  Exits 1 when a check fails.\n",
	  .verb = "doctor", .run = cli_local, .render = cli_render_doctor },
	{ .name = "ssh-config",
	  .summary = "show or install the 'ssh NAME.vm' Include",
	  .details =
	    "Prints the Include line for ~/.ssh/config.  --install adds it,\n"
	    "in a block between '# >>> banger >>>' and '# <<< banger <<<',\n"
	    "at the top of ~/.ssh/config; --uninstall removes that block.\n"
	    "Writes ~/.config/banger/ssh_config (a Host NAME.vm per VM),\n"
	    "which vm create, run, delete and prune then keep fresh.\n",
	  .flags = ssh_config_flags, .check = check_ssh_config,
	  .run = cli_ssh_config },
	{ .name = "completion",
	  .summary = "print a shell completion script",
	  .details =
	    "bash:\n"
	    "  banger completion bash | "
	    "sudo tee /etc/bash_completion.d/banger\n"
	    "zsh (~/.zfunc on fpath):\n"
	    "  banger completion zsh > ~/.zfunc/_banger\n"
	    "fish:\n"
	    "  banger completion fish > "
	    "~/.config/fish/completions/banger.fish\n"
	    "powershell:\n"
	    "  banger completion powershell | Out-String | "
	    "Invoke-Expression\n",
	  .operands = op_shell, .run = cli_completion,
	  .check = check_completion },
};
/* clang-format on */
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

static const char *const shells[] = { "bash", "zsh", "fish", "powershell" };

/* ---- checks of whole command lines --------------------------------- */

static int
check_vm_run(struct cli_inv *inv)
{
	static const char *const ws[] = { "branch", "from", "include-untracked",
		"dry-run" };
	size_t k;

	if (inv->nargs > 0)
		return 0;
	for (k = 0; k < sizeof(ws) / sizeof(ws[0]); k++)
		if (cJSON_GetObjectItemCaseSensitive(inv->opts, ws[k]))
			return cli_usage_error(inv->cmd,
			    "--%s applies only to workspace mode: give the "
			    "repository's PATH",
			    ws[k]);
	return 0;
}

/*
 * A catalog name (bg_name_valid), or an OCI reference:
 * [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST].
 */
static int
check_image_pull(struct cli_inv *inv)
{
	const char *s = inv->args[0], *why;
	char buf[200];

	if (bg_name_valid(s))
		return 0;
	why = bg_oci_ref_check(s);
	if (why == NULL)
		return 0;
	snprintf(buf, sizeof(buf),
	    "is neither a catalog name "
	    "(debian-bookworm) nor an OCI reference: %s",
	    why);
	return cli_bad_value("NAME", s, buf);
}

/*
 * ROOTFS is resolved here, as the user typed it relative to this
 * directory: the service gets an absolute path (it is the same user).
 */
static int
check_image_register(struct cli_inv *inv)
{
	char *abs = realpath(inv->args[1], NULL);
	cJSON *s;

	if (abs == NULL)
		return cli_bad_value("ROOTFS", inv->args[1], strerror(errno));
	s = cJSON_CreateString(abs);
	free(abs);
	if (s == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(inv->req, "rootfs", s)) {
		cJSON_Delete(s);
		fputs("banger: out of memory\n", stderr);
		return BG_EXIT_TEMP;
	}
	return 0;
}

static int
check_owner(struct cli_inv *inv)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(inv->opts, "owner");
	const char *s;
	size_t k;

	if (o == NULL)
		return 0;
	s = o->valuestring;
	/* [a-z_][a-z0-9_.-]*, at most 32: what system install puts in units. */
	k = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-");
	if (s[k] != '\0' || k > 32 ||
	    !(islower((unsigned char)s[0]) || s[0] == '_'))
		return cli_bad_value("--owner", s,
		    "is not a user name banger accepts ([a-z_][a-z0-9_.-]*)");
	return 0;
}

static int
check_ssh_config(struct cli_inv *inv)
{
	if (cJSON_GetObjectItemCaseSensitive(inv->opts, "install") &&
	    cJSON_GetObjectItemCaseSensitive(inv->opts, "uninstall"))
		return cli_usage_error(inv->cmd,
		    "--install and --uninstall exclude each other");
	return 0;
}

static int
check_completion(struct cli_inv *inv)
{
	size_t k, n = sizeof(shells) / sizeof(shells[0]);

	for (k = 0; k < n; k++)
		if (strcmp(inv->args[0], shells[k]) == 0)
			return 0;
	cli_bad_value("SHELL", inv->args[0],
	    "is not one of bash, zsh, fish, powershell");
	cli_suggest(inv->args[0], shells, n, "");
	return BG_EXIT_USAGE;
}
