#!/usr/bin/env bash
# Install Debian's Chromium (and fonts) for the browser tests in tests/browser.
# Idempotent: installs only what is missing, does nothing when all is there.
#
# Playwright's own browser download does not work on our machines, so the tests
# drive the system binary /usr/bin/chromium. Exit status: 0 when Chromium is
# there afterwards, or when it cannot be installed here (not root, not
# Debian-like: the tests then skip with that reason, except under CI=true, where
# they fail); 1 when an install was attempted and failed.
set -u

CHROMIUM=/usr/bin/chromium
# The fonts make screenshots show what a person sees (text, and the emoji in
# the panels' status lines).
PACKAGES="chromium fonts-dejavu-core fonts-noto-color-emoji"

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v apt-get >/dev/null 2>&1 || [ ! -f /etc/debian_version ]; then
    if [ -x "$CHROMIUM" ]; then
        echo "install_chromium: $CHROMIUM present (not a Debian-like system: fonts not checked)"
        exit 0
    fi
    echo "install_chromium: $CHROMIUM missing and this is not a Debian-like system" \
        "(no apt-get): the browser tests will skip"
    exit 0
fi

missing=""
for package in $PACKAGES; do
    installed "$package" || missing="$missing $package"
done
if [ -z "$missing" ] && [ -x "$CHROMIUM" ]; then
    echo "install_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    if [ -x "$CHROMIUM" ]; then
        echo "install_chromium: not root, cannot install${missing} (screenshots may lack glyphs)"
        exit 0
    fi
    echo "install_chromium: $CHROMIUM missing and not root: cannot apt-get install chromium" \
        "(as root: apt-get install chromium); the browser tests will skip"
    exit 0
fi

echo "install_chromium: apt-get install${missing} ..."
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # $missing is a list of package names
if apt-get update -q >/dev/null \
    && apt-get install -y -q --no-install-recommends $missing >/dev/null; then
    if [ -x "$CHROMIUM" ]; then
        echo "install_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
        exit 0
    fi
fi
echo "install_chromium: apt-get install${missing} failed" >&2
exit 1
