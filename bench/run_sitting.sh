#!/usr/bin/env bash
# One sitting: every benchmark one after another, each writing its JSON to $OUT/<name>.json
# and a line with the time and load average to $OUT/sitting.log. Peers from their own venvs:
#   MLFLOW_PEER   python of a venv with mlflow==3.17.2 (tracking peer and `mlflow server`)
#   MLFLOW_CLIENT python of a venv with mlflow-skinny==3.17.2 (the MLflow client)
#   BEFORE        a checkout of the tree to compare against (bench/arch/before_after.py)
#   SERVE_BENCH_STATE  the serving harness state (bench/serving/README.md)
# Usage: OUT=bench/sittings/<date> BENCHES="startup short" bash bench/run_sitting.sh
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-scratch/sitting}
PY=${PY:-.venv/bin/python}
PG=${LOOPML_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
export PYTHONPATH="$PWD/src"
mkdir -p "$OUT"
run() {
    local name=$1; shift
    echo "$(date +%T) start $name load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/sitting.log"
    timeout 900 "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
    echo "$(date +%T) end $name rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/sitting.log"
}
for b in ${BENCHES:-startup short t1t2 tail s2 workers tune lineage scale server ui loop arch}; do
    case $b in
    startup) run startup "$PY" bench/startup/run_loopml.py ;;
    short) run short "$PY" bench/tracking/short_runs.py --peer-python "$MLFLOW_PEER" --peer-runs 300 ;;
    t1t2) run t1t2 "$PY" bench/tracking/run_loopml.py --peer-python "$MLFLOW_PEER" --peer-workdir /tmp ;;
    tail) run tail "$PY" bench/serving/tail.py --model lr --requests 15000 --repeat 5 \
              --variants floor,full,nobatch,nolog ;;
    s2) OMP_NUM_THREADS=1 run s2 "$PY" bench/serving/run_loopml.py --workload s2 --models lr,hgb --repeat 3 ;;
    workers) run workers "$PY" bench/serving/workers.py --duration 15 --repeat 2 ;;
    tune) run tune "$PY" bench/tune/run_loopml.py --trials 100 --rounds 3
          run tune_pg "$PY" bench/tune/run_loopml.py --trials 50 --rounds 3 --db "$PG" ;;
    lineage) run lineage "$PY" bench/lineage/run_loopml.py --rows-per-file 100000 ;;
    scale) run scale "$PY" bench/scale/run_loopml.py --db "$PG" --frame-join ;;
    server) run server "$PY" bench/server/run_server.py --mlflow-python "$MLFLOW_PEER" \
                --mlflow-client-python "$MLFLOW_CLIENT" ;;
    ui) run ui "$PY" bench/ui/run_loopml.py --home "${TMPDIR:-/tmp}/ui-bench" ;;
    loop) run loop "$PY" bench/loop/run_loopml.py --repeat 3 ;;
    arch) run arch "$PY" bench/arch/before_after.py --before "$BEFORE" --rounds 2 ;;
    *) echo "unknown bench $b" >&2 ;;
    esac
done
echo "$(date +%T) sitting done" >> "$OUT/sitting.log"
