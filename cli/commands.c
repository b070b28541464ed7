/*
 * commands.c — the command table: every command's name, flags,
 * operands, wire verb, and the function that runs it.  A command with
 * run == NULL is parsed and checked but not implemented yet; turning
 * one on is setting run (cli_remote for a command that only asks the
 * service) and, if its result deserves more than key: value lines, a
 * render function.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

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
	{ "image", 0, CLI_NAME, "image", "NAME", \
	    "golden image (default: default_image_name in config)", 0, 0 }, \
	{ "kernel", 0, CLI_NAME, "kernel", "NAME", \
	    "kernel bundle (default: the catalog's kernel)", 0, 0 }, \
	{ "vcpu", 0, CLI_INT, "vcpu", "N", \
	    "virtual CPUs, 1 to 32", 1, 32 }, \
	{ "memory", 0, CLI_MIB, "memory_mib", "SIZE", \
	    "RAM in MiB, or with a suffix: 2G; 64M to 1T", 64, 1048576 }, \
	{ "disk", 0, CLI_SIZE, "disk_bytes", "SIZE", \
	    "disk size with a suffix: 16G; 256M to 16T", \
	    256LL << 20, 16LL << 40 }

static const struct cli_flag vm_create_flags[] = {
	VM_SPEC_FLAGS,
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_run_flags[] = {
	VM_SPEC_FLAGS,
	{ "rm", 0, CLI_BOOL, NULL, NULL,
	    "delete the VM when the session or COMMAND ends", 0, 0 },
	{ "branch", 0, CLI_STR, NULL, "BRANCH",
	    "workspace: check out a new BRANCH in /root/repo", 0, 0 },
	{ "from", 0, CLI_STR, NULL, "REF",
	    "workspace: start from REF instead of HEAD", 0, 0 },
	{ "include-untracked", 0, CLI_BOOL, NULL, NULL,
	    "workspace: also copy untracked (not ignored) files", 0, 0 },
	{ "dry-run", 0, CLI_BOOL, NULL, NULL,
	    "workspace: list the files to copy, then exit", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag vm_logs_flags[] = {
	{ "follow", 'f', CLI_BOOL, "follow", NULL,
	    "keep printing the console log as it grows", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag image_register_flags[] = {
	{ "kernel", 0, CLI_NAME, "kernel", "NAME",
	    "kernel bundle to boot the image with", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag system_install_flags[] = {
	{ "owner", 0, CLI_STR, NULL, "USER",
	    "the user who will own the VMs and run the service", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag system_uninstall_flags[] = {
	{ "purge", 0, CLI_BOOL, NULL, NULL,
	    "also remove VMs, images and caches (/var, /run)", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_flag ssh_config_flags[] = {
	{ "install", 0, CLI_BOOL, NULL, NULL,
	    "add banger's ssh_config Include to ~/.ssh/config", 0, 0 },
	{ "uninstall", 0, CLI_BOOL, NULL, NULL,
	    "remove that Include again", 0, 0 },
	{ NULL, 0, 0, NULL, NULL, NULL, 0, 0 },
};

static const struct cli_operand op_name[] = {
	{ "NAME", CLI_NAME, "name", false },
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
	{ "NAME", CLI_NAME, "name", false },
	{ "ROOTFS", CLI_PATH, "rootfs", false },
	{ NULL, 0, NULL, false },
};

static const struct cli_operand op_shell[] = {
	{ "SHELL", CLI_STR, NULL, false },
	{ NULL, 0, NULL, false },
};

static int check_vm_run(struct cli_inv *);
static int check_image_pull(struct cli_inv *);
static int check_owner(struct cli_inv *);
static int check_ssh_config(struct cli_inv *);
static int check_completion(struct cli_inv *);

const struct cli_cmd cli_cmds[] = {
	{ .group = "vm", .name = "run",
	  .summary = "start a new VM and ssh in, or run COMMAND",
	  .details =
	    "Without PATH: a bare sandbox.  With PATH: the repository's\n"
	    "git-tracked files are copied to /root/repo.  With -- COMMAND:\n"
	    "COMMAND runs in the guest and its exit status is banger's.\n"
	    "--branch, --from, --include-untracked and --dry-run need PATH.\n",
	  .flags = vm_run_flags, .operands = op_path, .takes_command = true,
	  .check = check_vm_run },
	{ .group = "vm", .name = "create",
	  .summary = "create a VM without starting it",
	  .flags = vm_create_flags, .verb = "vm-create" },
	{ .group = "vm", .name = "start", .summary = "start a stopped VM",
	  .operands = op_name, .verb = "vm-start" },
	{ .group = "vm", .name = "stop", .summary = "stop a running VM",
	  .operands = op_name, .verb = "vm-stop" },
	{ .group = "vm", .name = "ssh",
	  .summary = "ssh into a VM, or run COMMAND in it",
	  .operands = op_name, .takes_command = true },
	{ .group = "vm", .name = "logs", .summary = "print a VM's console log",
	  .flags = vm_logs_flags, .operands = op_name, .verb = "vm-logs" },
	{ .group = "vm", .name = "list", .summary = "list VMs and their state",
	  .verb = "vm-list", .run = cli_remote,
	  .render = cli_render_vm_list },
	{ .group = "vm", .name = "show",
	  .summary = "show everything about a VM",
	  .operands = op_name, .verb = "vm-show", .run = cli_remote,
	  .render = cli_render_generic },
	{ .group = "vm", .name = "delete",
	  .summary = "delete a VM and its disks",
	  .operands = op_name, .verb = "vm-delete" },
	{ .group = "vm", .name = "prune",
	  .summary = "remove stopped and half-created VMs",
	  .verb = "vm-prune" },
	{ .group = "image", .name = "pull",
	  .summary = "pull a catalog image or an OCI image",
	  .details =
	    "NAME is a catalog name (debian-bookworm) or an OCI reference\n"
	    "(docker.io/library/debian:12).\n",
	  .operands = op_image, .verb = "image-pull",
	  .check = check_image_pull },
	{ .group = "image", .name = "list", .summary = "list local images",
	  .verb = "image-list" },
	{ .group = "image", .name = "register",
	  .summary = "register a local ext4 rootfs as an image",
	  .flags = image_register_flags, .operands = op_register,
	  .verb = "image-register" },
	{ .group = "image", .name = "delete", .summary = "delete a local image",
	  .operands = op_name, .verb = "image-delete" },
	{ .group = "kernel", .name = "pull",
	  .summary = "fetch a kernel bundle from the catalog",
	  .operands = op_name, .verb = "kernel-pull" },
	{ .group = "kernel", .name = "list", .summary = "list local kernels",
	  .verb = "kernel-list" },
	{ .group = "system", .name = "install",
	  .summary = "install and start the host services",
	  .flags = system_install_flags, .check = check_owner },
	{ .group = "system", .name = "status",
	  .summary = "show the state of the host services" },
	{ .group = "system", .name = "restart",
	  .summary = "restart the host services" },
	{ .group = "system", .name = "uninstall",
	  .summary = "remove the host services",
	  .flags = system_uninstall_flags },
	{ .name = "doctor",
	  .summary = "check that this host can run banger",
	  .details =
	    "Runs the doctor helper directly, so it works before banger is\n"
	    "installed.  Exits 1 when a check fails.\n",
	  .verb = "doctor", .run = cli_doctor, .render = cli_render_doctor },
	{ .name = "ssh-config",
	  .summary = "show or install the 'ssh NAME.vm' Include",
	  .flags = ssh_config_flags, .check = check_ssh_config },
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
	  .operands = op_shell, .check = check_completion },
};
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

static const char *const shells[] = { "bash", "zsh", "fish", "powershell" };

/* ---- checks of whole command lines --------------------------------- */

static int
check_vm_run(struct cli_inv *inv)
{
	static const char *const ws[] = { "branch", "from",
	    "include-untracked", "dry-run" };
	size_t k;

	if (inv->nargs > 0)
		return 0;
	for (k = 0; k < sizeof(ws) / sizeof(ws[0]); k++)
		if (cJSON_GetObjectItemCaseSensitive(inv->opts, ws[k]))
			return cli_usage_error(inv->cmd,
			    "--%s applies only to workspace mode: give the "
			    "repository's PATH", ws[k]);
	return 0;
}

/* A catalog name, or an OCI reference: registry/repo[:tag][@digest]. */
static int
check_image_pull(struct cli_inv *inv)
{
	const char *s = inv->args[0];
	size_t k;

	if (bg_name_valid(s))
		return 0;
	for (k = 0; s[k] != '\0'; k++)
		if (!isalnum((unsigned char)s[k]) && !strchr("._-/:@", s[k]))
			break;
	if (s[k] == '\0' && strchr(s, '/') != NULL &&
	    isalnum((unsigned char)s[0]))
		return 0;
	return cli_bad_value("NAME", s, "is neither an image name "
	    "(debian-bookworm) nor an OCI reference "
	    "(docker.io/library/debian:12)");
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
	for (k = 0; s[k] != '\0'; k++)
		if (!isalnum((unsigned char)s[k]) && !strchr("._-", s[k]))
			break;
	if (s[k] != '\0' || k > 32 || s[0] == '-')
		return cli_bad_value("--owner", s, "is not a user name");
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
