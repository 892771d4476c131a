#!/usr/bin/env bash
# M1/M2/M3 for loopml, the numpy/scipy floor, NannyML and Evidently in one sitting.
# Peers run from their own venvs (see shared/peers/monitoring/README.md for the pip lines):
#   VENVS=scratch/peers/monitoring  DATA=$VENVS/data  bash bench/monitoring/run_all.sh
# One JSON line per (tool, variant, workload) is appended to $OUT.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${LOOPML_PEERS_MONITORING:-$(cd "$ROOT/.." && pwd)/shared/peers/monitoring}
[ -f "$PEERS/harness.py" ] || PEERS=$(cd "$ROOT/../.." && pwd)/shared/peers/monitoring
VENVS=${VENVS:-$ROOT/scratch/peers/monitoring}
DATA=${DATA:-$VENVS/data}
OUT=${OUT:-$ROOT/bench/monitoring/results.jsonl}
PY=${PY:-$ROOT/.venv/bin/python}
[ -f "$DATA/m1_ref_num.npy" ] || "$VENVS/venv/bin/python" "$PEERS/gen_data.py" --out "$DATA"
peer() { # venv runner workload reps variant
  "$VENVS/$1/bin/python" "$PEERS/$2" --workload "$3" --reps "$4" --variant "$5" --data-dir "$DATA" --timeout 300 >> "$OUT"
}
ours() { # workload reps variant
  LOOPML_PEERS_MONITORING=$PEERS "$PY" "$ROOT/bench/monitoring/run_loopml.py" --workload "$1" --reps "$2" --variant "$3" --data-dir "$DATA" --timeout 300 >> "$OUT"
}
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
ours M1 3 default
peer venv run_floor.py M1 3 df
peer venv run_floor.py M1 3 ks_psi
peer venv-nannyml run_nannyml.py M1 3 default
peer venv-evidently run_evidently.py M1 3 default
ours M3 3 default
ours M3 1 confirm2
peer venv run_floor.py M3 1 default
peer venv run_floor.py M3 1 ks_psi
peer venv-nannyml run_nannyml.py M3 1 default
EVIDENTLY_M3_RANGE=${EVIDENTLY_M3_RANGE:-0:3,120:140} peer venv-evidently run_evidently.py M3 1 default
ours M2 3 default
peer venv run_floor.py M2 1 df
peer venv-nannyml run_nannyml.py M2 1 default
[ "${SKIP_EVIDENTLY_M2:-0}" = 1 ] || peer venv-evidently run_evidently.py M2 1 default
echo "# done $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
