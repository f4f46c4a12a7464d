"""Secrets out of every value read from AWS, before it becomes a fact anyone can see.

Configuration often holds credentials: a Glue job's `--db_password`, a JDBC URL with `user:pw@`, a
tag named `api_token`, an `Authorization` header in a Step Functions task, a token in a query string
or in a webhook's path. Everything the tracker keeps is stored, exported, shown and handed to
auditors, so every value passes this one redactor on its way in (`lineage.intake` calls it on every
node, edge, evidence and gap; a parser calls `short`, `endpoint` or `sql` where it cuts text or knows
its shape better than text can tell).

Two signs make a value secret: the **name** it stands under (password, secret, token, api key,
credential, auth, session, signature, `*_PASS`…, in argument names, parameter keys, tag keys, query
strings, JSON keys and name/value pairs) and its **shape** (AWS access keys and secret-key shapes,
JWTs, bearer tokens, private-key blocks, vendor tokens, userinfo in any URL). A URL keeps its scheme,
host and path and loses its userinfo, its query and path-parameter values and its fragment, so the
lineage a path gives (bucket and prefix) is kept; an ARN is a name, never a setting. What is taken out
says so: `«redacted: password»`. The functions are pure, total and linear in the text's length: any
text in, text out, and text already redacted comes out as it went in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

_MARK_START = "«redacted: "
_MARK = re.compile(r"«redacted: [a-z ]{1,40}»")
# While text is redacted, the marks already in it stand aside as numbered placeholders.
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


def _is_marked(value: str) -> bool:
    return _MARK.fullmatch(value) is not None or _PLACEHOLDER.fullmatch(value) is not None


def mark(why: str) -> str:
    return f"{_MARK_START}{why}»"


# --- Names ---------------------------------------------------------------------------------------

# A name glued from words (`dbPassword`, `X-Api-Key`, `fs.s3a.secret.key`) holds one of these
# anywhere; each maps to what the mark says.
_GLUED = (
    ("password", "password"), ("passwd", "password"), ("passphrase", "password"), ("secret", "secret"),
    ("credential", "credential"), ("authorization", "credential"), ("apikey", "key"), ("accesskey", "key"),
    ("privatekey", "key"), ("signingkey", "key"), ("masterkey", "key"), ("accountkey", "key"),
    ("sharedkey", "key"), ("token", "token"), ("signature", "signature"), ("cookie", "token"),
    ("connectionstring", "connection string"), ("dbpass", "password"), ("pgpass", "password"), ("dbpw", "password"),
    *((f"{kind}key", "key") for kind in ("license", "encryption", "app", "client", "hmac", "subscription",
                                           "functions", "service", "auth")),
)
# Short words that are secret only as a word of their own: `DB_PASS`, `--pwd`, `sig=`, not `bypass`.
_WORDS = {
    "pass": "password", "pwd": "password", "pw": "password", "auth": "credential", "creds": "credential",
    "session": "token", "sig": "signature", "sas": "token", "jwt": "token", "bearer": "token", "otp": "token",
    "private": "key", "dsn": "connection string",
}
# A name ending in one of these says which credential, or how one is used, not what it is:
# `secret_id`, `auth_type`, `token_count`, `signature_version`, `password_enabled`, `private_subnet`.
_ABOUT_A_SECRET = frozenset({
    "provider", "type", "version", "timeout", "ttl", "count", "id", "ids", "arn", "arns", "name", "names",
    "table", "bucket", "path", "prefix", "enabled", "disabled", "required", "subnet", "length", "expiry",
    "expiration", "rotation", "policy", "mode", "algorithm", "format", "location", "region", "endpoint",
    "role", "kms", "encryption", "status", "store", "manager", "stage", "level",
})
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=1 << 14)  # the same keys recur in every node's attributes
def secret_word(name: str) -> str | None:
    """What kind of secret a value under this name holds (`password`, `token`, …); None when none."""
    if not name:
        return None
    words = [word.lower() for word in _WORD_SPLIT.split(name) if word]
    if len(words) > 1 and words[-1] in _ABOUT_A_SECRET and not (words[-1] == "id" and "session" in words):
        return None
    squashed = _NOT_ALNUM.sub("", name.lower())
    for glued, why in _GLUED:
        if glued in squashed:
            return why
    for word in words:
        if (why := _WORDS.get(word)) is not None:
            return why
    return None


# --- Locators: URLs and ARNs ---------------------------------------------------------------------

# A URL (`scheme://…`) or an ARN runs to the first character that cannot stand in one unquoted. The
# look-behinds keep each search linear: a scheme or a name starts only where a word starts.
_URL = r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`{}|\\^]*"
_ARN = r"(?<![A-Za-z0-9_\-])arn:aws[a-z\-]*:[a-z0-9\-]+:[^\s\"'<>`{}|\\^]*"
_LOCATOR = re.compile(f"{_URL}|{_ARN}")
_PORT = re.compile(r"^[^:]*:\d+$")
_S3_SCHEMES = ("s3", "s3a", "s3n")
# `scheme://user:password@host`, whatever the password holds (`#`, `?`, `^`, `{`… that end a URL):
# taken out before URLs are found, wherever the host is followed by what may follow a host.
_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s/@:]*):(?P<password>[^\s@]*)@"
    r"(?=[A-Za-z0-9.\-\[\]]+(?::\d+)?(?:[/?#;,\s\"'\)\]}]|$))"
)
# `jdbc:oracle:thin:scott/tiger@host:1521/ORCL`: Oracle's own way of writing a password.
_ORACLE = re.compile(r"(?i)(jdbc:oracle:[a-z]+:[^/@\s:]+/)[^@\s]+@")
# Webhooks whose path is the credential.
_PATH_TOKEN = re.compile(
    r"(?i)^((?:hooks\.slack\.com/(?:services|workflows|triggers)/)|(?:(?:ptb\.|canary\.)?discord(?:app)?\.com/"
    r"api/webhooks/\d+/)|(?:[a-z0-9.\-]*webhook\.office\.com/webhookb2/)|(?:outlook\.office\.com/webhook/)"
    r"|(?:api\.telegram\.org/bot))(.+)$"
)


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


def _without_userinfo(found: re.Match[str]) -> str:
    password = found.group("password")
    if re.match(r"\d+(?:/|$)", password):  # `host:8443/path@…`: a port and a path, not a password
        return found.group(0)
    return found.group("scheme")


def _place(location: str) -> str:
    """Host and path as shown: a webhook's token marked, credential shapes marked."""
    if (webhook := _PATH_TOKEN.match(location)) is not None:
        return webhook.group(1) + mark("token")
    return _shapes(location)


def url(value: str) -> str:
    """A URL with scheme, host and path; no userinfo; each query and path-parameter value and any
    fragment marked."""
    scheme, separator, rest = value.partition("://")
    if not separator:
        return value
    _userinfo, rest = split_userinfo(rest)
    rest, hash_sign, fragment = rest.partition("#")
    location, question, query = rest.partition("?")
    semicolon = parameters = ""
    if scheme.lower() not in _S3_SCHEMES:  # an S3 key may hold `;`; other paths carry parameters after it
        location, semicolon, parameters = location.partition(";")  # `;user=x;password=y`, `;jsessionid=`
    shown = f"{scheme}://{_place(location)}"
    if semicolon:
        shown += ";" + ";".join(_parameter(pair) for pair in parameters.split(";"))
    if question:
        shown += "?" + "&".join(_parameter(pair) for pair in query.split("&"))
    if hash_sign:  # an empty fragment holds nothing, and is kept as written
        shown += "#" + (mark("fragment") if fragment else "")
    return shown


def endpoint(value: str) -> str:
    """Where a URL points, as an id: scheme, host and path, nothing that could carry a credential."""
    scheme, separator, rest = value.partition("://")
    if not separator:
        return value
    rest = _USERINFO.sub(_without_userinfo, value)[len(scheme) + 3 :]
    _userinfo, rest = split_userinfo(rest)
    for stop in "?#;":
        rest = rest.partition(stop)[0]
    return f"{scheme}://{_place(rest)}"


def _parameter(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals:
        return _shapes(name)
    return f"{_shapes(name)}={mark('query value') if value and not _is_marked(value) else value}"


def _arn(found: str) -> str:
    """An ARN names a resource: only a key pasted into it is taken out, or a URL given where an S3
    bucket was expected (`arn:aws:s3:::https://user:pw@host/x`)."""
    if ":s3:::" in found:
        start = found.index(":s3:::") + 6
        rest = found[start:]
        return found[:start] + (text(rest) if "://" in rest else _shapes(rest))
    return _shapes(found)


# --- Shapes --------------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_ACCESS_KEY = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")
_JWT = re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*")
_VENDOR_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|xox[abposr]-[A-Za-z0-9\-]{10,}"
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_\-]{35}|glpat-[A-Za-z0-9_\-]{20,}"
    r"|npm_[A-Za-z0-9]{36}|bot\d{6,}:[A-Za-z0-9_\-]{30,}|sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}"
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,})"
)
_AUTH_SCHEMES = frozenset({"bearer", "basic", "digest", "token"})
_SCHEME_TOKEN = re.compile(r"(?i)(?<![A-Za-z0-9])(bearer|basic|digest|token)([ \t]+)([A-Za-z0-9._~+/\-]{8,}=*)")
_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _looks_like_secret_key(candidate: str) -> bool:
    return (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate)
            and any(c.isdigit() for c in candidate))


def _looks_like_a_credential(candidate: str) -> bool:
    """A token after `Bearer`, not a word after "token" in a sentence (`token included`)."""
    return (len(candidate) >= 20 or any(c.isdigit() for c in candidate) or any(c in "+/=" for c in candidate)
            or (any(c.isupper() for c in candidate) and any(c.islower() for c in candidate)))


def _secret_key(found: re.Match[str]) -> str:
    return mark("secret key") if _looks_like_secret_key(found.group(0)) else found.group(0)


def _scheme_token(found: re.Match[str]) -> str:
    if found.group(1).lower() != "bearer" and not _looks_like_a_credential(found.group(3)):
        return found.group(0)
    return f"{found.group(1)}{found.group(2)}{mark('token')}"


def _shapes(text: str) -> str:
    """Credential shapes that stand out wherever they are: access keys, JWTs, vendor tokens."""
    if len(text) < 16:
        return text
    text = _ACCESS_KEY.sub(mark("aws access key"), text)
    text = _VENDOR_TOKEN.sub(mark("token"), text)
    return _JWT.sub(mark("token"), text)


# --- Named values in text ------------------------------------------------------------------------

# `name=value`, `"name": "value"`, `'name'='value'`, and the same inside JSON kept as a string
# (`\"name\": \"value\"`). Only the name and what stands between are matched here; the value is read
# only when the name says it is secret, so that the search stays linear and a value that is not secret
# is searched in turn (JSON kept inside JSON, `--conf a=fs.s3a.secret.key=…`).
_NAME = re.compile(
    r"""(?<![\w.\-])(?P<name>-*[A-Za-z_][\w.\-]*)(?P<close>\\?["']|)[ \t]*(?P<sep>[:=])(?P<space>[ \t]*)"""
    r"""(?=[^\s,;&}\]()<>])"""
)
# `--password value`: a flag and its value, as a command line or an argument list writes them.
_FLAG = re.compile(r"""(?<![\w\-])(?P<flag>--?[A-Za-z][\w\-]*)(?P<space>[ \t]+)(?P<value>[^\s"'\-][^\s"']*)""")
# A name and a value given as two fields of one object in text: `"Name": "DB_PASSWORD", "Value": "…"`.
_FIELD_PAIR = re.compile(
    r"""(?P<head>(?:Name|Key|name|key|ParameterKey)\\?["']?[ \t]*[:=][ \t]*\\?["'](?P<name>[^"'\\\n]{1,200})\\?["']"""
    r"""[ \t]*,[ \t]*\\?["']?(?:Value|value|ParameterValue)\\?["']?[ \t]*[:=][ \t]*)"""
    r"""(?P<quote>\\?["'])(?P<value>(?:(?!(?P=quote))[^\n])*)(?P=quote)"""
)
_QUOTED = re.compile(r"""(?P<quote>\\?["'])(?P<value>(?:(?!(?P=quote))(?:\\.|[^\\]))*)(?P<end>(?P=quote)|\Z)""", re.S)
_BARE = re.compile(r"""(?P<value>[^\s"',;&{}\[\]()<>\\]+)""")
# A name that sets something when written `name: value`: `password`, `Password`, `API_KEY`, and an HTTP
# header (`X-Api-Key`); not a CamelCase error code (`ExpiredToken: The security token …`).
_YAML_NAME = re.compile(r"^-*(?:[A-Za-z][a-z0-9_\-]*|[A-Z][A-Z0-9_\-]*|[A-Z][a-z0-9]*(?:-[A-Za-z0-9][a-z0-9]*)+)$")
_NOT_SECRET_VALUE = re.compile(r"^(?:true|false|yes|no|none|null|\$\$?\..*|\$)$", re.I)


def _kept_value(name: re.Match[str], value: str, quoted: bool, text: str) -> bool:
    """A value under a secret-sounding name that is not a secret: see each reason."""
    if not value or _is_marked(value) or _NOT_SECRET_VALUE.match(value):
        return True  # empty, marked already, a boolean, or a reference (`$.input.password`)
    if name.group("sep") == ":" and name.group("space") and not name.group("close") and not _YAML_NAME.match(
            name.group("name")):
        return True  # `ExpiredToken: The security token …`, `States.GetToken.X: …`: prose, not a setting
    if not quoted and value.lower() in _AUTH_SCHEMES:
        return True  # `Authorization: Bearer …`: the token after the scheme is marked by its shape
    before = text[name.start() - 1] if name.start() else ""
    after = text[name.end() + len(value) : name.end() + len(value) + 1]
    return not quoted and (before == "/" or after == "/")  # `events/session=1/`: a partition, a path


def _block_end(text: str, start: int) -> int:
    """Where the object or list (`{…}`, `[…]`, `{ODBC;value}`) opening at `start` closes; the text's
    end when it does not."""
    depth = 0
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char == '"':
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _named_values(text: str) -> str:
    pieces: list[str] = []
    position = 0
    while (name := _NAME.search(text, position)) is not None:
        start = name.end()
        why = secret_word(name.group("name"))
        if why is None:  # the value is read only under a secret name: reading every one would be quadratic
            pieces.append(text[position:start])
            position = start  # the value is searched in turn
            continue
        if text[start] in "{[":  # an object or list under a secret name: all of it
            end = _block_end(text, start)
            closer = text[end - 1] if end - 1 > start and text[end - 1] in "}]" else ""
            if text[start + 1 : end - len(closer)].strip():
                pieces.append(f"{text[position:start]}{text[start]}{mark(why)}{closer}")
                position = end
                continue
        quoted = _QUOTED.match(text, start)
        value_match = quoted or _BARE.match(text, start)
        if value_match is None or _kept_value(name, value_match.group("value"), quoted is not None, text):
            pieces.append(text[position:start])
            position = start
            continue
        if quoted is not None:
            pieces.append(f"{text[position:start]}{quoted.group('quote')}{mark(why)}{quoted.group('end')}")
        else:
            pieces.append(f"{text[position:start]}{mark(why)}")
        position = value_match.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _flag(found: re.Match[str]) -> str:
    why = secret_word(found.group("flag"))
    value = found.group("value")
    if why is None or _is_marked(value) or _NOT_SECRET_VALUE.match(value) or _is_location(value):
        return found.group(0)
    return f"{found.group('flag')}{found.group('space')}{mark(why)}"


def _field_pair(found: re.Match[str]) -> str:
    why = secret_word(found.group("name"))
    if why is None or not found.group("value") or _is_marked(found.group("value")):
        return found.group(0)
    return f"{found.group('head')}{found.group('quote')}{mark(why)}{found.group('quote')}"


def _prose(text: str) -> str:
    """Text outside URLs and ARNs: named values, then shapes."""
    text = _FIELD_PAIR.sub(_field_pair, text)
    text = _named_values(text)
    text = _FLAG.sub(_flag, text)
    text = _SCHEME_TOKEN.sub(_scheme_token, text)
    text = _SECRET_KEY.sub(_secret_key, text)
    return _shapes(text)


# --- Text ----------------------------------------------------------------------------------------

# Nothing shorter than this, and nothing without one of these, can hold what is taken out.
_MIN_SECRET = 6
_TELLTALE = re.compile(
    r"[:=@/]|-----|AKIA|ASIA|ABIA|ACCA|eyJ|(?i:bearer|basic|digest|token)\s|[A-Za-z0-9+]{40}"
    r"|gh[pousr]_|github_pat_|xox[abposr]-|_live_|_test_|AIza|glpat-|npm_|sk-|SG\.|--?[A-Za-z]|%[0-9A-Fa-f]{2}"
)


def short(value: str, length: int) -> str:
    """Text made safe, then cut to `length`: cutting first could leave half a secret no shape matches."""
    return text(value)[:length]


_ENCODED = re.compile(r"%(?:22|27|3[AaDd]|40)")


@functools.lru_cache(maxsize=1 << 16)  # a scan repeats its ids in every edge and evidence that names them
def text(value: str) -> str:
    """Free text with every credential it holds marked: in URLs, named values and known shapes."""
    if len(value) < _MIN_SECRET or not _TELLTALE.search(value):
        return value
    if value.startswith("arn:") and _LOCATOR.fullmatch(value):  # most of what a scan holds: one ARN
        return _arn(value)
    if _ENCODED.search(value):  # `%22password%22%3A%22…`: judged as it decodes
        decoded = unquote(value)
        redacted = _text(decoded)
        if redacted != decoded:
            return redacted
    return _text(value)


def _text(value: str) -> str:
    # Marks already there stand as they are: redacting twice changes nothing.
    kept = _MARK.findall(value) if "\ue000" not in value else []
    if kept:
        numbers = iter(range(len(kept)))
        value = _MARK.sub(lambda _: f"\ue000{next(numbers)}\ue001", value)
    value = _PRIVATE_KEY.sub(mark("private key"), value)
    value = _USERINFO.sub(_without_userinfo, value)
    value = _ORACLE.sub(lambda found: f"{found.group(1)}{mark('password')}@", value)
    pieces: list[str] = []
    position = 0
    for found in _LOCATOR.finditer(value):
        pieces.append(_prose(value[position : found.start()]))
        pieces.append(_arn(found.group(0)) if found.group(0).startswith("arn:") else url(found.group(0)))
        position = found.end()
    pieces.append(_prose(value[position:]))
    shown = "".join(pieces)
    if kept:
        shown = _PLACEHOLDER.sub(lambda found: kept[int(found.group(1))], shown)
    return shown


# --- Values under names --------------------------------------------------------------------------

def _is_location(value: str) -> bool:
    """A whole S3 URL or ARN: the lineage a path gives is kept even under a secret-sounding name."""
    stripped = value.strip()
    return _LOCATOR.fullmatch(stripped) is not None and stripped.lower().startswith(
        (*(f"{scheme}://" for scheme in _S3_SCHEMES), "arn:aws"))


def _marked_as(why: str, value: str) -> str:
    """A text value under a secret name: marked, unless it is no secret at all."""
    if not value or _is_location(value) or _is_marked(value) or _NOT_SECRET_VALUE.match(value):
        return text(value)
    return mark(why)


def named(name: str, value: str) -> str:
    """A value as it stands under `name`: marked whole when the name says it is secret."""
    why = secret_word(name)
    return text(value) if why is None else _marked_as(why, value)


def _every_leaf_marked(value: Any, why: str) -> Any:
    """Whatever stands under a secret name, however it is nested (`{"Authorization": ["…"]}`,
    `{"secret": {"S": "…"}}`, a numeric password): each leaf marked but booleans and locations."""
    if isinstance(value, Mapping):
        return {text(k) if isinstance(k, str) else k: _every_leaf_marked(v, why) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_every_leaf_marked(item, why) for item in value]
    if isinstance(value, str):
        return _marked_as(why, value)
    if isinstance(value, bool) or value is None:
        return value
    return mark(why)


# Pairs given as two fields (`{"Name": "DB_PASSWORD", "Value": "…"}`, a tag `{"Key": …, "Value": …}`,
# a CloudFormation parameter `{"ParameterKey": …, "ParameterValue": …}`).
_PAIR_NAMES = ("Name", "name", "Key", "key", "ParameterKey", "OptionName")
_PAIR_VALUES = frozenset({"Value", "value", "Values", "values", "ParameterValue"})


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
        under = pair_name if pair_name is not None and key in _PAIR_VALUES else key
        why = secret_word(under) if isinstance(under, str) else None
        if why is not None:
            result[shown_key] = _every_leaf_marked(item, why)
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

    def literal(found: re.Match[str]) -> str:
        inner = found.group(0)[1:-1]
        if not inner or _is_location(inner) or _is_marked(inner) or _TABLE_PROPERTY.search(
                query, max(0, found.start() - 60), found.start()):
            return found.group(0)
        return f"'{mark('literal')}'"

    return text(_SQL_LITERAL.sub(literal, query))
