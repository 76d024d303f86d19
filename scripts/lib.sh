# Sourced by Stillpoint's scripts: JDK selection and package installation.
# shellcheck shell=bash

# Pick a JDK 25 (Temurin 25 under /usr/lib/jvm on these machines). Honour JAVA_HOME if it is 25+.
stillpoint_select_jdk() {
  local cand v
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/javac" ] || continue
    # the JDK's release file names its version without starting a JVM (~50 ms per command)
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$cand/release" 2>/dev/null)
    [ -n "$v" ] || v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$cand"; export PATH="$JAVA_HOME/bin:$PATH"
      # Maven's own jansi/guava trip JDK 25's native-access and Unsafe warnings; silence them.
      export MAVEN_OPTS="${MAVEN_OPTS:---enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}"
      return 0
    fi
  done
  echo "stillpoint: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*)." >&2
  echo "stillpoint: install Temurin 25 or OpenJDK 25 and set JAVA_HOME to it." >&2
  return 1
}

# JIT options for the host command. Chunk ids, AES-GCM and zstd run in native libraries when
# OpenSSL 3's libcrypto.so.3 is installed; the JIT then only compiles glue, and C1 alone saves the
# ~1 CPU-second C2 spends compiling it (4 GiB image, 2 cores: full backup 5.47 -> 5.00 s, changed
# copy 2.27-2.44 -> 2.13-2.15 s, check 3.52-3.64 -> 3.14-3.29 s, restore unchanged). Without
# libcrypto (or with -Dstillpoint.nativeCrypto=false) the JDK's SHA-256 and AES-GCM need C2's
# intrinsics: keep the default then.
stillpoint_jit_opts() {
  case "${JAVA_TOOL_OPTIONS:-} ${STILLPOINT_JAVA_OPTS:-}" in *nativeCrypto=false*) return 0 ;; esac
  # chunk ids are native only when the build made the BLAKE3 library (src/main/native/build-blake3.sh)
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  compgen -G "$root/stillpoint-repository/target/classes/native/*/libstillpoint-blake3.so" >/dev/null || return 0
  # grep reads all of ldconfig's output (no -q): under the launcher's pipefail, grep -q's early exit
  # could kill ldconfig with SIGPIPE now and then, dropping this option (and so keying another AOT cache)
  if /sbin/ldconfig -p 2>/dev/null | grep 'libcrypto\.so\.3 ' >/dev/null; then echo "-XX:TieredStopAtLevel=1"; fi
}

# The JVM options of the host command other than the heap: native access for the FFM code, the
# JIT choice above, and no wait at exit for threads blocked in native code. A command that used a
# socket from a virtual thread (the NBD export behind files/restore --files/verify, the NBD client
# of a backup) leaves the JDK's poller thread in epoll_wait; System.exit then waits 30 x 10 ms for
# it to "block" (HotSpot's UserThreadWaitAttemptsAtExit) before exiting anyway: 0.3 s of every such
# command (restore --files --host-kernel of one file: 1.15-1.29 -> 0.89-0.97 s). Threads in native
# code are stopped at their next transition into the VM, so not waiting is safe.
# The serial collector: G1's set-up costs ~30 ms of every command (restore --files of one file
# 452 -> 422 ms, medians of 8) and buys nothing in a 192 MiB heap whose big buffers are reused
# (1 GiB restore 730 vs 699 ms, 1 GiB image backup 981 vs 1006 ms: the same within noise).
# The launcher and bench/run.sh both start the jar with these.
stillpoint_java_opts() {
  echo "--enable-native-access=ALL-UNNAMED -XX:UserThreadWaitAttemptsAtExit=0 -XX:+UseSerialGC $(stillpoint_jit_opts)"
}

# JDK 25 AOT cache for the host command (JEP 483/514/515: classes loaded and linked ahead of time,
# recorded once per build from a small training backup). Prints the options that use it, creating
# it first when missing or older than the jar; prints nothing (and the JVM starts as usual) when
# that fails or with STILLPOINT_AOT=0. A cache only fits the JVM options it was recorded with, so
# it is keyed by them: pass the exact options the command runs with. Measured: a 1 MiB backup
# 0.55 -> 0.42 s, the changed 4 GiB image of bench/ 1.91 -> 1.75 s (5 runs each), the full 4 GiB
# backup unchanged.
stillpoint_aot_opts() {
  local jar=$1; shift
  [ "${STILLPOINT_AOT:-1}" != 0 ] && [ -f "$jar" ] || return 0
  local key dir cache tmp
  # keyed by the options and the JDK (an updated JDK rejects an old cache)
  key=$( { printf '%s\n' "$@" "$JAVA_HOME"; stat -c %Y "$JAVA_HOME/lib/modules" 2>/dev/null; } | md5sum | cut -c1-12)
  dir="$(dirname "$jar")/aot"
  cache="$dir/stillpoint-$key.aot"
  case "$cache" in *[[:space:]]*) return 0 ;; esac # the option is word-split by the caller
  if [ ! -f "$cache" ] || [ "$jar" -nt "$cache" ]; then
    { mkdir -p "$dir" && [ -w "$dir" ]; } 2>/dev/null || return 0 # e.g. a read-only installation: start without it
    tmp=$(mktemp -d) || return 0
    echo "stillpoint: recording the JVM's AOT cache for this build (once)..." >&2
    find "$dir" -name 'stillpoint-*.aot' ! -newer "$jar" -delete 2>/dev/null # caches of older builds
    { head -c 2097152 /dev/urandom; yes 'stillpoint aot training line' | head -c 2097152; } > "$tmp/image.raw"
    # one JVM runs several commands (dev.stillpoint.cli.AotTraining): init, image backup, snapshots,
    # image restore, check, backups (the catalog) and the option models of restore/files/backup/verify
    if STILLPOINT_PASSWORD=aot-training STILLPOINT_CACHE_DIR="$tmp/cache" STILLPOINT_STATE_DIR="$tmp/state" \
         "$JAVA_HOME/bin/java" "$@" -XX:AOTCacheOutput="$tmp/cache.aot" -cp "$jar" dev.stillpoint.cli.AotTraining \
         "$tmp" "$tmp/image.raw" >/dev/null 2>&1 &&
       [ -s "$tmp/cache.aot" ]; then
      mv -f "$tmp/cache.aot" "$cache"
    fi
    rm -rf "$tmp"
  fi
  [ -f "$cache" ] && echo "-XX:AOTCache=$cache -Xlog:aot=off -Xlog:cds=off"
  return 0
}

# Install Debian packages that are missing. Usage: stillpoint_apt pkg...
stillpoint_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "stillpoint: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    return 1
  fi
  echo "stillpoint: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f /var/lib/apt/periodic/stillpoint-updated ] || ! apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/stillpoint-updated
    apt-get install -y -q "${missing[@]}" >/dev/null
  fi
}

# Packages the tests and the demo need on the host.
STILLPOINT_HOST_PACKAGES=(util-linux e2fsprogs qemu-utils qemu-system-x86 libvirt-daemon-system
  libvirt-clients debootstrap sqlite3 zstd qemu-guest-agent postgresql mariadb-server)
# Native crypto for the repository (libcrypto.so.3 SHA-256, libargon2.so.1 Argon2id); pure Java without them.
STILLPOINT_HOST_PACKAGES+=(libargon2-1 libssl3)
# nbdinfo (libnbd's client) checks the export's block status in the NBD server ITs.
STILLPOINT_HOST_PACKAGES+=(libnbd-bin)
# File-level restore (files, restore --files, mount): the libguestfs appliance and its Java bindings
# (loaded at run time), fusermount for umount and crash recovery; the ITs build their images with guestfish.
STILLPOINT_HOST_PACKAGES+=(libguestfs-tools libguestfs-java fuse3)
# files --host-kernel: qemu-storage-daemon (FUSE export of each disk), losetup and mount; its tests
# build images with sfdisk and check journals with debugfs (e2fsprogs).
STILLPOINT_HOST_PACKAGES+=(qemu-system-common mount fdisk)
# FilesystemProbeIT compares the Java superblock probe with blkid on images these tools make.
STILLPOINT_HOST_PACKAGES+=(xfsprogs btrfs-progs dosfstools)
# What the build needs for the native BLAKE3 (chunk ids of version-3 repositories): a C compiler
# and BLAKE3's upstream C sources as Debian ships them. Without them the jar uses the Java BLAKE3.
STILLPOINT_BUILD_PACKAGES=(gcc libc6-dev librust-blake3-dev)
STILLPOINT_HOST_PACKAGES+=("${STILLPOINT_BUILD_PACKAGES[@]}")

# Start virtlogd and libvirtd when they are not running (nothing starts them here).
stillpoint_start_libvirt() {
  pgrep -x virtlogd >/dev/null || virtlogd -d
  if ! pgrep -x libvirtd >/dev/null; then
    libvirtd -d
    for _ in $(seq 1 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
  fi
}
