"""What the suite's configuration needs from the code under test (conftest.py)."""

from django.core.cache.backends.redis import RedisCache


class IsolatedRedisCache(RedisCache):
    """Redis shared by several test processes (xdist workers, two runs at once), each under a
    key prefix of its own: `clear()` forgets this prefix's keys only, where Django's flushes
    the whole database under the other processes' feet."""

    def clear(self) -> bool:
        client = self._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        return True
