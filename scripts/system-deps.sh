#!/usr/bin/env bash
# Installs the system packages EstateDesk needs beside its Python requirements:
#   chromium                             Debian's browser, driven by Playwright in tests/browser
#   fonts-noto-cjk                       a CJK font, so PDFs and screenshots show Chinese
#   libpango-1.0-0 libpangoft2-1.0-0     WeasyPrint (PDF)
#   gettext                              msgfmt, for compilemessages
#   dovecot-imapd                        a real IMAP server, started by tests/mail for the complaint mailbox
#   poppler-utils                        pdftotext and pdffonts, with which the tests read our PDFs
# On Debian/Ubuntu as root it installs what is missing (quick when nothing is). Anywhere else it prints one
# line naming what to install and exits 0.
set -euo pipefail

packages=(chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gettext dovecot-imapd poppler-utils)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    missing=()
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "system-deps: not a Debian system; please install ${missing[*]}, a CJK font (Noto Sans CJK) and Pango 1.44+ yourself"
    fi
    exit 0
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing Debian packages; run: sudo apt-get install -y ${missing[*]}"
    exit 0
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (two test workers may both get here) instead of failing on the lock.
apt_options=(-q -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)
apt-get "${apt_options[@]}" update >/dev/null
apt-get "${apt_options[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: installed ${missing[*]}"
