"""The grammar of a custom monetization expression (``rule = "custom"`` in a program spec): arithmetic only.

Parsed with the standard library's ``ast`` and checked node by node, so an expression is never handed to
``eval``; the roi layer evaluates the checked tree element-wise (``learnroi.roi.expression``).
"""

from __future__ import annotations

import ast

EXPRESSION_FUNCTIONS = ("min", "max", "abs", "exp", "log", "sqrt")
"""Functions a custom monetization expression may call (evaluated element-wise by ``learnroi.roi``)."""
_EXPRESSION_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Call,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.USub,
    ast.UAdd,
)


def parse_expression(expression: str) -> tuple[ast.Expression, frozenset[str]]:
    """Parse a custom monetization expression; return its tree and the names it uses.

    Only arithmetic (``+ - * / **``), numbers, names and the calls in :data:`EXPRESSION_FUNCTIONS` are
    allowed: the expression is never handed to ``eval`` (see ``learnroi.roi.expression``).
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {expression!r} is not valid arithmetic: {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _EXPRESSION_NODES):
            raise ValueError(
                f"expression {expression!r} uses {type(node).__name__}, which is not allowed "
                "(only numbers, names, + - * / ** and " + ", ".join(EXPRESSION_FUNCTIONS) + ")"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"expression {expression!r} has a non-numeric constant {node.value!r}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in EXPRESSION_FUNCTIONS:
                raise ValueError(
                    f"expression {expression!r} calls something other than " + ", ".join(EXPRESSION_FUNCTIONS)
                )
            if node.keywords or not node.args:
                raise ValueError(f"expression {expression!r}: call functions with positional arguments only")
        if isinstance(node, ast.Name) and not _is_called(tree, node):
            names.add(node.id)
    return tree, frozenset(names)


def _is_called(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


EXPRESSION_EFFECT_NAMES = frozenset({"effect", "gain"})
"""Names a custom expression may use besides the assumptions: the raw effect and the direction-adjusted gain."""
