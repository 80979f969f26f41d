"""Personal data (AVG/GDPR): masking free text before it is analysed, shared or published.

Plain Python: nothing in this package imports Flask or SQLAlchemy.
"""

from __future__ import annotations

from kcc.privacy.masking import (
    Match,
    PersonalDataKind,
    find_personal_data,
    mask_personal_data,
)

__all__ = ["Match", "PersonalDataKind", "find_personal_data", "mask_personal_data"]
