"""EMR clusters, their steps and security configurations in a template → what ListClusters, DescribeCluster,
ListSteps and DescribeSecurityConfiguration answer for the deployed stack → the EMR collector's transform.

A cluster's steps are those of its `Steps` property and the `AWS::EMR::Step` resources that name it, newest first
as ListSteps answers them (the step resources, added after the cluster started, before the cluster's own). A
cluster kept alive when its steps are done (`KeepJobFlowAliveWhenNoSteps`, unless the template says false) is
WAITING once deployed, another RUNNING while its steps run. A security configuration the template defines is read
with each cluster that names it; one it only names (another stack's) is unread, as is the account's block public
access setting for EMR, which no template sets: the node says so rather than guess.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors import emr
from lineage.model import Facts
from templates.naming import stand_in_name
from templates.services.common import by_owner, list_of, mapping_of, truth
from templates.stack import Placed, Stack, each_placed

CLUSTER, STEP, SECURITY_CONFIGURATION = "AWS::EMR::Cluster", "AWS::EMR::Step", "AWS::EMR::SecurityConfiguration"
TYPES = frozenset({CLUSTER, STEP, SECURITY_CONFIGURATION})


def _step(step_id: str, step: Mapping[str, Any]) -> dict[str, Any]:
    """ListSteps' item for a step (`StepConfig` in CloudFormation, `StepSummary` in the answer)."""
    jar = mapping_of(step.get("HadoopJarStep"))
    config: dict[str, Any] = {"Jar": jar.get("Jar", ""), "Args": [str(a) for a in list_of(jar.get("Args"))],
                              "Properties": {str(p.get("Key")): str(p.get("Value", "")) for p in list_of(
                                  jar.get("StepProperties")) if isinstance(p, Mapping)}}
    if jar.get("MainClass"):
        config["MainClass"] = jar["MainClass"]
    return {"Id": step_id, "Name": str(step.get("Name") or step_id), "Config": config,
            "ActionOnFailure": step.get("ActionOnFailure", "CONTINUE"), "Status": {"State": "PENDING"}}


def _security_configuration(placed: Placed) -> dict[str, Any]:
    """DescribeSecurityConfiguration's answer: the document as JSON text."""
    document = placed.properties.get("SecurityConfiguration")
    return {"Name": placed.name, "SecurityConfiguration": document if isinstance(document, str)
            else json.dumps(document)}


def cluster_record(placed: Placed, steps: list[dict[str, Any]], configurations: Mapping[str, dict[str, Any]]
                   ) -> dict[str, Any]:
    """The record `get_emr` builds for the deployed cluster."""
    p = placed.properties
    instances = mapping_of(p.get("Instances"))
    state = "RUNNING" if truth(instances.get("KeepJobFlowAliveWhenNoSteps")) is False else "WAITING"
    subnet = instances.get("Ec2SubnetId") or next(iter(list_of(instances.get("Ec2SubnetIds"))), None)
    cluster: dict[str, Any] = {
        "Id": placed.name, "Name": str(p.get("Name") or placed.name), "ClusterArn": placed.id,
        "Status": {"State": state}, "ReleaseLabel": p.get("ReleaseLabel", ""),
        "Applications": [{"Name": a.get("Name")} for a in list_of(p.get("Applications")) if isinstance(a, Mapping)],
        "Tags": [t for t in list_of(p.get("Tags")) if isinstance(t, Mapping)],
        "ServiceRole": p.get("ServiceRole", ""),
        "Ec2InstanceAttributes": {k: v for k, v in (("Ec2SubnetId", subnet),
                                                    ("IamInstanceProfile", p.get("JobFlowRole"))) if v},
    }
    for key in ("LogUri", "LogEncryptionKmsKeyId", "SecurityConfiguration"):
        if p.get(key):
            cluster[key] = p[key]
    own = [_step(f"{placed.name}-step-{index}", step) for index, step in enumerate(list_of(p.get("Steps")))
           if isinstance(step, Mapping)]
    record: dict[str, Any] = {"Listed": {"Id": placed.name, "Name": cluster["Name"], "ClusterArn": placed.id,
                                         "Status": {"State": state}},
                              "Cluster": cluster, "Steps": [*reversed(steps), *reversed(own)]}
    if p.get("SecurityConfiguration") in configurations:
        record["SecurityConfiguration"] = configurations[p["SecurityConfiguration"]]
    return record


def facts(stack: Stack) -> Facts:
    clusters = {p.name for p in stack.placed.values() if p.type == CLUSTER}
    steps = {owner: [_step(stand_in_name(stack.template.path, p.logical_id), p.properties) for p in placed]
             for owner, placed in by_owner(stack, STEP, "JobFlowId", clusters,
                                           "step {}: its cluster is not one this template defines; not read").items()}
    configurations = {record["Name"]: record for record in each_placed(
        stack, frozenset({SECURITY_CONFIGURATION}), _security_configuration)}
    records = each_placed(stack, frozenset({CLUSTER}),
                          lambda p: cluster_record(p, steps.get(p.name, []), configurations))
    return emr.transform_emr(records, stack.account, stack.region)
