"""Personal-data classification: which words name which category, in both languages, and which do not; the
declared labels (parameters, tags, LF-tags, Macie); the user's rules file; and bad files said in one line."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.classification import (
    DECLARED,
    ClassificationError,
    column_labels,
    default_classification,
    load_classification,
    node_labels,
    processing_declared,
    tokens,
)

RULES = default_classification()


def categories(name: str, comment: str = "", parameters: dict[str, Any] | None = None,
               rules: Any = RULES) -> set[str]:
    column = {"name": name, "comment": comment, "parameters": parameters or {}}
    return {label["category"] for label in column_labels(column, rules, f"db.table.{name}")}


@pytest.mark.parametrize(("name", "expected"), [
    # What a new user found missing or wrong.
    ("email", "email"), ("user_email", "email"), ("emailAddress", "email"), ("contact_mail", "email"),
    ("customer_name", "person_name"), ("username", "online_identifier"), ("zip", "postal_address"),
    ("gender", "gender"), ("rrn", "national_id"), ("jumin_no", "national_id"), ("ip_address", "ip_address"),
    # Each category, as schemas spell it.
    ("EMAIL_ADDRESS", "email"), ("mobile_phone", "phone"), ("telNo", "phone"), ("first_name", "person_name"),
    ("cust_nm", "person_name"), ("shipping_address", "postal_address"), ("postal_code", "postal_address"),
    ("dob", "birth_date"), ("birthDate", "birth_date"), ("sex_cd", "gender"), ("ssn", "national_id"),
    ("passport_no", "passport_number"), ("drivers_license_number", "drivers_licence"),
    ("frgnr_reg_no", "foreign_registration_number"), ("card_number", "payment_card"), ("cvv", "payment_card"),
    ("iban", "bank_account"), ("client_ip", "ip_address"), ("device_id", "device_id"),
    ("mac_address", "device_id"), ("idfa", "advertising_id"), ("gaid", "advertising_id"),
    ("latitude", "precise_location"), ("geohash", "precise_location"), ("diagnosis_code", "health"),
    ("blood_type", "health"), ("fingerprint_template", "biometric"), ("face_embedding", "biometric"),
    ("login_id", "online_identifier"),
    # Pseudonymised values are still personal data.
    ("email_sha256", "email"),
    # A compound is read by its head, and a number ending a word numbers it.
    ("user_ip_address", "ip_address"), ("userIPAddress", "ip_address"), ("src_ip_addr", "ip_address"),
    ("user_mail_address", "email"), ("addr1", "postal_address"), ("street2", "postal_address"),
    # A flag or type about special-category data is that data too.
    ("is_pregnant", "health"), ("disability_type", "health"),
])
def test_a_column_name_says_its_category(name: str, expected: str) -> None:
    assert categories(name) == {expected}


@pytest.mark.parametrize("name", [
    # Hard negatives: a shared word or substring, no personal data.
    "emailed_count", "telemetry_id", "namespace", "phonetic_key", "adobe_campaign", "zipfile_path",
    "zip_file_path", "product_name", "file_name", "table_name", "hostname", "memory_address", "address_space",
    "email_template_id", "email_sent_at", "phone_model", "mobile_app_version", "health_check_status",
    "key_fingerprint", "certificate_fingerprint", "ip_range_cidr", "latency_ms", "account_id", "order_id",
    # Facts about the data, not the data.
    "email_count", "is_email_verified", "num_phones", "email_opt_in", "email_yn",
    # Its subject is a machine, a site, a company.
    "server_ip", "warehouse_latitude", "company_address",
    "", "_", "12345",
])
def test_a_hard_negative_names_nothing(name: str) -> None:
    assert categories(name) == set()


@pytest.mark.parametrize(("comment", "expected"), [
    ("이메일", {"email"}), ("휴대전화번호", {"phone"}), ("주민등록번호", {"national_id"}), ("주소", {"postal_address"}),
    ("성명", {"person_name"}), ("생년월일", {"birth_date"}),
    ("고객 이메일 주소", {"email"}), ("고객이메일주소", {"email"}), ("IP 주소", {"ip_address"}),
    ("배송지 주소", {"postal_address"}), ("외국인등록번호", {"foreign_registration_number"}),
    ("상품명", set()), ("이메일 발송 횟수", set()), ("휴대전화번호 인증여부", set()), ("지점 주소", set()),
    ("고객 이메일 주소 (수신 동의 시 마케팅 발송)", {"email"}), ("아이피 주소", {"ip_address"}),
    (unicodedata.normalize("NFD", "휴대전화번호"), {"phone"}),
    ("Customer's mobile number", {"phone"}), ("Student e-mail address", {"email"}),
    ("Number of emails sent", set()), ("la fecha de alta", set()), ("How long the job ran", set()),
])
def test_a_comment_in_korean_or_english_says_what_a_cryptic_column_holds(comment: str, expected: set[str]) -> None:
    assert categories("col_07", comment) == expected


def test_a_name_is_read_before_its_comment_and_both_are_evidence() -> None:
    [label] = column_labels({"name": "student_email", "comment": "학생 이메일"}, RULES, "edu.students.student_email")
    assert label == {"category": "email", "source": "column name", "match": "email", "operation": "glue:GetTables",
                     "path": "StorageDescriptor.Columns[student_email].Name", "column": "student_email",
                     "rules": "default rules"}
    [by_comment] = column_labels({"name": "c3", "comment": "학생 이메일"}, RULES, "edu.students.c3")
    assert (by_comment["source"], by_comment["match"]) == ("column comment", "이메일")


@pytest.mark.parametrize(("parameters", "expected"), [
    ({"pii": "false"}, set()), ({"pii": "no"}, set()), ({"pii": "true"}, {DECLARED}), ({"pii": "email"}, {"email"}),
    ({"PII": "yes"}, {DECLARED}), ({"sensitivity": "personal"}, {DECLARED}), ({"owner": "pii-team"}, set()),
])
def test_a_column_parameter_declares_or_denies(parameters: dict[str, str], expected: set[str]) -> None:
    assert categories("code", parameters=parameters) == expected
    if parameters.get("pii") in ("false", "no"):
        assert categories("email", parameters=parameters) == set()  # the column's own word wins over its name


def test_tokens_split_every_spelling_the_same_way() -> None:
    assert tokens("emailAddress") == tokens("EMAIL_ADDRESS") == tokens("email-address") == ("email", "address")
    assert tokens("IPAddress") == ("ip", "address")
    assert tokens("고객 email") == ("email",)


def node(kind: str = "glue.table", name: str = "curated.people", **attributes: Any) -> tuple[str, str, str, dict]:
    return (f"arn:aws:glue:eu-west-1:1:table/{name.replace('.', '/')}", kind, name, attributes)


def labels(*args: Any, rules: Any = RULES, inherited: dict[str, Any] | None = None) -> list[dict[str, str]]:
    node_id, kind, name, attributes = args
    return node_labels(node_id, kind, name, attributes, rules, inherited)


def test_tags_declare_categories_and_a_false_tag_denies_every_label() -> None:
    found = labels("arn:aws:s3:::landing", "s3.bucket", "landing", {"tags": {"lineage:pii": "email, phone"}})
    assert {(x["category"], x["source"], x["operation"]) for x in found} == {
        ("email", "tag", "s3:GetBucketTagging"), ("phone", "tag", "s3:GetBucketTagging")}
    assert labels("arn:aws:s3:::b", "s3.bucket", "b", {"tags": {"data-classification": "PII"}})[0]["category"] == \
        DECLARED
    denied = {"tags": {"lineage:pii": "false"}, "columns": [{"name": "email"}], "lf_tags": {"pii": ["true"]}}
    assert [x["source"] for x in labels(*node(**denied))] == ["lf-tag"]  # a declaration elsewhere stands


def test_lake_formation_tags_on_table_column_and_database() -> None:
    found = labels(*node(lf_tags={"sensitivity": ["pii"]}, lf_column_tags={"c9": {"pii": ["true"]},
                                                                             "c10": {"team": ["x"]}}),
                   inherited={"Classification": ["personal"]})
    assert sorted((x["source"], x.get("column", "")) for x in found) == [
        ("lf-tag", ""), ("lf-tag on column", "c9"), ("lf-tag on database", "")]
    assert labels(*node(lf_tags={"sensitivity": ["public"]})) == []
    # The table's own value of a key overrides its database's.
    assert labels(*node(lf_tags={"sensitivity": ["public"]}), inherited={"sensitivity": ["pii"]}) == []


def test_a_tag_saying_not_personal_overrides_guesses_not_observations() -> None:
    finding = {"finding": "f1", "key": "x.csv", "detections": [
        {"category": "PERSONAL_INFORMATION", "type": "EMAIL_ADDRESS", "count": 12}]}
    found = labels("arn:aws:s3:::b", "s3.bucket", "b", {"tags": {"pii": "no"}, "macie_findings": [finding]})
    assert [(x["category"], x["source"]) for x in found] == [("email", "macie")]
    assert labels(*node(tags={"pii": "false"}, columns=[{"name": "email"}])) == []


def test_macie_detections_name_categories_and_credentials_are_not_personal() -> None:
    findings = [{"finding": "f1", "key": "users/2024/part-0.csv", "detections": [
        {"category": "PERSONAL_INFORMATION", "type": "EMAIL_ADDRESS", "count": 12},
        {"category": "PERSONAL_INFORMATION", "type": "SOME_FUTURE_TYPE", "count": 1},
        {"category": "CREDENTIALS", "type": "AWS_CREDENTIALS", "count": 2}]}]
    found = labels("arn:aws:s3:::b/users/2024", "s3.location", "b/users/2024", {"macie_findings": findings})
    assert sorted(x["category"] for x in found) == [DECLARED, "email"]
    assert all(x["source"] == "macie" and x["finding"] == "f1" and "rules" not in x for x in found)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_file_extends_marks_false_positives_and_declares_masking(tmp_path: Path) -> None:
    rules = load_classification(write(tmp_path, '''
[categories.email]
phrases = ["courriel perso"]
[categories.employee_number]
title = "Employee number"
phrases = ["emp no", "sabun"]
words = ["사번"]
[[false_positives]]
column = "*.support_tickets.requester_ip"
reason = "the office proxy, never a person"
[[false_positives]]
node = "arn:aws:s3:::public-datasets*"
[[processing]]
node = "*:job/anonymise-*"
personal_data = "dropped"
reason = "k-anonymity job"
'''))
    assert categories("sabun", rules=rules) == {"employee_number"}
    assert categories("x", "사번", rules=rules) == {"employee_number"}
    assert categories("email", rules=rules) == {"email"}  # the defaults stand beside the file's
    assert column_labels({"name": "requester_ip"}, rules, "helpdesk.support_tickets.requester_ip") == []
    assert column_labels({"name": "requester_ip"}, rules, "helpdesk.other.requester_ip") != []
    assert labels("arn:aws:s3:::public-datasets-eu", "s3.bucket", "public-datasets-eu",
                  {"tags": {"pii": "true"}}, rules=rules) == []
    assert processing_declared("arn:aws:glue:r:1:job/anonymise-users", "anonymise-users", {}, rules) == (
        "dropped", "classification file: *:job/anonymise-* (k-anonymity job)")
    assert processing_declared("arn:aws:glue:r:1:job/x", "x", {"lineage:pii": "Masked"}, rules) == (
        "masked", "tag lineage:pii=masked")
    assert rules.sources == ("default rules", "rules.toml")


def test_a_category_can_be_replaced(tmp_path: Path) -> None:
    rules = load_classification(write(tmp_path, '[categories.gender]\nreplace = true\nphrases = ["gender identity"]\n'))
    assert categories("gender", rules=rules) == set()
    assert categories("gender_identity", rules=rules) == {"gender"}


@pytest.mark.parametrize(("text", "said"), [
    ("[categories.email\n", "is not valid TOML"),
    ("[colours]\nx = 1\n", "unknown key 'colours' in the file"),
    ("[categories.email]\nphrase = [\"mail\"]\n", "unknown key 'phrase' in categories.email"),
    ("[categories.student_number]\nphrases = [\"학번\"]\n", "put words of other scripts under `words`"),
    ("ignore = 5\n", "ignore must be a table"), ("qualifiers = [1]\n", "qualifiers must be a table"),
    ("tags = \"x\"\n", "tags must be a table"), ("processing = 5\n", "processing must be an array of tables"),
    ("categories = [1]\n", "categories must be a table"),
    ("[[false_positives]]\ncolumn = [\"a\"]\n", "false_positives[0].column must be text"),
    ("[categories.email]\nphrases = \"email\"\n", "categories.email.phrases must be a list of strings"),
    ("[ignore]\nphrases = [1]\n", "ignore.phrases must be a list of strings"),
    ("[macie]\nNAME = \"persons_name\"\n", "category 'persons_name' is used but not defined"),
    ("[[false_positives]]\nreason = \"x\"\n", "false_positives[0] needs a column or a node pattern"),
    ("[[processing]]\nnode = \"x\"\npersonal_data = \"hidden\"\n", "processing[0] needs a node pattern"),
    ("[tags]\nkeys = [\"pii\"]\n", "tags.keys must be a table"),
])
def test_a_bad_rules_file_is_one_clear_error(tmp_path: Path, text: str, said: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ClassificationError, match=re.escape(said)) as raised:
        load_classification(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_or_unreadable_file_is_said(tmp_path: Path) -> None:
    with pytest.raises(ClassificationError, match="cannot read"):
        load_classification(tmp_path / "absent.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ClassificationError, match="not valid TOML"):
        load_classification(binary)


# --- Properties ------------------------------------------------------------------------------------------

WORDS = st.sampled_from(["email", "address", "ip", "phone", "number", "count", "is", "customer", "name", "zip",
                         "file", "server", "card", "birth", "date", "health", "check", "lat", "x", "id"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=5))
def test_every_spelling_of_the_same_words_reads_the_same(words: list[str]) -> None:
    snake = "_".join(words)
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    assert categories(snake) == categories(camel) == categories(snake.upper()) == categories("-".join(words))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=120))
def test_any_text_gives_known_categories_and_never_fails(name: str, comment: str) -> None:
    found = column_labels({"name": name, "comment": comment}, RULES, f"d.t.{name}")
    assert {label["category"] for label in found} <= set(RULES.categories) | {DECLARED}
    assert found == column_labels({"name": name, "comment": comment}, RULES, f"d.t.{name}")
