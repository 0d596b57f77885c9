"""Mistakes a type checker must catch (tests/test_types.py expects an error on each marked line)."""

import nalu_ext
from nalu_ext.benchmark import sweep

nalu_ext.NAU(100, 2, sed=0)  # error: a misspelt keyword
nalu_ext.NALU(100, 2, gate="inptu")  # error: not one of the gate's choices
nalu_ext.NAU(100, 2, constraint="clmap")  # error: not one of the constraints
layer: nalu_ext.NMU = nalu_ext.NAU(3, 1)  # error: the wrong class
nalu_ext.NAU(3, 1).no_such_attribute  # error: a missing attribute
summary: int = sweep([])  # error: sweep returns a SweepSummary
