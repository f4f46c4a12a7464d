"""`lineage template`: the flows and findings of infrastructure templates, before anything is deployed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from lineage.cli.app import check_regions, cli, console, db_option, errors, fail, load_or_fail, scan_option, stop
from lineage.cli.printing import add_row, at_or_above, emit, plain, sarif_text, text_table
from lineage.cli.scanning import (
    classification_option,
    print_summary,
    read_classification,
    read_tag_policy,
    tag_policy_option,
)
from lineage.model import Finding, Scan, Severity

_ACCOUNT_DIGITS = 12
SEVERITIES = [s.value for s in Severity]


def read_parameters(path: Path) -> dict[str, Any]:
    """Parameter values from a file in any of the shapes CloudFormation tools write: the CLI's
    `[{"ParameterKey", "ParameterValue"}]`, CodePipeline's `{"Parameters": {…}}`, or a plain mapping."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"--parameters {path}: cannot read it ({getattr(error, 'strerror', None) or error})")
    try:
        document = yaml.safe_load(text)  # JSON is YAML: one reader for both
    except yaml.YAMLError as error:
        fail(f"--parameters {path}: not JSON or YAML ({str(error).splitlines()[0]})")
    if isinstance(document, Mapping) and isinstance(document.get("Parameters"), Mapping):
        document = document["Parameters"]
    if isinstance(document, list):
        values = {}
        for item in document:
            if not (isinstance(item, Mapping) and "ParameterKey" in item):
                fail(f"--parameters {path}: a list of {{ParameterKey, ParameterValue}} pairs is expected")
            # `UsePreviousValue` keeps what the stack has: not known here, so the parameter is left unknown.
            values[str(item["ParameterKey"])] = item.get("ParameterValue")
        return values
    if isinstance(document, Mapping):
        return {str(key): value for key, value in document.items()}
    fail(f"--parameters {path}: a mapping of names to values, or a list of ParameterKey/ParameterValue pairs")


def where_defined(source: Mapping[str, Any] | None) -> str:
    """`file:line` of a template resource (`file` alone when the line is not known); "" for none."""
    if not source or not source.get("file"):
        return ""
    return f"{source['file']}:{source['line']}" if source.get("line") else str(source["file"])


def _where(sources: Mapping[str, Mapping[str, Any]], finding: Finding) -> str:
    return where_defined(sources.get(finding.node))


def findings_report(scan: Scan, findings: list[Finding], fmt: str,
                    described: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The findings as JSON or SARIF, each with the template file and line of its resource where known; `described`
    says where templates describe the resources of a scan of the account."""
    if fmt == "sarif":
        return sarif_text(scan, findings, described)
    if fmt == "json":
        from viz.sarif import template_sources

        sources = template_sources(scan, described)
        return json.dumps([{**f.to_dict(), "location": _where(sources, f)} for f in findings], indent=2) + "\n"
    raise ValueError(fmt)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--parameters", "parameters_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Parameter values: JSON or YAML, as `aws cloudformation` or CodePipeline write them.")
@click.option("--account", metavar="ID", help="The account the templates deploy to (12 digits): ARNs are complete "
                                              "and meet a scan's. Unknown when omitted.")
@click.option("--region", metavar="R", help="The region they deploy to. Unknown when omitted.")
@click.option("--stack-name", metavar="NAME", help="The stack name `AWS::StackName` stands for.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="How the findings are written: a table, JSON, or SARIF 2.1.0 for code scanning.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the findings (in --format) to this file instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole graph as a lineage-graph/1 document instead.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the interactive page of the flows the templates define.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Only findings of this severity and above.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), metavar="SEVERITY",
              help="Exit with code 1 when a finding of this severity or above is found (for CI).")
@classification_option
@tag_policy_option
def template(paths: tuple[Path, ...], parameters_file: Path | None, account: str | None, region: str | None,
             stack_name: str | None, fmt: str, output: Path | None, as_json: bool, html: Path | None,
             severity: str | None, fail_on: str | None, classification: Path | None,
             tag_policy_file: Path | None) -> None:
    """The flows and findings of CloudFormation, SAM and CDK templates and Terraform plans, before they are deployed.

    PATHS are template files (JSON or YAML), folders holding them, CDK cloud assemblies (cdk.out) or the JSON of
    `terraform show -json`."""
    from lineage.files import PRIVATE, PUBLISHED
    from lineage.template_scan import read_templates, scan_templates
    from templates.document import TemplateError
    from templates.stack import Placement

    if account is not None and not (account.isdigit() and len(account) == _ACCOUNT_DIGITS):
        fail(f"--account {account!r} is not an account id (12 digits)")
    if region is not None:
        check_regions((region,))
        if region == "all":
            fail("--region names the one region the templates deploy to")
    if as_json and (fmt != "text" or output is not None):
        fail("--json prints the graph; --format and --output are for the findings: give one or the other")
    parameters = read_parameters(parameters_file) if parameters_file else {}
    rules = read_classification(classification)
    policy = read_tag_policy(tag_policy_file)
    try:
        templates = read_templates(paths)
    except TemplateError as error:
        fail(str(error))
    placement = Placement(account or "", region or "", stack_name or "", parameters)
    scan = scan_templates(templates, placement, rules, policy).scan
    selected = at_or_above(scan.findings, severity)
    if html is not None:
        from lineage.isolation import Problems
        from viz.html import render_html

        emit(render_html(scan, Problems()), html, PUBLISHED)
    if as_json:
        from viz.export import dumps, scan_document

        click.echo(dumps(scan_document(scan)), nl=False)
    elif fmt == "text" and output is None:
        _print_text(scan, selected, len(templates))
    else:
        report = findings_report(scan, selected, fmt) if fmt != "text" else _plain_report(scan, selected)
        emit(report, output, PRIVATE)
    for gap in scan.coverage_gaps:
        errors.print(plain(f"warning: {gap.resource}: {gap.error}" if gap.resource else f"warning: {gap.error}"))
    if fail_on is not None:
        failing = at_or_above(scan.findings, fail_on)
        if failing:
            stop(f"{len(failing)} finding(s) of severity {fail_on} or above")


def _plain_report(scan: Scan, findings: list[Finding]) -> str:
    from viz.sarif import template_sources

    sources = template_sources(scan)
    lines = [f"{f.severity.value}\t{f.rule}\t{_where(sources, f)}\t{f.node}\t{f.message}" for f in findings]
    return "\n".join(lines) + ("\n" if lines else "")


def _print_text(scan: Scan, findings: list[Finding], templates: int) -> None:
    print_summary(scan)
    if not findings:
        console.print(plain(f"no findings in {templates} template(s)"))
        return
    from viz.sarif import template_sources

    sources = template_sources(scan)
    table = text_table(f"Findings of {templates} template(s)", ("severity", "rule", "where", "resource", "message"))
    for finding in findings:
        add_row(table, finding.severity.value, finding.rule, _where(sources, finding), finding.node, finding.message)
    console.print(table)


def placed_templates(paths: tuple[Path, ...], parameters_file: Path | None, stack_name: str | None,
                     account_scan: Scan) -> tuple[Scan, list[str], dict[str, str]]:
    """The templates read as a scan placed in the account and region `account_scan` read (the first of each), the
    paths they were read from, and the stack each was deployed as, where known. A template that cannot be read is
    one line and exit 2."""
    from lineage.template_scan import read_templates, scan_templates
    from templates.document import TemplateError
    from templates.stack import Placement

    parameters = read_parameters(parameters_file) if parameters_file else {}
    try:
        templates = read_templates(paths)
    except TemplateError as error:
        fail(str(error))
    if len(account_scan.accounts) > 1 or len(account_scan.regions) > 1:
        errors.print(plain(f"warning: scan {account_scan.id} read {len(account_scan.accounts)} account(s) and "
                           f"{len(account_scan.regions)} region(s); the templates are placed in the first of each"))
    placement = Placement(account_scan.accounts[0] if account_scan.accounts else "",
                          account_scan.regions[0] if account_scan.regions else "", stack_name or "", parameters)
    defined = scan_templates(templates, placement).scan
    stacks = {t.name: (stack_name or t.stack) for t in templates if stack_name or t.stack}
    return defined, [t.path for t in templates], stacks


def described_in(paths: tuple[Path, ...], parameters_file: Path | None, stack_name: str | None,
                 account_scan: Scan) -> dict[str, Mapping[str, Any]]:
    """Each resource of `account_scan` the templates describe → where (file, line, logical id)."""
    from lineage.template_drift import where_described

    defined, _, stacks = placed_templates(paths, parameters_file, stack_name, account_scan)
    return where_described(defined, account_scan, stacks)


template_paths_option = click.option(
    "--template", "template_paths", multiple=True, type=click.Path(path_type=Path), metavar="PATH",
    help="The templates the scanned resources were deployed from (a file, a folder or a CDK cloud assembly; "
         "repeat for more): each finding on a resource they describe points at its file and line.")
parameters_option = click.option(
    "--parameters", "parameters_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Parameter values the templates were deployed with.")
stack_name_option = click.option(
    "--stack-name", metavar="NAME", help="The stack the templates were deployed as: matches the names "
                                         "CloudFormation chose for resources the templates leave unnamed.")


@cli.command()
@click.option("--template", "paths", multiple=True, required=True, type=click.Path(path_type=Path), metavar="PATH",
              help="A template, a folder of templates or a CDK cloud assembly; repeat for more.")
@db_option
@scan_option
@parameters_option
@stack_name_option
@click.option("--json", "as_json", is_flag=True, help="Print the drift as JSON.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), metavar="SEVERITY",
              help="Exit 1 when drift of this severity or above is found: high for protection weaker in the "
                   "account, medium for resources or flows no template describes, low for the rest.")
def drift(paths: tuple[Path, ...], db: str, scan_id: str | None, parameters_file: Path | None,
          stack_name: str | None, as_json: bool, fail_on: str | None) -> None:
    """What runs in the account that no template describes, what the templates describe that does not run, and
    what differs where it matters, against a stored scan (the latest by default)."""
    from collectors import iam, kms
    from lineage.template_drift import template_drift
    from templates.naming import SHAPES

    account_scan = load_or_fail(db, scan_id)
    defined, template_paths, stacks = placed_templates(paths, parameters_file, stack_name, account_scan)
    # KMS keys and IAM roles are listed by no collector: a scan reads those other resources name.
    result = template_drift(defined, account_scan, template_paths, stacks,
                            {shape.kind for shape in SHAPES.values()}, {kms.KIND, iam.KIND})
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        _print_drift(result, len(template_paths))
    if fail_on is not None and result.at_least(Severity(fail_on)):
        stop(f"{len(result.at_least(Severity(fail_on)))} drift item(s) of severity {fail_on} or above")


def _print_drift(result: Any, templates: int) -> None:
    counts = result.counts()
    said = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "no drift"
    console.print(plain(f"{templates} template(s) against scan {result.scan}: {len(result.matched)} resource(s) "
                        f"matched; {said}", style="bold"))
    if result.empty:
        return
    table = text_table(None, ("drift", "severity", "resource", "detail", "template"))
    for item in result.items:
        add_row(table, item.kind, item.severity.value, item.node, item.summary, where_defined(item.template))
    console.print(table)
