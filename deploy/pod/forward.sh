#!/usr/bin/env bash
# The network owner of the project's "pod" (service mlops-net of docker-compose.yml). The worker,
# endpoint host, gateway, webhook and dashboard join this container's network namespace
# (network_mode: service:mlops-net), so they reach each other on 127.0.0.1 exactly as under
# `mlops stack up` (the gateway and the backend call the endpoint host there, `mlops data put`
# calls the webhook there). The services listen on 127.0.0.1 only; this script makes each port
# given as an argument reachable on the pod's own addresses (what MinIO and published ports reach)
# by forwarding it to 127.0.0.1. Usage: forward.sh PORT...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 PORT..." >&2; exit 2; }
ready=/tmp/forward.ready
rm -f "$ready"

# The pod's own IPv4 addresses (not loopback): one per network the container is attached to.
addresses=$(node -e '
  const os = require("node:os");
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) console.log(a.address);
')
[ -n "$addresses" ] || { echo "forward.sh: no non-loopback IPv4 address" >&2; exit 1; }

trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
for address in $addresses; do
  for port in "$@"; do
    # A specific address, not 0.0.0.0: the service itself holds 127.0.0.1:PORT in the same namespace.
    socat "TCP4-LISTEN:${port},bind=${address},fork,reuseaddr" "TCP4:127.0.0.1:${port}" &
    echo "forwarding ${address}:${port} -> 127.0.0.1:${port}"
  done
done
touch "$ready"
# Any forwarder that stops ends the container; its restart policy brings the pod back.
wait -n
echo "forward.sh: a forwarder exited" >&2
exit 1
