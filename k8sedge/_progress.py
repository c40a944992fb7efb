"""Progress bars on long work (bulk imports, comparisons, waiting for rollouts and runs, kind).

Bars are tqdm's: a widget in Jupyter (with ipywidgets installed; a text bar without), text in
a terminal. They are on in a
notebook and on an interactive terminal, and quiet in scripts whose stderr is not a TTY;
``progress=True``/``False`` on a call, or ``K8SEDGE_PROGRESS=1``/``0``, decides otherwise.

Work done deep inside the memory cluster (an import schedules pod after pod) reports through
``report()``: the call that started a bar makes it the current one for its context (worker
threads started with ``asyncio.to_thread`` see it too).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["bar", "enabled", "report", "silenced"]

_CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("k8sedge_progress", default=None)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if get is not None else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def enabled(progress: bool | None = None) -> bool:
    """Whether to show a bar: ``progress`` if given, else the environment, else whether
    someone is watching (a notebook, or a terminal on stderr)."""
    if progress is not None:
        return progress
    setting = os.environ.get("K8SEDGE_PROGRESS", "").strip().lower()
    if setting in ("1", "true", "yes", "on"):
        return True
    if setting in ("0", "false", "no", "off"):
        return False
    return _in_notebook() or bool(getattr(sys.stderr, "isatty", lambda: False)())


def _tqdm() -> Any:
    """tqdm's widget in Jupyter when ipywidgets is installed, its text bar otherwise (rather
    than ``tqdm.auto``'s warning that ipywidgets is missing)."""
    if _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as widget

        return widget
    from tqdm import tqdm as text

    return text


class _Quiet:
    """A bar that shows nothing."""

    total: int | None = None

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


@contextlib.contextmanager
def bar(
    description: str, total: int | None = None, *, progress: bool | None = None, unit: str = "it"
) -> Iterator[Any]:
    """A progress bar for the duration of a block; ``report()`` inside it advances it."""
    if enabled(progress):
        shown: Any = _tqdm()(total=total, desc=description, unit=unit, leave=True)
    else:
        shown = _Quiet()
    token = _CURRENT.set(shown)
    try:
        yield shown
    finally:
        _CURRENT.reset(token)
        shown.close()


def report(n: int = 1, total: int | None = None) -> None:
    """Advance the current bar, if any (and set its total when it becomes known)."""
    shown = _CURRENT.get()
    if shown is None:
        return
    if total is not None and getattr(shown, "total", None) != total:
        shown.total = total
        refresh = getattr(shown, "refresh", None)
        if refresh is not None:
            refresh()
    shown.update(n)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Work inside this block does not advance the current bar (a sub-task)."""
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)
