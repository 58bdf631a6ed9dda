#!/usr/bin/env bash
# Build a static OpenSSL 3 (no-shared) into PREFIX for the binary wheels.
#
#   scripts/build_openssl.sh PREFIX                 Linux (manylinux / musllinux containers)
#   scripts/build_openssl.sh PREFIX universal2      macOS: x86_64 + arm64, lipo'ed into fat .a
#
# Then build with TLS_OPENSSL_STATIC=1 TLS_OPENSSL_PREFIX=PREFIX (src/_tls_build.py).
# cibuildwheel's before-all runs it (pyproject.toml [tool.cibuildwheel]).
#
# Environment:
#   OPENSSL_VERSION / OPENSSL_SHA256   the release and its tarball's sha256 (pinned below)
#   OPENSSL_TARBALL                    a local copy of the tarball (no download; still checked)
#   OPENSSL_OPENSSLDIR                 compiled-in OPENSSLDIR (default /usr/local/ssl: root-owned
#                                      where it exists, and never read for the trust store,
#                                      see docs/wheels.md "CA store")
#   JOBS                               parallel make jobs
set -euo pipefail

PREFIX="${1:?usage: build_openssl.sh PREFIX [universal2]}"
MODE="${2:-native}"
# 3.0.x: the OpenSSL line Node 20 bundles and the test suite is green with.  Also
# checked here: OPENSSL_VERSION=3.5.7 OPENSSL_SHA256=a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8
# (builds and passes the wheel check, but 13 tests expect 3.0's alert strings,
# default groups and protocol limits; see docs/wheels.md).
OPENSSL_VERSION="${OPENSSL_VERSION:-3.0.22}"
OPENSSL_SHA256="${OPENSSL_SHA256:-67ebca7e50d17383028045486653492195b83db95f8558709701bb47b5c1ef81}"
OPENSSLDIR="${OPENSSL_OPENSSLDIR:-/usr/local/ssl}"
URL="https://github.com/openssl/openssl/releases/download/openssl-${OPENSSL_VERSION}/openssl-${OPENSSL_VERSION}.tar.gz"
JOBS="${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/openssl-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [ -f "$PREFIX/lib/libcrypto.a" ] && [ -f "$PREFIX/include/openssl/opensslv.h" ] \
        && grep -q "OPENSSL_FULL_VERSION_STR \"${OPENSSL_VERSION}\"" "$PREFIX/include/openssl/opensslv.h"; then
    echo "OpenSSL ${OPENSSL_VERSION} already in $PREFIX"
    exit 0
fi

TARBALL="${OPENSSL_TARBALL:-$WORK/openssl-${OPENSSL_VERSION}.tar.gz}"
if [ ! -f "$TARBALL" ]; then
    echo "downloading $URL"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 5 --retry-delay 5 -o "$TARBALL" "$URL"
    else
        wget -q -O "$TARBALL" "$URL"
    fi
fi
if command -v sha256sum >/dev/null 2>&1; then
    GOT=$(sha256sum "$TARBALL" | cut -d' ' -f1)
else
    GOT=$(shasum -a 256 "$TARBALL" | cut -d' ' -f1)
fi
if [ "$GOT" != "$OPENSSL_SHA256" ]; then
    echo "sha256 mismatch for $TARBALL: $GOT, expected $OPENSSL_SHA256" >&2
    exit 1
fi
echo "sha256 ok: $GOT"

# Static libraries only, providers built in (no-module: nothing is loaded from
# a directory of the build machine), no tests; only the libraries are built
# and installed (build_libs, install_dev), no apps or docs.
COMMON=(no-shared no-module no-tests --libdir=lib "--openssldir=$OPENSSLDIR")

build_one() {  # build_one DEST [Configure target and flags...]
    local dest="$1"; shift
    rm -rf "$WORK/src" && mkdir -p "$WORK/src"
    tar -xzf "$TARBALL" -C "$WORK/src" --strip-components=1
    (
        cd "$WORK/src"
        "$@" "${COMMON[@]}" "--prefix=$dest" >"$WORK/configure.log" 2>&1 \
            || { tail -30 "$WORK/configure.log" >&2; exit 1; }
        grep -E "^(Configuring|    (target|CC|CFLAGS))" "$WORK/configure.log" || true
        make -j"$JOBS" build_libs >"$WORK/make.log" 2>&1 || { tail -40 "$WORK/make.log" >&2; exit 1; }
        make install_dev >"$WORK/install.log" 2>&1 || { tail -20 "$WORK/install.log" >&2; exit 1; }
    )
}

case "$MODE" in
    native)
        # ./config picks the target (linux-x86_64, linux-aarch64, musl too); -fPIC
        # because the archives end up inside a shared object
        build_one "$PREFIX" ./config -fPIC
        ;;
    universal2)
        build_one "$PREFIX.x86_64" ./Configure darwin64-x86_64-cc enable-ec_nistp_64_gcc_128 \
            -mmacosx-version-min="${MACOSX_DEPLOYMENT_TARGET_X86_64:-10.13}"
        build_one "$PREFIX.arm64" ./Configure darwin64-arm64-cc -mmacosx-version-min=11.0
        rm -rf "$PREFIX" && mkdir -p "$PREFIX/lib"
        cp -R "$PREFIX.arm64/include" "$PREFIX/include"
        diff -r "$PREFIX.arm64/include" "$PREFIX.x86_64/include" \
            || echo "note: the headers of the two architectures differ (arm64's are used)"
        for lib in libssl.a libcrypto.a; do
            lipo -create "$PREFIX.x86_64/lib/$lib" "$PREFIX.arm64/lib/$lib" -output "$PREFIX/lib/$lib"
            lipo -info "$PREFIX/lib/$lib"
        done
        rm -rf "$PREFIX.x86_64" "$PREFIX.arm64"
        ;;
    *)
        echo "unknown mode $MODE (native or universal2)" >&2
        exit 2
        ;;
esac

ls -l "$PREFIX/lib/libssl.a" "$PREFIX/lib/libcrypto.a"
grep -E "define OPENSSL_FULL_VERSION_STR" "$PREFIX/include/openssl/opensslv.h"
echo "static OpenSSL ${OPENSSL_VERSION} in $PREFIX (OPENSSLDIR $OPENSSLDIR)"
