"""``--config FILE``: option defaults from a TOML file; the command line wins.

The file holds option names as keys (``density = 0.05``, ``batch-size`` or ``batch_size``),
at the top level for every command that has the option, or in a table named after one
command (``[train]``, ``[select]``, ``[study]``) for that command only. A key that is no
option of any command, or of the table's command, is an error: a typo must not be ignored.
"""

import click

#: Commands whose options a config file may set (those with ``--config``).
SECTIONS = ("train", "select", "study")


def _option_names(command):
    """{key: parameter name} for the file's spellings of ``command``'s options."""
    names = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("config", "help"):
            for opt in param.opts:
                if opt.startswith("--"):
                    names[opt[2:]] = param.name
                    names[opt[2:].replace("-", "_")] = param.name
            names[param.name] = param.name
    return names


def _as_option_value(value):
    """TOML lists become the comma-separated text the options parse (``[1000, 100]``)."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value


def read_config(path, command_name, names, all_names):
    """The default map for ``command_name`` from the TOML file at ``path``.

    ``names`` are the keys this command accepts, ``all_names`` those of any command with
    ``--config``. Raises click.BadParameter (one sentence) for an unreadable file or key.
    """
    import tomllib

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path} ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path} is not valid TOML ({exc}); fix the line it "
                                 "names") from None
    defaults = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise click.BadParameter(f"{path} has a table [{key}], but tables must be "
                                         f"named after a command: {', '.join(SECTIONS)}")
            if key != command_name:
                continue
            for sub, subvalue in value.items():
                if sub not in names:
                    raise click.BadParameter(f"{path} sets '{sub}' in [{key}], which is no "
                                             f"option of sparsefs {key}; see sparsefs {key} "
                                             "--help for the names")
                defaults[names[sub]] = _as_option_value(subvalue)
        elif key not in all_names:
            raise click.BadParameter(f"{path} sets '{key}', which is no option of "
                                     f"sparsefs {', '.join(SECTIONS)}; check the spelling")
        elif key in names:
            defaults.setdefault(names[key], _as_option_value(value))
    return defaults


def _load_into_context(ctx, param, value):
    if value is None:
        return None
    root = ctx.find_root().command
    all_names = set()
    for name in SECTIONS:
        cmd = root.commands.get(name) if isinstance(root, click.Group) else None
        if cmd is not None:
            all_names |= set(_option_names(cmd))
    names = _option_names(ctx.command)
    all_names |= set(names)
    ctx.default_map = {**(ctx.default_map or {}),
                       **read_config(value, ctx.command.name, names, all_names)}
    return value


def config_option(func):
    """Add ``--config FILE``: read first (eager), so its values become the other options'
    defaults and anything on the command line still wins."""
    return click.option("--config", type=click.Path(dir_okay=False), default=None,
                        is_eager=True, expose_value=False, callback=_load_into_context,
                        help="TOML file of option defaults (see the README); the command "
                             "line wins.")(func)
