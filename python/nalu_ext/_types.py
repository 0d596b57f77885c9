"""The string choices of the public API as types, so that a type checker catches a misspelt one."""

from typing import Literal

LossName = Literal["mse", "sse"]
GateName = Literal["input", "scalar"]  # units/nalu.py NALU.GATES
NaluBase = Literal["e", "golden-ratio"]  # units/nalu.py NALU.BASES
JudgeName = Literal["final", "published"]
DTypeName = Literal["float32", "float64"]
ConstraintName = Literal["clamp", "clip", "none"]  # units/nau.py CONSTRAINTS
ActivationName = Literal["identity", "sigmoid", "tanh", "relu"]  # units/linear.py ACTIVATIONS
RegularizerFormName = Literal["schlor", "nalm-benchmark"]  # units/inalu.py REGULARIZER_FORMS
