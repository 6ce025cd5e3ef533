"""The kiosk's one SQLite file: outbox, read model and status tables, shared by two processes.

The schema is :data:`MIGRATIONS`; which module writes each table is :data:`OWNERS`.

The app and the agent each open their own :class:`Store` on the same file. WAL lets readers go on
while one writer commits; ``synchronous=FULL`` makes a commit durable when it returns (a return the
patron was told about survives a power cut); the busy timeout makes a writer wait briefly for the
other process instead of failing. Writes take the write lock up front (``BEGIN IMMEDIATE``) so two
processes never deadlock upgrading a read into a write.

Every SQLite failure leaves here as :class:`StoreError` with a ``reason`` the app can turn into a
message for the patron ("please see staff"): a write that did not reach the disk never looks like
success.

Opening checks the file before anything trusts it (:meth:`Store.verify`): a damaged file is refused
as ``StoreError("corrupt", ...)`` (the app shows its out-of-service screen, the agent exits 2),
instead of being written to, or read through an index that no longer matches its table.

Technician reports (``kiosk-sync status`` and ``check``) open the file read-only
(:meth:`Store.open_readonly`): they create nothing and write nothing, so they answer on a full disk.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # only the migrations need it, and they run once per file: not at every start
    import sqlite_utils


log = logging.getLogger(__name__)

Reason = Literal["disk_full", "locked", "corrupt", "readonly", "io", "moved"]

BUSY_TIMEOUT_MS = 3000
CHECKED_TABLE = "outbox"
"""The table whose indexes :meth:`Store.verify` compares with its rows at every open."""
SHOWN_PROBLEMS = 3
READONLY_ATTEMPTS = 4
READONLY_RETRY_S = 0.05
_TRANSIENT_WHEN_READING = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY,
                           sqlite3.SQLITE_LOCKED}
"""Primary codes of a read-only open that met a writer creating or removing its WAL."""

_REASON_BY_CODE: dict[int, Reason] = {
    sqlite3.SQLITE_FULL: "disk_full",
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_CORRUPT: "corrupt",
    sqlite3.SQLITE_NOTADB: "corrupt",
    sqlite3.SQLITE_READONLY: "readonly",
    sqlite3.SQLITE_PERM: "readonly",
    sqlite3.SQLITE_CANTOPEN: "io",
    sqlite3.SQLITE_IOERR: "io",
}


class StoreError(Exception):
    """The store could not do what was asked; ``reason`` says why in one word."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason: Reason = reason
        self.message = message


_REASON_BY_EXTENDED_CODE: dict[int, Reason] = {
    # The -shm file could not be grown: on a full disk, opening a store that was closed cleanly
    # fails this way (a new -shm must be sized) before any page is written.
    sqlite3.SQLITE_IOERR_SHMSIZE: "disk_full",
}


def classify(exc: sqlite3.Error) -> StoreError:
    """Turn a sqlite3 exception into a StoreError, by SQLite's extended, else primary, result code."""
    code = getattr(exc, "sqlite_errorcode", None)
    reason = None
    if code is not None:
        reason = _REASON_BY_EXTENDED_CODE.get(code) or _REASON_BY_CODE.get(code & 0xFF)
    if reason is None:
        text = str(exc).lower()
        if "not a database" in text or "malformed" in text:
            reason = "corrupt"
        elif "locked" in text or "busy" in text:
            reason = "locked"
        elif "full" in text:
            reason = "disk_full"
        elif "readonly" in text or "read-only" in text:
            reason = "readonly"
        else:
            reason = "io"
    return StoreError(reason, str(exc))


def _create_v1(db: sqlite_utils.Database) -> None:
    db.table("outbox").create(
        {
            "id": int, "key": str, "kind": str, "barcode": str, "member_id": int,
            "rental_id": int, "payload": str, "occurred_at": str, "created_at": float,
            "status": str, "attempts": int, "next_attempt_at": float, "last_error": str,
            "response": str, "claimed_by": str, "lease_until": float, "settled_at": float,
            "note": str,
        },
        pk="id",
        not_null={"key", "kind", "payload", "occurred_at", "created_at", "status", "attempts",
                  "next_attempt_at"},
        defaults={"attempts": 0, "status": "pending", "next_attempt_at": 0.0},
    )
    # Two indexes only: each index is one more page in every append's fsync. The key needs none:
    # it is unique by construction (see sync_agent.store.outbox).
    db.table("outbox").create_index(["status", "id"])  # claims scan pending entries in order
    db.table("outbox").create_index(["barcode", "id"])
    db.table("catalog").create(
        {"barcode": str, "book_id": int, "isbn": str, "title": str, "author": str,
         "status": str, "updated_at": str},
        pk="barcode",
    )
    db.table("member_views").create(
        {"member_id": int, "page": str, "as_of": str, "fetched_at": float},
        pk="member_id", not_null={"page", "fetched_at"},
    )
    db.table("loan_index").create(  # which cached member has a copy on loan: a return finds its member
        {"barcode": str, "member_id": int}, pk="barcode", not_null={"member_id"},
        foreign_keys=[("member_id", "member_views", "member_id")])
    db.table("sync_state").create({"name": str, "value": str}, pk="name")
    db.table("sync_state").insert({"name": "store_epoch", "value": uuid.uuid4().hex})
    db.table("breakers").create(
        {"name": str, "owner": str, "state": str, "failures": int, "opened_at": float,
         "updated_at": float},
        pk=("name", "owner"),
    )
    db.table("devices").create({"name": str, "status": str, "updated_at": float}, pk="name")
    db.table("counters").create({"name": str, "value": int}, pk="name", not_null={"value"})


def _intents_v2(db: sqlite_utils.Database) -> None:
    """Borrowing as a saga (see sync_agent/store/outbox.py): what the patron was told of each intent
    (``told``), the intent a compensation undoes (``compensates``), the visit that made it, when
    its outcome was shown on a later visit (``reported_at``) and, for a reservation, the copy."""
    db.table("outbox").add_column("told", str)
    db.table("outbox").add_column("compensates", int)
    db.table("outbox").add_column("visit", str)
    db.table("outbox").add_column("reported_at", float)
    db.table("outbox").add_column("book_id", int)


def _keep_patron_data_short(db: sqlite_utils.Database) -> None:
    """Privacy and lockdown (docs/privacy.md): technician PIN tries and locks that survive a
    restart (owned by kiosk_app.pin_guard); card lookups by keyed hash, without the card number,
    deleted with their member's view (kiosk_app.card_lookup); views that expire
    (sync_agent.store.retention). The old lookups, whose keys were plain SHA-256 of the card number and
    whose values held it in clear, are deleted; views kept so far expire at once."""
    conn = db.conn
    conn.execute("CREATE TABLE tech_pin_lock (id INTEGER PRIMARY KEY CHECK (id = 1), "
                 "wrong INTEGER NOT NULL, lockouts INTEGER NOT NULL, locked_at REAL, "
                 "lock_s REAL NOT NULL)")
    conn.execute("CREATE TABLE member_cards (card_key TEXT PRIMARY KEY, member_id INTEGER NOT NULL "
                 "REFERENCES member_views(member_id) ON DELETE CASCADE, member TEXT NOT NULL)")
    conn.execute("ALTER TABLE member_views ADD COLUMN expires_at REAL NOT NULL DEFAULT 0")
    conn.execute("DELETE FROM sync_state WHERE name LIKE 'member_card:%'")


def _count_mismatched_answers(db: sqlite_utils.Database) -> None:
    """Answers checked before they settle (sync_agent/central/rest/delivery_answer.py): how many 2xx answers
    about another request an entry has had, so the relay makes it a dead letter after a bound."""
    db.conn.execute("ALTER TABLE outbox ADD COLUMN mismatches INTEGER NOT NULL DEFAULT 0")


def _mail_jobs(db: sqlite_utils.Database) -> None:
    """Email receipts (sync_agent/store/mail_jobs.py): one durable job per receipt, keyed, sent by the
    agent and deleted once the mail server took it, address and all."""
    db.conn.execute("CREATE TABLE mail_jobs (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, "
                    "recipient TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL, "
                    "html TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL "
                    "DEFAULT 0, next_attempt_at REAL NOT NULL, last_error TEXT)")


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _create_v1, _intents_v2, _keep_patron_data_short, _count_mismatched_answers, _mail_jobs)
"""Forward migrations; migration ``i`` brings the file from version ``i`` to ``i + 1``."""

OWNERS: dict[str, str] = {
    "outbox": "sync_agent.store.outbox",
    "catalog": "sync_agent.store.read_model",
    "member_views": "sync_agent.store.read_model",
    "loan_index": "sync_agent.store.read_model",
    "sync_state": "sync_agent.store.sync_state",
    "counters": "sync_agent.store.counters",
    "breakers": "sync_agent.store.status",
    "devices": "sync_agent.store.status",
    "tech_pin_lock": "kiosk_app.pin_guard",
    "member_cards": "kiosk_app.card_lookup",
    "mail_jobs": "sync_agent.store.mail_jobs",
}
"""The one module that writes each table; every other module asks it (its functions or methods,
some of which take the caller's transaction so that two tables change in one commit). Two
processes and a dozen modules share this file: with one writer per table, a table's rules (what a
row means, which rows go together, what a delete must take along) live in one place. Only the
migrations above write outside their owners. A delete of a ``member_views`` row takes its
``member_cards`` rows along (``ON DELETE CASCADE``, declared by the schema).
``tests/sync/test_table_owners.py`` reads every module of ours and fails on a write by another
module, and on a table without an owner."""


def readonly_uri(path: Path, *, plain: bool = False) -> str:
    """The SQLite URI :meth:`Store.open_readonly` opens ``path`` with (see there for why);
    ``plain``: ``mode=ro`` unless the WAL holds nothing."""
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    try:
        wal_holds_frames = wal.stat().st_size > 0
    except FileNotFoundError:
        wal_holds_frames = False
    if not wal_holds_frames:
        options = "mode=ro&immutable=1"
    elif shm.exists() and not plain:
        options = "mode=ro&readonly_shm=1"
    else:
        options = "mode=ro"
    return f"file:{urllib.parse.quote(str(path.resolve()))}?{options}"


PRIVATE_MODE = 0o600
"""The store holds patrons' data: only the kiosk's user reads it, whatever umask the process was
started with (``kiosk.service`` sets 0077; a technician's shell usually has 0022). SQLite gives
the ``-wal`` and ``-shm`` files the mode of the main file, so creating that one private is enough."""


def _identity(path: Path) -> tuple[int, int] | None:
    """The file behind ``path`` (device, inode), or None when nothing is there."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def unwritable(path: Path) -> str | None:
    """Why the store at ``path`` cannot be written safely, or None.

    SQLite keeps the WAL's index in the ``-shm`` file mapped into memory and writes it by storing
    into that map, readers included. When the file system is remounted read-only (an SD card's
    errors) or the file is made immutable, such a store is not an error code but a SIGBUS that
    kills the process without a line in any log. So each transaction first asks the file system
    (``statvfs``, then ``access(W_OK)``, which the kernel answers EPERM for an immutable file even
    to root) and refuses with reason ``readonly`` instead; the window between that question and
    SQLite's store is microseconds wide. Both go by path: opening and closing a descriptor of the
    store's files here would drop the POSIX locks SQLite holds on them for this process."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return f"the file system holding {path.parent} is mounted read-only"
    except OSError as exc:  # cannot tell is not "writable": a failing disk is just when to say so
        return f"cannot check {path.parent}: {exc.strerror}"
    for name in (path.with_name(path.name + "-shm"), path):
        if not os.access(name, os.W_OK) and name.exists():
            return f"{name} cannot be written (immutable, or its permissions)"
    return None


def _create_private(path: Path) -> None:
    """Create the store's file with :data:`PRIVATE_MODE`, or take a looser mode away from one a
    process under a wider umask created earlier (by path: see :func:`unwritable` on descriptors)."""
    try:
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE))
        elif path.stat().st_mode & 0o777 & ~PRIVATE_MODE:
            log.warning("%s could be read by other users: made private (0600)", path)
            for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(name, PRIVATE_MODE)
    except FileExistsError:  # another process created it meanwhile
        pass
    except OSError as exc:
        raise classify(sqlite3.OperationalError(f"cannot create {path}: {exc.strerror}")) from exc


class Store:
    """One connection to the kiosk's SQLite file, safe to share between this process's threads.

    **A file moved under the process.** The connection keeps the file it opened (its inode) for as
    long as it lives. If that file is replaced (a restore, a copy put back) or deleted while the
    process runs, everything written from then on would go to a file that no other process and no
    restart will ever read: a patron's return acknowledged into nothing. So every transaction first
    checks that the path still names the file that was opened (one ``stat``, a few microseconds
    next to a durable commit) and, if not, refuses with reason ``moved``: the patron is told the
    kiosk cannot save, the agent's loop logs it and retries, the metrics answer
    ``kiosk_store_up 0``. It is said once in the log, as an error, with what to do. The store is
    not re-opened in place: the other process may still have the old file open, and its ``-wal``
    and ``-shm`` at the same path would be read as belonging to the new file. Restarting both
    services (``systemctl restart kiosk kiosk-sync``) lets the old file go and opens the new one.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, *, watch: bool = False) -> None:
        self.path = path
        self.conn = conn
        self._lock = threading.RLock()
        self._opened = _identity(path) if watch else None
        self._moved_said = False
        self._unwritable_said: str | None = None

    @classmethod
    def _connect(cls, path: Path, target: str, busy_timeout_ms: int, *, uri: bool = False,
                 watch: bool = False) -> Store:
        """One connection to ``target`` (the file, or a read-only URI of it) with the busy timeout:
        what both ways of opening share."""
        try:
            conn = sqlite3.connect(target, uri=uri, timeout=busy_timeout_ms / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise classify(exc) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        except sqlite3.Error as exc:
            conn.close()
            raise classify(exc) from exc
        return cls(path, conn, watch=watch)

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, verify: bool = True) -> Store:
        """Open (creating the folder and file if needed), check the file (:meth:`verify`; ``verify``
        is false only for benchmarks and for tests that build a damaged file) and bring the schema
        up to date."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError("io", f"cannot create {path.parent}: {exc.strerror}") from exc
        _create_private(path)
        why = unwritable(path)
        if why is not None:
            raise StoreError("readonly", f"cannot be written: {why}")
        store = cls._connect(path, str(path), busy_timeout_ms, watch=True)
        conn = store.conn
        try:
            with store._guard():
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StoreError("io", f"{path}: WAL mode refused (journal_mode={mode})")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                # Deleted rows (a patron's expired view) are overwritten, not left in free pages.
                conn.execute("PRAGMA secure_delete=ON")
            if verify:
                store.verify()
            store._migrate()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def open_readonly(cls, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
        """Open an existing store for reading only: nothing is created (not the file, not its
        folder, not a ``-wal`` or ``-shm`` file) and nothing is written, not even SQLite's shared
        index, so a report answers on a full disk or a read-only file system.

        SQLite's rules for reading a WAL-mode file without writing decide how
        (:func:`readonly_uri`):

        - **No ``-wal`` file, or an empty one**: the last connection closed cleanly (which
          checkpoints every transaction into the main file and deletes the WAL), or a writer
          failed to open on a full disk and left an empty one. Everything is in the main file, so
          it is opened ``immutable=1``: read as it is, without ``-shm`` and without locks. A plain
          ``mode=ro`` connection would have to create and size a ``-shm``, which fails on a full
          disk (``SQLITE_IOERR_SHMSIZE``) and leaves files behind even when it works. A writer that
          starts meanwhile writes to a new WAL, not to the main file, until a checkpoint (1,000
          pages of WAL, or its clean close), so a report of a few milliseconds is not torn by it.
          ``immutable=1`` is never used while the WAL holds something: it would ignore the WAL.
        - **A ``-wal`` with content, and its ``-shm``** (the app or the agent has the store open,
          or stopped without a clean close): ``mode=ro&readonly_shm=1``. SQLite opens the ``-shm``
          read-only; while a writer has it open, the reader takes the usual read locks through it
          and sees every committed transaction, those still in the WAL included; with no writer
          (after a crash) it rebuilds the WAL index in its own memory from the WAL file instead of
          in the ``-shm``. Either way it writes nothing, where a plain ``mode=ro`` connection that
          finds no writer would rebuild the index in the ``-shm`` and need disk space to grow it.
        - **A ``-wal`` with content but no ``-shm``** (removed by hand): plain ``mode=ro``, which
          must create the ``-shm``; on a full disk this one case cannot be read without writing.

        The choice is made from the files as they are at that instant, and a writer may be
        creating or deleting its WAL just then (its open, its clean close): an open that fails
        because a file came or went (``SQLITE_CANTOPEN``, a read-only or busy index) is tried
        again with a fresh choice, the last time as plain ``mode=ro``. Once open, the connection
        holds a shared lock on the file, so a writer that closes leaves its WAL in place.
        """
        if not path.is_file():
            raise StoreError("io", f"{path}: no store here (the app or the agent creates it when it "
                             "starts); nothing to read")
        for attempt in range(1, READONLY_ATTEMPTS + 1):
            last = attempt == READONLY_ATTEMPTS
            try:
                return cls._open_readonly_once(path, busy_timeout_ms, plain=last)
            except StoreError as exc:
                code = getattr(exc.__cause__, "sqlite_errorcode", None)
                if last or code is None or code & 0xFF not in _TRANSIENT_WHEN_READING:
                    raise
            time.sleep(READONLY_RETRY_S)
        raise AssertionError("unreachable")

    @classmethod
    def _open_readonly_once(cls, path: Path, busy_timeout_ms: int, *, plain: bool) -> Store:
        store = cls._connect(path, readonly_uri(path, plain=plain), busy_timeout_ms, uri=True)
        conn = store.conn
        try:
            with store._guard():
                conn.execute("PRAGMA query_only=ON")
                conn.execute("PRAGMA temp_store=MEMORY")  # a check's sorting needs no temp file
            version = store.schema_version
            if version > len(MIGRATIONS):
                raise StoreError("corrupt", f"{path}: schema version {version} is newer than this "
                                 f"software ({len(MIGRATIONS)})")
        except BaseException:
            conn.close()
            raise
        return store

    def verify(self) -> None:
        """Refuse a damaged file with ``StoreError("corrupt", ...)`` naming what is wrong.

        Two checks, both SQLite's own:

        - ``PRAGMA quick_check`` over the whole file: every page, every b-tree's structure and
          order, the free list. It does *not* compare an index with its table.
        - ``PRAGMA integrity_check(outbox)``: the outbox's rows and its two indexes compared entry
          by entry. An index that has lost or kept stale entries is well formed, so the quick check
          passes it, but the claim reads pending entries through the ``(status, id)`` index: a
          stale one hides returns from the agent for good. The outbox is checked this way at every
          open because it is the table whose index decides what gets delivered; the read model
          can be fetched again.

        ``kiosk-sync check`` runs the full ``integrity_check`` on demand. The cost at open is in
        docs/benchmarks.md (``bench.store_open``).
        """
        problems = self._check("PRAGMA quick_check")
        if not problems and self.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                      (CHECKED_TABLE,)):
            problems = self._check(f"PRAGMA integrity_check({CHECKED_TABLE})")
        if problems:
            shown = "; ".join(problems[:SHOWN_PROBLEMS])
            more = f" (and {len(problems) - SHOWN_PROBLEMS} more)" if len(problems) > SHOWN_PROBLEMS else ""
            raise StoreError("corrupt", f"{self.path}: damaged, found at open: {shown}{more}; "
                             "run kiosk-sync check, and see docs/operations.md (damaged store)")

    def _check(self, pragma: str) -> list[str]:
        """The problems a check pragma reports (empty when it answers ``ok``)."""
        with self._lock, self._guard():
            found = [row[0] for row in self.conn.execute(pragma)]
        return [] if found == ["ok"] else found

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            return version

    def _migrate(self) -> None:
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError("corrupt", f"{self.path}: schema version {version} is newer than "
                                 f"this software ({len(MIGRATIONS)})")
            if version < len(MIGRATIONS):
                import sqlite_utils
                db = sqlite_utils.Database(conn, execute_plugins=False)
            for number in range(version, len(MIGRATIONS)):
                log.info("migrating %s to schema version %d", self.path, number + 1)
                MIGRATIONS[number](db)
            conn.execute(f"PRAGMA user_version={len(MIGRATIONS)}")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise classify(exc) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction: committed (on disk) when the block ends, rolled back on error."""
        with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several queries (one read transaction)."""
        with self._transaction("BEGIN") as conn:
            yield conn

    def moved(self) -> str | None:
        """``"replaced"`` or ``"deleted"`` when the path no longer names the file this store
        opened; None while it does (and for a store opened read-only, which lives a moment)."""
        if self._opened is None:
            return None
        now = _identity(self.path)
        if now == self._opened:
            return None
        return "deleted" if now is None else "replaced"

    def _still_here(self) -> None:
        """Refuse (reason ``moved``) to go on with a file the path no longer names (class doc), and
        (reason ``readonly``) with one that cannot be written (:func:`unwritable`)."""
        if self._opened is not None:
            why = unwritable(self.path)
            if why is not None:
                if why != self._unwritable_said:
                    log.error("the store cannot be written: %s; nothing is saved until it can be", why)
                    self._unwritable_said = why
                raise StoreError("readonly", f"cannot be written: {why}")
            if self._unwritable_said:
                log.warning("the store %s can be written again", self.path)
                self._unwritable_said = None
        moved = self.moved()
        if moved is None:
            return
        if not self._moved_said:
            self._moved_said = True
            log.error("the store %s was %s while this process had it open: nothing more is saved "
                      "until both kiosk services are restarted (systemctl restart kiosk kiosk-sync)",
                      self.path, moved)
        raise StoreError("moved", f"{self.path} was {moved} while open")

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._guard():
            self._still_here()
            conn = self.conn
            conn.execute(begin)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Run one query and return its rows as dicts."""
        with self._lock, self._guard():
            self._still_here()
            cursor = self.conn.execute(sql, params)
            names = [column[0] for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def integrity_check(self) -> str:
        """SQLite's full integrity check: ``"ok"``, or the problems it found, one per line."""
        try:
            with self._lock, self._guard():
                found = [row[0] for row in self.conn.execute("PRAGMA integrity_check")]
        except StoreError as exc:
            return str(exc)
        return "\n".join(found) if found else "ok"

    def close(self) -> None:
        with self._lock:
            self.conn.close()
