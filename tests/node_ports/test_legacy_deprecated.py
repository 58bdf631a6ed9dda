"""Port of test/parallel/test-tls-legacy-deprecated.js.

tls.createSecurePair() warns with Node's DEP0064 DeprecationWarning, once
per process (Node's util.deprecate).
"""
import warnings

import tls
from tls._objects import legacy as _legacy


def test_legacy_deprecated(monkeypatch):
    monkeypatch.setattr(_legacy, "_warned", False)

    def main():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pair = tls.createSecurePair()
            tls.createSecurePair().destroy()   # the second call does not warn again
        pair.destroy()
        return caught

    caught = tls.run(main)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    warning = deprecations[0].message
    assert str(warning) == "tls.createSecurePair() is deprecated. Please use tls.TLSSocket instead."
    assert warning.code == "DEP0064"
    assert deprecations[0].filename == __file__   # points at the caller
