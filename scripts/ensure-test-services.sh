#!/usr/bin/env bash
# Makes sure the system tools the tests use are present: PostgreSQL 15 (results store tests),
# Chromium (reviewer page screenshots), poppler-utils (pdftoppm), Tesseract with its English data
# (OCR of scanned pages). Given package names as arguments, it ensures only those. Idempotent, and
# never fails the build: when it cannot install, it says so, and what needs a missing tool skips or
# says what it could not do.
set -u

PACKAGES=(postgresql chromium poppler-utils tesseract-ocr tesseract-ocr-eng)
if [ "$#" -gt 0 ]; then
    PACKAGES=("$@")
fi

note() { echo "ensure-test-services: $*"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v apt-get >/dev/null 2>&1; then
    note "no apt-get on this machine; not installing ${PACKAGES[*]}"
    exit 0
fi

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    note "already installed: ${PACKAGES[*]}"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    note "not root, cannot install ${missing[*]}; tests needing them will be skipped"
    exit 0
fi

note "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_get=(apt-get -o DPkg::Lock::Timeout=120)
if "${apt_get[@]}" update -qq && "${apt_get[@]}" install -y -qq "${missing[@]}"; then
    note "installed ${missing[*]}"
else
    note "could not install ${missing[*]} (apt-get output above); tests needing them will be skipped"
fi
exit 0
