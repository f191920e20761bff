#!/usr/bin/env bash
# Provision the interpreters of the test matrix that a Debian 12 machine lacks
# (issue 13), for .ci/run. Idempotent and cached on the machine: a second run
# checks what is there (a few seconds) and builds nothing.
#
#   free-threaded 3.13.5t  built by pyenv from Debian trixie's python3.13 source
#                          (its orig tarball is upstream's Python-3.13.5.tar.xz),
#                          fetched with `apt-get source --download-only` through
#                          a private, temporary apt configuration: the machine's
#                          own apt setup is not touched. ~2 min on 2 cores.
#   python3.14, 3.15       Debian sid's binary packages in a debootstrap chroot
#                          at $CONCLAB_PYTHONS/sid (~1-2 min, ~300 MB), called
#                          from the host through wrappers python3.14 and
#                          python3.15 (tools/chroot_python.sh) in
#                          $CONCLAB_PYTHONS/bin, linked into /usr/local/bin.
#
# Usage: tools/provision_pythons.sh [313t] [sid]      (no argument: both)
# The package mirror is read from this machine's apt sources at run time
# (or $CONCLAB_DEBIAN_MIRROR); no mirror address is written to any file that
# stays. Needs root, pyenv (for 3.13t) and apt-get (debootstrap, for the
# chroot, is installed when it is missing).
# Exit status: 0 when everything asked for works afterwards, 1 otherwise.
set -Eeuo pipefail

ROOT=${CONCLAB_PYTHONS:-/opt/conclab-pythons}
CHROOT=$ROOT/sid
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}
FT_VERSION=3.13.5
FT_SOURCE_PACKAGE=python3.13
FT_SUITE=trixie
SID_PACKAGES="python3.14 python3.14-venv python3.15 python3.15-venv"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { echo "provision_pythons: $*"; }
die() { say "FAILED: $*" >&2; exit 1; }

# The first Debian archive of this machine's apt sources (deb822 *.sources or
# one-line *.list), the one serving the installed release (not -security).
debian_mirror() {
    if [ -n "${CONCLAB_DEBIAN_MIRROR:-}" ]; then echo "$CONCLAB_DEBIAN_MIRROR"; return; fi
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 1
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v c="$codename" 'BEGIN { RS = "" }
            { t = u = s = ""; e = "yes"; n = split($0, L, "\n")
              for (i = 1; i <= n; i++) { l = L[i]
                if (l ~ /^[ \t]*#/) continue
                if (l ~ /^Types:/) t = l; if (l ~ /^URIs:/) u = l
                if (l ~ /^Suites:/) s = l; if (l ~ /^Enabled:[ \t]*no/) e = "no" }
              if (e == "yes" && t ~ /[ \t]deb([ \t]|$)/ && s ~ ("[ \t]" c "([ \t]|$)")) {
                sub(/^URIs:[ \t]*/, "", u); split(u, U, /[ \t]+/); print U[1]; exit } }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v c="$codename" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i + 1) == c) { print $i; exit } }' "$f"
    done
}

mirror() {
    local m
    m=$(debian_mirror | head -n 1)
    [ -n "$m" ] || die "no Debian archive found in /etc/apt sources (set CONCLAB_DEBIAN_MIRROR)"
    echo "${m%/}"
}

# --- free-threaded 3.13.5t ---------------------------------------------------

ft_python() { echo "$PYENV_ROOT/versions/${FT_VERSION}t/bin/python${FT_VERSION%.*}t"; }

ft_works() {
    local py
    py=$(ft_python)
    [ -x "$py" ] && "$py" -c 'import sys; sys.exit(sys._is_gil_enabled())' 2>/dev/null
}

# The SHA-256 pyenv's definition expects for Python-X.Y.Z.tar.xz.
pyenv_sha256() {
    local def=$PYENV_ROOT/plugins/python-build/share/python-build/$FT_VERSION
    [ -f "$def" ] || return 0
    sed -n "s/.*Python-$FT_VERSION\.tar\.xz#\([0-9a-f]\{64\}\).*/\1/p" "$def" | head -n 1
}

fetch_ft_tarball() {
    local cache=$1 tmp sha want
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    mkdir -p "$tmp/sources.list.d" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/get"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$(mirror)" "$FT_SUITE" /usr/share/keyrings/debian-archive-keyring.gpg \
        >"$tmp/sources.list.d/src.sources"
    local apt=(apt-get -q -o Dir::Etc::SourceList=/dev/null
        -o "Dir::Etc::SourceParts=$tmp/sources.list.d" -o "Dir::State::Lists=$tmp/lists"
        -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
    say "fetching Debian $FT_SUITE's $FT_SOURCE_PACKAGE source (private apt configuration)"
    "${apt[@]}" update >"$tmp/update.log" 2>&1 || { sed 's#//[^/ ]*#//…#g' "$tmp/update.log" >&2; return 1; }
    (cd "$tmp/get" && "${apt[@]}" source --download-only "$FT_SOURCE_PACKAGE" >/dev/null 2>"$tmp/get.log") ||
        { sed 's#//[^/ ]*#//…#g' "$tmp/get.log" >&2; return 1; }
    local orig="$tmp/get/${FT_SOURCE_PACKAGE}_$FT_VERSION.orig.tar.xz"
    [ -f "$orig" ] || { say "no ${orig##*/} in the source package: $(ls "$tmp/get")" >&2; return 1; }
    sha=$(sha256sum "$orig" | cut -d' ' -f1)
    want=$(pyenv_sha256)
    [ -n "$want" ] && [ "$sha" = "$want" ] ||
        { say "${orig##*/} has SHA-256 $sha, pyenv expects ${want:-?}" >&2; return 1; }
    mkdir -p "$cache"
    cp "$orig" "$cache/Python-$FT_VERSION.tar.xz"
    say "Python-$FT_VERSION.tar.xz in pyenv's cache (SHA-256 matches pyenv's definition)"
}

provision_ft() {
    if ft_works; then say "${FT_VERSION}t: $(ft_python) (cached)"; return 0; fi
    command -v pyenv >/dev/null || [ -x "$PYENV_ROOT/bin/pyenv" ] || die "pyenv is not installed"
    local pyenv=pyenv
    command -v pyenv >/dev/null || pyenv=$PYENV_ROOT/bin/pyenv
    local cache=$PYENV_ROOT/cache start=$SECONDS
    [ -f "$cache/Python-$FT_VERSION.tar.xz" ] || fetch_ft_tarball "$cache" || die "could not fetch the source"
    say "building ${FT_VERSION}t with pyenv (about 2 minutes on 2 cores)"
    local log
    log=$(mktemp)
    if ! PYENV_ROOT=$PYENV_ROOT "$pyenv" install --skip-existing "${FT_VERSION}t" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        die "pyenv install ${FT_VERSION}t failed"
    fi
    rm -f "$log"
    ft_works || die "$(ft_python) does not run with the GIL off"
    say "${FT_VERSION}t: $(ft_python) (built in $((SECONDS - start)) s)"
}

# --- Debian sid chroot with 3.14 and 3.15 -------------------------------------

# Run a command inside the chroot, in a private mount namespace (the mounts
# vanish with it), with the apt sources given only for its duration.
in_chroot() {
    unshare --mount --propagation private /bin/sh -c '
        root=$1; shift
        mount --bind /proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount --bind /dev/shm "$root/dev/shm"
        mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
        exec chroot "$root" "$@"' in_chroot "$CHROOT" "$@"
}

# apt-get inside the chroot: each argument is one apt-get command line, run in
# order; the sources list exists only while they run.
chroot_apt() {
    local list=$CHROOT/etc/apt/sources.list rc=0 cmd
    printf 'deb %s sid main\n' "$(mirror)" >"$list"
    for cmd in "$@"; do
        # shellcheck disable=SC2086
        in_chroot env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
            apt-get -q -o Acquire::Check-Valid-Until=false $cmd || { rc=$?; break; }
    done
    # Nothing in the chroot keeps the mirror's address.
    : >"$list"
    rm -rf "$CHROOT"/var/lib/apt/lists/* "$CHROOT"/var/cache/apt/*.bin "$CHROOT"/var/cache/apt/archives/*.deb
    return $rc
}

sid_works() {
    local v
    for v in 3.14 3.15; do
        [ -x "$ROOT/bin/python$v" ] || return 1
        "$ROOT/bin/python$v" -c 'import ensurepip, venv' 2>/dev/null || return 1
    done
}

install_wrappers() {
    mkdir -p "$ROOT/bin"
    local v
    for v in 3.14 3.15; do
        sed -e "s|@CHROOT@|$CHROOT|" -e "s|@VERSION@|$v|" "$HERE/chroot_python.sh" \
            >"$ROOT/bin/python$v.new"
        chmod 755 "$ROOT/bin/python$v.new"
        mv "$ROOT/bin/python$v.new" "$ROOT/bin/python$v"
        # Inside the chroot the same path is the interpreter itself (a hard
        # link, not a symlink: sys.executable and sys._base_executable stay
        # /usr/local/bin/python3.X), so a venv made through the wrapper (its
        # python -> /usr/local/bin/python3.X) and tools that look for the
        # "system" interpreter (nox's python-discovery) work on both sides.
        ln -fn "$CHROOT/usr/bin/python$v" "$CHROOT/usr/local/bin/python$v"
        local host=/usr/local/bin/python$v
        if [ ! -e "$host" ] || [ "$(readlink "$host")" = "$ROOT/bin/python$v" ]; then
            ln -sfn "$ROOT/bin/python$v" "$host"
        else
            say "left $host alone (not ours); use $ROOT/bin/python$v"
        fi
    done
}

provision_sid() {
    if [ -f "$CHROOT/.conclab-complete" ] && sid_works; then
        install_wrappers
        say "3.14, 3.15: $("$ROOT/bin/python3.14" -V), $("$ROOT/bin/python3.15" -V) in $CHROOT (cached)"
        return 0
    fi
    if ! command -v debootstrap >/dev/null; then
        # A fresh Debian machine lacks it; main() has checked that we are root.
        command -v apt-get >/dev/null || die "debootstrap is not installed and there is no apt-get"
        say "apt-get install debootstrap (the host's own packages)"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                debootstrap >/dev/null \
            || die "apt-get install debootstrap failed"
        command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
    fi
    local start=$SECONDS log
    log=$(mktemp)
    if [ ! -f "$CHROOT/.conclab-debootstrap" ]; then
        rm -rf "$CHROOT"
        mkdir -p "$CHROOT"
        say "debootstrap --variant=minbase sid into $CHROOT (about a minute, ~300 MB)"
        if ! debootstrap --variant=minbase sid "$CHROOT" "$(mirror)" >"$log" 2>&1; then
            tail -n 20 "$log" | sed 's#//[^/ ]*#//…#g' >&2
            rm -f "$log"
            die "debootstrap failed"
        fi
        : >"$CHROOT/etc/apt/sources.list"
        rm -rf "$CHROOT"/var/lib/apt/lists/* "$CHROOT/debootstrap" "$CHROOT/var/log/bootstrap.log"
        touch "$CHROOT/.conclab-debootstrap"
    fi
    say "apt-get install $SID_PACKAGES (inside the chroot)"
    if ! chroot_apt update "install -y --no-install-recommends $SID_PACKAGES" >"$log" 2>&1; then
        tail -n 20 "$log" | sed 's#//[^/ ]*#//…#g' >&2
        rm -f "$log"
        die "apt-get inside the chroot failed"
    fi
    rm -f "$log"
    install_wrappers
    sid_works || die "python3.14/python3.15 do not run through the wrappers"
    touch "$CHROOT/.conclab-complete"
    say "3.14, 3.15: $("$ROOT/bin/python3.14" -V), $("$ROOT/bin/python3.15" -V)" \
        "in $CHROOT ($(du -sm "$CHROOT" | cut -f1) MB, made in $((SECONDS - start)) s)"
}

main() {
    [ "$(id -u)" = 0 ] || die "needs root (pyenv's cache, debootstrap, chroot)"
    local what=("$@")
    [ ${#what[@]} -gt 0 ] || what=(313t sid)
    mkdir -p "$ROOT"
    # One provisioning at a time on this machine: a second caller waits.
    exec 9>"$ROOT/.lock"
    flock 9
    local w
    for w in "${what[@]}"; do
        case $w in
        313t) provision_ft ;;
        sid) provision_sid ;;
        *) die "unknown part '$w' (313t, sid)" ;;
        esac
    done
}

main "$@"
