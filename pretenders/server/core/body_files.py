"""Reply bodies read from files under one root directory (``--files-root``).

A preset names a file by its path relative to the root; the path is checked when the
preset is added (it must stay inside the root, symbolic links resolved, and name a
readable file no larger than the body limit) and the file is read when a request is
served, so a fixture may change while the server runs. Reads are cached by the file's
modification time and size: an unchanged file is read once.
"""

from __future__ import annotations

import os
from pathlib import Path

from pretenders.server.core.errors import InvalidInput

__all__ = ["BodyFileError", "FilesRoot", "no_files_root"]


class BodyFileError(Exception):
    """A body file that can no longer be served (gone, grown past the limit, moved out)."""


def no_files_root(field: str = "body_file") -> InvalidInput:
    """The 400 of a body file on a server started without a root for them."""
    return InvalidInput(
        f"{field}: this server serves no files; start it with --files-root DIR (the "
        "directory body files are read from)",
        field=field,
    )


class FilesRoot:
    """The directory body files are read from, and a cache of what was read."""

    __slots__ = ("_cache", "max_size", "root")

    CACHED_FILES = 64
    """Files whose content is kept (the most recently added first dropped past it)."""

    def __init__(self, root: str | os.PathLike[str], max_size: int) -> None:
        path = Path(root)
        if not path.is_dir():
            raise InvalidInput(
                f"files_root: {str(root)!r} is not a directory (--files-root)", field="files_root"
            )
        self.root = path.resolve()
        self.max_size = max_size
        """The largest file served (the server's --max-body-size)."""
        self._cache: dict[Path, tuple[tuple[int, int], bytes]] = {}

    def check(self, relative: str, field: str = "body_file") -> Path:
        """The file ``relative`` names under the root; InvalidInput naming ``field`` when it
        leaves the root, is no regular file or is too large."""
        try:
            return self._resolve(relative, field)
        except BodyFileError as error:
            raise InvalidInput(f"{field}: {error}", field=field) from None

    def read_checked(self, relative: str, field: str = "body_file") -> bytes:
        """:meth:`read`, when a preset is added: InvalidInput naming ``field`` if it fails."""
        try:
            return self.read(relative)
        except BodyFileError as error:
            raise InvalidInput(f"{field}: {error}", field=field) from None

    def _resolve(self, relative: str, field: str) -> Path:
        if not relative or "\x00" in relative:
            raise BodyFileError("a path relative to --files-root is needed")
        given = Path(relative)
        if given.is_absolute() or relative.startswith(("/", "\\")):
            raise BodyFileError(f"{relative!r} is absolute; give a path relative to --files-root")
        try:
            path = (self.root / given).resolve(strict=True)
        except FileNotFoundError:
            raise BodyFileError(f"{relative!r}: no such file under --files-root") from None
        except (OSError, RuntimeError) as error:  # a loop of links, a name too long...
            raise BodyFileError(f"{relative!r}: {error}") from None
        if not path.is_relative_to(self.root):
            raise BodyFileError(
                f"{relative!r} leads outside --files-root (by .. or a symbolic link)"
            )
        if not path.is_file():
            raise BodyFileError(f"{relative!r} is not a regular file")
        size = path.stat().st_size
        if size > self.max_size:
            raise BodyFileError(
                f"{relative!r} is {size} bytes, over the {self.max_size} a body may be "
                "(--max-body-size)"
            )
        return path

    def read(self, relative: str) -> bytes:
        """The file's bytes now (cached while it is unchanged); BodyFileError saying why
        it cannot be served."""
        path = self._resolve(relative, "body_file")
        try:
            status = path.stat()
            key = (status.st_mtime_ns, status.st_size)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            with path.open("rb") as file:
                content = file.read(self.max_size + 1)
        except OSError as error:
            raise BodyFileError(f"{relative!r} cannot be read: {error.strerror}") from None
        if len(content) > self.max_size:
            raise BodyFileError(f"{relative!r} grew over the {self.max_size} bytes a body may be")
        if len(self._cache) >= self.CACHED_FILES:
            self._cache.pop(next(iter(self._cache)))
        self._cache[path] = (key, content)
        return content
