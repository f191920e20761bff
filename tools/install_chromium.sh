#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser), if it is missing.
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Playwright's own browser download does not work on our machines, so the tests
# drive the system binary. Exit status: 0 when chromium is present afterwards or
# cannot be installed here (the tests then skip, except under CI=true, where they
# fail); 1 when an install was attempted and failed.
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_chromium: $CHROMIUM missing and not root: cannot apt-get install chromium" \
        "(ask an admin: apt-get install chromium); browser tests will skip"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ ! -f /etc/debian_version ]; then
    echo "install_chromium: $CHROMIUM missing and this is not a Debian-like system" \
        "(no apt-get); browser tests will skip"
    exit 0
fi

echo "install_chromium: installing Debian's chromium with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
if apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
    echo "install_chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
    exit 0
fi
echo "install_chromium: apt-get install chromium failed" >&2
exit 1
