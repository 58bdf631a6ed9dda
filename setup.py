from setuptools import setup

# The extension module tls._openssl is produced by cffi from src/_tls_build.py
# (out-of-line API mode: compiled once at build time, never at import).
setup(cffi_modules=["src/_tls_build.py:ffibuilder"])
