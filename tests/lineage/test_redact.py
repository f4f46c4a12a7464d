"""The redactor: every credential shape and name marked, every path's lineage kept, nothing raised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage import redact
from lineage.arn import parse_s3_url

SECRET = "Zq9xW2vK7pL4"  # stands for any secret value; never expected in an output

MARKED_IN_TEXT = [
    # name=value, in arguments, Spark settings and connection strings
    (f"--db_password={SECRET}", "--db_password=«redacted: password»"),
    (f"--conf spark.hadoop.fs.s3a.secret.key={SECRET} --conf x=1",
     "--conf spark.hadoop.fs.s3a.secret.key=«redacted: secret» --conf x=1"),
    (f"Server=db;User Id=app;Password={SECRET};", "Server=db;User Id=app;Password=«redacted: password»;"),
    (f"DB_PASS={SECRET}", "DB_PASS=«redacted: password»"),
    (f"--pwd {SECRET} --verbose", "--pwd «redacted: password» --verbose"),  # a flag and its value
    (f"password: {SECRET}", "password: «redacted: password»"),
    (f"'password'='{SECRET}', 'user'='app'", "'password'='«redacted: password»', 'user'='app'"),
    (f'{{"apiKey": "{SECRET}", "bucket": <bucket>}}', '{"apiKey": "«redacted: key»", "bucket": <bucket>}'),
    (f'{{"X-Api-Key":["{SECRET}"]}}', '{"X-Api-Key":[«redacted: key»]}'),  # all a secret name holds
    (f'{{"credentials": {{"db": "{SECRET}"}}}}', '{"credentials": {«redacted: credential»}}'),
    (f"Driver={{ODBC}};Pwd={{{SECRET};x}};", "Driver={ODBC};Pwd={«redacted: password»};"),
    (f"DB_PASSWORD: {SECRET}", "DB_PASSWORD: «redacted: password»"),
    (f"Ocp-Apim-Subscription-Key: {SECRET}", "Ocp-Apim-Subscription-Key: «redacted: key»"),
    (f"--dbpw={SECRET} DBPASS={SECRET} license_key={SECRET} hmac_key={SECRET}",
     "--dbpw=«redacted: password» DBPASS=«redacted: password» license_key=«redacted: key» hmac_key=«redacted: key»"),
    (f'[{{"Name": "DB_PASSWORD", "Value": "{SECRET}"}}]', '[{"Name": "DB_PASSWORD", "Value": "«redacted: password»"}]'),
    (f"%22password%22%3A%22{SECRET}%22", '"password":"«redacted: password»"'),  # judged as it decodes
    (f"sk-proj-{SECRET}{SECRET}", "«redacted: token»"),
    # URLs: userinfo out, query values and fragments marked, host and path kept
    (f"jdbc:postgresql://admin:{SECRET}@db.example.com:5432/app", "jdbc:postgresql://db.example.com:5432/app"),
    (f"https://api.example.com/v1/items?token={SECRET}&page=2#{SECRET}",
     "https://api.example.com/v1/items?token=«redacted: query value»&page=«redacted: query value»"
     "#«redacted: fragment»"),
    (f"s3a://AKIAIOSFODNN7EXAMPLE:{SECRET}/x+y@raw-bucket/events/", "s3a://raw-bucket/events/"),
    (f"mongodb+srv://app:{SECRET}@cluster0.example.net/db", "mongodb+srv://cluster0.example.net/db"),
    # shapes, wherever they are
    ("key AKIAIOSFODNN7EXAMPLE in prose", "key «redacted: aws access key» in prose"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "«redacted: secret key»"),
    ("Authorization: Bearer abcdefghijklmnop1234", "Authorization: Bearer «redacted: token»"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl", "«redacted: token»"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "«redacted: private key»"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk", "«redacted: private key»"),
    # passwords holding what ends a URL; parameters in a path; tokens that are the path
    (f"https://svc:{SECRET}#x@partner.example.com/ingest", "https://partner.example.com/ingest"),
    (f"postgres://u:p^{SECRET}@h/db and more", "postgres://h/db and more"),
    (f"jdbc:sqlserver://host;user=app;password={SECRET}",
     "jdbc:sqlserver://host;user=«redacted: query value»;password=«redacted: query value»"),
    (f"jdbc:oracle:thin:scott/{SECRET}@db.example.com:1521/ORCL",
     "jdbc:oracle:thin:scott/«redacted: password»@db.example.com:1521/ORCL"),
    (f"https://hooks.slack.com/services/T000/B000/{SECRET}", "https://hooks.slack.com/services/«redacted: token»"),
    # vendor tokens, and keys named as Azure and others name them
    (f"ghp_{SECRET * 3}", "«redacted: token»"),
    (f"xoxb-1234-{SECRET}", "«redacted: token»"),
    (f"sk_live_{SECRET * 2}", "«redacted: token»"),
    (f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={SECRET};",
     "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=«redacted: key»;"),
    ("AWS_SK=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SK=«redacted: secret key»"),
    (f"db:\n  password: {SECRET}", "db:\n  password: «redacted: password»"),
    (f"password=«redacted: password»{SECRET}", "password=«redacted: password»"),
]

KEPT = [
    "arn:aws:s3:::raw-bucket/events/session=1/token=2",  # Hive partitions in a path are lineage
    "s3://raw-bucket/auth_provider=google/year=2024/",
    "https://host.example.com:8443/people/a@b.example",  # an address in a path is not userinfo
    "commit 0123456789abcdef0123456789abcdef01234567",  # a hash, not a key: one case only
    "States.GetToken.Parameters.Bucket: 'raw' is not a bucket",  # a warning about a path
    "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "short",
    "«redacted: password»",
    "events/token_type=refresh/",  # a lifecycle rule's prefix: a path, judged as one
    "ExpiredToken: The security token included in the request is expired",  # an AWS error, kept readable
    "SignatureDoesNotMatch: The request signature we calculated does not match",
    "Refresh token rotation; Basic settings",
    "arn:aws:states:eu-west-1:111122223333:stateMachine:TokenRefresh:prod",  # an ARN names; it sets nothing
    "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf",
    "spark.hadoop.fs.s3a.aws.credentials.provider=org.apache.hadoop.fs.s3a.auth.AssumedRoleCredentialProvider",
    "auth_type=IAM signature_version=s3v4 --secret_id=prod/db session.timeout=30 is_private=false",
    "password.$: $.input.password",  # a reference to where the value will be, not the value
    "--token_table raw.session_tokens --output_path s3://b/x/ --verbose",
    "Driver={ODBC Driver 18};Server=h",
]


@pytest.mark.parametrize(("given_text", "expected"), MARKED_IN_TEXT)
def test_credentials_in_text_are_marked(given_text: str, expected: str) -> None:
    assert redact.text(given_text) == expected


@pytest.mark.parametrize("given_text", KEPT)
def test_what_only_looks_like_a_credential_is_kept(given_text: str) -> None:
    assert redact.text(given_text) == given_text


@pytest.mark.parametrize(("name", "why"), [
    ("--db_password", "password"), ("DB_PASS", "password"), ("dbPass", "password"), ("--pwd", "password"),
    ("passphrase", "password"), ("client_secret", "secret"), ("fs.s3a.secret.key", "secret"),
    ("X-Api-Key", "key"), ("aws_secret_access_key", "secret"), ("private_key", "key"), ("api_token", "token"),
    ("session_token", "token"), ("Authorization", "credential"), ("auth", "credential"),
    ("X-Amz-Signature", "signature"), ("sig", "signature"), ("credentials", "credential"),
])
def test_secret_names(name: str, why: str) -> None:
    assert redact.secret_word(name) == why


@pytest.mark.parametrize("name", [
    "kms_key", "partition_keys", "bypass", "object_key", "author", "bucket_key", "--source_path", "encryption",
    "compass", "sigma", "keyspace", "primary_key",
    # which credential, or how it is used: an access key id is caught by its shape (AKIA…)
    "aws_access_key_id", "SecretId", "secret_arn", "auth_type", "AuthorizationType", "token_count",
    "signature_version", "password_enabled", "private_subnet", "credentials_provider",
])
def test_names_that_are_not_secret(name: str) -> None:
    assert redact.secret_word(name) is None


def test_data_marks_values_by_their_key_by_their_pair_and_by_shape() -> None:
    given = {
        "--db_password": f"s3cr3t{SECRET}",  # starts like a path, and is none
        "--input": f"s3://app:{SECRET}@raw/in/",
        "--secret_location": "s3://keys-bucket/app/",  # a path keeps its lineage under any name
        "tags": {"api_token": SECRET, "owner": "data-platform"},
        "environment": [{"Name": "DB_PASSWORD", "Value": SECRET}, {"Name": "REGION", "Value": "eu-west-1"}],
        "filter": {"Key": "token", "Value": SECRET},
        "bucket_key": True,
        "count": 3,
        "template": f'{{"password": "{SECRET}"}}',
    }
    assert redact.data(given) == {
        "--db_password": "«redacted: password»",
        "--input": "s3://raw/in/",
        "--secret_location": "s3://keys-bucket/app/",
        "tags": {"api_token": "«redacted: token»", "owner": "data-platform"},
        "environment": [{"Name": "DB_PASSWORD", "Value": "«redacted: password»"},
                        {"Name": "REGION", "Value": "eu-west-1"}],
        "filter": {"Key": "token", "Value": "«redacted: token»"},
        "bucket_key": True,
        "count": 3,
        "template": '{"password": "«redacted: password»"}',
    }


@pytest.mark.parametrize(("given", "expected"), [
    ({"Authorization": ["abc123"]}, {"Authorization": ["«redacted: credential»"]}),
    ({"secret": {"S": "abc123"}}, {"secret": {"S": "«redacted: secret»"}}),
    ({"password": 12345678, "password_enabled": True}, {"password": "«redacted: password»", "password_enabled": True}),
    ({"Key": "token", "Values": ["abc123"]}, {"Key": "token", "Values": ["«redacted: token»"]}),
    ({"ParameterKey": "DbPassword", "ParameterValue": "abc123"},
     {"ParameterKey": "DbPassword", "ParameterValue": "«redacted: password»"}),
    ({"SecretId": "prod/db", "token_count": 3}, {"SecretId": "prod/db", "token_count": 3}),
])
def test_whatever_stands_under_a_secret_name_is_marked(given: dict, expected: dict) -> None:
    assert redact.data(given) == expected


@pytest.mark.parametrize("hostile", ["A" * 200_000, "a=" * 100_000, "a:" * 100_000, "eyJaaaa." * 25_000,
                                     "password='" + "a" * 200_000, "QUJD" * 50_000, "http://" + "a" * 200_000,
                                     "password=" * 50_000, '"password": "' + '\\"' * 50_000])
def test_text_a_regex_could_backtrack_on_is_redacted_in_one_pass(hostile: str) -> None:
    """Each would take minutes (and meet the suite's timeout) were the search quadratic; `bench/`
    measures the speed."""
    once = redact.text(hostile)
    assert redact.text(once) == once


def test_sql_keeps_locations_and_table_properties_and_marks_every_other_literal() -> None:
    query = (f"CREATE TABLE c.d WITH (format = 'PARQUET', external_location = 's3://cur/d/') AS "
             f"SELECT * FROM raw.people WHERE email = 'someone@example.com' AND note = '{SECRET}'")
    assert redact.sql(query) == (
        "CREATE TABLE c.d WITH (format = 'PARQUET', external_location = 's3://cur/d/') AS "
        "SELECT * FROM raw.people WHERE email = '«redacted: literal»' AND note = '«redacted: literal»'")


def test_an_endpoint_is_where_it_points_and_nothing_more() -> None:
    assert redact.endpoint(f"https://u:{SECRET}@api.example.com/v1/x?token={SECRET}#{SECRET}") == \
        "https://api.example.com/v1/x"
    assert redact.endpoint(f"https://svc:{SECRET}#x@partner.example.com/in") == "https://partner.example.com/in"
    assert redact.endpoint(f"https://app.example.com/api;jsessionid={SECRET}") == "https://app.example.com/api"
    assert redact.endpoint(f"https://hooks.slack.com/services/T0/B0/{SECRET}") == \
        "https://hooks.slack.com/services/«redacted: token»"
    assert redact.endpoint("not a url") == "not a url"


def test_an_s3_url_with_credentials_names_its_bucket_never_the_credentials() -> None:
    assert parse_s3_url(f"s3a://AKIAIOSFODNN7EXAMPLE:{SECRET}/ab+c@raw-bucket/events/2024/") == \
        ("raw-bucket", "events/2024")
    assert parse_s3_url("s3://raw-bucket/events/") == ("raw-bucket", "events")


# --- Properties ----------------------------------------------------------------------------------

# A digit in each, so that a secret can never be spelled by the name it stands under.
_secrets = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=8,
                   max_size=40).filter(lambda s: any(c.isdigit() for c in s))
_names = st.sampled_from(["password", "DB_PASS", "--pwd", "client_secret", "api_key", "X-Auth-Token",
                          "fs.s3a.secret.key", "Authorization", "sessionToken", "privateKey"])
_buckets = st.from_regex(r"[a-z0-9][a-z0-9.\-]{1,30}[a-z0-9]", fullmatch=True).filter(lambda b: ".." not in b)
_prefixes = st.lists(st.from_regex(r"[A-Za-z0-9_=\-]{1,12}", fullmatch=True), max_size=4).map("/".join)


@given(_names, _secrets, st.sampled_from(["{n}={s}", '"{n}": "{s}"', "'{n}'='{s}'", "{n}={s};x=1",
                                          "https://h.example/p?{n}={s}", "s3a://{n}:{s}@b/p",
                                          "jdbc:mysql://{n}:{s}@h:3306/db", '{{"{n}":"{s}"}}']))
def test_a_named_secret_never_survives_its_setting(name: str, secret: str, template: str) -> None:
    shown = redact.text(template.format(n=name, s=secret))
    assert secret not in shown


@given(_names, _secrets)
def test_a_value_under_a_secret_name_never_survives(name: str, secret: str) -> None:
    assert secret not in str(redact.data({name: secret, "nested": [{"Name": name, "Value": secret}]}))


@given(st.sampled_from(["s3", "s3a", "s3n"]), _buckets, _prefixes)
def test_a_path_keeps_its_lineage(scheme: str, bucket: str, prefix: str) -> None:
    location = f"{scheme}://{bucket}/{prefix}"
    assert redact.text(location) == location
    assert redact.named("--secret_path", location) == location
    assert redact.text(f"arn:aws:s3:::{bucket}/{prefix}") == f"arn:aws:s3:::{bucket}/{prefix}"


@given(st.text(max_size=300))
def test_any_text_is_redacted_without_raising_and_once_is_enough(value: str) -> None:
    once = redact.text(value)
    assert redact.text(once) == once
    assert redact.sql(value) == redact.sql(redact.sql(value))
