#!/usr/bin/env bash
# Offline checks of the monitoring files against what fixpointd exports, so the
# dashboard cannot go stale silently (names that no longer exist plot nothing).
#   deploy/check_dashboard.sh
# 1. Every fixpoint_* name in the dashboard, the alert rules and their tests is
#    documented in server/metrics/ (metrics.h, and metrics.cc once it exists);
#    histogram series may add _bucket, _sum or _count to a documented name.
# 2. The dashboard is valid JSON and its panels use the provisioned data source
#    (needs jq; skipped without it).
# 3. Every dashboard query parses as PromQL, with Grafana's variables replaced
#    (needs promtool from Debian's `prometheus`; skipped without it).
# Exits non-zero on the first failing check. No network, no server.
set -euo pipefail
cd "$(dirname "$0")/.."

dash=deploy/grafana/dashboards/fixpoint.json
datasource=deploy/grafana/provisioning/datasources/prometheus.yml
checked=("$dash" deploy/prometheus/alerts.yml deploy/prometheus/alerts_test.yml)
status=0

# --- 1. metric names
shopt -s nullglob
sources=(server/metrics/*.h server/metrics/*.cc)
documented=$( ((${#sources[@]})) && grep -ohE 'fixpoint_[a-z0-9_]+' "${sources[@]}" | sort -u)
[[ -n "$documented" ]] || { echo "FAIL: no fixpoint_* names in server/metrics/"; exit 1; }
used=$(cat "${checked[@]}" | grep -oE 'fixpoint_[a-z0-9_]+' | sort -u)
for name in $used; do
  base=$(sed -E 's/_(bucket|sum|count)$//' <<<"$name")
  if grep -qx "$name" <<<"$documented" || grep -qx "$base" <<<"$documented"; then
    continue
  fi
  echo "FAIL: $name is used but not documented in server/metrics/"
  status=1
done
echo "names: $(wc -w <<<"$used") used (histogram series counted apart)," \
     "$(wc -w <<<"$documented") documented"
unused=$(comm -23 <(echo "$documented") \
  <(sed -E 's/_(bucket|sum|count)$//' <<<"$used" | sort -u))
[[ -z "$unused" ]] || echo "note: documented but not used: $(echo $unused)"

# --- 2. JSON and data source
if command -v jq >/dev/null; then
  jq empty "$dash" || { echo "FAIL: $dash is not valid JSON"; exit 1; }
  want=$(sed -nE 's/^ *uid: *//p' "$datasource")
  got=$(jq -r '[.. | objects | select(.type? == "prometheus") | .uid] | unique | .[]' "$dash")
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: panels use data source uid(s) '$got', provisioned is '$want'"
    status=1
  fi
  echo "json: valid, $(jq '[.panels[] | select(.type != "row")] | length' "$dash") panels," \
       "data source $want"
else
  echo "json: skipped (no jq)"
fi

# --- 3. PromQL syntax
if command -v promtool >/dev/null && command -v jq >/dev/null; then
  rules=$(mktemp --suffix=.yml)
  trap 'rm -f "$rules"' EXIT
  {
    echo "groups:"
    echo "  - name: dashboard"
    echo "    rules:"
    # One query per line, each a recording rule in a block scalar.
    jq -r '.panels[].targets[]?.expr | gsub("\n"; " ")' "$dash" \
      | sed -e 's/\$__rate_interval/20s/g' -e 's/\$__range/1h/g' \
            -e 's/\$model/.*/g' -e 's/\$version/.*/g' \
      | awk '{ printf "      - record: dashboard_expr_%d\n        expr: |\n          %s\n", NR, $0 }'
  } >"$rules"
  if out=$(promtool check rules "$rules" 2>&1); then
    echo "promql: $(grep -c 'record:' "$rules") dashboard queries parse"
  else
    echo "$out"
    echo "FAIL: a dashboard query does not parse"
    status=1
  fi
else
  echo "promql: skipped (needs promtool and jq)"
fi

exit $status
