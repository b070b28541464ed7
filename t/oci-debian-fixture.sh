# shellcheck shell=sh
# t/oci-debian-fixture.sh — a Debian 12 tree with systemd, dbus and
# openssh-server (debootstrap --variant=minbase), built once into
# build/cache/oci-debian-<key> under a flock, for the tests that boot
# container-like Debian images (t/2220, t/2300).  Sourced after
# t/lib.sh, as root.
#
#   oci_debian_tree   OCI_DEBIAN=<dir>/root, or 1 with OCI_DEBIAN_WHY
#                     saying what is missing (a skip, not a failure);
#                     2 when debootstrap failed (its log's tail shown).
OCI_DEBIAN=
OCI_DEBIAN_WHY=

oci_debian_tree() {
	_c=$TOP/build/cache
	_pkgs=systemd,systemd-sysv,dbus,openssh-server
	_key=$(echo "debootstrap --variant=minbase --include=$_pkgs bookworm" |
	    sha256sum | cut -c1-12)
	_d=$_c/oci-debian-$_key
	if ! command -v debootstrap >/dev/null || ! command -v flock >/dev/null; then
		OCI_DEBIAN_WHY='needs debootstrap and flock'
		return 1
	fi
	if [ ! -d "$_d/root" ]; then
		mkdir -p "$_c"
		exec 9>"$_c/.oci-debian.lock"
		flock -w 1800 9 || {
			OCI_DEBIAN_WHY="timed out waiting for $_c/.oci-debian.lock"
			exec 9>&-
			return 2
		}
		if [ ! -d "$_d/root" ]; then
			rm -rf --one-file-system "$_c"/.oci-debian-build.* "$_c"/oci-debian-*
			echo "# debootstrap of the Debian images' tree into $_d (once; about 50 s)"
			_b=$(mktemp -d "$_c/.oci-debian-build.XXXXXX") &&
			    debootstrap --variant=minbase --include=$_pkgs bookworm "$_b/root" \
			    http://deb.debian.org/debian >"$_b/log" 2>&1 &&
			    mv "$_b" "$_d" || {
				tail -n 20 "$_b/log" | sed 's/^/# /'
				rm -rf --one-file-system "$_b"
				OCI_DEBIAN_WHY='debootstrap failed'
				exec 9>&-
				return 2
			}
		fi
		exec 9>&-
	fi
	OCI_DEBIAN=$_d/root
}
