"""Safe evaluation of a custom monetization expression (rule = "custom").

The spec's expression is parsed with :mod:`ast` and checked by
:func:`learnroi.core.expression.parse_expression` (numbers, names, ``+ - * / **`` and a few functions);
this module walks that tree over numpy arrays. Nothing is passed to ``eval``: a spec file can hold
arithmetic, never code. Hand-written because the few libraries that do this (simpleeval, asteval)
are not dependencies and the grammar is a dozen lines.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from learnroi.core.errors import SpecError
from learnroi.core.expression import parse_expression

Array = NDArray[np.float64]

_BINARY: dict[type[ast.operator], Callable[[Array, Array], Array]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_FUNCTIONS: dict[str, Callable[..., Array]] = {
    "min": lambda *a: np.minimum.reduce(np.broadcast_arrays(*a)),
    "max": lambda *a: np.maximum.reduce(np.broadcast_arrays(*a)),
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
}


def evaluate(expression: str, names: Mapping[str, NDArray[np.float64] | float]) -> Array:
    """Evaluate ``expression`` element-wise over ``names`` (arrays broadcast together)."""
    tree, used = parse_expression(expression)
    missing = sorted(used - set(names))
    if missing:
        raise SpecError(
            f"expression {expression!r} uses {', '.join(missing)}, which has no value",
            hint="Define it under [assumptions], or use effect / gain for the attributed effect.",
        )
    with np.errstate(all="ignore"):
        return np.asarray(_walk(tree.body, names), dtype=float)


def _walk(node: ast.AST, names: Mapping[str, NDArray[np.float64] | float]) -> Array:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return np.asarray(float(node.value), dtype=np.float64)
    if isinstance(node, ast.Name):
        return np.asarray(names[node.id], dtype=float)
    if isinstance(node, ast.UnaryOp):
        inner = _walk(node.operand, names)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_walk(node.left, names), _walk(node.right, names))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return np.asarray(_FUNCTIONS[node.func.id](*(_walk(a, names) for a in node.args)), dtype=float)
    raise SpecError(  # parse_expression rejects everything else; kept for safety
        f"unsupported expression element {type(node).__name__}",
        hint="Use numbers, names, + - * / ** and min, max, abs, exp, log, sqrt only.",
    )
