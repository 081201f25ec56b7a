#!/usr/bin/python3
"""Checks that test-atspi.py cannot run into meson's timeout silently.

Runs it against a stand-in for vitrine that never appears on the
accessibility bus (it records its pid and sleeps):
  1. test-atspi.py killed by a signal, as SIGTRAP once killed it: its output
     must end at once, not when the orphaned program exits (meson reads that
     pipe until it closes, so an orphan made it wait for its own timeout);
  2. left to run, it must fail within its step's deadline, with a line
     naming the step it was in.
Prints TAP.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test-atspi.py")
results = []


def tap(ok, what):
    results.append(ok)
    print(("ok" if ok else "not ok"), len(results), "-", what, flush=True)


def start(fake, pid_file):
    env = dict(os.environ, VITRINE_BINARY=fake, FAKE_PID_FILE=pid_file)
    return subprocess.Popen([sys.executable, SCRIPT], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_fake(pid_file):
    try:
        with open(pid_file) as f:
            os.kill(int(f.read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass  # gone already, as it should be


def main():
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, "never-appears")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\necho $$ > "$FAKE_PID_FILE.part" && mv "$FAKE_PID_FILE.part" "$FAKE_PID_FILE"\n'
                    "exec sleep 600\n")
        os.chmod(fake, 0o755)

        pid_file = os.path.join(tmp, "pid-1")
        script = start(fake, pid_file)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(pid_file) and time.monotonic() < deadline:
                time.sleep(0.1)
            tap(os.path.exists(pid_file), "test-atspi.py starts the program")
            script.kill()
            try:
                script.communicate(timeout=10)
                closed = True
            except subprocess.TimeoutExpired:
                closed = False
            tap(closed, "killed, its output ends within 10 s: the program it started does not outlive it")
        finally:
            script.kill()
            kill_fake(pid_file)
            script.communicate()

        pid_file = os.path.join(tmp, "pid-2")
        began = time.monotonic()
        script = start(fake, pid_file)
        try:
            output, _ = script.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            script.kill()
            output = script.communicate()[0]
        finally:
            kill_fake(pid_file)
        took = time.monotonic() - began
        print("".join("# " + line + "\n" for line in output.splitlines()), end="")
        tap(script.returncode not in (0, None), f"a program that never appears fails the script (exit {script.returncode}, {took:.0f} s)")
        tap("# step: wait for the vitrine application on the accessibility bus" in output
            and "not ok 1" in output, "the log names the step it was in")
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
