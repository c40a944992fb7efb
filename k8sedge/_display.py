"""How models look in a terminal and a notebook: compact reprs, HTML tables, DataFrames.

``Model`` gives an attrs model a one-line ``__repr__`` of its ``summary`` fields, an HTML
table of all its fields for Jupyter (``_repr_html_``) and ``to_dict()`` (its documented
wire form). ``frame(rows)`` builds a pandas DataFrame (pandas is optional: the
``notebook`` extra), imported only when asked for; ``to_pandas(models)`` is a DataFrame of
any list of models, one row each (what the surfaces' list calls answer).
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs

__all__ = ["Model", "frame", "html_table", "row", "to_dict", "to_pandas"]


def frame(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None) -> Any:
    """A pandas DataFrame of ``rows`` (pandas is imported now, not with k8sedge)."""
    try:
        import pandas as pd
    except ImportError as exc:
        from .errors import UnsupportedError

        raise UnsupportedError("to_pandas needs pandas: pip install 'k8sedge[notebook]'") from exc
    return pd.DataFrame(list(rows), columns=columns)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return row(value)
    return value


def row(model: Any) -> dict[str, Any]:
    """A model as one table row: its fields by Python name, enums as their values, nested
    models as dicts (dates stay dates, so pandas sorts and plots them)."""
    return {f.name: _plain(getattr(model, f.name)) for f in attrs.fields(type(model))}


def to_pandas(models: Iterable[Any]) -> Any:
    """A pandas DataFrame of ``models`` (any list a k8sedge call answers), one row each.

    >>> import k8sedge
    >>> client = k8sedge.connect()
    >>> _ = client.edge.nodes.register(name="n1", address="10.0.0.1")
    >>> k8sedge.to_pandas(client.pool.nodes.list())[["hostname", "status"]].values.tolist()
    [['n1', 'running']]
    """
    rows = [row(m) if attrs.has(type(m)) else dict(m) for m in models]
    return frame(rows)


def _cell(value: Any) -> str:
    if attrs.has(type(value)):
        value = to_dict(value)
    text = str(getattr(value, "value", value)) if value is not None else ""
    if len(text) > 120:
        text = text[:117] + "…"
    return html.escape(text)


def html_table(header: list[str], rows: Iterable[Iterable[Any]], caption: str = "") -> str:
    """A small HTML table (escaped)."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_dict(model: Any) -> Any:
    """A model's documented wire form (JSON-shaped)."""
    from .serde import unstructure

    return unstructure(model)


class Model:
    """Mixin of the models users see most: a compact ``repr`` (the ``summary`` fields; the
    class is declared with ``repr=False``), an HTML table for Jupyter and ``to_dict()``."""

    summary: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        parts = []
        for name in self.summary:
            value = getattr(self, name)
            parts.append(f"{name}={getattr(value, 'value', value)!r}")  # enums by value
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_html_(self) -> str:
        rows = [(f.name, getattr(self, f.name)) for f in attrs.fields(type(self))]  # type: ignore[arg-type]
        return html_table(["field", "value"], rows, caption=type(self).__name__)

    def to_dict(self) -> Any:
        """The documented wire form (JSON-shaped)."""
        return to_dict(self)
