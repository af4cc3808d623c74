"""A safe parser for 1-D target expressions such as ``"exp(-5*x)"``.

The expression is parsed with :mod:`ast` and only a whitelist is
accepted: numbers, the variable ``x``, the constants ``pi`` and ``e``,
``+ - * / **``, unary minus, and calls of the functions in ``FUNCTIONS``.
Nothing is ever passed to ``eval``; the tree is walked and evaluated on
numpy arrays.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable

import numpy as np

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.abs,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "relu": lambda v: np.maximum(v, 0),
    "min": np.minimum, "max": np.maximum,
}
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY: dict[type, Callable[..., Any]] = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power, ast.Mod: np.mod}
_UNARY: dict[type, Callable[..., Any]] = {ast.USub: np.negative, ast.UAdd: np.positive}


def compile_expression(text: str) -> Callable[[np.ndarray], np.ndarray]:
    """A function of x computing ``text``; ValueError naming what is not allowed."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, got {type(text).__name__}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse expression {text!r}: {exc.msg}") from None

    def build(node: ast.AST) -> Callable[[np.ndarray], Any]:  # an array, or a float for constants
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda x: value
        if isinstance(node, ast.Name):
            if node.id == "x":
                return lambda x: x
            if node.id in CONSTANTS:
                value = CONSTANTS[node.id]
                return lambda x: value
            raise ValueError(f"unknown name {node.id!r} in {text!r}; use x, pi, e or a function: "
                             + ", ".join(sorted(FUNCTIONS)))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op, left, right = _BINARY[type(node.op)], build(node.left), build(node.right)
            return lambda x: op(left(x), right(x))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            op, operand = _UNARY[type(node.op)], build(node.operand)
            return lambda x: op(operand(x))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in FUNCTIONS:
                raise ValueError(f"unknown function {node.func.id!r} in {text!r}; allowed: "
                                 + ", ".join(sorted(FUNCTIONS)))
            fn, args = FUNCTIONS[node.func.id], [build(a) for a in node.args]
            return lambda x: fn(*(a(x) for a in args))
        raise ValueError(f"not allowed in an expression: {ast.unparse(node)!r} (in {text!r})")

    # Constants stay Python floats until the end: numpy then takes its
    # scalar fast paths (x**2 is x*x, correctly rounded; power with an array
    # exponent is not).
    evaluate = build(tree)
    return lambda x: np.broadcast_to(evaluate(x), np.shape(x)).astype(np.result_type(x, np.float64))
