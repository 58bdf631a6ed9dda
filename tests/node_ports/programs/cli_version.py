"""The body of Node's test-tls-cli-{min,max}-version-*.js, run by their ports under
``python -m tls run FLAGS``: the defaults the flags set (argv: the expected
``tls.DEFAULT_MAX_VERSION`` and ``DEFAULT_MIN_VERSION``), then
test-tls-min-max-version.js under them (programs/min_max_version.py)."""
import sys

import tls

import min_max_version

assert tls.DEFAULT_MAX_VERSION == sys.argv[1], tls.DEFAULT_MAX_VERSION
assert tls.DEFAULT_MIN_VERSION == sys.argv[2], tls.DEFAULT_MIN_VERSION

# Check the min-max version protocol versions against these CLI settings.
min_max_version.main()
