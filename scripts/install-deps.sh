#!/bin/sh
# Install what coffre needs to build, test and run on Debian 12.
# The one list of dependencies; idempotent: does nothing when all are present.
set -eu

# Build: compiler and libraries (found with pkg-config).
BUILD_PKGS="gcc make pkg-config libsodium-dev libssl-dev libsqlite3-dev libmicrohttpd-dev
libarchive-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev"
# Tests and interop: the reference tools our formats must agree with,
# clang and its sanitizer/libFuzzer runtime for the fuzz targets (only a
# "Recommends" of clang, so named here), poppler for the PDF payslip hook,
# wrk for benchmarks, valgrind for `make valgrind-integration` in CI.
TEST_PKGS="age minisign curl libarchive-tools sqlite3 unzip clang
libclang-rt-14-dev poppler-utils python3 wrk valgrind"

missing=""
for p in $BUILD_PKGS $TEST_PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
