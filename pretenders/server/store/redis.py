"""The Redis store: one pretenders across processes and hosts, all given the same URL.

Each operation on a mock is one Lua script (see :mod:`.redis_scripts`), so it is atomic
whatever the concurrency. Serving a request is one round trip: the process matches the
request against its own compiled copy of the mock's presets, then one script checks that
copy is current (the preset version), claims the preset and appends the record. A stale
copy is reloaded (compiling only the presets it lacks) and the request matched again.

Records reach waits and live pages of every process through pub/sub notices (the record
number only), after which the interested process reads the records themselves. A lost
notice (a reconnect) is made up by a read every second while a mock is followed.

When Redis does not answer within ``--store-timeout``, every call raises
:class:`StoreUnavailable` (a 503 naming the store); the connection pool reconnects by
itself once Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from pretenders.common.constants import FOREVER
from pretenders.server.core import state_machines
from pretenders.server.core.errors import (
    NameConflict,
    PresetBytesSpent,
    StoreUnavailable,
    TooManyMocks,
    TooManyPresets,
    UnknownMock,
)
from pretenders.server.core.history import HistoryStats
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.near_miss import compare_presets
from pretenders.server.core.preset_extra import ExtraSpec, PresetExtra
from pretenders.server.core.presets import (
    Preset,
    PresetQueue,
    Reply,
    check_priority,
    check_times,
)
from pretenders.server.core.records import MailRecord, RequestRecord
from pretenders.server.core.registry import (
    Mock,
    Protocol,
    Record,
    Timeout,
    check_name,
    check_timeout,
)
from pretenders.server.core.reply_spec import ReplySpec
from pretenders.server.core.rule_spec import RuleSpec
from pretenders.server.core.smtp_script import SmtpPreset, SmtpReply
from pretenders.server.core.state_machines import (
    START,
    reset_scope,
    state_entries,
    state_field,
    too_many_states,
)
from pretenders.server.core.store import (
    RecordObserver,
    RemovedObserver,
    Served,
    StateEntry,
    Store,
)
from pretenders.server.settings import Settings
from pretenders.server.store import redis_scripts as lua

__all__ = ["RedisStore"]

logger = logging.getLogger("pretenders.server")

INDEX = "pt:mocks"
"""A sorted set of every mock id, by creation time (for listing and pruning)."""
REMOVED = "pt:removed"
"""The channel deletions are published on, as ``"<id> <gen>"``."""
BATCH = 1000
"""Records read at a time when following a mock."""
CATCH_UP = 1.0
"""Seconds between reads of a followed mock's new records, besides those notices cause."""
CONNECTIONS = 64
"""Connections to Redis each process keeps at most."""
AMEND_SCAN = 1000
"""Records from the latest back that an amended record is looked for among."""
MAX_RETRIES = 100
"""Times one request is matched again because other processes changed the presets."""


class StoredPreset(msgspec.Struct, array_like=True):
    """An HTTP preset as Redis keeps it."""

    rule: RuleSpec
    reply: ReplySpec
    priority: int | None = None
    extra: ExtraSpec | None = None
    """Several replies, a state machine."""


class StoredSmtpPreset(msgspec.Struct, array_like=True):
    """A scripted SMTP reply as Redis keeps it."""

    stage: str
    pattern: str | None
    action: str
    status: int | None
    message: str
    after: float


def _as_plain(value: object) -> object:
    if isinstance(value, str):  # a header name aiohttp gives as a str subclass (istr)
        return str(value)
    raise NotImplementedError(f"cannot store {type(value).__name__}")


_encode = msgspec.msgpack.Encoder(enc_hook=_as_plain).encode
_decode_request = msgspec.msgpack.Decoder(RequestRecord).decode
_decode_mail = msgspec.msgpack.Decoder(MailRecord).decode
_decode_preset = msgspec.msgpack.Decoder(StoredPreset).decode
_decode_smtp_preset = msgspec.msgpack.Decoder(StoredSmtpPreset).decode


@dataclass(eq=False)
class RedisMock(Mock):
    """A handle on a mock kept in Redis: ``gen`` tells this mock from a later one of the
    same name."""

    gen: str = ""


@dataclass(eq=False)
class _Copy:
    """This process's compiled copy of one mock's presets, as of preset version ``ver``."""

    mock: RedisMock
    ver: str | None = None
    """None: to be loaded before use."""
    queue: PresetQueue = field(default_factory=PresetQueue)
    script: list[SmtpPreset] = field(default_factory=list)
    compiled: dict[int, Any] = field(default_factory=dict)
    """Compiled presets by id, kept across reloads (a definition never changes)."""


@dataclass(eq=False)
class _Follower:
    observer: RecordObserver
    next_seq: int


@dataclass(eq=False)
class _Followed:
    """The local interest in one mock's records: who follows it, and the reading task."""

    mock: Mock
    followers: list[_Follower] = field(default_factory=list)
    observed_from: int | None = None
    """For observers of every mock: the first record number not yet read."""
    again: bool = False
    task: asyncio.Task[None] | None = None


def _keys(mock_id: str) -> list[str]:
    tag = f"pt:{{{mock_id}}}"
    return [f"{tag}:m", f"{tag}:p", f"{tag}:l", f"{tag}:s", f"{tag}:h", f"{tag}:st"]


_STATUS_AND_PRESET = b"\xa6status\xc0\xa9preset_id\xc0"
"""A record's status and preset id, both unset, as msgpack encodes them."""


def split_record(record: RequestRecord) -> tuple[bytes, bytes, bytes]:
    """A record encoded in three parts, for the SERVE script to put the status and the
    preset id it chooses between them: up to the status's value, between it and the
    preset id's value, and after that (the fields after them hold no request data)."""
    record.status = None
    record.preset_id = None
    record.near_misses = ()
    blob = encode_record(record)
    cut = blob.rfind(_STATUS_AND_PRESET)
    if cut < 0:  # pragma: no cover - msgspec changed how it encodes a struct
        raise RuntimeError("a request record is not encoded as the SERVE script expects")
    end = cut + len(_STATUS_AND_PRESET)
    return blob[: cut + 7], b"\xa9preset_id", blob[end:]


class _Seen(dict[str, str]):
    """The states the SERVE script read, as long as all the mock holds (for near misses
    that say the mock has no room for one more)."""

    held = 0

    def __len__(self) -> int:
        return self.held


def _candidate_args(preset: Preset, subject: MatchSubject) -> list[Any] | None:
    """What SERVE needs of one candidate (see the script); None: it cannot serve this
    request whatever the state (the request has no key for its machine)."""
    extra = preset.extra
    field = requires = to = mode = ""
    statuses = str(preset.reply.status)
    if extra is not None:
        rule = extra.state
        if rule is not None:
            instance, _ = rule.instance(subject)
            if instance is None:
                return None
            field, requires, to = instance, rule.requires or "", rule.to or ""
        choice = extra.choice
        if choice is not None:
            statuses = " ".join(str(reply.status) for reply in choice.replies)
            pick = choice.pick
            mode = "s" if pick == "sequence" else "c" if pick == "cycle" else f"r{choice.draw()}"
    return [preset.id, field, requires, to, mode, statuses]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _pairs(flat: Sequence[Any]) -> dict[str, bytes]:
    return {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def _optional(value: int | float | None) -> str:
    return "" if value is None else str(value)


def encode_record(record: Record) -> bytes:
    """A record as Redis keeps it; text that is not UTF-8 (a header aiohttp read as
    surrogate escapes) is kept with replacement characters."""
    try:
        return _encode(record)
    except UnicodeEncodeError:
        return _encode(_sanitized(record))


def _sanitized(record: Record) -> Record:
    data = msgspec.to_builtins(record, builtin_types=(bytes,), enc_hook=_as_plain)
    return msgspec.convert(_clean(data), type(record))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value


class RedisStore(Store):
    """Every mock in one Redis database, shared by every process given its URL."""

    shared = True

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.name = url
        self.settings = settings
        self.regex_timeout = settings.regex_timeout
        # Presets come from every server of the store: one whose body file this server
        # cannot read answers a 500 saying so rather than failing the mock's every request.
        self.reply_options = dataclasses.replace(settings.reply_options(), files_checked=False)
        self.default_timeout = check_timeout(settings.mock_timeout)
        timeout = settings.store_timeout
        # A blocking pool: past its connections a call waits (up to the timeout) for
        # one to come back, where the default pool would fail it at once.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=CONNECTIONS,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # see _call
            health_check_interval=30,
        )
        self._redis: Any = aioredis.Redis(connection_pool=pool)
        self._scripts = {
            name: self._redis.register_script(getattr(lua, name))
            for name in (
                "CREATE",
                "META",
                "TOUCH",
                "DETAILS",
                "DELETE",
                "SERVE",
                "LOAD",
                "ADD",
                "REMOVE",
                "CLEAR_HISTORY",
                "RECORDS",
                "RECORD_AT",
                "SINCE",
                "STATES",
                "SET_STATE",
                "RESET_STATES",
                "AMEND",
            )
        }
        self._serve_script = self._scripts["SERVE"]
        self._copies: dict[str, _Copy] = {}
        self._followed: dict[str, _Followed] = {}
        self._observers: list[RecordObserver] = []
        self._on_removed: list[RemovedObserver] = []
        self._owned: dict[str, RedisMock] = {}
        """Mocks listening in this process (SMTP): deleted when it stops."""
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._catch_up: asyncio.Task[None] | None = None
        self._history_limit = _optional(settings.history_limit)
        self._history_bytes = _optional(settings.history_bytes)

    # Connection

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen())
        self._catch_up = asyncio.create_task(self._catch_up_loop())
        problem = await self.health()
        if problem is not None:
            logger.warning("the store %s does not answer yet: %s", self.name, problem)

    async def close(self) -> None:
        for task in (self._listener, self._catch_up, *self._reading_tasks()):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._redis.aclose()
        with contextlib.suppress(Exception):  # a pool given to the client is not closed by it
            await self._redis.connection_pool.disconnect()

    def _reading_tasks(self) -> list[asyncio.Task[None] | None]:
        return [followed.task for followed in self._followed.values()]

    async def health(self) -> str | None:
        try:
            await asyncio.wait_for(self._redis.ping(), self.settings.store_timeout)
        except (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError) as error:
            return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return None

    async def shared_secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        key = f"pt:secret:{name}"
        async with self._talking():
            await self._command("set", key, make(), nx=True)
            value = await self._command("get", key)
        return bytes(value)

    @contextlib.asynccontextmanager
    async def _talking(self) -> AsyncIterator[None]:
        """Turn Redis being away into :class:`StoreUnavailable`, naming the store."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise StoreUnavailable(self.name, error) from error

    async def _command(self, name: str, *args: Any, **options: Any) -> Any:
        """Run a plain (idempotent) command, once more after a connection error."""
        async with self._talking():
            try:
                return await getattr(self._redis, name)(*args, **options)
            except RedisConnectionError:
                return await getattr(self._redis, name)(*args, **options)

    async def _run(self, script: str, mock_id: str, gen: str, *args: Any) -> Any:
        return await self._call(
            self._scripts[script], _keys(mock_id), [mock_id, gen, self.clock(), *args]
        )

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Run a script; once more on a new connection after a connection error (a pooled
        connection from before Redis restarted fails its first use, before anything ran).
        Not after a timeout: the script may have run, and must not run twice."""
        try:  # not _talking(): this is every mock request's one round trip
            try:
                return await self._evalsha(script, keys, args)
            except RedisConnectionError:
                return await self._evalsha(script, keys, args)
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            raise StoreUnavailable(self.name, error) from error

    async def _evalsha(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """``EVALSHA`` sent as a plain command: the script object's call adds two layers
        of wrappers to every request. A Redis that lost the script (restarted, flushed)
        answers NOSCRIPT: the script object loads it again and runs it."""
        try:
            return await self._redis.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await script(keys=keys, args=args)

    async def _serve_script_run(
        self,
        mock_id: str,
        gen: str,
        ver: str | None,
        claim: int | str,
        record: bytes = b"",
        *more: Any,
        touch: bool = True,
    ) -> Any:
        """Run SERVE (see the script for its arguments and answers): check the preset
        version ``ver`` (None: no check), claim a use of the preset ``claim`` ('' none,
        '*' the first of the candidates in ``more`` whose state holds), keep ``record``
        (empty: none) in the history within its bounds, and note a use of the mock when
        ``touch`` (a request; not a mail or an SMTP stage)."""
        args = [
            mock_id,
            gen,
            self.clock(),
            ver or "",
            claim,
            record,
            self._history_limit,
            self._history_bytes,
            "touch" if touch else "",
            *more,
        ]
        return await self._call(self._serve_script, _keys(mock_id), args)

    # Mocks

    def _handle(self, mock_id: str, meta: dict[str, bytes]) -> RedisMock:
        timeout = _text(meta["timeout"])
        details = json.loads(meta.get("details", b"{}"))
        return RedisMock(
            id=mock_id,
            protocol="smtp" if meta["protocol"] == b"smtp" else "http",
            timeout=float(timeout) if timeout else None,
            start=float(meta["start"]),
            last_call=float(meta["last"]),
            details=details,
            gen=_text(meta["gen"]),
        )

    async def create_or_join(
        self, protocol: Protocol, name: str | None, timeout: Timeout | str
    ) -> tuple[Mock, bool]:
        mock_id = check_name(name) if name else str(uuid.uuid4())
        chosen = self.default_timeout if timeout == "default" else check_timeout(timeout)  # type: ignore[arg-type]
        if name:
            existing = await self.find(mock_id)
            if existing is not None and existing.protocol == protocol:
                await self.touch(existing, self.clock())
                return existing, False
        await self._check_room()
        gen = secrets.token_hex(8)
        answer = await self._run("CREATE", mock_id, gen, protocol, _optional(chosen))
        outcome = _text(answer[0])
        if outcome == "conflict":
            raise NameConflict(
                f"name {mock_id!r} is taken by an {_text(answer[1]).upper()} mock", field="name"
            )
        mock = self._handle(mock_id, _pairs(answer[1]))
        self._copies[mock_id] = _Copy(mock)
        if outcome == "created":
            async with self._talking():
                await self._command("zadd", INDEX, {mock_id: mock.start})
        return mock, outcome == "created"

    async def _check_room(self) -> None:
        most = self.settings.max_mocks
        if most is None:
            return
        async with self._talking():
            count = await self._command("zcard", INDEX)
        if count < most:
            return
        await self.prune()
        async with self._talking():
            count = await self._command("zcard", INDEX)
        if count >= most:
            raise TooManyMocks(
                f"this server already has {count} live mocks, its limit: delete "
                "some (DELETE /http/<id> or /smtp/<id>; DELETE /http?stale=1 removes idle "
                "ones) or start the server with a higher --max-mocks"
            )

    async def set_details(self, mock: Mock, details: dict[str, object]) -> None:
        mock.details.update(details)
        gen = _gen(mock)
        await self._run("DETAILS", mock.id, gen, json.dumps(mock.details))
        if "port" in details:  # a listener of this process: an SMTP or own-port HTTP mock
            self._owned[mock.id] = mock  # type: ignore[assignment]

    async def find(self, mock_id: str) -> Mock | None:
        flat = await self._run("META", mock_id, "")
        if not flat:
            self._copies.pop(mock_id, None)
            return None
        mock = self._handle(mock_id, _pairs(flat))
        copy = self._copies.get(mock_id)
        if copy is None or copy.mock.gen != mock.gen:
            self._copies[mock_id] = _Copy(mock)
        else:
            copy.mock.last_call = mock.last_call
            copy.mock.details = mock.details
        return mock

    async def arrived(self, protocol: Protocol, mock_id: str, now: float) -> Mock | None:
        copy = self._copies.get(mock_id)
        mock = copy.mock if copy is not None else await self.find(mock_id)
        if mock is None or mock.protocol != protocol:
            return None
        return mock

    async def touch(self, mock: Mock, now: float) -> None:
        mock.last_call = now
        await self._run("TOUCH", mock.id, _gen(mock))

    async def list_mocks(self, protocol: Protocol) -> list[Mock]:
        async with self._talking():
            ids = [_text(i) for i in await self._command("zrange", INDEX, 0, -1)]
        found = [await self.find(mock_id) for mock_id in ids]
        gone = [mock_id for mock_id, mock in zip(ids, found, strict=True) if mock is None]
        if gone:
            async with self._talking():
                await self._command("zrem", INDEX, *gone)
        return [mock for mock in found if mock is not None and mock.protocol == protocol]

    async def delete(self, mock: Mock) -> bool:
        deleted = bool(await self._run("DELETE", mock.id, _gen(mock), ""))
        await self._forget(mock.id)
        return deleted

    async def _forget(self, mock_id: str) -> None:
        self._copies.pop(mock_id, None)
        async with self._talking():
            if not await self._command("exists", _keys(mock_id)[0]):
                await self._command("zrem", INDEX, mock_id)

    async def prune(self) -> list[Mock]:
        async with self._talking():
            ids = [_text(i) for i in await self._command("zrange", INDEX, 0, -1)]
        pruned: list[Mock] = []
        for mock_id in ids:
            async with self._talking():
                flat = await self._command("hgetall", _keys(mock_id)[0])
            if not flat:
                await self._forget(mock_id)
                continue
            mock = self._handle(mock_id, {_text(k): v for k, v in flat.items()})
            if mock.expired(self.clock()) and await self._run(
                "DELETE", mock_id, mock.gen, "expired"
            ):
                pruned.append(mock)
                await self._forget(mock_id)
        return pruned

    async def delete_all(self) -> None:
        for mock in list(self._owned.values()):
            with contextlib.suppress(UnknownMock):
                await self.delete(mock)
        self._owned.clear()

    # Presets

    async def _copy(self, mock: Mock) -> _Copy:
        """This process's copy of the mock's presets, loaded if it is not current."""
        copy = self._copies.get(mock.id)
        if copy is None or copy.mock.gen != _gen(mock):
            copy = self._copies[mock.id] = _Copy(mock)  # type: ignore[arg-type]
        if copy.ver is None:
            await self._load(copy)
        return copy

    async def _load(self, copy: _Copy) -> None:
        mock = copy.mock
        answer = await self._run("LOAD", mock.id, mock.gen)
        if answer[0] == 0:
            self._copies.pop(mock.id, None)
            raise UnknownMock(mock.protocol, mock.id)
        _, ver, flat_presets, flat_left, flat_served = answer
        definitions = {int(k): v for k, v in _pairs(flat_presets).items()}
        left = {int(k): int(v) for k, v in _pairs(flat_left).items()}
        served = {int(k): int(v) for k, v in _pairs(flat_served).items()}
        compiled = {pid: copy.compiled[pid] for pid in definitions if pid in copy.compiled}
        for pid in sorted(definitions):
            if pid not in compiled:
                compiled[pid] = self._compile(mock.protocol, pid, definitions[pid])
        copy.compiled = compiled
        queue = PresetQueue()
        script: list[SmtpPreset] = []
        for pid in sorted(compiled):
            preset = compiled[pid]
            uses = left.get(pid, 1)
            preset.times_left = FOREVER if uses < 0 else uses
            if isinstance(preset, Preset):
                preset.served = served.get(pid, 0)
                queue.put(preset)
            else:
                script.append(preset)
        copy.queue, copy.script, copy.ver = queue, script, _text(ver)

    def _compile(self, protocol: Protocol, pid: int, blob: bytes) -> Preset | SmtpPreset:
        if protocol == "smtp":
            stored_smtp = _decode_smtp_preset(blob)
            reply = SmtpReply(
                stored_smtp.action,  # type: ignore[arg-type]
                stored_smtp.status,
                stored_smtp.message,
                stored_smtp.after,
            )
            return SmtpPreset(
                pid, stored_smtp.stage, stored_smtp.pattern, reply, FOREVER, self.regex_timeout
            )
        stored = _decode_preset(blob)
        rule = MatchRule.of(stored.rule, self.regex_timeout)
        http_reply = Reply.from_spec(stored.reply, self.reply_options)
        extra = (
            PresetExtra(stored.extra, rule, self.regex_timeout)
            if stored.extra is not None
            else None
        )
        return Preset(pid, rule, http_reply, FOREVER, len(blob), stored.priority, extra)

    async def _add(self, mock: Mock, blob: bytes, times: object) -> int:
        uses = check_times(times)
        answer = await self._run(
            "ADD",
            mock.id,
            _gen(mock),
            blob,
            -1 if uses == FOREVER else uses,
            _optional(self.settings.max_presets),
            _optional(self.settings.preset_bytes),
        )
        status = answer[0]
        if status == 0:
            raise UnknownMock(mock.protocol, mock.id)
        if status == 2:
            raise TooManyPresets(
                f"this mock already has {answer[1]} presets, the most one mock may hold: remove "
                "some (DELETE /preset/<id>) or start the server with a higher --max-presets"
            )
        if status == 3:
            raise PresetBytesSpent(
                f"this preset counts {answer[2]} bytes and the presets of this mock already "
                f"hold {answer[1]} of the {self.settings.preset_bytes} bytes they may (with "
                "a shared store the budget holds for each mock): remove some "
                "(DELETE /preset/<id>, or delete mocks) or start the server with a higher "
                "--preset-bytes"
            )
        mock.last_call = self.clock()
        return int(answer[1])

    async def add_preset(
        self,
        mock: Mock,
        rule: MatchRule,
        reply: Reply,
        times: object,
        priority: int | None = None,
        extra: PresetExtra | None = None,
    ) -> Preset:
        check_priority(priority)
        spec = extra.spec if extra is not None else None
        blob = _encode(StoredPreset(rule.spec, reply.spec, priority, spec))
        pid = await self._add(mock, blob, times)
        return Preset(pid, rule, reply, times, len(blob), priority, extra)

    async def remove_preset(self, mock: Mock, preset_id: int) -> bool:
        answer = await self._run("REMOVE", mock.id, _gen(mock), preset_id)
        if answer < 0:
            raise UnknownMock(mock.protocol, mock.id)
        return bool(answer)

    async def presets(self, mock: Mock) -> list[Preset]:
        copy = self._copies.get(mock.id)
        if copy is not None:
            copy.ver = None  # a listing shows the uses left now
        return list((await self._copy(mock)).queue)

    async def clear_presets(self, mock: Mock) -> None:
        if await self._run("REMOVE", mock.id, _gen(mock), "") < 0:
            raise UnknownMock(mock.protocol, mock.id)

    async def serve(self, mock: Mock, subject: MatchSubject, record: RequestRecord) -> Served:
        for _ in range(MAX_RETRIES):
            try:
                copy = await self._copy(mock)
            except UnknownMock:
                return Served(gone=True)
            queue = copy.queue
            preset = queue.first(subject)
            if preset is not None and preset.extra is not None:
                extra_served = await self._serve_extra(copy, subject, record)
                if extra_served is not None:
                    return extra_served
                continue
            served = Served(preset)
            if preset is not None:
                reply = preset.reply
                maker = reply.maker
                if maker is not None:
                    served.made = maker.answer(subject, preset.rule)
                    record.status = served.made.status
                else:
                    record.status = reply.status
                record.preset_id = preset.id
                record.near_misses = ()
                if reply.shaped:
                    reply.stamp(record)
            else:
                served.comparison = compare_presets(queue, subject)
                served.preset_count = len(queue)
                record.status = 404
                record.preset_id = None
                record.near_misses = served.comparison.misses
            answer = await self._serve_script_run(
                mock.id,
                copy.mock.gen,
                copy.ver,
                "" if preset is None else preset.id,
                encode_record(record),
            )
            outcome = answer[0]
            if outcome == 2:
                if preset is not None:
                    preset.use()
                if subject.gave_up is not None:
                    served.gave_up = queue.newly_gave_up(subject)
                return served
            if outcome == 0:
                self._copies.pop(mock.id, None)
                return Served(gone=True)
            copy.ver = None  # other processes changed the presets: match again
            record.fault = record.delay = None
        raise StoreUnavailable(self.name, "the presets kept changing while matching a request")

    async def _serve_extra(
        self, copy: _Copy, subject: MatchSubject, record: RequestRecord
    ) -> Served | None:
        """Serve a request some preset with a state machine or several replies matches:
        one script takes the first candidate whose state holds, moves its state, counts
        its use and records the request with the reply it picks. None: the presets or
        the mock changed meanwhile (match again)."""
        mock = copy.mock
        queue = copy.queue
        candidates = queue.matching(subject)
        groups: list[Any] = []
        by_id: dict[int, Preset] = {}
        for candidate in candidates:
            args = _candidate_args(candidate, subject)
            if args is not None:
                groups += args
                by_id[candidate.id] = candidate
        if groups:
            head, middle, rest = split_record(record)
            answer = await self._serve_script_run(
                mock.id,
                mock.gen,
                copy.ver,
                "*",
                head,
                middle,
                rest,
                state_machines.MAX_STATE_KEYS,
                *groups,
            )
            outcome = answer[0]
            if outcome == 0:
                self._copies.pop(mock.id, None)
                return Served(gone=True)
            if outcome == 1:
                copy.ver = None
                return None
            if outcome == 2:
                preset = by_id[int(answer[2])]
                preset.use()
                reply = preset.reply
                extra = preset.extra
                if extra is not None and extra.choice is not None:
                    reply = extra.choice.replies[int(answer[3])]
                record.status = reply.status
                record.preset_id = preset.id
                maker = reply.maker
                made = None if maker is None else maker.answer(subject, preset.rule)
                served = Served(preset, reply=reply, made=made)
                if subject.gave_up is not None:
                    served.gave_up = queue.newly_gave_up(subject)
                return served
            seen = answer[2]
            pairs = ((_text(seen[i]), _text(seen[i + 1])) for i in range(0, len(seen), 2))
            states = _Seen((field, state) for field, state in pairs if state != START)
            states.held = int(answer[3])
        else:
            states = _Seen()
        # No candidate's state holds: recorded as unmatched, the states seen explaining it.
        comparison = compare_presets(queue, subject, states=states)
        record.status = 404
        record.preset_id = None
        record.near_misses = comparison.misses
        answer = await self._serve_script_run(
            mock.id, mock.gen, copy.ver, "", encode_record(record)
        )
        if answer[0] == 0:
            self._copies.pop(mock.id, None)
            return Served(gone=True)
        if answer[0] == 1:
            copy.ver = None
            return None
        served = Served(None, comparison, len(queue))
        if subject.gave_up is not None:
            served.gave_up = queue.newly_gave_up(subject)
        return served

    # State machines

    async def states(self, mock: Mock) -> list[StateEntry]:
        answer = await self._run("STATES", mock.id, _gen(mock))
        if answer[0] == 0:
            raise UnknownMock(mock.protocol, mock.id)
        return state_entries({k: _text(v) for k, v in _pairs(answer[1]).items()})

    async def set_state(self, mock: Mock, machine: str, key: str | None, state: str) -> None:
        field = state_field(machine, key)
        answer = await self._run(
            "SET_STATE", mock.id, _gen(mock), field, state, state_machines.MAX_STATE_KEYS
        )
        if answer[0] == 0:
            raise UnknownMock(mock.protocol, mock.id)
        if answer[0] == 2:
            raise too_many_states(int(answer[1]))

    async def reset_states(
        self, mock: Mock, machine: str | None = None, key: str | None = None
    ) -> int:
        scope, name = reset_scope(machine, key)
        answer = await self._run("RESET_STATES", mock.id, _gen(mock), scope, name)
        if answer[0] == 0:
            raise UnknownMock(mock.protocol, mock.id)
        return int(answer[1])

    async def add_smtp_reply(
        self, mock: Mock, stage: str, pattern: str | None, reply: SmtpReply, times: object
    ) -> SmtpPreset:
        preset = SmtpPreset(0, stage, pattern, reply, times, self.regex_timeout)  # checks
        stored = StoredSmtpPreset(
            stage, pattern, reply.action, reply.status, reply.message, reply.after
        )
        preset.id = await self._add(mock, _encode(stored), times)
        return preset

    async def smtp_replies(self, mock: Mock) -> list[SmtpPreset]:
        copy = self._copies.get(mock.id)
        if copy is not None:
            copy.ver = None
        return list((await self._copy(mock)).script)

    async def claim_smtp_reply(
        self, mock: Mock, stage: str, argument: str
    ) -> tuple[SmtpReply | None, list[SmtpPreset]]:
        for _ in range(MAX_RETRIES):
            copy = await self._copy(mock)
            gave_up: list[SmtpPreset] = []
            chosen = None
            for preset in copy.script:
                try:
                    applies = preset.matches(stage, argument)
                except Exception as error:  # GaveUp: a miss, logged once
                    pattern = getattr(error, "pattern", None)
                    if pattern is not None and not pattern.reported:
                        pattern.reported = True
                        gave_up.append(preset)
                    continue
                if applies:
                    chosen = preset
                    break
            answer = await self._serve_script_run(
                mock.id, copy.mock.gen, copy.ver, "" if chosen is None else chosen.id, touch=False
            )
            if answer[0] == 2:
                return (chosen.reply if chosen is not None else None), gave_up
            if answer[0] == 0:
                raise UnknownMock(mock.protocol, mock.id)
            copy.ver = None
        raise StoreUnavailable(self.name, "the scripted replies kept changing")

    # History

    async def record(self, mock: Mock, record: Record) -> None:
        answer = await self._serve_script_run(
            mock.id, _gen(mock), None, "", encode_record(record), touch=False
        )
        if answer[0] == 0:
            raise UnknownMock(mock.protocol, mock.id)

    async def amend_record(
        self, mock: Mock, record: RequestRecord, changes: dict[str, object]
    ) -> None:
        before = encode_record(record)
        for name, value in changes.items():
            setattr(record, name, value)
        await self._run("AMEND", mock.id, _gen(mock), before, encode_record(record), AMEND_SCAN)

    def _decode(self, mock: Mock, blob: bytes) -> Record:
        if mock.protocol == "smtp":
            return _decode_mail(blob)
        return _decode_request(blob)

    async def history_stats(self, mock: Mock) -> HistoryStats:
        answer = await self._run("RECORDS", mock.id, _gen(mock), 1, 0)  # counts only
        if not answer:
            raise UnknownMock(mock.protocol, mock.id)
        dropped, kept = int(answer[1]), int(answer[2])
        return HistoryStats(dropped + kept, kept, dropped, self.settings.history_limit)

    async def record_at(self, mock: Mock, position: int) -> Record | None:
        answer = await self._run("RECORD_AT", mock.id, _gen(mock), position)
        if not answer:
            raise UnknownMock(mock.protocol, mock.id)
        return self._decode(mock, answer[0]) if answer[0] else None

    async def records(
        self, mock: Mock, start: int = 0, stop: int | None = None
    ) -> tuple[list[Record], int]:
        last = -1 if stop is None else stop - 1
        if last < start and stop is not None:
            answer = await self._run("RECORDS", mock.id, _gen(mock), 1, 0)
            if not answer:
                raise UnknownMock(mock.protocol, mock.id)
            return [], int(answer[0])
        answer = await self._run("RECORDS", mock.id, _gen(mock), start, last)
        if not answer:
            raise UnknownMock(mock.protocol, mock.id)
        return [self._decode(mock, blob) for blob in answer[3]], int(answer[0])

    async def clear_history(self, mock: Mock) -> None:
        if not await self._run("CLEAR_HISTORY", mock.id, _gen(mock)):
            raise UnknownMock(mock.protocol, mock.id)

    # Events

    def follow(self, mock: Mock, observer: RecordObserver, since: int = 0) -> Callable[[], None]:
        followed = self._followed.get(mock.id)
        if followed is None:
            followed = self._followed[mock.id] = _Followed(mock)
            self._subscribe(f"pt:{{{mock.id}}}:e")
        follower = _Follower(observer, since)
        followed.followers.append(follower)
        self._read_soon(mock.id)

        def unfollow() -> None:
            with contextlib.suppress(ValueError):
                followed.followers.remove(follower)
            if not followed.followers and self._followed.get(mock.id) is followed:
                del self._followed[mock.id]
                self._unsubscribe(f"pt:{{{mock.id}}}:e")

        return unfollow

    def observe(self, observer: RecordObserver) -> Callable[[], None]:
        if not self._observers:
            self._subscribe("pt:*:e", pattern=True)
        self._observers.append(observer)

        def unobserve() -> None:
            with contextlib.suppress(ValueError):
                self._observers.remove(observer)
            if not self._observers:
                self._unsubscribe("pt:*:e", pattern=True)

        return unobserve

    def on_removed(self, callback: RemovedObserver) -> None:
        self._on_removed.append(callback)

    def _subscribe(self, channel: str, pattern: bool = False) -> None:
        asyncio.get_running_loop().create_task(self._change_subscription(channel, pattern, True))

    def _unsubscribe(self, channel: str, pattern: bool = False) -> None:
        asyncio.get_running_loop().create_task(self._change_subscription(channel, pattern, False))

    async def _change_subscription(self, channel: str, pattern: bool, on: bool) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return  # the listener subscribes to what is followed when it (re)connects
        with contextlib.suppress(Exception):  # away: the listener resubscribes on return
            if on:
                await (pubsub.psubscribe(channel) if pattern else pubsub.subscribe(channel))
            else:
                await (pubsub.punsubscribe(channel) if pattern else pubsub.unsubscribe(channel))

    async def _listen(self) -> None:
        """Read notices for as long as the store runs, reconnecting after a failure."""
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(REMOVED, *(f"pt:{{{i}}}:e" for i in self._followed))
                if self._observers:
                    await pubsub.psubscribe("pt:*:e")
                self._pubsub = pubsub
                delay = 0.1
                for mock_id in list(self._followed):  # notices may have been missed
                    self._read_soon(mock_id)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None:
                        self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away: try again, a little later each time
                logger.debug("store notices: %s", error)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = _text(message["channel"])
        data = _text(message["data"])
        if channel == REMOVED:
            mock_id, _, gen = data.rpartition(" ")
            self._removed(mock_id, gen)
            return
        mock_id = channel[len("pt:{") : -len("}:e")]
        followed = self._followed.get(mock_id)
        if followed is None:
            if not self._observers:
                return
            followed = self._followed[mock_id] = _Followed(Mock(mock_id, "http", None, 0, 0))
        if followed.observed_from is None:
            followed.observed_from = int(data)
        self._read_soon(mock_id)

    def _removed(self, mock_id: str, gen: str) -> None:
        copy = self._copies.get(mock_id)
        followed = self._followed.get(mock_id)
        known = (
            (copy is not None and copy.mock.gen == gen)
            or (mock_id in self._owned and self._owned[mock_id].gen == gen)
            or (followed is not None and _gen(followed.mock) in (gen, ""))
        )
        if copy is not None and copy.mock.gen == gen:
            del self._copies[mock_id]
        if not known:
            return
        owned = self._owned.pop(mock_id, None)
        mock = owned or (copy.mock if copy is not None else Mock(mock_id, "http", None, 0, 0))
        for callback in list(self._on_removed):
            callback(mock)

    def _read_soon(self, mock_id: str) -> None:
        followed = self._followed.get(mock_id)
        if followed is None:
            return
        if followed.task is not None and not followed.task.done():
            followed.again = True
            return
        followed.task = asyncio.get_running_loop().create_task(self._read(mock_id, followed))

    async def _read(self, mock_id: str, followed: _Followed) -> None:
        """Read the followed mock's new records and tell its followers and observers."""
        while True:
            followed.again = False
            wanted = [f.next_seq for f in followed.followers]
            if self._observers and followed.observed_from is not None:
                wanted.append(followed.observed_from)
            if not wanted:
                if not followed.followers and self._followed.get(mock_id) is followed:
                    del self._followed[mock_id]
                return
            since = min(wanted)
            try:
                answer = await self._run("SINCE", mock_id, "", since, BATCH)
            except StoreUnavailable:
                return  # the catch-up loop tries again
            if not answer:
                return  # gone: the removal notice ends the waits
            first = int(answer[0])
            mock = await self._mock_for(mock_id, followed)
            for offset, blob in enumerate(answer[1]):
                seq = first + offset
                record = self._decode(mock, blob)
                for follower in list(followed.followers):
                    if seq >= follower.next_seq:
                        follower.next_seq = seq + 1
                        follower.observer(mock, seq, record)
                if followed.observed_from is not None and seq >= followed.observed_from:
                    followed.observed_from = seq + 1
                    for observer in list(self._observers):
                        observer(mock, seq, record)
            if len(answer[1]) < BATCH and not followed.again:
                return

    async def _mock_for(self, mock_id: str, followed: _Followed) -> Mock:
        if isinstance(followed.mock, RedisMock):
            return followed.mock
        found = await self.find(mock_id)
        if found is not None:
            followed.mock = found
            return found
        return followed.mock

    async def _catch_up_loop(self) -> None:
        while True:
            await asyncio.sleep(CATCH_UP)
            for mock_id, followed in list(self._followed.items()):
                if followed.followers:
                    self._read_soon(mock_id)


def _gen(mock: Mock) -> str:
    return mock.gen if isinstance(mock, RedisMock) else ""
