#!/usr/bin/env bash
# Data-parallel gan-train on one machine: steps/s of 1 process x T threads
# against N ranks x T/N threads (shared memory), and the gradient sums over
# TCP loopback (btl tcp, with GAN_TRAIN_DIST_PROFILE=1 so waiting for the
# slowest rank is counted apart). Runs alternate, R rounds, so load from
# other jobs hits both sides alike; prints one line per run and the ratio.
#
#   bench/train/bench-mpi.sh GAN_TRAIN RECIPE STEPS [ROUNDS] [-- --set k=v ...]
#   e.g. bench/train/bench-mpi.sh build/tools/train/gan-train superres 40 3
# Environment: DATA (../shared/data), RANKS (2), THREADS (2), CACHE (cache).
set -eu
gan_train=$(realpath "$1"); recipe=$2; steps=$3; rounds=${4:-3}
shift $(( $# >= 4 ? 4 : 3 ))
[ "${1:-}" = "--" ] && shift
data=${DATA:-../shared/data}; ranks=${RANKS:-2}; threads=${THREADS:-2}
cache=${CACHE:-cache}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mpirun=(mpirun --oversubscribe -np "$ranks")
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
export OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none

# steps/s between the 5th logged step and the last (start-up excluded)
rate () {
  awk -F, 'NR == 6 { s0 = $1; t0 = $2 } END { printf "%.3f", ($1 - s0) / ($2 - t0) }' "$1/log.csv"
}

common=(--data "$data" --cache "$cache" --steps "$steps" --log-every 1000000 --ckpt-every 1000000 "$@")
for r in $(seq "$rounds"); do
  rm -rf "$tmp"/*
  "$gan_train" "$recipe" --run-dir "$tmp/one" --threads "$threads" \
      "${common[@]}" 2>/dev/null
  a=$(rate "$tmp/one")
  OMPI_MCA_btl=self,vader "${mpirun[@]}" "$gan_train" "$recipe" \
      --run-dir "$tmp/shm" --threads $(( threads / ranks > 0 ? threads / ranks : 1 )) \
      "${common[@]}" 2>"$tmp/shm.err"
  b=$(rate "$tmp/shm")
  GAN_TRAIN_DIST_PROFILE=1 OMPI_MCA_btl=self,tcp "${mpirun[@]}" "$gan_train" \
      "$recipe" --run-dir "$tmp/tcp" --threads $(( threads / ranks > 0 ? threads / ranks : 1 )) \
      "${common[@]}" 2>"$tmp/tcp.err"
  c=$(rate "$tmp/tcp")
  echo "round $r: 1x$threads $a steps/s, ${ranks}x$(( threads / ranks )) shm $b steps/s" \
      "(x$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')), tcp $c steps/s"
  grep -h "gradient sums" "$tmp/tcp.err" | sed 's/^/  tcp: /'
done
