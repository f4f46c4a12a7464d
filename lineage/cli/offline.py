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
def iam_policy() -> None:
    """The least-privilege, read-only IAM policy the scanner needs."""
    from collectors import all_calls
    from lineage.iam import policy_json

    click.echo(policy_json(call.action for call in all_calls()), nl=False)

