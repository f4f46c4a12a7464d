"""Drift's judgements on small scans made by hand: what a scan cannot know is never drift."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from lineage.model import Node, Scan, ScanStatus, Stage
from lineage.template_drift import template_drift
from lineage.template_scan import read_templates, scan_templates
from templates.stack import Placement

ACCOUNT, REGION = "123456789012", "eu-west-1"


def account_with(*nodes: Node) -> Scan:
    return Scan("live", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, (ACCOUNT,),
                (REGION,), nodes, (), (), (), {})


def test_a_key_a_scan_reads_only_when_named_is_not_missing_when_nothing_names_it(tmp_path: Path) -> None:
    path = tmp_path / "keyed.yaml"
    path.write_text(dedent("""\
        Resources:
          Key: {Type: AWS::KMS::Key}
          Data:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: keyed-data
              BucketEncryption:
                ServerSideEncryptionConfiguration:
                  - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
        """))
    templates = scan_templates(read_templates([path]), Placement(ACCOUNT, REGION)).scan
    bucket = next(n for n in templates.nodes if n.id == "arn:aws:s3:::keyed-data")
    live = account_with(Node(bucket.id, "s3.bucket", "keyed-data", Stage.STORAGE, ACCOUNT, REGION, True,
                             {k: v for k, v in bucket.attributes.items() if k != "template"}))
    assert [(i.kind, i.node) for i in template_drift(templates, live).items] == [("missing", "cfn:keyed#Key")]
    assert template_drift(templates, live, read_when_named={"kms.key"}).items == ()
