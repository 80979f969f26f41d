"""Long-lived data and Python's garbage collector.

A suggestion index and the classifiers are a few hundred thousand Python objects that live for
minutes or for the whole process. Python's cyclic collector walks all of them in a full
collection: measured 158 ms on the bench database, a pause in whichever request triggers it.
After building such data we move everything alive into the permanent generation
(`gc.freeze`), which full collections skip. Reference counting still frees those objects when
they are replaced, so nothing stays alive longer than before.
"""

from __future__ import annotations

import gc


def exempt_long_lived_objects_from_collection() -> None:
    """Call after loading data that stays: later full collections skip it.

    Collecting first means only what is really alive is frozen, not garbage awaiting its
    cycle collection (that would never be freed). This one collection happens while loading,
    which is slow anyway, instead of in a later request.
    """
    gc.collect()
    gc.freeze()
