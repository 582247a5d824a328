#!/bin/sh
# Installs Debian's chromium (and CJK fonts, so Chinese transcripts render in screenshots)
# for the console's browser tests. Playwright's own `playwright install` downloads a browser
# from the internet, which these machines cannot reach; tests launch /usr/bin/chromium.
# Idempotent: does nothing when both are already there.
set -eu

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
if ! (command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"); then
    need="$need fonts-noto-cjk"
fi
if [ -z "$need" ]; then
    echo "install_browser: /usr/bin/chromium and CJK fonts are already installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser: need$need but not running as root." >&2
    echo "  run: sudo apt-get install -y$need   (or run this script as root)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: apt-get not found; install$need with this system's package manager" >&2
    exit 1
fi
echo "install_browser: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $need
/usr/bin/chromium --version
