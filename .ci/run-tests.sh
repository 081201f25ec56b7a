#!/bin/sh
# Builds Vitrine with warnings as errors and runs every test:
#  - the main suite (engine, batch, GUI, data) under Xvfb with a D-Bus session;
#  - the libFuzzer harnesses (one per parser, fuzz_seconds each), in a
#    separate clang build with ASan and UBSan.
# Ends with one line "N passed, N failed" counted from meson's test logs.
set -u
cd "$(dirname "$0")/.."
status=0

sh .ci/build.sh -Dwerror=true || exit 1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  meson test -C build --print-errorlogs || status=1

if [ -f build-fuzz/build.ninja ]; then
  meson setup --reconfigure build-fuzz >/dev/null || exit 1
else
  CC=clang meson setup build-fuzz -Dfuzzing=true -Dwerror=true >/dev/null || exit 1
fi
meson test -C build-fuzz --print-errorlogs || status=1

# meson's own summary is not what CI reads; count the results ourselves.
# A skipped test counts as failed: nothing here may skip.
/usr/bin/python3 - build/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    for line in open(path):
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
            print("not passed:", json.loads(line)["name"], result)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || status=1
exit $status
