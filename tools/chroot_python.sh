#!/bin/sh
# python@VERSION@ from the Debian sid chroot @CHROOT@, callable from the host.
# Installed by tools/provision_pythons.sh (this file is its template).
#
# Each call enters the chroot in a private mount namespace (its mounts vanish
# when the call ends) with these host paths bind-mounted at the same paths, so
# that paths and the working directory mean the same on both sides:
#   /proc /sys /dev (/dev/shm with it) /tmp $TMPDIR, the git repository
#   around the working directory (or the directory itself) and around each
#   argument that is an existing absolute path, the venv the
#   interpreter was called from, each entry of $CONCLAB_CHROOT_BIND
#   (colon-separated), and the machine's pip configuration (/etc/pip.conf,
#   /etc/xdg/pip; the PIP_* environment passes through as is).
# Called through a symlink (a venv's bin/python made by this wrapper), it runs
# that same path inside the chroot, where it leads to the real interpreter.
# Needs root (unshare, chroot).
exec unshare --mount --propagation private /bin/sh -c '
root=$1 version=$2 self=$3
shift 3
bound=""
covered() {
    for b in $bound; do
        case $1/ in "$b"/*) return 0 ;; esac
    done
    return 1
}
bind() {
    src=$1
    case $src in /* ) ;; *) return 0 ;; esac
    [ -e "$src" ] || return 0
    case $src/ in
    /|//|/usr/*|/bin/*|/sbin/*|/lib*|/etc/*|/var/*|/boot/*) return 0 ;;
    esac
    covered "$src" && return 0
    mkdir -p "$root$src" && mount --bind "$src" "$root$src" && bound="$bound $src"
}
bind_file() {
    [ -e "$1" ] || return 0
    if [ -d "$1" ]; then mkdir -p "$root$1"; else
        mkdir -p "$root${1%/*}"; [ -e "$root$1" ] || : >"$root$1"; fi
    mount --bind "$1" "$root$1"
}
mount --bind /proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
for f in /etc/hosts /etc/pip.conf /etc/xdg/pip /etc/ssl/certs; do bind_file "$f"; done
bind /tmp
bind "${TMPDIR:-/tmp}"
# The git repository around a path if there is one, else its directory.
bind_tree() {
    d=$1
    [ -d "$d" ] || d=${d%/*}
    [ -n "$d" ] && [ -d "$d" ] || return 0
    r=$d
    while [ "$r" != / ] && [ ! -e "$r/.git" ]; do r=${r%/*}; [ -n "$r" ] || r=/; done
    if [ "$r" = / ]; then bind "$d"; else bind "$r"; fi
}
bind_tree "$PWD"
for a in "$@"; do
    case $a in /?*) [ -e "$a" ] && bind_tree "$a" ;; esac
done
case $self in
*/bin/*) venv=${self%/bin/*}; [ -f "$venv/pyvenv.cfg" ] && bind "$venv" ;;
esac
# Local package indexes and wheel directories named by the pip configuration
# (file:// URLs or paths), so that pip inside sees what pip outside sees.
for u in $(sed -n "s/^[[:space:]]*\(find-links\|index-url\|extra-index-url\)[[:space:]]*=//p" \
        /etc/pip.conf /etc/xdg/pip/pip.conf 2>/dev/null) \
        ${PIP_FIND_LINKS:-} ${PIP_INDEX_URL:-} ${PIP_EXTRA_INDEX_URL:-}; do
    case $u in file://*) u=${u#file://} ;; /*) ;; *) continue ;; esac
    case $u in */simple | */simple/) u=${u%/}; u=${u%/simple} ;; esac
    bind "$u"
done
old_ifs=$IFS
IFS=:
for p in ${CONCLAB_CHROOT_BIND:-}; do IFS=$old_ifs; bind "$p"; done
IFS=$old_ifs
PATH=$PATH:/usr/local/bin:/usr/bin:/bin
export PATH
exec chroot "$root" /bin/sh -c "
    cd \"\$1\" 2>/dev/null || cd /
    self=\$2
    shift 2
    [ -x \"\$self\" ] || self=/usr/bin/python$version
    exec \"\$self\" \"\$@\"" chroot-python "$PWD" "$self" "$@"
' chroot-python "@CHROOT@" "@VERSION@" "$0" "$@"
