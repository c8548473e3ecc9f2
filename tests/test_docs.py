"""The README documents every command and every setting; every command has help with an example."""

from __future__ import annotations

import ast
import inspect

import click

from app import CONFIG_MODULES, create_app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        yield full, command
        if isinstance(command, click.Group):
            yield from _commands(command, full + " ")


def test_every_command_is_in_the_readme_with_help_and_an_example():
    for name, command in _commands(create_app({"TESTING": True}).cli):
        assert f"pressmark {name}" in README, f"`pressmark {name}` is not in the README"
        assert command.help, f"{name} has no help"
        if not isinstance(command, click.Group):
            assert "Example:" in command.help, f"{name} help has no Example: block"


def test_every_setting_has_a_docstring_and_is_in_the_readme():
    for module in CONFIG_MODULES:
        tree = ast.parse(inspect.getsource(module))
        body = tree.body
        for node, following in zip(body, body[1:] + [None], strict=True):
            if isinstance(node, ast.Assign) and node.targets[0].id.isupper():
                name = node.targets[0].id
                assert isinstance(following, ast.Expr) and isinstance(
                    following.value, ast.Constant
                ), f"{module.__name__}.{name} has no docstring"
                assert f"`{name}`" in README, f"setting {name} is not in the README"
