"""At most N calls in flight to one account and region (`--max-per-account N`).

AWS throttles each account and region on its own, so a scan of many accounts is bounded per account and
region, not as a whole. In one process a semaphore per key does it; across Celery workers, a sorted set
per key in Redis (or Valkey) whose members are the holders' tokens scored by when they took the slot: a
holder that died without giving its slot back (a worker killed mid-call) is forgotten after `lease`
seconds, so a crash never shrinks the limit for good.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import Any

LEASE_SECONDS = 120.0  # longer than any one call with its connect and read timeouts (60 s each by default)
_KEY_PREFIX = "lineage:calls:"

# KEYS[1] the set of holders; ARGV: limit, token, now, lease. Expired holders go first; 1 when a slot was taken.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])) * 2)
  return 1
end
return 0
"""


class ThreadLimiter:
    """The limit within this process: one bounded semaphore per account and region."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def _semaphore(self, key: str) -> threading.BoundedSemaphore:
        with self._lock:
            if key not in self._semaphores:
                self._semaphores[key] = threading.BoundedSemaphore(self.limit)
            return self._semaphores[key]

    def acquire(self, key: str) -> str:
        self._semaphore(key).acquire()
        return key

    def release(self, key: str, token: str) -> None:
        self._semaphore(key).release()


class RedisLimiter:
    """The limit across every worker that shares one Redis (or Valkey)."""

    def __init__(self, client: Any, limit: int, lease: float = LEASE_SECONDS, poll: float = 0.02) -> None:
        self.limit = limit
        self.lease = lease
        self.poll = poll
        self._client = client
        self._acquire = client.register_script(_ACQUIRE)

    def acquire(self, key: str) -> str:
        token = uuid.uuid4().hex
        wait = self.poll
        while True:
            now = self._client.time()  # the server's clock: every worker reads the same one
            if self._acquire(keys=[_KEY_PREFIX + key], args=[self.limit, token, now[0] + now[1] / 1e6, self.lease]):
                return token
            time.sleep(wait * (0.5 + random.random()))  # jitter: waiting workers do not retry in step
            wait = min(wait * 2, 0.5)

    def release(self, key: str, token: str) -> None:
        self._client.zrem(_KEY_PREFIX + key, token)

    def holders(self, key: str) -> int:
        """How many slots of `key` are held now (for tests and for what a worker reports)."""
        return int(self._client.zcard(_KEY_PREFIX + key))
