#!/bin/sh
# One-shot service temporal-namespace (temporalio/admin-tools image): creates the namespace the
# project uses and registers the project's custom search attributes in it (what `mlops stack up`
# passes to the dev server as --search-attribute). Safe to re-run.
#   TEMPORAL_ADDRESS   host:port of the frontend
#   NAMESPACE          the namespace (MLOPS_TEMPORAL_NAMESPACE of the project services)
#   RETENTION          retention of closed runs (e.g. 168h)
#   SEARCH_ATTRIBUTES  space-separated Name=Type (Keyword, KeywordList, Text, Int, Double, Bool, Datetime)
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "Temporal at $TEMPORAL_ADDRESS is not healthy" >&2; exit 1; }
  sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "namespace $NAMESPACE created"
fi

# A new namespace takes a moment to reach every frontend: retry each attribute for a while.
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  tries=0
  until temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" | grep -qw "$name"; do
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --name "$name" --type "$type" || true
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || { echo "could not register search attribute $name ($type)" >&2; exit 1; }
    sleep 1
  done
  echo "search attribute $name ($type) registered"
done

# The frontend caches a namespace's search attributes and refreshes that cache on its own schedule
# (the dev server's forceSearchAttributesCacheRefreshOnRead is for development only and not set
# here): wait until a query by each attribute is accepted, so the project services, which start
# once this service completed, never have a run refused for an unknown attribute.
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  tries=0
  until temporal workflow count --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --query "$name = 'mlops-probe'" >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 120 ] || { echo "the frontend still refuses queries by $name" >&2; exit 1; }
    sleep 1
  done
  echo "search attribute $name is queryable"
done
