#!/usr/bin/env bash
# One sitting of F1-F3: raw engines, Feast (its own venv) and loopml on the same files.
# Usage: bash bench/features/run_all.sh [round]     (from the repository root)
# Needs: scratch/peers/featurestore/venv with feast[redis,duckdb] and polars, redis-server,
#        the peer runners in $PEERS: copies of shared/peers/featurestore/*.py, with REPOS in
#        run_feast.py made absolute (a relative one makes Feast look for its registry in
#        repos/x/repos/x and fail).
# A private redis-server on 127.0.0.1:6390 is started and stopped here, because the peer
# runners FLUSHDB their Redis database.
set -u
ROOT=scratch/peers/featurestore
PEERS="${PEERS:-scratch/peers/featurestore/runners}"
FEAST_PY="${FEAST_PY:-$ROOT/venv/bin/python}"
LM_PY="${LM_PY:-.venv/bin/python}"
DATA="${FS_BENCH_DATA:-$ROOT/data}"
RES="${RES:-$ROOT/results/${1:-round}}"
REPEAT="${REPEAT:-3}"
mkdir -p "$RES"
[ -f "$DATA/meta.json" ] || "$LM_PY" bench/features/gen_data.py --out "$DATA"
redis-server --port 6390 --bind 127.0.0.1 --save "" --appendonly no >"$RES/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID' EXIT
sleep 1
uptime >"$RES/load_before.txt"
"$FEAST_PY" "$PEERS/run_raw_engines.py" --data "$DATA" --workloads f1,f2,f3 --repeat "$REPEAT" --redis 127.0.0.1:6390 >"$RES/raw.json" 2>"$RES/raw.err"
"$LM_PY" bench/features/run_loopml.py --data "$DATA" --repeat "$REPEAT" >"$RES/loopml_sqlite.json" 2>"$RES/loopml_sqlite.err"
"$LM_PY" bench/features/run_loopml.py --data "$DATA" --repeat "$REPEAT" --online redis://127.0.0.1:6390/2 --workloads f2,f3,http --port 6577 >"$RES/loopml_redis.json" 2>"$RES/loopml_redis.err"
"$FEAST_PY" "$PEERS/run_feast.py" --data "$DATA" --offline duckdb --online sqlite --workloads f1 --repeat "$REPEAT" >"$RES/feast_f1_duckdb.json" 2>"$RES/feast_f1_duckdb.err"
"$FEAST_PY" "$PEERS/run_feast.py" --data "$DATA" --offline file --online sqlite --workloads f2,f3 --repeat "$REPEAT" >"$RES/feast_f23_sqlite.json" 2>"$RES/feast_f23_sqlite.err"
"$FEAST_PY" "$PEERS/run_feast.py" --data "$DATA" --offline file --online redis --workloads f2,f3 --repeat "$REPEAT" --redis 127.0.0.1:6390 >"$RES/feast_f23_redis.json" 2>"$RES/feast_f23_redis.err"
"$FEAST_PY" "$PEERS/run_feast_http.py" --data "$DATA" --repo "$ROOT/repos/file_sqlite" --port 6566 >"$RES/feast_http_sqlite.json" 2>"$RES/feast_http_sqlite.err"
uptime >"$RES/load_after.txt"
cat "$RES"/*.json
