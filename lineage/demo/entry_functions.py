"""The demo's entry functions: what the platform's functions may do, and a function URL where data enters.

Students download their completion certificate from a link in the completion e-mail: a function URL on
`certificate-download`, which reads the curated enrollments (their e-mail addresses among them) and
renders the PDF. The link was meant to be easy to open, so the URL asks for no signature (AuthType NONE)
— left in on purpose: it is a personal-data flow anyone who has the address can call. Its own role only
reads the curated enrollments, through a customer managed policy the platform's shared role attaches too
(one policy, two roles: read once).

The shared `learning-platform-role`, which the enrollment API runs as, grew an inline `dynamodb:*` on the
enrollments table the evening the API needed one more call — also left in on purpose: a flaw in the API's
function would reach every item, and the table itself.
"""

from __future__ import annotations

import json

from lineage.demo import ACCOUNT, CURATED, REGION, ClientFactory, lambda_zip

SHARED_ROLE = "learning-platform-role"  # the main estate's
CERTIFICATE_ROLE = "certificate-download-role"
ENROLLMENTS_TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/enrollments"


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build(client: ClientFactory) -> None:
    iam = client("iam")
    iam.put_role_policy(RoleName=SHARED_ROLE, PolicyName="enrollments-table-access", PolicyDocument=_document(
        {"Sid": "EnrollmentsTable", "Effect": "Allow", "Action": "dynamodb:*",
         "Resource": [ENROLLMENTS_TABLE, f"{ENROLLMENTS_TABLE}/stream/*"]}))
    curated_read = iam.create_policy(
        PolicyName="curated-enrollments-read", Description="Read the curated enrollments, nothing else",
        PolicyDocument=_document(
            {"Sid": "ReadEnrollments", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": f"arn:aws:s3:::{CURATED}/enrollments/*"},
            {"Sid": "ListEnrollments", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": f"arn:aws:s3:::{CURATED}", "Condition": {"StringLike": {"s3:prefix": ["enrollments/*"]}}},
            {"Sid": "DecryptCurated", "Effect": "Allow", "Action": ["kms:Decrypt"],
             "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}}),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=SHARED_ROLE, PolicyArn=curated_read)  # the Glue jobs read them too
    certificate_role = iam.create_role(
        RoleName=CERTIFICATE_ROLE, Path="/service-role/", Description="certificate-download's execution role",
        AssumeRolePolicyDocument=_document({"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {"Service": "lambda.amazonaws.com"}}),
    )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=CERTIFICATE_ROLE, PolicyArn=curated_read)

    functions = client("lambda")
    functions.create_function(
        FunctionName="certificate-download", Runtime="python3.12", Role=certificate_role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()}, Description="Renders a student's completion certificate",
        Environment={"Variables": {"ENROLLMENTS_PATH": f"s3://{CURATED}/enrollments/"}},
    )
    functions.create_function_url_config(
        FunctionName="certificate-download", AuthType="NONE",
        Cors={"AllowOrigins": ["https://learn.example.edu"], "AllowMethods": ["GET"]})
    logs = client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/certificate-download")
    logs.put_retention_policy(logGroupName="/aws/lambda/certificate-download", retentionInDays=30)
