#!/usr/bin/env bash
# Manual check (not run by CI, which has no npm): deferred mode against an independent server that implements OpenAI's
# Files and Batches API, aimock (npm @copilotkit/aimock, MIT). Installs the pinned aimock into .aimock/ (git-ignored),
# builds IndependentCheck into .artifacts/, starts the server on loopback with ./fixtures, runs the check, stops the
# server. Exits non-zero when any check fails, the server does not start, or it dies during the run.
# Usage: tools/independent-server/run.sh            (AIMOCK_PORT=4010 by default)
# See docs/testing.md, "Independent Batch API server (manual check)".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=1.43.0
port="${AIMOCK_PORT:-4010}"
prefix="$here/.aimock"
artifacts="$here/.artifacts"
log="$here/aimock.log"
health="http://127.0.0.1:$port/health"

for tool in node npm dotnet; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: '$tool' is not on PATH (aimock needs Node.js >= 20.15 and npm)." >&2; exit 1; }
done

installed="$prefix/node_modules/@copilotkit/aimock/package.json"
if [ ! -f "$installed" ] || [ "$(node -p "require('$installed').version")" != "$version" ]; then
  echo "== installing @copilotkit/aimock@$version into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --save-exact "@copilotkit/aimock@$version"
fi
echo "== aimock $(node -p "require('$installed').version"), Node.js $(node --version)"

echo "== building IndependentCheck"
dotnet build "$here/IndependentCheck/IndependentCheck.csproj" -c Release --artifacts-path "$artifacts" -nologo -v quiet

up() { node -e "fetch('$health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }
if up; then
  echo "run.sh: something already answers on port $port; stop it or set AIMOCK_PORT." >&2
  exit 1
fi

echo "== starting aimock on 127.0.0.1:$port (log: $log)"
"$prefix/node_modules/.bin/llmock" --host 127.0.0.1 --port "$port" --fixtures "$here/fixtures" --log-level warn --journal-max 0 >"$log" 2>&1 &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill "$server"
    wait "$server" 2>/dev/null || true
  fi
}
trap stop EXIT

for _ in $(seq 1 60); do
  up && break
  kill -0 "$server" 2>/dev/null || { echo "run.sh: aimock exited at start:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.5
done
up || { echo "run.sh: aimock did not answer $health within 30 s." >&2; exit 1; }

echo "== running the check"
status=0
dotnet "$artifacts/bin/IndependentCheck/release/IndependentCheck.dll" "http://127.0.0.1:$port/v1" || status=$?

if ! kill -0 "$server" 2>/dev/null; then
  echo "run.sh: aimock died during the run:" >&2
  cat "$log" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "run.sh: FAILED (exit $status); the server's log is $log" >&2
else
  echo "run.sh: all checks passed"
fi
exit "$status"
