"""Commands that need no account and no store: `asl`, `rules`, `iam-policy`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lineage.cli.app import cli, console, errors, fail
from lineage.cli.printing import add_row, plain, text_table


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the facts as a lineage-graph/1 document.")
@click.option("--arn", "machine_arn", metavar="ARN",
              help="The state machine's ARN: bare names in the definition resolve in its account and region, "
                   "as a scan of the deployed machine resolves them.")
def asl(file: Path, as_json: bool, machine_arn: str | None) -> None:
    """What one Step Functions definition file (JSON or YAML) reads, writes and invokes, offline."""
    from lineage.arn import kind_for_arn, parse_arn
    from lineage.asl import DefinitionError, Machine, load_definition, parse_definition
    from lineage.intake import admit_one, shown
    from viz.export import dumps, facts_document

    parsed_arn = parse_arn(machine_arn) if machine_arn else None
    if machine_arn and (parsed_arn is None or kind_for_arn(machine_arn) != "states.state_machine"):
        fail(f"--arn {machine_arn!r} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {getattr(error, 'strerror', None) or error}")
    try:
        definition, load_warnings = load_definition(text, file.name)
    except DefinitionError as error:
        fail(f"{file}: {error}")
    if parsed_arn is not None and machine_arn is not None:
        machine = Machine(machine_arn, parsed_arn.region, parsed_arn.account, operation="file")
    else:
        stem = file.name.split(".")[0] or "definition"
        machine = Machine(f"arn:aws:states:::stateMachine:{stem}", operation="file")
    result = parse_definition(definition, machine)
    facts, notes = admit_one(result.facts)  # as a scan keeps them: plain, every secret marked
    warnings = [shown(w) for w in load_warnings + result.warnings] + notes
    if as_json:
        click.echo(dumps(facts_document(facts, warnings, str(file))), nl=False)
        return
    table = text_table(f"{file.name}: {len(facts.edges)} flow(s)", ("flow", "resource", "where", "value"))
    nodes = {n.id: n for n in facts.nodes}
    for edge in facts.edges:
        other = edge.source if edge.target == machine.id else edge.target
        node = nodes.get(other)
        label = f"{node.kind} (dynamic)" if node and node.attributes.get("dynamic") else (node.kind if node else "")
        for evidence in edge.evidence:
            add_row(table, edge.kind.value, f"{label}\n{other if not other.startswith('dynamic:') else ''}".strip(),
                    evidence.path, evidence.excerpt)
    console.print(table)
    for warning in warnings:
        errors.print(plain(f"warning: {warning}"))


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def rules(as_json: bool) -> None:
    """Every rule the scan applies, with its id, severity and remediation."""
    from lineage.rules import all_rules

    listed = all_rules()
    if as_json:
        click.echo(json.dumps([{"id": r.id, "title": r.title, "category": r.category.value,
                                "severity": r.severity.value, "remediation": r.remediation,
                                "frameworks": list(r.frameworks)} for r in listed], indent=2))
        return
    table = text_table("Rules", ("id", "category", "severity", "title"))
    for item in listed:
        add_row(table, item.id, item.category.value, item.severity.value, item.title)
    console.print(table)


@cli.command("iam-policy")
@click.option("--organization", is_flag=True,
              help="Print the role every member account needs as a CloudFormation StackSet template, with its "
                   "trust policy and the policy of the scanner's own identity.")
@click.option("--scanner-principal", metavar="ARN",
              help="With --organization: the account id, or the ARN of the IAM role or user, the scanner runs as "
                   "(in the management or delegated administrator account).")
@click.option("--role-name", metavar="NAME",
              help="With --organization: the name of the member role. [default: LineageReader]")
@click.option("--external-id", metavar="ID", help="With --organization: an external id the member role requires.")
@click.option("--format", "output_format", type=click.Choice(["yaml", "json"]),
              help="With --organization: YAML, the template with the policies as comments (the default), or one "
                   "JSON object holding the template and both policies.")
def iam_policy(organization: bool, scanner_principal: str | None, role_name: str | None, external_id: str | None,
               output_format: str | None) -> None:
    """The least-privilege, read-only IAM policy the scanner needs; with --organization, the role that grants
    it in every member account, as a CloudFormation StackSet template."""
    from collectors import all_calls
    from lineage.iam import policy_json

    actions = [call.action for call in all_calls()]
    if not organization:
        given = [flag for flag, value in (("--scanner-principal", scanner_principal), ("--role-name", role_name),
                                          ("--external-id", external_id), ("--format", output_format))
                 if value is not None]
        if given:
            fail(f"{given[0]} needs --organization")
        click.echo(policy_json(actions), nl=False)
        return

    from lineage import stackset
    from lineage.organization import REGION_CALLS

    # `--region all` asks each member account which regions it has enabled: its role may tell.
    actions += [call.action for call in REGION_CALLS if call.action not in actions]
    if scanner_principal is None:
        fail("--organization needs --scanner-principal: the account id or role ARN the scanner runs as")
    checks = (("--scanner-principal", scanner_principal, stackset.principal_problem),
              ("--role-name", role_name, stackset.role_name_problem),
              ("--external-id", external_id, stackset.external_id_problem))
    for flag, value, problem_of in checks:
        problem = problem_of(value) if value is not None else None
        if problem:
            fail(f"{flag}: {problem}")
    role = stackset.MemberRole(scanner_principal, role_name or stackset.DEFAULT_ROLE_NAME, external_id or "")
    printed = stackset.organization_json if output_format == "json" else stackset.organization_yaml
    click.echo(printed(actions, role), nl=False)

