"""Secrets out of every value read from AWS, before it becomes a fact anyone can see.

Configuration often holds credentials: a Glue job's `--db_password`, a JDBC URL with `user:pw@`, a
tag named `api_token`, an `Authorization` header in a Step Functions task, a token in a query string.
Everything the tracker keeps is stored, exported, shown and handed to auditors, so every value passes
this one redactor on its way in (`lineage.intake` calls it on every node, edge, evidence and gap; a
parser calls `endpoint` or `sql` where it knows a value's shape better than text can tell).

Two signs make a value secret: the **name** it stands under (password, secret, token, api key,
credential, auth, session, signature, `*_PASS`…, in argument names, parameter keys, tag keys, query
strings and JSON keys) and its **shape** (AWS access keys and secret-key shapes, JWTs, bearer tokens,
private-key blocks, userinfo in any URL). A URL keeps its scheme, host and path and loses its
userinfo, query values and fragment, so the lineage a path gives (bucket and prefix) is kept. What is
taken out says so: `«redacted: password»`. The functions are pure and total: any text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MARK_START = "«redacted: "


def mark(why: str) -> str:
    return f"{_MARK_START}{why}»"


# --- Names ---------------------------------------------------------------------------------------

# A name glued from words (`dbPassword`, `X-Api-Key`, `fs.s3a.secret.key`) holds one of these
# anywhere; each maps to what the mark says.
_GLUED = (
    ("password", "password"), ("passwd", "password"), ("passphrase", "password"), ("secret", "secret"),
    ("credential", "credential"), ("authorization", "credential"), ("apikey", "key"), ("accesskey", "key"),
    ("privatekey", "key"), ("signingkey", "key"), ("masterkey", "key"), ("token", "token"),
    ("signature", "signature"), ("cookie", "token"), ("connectionstring", "connection string"),
)
# Short words that are secret only as a word of their own: `DB_PASS`, `--pwd`, `sig=`, not `bypass`.
_WORDS = {
    "pass": "password", "pwd": "password", "pw": "password", "auth": "credential", "creds": "credential",
    "session": "token", "sig": "signature", "sas": "token", "jwt": "token", "bearer": "token", "otp": "token",
    "private": "key", "dsn": "connection string",
}
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def secret_word(name: str) -> str | None:
    """What kind of secret a value under this name holds (`password`, `token`, …); None when none."""
    if not name:
        return None
    squashed = _NOT_ALNUM.sub("", name.lower())
    for glued, why in _GLUED:
        if glued in squashed:
            return why
    for word in _WORD_SPLIT.split(name):
        if (why := _WORDS.get(word.lower())) is not None:
            return why
    return None


# --- URLs ----------------------------------------------------------------------------------------

# A URL (`scheme://…`) or an S3 ARN runs to the first character that cannot stand in one unquoted.
_LOCATOR = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`{}|\\^]*|arn:aws[a-z\-]*:s3:::[^\s\"'<>`{}|\\^]*")
_PORT = re.compile(r"^[^:]*:\d+$")


def split_userinfo(rest: str) -> tuple[str, str]:
    """(userinfo, the rest) of what follows `scheme://`; userinfo is "" when there is none.

    Userinfo runs to the last `@` before the query. A secret key may hold `/`, which would end the
    authority, so an `@` after a `/` still closes userinfo when the text before it has a `:` that is
    not a port (`KEY:SE/CRET@bucket/path`), and never otherwise (`host/people/a@b.example`).
    """
    end = len(rest)
    for stop in "?#":
        if (index := rest.find(stop)) != -1:
            end = min(end, index)
    at = rest.rfind("@", 0, end)
    if at == -1:
        return "", rest
    before = rest[:at]
    slash = before.find("/")
    if slash == -1:
        return before, rest[at + 1 :]
    authority = before[:slash]
    if ":" in authority and not _PORT.match(authority):
        return before, rest[at + 1 :]
    return "", rest


def url(value: str) -> str:
    """A URL with scheme, host and path; no userinfo; each query value and any fragment marked."""
    scheme, separator, rest = value.partition("://")
    if not separator:
        return value
    _userinfo, rest = split_userinfo(rest)
    rest, hash_sign, fragment = rest.partition("#")
    location, question, query = rest.partition("?")
    shown = f"{scheme}://{_shapes(location)}"
    if question:
        shown += "?" + "&".join(_query_pair(pair) for pair in query.split("&"))
    if hash_sign and fragment:
        shown += "#" + mark("fragment")
    return shown


def endpoint(value: str) -> str:
    """Where a URL points, as an id: scheme, host and path, nothing that could carry a credential."""
    scheme, separator, rest = value.partition("://")
    if not separator:
        return value
    _userinfo, rest = split_userinfo(rest)
    for stop in "?#":
        rest = rest.partition(stop)[0]
    return f"{scheme}://{rest}"


def _query_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals:
        return _shapes(name)
    return f"{_shapes(name)}={mark('query value') if value else ''}"


# --- Shapes --------------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_ACCESS_KEY = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")
_AUTH_SCHEMES = frozenset({"bearer", "basic", "digest", "token"})
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|digest|token)(\s+)([A-Za-z0-9._~+/\-]{8,}=*)")
_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# `name=value`, `"name": "value"`, `'name'='value'`, and the same inside JSON kept as a string
# (`\"name\": \"value\"`); a quoted value cut short by an earlier limit runs to the end of the text.
_PAIR = re.compile(
    r"""(?P<name>[A-Za-z_][\w.\-]*)(?P<between>(?P<close>\\?["']|)\s*(?P<sep>[:=])(?P<space>\s*)\[?\s*)"""
    r"""(?:(?P<quote>\\?["'])(?P<quoted>(?:(?!(?P=quote))(?:\\.|[^\\]))*)(?:(?P=quote)|\Z)"""
    r"""|(?P<bare>[^\s"',;&{}\[\]()<>\\]+))""",
    re.S,
)


def _looks_like_secret_key(candidate: str) -> bool:
    return (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate)
            and any(c.isdigit() for c in candidate))


def _secret_key(match: re.Match[str]) -> str:
    return mark("secret key") if _looks_like_secret_key(match.group(0)) else match.group(0)


def _scheme_token(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}{mark('token')}"


def _shapes(text: str) -> str:
    """Credential shapes that stand out wherever they are: access keys, JWTs."""
    if len(text) < 16:
        return text
    text = _ACCESS_KEY.sub(mark("aws access key"), text)
    return _JWT.sub(mark("token"), text)


def _pair(match: re.Match[str]) -> str:
    name, between, quote = match.group("name"), match.group("between"), match.group("quote") or ""
    value = match.group("quoted") if match.group("quote") is not None else match.group("bare")
    ending = match.group(0)[len(name) + len(between) + len(quote) + len(value) :]  # the closing quote, if any
    why = secret_word(name)
    # `States.GetToken.Parameters.X: …` is a warning about a path, not a setting.
    about_a_path = match.group("sep") == ":" and match.group("space") and "." in name and not match.group("close")
    # `Authorization: Bearer …`: the token after the scheme is marked by its own shape.
    a_scheme = not quote and value.lower() in _AUTH_SCHEMES
    if why is None or about_a_path or a_scheme or not value or value.startswith(_MARK_START):
        # Not a secret setting, but what it holds may be one: JSON kept inside JSON, `a=b=c`.
        return f"{name}{between}{quote}{_PAIR.sub(_pair, value)}{ending}"
    return f"{name}{between}{quote}{mark(why)}{ending}"


def _prose(text: str) -> str:
    """Text outside URLs: named values, then shapes."""
    text = _PAIR.sub(_pair, text)
    text = _SCHEME_TOKEN.sub(_scheme_token, text)
    text = _SECRET_KEY.sub(_secret_key, text)
    return _shapes(text)


def _locator(found: str) -> str:
    if found.startswith("arn:"):
        # An S3 ARN: the path is lineage; only a key pasted into it is taken out, or a URL given
        # where a bucket was expected.
        start = found.index(":::") + 3
        rest = found[start:]
        return found[:start] + (text(rest) if "://" in rest else _shapes(rest))
    return url(found)


# Nothing shorter than this, and nothing without one of these characters, can hold what is taken out.
_MIN_SECRET = 6
_TELLTALE = re.compile(r"[:=@/]|-----|AKIA|ASIA|ABIA|ACCA|eyJ|(?i:bearer|basic|digest|token)\s|[A-Za-z0-9+]{40}")


def short(value: str, length: int) -> str:
    """Text made safe, then cut to `length`: cutting first could leave half a secret no shape matches."""
    return text(value)[:length]


def text(value: str) -> str:
    """Free text with every credential it holds marked: in URLs, named values and known shapes."""
    if len(value) < _MIN_SECRET or not _TELLTALE.search(value):
        return value
    value = _PRIVATE_KEY.sub(mark("private key"), value)
    pieces: list[str] = []
    position = 0
    for found in _LOCATOR.finditer(value):
        pieces.append(_prose(value[position : found.start()]))
        pieces.append(_locator(found.group(0)))
        position = found.end()
    pieces.append(_prose(value[position:]))
    return "".join(pieces)


def _is_location(value: str) -> bool:
    """A whole S3 URL or ARN: the lineage a path gives is kept even under a secret-sounding name."""
    found = _LOCATOR.fullmatch(value.strip())
    return found is not None and value.strip().lower().startswith(("s3://", "s3a://", "s3n://", "arn:aws"))


def named(name: str, value: str) -> str:
    """A value as it stands under `name`: marked whole when the name says it is secret."""
    why = secret_word(name)
    if why is None or not value or _is_location(value):
        return text(value)
    return mark(why)


# Pairs given as two fields (`{"Name": "DB_PASSWORD", "Value": "…"}`, a tag `{"Key": …, "Value": …}`).
_PAIR_NAMES = ("Name", "name", "Key", "key")
_PAIR_VALUES = ("Value", "value")


def data(value: Any) -> Any:
    """Plain data (JSON-shaped) with every secret marked: by the key it stands under, by the name
    beside it in a name/value pair, and by its shape in any text."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list | tuple):
        return [data(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    pair_name = next((value[k] for k in _PAIR_NAMES if isinstance(value.get(k), str)), None)
    result: dict[Any, Any] = {}
    for key, item in value.items():
        shown_key = text(key) if isinstance(key, str) else key
        if isinstance(item, str) and isinstance(key, str):
            under = pair_name if pair_name is not None and key in _PAIR_VALUES else key
            result[shown_key] = named(under, item)
        else:
            result[shown_key] = data(item)
    return result


# --- SQL -----------------------------------------------------------------------------------------

_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
# Table properties Athena defines (`WITH (format = 'PARQUET')`): their values say how data is kept.
_TABLE_PROPERTY = re.compile(
    r"(?i)\b(?:format|table_type|write_compression|compression|classification|field_delimiter|is_external"
    r"|partitioned_by|bucketed_by|bucket_count|external_location|location|format_version|vacuum_[a-z_]+"
    r"|optimize_[a-z_]+|orc_compression|parquet_compression)\s*=\s*$"
)


def sql(query: str) -> str:
    """A query with its string literals marked, except S3 locations and Athena's table properties: a
    literal may be a password (`'password'='…'` in SERDEPROPERTIES) or personal data
    (`WHERE email = '…'`)."""

    def literal(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        if not inner or _is_location(inner) or _TABLE_PROPERTY.search(query, max(0, match.start() - 60),
                                                                        match.start()):
            return match.group(0)
        return f"'{mark('literal')}'"

    return text(_SQL_LITERAL.sub(literal, query))
