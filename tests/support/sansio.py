"""tls.sansio.Connection peers moved by hand: :func:`pump` carries the ciphertext both ways."""
from __future__ import annotations

from typing import Any


def pump(a: Any, b: Any) -> int:
    """Move ciphertext between two sans-IO connections until neither has any; the transfers made.

    A destroyed side sends what it produced before (its last alert) and receives nothing more."""
    moves = 0
    while True:
        moved = False
        for src, dst in ((a, b), (b, a)):
            data = src.dataToSend()
            if data and not dst.destroyed:
                dst.receiveData(data)
                moved = True
                moves += 1
        if not moved:
            return moves
