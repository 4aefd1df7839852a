"""No log call anywhere in the repository passes a reserved `LogRecord` attribute in `extra=`.

`Logger.makeRecord` raises `KeyError("Attempt to overwrite 'created' in LogRecord")` for such a
key, but only when the record is built, i.e. only at a level that lets the call through: a
suite running at WARNING never builds an INFO record, and `contacts import` crashed for every
user at the default level. This test reads the code instead of running it, so every call is
checked whatever level a test runs at.

What it accepts in `extra=` (the decision the issue left to us):
- a dict literal whose keys are string constants outside RESERVED (and outside the JSON
  fields app_logging's formatter writes itself, which an extra key would silently replace);
- a `**spread` inside that literal only when listed in CHECKED_SPREADS, which names the
  expression by file and source text and gives a function returning its keys, checked here;
- nothing else: a variable, a call or a computed key cannot be read statically, so a new one
  fails here until it is written as a literal or listed in CHECKED_SPREADS with its keys.
"""

from __future__ import annotations

import ast
import logging
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from conftest import ROOT

from outbound.processor import ProcessSummary

# Every attribute a LogRecord has on this Python, plus the names makeRecord refuses outright
# and the ones newer Pythons add (taskName, 3.12), so the check does not depend on the version.
RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {
    "name", "msg", "args", "created", "module", "filename", "levelname", "levelno", "pathname",
    "lineno", "funcName", "exc_info", "exc_text", "stack_info", "relativeCreated", "msecs",
    "process", "processName", "thread", "threadName", "taskName", "message", "asctime",
}
# Keys app_logging.JsonFormatter writes before the extras; an extra of the same name would
# replace them without an error ("event" is meant to be passed, so it is not listed).
FORMATTER_FIELDS = frozenset({"time", "level", "logger", "exception"})
FORBIDDEN = RESERVED | FORMATTER_FIELDS

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})

# (file, source of the spread) -> a function returning every key the spread can produce.
CHECKED_SPREADS: dict[tuple[str, str], Callable[[], Iterable[str]]] = {
    ("run_broadcast_processor.py", "summary.as_dict()"): lambda: ProcessSummary().as_dict().keys(),
}


def tracked_python_files() -> list[Path]:
    """The repository's .py files as git tracks them (a tree without git: every .py outside .venv)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", "*.py"], cwd=ROOT, capture_output=True,
                                check=True, text=True).stdout
        files = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [path for path in ROOT.rglob("*.py") if ".venv" not in path.relative_to(ROOT).parts]
    return sorted(path for path in files if path.exists())


def extra_problems(source: str, filename: str) -> list[str]:
    """'file:line: reason' for every log call in `source` whose `extra=` is not provably safe."""
    problems = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS):
            continue
        for keyword in node.keywords:
            if keyword.arg != "extra":
                continue
            where = f"{filename}:{keyword.value.lineno}"
            value = keyword.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict" \
                    and not value.args:
                names = [(item.arg, item.value) for item in value.keywords]
            elif isinstance(value, ast.Dict):
                names = [(key.value if isinstance(key, ast.Constant) else key, item)
                         for key, item in zip(value.keys, value.values, strict=True)]
            else:
                problems.append(f"{where}: extra={ast.unparse(value)} is not a dict literal: its keys are unknown")
                continue
            for key, item in names:
                if key is None:  # a **spread
                    spread = ast.unparse(item)
                    keys_of = CHECKED_SPREADS.get((filename, spread))
                    if keys_of is None:
                        problems.append(f"{where}: **{spread} in extra= is not listed in CHECKED_SPREADS")
                        continue
                    problems += [f"{where}: **{spread} yields the reserved key {name!r}"
                                 for name in keys_of() if name in FORBIDDEN]
                elif not isinstance(key, str):
                    problems.append(f"{where}: extra= key {ast.unparse(key)} is not a string constant")
                elif key in FORBIDDEN:
                    problems.append(f"{where}: extra= key {key!r} is a reserved LogRecord or log-line field;"
                                    f" prefix it (e.g. 'contacts_{key}')")
    return problems


def test_no_log_call_passes_a_reserved_key_in_extra():
    files = tracked_python_files()
    assert len(files) > 50 and ROOT / "campaigns/contacts.py" in files  # the walk found the code
    problems = [problem for path in files
                for problem in extra_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert problems == []


def test_every_checked_spread_still_exists():
    sources = {name: (ROOT / name).read_text(encoding="utf-8") for name, _ in CHECKED_SPREADS}
    assert [(name, spread) for name, spread in CHECKED_SPREADS if f"**{spread}" not in sources[name]] == []


@pytest.mark.parametrize(("snippet", "expected"), [
    ('log.info("x", extra={"event": "e", "created": 3})', "key 'created' is a reserved"),
    ('logger.warning("x", extra={"module": "m"})', "key 'module' is a reserved"),
    ('logging.error("x", extra=dict(name="n"))', "key 'name' is a reserved"),
    ('logger.log(20, "x", extra={"level": "loud"})', "key 'level' is a reserved"),
    ('logger.info("x", extra={"taskName": "t"})', "key 'taskName' is a reserved"),
    ('logger.info("x", extra=fields)', "extra=fields is not a dict literal"),
    ('logger.info("x", extra={**fields})', "**fields in extra= is not listed"),
    ('logger.info("x", extra={key: 1})', "extra= key key is not a string constant"),
])
def test_the_guard_names_file_line_and_reason(snippet, expected):
    [problem] = extra_problems("\n\n" + snippet, "example.py")
    assert problem.startswith("example.py:3: ") and expected in problem, problem


def test_the_guard_accepts_prefixed_keys_and_other_calls():
    snippet = ('logger.info("x", extra={"event": "e", "contacts_created": 1, "wamid": w})\n'
               'other.info("x", created=1)\nrequests.get(url, extra={"name": 1})\n')
    assert extra_problems(snippet, "example.py") == []


def test_the_reserved_names_are_the_ones_logging_refuses():
    logger = logging.getLogger("tests.logging_guard")
    for name in sorted(RESERVED - {"taskName"}):  # taskName is an attribute from Python 3.12 on
        with pytest.raises(KeyError):
            logger.makeRecord(logger.name, logging.INFO, __file__, 1, "m", (), None, extra={name: 1})
