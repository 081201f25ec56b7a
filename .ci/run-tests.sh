#!/bin/sh
# Builds Vitrine with warnings as errors and runs every test:
#  - the main suite (engine, batch, GUI, data) under Xvfb with a D-Bus session;
#  - the same suite again under ASan and UBSan (gcc) in build-san/, through
#    the "sanitize" test setup (tests/meson.build says which tests it leaves
#    out, and why); a memory error, undefined behaviour or a leak fails it;
#  - the libFuzzer harnesses (one per parser, fuzz_seconds each), in a
#    separate clang build with ASan and UBSan.
# Ends with one line "N passed, N failed" counted from meson's test logs.
set -u
cd "$(dirname "$0")/.."
status=0

sh .ci/build.sh -Dwerror=true || exit 1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  meson test -C build --print-errorlogs || status=1

if [ -f build-san/build.ninja ]; then
  meson setup --reconfigure build-san >/dev/null || exit 1
else
  # Frame pointers let the sanitizers' fast unwinder show our callers.
  meson setup build-san -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true \
    -Dc_args=-fno-omit-frame-pointer >/dev/null || exit 1
fi
meson compile -C build-san || exit 1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  meson test -C build-san --setup sanitize --print-errorlogs || status=1

if [ -f build-fuzz/build.ninja ]; then
  meson setup --reconfigure build-fuzz >/dev/null || exit 1
else
  CC=clang meson setup build-fuzz -Dfuzzing=true -Dwerror=true >/dev/null || exit 1
fi
meson test -C build-fuzz --print-errorlogs || status=1

# meson's own summary is not what CI reads; count the results ourselves.
# A skipped test counts as failed: nothing here may skip.
# The sanitized run's log is named after its setup.
/usr/bin/python3 - build/meson-logs/testlog.json build-san/meson-logs/testlog-sanitize.json \
  build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    build = path.split("/")[0]
    try:
        lines = open(path).readlines()
    except OSError as error:  # a build that never ran its tests
        failed += 1
        print("not passed:", build, "has no test log:", error)
        continue
    for line in lines:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
            print("not passed:", build, json.loads(line)["name"], result)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || status=1
exit $status
