"""deploy/: the dashboard uses only exported metrics; Prometheus scrapes the Procfile's ports."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from prometheus_client import REGISTRY

# Imported for the metrics they register.
import killreport.api.graphql.metrics
import killreport.cli.metrics_server
import killreport.esi.metrics
import killreport.events.hub
import killreport.killmails.metrics
import killreport.workers.metrics  # noqa: F401

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _exported() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in HISTOGRAM_SUFFIXES)
    return names


def test_every_dashboard_expression_names_an_exported_metric() -> None:
    # given the dashboard's panel expressions
    dashboard = orjson.loads((DEPLOY / "grafana-dashboard.json").read_bytes())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for e in expressions for name in re.findall(r"killreport_[a-z_]+", e)}
    # then each metric it uses is one a KillReport process exports
    assert len(expressions) >= 10
    assert sorted(used - _exported()) == []


def test_prometheus_scrapes_every_metrics_port_of_the_procfile() -> None:
    # given the Procfile's --metrics-port flags and the scrape configuration
    procfile = (DEPLOY / "Procfile").read_text()
    ports = set(re.findall(r"--metrics-port (\d+)", procfile))
    # (PyYAML is no dependency: the targets are read as the lines Prometheus reads them from.)
    config = (DEPLOY / "prometheus.yml").read_text()
    targets = set(re.findall(r'targets: \["[^"]+:(\d+)"\]', config))
    # then every port is scraped, and the API's too
    assert ports == {"9101", "9102", "9103", "9104"}
    assert targets == ports | {"8000"}
