"""The public face of the scoring package."""

from scoring.exceptions import SchemeError
from scoring.scheme import (
    Scheme,
    SectionRule,
    available_schemes,
    load_scheme,
    section_catalogue,
)

__all__ = ["Scheme", "SchemeError", "SectionRule", "available_schemes", "load_scheme",
           "section_catalogue"]
