#!/usr/bin/env bash
# The test suite against the extension built with AddressSanitizer + UBSan.
#
#   scripts/sanitize.sh                         # the whole suite
#   scripts/sanitize.sh tests/test_engine.py    # a subset (any pytest arguments)
#
# Copies the tracked files as they are now into a temporary tree (the worktree's
# own build is left alone), builds tls._openssl there with
# -fsanitize=address,undefined (an editable install into its own venv,
# SANITIZE_VENV, default .sanitize/venv) and runs pytest in that copy, with gcc's ASan and UBSan runtimes preloaded (CPython itself is not
# instrumented), Python's allocator switched to malloc so that ASan sees
# every buffer, leak detection off (CPython's interned objects would drown
# it) and the first report fatal.  Fails when pytest fails or when the log
# (SANITIZE_LOG, default .sanitize/pytest.log) holds any sanitizer report,
# including one from a child process that pytest did not notice.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${SANITIZE_VENV:-$root/.sanitize/venv}
log=${SANITIZE_LOG:-$root/.sanitize/pytest.log}
mkdir -p "$(dirname "$log")"

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
if [ ! -f "$asan" ] || [ ! -f "$ubsan" ]; then
    echo "sanitize.sh: gcc's libasan.so / libubsan.so not found (apt-get install gcc)" >&2
    exit 2
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
. "$venv/bin/activate"
python -m pip install -q --upgrade pip

src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
git ls-files -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1"
export CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined"
# editable: the sanitized extension is built inside the copy (src/tls/_openssl*.so), so the
# tests and the Python processes they start (which import src/tls) all load it
python -m pip install -q -e "$src[test]"
unset CFLAGS LDFLAGS

export LD_PRELOAD="$asan:$ubsan"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export PYTHONMALLOC=malloc

module=$(cd "$src" && python -c 'import tls._openssl as m; print(m.__file__)')
if ! ldd "$module" | grep libasan >/dev/null; then  # not grep -q: ldd would die of SIGPIPE under pipefail
    echo "sanitize.sh: $module is not linked with ASan" >&2
    exit 2
fi
[ $# -gt 0 ] || set -- tests
start=$(date +%s)
status=0
# run in the copy: its src/tls holds the sanitized build (test paths are the same there)
(cd "$src" && python -m pytest -q -p no:cacheprovider "$@") 2>&1 | tee "$log" || status=$?
echo "sanitize.sh: pytest exit $status in $(( $(date +%s) - start )) s ($module)"
if grep -q -E "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$log"; then
    echo "sanitize.sh: sanitizer report in $log" >&2
    exit 1
fi
exit "$status"
