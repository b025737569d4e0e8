#!/usr/bin/env bash
# Builds the newest OpenSSL that Debian 13 (trixie) ships and the mirror carries, from its source
# package's upstream tarball, into PREFIX (default /var/cache/vtps-bench/openssl-trixie), for the
# benchmark that runs vtpsd on it beside vtpsd on bookworm's OpenSSL 3.0
# (run_openssl_version_bench.sh, docs/performance.md).
# vtps itself builds and ships on bookworm's OpenSSL 3.0; this library is for measurement only.
#
# The tarball is checked through Debian's chain of trust: the trixie InRelease signature (gpgv,
# the installed debian-archive-keyring), the SHA-256 of main/source/Sources.xz in it, and the
# SHA-256 of the tarball in that Sources index. Idempotent: an existing build of the same version
# is kept. Prints the prefix on its last line.
#   tests/bench/build_openssl_trixie.sh [PREFIX]
set -euo pipefail
prefix="${1:-/var/cache/vtps-bench/openssl-trixie}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

curl -fsS -o "$work/InRelease" "$mirror/dists/trixie/InRelease"
gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>/dev/null ||
  { echo "trixie InRelease: bad or missing signature" >&2; exit 1; }
sources_sha=$(awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 }
                   s && $3 == "main/source/Sources.xz" { print $1 }' "$work/Release")
[ -n "$sources_sha" ] || { echo "no main/source/Sources.xz in trixie's Release" >&2; exit 1; }
curl -fsS -o "$work/Sources.xz" "$mirror/dists/trixie/main/source/Sources.xz"
echo "$sources_sha  $work/Sources.xz" | sha256sum -c --quiet -

# The openssl sources in the index, newest first: version, directory, tarball SHA-256 and name.
# The index can name a version before the mirror carries its files, so the first that downloads
# is built.
mapfile -t candidates < <(xz -dc "$work/Sources.xz" | awk '
  /^Package: / { pkg = $2 } /^$/ { pkg = "" }
  pkg == "openssl" && /^Version:/ { v = $2 }
  pkg == "openssl" && /^Directory:/ { d[v] = $2 }
  pkg == "openssl" && /^Checksums-Sha256:/ { c = 1; next }
  c && /^ / { if ($3 ~ /\.orig\.tar\.gz$/) { sha[v] = $1; name[v] = $3 } next }
  { c = 0 }
  END { for (v in name) print v, d[v], sha[v], name[v] }' | sort -rV)
[ ${#candidates[@]} -gt 0 ] || { echo "no openssl source in trixie's Sources" >&2; exit 1; }

version=
for candidate in "${candidates[@]}"; do
  read -r v dir sha name <<<"$candidate"
  if [ -f "$prefix/lib/libssl.so.3" ] && [ "$(cat "$prefix/VERSION" 2>/dev/null)" = "$v" ]; then
    echo "OpenSSL from Debian $v already built in $prefix" >&2
    echo "$prefix"
    exit 0
  fi
  if curl -fsS -o "$work/$name" "$mirror/$dir/$name" 2>/dev/null; then
    echo "$sha  $work/$name" | sha256sum -c --quiet -
    version=$v
    tar_name=$name
    break
  fi
  echo "Debian $v: $name not on the mirror yet" >&2
done
[ -n "$version" ] || { echo "no openssl tarball of trixie's index could be fetched" >&2; exit 1; }
upstream="${tar_name#openssl_}"
upstream="${upstream%.orig.tar.gz}"
echo "building OpenSSL $upstream from Debian $version into $prefix (a few minutes)" >&2
tar -C "$work" -xzf "$work/$tar_name"
rm -rf "$prefix"
(
  cd "$work/openssl-$upstream"
  # The system's configuration directory, so the default CA store and openssl.cnf are the same
  # as the system library's.
  ./Configure --prefix="$prefix" --libdir=lib --openssldir=/usr/lib/ssl shared no-tests no-docs
  make -j"$(nproc)" build_sw
  make install_sw
) >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
echo "$version" >"$prefix/VERSION"
echo "$prefix"
