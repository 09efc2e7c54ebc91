#!/bin/sh
# The two images deploy/debian/compose.yaml builds on, from Debian's packages alone (no image
# registry): the base, debootstrap's minimal bookworm with its security updates imported in
# podman, and on it Python (python.Containerfile) for deploy/Dockerfile's PYTHON_IMAGE.
#   deploy/debian/base-images.sh [--refresh]
# Needs root, debootstrap and podman. The machine's own certificate authorities
# (/usr/local/share/ca-certificates: a company's HTTPS proxy) are trusted in the images too.
# The root file system is kept as a tarball under the machine's cache folder ($XDG_CACHE_HOME
# or ~/.cache, when it exists) and reused for 30 days; a base image already in podman's
# storage is reused as it is (--refresh makes both anew).
set -eu

IMAGE=localhost/rencontres-debian/base:bookworm
PYTHON=localhost/rencontres-debian/python:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
refresh=${1:-}
cd "$(dirname "$0")"

python_image() {
	podman build --quiet --tag "$PYTHON" --file python.Containerfile . >/dev/null
	echo "$PYTHON: built"
}

if [ "$refresh" != "--refresh" ] && podman image exists "$IMAGE"; then
	echo "$IMAGE: already built"
	python_image
	exit 0
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -d "$cache" ]; then
	mkdir -p "$cache/rencontres"
	tarball=$cache/rencontres/debian-bookworm-minbase.tar.gz
else
	tarball=$work/debian-bookworm-minbase.tar.gz
fi

if [ "$refresh" = "--refresh" ] || [ -z "$(find "$tarball" -mtime -30 2>/dev/null)" ]; then
	echo "debootstrap bookworm from $MIRROR (about a minute)"
	debootstrap --variant=minbase bookworm "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log"; exit 1; }
	cat >"$work/root/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
SOURCES
	cp -r /usr/local/share/ca-certificates/. "$work/root/usr/local/share/ca-certificates/" \
		2>/dev/null || true
	# As in Debian's own container images: no recommends, no package cache or lists kept.
	printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
		>"$work/root/etc/apt/apt.conf.d/90rencontres"
	chroot "$work/root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get upgrade -qq -y && apt-get clean && rm -rf /var/lib/apt/lists/*' \
		>"$work/upgrade.log" 2>&1 || { tail -20 "$work/upgrade.log"; exit 1; }
	tar -C "$work/root" -czf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi
podman import --quiet --change 'CMD ["/bin/bash"]' "$tarball" "$IMAGE" >/dev/null
echo "$IMAGE: imported from $tarball"
python_image
