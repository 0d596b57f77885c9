"""The string choices of the public API as types, so that a type checker catches a misspelt one."""

from typing import Literal

LossName = Literal["mse", "sse"]
GateName = Literal["input", "scalar"]
JudgeName = Literal["final", "published"]
DTypeName = Literal["float32", "float64"]
