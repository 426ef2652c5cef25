"""A command group that imports a command's module only when that command is used.

`uku-xero --help` lists every command from a static table (name → "module:attribute" and the
first paragraph of the command's help), so it imports no command module and asks Typer to
build no command: start-up stays near `import typer` however many commands there are. A
command is imported and built when it runs, when its own --help is asked, or when something
walks every command (`commands.items()`: the completion scripts, the README tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter

COMMAND_PACKAGE = "uku_xero_cli.cli"


@dataclass(frozen=True)
class LazyCommand:
    target: str  # "module:attribute" under uku_xero_cli.cli: a command function or a Typer app
    summary: str  # the first paragraph of the command's help (the listing shortens it)


class LazyCommands(MutableMapping[str, "Command"]):
    """The group's commands by name: listed from the table, built on first access."""

    def __init__(
        self,
        table: Mapping[str, LazyCommand],
        built: MutableMapping[str, Command],
        build: Callable[[str, LazyCommand], Command],
    ) -> None:
        self._table = table
        self._built = dict(built)
        self._build = build

    def built(self, name: str) -> Command | None:
        return self._built.get(name)

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = self._build(name, self._table[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._built if name not in self._table)

    def __len__(self) -> int:
        return len(set(self._table) | set(self._built))

    def __contains__(self, name: object) -> bool:
        return name in self._table or name in self._built


class LazyGroup(TyperGroup):
    """Give a subclass its `table` and pass it as `typer.Typer(cls=...)`."""

    table: ClassVar[Mapping[str, LazyCommand]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands: LazyCommands = LazyCommands(self.table, self.commands, self._build)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)  # names only: nothing is imported

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        # Commands not built yet stand in with their summary; Typer lays out the listing.
        stand_ins: dict[str, Command] = {
            name: self.commands.built(name) or TyperCommand(name=name, help=entry.summary)
            for name, entry in self.table.items()
        }
        listing = TyperGroup(commands={**stand_ins, **self._extra_commands()})
        listing.format_commands(ctx, formatter)

    def _extra_commands(self) -> dict[str, Command]:
        return {
            name: command
            for name in self.commands
            if name not in self.table and (command := self.commands.built(name)) is not None
        }

    def _build(self, name: str, entry: LazyCommand) -> Command:
        module, _, attribute = entry.target.partition(":")
        target = getattr(import_module(f"{COMMAND_PACKAGE}.{module}"), attribute)
        command: Command
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)
        else:
            single = typer.Typer(add_completion=False, rich_markup_mode=self.rich_markup_mode)
            single.command(name)(target)
            command = typer.main.get_command(single)
        command.name = name
        return command
