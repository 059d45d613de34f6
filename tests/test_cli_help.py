"""Every command's --help ends with examples that call it with options it has."""
from __future__ import annotations

import shlex

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.cli.examples import EXAMPLES


@pytest.mark.parametrize("name", sorted(main.commands))
def test_help_shows_examples_that_use_real_options(name):
    command = main.commands[name]
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0 and "Examples:" in result.output
    options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    for example in EXAMPLES[name]:
        words = shlex.split(example.replace("\\\n", " "))
        assert words[:2] == ["crmplan", name]
        assert example.splitlines()[0] in result.output
        used = {w for w in words[2:] if w.startswith("-") and not w.lstrip("-")[:1].isdigit()}
        assert used <= options, used - options
