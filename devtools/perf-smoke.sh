#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The librte_vfio_user authors
#
# Smoke run of dpdk-test-vfio-user-perf: build it if needed, run it with
# --quick (a few thousand iterations, well under a minute) and check that
# the JSON it writes has every required result with a positive value (and a
# positive floor where the result has one). Timing targets are NOT checked
# here: a loaded CI machine says nothing about them.
#
# usage: devtools/perf-smoke.sh [BUILD_DIR]    (default: build)

set -e

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD_DIR:-build}}
case "$BUILD" in
/*) ;;
*) BUILD="$ROOT/$BUILD" ;;
esac
APP=app/dpdk-test-vfio-user-perf/dpdk-test-vfio-user-perf
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" >/dev/null
fi
ninja -C "$BUILD" "$APP" >/dev/null

OUT=$(mktemp -d "${TMPDIR:-/tmp}/perf-smoke.XXXXXX")
trap 'rm -rf "$OUT"' EXIT INT TERM

if ! timeout 600 "$BUILD/$APP" --quick --json "$OUT/perf.json" \
		>"$OUT/perf.log" 2>&1; then
	cat "$OUT/perf.log"
	echo "perf-smoke: dpdk-test-vfio-user-perf failed" >&2
	exit 1
fi

"$PY" - "$OUT/perf.json" <<'EOF' || { cat "$OUT/perf.log"; exit 1; }
import json
import math
import sys

# name -> does it come with a floor?
REQUIRED = {
    "region_read_4B_block_same_core": True,
    "region_read_4B_serve_same_core": True,
    "region_read_4B_poll_split": True,
    "iova_lookup_64": True,
    "iova_lookup_65536": True,
    "dma_write_msg_1MiB": True,
    "doorbell_ioeventfd_block_same_core": True,
    "irq_latency": True,
}

with open(sys.argv[1]) as f:
    doc = json.load(f)
res = {r["name"]: r for r in doc["results"]}
bad = []


def positive(v):
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


cpus = doc.get("cpus", [0, 1])
if len(cpus) == 2 and cpus[0] == cpus[1]:
    # one usable CPU: the split placements are skipped
    print("perf-smoke: one CPU, region_read_4B_poll_split not required")
    del REQUIRED["region_read_4B_poll_split"]
for name, has_floor in REQUIRED.items():
    r = res.get(name)
    if r is None:
        bad.append(name + ": missing")
        continue
    for key in ("value", "unit", "floor", "ratio"):
        if key not in r:
            bad.append("%s: no %s" % (name, key))
    if not positive(r.get("value")):
        bad.append("%s: value %r" % (name, r.get("value")))
    if has_floor and not positive(r.get("floor")):
        bad.append("%s: floor %r" % (name, r.get("floor")))
    if has_floor and not positive(r.get("ratio")):
        bad.append("%s: ratio %r" % (name, r.get("ratio")))
for r in doc["results"]:
    v = r.get("value")
    if v is not None and (not isinstance(v, (int, float)) or v < 0):
        bad.append("%s: value %r" % (r.get("name"), v))
if bad:
    print("perf-smoke: bad results:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("perf-smoke: %d results, required ones present and positive"
      % len(doc["results"]))
for name in REQUIRED:
    r = res[name]
    print("  %-32s %10.4g %-5s floor %10.4g ratio %.2f"
          % (name, r["value"], r["unit"], r["floor"], r["ratio"]))
EOF
