#!/usr/bin/env bash
# Builds libstillpoint-blake3.so (chunk ids of version-3 repositories) into
#   OUT_DIR/native/linux-<arch>/
# from BLAKE3's upstream C sources, which Debian ships in librust-blake3-dev
# (/usr/share/cargo/registry/blake3-*/c; BLAKE3_C_SOURCES=DIR overrides). Called by Maven in
# generate-resources; the jar carries the library and NativeBlake3 loads it. Without a C compiler
# or the sources it builds nothing and says so: ids then use the pure-Java BLAKE3 (same bytes,
# ~4x slower), so this never fails the build.
set -euo pipefail
out=${1:?usage: build-blake3.sh OUT_DIR}
here="$(cd "$(dirname "$0")" && pwd)"
src=${BLAKE3_C_SOURCES:-$(ls -d /usr/share/cargo/registry/blake3-*/c 2>/dev/null | sort -V | tail -1 || true)}
case "$(uname -m)" in
  x86_64) arch=x86_64 ;;
  aarch64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
dir="$out/native/linux-$arch"
lib="$dir/libstillpoint-blake3.so"
if [ -z "$src" ] || [ ! -f "$src/blake3.h" ] || ! command -v cc >/dev/null; then
  echo "[WARNING] stillpoint: no native BLAKE3 (needs cc and librust-blake3-dev: apt-get install gcc librust-blake3-dev);" \
       "chunk ids use the pure-Java BLAKE3" >&2
  exit 0
fi
# up to date: newer than our wrapper, this script and the sources
if [ -f "$lib" ] && [ -z "$(find "$here" "$src" -newer "$lib" -print -quit)" ]; then exit 0; fi
mkdir -p "$dir"
files=("$here/stillpoint_blake3.c" "$src/blake3.c" "$src/blake3_dispatch.c" "$src/blake3_portable.c")
flags=()
case "$arch" in
  x86_64) files+=("$src"/blake3_{sse2,sse41,avx2,avx512}_x86-64_unix.S) ;;
  aarch64) files+=("$src/blake3_neon.c"); flags+=(-DBLAKE3_USE_NEON=1) ;;
  *) flags+=(-DBLAKE3_NO_SSE2 -DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 -DBLAKE3_NO_AVX512) ;;
esac
if ! cc -O3 -shared -fPIC -fvisibility=default -Wl,-z,noexecstack "${flags[@]}" -I"$src" -o "$lib.tmp" "${files[@]}"; then
  # e.g. gcc without libc6-dev (--no-install-recommends): warn, do not fail the build
  rm -f "$lib.tmp"
  echo "[WARNING] stillpoint: cc could not build the native BLAKE3 from $src (needs gcc, libc6-dev, librust-blake3-dev);" \
       "chunk ids use the pure-Java BLAKE3" >&2
  exit 0
fi
mv -f "$lib.tmp" "$lib"
echo "stillpoint: built $lib from $src" >&2
