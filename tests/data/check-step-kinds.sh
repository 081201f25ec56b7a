#!/bin/sh
# check-step-kinds.sh SOURCE_ROOT: the step kinds are one table of types.
#   1. Each kind's name (the .name of a VtStepType in engine/run/steps/)
#      appears as a string literal in the code (comments aside) of exactly
#      one file of engine/: its own.
#   2. widgets/ includes nothing of the run layer (engine/run/).
# Run it by hand from anywhere: sh tests/data/check-step-kinds.sh .
set -u
root=${1:-.}
status=0

names=$(sed -n 's/^  \.name = "\([a-z_]*\)",$/\1/p' "$root"/engine/run/steps/vt-step-*.c)
if [ -z "$names" ]; then
  echo "no step kinds found under $root/engine/run/steps" >&2
  exit 1
fi
count=0
for name in $names; do
  count=$((count + 1))
  # "train" is also a split, a store key and a CIFAR-100 class: in use
  # everywhere before the kind was; the registry (below) still counts it.
  [ "$name" = train ] && continue
  # The forward step's tap choices ("attention" among them) name taps, not kinds.
  files=$(grep -rn --include='*.c' --include='*.h' "\"$name\"" "$root/engine" |
          grep -v '^[^:]*:[0-9]*:[[:space:]]*\(/\*\|\*\)' |
          grep -v '^[^:]*vt-step-forward\.c:[0-9]*:[[:space:]]*static const char \* const taps\[\] = ' |
          cut -d: -f1 | sort -u)
  n=$(printf '%s\n' "$files" | grep -c .)
  if [ "$n" -ne 1 ]; then
    echo "step kind \"$name\" is listed in $n files of engine/ (one place only):" >&2
    printf '  %s\n' $files >&2
    status=1
  fi
done
# The registry holds as many types as there are kind files.
registered=$(grep -c '^  &vt_[a-z_]*_step_type,$' "$root/engine/run/vt-step.c")
if [ "$registered" -ne "$count" ]; then
  echo "engine/run/vt-step.c registers $registered kinds, engine/run/steps/ defines $count" >&2
  status=1
fi

if grep -rn '#include "run/' "$root/widgets"; then
  echo "widgets/ includes the run layer (above)" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "ok: $count step kinds, each named in one file; widgets/ includes nothing of run/"
exit $status
