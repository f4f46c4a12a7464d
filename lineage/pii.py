"""Personal data by name: columns whose name or comment says they hold it.

A name is a hint, not proof; the finding says which column and why, so a person can confirm it.
A column's own parameter `pii` (`true`/`false`) overrides the guess either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# (category, pattern over the lower-cased, underscore-joined name or comment)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"(^|_)e_?mail(_|$)|email_address")),
    ("phone", re.compile(r"(^|_)(phone|mobile|msisdn|telephone)(_|$)")),
    ("name", re.compile(r"(^|_)(first|last|full|given|family|sur)_?name(_|$)")),
    ("birth_date", re.compile(r"(^|_)(dob|birth_?date|date_of_birth|birthday)(_|$)")),
    ("national_id", re.compile(r"(^|_)(ssn|social_security|national_id|passport|tax_id|nino)(_|$)")),
    ("address", re.compile(r"(^|_)(street|address|postcode|postal_code|zip_?code)(_|$)")),
    ("ip_address", re.compile(r"(^|_)(ip|ip_address|client_ip|source_ip)(_|$)")),
    ("payment", re.compile(r"(^|_)(card_number|credit_card|iban|pan|account_number)(_|$)")),
)


def _words(text: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def classify_column(name: str, comment: str = "", parameters: Mapping[str, Any] | None = None) -> str | None:
    declared = str((parameters or {}).get("pii", "")).lower()
    if declared in ("false", "no", "0"):
        return None
    for category, pattern in _PATTERNS:
        if pattern.search(_words(name)):
            return category
    text = f" {comment.lower()} "
    for category, pattern in _PATTERNS:
        if pattern.search(_words(comment)) or (category == "email" and "e-mail" in text):
            return category
    if declared in ("true", "yes", "1"):
        return "declared"
    return None


def personal_columns(columns: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    found = []
    for column in columns:
        category = classify_column(column.get("name", ""), column.get("comment", "") or "",
                                   column.get("parameters"))
        if category:
            found.append({"column": column.get("name", ""), "category": category})
    return found
