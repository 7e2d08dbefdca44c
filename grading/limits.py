"""What one submission may use: the one definition of the grader's limits.

The pipeline (`make grade`), `make check` and the stock comparison (`--stock`) read their limits
from here; `python -m grading grade --help` and `make grade` offer every field below as an option
(`--cell-timeout`, `CELL_TIMEOUT=`, ...), and the grader's fingerprint includes them, so a re-run
after changing one re-grades every submission.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _limit(default, help: str, unit: str = ""):
    return field(default=default, metadata={"help": help, "unit": unit})


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in MB (output in KB)."""

    cell_timeout: int = _limit(300, "time one cell may run before it is interrupted", "s")
    submission_timeout: int = _limit(900, "time the whole notebook may run (watchdog)", "s")
    memory_mb: int = _limit(4096, "resident memory of the kernel and its children (watchdog)", "MB")
    address_space_mb: int = _limit(32768, "address space (RLIMIT_AS): a 50 GB allocation fails at once "
                                          "with MemoryError", "MB")
    file_size_mb: int = _limit(512, "largest file the kernel may write (RLIMIT_FSIZE)", "MB")
    max_processes: int = _limit(256, "processes of the sandbox uid (RLIMIT_NPROC, root only): no fork bomb")
    max_output_kb: int = _limit(512, "text output kept per cell; the rest is dropped, with a note", "KB")
    max_stream_mb: int = _limit(8, "stdout+stderr a kernel may write in all; the rest is dropped at the "
                                   "source", "MB")
    network: bool = _limit(False, "keep the network (the kernel gets no network namespace)")

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" or f.type is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"limit {f.name} must be True or False, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"limit {f.name} must be a positive whole number"
                                 f"{' of ' + UNITS[f.metadata['unit']] if f.metadata['unit'] else ''}, got {value!r}")

    def as_dict(self) -> dict:
        """The limits as plain data (what a grading job carries)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Limits":
        """Limits from `as_dict()` data; a ValueError names any key that is not a limit."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown limit(s) {', '.join(unknown)}; the limits are: {', '.join(names())}")
        return cls(**data)


UNITS = {"s": "seconds", "MB": "megabytes", "KB": "kilobytes"}


def names() -> list[str]:
    """Every limit's name, in definition order."""
    return [f.name for f in fields(Limits)]


def option(name: str) -> str:
    """The command-line option of a limit: cell_timeout -> --cell-timeout."""
    return "--" + name.replace("_", "-")


def make_variable(name: str) -> str:
    """The `make grade` variable of a limit: cell_timeout -> CELL_TIMEOUT."""
    return name.upper()


def add_arguments(parser, only: tuple[str, ...] | None = None,
                  title: str = "limits (per submission; a change re-grades every submission)") -> None:
    """Add an option for every limit (or those in `only`) to an argparse parser, defaults from Limits."""
    import argparse

    defaults = Limits()
    group = parser.add_argument_group(title)
    for f in fields(Limits):
        if only is not None and f.name not in only:
            continue
        default = getattr(defaults, f.name)
        unit = f" ({UNITS[f.metadata['unit']]})" if f.metadata["unit"] else ""
        text = f"{f.metadata['help']}{unit}; make: {make_variable(f.name)}=; default: %(default)s"
        if isinstance(default, bool):
            group.add_argument(option(f.name), dest=f.name, action=argparse.BooleanOptionalAction,
                               default=default, help=text)
        else:
            group.add_argument(option(f.name), dest=f.name, type=_positive_int, default=default,
                               metavar=f.metadata["unit"] or "N", help=text)


def from_arguments(args, only: tuple[str, ...] | None = None) -> Limits:
    """The Limits an argparse namespace filled by `add_arguments` asks for."""
    return Limits(**{name: getattr(args, name) for name in names() if only is None or name in only})


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value}")
    return value
