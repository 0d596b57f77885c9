"""Feeds `dieharder` the random bits of the benchmark's task data, as the protocol draws them:

    python bench/dieharder_feed.py [--seed 0] | dieharder -a -g 200

writes to stdout, until dieharder stops reading, the 23 random bits of every float32 value of the
training rows of ``ArithmeticTask("mul", seed=seed)`` (100 inputs on U[1, 2), batches of 128 rows,
step after step): on [1, 2) the generator puts the top 23 bits of its hash into the mantissa
(x = 1 + k·2⁻²³, cpp/nalu/tasks/uniform.cpp), so the mantissas are those bits exactly, and they are
packed back to back into bytes. The rows come from the package's own generator (``task.batch``),
so what dieharder judges is the data every run trains on, not a copy of the hash.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from nalu_ext.benchmark.tasks import ArithmeticTask

STEPS_PER_BLOCK = 64  # 64 batches of 128 rows × 100 values: 819 200 values, 2.4 MB of bits


def mantissa_bits(x: np.ndarray) -> np.ndarray:
    """The 23 mantissa bits of each float32 in [1, 2), packed into bytes (most significant first)."""
    if x.dtype != np.float32 or not np.all((x >= 1.0) & (x < 2.0)):
        raise ValueError("expected float32 values in [1, 2)")
    k = x.reshape(-1).view(np.uint32) & np.uint32(0x7FFFFF)
    bits = np.empty((k.size, 23), dtype=np.uint8)
    for position in range(23):  # column by column: a (n, 23) array of bytes, not of 32-bit words
        bits[:, position] = (k >> np.uint32(22 - position)) & np.uint32(1)
    return np.packbits(bits.reshape(-1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=0, help="stop after this many batches (0: never)")
    args = parser.parse_args()
    task = ArithmeticTask("mul", seed=args.seed)
    out = sys.stdout.buffer
    step = 0
    try:
        while not args.steps or step < args.steps:
            count = STEPS_PER_BLOCK if not args.steps else min(STEPS_PER_BLOCK, args.steps - step)
            block = np.concatenate([task.batch(step + j, 128)[0] for j in range(count)])
            out.write(mantissa_bits(block).tobytes())
            step += count
        out.flush()
    except BrokenPipeError:  # dieharder has read what it needs
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
