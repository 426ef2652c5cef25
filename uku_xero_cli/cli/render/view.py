"""What a command shows a person in text mode, in order: data for stdout and notes for stderr.

A render function returns a renderable, or a `View` when the text output has more than one
part; `Output.emit` prints it. The view only says what each part is; where it goes and when it
is left out (--quiet, no terminal) is the output policy's (cli/output.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import RenderableType

# data: stdout, left out by --quiet. terminal: stdout, only at a colour terminal (a chart is
# for a person; pipes and files get the table). info: stderr, left out by --quiet.
# warning: stderr, always. document: a JSON value on stdout, indented (and coloured) at a
# terminal, on one line elsewhere, amounts exact; left out by --quiet. verbatim: text on
# stdout exactly as given (a token, a body that is not JSON), never wrapped, cut or styled;
# left out by --quiet.
PartKind = Literal["data", "terminal", "info", "warning", "document", "verbatim"]


@dataclass
class View:
    parts: list[tuple[PartKind, Any]] = field(default_factory=list)

    def data(self, renderable: RenderableType) -> View:
        self.parts.append(("data", renderable))
        return self

    def terminal(self, renderable: RenderableType) -> View:
        self.parts.append(("terminal", renderable))
        return self

    def info(self, message: str) -> View:
        self.parts.append(("info", message))
        return self

    def warn(self, message: str) -> View:
        self.parts.append(("warning", message))
        return self

    def document(self, value: Any) -> View:
        self.parts.append(("document", value))
        return self

    def verbatim(self, text: str) -> View:
        self.parts.append(("verbatim", text))
        return self
