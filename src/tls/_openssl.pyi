# Stub for the cffi extension module built by src/_tls_build.py: its ffi and lib
# objects are dynamic (every declared C function, constant and type lives on them).
from typing import Any

ffi: Any
lib: Any
