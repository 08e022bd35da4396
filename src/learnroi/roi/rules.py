"""The Phillips conservative defaults, each switchable and each stated in the result.

Phillips & Phillips, *The ROI Methodology* guiding principles: 6 (no data from a group means no
improvement), 7 (adjust estimates for error: benefit x share attributed x confidence), 8 (exclude extreme
items and unsupported claims), 9 (short programs: first-year benefits only).
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_YEAR_MONTHS = 12


@dataclass(frozen=True)
class PhillipsRules:
    """Which conservative defaults apply (all on by default)."""

    first_year_only: bool = True
    """Principle 9: count at most 12 months of benefits (switch off for long programs)."""
    no_data_no_improvement: bool = True
    """Principle 6: a missing effect or a non-respondent counts as zero improvement."""
    adjust_by_confidence: bool = True
    """Principle 7: estimates count as improvement x share attributed x confidence."""
    exclude_extremes: bool = True
    """Principle 8: estimate claims above Tukey's far-out fence (Q3 + 3 IQR) count as zero."""

    def horizon(self, horizon_months: int) -> int:
        """The number of months benefits are counted over under these rules."""
        return min(horizon_months, FIRST_YEAR_MONTHS) if self.first_year_only else horizon_months

    def describe(self) -> tuple[str, ...]:
        """One sentence per rule, saying whether it is on (shown with every result)."""
        return (
            _state(self.first_year_only, "first-year benefits only (Phillips principle 9)"),
            _state(self.no_data_no_improvement, "no data means no improvement (principle 6)"),
            _state(self.adjust_by_confidence, "estimates adjusted by share and confidence (principle 7)"),
            _state(self.exclude_extremes, "extreme estimate claims excluded (principle 8)"),
        )

    def to_dict(self) -> dict[str, bool]:
        return {
            "first_year_only": self.first_year_only,
            "no_data_no_improvement": self.no_data_no_improvement,
            "adjust_by_confidence": self.adjust_by_confidence,
            "exclude_extremes": self.exclude_extremes,
        }


def _state(on: bool, what: str) -> str:
    return f"{'on' if on else 'OFF'}: {what}"
