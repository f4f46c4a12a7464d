"""Which nodes hold personal data, and why: labels from column names and comments, Glue parameters,
resource tags, Lake Formation LF-tags and Amazon Macie's findings, each with the evidence behind it.

The rules are data (`classification.toml`, documented there); a user file extends or overrides them and
names known false positives and the processing that masks or drops personal data. Reading a column is
token-based, never by substring: `email_address` is an e-mail, `emailed_count` and `namespace` are
nothing. A name is a hint, not proof: every label says which column, which words and which rule file,
so a person can confirm or refute it.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

PII_TAG = "lineage:pii"
DECLARED = "declared"  # personal data of no named category: a tag or parameter says so, and no more
MASKED, DROPPED = "masked", "dropped"  # what a processing node does to the personal data it reads
_NOT_PERSONAL = frozenset({"false", "no", "0", "none"})
DEFAULT_SOURCE = "default rules"


class ClassificationError(ValueError):
    """A rules file that cannot be read or does not have the documented shape."""


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: str
    special: bool = False  # GDPR Art. 9 special category or a national identifier
    flags_reveal: bool = False  # a flag or type about it is the data too (`is_pregnant`): no qualifier applies


@dataclass(frozen=True, slots=True)
class FalsePositive:
    column: str = ""  # glob over `database.table.column` (or `table.column`, `column`)
    node: str = ""  # glob over a node's id or name: none of its own labels count
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Processing:
    node: str  # glob over a node's id or name
    personal_data: str  # MASKED or DROPPED
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Classification:
    """Rules, compiled for lookup. Build with `default_classification` or `load_classification`."""

    categories: Mapping[str, Category]
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]  # first token → (tokens, category or "")
    words: tuple[tuple[str, str], ...]  # (word without spaces, category or ""), longest first
    name_only: frozenset[tuple[str, ...]]  # phrases not read in comments (`la`, `long`: prose words)
    qualifier_tokens: frozenset[str]
    qualifier_words: tuple[str, ...]
    not_a_person_tokens: frozenset[str]
    not_a_person_words: tuple[str, ...]
    tag_keys: Mapping[str, frozenset[str]]  # tag or parameter key (lower case) → values meaning personal
    lf_keys: Mapping[str, frozenset[str]]
    macie: Mapping[str, str]  # managed identifier type → category ("" for not personal)
    false_positives: tuple[FalsePositive, ...] = ()
    processing: tuple[Processing, ...] = ()
    sources: tuple[str, ...] = (DEFAULT_SOURCE,)  # the rule files, for evidence
    # (name, comment, operation) → the labels they read as (`_read_labels`).
    read: dict[tuple[str, str, str], tuple[dict[str, str], ...]] = field(default_factory=dict, compare=False,
                                                                          repr=False)

    @property
    def source(self) -> str:
        return " + ".join(self.sources)


@dataclass(frozen=True, slots=True)
class Match:
    category: str
    text: str  # the words that matched, as written in the tokens or comment


# --- reading text -----------------------------------------------------------------------------------

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def tokens(text: str) -> tuple[str, ...]:
    """`emailAddress`, `EMAIL_ADDRESS`, `e-mail address` → words in lower case; other scripts dropped."""
    spaced = _CAMEL.sub(r"\1 \2", _ACRONYM.sub(r"\1 \2", text))
    return tuple(t for t in _NOT_WORD.split(spaced.lower()) if t)


def _longest_first(candidates: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Non-overlapping spans, the longest winning where two overlap, then the rightmost: English and Korean
    compounds end in their head (`user ip address` is an address of the IP kind, not a user's IP and an
    address)."""
    chosen: list[tuple[int, int, str, str]] = []
    taken: set[int] = set()
    for start, end, category, text in sorted(candidates, key=lambda c: (c[0] - c[1], -c[0])):
        if taken.isdisjoint(range(start, end)):
            chosen.append((start, end, category, text))
            taken.update(range(start, end))
    return sorted(chosen)


def _token_matches(words: Sequence[str], rules: Classification, in_comment: bool) -> list[Match]:
    # A number ending a word numbers it (`addr1`, `street2`): read as written, and without the number.
    bare = [word.rstrip("0123456789") or word for word in words]
    candidates = []
    for start in range(len(words)):
        for spelling in {words[start], bare[start]}:
            for phrase, category in rules.phrases.get(spelling, ()):
                end = start + len(phrase)
                if phrase in (tuple(words[start:end]), tuple(bare[start:end])) and not (
                        in_comment and phrase in rules.name_only):
                    candidates.append((start, end, category, " ".join(phrase)))
    chosen = _longest_first(candidates)
    covered = {i for start, end, _, _ in chosen for i in range(start, end)}
    found = []
    for start, end, category, text in chosen:
        neighbours = {words[i] for i in (start - 1, end) if 0 <= i < len(words) and i not in covered}
        if not category or neighbours & rules.not_a_person_tokens:
            continue
        if rules.categories[category].flags_reveal or not neighbours & rules.qualifier_tokens:
            found.append(Match(category, text))
    return found


def _word_matches(text: str, rules: Classification) -> list[Match]:
    """Words looked up inside text without spaces (Korean writes `고객이메일주소` as one word or three)."""
    compact = _SPACES.sub("", unicodedata.normalize("NFC", text).lower())
    if not compact or any(word in compact for word in rules.not_a_person_words):
        return []
    candidates = []
    for word, category in rules.words:
        start = compact.find(word)
        while start >= 0:
            candidates.append((start, start + len(word), category, word))
            start = compact.find(word, start + 1)
    found = []
    for start, end, category, word in _longest_first(candidates):
        if category and (rules.categories[category].flags_reveal or not _qualified(compact, start, end, rules)):
            found.append(Match(category, word))
    return found


_NEAR = 2  # characters between a match and a qualifier that still make one phrase: `휴대전화[번호]인증여부`


def _qualified(compact: str, start: int, end: int, rules: Classification) -> bool:
    """Whether a qualifier word stands next to the match, with at most `_NEAR` letters between and no
    punctuation: `이메일 발송 횟수` is a count; `고객 이메일 주소 (수신 동의 시 …)` is still an address."""
    for word in rules.qualifier_words:
        at = compact.find(word)
        while at >= 0:
            between = compact[end:at] if at >= end else compact[at + len(word):start]
            apart = at >= end or at + len(word) <= start
            if apart and len(between) <= _NEAR and (between == "" or between.isalnum()):
                return True
            at = compact.find(word, at + 1)
    return False


def read_name(name: str, rules: Classification) -> list[Match]:
    """Categories a column's name says it holds."""
    found = _token_matches(tokens(name), rules, in_comment=False)
    return found or _word_matches(name, rules) if not name.isascii() else found


def read_comment(comment: str, rules: Classification) -> list[Match]:
    """Categories a column's comment says it holds, in English tokens or in words of any script."""
    if not comment.strip():
        return []
    found = _token_matches(tokens(comment), rules, in_comment=True)
    if comment.isascii():
        return found  # English is read by its words; looking inside them would find `email` in `emailed`
    seen = {m.category for m in found}
    return found + [m for m in _word_matches(comment, rules) if m.category not in seen]


def _unique(matches: Iterable[Match]) -> list[Match]:
    seen: set[str] = set()
    return [m for m in matches if not (m.category in seen or seen.add(m.category))]  # type: ignore[func-returns-value]


# --- declared labels: tags, parameters, LF-tags ---------------------------------------------------------


def declared_categories(key: str, value: Any, keys: Mapping[str, frozenset[str]],
                        categories: Mapping[str, Category]) -> list[str] | None:
    """What a key=value declares: categories (DECLARED when unnamed), [] for "not personal", None when the
    key says nothing about personal data."""
    personal_values = keys.get(str(key).strip().lower())
    if personal_values is None:
        return None
    found: list[str] = []
    for part in re.split(r"[,;\s]+", str(value).strip().lower()):
        if part in categories:
            found.append(part)
        elif part in personal_values:
            found.append(DECLARED)
        elif part in _NOT_PERSONAL:
            return []
    return sorted(set(found)) if found else None


def processing_declared(node_id: str, name: str, tags: Mapping[str, Any] | None,
                        rules: Classification) -> tuple[str, str] | None:
    """(MASKED or DROPPED, why) when the node is declared to mask or drop the personal data it reads."""
    value = str((tags or {}).get(PII_TAG, "")).strip().lower() if isinstance(tags, Mapping) else ""
    if value in (MASKED, DROPPED):
        return value, f"tag {PII_TAG}={value}"
    for entry in rules.processing:
        if _glob(entry.node, node_id, name):
            why = f"classification file: {entry.node}" + (f" ({entry.reason})" if entry.reason else "")
            return entry.personal_data, why
    return None


def ruled_out_by(rules: Classification, node_id: str, name: str, label: Mapping[str, str]) -> str:
    """Which false-positive entry of the rules took a label away, and why, in words."""
    column = label.get("column", "")
    qualified = f"{name}.{column}"  # a table's name is `database.table`
    for entry in rules.false_positives:
        if _glob(entry.node, node_id, name) or (
                column and _glob(entry.column, qualified, qualified.split(".", 1)[-1], column)):
            return (entry.node or entry.column) + (f" ({entry.reason})" if entry.reason else "")
    return ""


def _glob(pattern: str, *values: str) -> bool:
    return bool(pattern) and any(fnmatch.fnmatchcase(v.lower(), pattern.lower()) for v in values if v)


# --- labels of one node -----------------------------------------------------------------------------------

# Where in the API's answer each kind of label was read, for evidence an auditor can find again.
_PATHS = {"column name": "StorageDescriptor.Columns[{column}].Name",
          "column comment": "StorageDescriptor.Columns[{column}].Comment",
          "column parameter": "StorageDescriptor.Columns[{column}].Parameters",
          "table parameter": "Parameters", "tag": "TagSet", "lf-tag": "LFTagsOnTable",
          "lf-tag on column": "LFTagsOnColumns[{column}]", "lf-tag on database": "LFTagOnDatabase",
          "macie": "classificationDetails.result.sensitiveData", "recorded": "personal_columns[{column}]"}


def _label(category: str, source: str, match: str, operation: str, column: str = "", rules: str = ""
           ) -> dict[str, str]:
    label = {"category": category, "source": source, "match": match, "operation": operation,
             "path": _PATHS.get(source, source).format(column=column)}
    if column:
        label["column"] = column
    if rules:
        label["rules"] = rules
    return label


def _read_labels(name: str, comment: str, operation: str, rules: Classification) -> tuple[dict[str, str], ...]:
    """The labels a column's name says, else its comment: read once per rules for each (name, comment) — a lake
    repeats the same column names in thousands of tables. Shared, as plain data is: no stage changes a label."""
    key = (name, comment, operation)
    said = rules.read.get(key)
    if said is None:
        by_name = [_label(m.category, "column name", m.text, operation, name, rules.source)
                   for m in _unique(read_name(name, rules))]
        said = tuple(by_name or [_label(m.category, "column comment", m.text, operation, name, rules.source)
                                 for m in _unique(read_comment(comment, rules))])
        if len(rules.read) < 100_000:  # bounded: a catalog of generated names must not grow it forever
            rules.read[key] = said
    return said


def column_labels(column: Mapping[str, Any], rules: Classification, qualified_name: str,
                  operation: str = "glue:GetTables") -> list[dict[str, str]]:
    """One column's labels: its own parameters decide, else its name, else its comment."""
    name = str(column.get("name") or "")
    if any(_glob(fp.column, qualified_name, qualified_name.split(".", 1)[-1], name) for fp in rules.false_positives):
        return []
    parameters = column.get("parameters") or {}
    declared: list[dict[str, str]] = []
    for key, value in (parameters.items() if isinstance(parameters, Mapping) else ()):
        categories = declared_categories(key, value, rules.tag_keys, rules.categories)
        if categories == []:
            return []  # the column says it holds none
        declared += [_label(c, "column parameter", f"{key}={value}", operation, name) for c in categories or ()]
    labels = list(_read_labels(name, str(column.get("comment") or ""), operation, rules))
    named = {label["category"] for label in labels}
    return labels + [d for d in declared if d["category"] not in named or d["category"] == DECLARED and not named]


def _tag_labels(tags: Mapping[str, Any], rules: Classification, source: str, operation: str,
                keys: Mapping[str, frozenset[str]], column: str = "") -> tuple[list[dict[str, str]], bool]:
    """Labels a set of tags declares, and whether one of them says "not personal"."""
    labels: list[dict[str, str]] = []
    denied = False
    for key, value in sorted(tags.items()):
        values = value if isinstance(value, list | tuple) else [value]
        for one in values:
            categories = declared_categories(key, one, keys, rules.categories)
            denied |= categories == []
            labels += [_label(c, source, f"{key}={one}", operation, column) for c in categories or ()]
    return labels, denied


_TAG_OPERATION = {"s3": "s3:GetBucketTagging", "glue": "glue:GetTags", "states": "states:ListTagsForResource",
                  "dynamodb": "dynamodb:ListTagsOfResource", "sqs": "sqs:ListQueueTags",
                  "lambda": "lambda:ListTags", "logs": "logs:ListTagsForResource",
                  "kinesis": "kinesis:ListTagsForStream", "sns": "sns:ListTagsForResource",
                  "firehose": "firehose:ListTagsForDeliveryStream", "scheduler": "scheduler:ListTagsForResource",
                  "pipes": "pipes:DescribePipe"}


def node_labels(node_id: str, kind: str, name: str, attributes: Mapping[str, Any], rules: Classification,
                inherited_lf_tags: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """Every label a node's own configuration gives it, each with its evidence; [] when none or when the
    node is marked a false positive.

    A tag or table parameter saying "not personal" (`pii=false`) overrides what names and other tags
    suggest, but not what was observed or declared elsewhere: Macie's findings and LF-tags stand.
    """
    if any(_glob(fp.node, node_id, name) for fp in rules.false_positives):
        return []
    labels: list[dict[str, str]] = []
    denied = False
    tags = attributes.get("tags")
    if isinstance(tags, Mapping):
        found, denies = _tag_labels(tags, rules, "tag", _TAG_OPERATION.get(kind.split(".")[0], "tags"),
                                    rules.tag_keys)
        labels, denied = labels + found, denied or denies
    parameters = attributes.get("parameters")
    if kind == "glue.table" and isinstance(parameters, Mapping):
        found, denies = _tag_labels(parameters, rules, "table parameter", "glue:GetTables", rules.tag_keys)
        labels, denied = labels + found, denied or denies
    columns = attributes.get("columns")
    if isinstance(columns, list):
        table = name if "." in name else f"{attributes.get('database', '')}.{name}"
        for column in [*columns, *(attributes.get("partition_keys") or [])]:
            if isinstance(column, Mapping):
                labels += column_labels(column, rules, f"{table}.{column.get('name', '')}")
    elif isinstance(attributes.get("personal_columns"), list):  # recorded by a scan that kept no columns
        labels += [_label(str(c["category"]), "recorded", str(c.get("column", "")), "glue:GetTables",
                          str(c.get("column", ""))) for c in attributes["personal_columns"]
                   if isinstance(c, Mapping) and c.get("category")]
    if denied:
        labels = []
    labels += _lake_formation_labels(attributes, rules, inherited_lf_tags)
    labels += _macie_labels(attributes.get("macie_findings"), rules)
    return _dedupe(labels)


def _lake_formation_labels(attributes: Mapping[str, Any], rules: Classification,
                           inherited: Mapping[str, Any] | None) -> list[dict[str, str]]:
    operation = "lakeformation:SearchTablesByLFTags"
    labels: list[dict[str, str]] = []
    own = attributes.get("lf_tags")
    if isinstance(inherited, Mapping):
        # A key the table carries itself overrides its database's value, as in Lake Formation.
        overridden = {str(key).lower() for key in own} if isinstance(own, Mapping) else set()
        kept = {key: value for key, value in inherited.items() if str(key).lower() not in overridden}
        labels += _tag_labels(kept, rules, "lf-tag on database", "lakeformation:SearchDatabasesByLFTags",
                              rules.lf_keys)[0]
    if isinstance(own, Mapping):
        labels += _tag_labels(own, rules, "lf-tag", operation, rules.lf_keys)[0]
    columns = attributes.get("lf_column_tags")
    if isinstance(columns, Mapping):
        for column, tags in sorted(columns.items()):
            if isinstance(tags, Mapping):
                labels += _tag_labels(tags, rules, "lf-tag on column", operation, rules.lf_keys, str(column))[0]
    return labels


def _macie_labels(findings: Any, rules: Classification) -> list[dict[str, str]]:
    labels: list[dict[str, str]] = []
    for finding in findings if isinstance(findings, list) else ():
        if not isinstance(finding, Mapping):
            continue
        for detection in finding.get("detections") or ():
            kind = str(detection.get("type", ""))
            category = rules.macie.get(kind)
            if category is None:
                category = DECLARED if detection.get("category") == "PERSONAL_INFORMATION" else ""
            if category:
                where = f"s3://…/{finding.get('key', '')}" if finding.get("key") else ""
                label = _label(category, "macie", f"{kind} ×{detection.get('count', '?')} {where}".strip(),
                               "macie2:GetFindings")
                label["finding"] = str(finding.get("finding", ""))
                labels.append(label)
    return labels


def _dedupe(labels: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[tuple[tuple[str, str], ...]] = set()
    kept = []
    for label in labels:
        key = tuple(sorted(label.items()))
        if key not in seen:
            seen.add(key)
            kept.append(label)
    return sorted(kept, key=lambda item: (item.get("column", ""), item["category"], item["source"], item["match"]))


# --- rule files ---------------------------------------------------------------------------------------------

def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ClassificationError(f"{where} must be a list of strings")
    return value


_SECTIONS = frozenset({"version", "categories", "ignore", "comments", "qualifiers", "tags", "lake_formation",
                       "macie", "false_positives", "processing"})
_CATEGORY_KEYS = frozenset({"title", "special", "flags_reveal", "replace", "phrases", "words"})


def _only(table: Mapping[str, Any], known: Iterable[str], where: str) -> None:
    """A key nobody reads is a typo (`phrase` for `phrases`) that would silently do nothing: said."""
    unknown = sorted(set(map(str, table)) - set(known))
    if unknown:
        raise ClassificationError(f"unknown key {unknown[0]!r} in {where} (known: {', '.join(sorted(known))})")


def _table(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name, {})
    if not isinstance(value, Mapping):
        raise ClassificationError(f"{name} must be a table ([{name}])")
    return value


def _entries(document: Mapping[str, Any], name: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise ClassificationError(f"{name} must be an array of tables ([[{name}]])")
    return value


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ClassificationError(f"{where}.{key} must be text")
    return value


def _phrases(value: Any, where: str) -> list[str]:
    """Phrases are words in Latin letters or digits; a phrase with none could never match."""
    phrases = _strings(value, where)
    for phrase in phrases:
        if not tokens(phrase):
            raise ClassificationError(f"{where}: {phrase!r} has no word in Latin letters or digits; put words of "
                                      "other scripts under `words`")
    return phrases


def _key_map(value: Any, where: str) -> dict[str, frozenset[str]]:
    if not isinstance(value, Mapping):
        raise ClassificationError(f"{where} must be a table of key = [values]")
    return {str(k).lower(): frozenset(v.lower() for v in _strings(vs, f"{where}.{k}")) for k, vs in value.items()}


@dataclass(slots=True)
class _Draft:
    """Rules as read, before compiling: files merge into it one after another."""

    categories: dict[str, Category] = field(default_factory=dict)
    phrases: dict[str, list[str]] = field(default_factory=dict)  # category ("" for ignore) → phrases
    words: dict[str, list[str]] = field(default_factory=dict)
    name_only: list[str] = field(default_factory=list)
    qualifier_tokens: list[str] = field(default_factory=list)
    qualifier_words: list[str] = field(default_factory=list)
    not_a_person_tokens: list[str] = field(default_factory=list)
    not_a_person_words: list[str] = field(default_factory=list)
    tag_keys: dict[str, frozenset[str]] = field(default_factory=dict)
    lf_keys: dict[str, frozenset[str]] = field(default_factory=dict)
    macie: dict[str, str] = field(default_factory=dict)
    false_positives: list[FalsePositive] = field(default_factory=list)
    processing: list[Processing] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def add(self, document: Mapping[str, Any], source: str) -> None:
        _only(document, _SECTIONS, "the file")
        for category_id, body in _table(document, "categories").items():
            where = f"categories.{category_id}"
            if not isinstance(body, Mapping):
                raise ClassificationError(f"{where} must be a table")
            _only(body, _CATEGORY_KEYS, where)
            if body.get("replace"):
                self.phrases[category_id], self.words[category_id] = [], []
            old = self.categories.get(category_id)
            self.categories[category_id] = Category(
                category_id, str(body.get("title") or (old and old.title) or category_id),
                bool(body.get("special", old.special if old else False)),
                bool(body.get("flags_reveal", old.flags_reveal if old else False)))
            self.phrases.setdefault(category_id, []).extend(_phrases(body.get("phrases", []), f"{where}.phrases"))
            self.words.setdefault(category_id, []).extend(_strings(body.get("words", []), f"{where}.words"))
        ignore = _table(document, "ignore")
        self.phrases.setdefault("", []).extend(_phrases(ignore.get("phrases", []), "ignore.phrases"))
        self.words.setdefault("", []).extend(_strings(ignore.get("words", []), "ignore.words"))
        self.name_only += _phrases(_table(document, "comments").get("name_only", []), "comments.name_only")
        qualifiers = _table(document, "qualifiers")
        self.qualifier_tokens += _strings(qualifiers.get("tokens", []), "qualifiers.tokens")
        self.qualifier_words += _strings(qualifiers.get("words", []), "qualifiers.words")
        self.not_a_person_tokens += _strings(qualifiers.get("not_a_person", []), "qualifiers.not_a_person")
        self.not_a_person_words += _strings(qualifiers.get("not_a_person_words", []), "qualifiers.not_a_person_words")
        self.tag_keys.update(_key_map(_table(document, "tags").get("keys", {}), "tags.keys"))
        self.lf_keys.update(_key_map(_table(document, "lake_formation").get("keys", {}), "lake_formation.keys"))
        macie = _table(document, "macie")
        if not all(isinstance(v, str) for v in macie.values()):
            raise ClassificationError("macie must map identifier types to category ids")
        self.macie.update(macie)
        for index, entry in enumerate(_entries(document, "false_positives")):
            where = f"false_positives[{index}]"
            if not isinstance(entry, Mapping) or not (entry.get("column") or entry.get("node")):
                raise ClassificationError(f"{where} needs a column or a node pattern")
            _only(entry, {"column", "node", "reason"}, where)
            column, node, reason = (_text(entry, key, where) for key in ("column", "node", "reason"))
            self.false_positives.append(FalsePositive(column, node, reason))
        for index, entry in enumerate(_entries(document, "processing")):
            where = f"processing[{index}]"
            action = str(entry.get("personal_data", "")).lower() if isinstance(entry, Mapping) else ""
            if action not in (MASKED, DROPPED) or not entry.get("node"):
                raise ClassificationError(f"{where} needs a node pattern and personal_data = "
                                          f"\"{MASKED}\" or \"{DROPPED}\"")
            _only(entry, {"node", "personal_data", "reason"}, where)
            self.processing.append(Processing(_text(entry, "node", where), action, _text(entry, "reason", where)))
        self.sources.append(source)

    def compile(self) -> Classification:
        for category in list(self.phrases) + list(self.words) + list(self.macie.values()):
            if category and category != DECLARED and category not in self.categories:
                raise ClassificationError(f"category {category!r} is used but not defined under [categories]")
        index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for category, phrases in self.phrases.items():
            for phrase in phrases:
                words = tokens(phrase)
                if words:
                    index.setdefault(words[0], []).append((words, category))
        words = sorted({(_SPACES.sub("", w.lower()), c) for c, ws in self.words.items() for w in ws if w.strip()},
                       key=lambda item: (-len(item[0]), item))
        return Classification(
            categories=dict(self.categories),
            phrases={first: tuple(sorted(set(entries), key=lambda e: (-len(e[0]), e))) for first, entries in
                     index.items()},
            words=tuple(words),
            name_only=frozenset(tokens(p) for p in self.name_only),
            qualifier_tokens=frozenset(t for q in self.qualifier_tokens for t in tokens(q)),
            qualifier_words=_compact(self.qualifier_words),
            not_a_person_tokens=frozenset(t for q in self.not_a_person_tokens for t in tokens(q)),
            not_a_person_words=_compact(self.not_a_person_words),
            tag_keys={PII_TAG: frozenset({"true", "yes"}), **self.tag_keys},
            lf_keys=dict(self.lf_keys),
            macie=dict(self.macie),
            false_positives=tuple(self.false_positives),
            processing=tuple(self.processing),
            sources=tuple(self.sources),
        )


def _compact(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({_SPACES.sub("", w.lower()) for w in words if w.strip()}))


def _default_document() -> dict[str, Any]:
    return tomllib.loads(resources.files("lineage").joinpath("classification.toml").read_text(encoding="utf-8"))


@cache
def default_classification() -> Classification:
    draft = _Draft()
    draft.add(_default_document(), DEFAULT_SOURCE)
    return draft.compile()


def load_classification(path: str | Path | None) -> Classification:
    """The default rules, extended by a user's file when one is given; `ClassificationError` says what is
    wrong with the file in one line."""
    if path is None:
        return default_classification()
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ClassificationError(f"cannot read {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ClassificationError(f"{path} is not valid TOML: {error}") from None
    draft = _Draft()
    draft.add(_default_document(), DEFAULT_SOURCE)
    try:
        draft.add(document, Path(path).name)
        return draft.compile()
    except ClassificationError as error:
        raise ClassificationError(f"{path}: {error}") from None
