"""The benchmark: the literature's protocols on nalu_ext's units, apart from the library.

Madsen & Johansen's arithmetic task and toy problem (:func:`make_run` with each family's published
recipe, :data:`RECIPES`; :func:`train_task`, judged as :class:`RunResult`), Mistry, Farrahi &
Hare's single-module benchmark (:mod:`~nalu_ext.benchmark.single_module`), the NPU paper's simple
task (:mod:`~nalu_ext.benchmark.npu_simple`); many runs at once with :func:`sweep`, recorded in a
results file (:func:`read_results`) and summarised (:class:`SweepSummary`, with Wilson intervals
from :mod:`~nalu_ext.benchmark.stats`) beside the published tables
(:mod:`~nalu_ext.benchmark.published`). ``python -m nalu_ext benchmark`` is the command line
(:mod:`~nalu_ext.benchmark.cli`). The units and the rest of nalu_ext import nothing from here.
"""

from . import published, single_module, stats, summaries, tasks
from .protocol import RunResult, sparsity_error, success_threshold, train_task
from .recipes import RECIPES, Recipe
from .frames import results_frame
from .results_file import ResultsFileError, ResultsFileWarning, ResultsWriteError, read_results, run_id
from .sweeps import RecipeWarning, SweepSummary, make_run, sweep

__all__ = [
    "train_task", "RunResult", "success_threshold", "sparsity_error", "sweep", "make_run", "SweepSummary",
    "read_results", "results_frame", "run_id", "ResultsFileError", "ResultsWriteError", "ResultsFileWarning", "Recipe", "RECIPES",
    "RecipeWarning", "published", "single_module", "stats", "summaries", "tasks",
]
