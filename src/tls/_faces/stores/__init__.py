"""Session stores shared by many server processes (``tls.stores``): layer 6.

* base.py -- what any store does to a tls.Server (``'newSession'`` / ``'resumeSession'`` with a
  deadline, the ticket key ring schedule, counters and events), whatever the backend;
* redis.py -- :class:`RedisSessionStore`, that store on Redis (redis-py is imported when a store is
  made, so importing this package never needs it).
"""
from .base import SessionStore, StoreFailure
from .redis import RedisSessionStore

__all__ = ["RedisSessionStore", "SessionStore", "StoreFailure"]
