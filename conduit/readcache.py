"""Reads remembered until a business change that touches them.

Every remembered read belongs to scopes, and every scope has a version stamp, shared by every
process (READ_CACHE_STAMPS: a memory-mapped file on one host, `HostStamps`; the shared cache,
Redis across hosts, `SharedCacheStamps`). A read is remembered in the process's memory under
the stamps of its scopes, read together, so a change forgets only the reads of the scopes it
renews. A reader still answering from an old stamp started before the change was visible, as
it would have without a cache. With a cache server, what one process computed is kept there
for the others (`_shared_read`). READ_CACHE_SECONDS=0 turns the cache off.

Each app that remembers reads declares its scopes in its `reads.py`, with `RENEWED_BY`: which
committed events renew which of them (a table of event class -> function of the event giving
the scopes). An app whose events change the reads of an app below it says so in its own
`reads.py`, through that app's functions. `register_renewals` subscribes those tables to the
bus at start-up (ConduitConfig.ready()), one inline handler per event class, run right after
the commit; conduit/tests/test_scoped_reads.py proves, event by event, that they are enough.
EVERYTHING is the scope every read belongs to besides its own: the rare changes that show in
reads of every kind (a new username or avatar, a deactivation, a change of access) renew it.

The memory keeps the objects themselves (an LRU of READ_CACHE_ENTRIES, each for at most
READ_CACHE_SECONDS), not pickles: unpickling a 20-article page took 200 µs, a quarter of the
request. So what a read returns is shared, and read-only: rows are frozen dataclasses, and
callers build new lists rather than change the ones they get. Each read (its scopes and parts)
has one entry, its newest value with the stamps it was read under: a renewal replaces the
entry rather than adding one beside it, so the memory holds the reads in use, not every version
of them read within READ_CACHE_SECONDS (under the soak's mix, one write in 20 requests, that
was 5,500 dead versions and 85 MB per process; docs/performance.md).
"""

import hashlib
import mmap
import os
import secrets
import struct
import threading
import uuid
import zlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from django.conf import settings
from django.core.cache import caches
from prometheus_client import Counter

from conduit.sharedcache import report_failure
from events.core import bus as event_bus
from events.core.event import Event
from events.core.wiring import app_tables

EVERYTHING = "everything"
_STAMP = "conduit:stamp:"
_MISSING = object()

LOOKUPS = Counter(
    "conduit_read_cache_lookups_total",
    "Reads through the read cache, by result: hit (remembered in the process), shared "
    "(computed by another process, from the shared cache) or miss (read from the database).",
    ["result"],
)
_hit, _shared_hit, _miss = LOOKUPS.labels("hit"), LOOKUPS.labels("shared"), LOOKUPS.labels("miss")


# Per-object scopes share SCOPE_BUCKETS stamps per kind (by id), so the shared cache holds a
# bounded number of stamps (a file cache culls at random beyond its MAX_ENTRIES); a write
# forgets 1/SCOPE_BUCKETS of the other objects' reads with its own.
SCOPE_BUCKETS = 128


def scope_of(kind: str, key: int) -> str:
    """The scope of one object of a kind (an article, a user), by its id or a hash of its
    name: its bucket of the kind's SCOPE_BUCKETS."""
    return f"{kind}:{key % SCOPE_BUCKETS}"


def stamp_key(scope: str) -> str:
    """Where the scope's version stamp is kept in the shared cache."""
    return _STAMP + scope


def forget_reads(*scopes: str) -> None:
    """Forget every read remembered in any of the scopes, in every process."""
    _stamp_store().renew(scopes)


def everything(event: Event) -> tuple[str, ...]:
    """What the rare events whose change shows in reads of every kind renew."""
    return (EVERYTHING,)


# What renews the reads ------------------------------------------------------------------------

# An app's `reads.RENEWED_BY`: for each event class, the scopes a committed event renews.
RenewalTable = Mapping[type[Event], Callable[[Any], Iterable[str]]]


def renewal_tables() -> dict[str, RenewalTable]:
    """`RENEWED_BY` of every installed app that has a `reads` module, by app label."""
    return app_tables("reads", "RENEWED_BY")


def renewals() -> dict[type[Event], list[Callable[[Any], Iterable[str]]]]:
    """Every table merged: for each event class, what each app says it renews."""
    merged: dict[type[Event], list[Callable[[Any], Iterable[str]]]] = {}
    for table in renewal_tables().values():
        for event_type, renewal in table.items():
            merged.setdefault(event_type, []).append(renewal)
    return merged


@cache
def _renewals_by_type() -> dict[type[Event], tuple[Callable[[Any], Iterable[str]], ...]]:
    return {event_type: tuple(scopes) for event_type, scopes in renewals().items()}


def renew_reads(event: Event) -> None:
    """The inline handler of every event class some app's reads.py names: forgets, right
    after the commit, every scope the tables name for the event, in one renewal. One function
    for all, so that a failed run is retried by its path like any handler's."""
    found = _renewals_by_type().get(type(event), ())
    scopes = dict.fromkeys(scope for renewal in found for scope in renewal(event))
    if scopes:
        forget_reads(*scopes)


def register_renewals(bus: event_bus.EventBus | None = None) -> None:
    """Subscribe `renew_reads` to every event class in any app's table (at start-up)."""
    target = bus or event_bus.shared_event_bus
    for event_type in renewals():
        target.subscribe(event_type, renew_reads)


def read_through[T](
    scopes: tuple[str, ...],
    parts: tuple[Hashable, ...],
    compute: Callable[[], T],
    *,
    shared: bool = True,
) -> T:
    """`compute()`, or what it returned for the same `parts` since the scopes last changed.
    `shared=False` keeps the value out of the shared cache (the user behind a token: a
    password hash has no business in Redis)."""
    seconds = settings.READ_CACHE_SECONDS
    if not seconds:
        return compute()
    try:
        stamps = tuple(_stamps(scopes))
    except Exception as error:  # a broken shared cache must not break reads, but is loud
        report_failure("read_cache", error)
        return compute()
    # One entry per read, whatever its stamps: an entry under older stamps is never read
    # again (a renewed stamp is new random bytes), so the new value takes its place.
    entry_key = (scopes, parts)
    memory = _memory()
    with _memory_lock:
        entry = memory.get(entry_key)
    if entry is not None and entry[0] == stamps:
        _hit.inc()
        return entry[1]
    if shared and settings.READ_CACHE_STAMPS == "shared":
        value = _shared_read((*stamps, parts), compute, seconds)
    else:
        _miss.inc()
        value = compute()
    with _memory_lock:
        memory[entry_key] = (stamps, value)
    return value


def _shared_read[T](key: tuple[Hashable, ...], compute: Callable[[], T], seconds: int) -> T:
    """What another process computed under the same stamps, or `compute()`, kept for the
    others: after a write, each entry is computed once for all the hosts' processes, not once
    per process. Only with a cache server (Redis): a file cache lists its whole directory on
    every set (3.7 ms at 1,700 entries), more than most reads cost to compute."""
    shared = caches["default"]
    shared_key = "conduit:read:" + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    try:
        value = shared.get(shared_key, _MISSING)
    except Exception as error:
        report_failure("read_cache", error)
        value = _MISSING
    if value is not _MISSING:
        _shared_hit.inc()
        return value
    _miss.inc()
    value = compute()
    try:
        shared.set(shared_key, value, seconds)
    except Exception as error:
        report_failure("read_cache", error)
    return value


def read_named[T](
    kind: str,
    name: str,
    *,
    find_id: Callable[[], int | None],
    scopes: Callable[[int], tuple[str, ...]],
    read_by_id: Callable[[int], T | None],
    read_by_name: Callable[[], T | None],
    name_of: Callable[[T], str],
) -> T | None:
    """What `read_by_id` returns for the object called `name` (an article's slug, a
    username), remembered under that object's scopes; None when no object has the name.

    The name's id is remembered in the process while it names something; since names move
    and are reused, the read is checked against the name and found again when they differ.
    With the cache off, one `read_by_name`.
    """
    if not settings.READ_CACHE_SECONDS:
        return read_by_name()
    id_key = ("id", kind, name)
    memory = _memory()
    with _memory_lock:
        known = memory.get(id_key)
    if known is not None:
        value = read_through(scopes(known), (kind, known), lambda: read_by_id(known))
        if value is not None and name_of(value) == name:
            return value
    found = find_id()
    if found is None:
        return None
    with _memory_lock:
        memory[id_key] = found
    value = read_through(scopes(found), (kind, found), lambda: read_by_id(found))
    if value is not None and name_of(value) == name:
        return value
    # Renamed in a transaction not committed yet (its forgetting runs after the commit): the
    # database's answer, not remembered.
    return read_by_name()


_memory_lock = threading.Lock()
_memories: dict[tuple[int, int], TTLCache[tuple[Hashable, ...], Any]] = {}


def _memory() -> "TTLCache[tuple[Hashable, ...], Any]":
    """This process's memory for the configured size and lifetime."""
    shape = (settings.READ_CACHE_ENTRIES, settings.READ_CACHE_SECONDS)
    memory = _memories.get(shape)
    if memory is None:
        with _memory_lock:
            memory = _memories.setdefault(shape, TTLCache(maxsize=shape[0], ttl=shape[1]))
    return memory


def remembered() -> int:
    """How many entries this process's memory holds (tests; at most READ_CACHE_ENTRIES)."""
    memory = _memory()
    with _memory_lock:
        return len(memory)


def clear_memory() -> None:
    """Forget what this process remembers (tests; the shared stamps are left alone)."""
    with _memory_lock:
        _memories.clear()


def _stamps(scopes: tuple[str, ...]) -> list[str]:
    return _stamp_store().read((EVERYTHING, *scopes))


class SharedCacheStamps:
    """Stamps in the shared cache: one key per scope, read in one `get_many` (one round trip
    to Redis). A stamp the cache lost (evicted, restarted) is replaced by a new one, so
    everything remembered under the old is forgotten with it."""

    def read(self, scopes: tuple[str, ...]) -> list[str]:
        keys = [stamp_key(scope) for scope in scopes]
        shared = caches["default"]
        found = shared.get_many(keys)
        for key in keys:
            if key not in found:
                # Never stamped, or lost: a new stamp, unless another process set one first.
                shared.add(key, _new_stamp(), timeout=None)
                found[key] = shared.get(key) or _new_stamp()
        return [found[key] for key in keys]

    def renew(self, scopes: tuple[str, ...]) -> None:
        caches["default"].set_many(
            {stamp_key(scope): _new_stamp() for scope in scopes}, timeout=None
        )


class HostStamps:
    """Stamps shared by the processes of one host, in a memory-mapped file of SLOTS 8-byte
    slots (a scope's slot by its hash; two scopes sharing one only forget each other's reads
    more often). Reading a stamp is reading memory: a stamp in the file cache cost ~25 µs of
    file I/O and unpickling, read 2 to 7 times per request. A new stamp is 8 random bytes
    written whole, so a reader sees the old stamp or the new one; were a write ever seen
    half done, that would be a stamp nobody remembered anything under: a miss, never a
    stale read."""

    SLOTS = 4096

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.SLOTS * 8
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size < size:
                os.ftruncate(descriptor, size)
            self._map = mmap.mmap(descriptor, size, mmap.MAP_SHARED)
        finally:
            os.close(descriptor)

    def read(self, scopes: tuple[str, ...]) -> list[int]:
        return [_SLOT.unpack_from(self._map, self._offset(scope))[0] for scope in scopes]

    def renew(self, scopes: tuple[str, ...]) -> None:
        for scope in scopes:
            _SLOT.pack_into(self._map, self._offset(scope), secrets.randbits(64))

    def _offset(self, scope: str) -> int:
        return zlib.crc32(scope.encode()) % self.SLOTS * 8


_SLOT = struct.Struct("=Q")
_stores: dict[str, "SharedCacheStamps | HostStamps"] = {}


def _stamp_store() -> "SharedCacheStamps | HostStamps":
    """READ_CACHE_STAMPS: a file path (one host: HostStamps) or "shared" (the shared cache)."""
    where = settings.READ_CACHE_STAMPS
    store = _stores.get(where)
    if store is None:
        store = SharedCacheStamps() if where == "shared" else HostStamps(Path(where))
        _stores[where] = store
    return store


def _new_stamp() -> str:
    return uuid.uuid4().hex[:16]
