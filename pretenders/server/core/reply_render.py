"""Replies made per request: templated ones (``template: true``) and bodies from files.

A :class:`~pretenders.server.core.presets.Reply` that is neither has no
:class:`ReplyMaker` and is sent as stored, at no cost. One that is gets one, built when
the preset is added (templates compiled, the body file checked: a fault is a 400 naming
the field); :meth:`ReplyMaker.answer` then makes the reply of each request, or a 500
saying why it could not.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict

from pretenders.server.core.body_files import BodyFileError, FilesRoot, no_files_root
from pretenders.server.core.errors import InvalidInput
from pretenders.server.core.matching import MatchRule, MatchSubject
from pretenders.server.core.patterns import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from pretenders.server.core.presets import Reply
    from pretenders.server.core.templating import CompiledTemplate

DEFAULT_LIMIT = 16 * 1024 * 1024
"""Bytes a made reply body may have when no limit is given (the default --max-body-size)."""


@dataclass(frozen=True)
class ReplyOptions:
    """What the server lends replies made per request: where body files are, the largest
    body, the regex time limit (for a rule's groups)."""

    files: FilesRoot | None = None
    limit: int = DEFAULT_LIMIT
    regex_timeout: float = DEFAULT_TIMEOUT
    files_checked: bool = True
    """Refuse a preset whose body file cannot be read now (when it is added). False for a
    preset another server added to a shared store: this one may lack the file, or a
    --files-root, and then answers its requests with a 500 that says so."""


DEFAULT_OPTIONS = ReplyOptions()


class ReplyMaker:
    """How one preset's reply is made for each request."""

    __slots__ = ("body", "counter", "file_templates", "headers", "options", "reply", "status")

    headers: list[tuple[str, CompiledTemplate]]
    """The header values that are templates (the others are sent as given)."""

    def __init__(self, reply: Reply, options: ReplyOptions) -> None:
        self.reply = reply
        self.options = options
        self.counter = itertools.count(1).__next__
        """``counter()`` in the templates: 1, 2, 3... for this preset, in this process."""
        self.status: CompiledTemplate | None = None
        self.headers = []
        self.body: CompiledTemplate | None = None
        self.file_templates: dict[bytes, CompiledTemplate] = {}
        content: bytes | None = None
        if reply.body_file is not None:
            if reply.body:
                raise InvalidInput(
                    "body_file: give a body or a body_file, not both", field="body_file"
                )
            if options.files is not None:
                try:
                    content = options.files.read_checked(reply.body_file)
                except InvalidInput:
                    if options.files_checked:
                        raise
            elif options.files_checked:
                raise no_files_root()
        if not reply.template:
            return
        from pretenders.server.core.templating import compile_template

        if reply.status_text is not None:
            self.status = compile_template(reply.status_text, "status")
        for name, value in reply.headers:
            if "{" in value:
                self.headers.append((name, compile_template(value, f"headers.{name}")))
        if reply.body_file is not None:
            if content is not None:  # else compiled when it is first read
                self._file_template(content, "body_file")
        else:
            self.body = compile_template(_text(reply.body, "body"), "body")

    def _file_template(self, content: bytes, field: str) -> CompiledTemplate:
        from pretenders.server.core.templating import compile_template

        compiled = self.file_templates.get(content)
        if compiled is None:
            if len(self.file_templates) >= 4:  # the file changed: forget older versions
                self.file_templates.clear()
            compiled = compile_template(_text(content, field), field)
            self.file_templates[content] = compiled
        return compiled

    def answer(self, subject: MatchSubject, rule: MatchRule | None) -> MadeReply:
        """The reply to this request; a 500 saying why when it cannot be made."""
        reply = self.reply
        try:
            body = reply.body
            if reply.body_file is not None:
                files = self.options.files
                if files is None:  # added by another server of a shared store
                    return failed("body_file: this server has no --files-root to read it in")
                body = files.read(reply.body_file)
            if not reply.template:
                return MadeReply(reply.status, body, reply.response_headers, reply.after)
            return self._render(subject, rule, body)
        except BodyFileError as error:
            return failed(f"body_file: {error}")

    def _render(self, subject: MatchSubject, rule: MatchRule | None, body: bytes) -> MadeReply:
        check_reply_header, check_status, RenderError, TemplateContext = _render_names()
        options = self.options
        context = TemplateContext(
            subject,
            rule,
            counter=self.counter,
            limit=options.limit,
            regex_timeout=options.regex_timeout,
        )
        reply = self.reply
        field = "body"
        try:
            headers = reply.response_headers
            status = reply.status
            if self.status is not None:
                field = "status"
                text = self.status.render(context).strip()
                if not text.isdigit():
                    raise RenderError(f"rendered {text[:40]!r}, not a status code")
                status = check_status(int(text))
                if status in NO_DEFAULT_TYPE and reply.adds_content_type:
                    headers = headers.copy()
                    del headers["Content-Type"]
            if self.headers:
                headers = headers.copy()
                for name, template in self.headers:
                    field = f"headers.{name}"
                    value = template.render(context)
                    check_reply_header(name, value)
                    headers[name] = value
            field = "body"
            if reply.body_file is not None:
                field = "body_file"
                template = self._file_template(body, "body_file")
            else:
                assert self.body is not None
                template = self.body
            made = template.render(context).encode("utf-8")
            if len(made) > options.limit:
                raise RenderError(f"the body would be over {options.limit} bytes")
            return MadeReply(status, made, headers, reply.after)
        except RenderError as error:
            return failed(f"{field}: {error}")
        except InvalidInput as error:  # a status or header the template made unusable
            message = error.message
            return failed(message if message.startswith(field) else f"{field}: {message}")


@functools.cache
def _render_names() -> tuple[Any, Any, Any, Any]:
    """What rendering needs of modules that import this one (or jinja2), imported once."""
    from pretenders.server.core.presets import check_reply_header, check_status
    from pretenders.server.core.templating import RenderError, TemplateContext

    return check_reply_header, check_status, RenderError, TemplateContext


@dataclass(slots=True)
class MadeReply:
    """A reply made for one request: what is sent, as the mock path reads a preset's."""

    status: int
    body: bytes
    response_headers: CIMultiDict[str]
    """Every header sent (the sandbox policy included)."""
    after: float = 0.0


NO_DEFAULT_TYPE = frozenset({204, 304})
"""Statuses 1.4 sent without a default Content-Type (they have no body to describe)."""


def _text(content: bytes, field: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{field}: a template must be UTF-8 text", field=field) from None


def failed(why: str) -> MadeReply:
    """The 500 of a reply that could not be made, saying why (and so recorded)."""
    from pretenders.server.core.presets import SANDBOX

    headers = CIMultiDict((("Content-Type", "text/plain; charset=utf-8"), *SANDBOX))
    text = f"pretenders: the preset's reply could not be made: {why}\n"
    return MadeReply(500, text.encode("utf-8", errors="replace"), headers)
