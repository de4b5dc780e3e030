#!/usr/bin/env bash
# deploy/monitoring with promtool: prometheus.yml and alerts.yml are valid, alerts_test.yml's
# cases pass (each alert shown firing and not firing), and every query of the Grafana dashboard
# parses as PromQL. Skipped (exit 77) when promtool is not installed: Debian package prometheus.
# Usage: monitoring_test.sh SOURCE_DIR
set -euo pipefail
mon=$1/deploy/monitoring
if ! command -v promtool >/dev/null; then
  echo "notice: promtool is not installed (apt-get install prometheus); skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

promtool check config "$mon/prometheus.yml"
promtool check rules "$mon/alerts.yml"
promtool test rules "$mon/alerts_test.yml"

# promtool parses expressions only inside rule files, so the dashboard's queries become
# recording rules; Grafana's $node variable is given a value first.
python3 - "$mon/grafana-dashboard.json" "$tmp/dashboard-rules.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
if len(exprs) < 10:
    sys.exit(f"only {len(exprs)} queries in the dashboard")
rules = [{"record": f"dashboard:query{i}", "expr": e.replace("$node", "node0")} for i, e in enumerate(exprs)]
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
PY
promtool check rules "$tmp/dashboard-rules.yml"
echo PASS
