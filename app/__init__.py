"""ASPIRE Casework: case assessment for probation and youth offending inspections."""

__version__ = "0.1.0"
