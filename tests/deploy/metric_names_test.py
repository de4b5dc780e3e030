#!/usr/bin/env python3
"""Every metric the monitoring bundle reads is one something really exports.

Each sharechain_* name in deploy/monitoring/grafana-dashboard.json, alerts.yml and
alerts_test.yml must be registered in node/*.cpp (counter, gauge, sampled, or observe_seconds for a
histogram's _bucket/_sum/_count), so renaming a metric in the node breaks this test until the
dashboard and alerts follow. Other names must be Prometheus's own (`up`) or node_exporter's
filesystem metrics, which the bundle documents as its source for disk space.
Usage: metric_names_test.py SOURCE_DIR
"""
import glob
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("notice: python3-yaml is not installed (scripts/install-deps.sh installs it); skipped")
    sys.exit(77)

SOURCE = sys.argv[1]
MON = os.path.join(SOURCE, "deploy", "monitoring")
EXTERNAL = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
PROMQL_WORDS = {
    "sum", "max", "min", "count", "avg", "rate", "increase", "changes", "delta", "scalar", "vector",
    "ceil", "floor", "histogram_quantile", "max_over_time", "min_over_time", "predict_linear",
    "label_values", "by", "on", "and", "or", "unless", "offset", "le", "node", "instance", "job",
    "reason", "fstype", "mountpoint", "bool", "without", "ignoring", "group_left", "group_right",
}

# Registrations in the node: the first string argument of each registering call.
source = "".join(open(f).read() for f in glob.glob(os.path.join(SOURCE, "node", "*.cpp")))
registered = set(re.findall(r'(?:counter|gauge|sampled)\(\s*"(sharechain_[a-z0-9_]+)"', source))
histograms = set(re.findall(r'observe_seconds\(\s*"(sharechain_[a-z0-9_]+)"', source))
if len(registered) < 10 or not histograms:
    sys.exit(f"found only {len(registered)} metrics and {len(histograms)} histograms in node/*.cpp")


def exported(name):
    if name in registered or name in histograms:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in histograms:
            return True
    return False


def selectors(expr):
    """Metric names in a PromQL expression: identifiers outside strings and brackets' label
    matchers, that are not functions, keywords, label names or durations."""
    expr = re.sub(r'"[^"]*"', '""', expr)            # string literals (label values)
    expr = re.sub(r"\[[^\]]*\]", "", expr)          # range durations
    expr = re.sub(r"\{[^}]*\}", "{}", expr)         # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr)) - PROMQL_WORDS
    return {n for n in names if not re.fullmatch(r"\d+[smhdwy]?|e\d*", n)}


exprs = []
dashboard = json.load(open(os.path.join(MON, "grafana-dashboard.json")))
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        exprs.append(("grafana-dashboard.json", panel["title"], target["expr"]))
for var in dashboard["templating"]["list"]:
    if var.get("type") == "query":
        exprs.append(("grafana-dashboard.json", "variable " + var["name"], var["definition"]))
for group in yaml.safe_load(open(os.path.join(MON, "alerts.yml")))["groups"]:
    for rule in group["rules"]:
        exprs.append(("alerts.yml", rule["alert"], rule["expr"]))
for test in yaml.safe_load(open(os.path.join(MON, "alerts_test.yml")))["tests"]:
    for series in test["input_series"]:
        exprs.append(("alerts_test.yml", "input series", series["series"]))

bad = []
used = set()
for where, what, expr in exprs:
    for name in selectors(expr):
        used.add(name)
        if name.startswith("sharechain_"):
            if not exported(name):
                bad.append(f"{where} ({what}): {name} is not registered in node/*.cpp")
        elif name not in EXTERNAL:
            bad.append(f"{where} ({what}): {name} is neither a node metric nor a documented external one")
for line in bad:
    print("FAIL:", line)
print(f"{len(exprs)} expressions, {len(used)} metric names: {', '.join(sorted(used))}")
if len(used) < 15:
    print("FAIL: fewer metric names than the bundle uses; the expression reader is broken")
    sys.exit(1)
sys.exit(1 if bad else 0)
