#!/usr/bin/python3
"""Clicks through the running program as a person would, over AT-SPI.

Starts the real `vitrine` binary on the start page, presses "Open Checkpoint…",
types the demo checkpoint's path into the file chooser (Ctrl+L, the path)
and presses Open, waits for the summary to show the recognized architecture, filters
the tensor table through the search field, opens the About dialog from the
main menu, and quits from the menu. Then it starts `vitrine RESULTS_DIR` on
the folder of a --batch run: the Runs panel lists it by accessible names, and
its Re-run gives the same results.json, times aside. Prints TAP.

Needs an X server (Xvfb) and a D-Bus session with the accessibility bus:
  xvfb-run -a dbus-run-session -- meson test -C build --suite gui

Every step has a deadline and prints a line as it begins, so a hang fails
at once with the step named instead of running into meson's timeout.
"""
import faulthandler
import os
import signal
import subprocess
import sys
import time

# GLib reads G_DEBUG when it loads, that is when pyatspi is imported below.
# Fatal warnings stay on for vitrine, whose warnings are ours; not for
# libatspi in this process, which warns about other programs on the bus as
# they come and go. Under load one such warning ("AT-SPI: Error in GetItems
# … /org/a11y/atspi/cache") killed this script with SIGTRAP, and the
# orphaned vitrine then held meson's pipe open until its 180 s timeout.
APP_G_DEBUG = os.environ.get("G_DEBUG")
os.environ["G_DEBUG"] = ",".join(f for f in (APP_G_DEBUG or "").split(",") if f and f != "fatal-warnings")

BINARY = os.environ["VITRINE_BINARY"]
DEMO = os.path.join(os.environ["VITRINE_SOURCE_DIR"], "data", "demo", "resnet20-12fca82f.safetensors")
FIXTURES = os.environ["VITRINE_FIXTURES"]
ARTIFACTS = os.environ["VITRINE_ARTIFACTS"]
# VITRINE_DEADLINE_SCALE stretches every deadline (valgrind, sanitizers).
SCALE = max(1.0, float(os.environ.get("VITRINE_DEADLINE_SCALE", "1")))
results = []
current_step = None
pyatspi = None


class StepTimeout(BaseException):
    """Raised by SIGALRM; a BaseException, so the `except Exception` that
    tolerates a changing accessibility tree does not swallow it."""


def on_alarm(signum, frame):
    name, seconds = current_step
    raise StepTimeout(f"the step “{name}” did not finish within {seconds} s")


def step(name, seconds):
    """Begins a step: prints it, and arms its deadline twice. SIGALRM fails
    the step cleanly, but its handler runs only between Python bytecodes;
    a call stuck in C (a D-Bus call that never returns) is caught 10 s
    later by faulthandler's thread, which prints every thread's stack and
    exits."""
    global current_step
    seconds = int(seconds * SCALE)
    current_step = (name, seconds)
    print(f"# step: {name} (at most {seconds} s)", flush=True)
    signal.alarm(seconds)
    faulthandler.dump_traceback_later(seconds + 10, exit=True)


def end_steps():
    signal.alarm(0)
    faulthandler.cancel_dump_traceback_later()


def tap(ok, what):
    results.append(ok)
    print(("ok" if ok else "not ok"), len(results), "-", what, flush=True)
    if not ok:
        raise SystemExit(finish())


def finish():
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


def wait_for(predicate, seconds=30, what="condition"):
    """Polls @predicate for @seconds, as a step of its own. On a loaded
    machine one call that walks the whole accessible tree took over 10 s
    (a D-Bus round trip per node to a busy vitrine), so the step's deadline
    leaves 30 s more for the last call; a call that blocks meets it."""
    step(f"wait for {what}", seconds + 30)
    deadline = time.monotonic() + seconds * SCALE
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the tree changes under us while widgets come and go
            value = None
        if value:
            return value
        time.sleep(0.2)
    print(f"# timed out waiting for {what}", flush=True)
    return None


def find(node, predicate, depth=0):
    if node is None or depth > 40:
        return None
    try:
        if predicate(node):
            return node
        children = list(node)
    except Exception:
        return None
    for child in children:
        found = find(child, predicate, depth + 1)
        if found is not None:
            return found
    return None


def find_all(node, predicate, depth=0, out=None):
    out = [] if out is None else out
    if node is None or depth > 40:
        return out
    try:
        if predicate(node):
            out.append(node)
        children = list(node)
    except Exception:
        return out
    for child in children:
        find_all(child, predicate, depth + 1, out)
    return out


def role(node):
    return node.getRoleName()


def showing(node):
    # GTK 4.8 does not keep STATE_SHOWING up to date; VISIBLE it does.
    return node.getState().contains(pyatspi.STATE_VISIBLE)


def click(node):
    action = node.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    action.doAction(names.index("click") if "click" in names else 0)


def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True, timeout=30)


def screenshot(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["import", "-window", "root", os.path.join(ARTIFACTS, name)], check=False, timeout=30)


def strip_times(node):
    """results.json without what changes from run to run: times."""
    if isinstance(node, dict):
        return {k: strip_times(v) for k, v in node.items() if k not in ("started", "seconds")}
    if isinstance(node, list):
        return [strip_times(v) for v in node]
    return node


def runs_phase(env):
    """`vitrine RESULTS_DIR`: the folder of a --batch run opens as a finished
    run in the Runs panel and in the Incremental area; its Re-run, found by
    its accessible name, gives the same results.json, times aside."""
    import glob
    import json
    import tempfile

    tmp = tempfile.mkdtemp(prefix="vitrine-atspi-")
    spec_path = os.path.join(tmp, "spec.json")
    out = os.path.join(tmp, "results")
    with open(spec_path, "w") as f:
        json.dump({"name": "reopened", "steps": [{
            "kind": "incremental", "split": "B0-Inc2", "ranpac_dim": 1000,
            "train": os.path.join(FIXTURES, "cil", "train.safetensors"),
            "test": os.path.join(FIXTURES, "cil", "test.safetensors")}]}, f)
    step("vitrine --batch an incremental spec", 120)
    subprocess.run(["setpriv", "--pdeathsig", "KILL", "--", BINARY, "--batch", spec_path, "--output", out],
                   env=env, check=True, timeout=110, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs_dir = os.path.join(env["XDG_DATA_HOME"], "vitrine", "runs")
    before = set(glob.glob(os.path.join(runs_dir, "*")))
    step("start vitrine on the results folder", 10)
    process = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--", BINARY, out], env=env)
    try:
        desktop = pyatspi.Registry.getDesktop(0)
        app = wait_for(lambda: next((a for a in desktop if a is not None and a.name == "vitrine"
                                     and a.get_process_id() == process.pid), None),
                       what="the second vitrine on the accessibility bus")
        tap(app is not None, "vitrine RESULTS_DIR appears on the accessibility bus")

        # GTK 4.8 names a button by its accessible label, then its text:
        # "Re-run reopened Re-run".
        def named(n, name):
            return role(n) == "push button" and (n.name == name or n.name.startswith(name + " "))

        def button(name):
            return find(app, lambda n: named(n, name) and showing(n))

        rerun = wait_for(lambda: button("Re-run reopened"), seconds=60, what="the reopened run's Re-run")
        tap(rerun is not None, "the Runs panel lists the reopened run, its Re-run named for screen readers")
        for name in ("Open the results of reopened", "Show the folder of reopened", "Save the spec of reopened",
                     "Cancel reopened"):
            tap(button(name) is not None, f"the row has “{name}”")
        chart = find(app, lambda n: n.name == "Accuracy on the classes seen so far" and showing(n))
        tap(chart is not None, "the Incremental area shows the run's chart, read from its folder")
        screenshot("atspi-runs-reopened.png")
        step("click Re-run", 20)
        click(rerun)

        def both_done():
            buttons = find_all(app, lambda n: named(n, "Re-run reopened")
                               and n.getState().contains(pyatspi.STATE_SENSITIVE))
            return len(buttons) == 2

        done = wait_for(both_done, seconds=120, what="the re-run to finish")
        tap(bool(done), "Re-run adds a second row that runs to its end")
        new = sorted(set(glob.glob(os.path.join(runs_dir, "*"))) - before)
        tap(len(new) == 1, f"the re-run has a folder of its own ({new})")
        with open(os.path.join(out, "results.json")) as a, open(os.path.join(new[0], "results.json")) as b:
            same = strip_times(json.load(a)) == strip_times(json.load(b))
        tap(same, "the re-run's results.json is the batch run's, times aside")
        screenshot("atspi-runs-rerun.png")
    except StepTimeout as timeout:
        screenshot("atspi-timeout.png")
        tap(False, str(timeout))
    finally:
        end_steps()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    global pyatspi
    signal.signal(signal.SIGALRM, on_alarm)
    env = dict(os.environ, GSETTINGS_BACKEND="memory")
    env.pop("NO_AT_BRIDGE", None)
    env.pop("G_DEBUG", None)
    if APP_G_DEBUG is not None:
        env["G_DEBUG"] = APP_G_DEBUG
    env.setdefault("XDG_DATA_HOME", os.path.join(ARTIFACTS, "xdg-data"))
    step("connect to the accessibility bus", 30)
    import pyatspi as module
    pyatspi = module
    # Each AT-SPI call gives up after 5 s (libatspi's default is 0.8 s, or
    # 15 s for an application that has just appeared), so a busy vitrine
    # slows a step down without hanging it.
    pyatspi.setTimeout(5000, 15000)
    # vitrine dies with this script (setpriv's PR_SET_PDEATHSIG): an
    # orphan would keep meson's pipe open until meson's own timeout.
    step("start vitrine", 10)
    process = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--", BINARY], env=env)
    try:
        desktop = pyatspi.Registry.getDesktop(0)
        app = wait_for(lambda: next((a for a in desktop if a is not None and a.name == "vitrine"), None),
                       what="the vitrine application on the accessibility bus")
        tap(app is not None, "vitrine appears on the accessibility bus")

        open_button = wait_for(lambda: find(app, lambda n: role(n) == "push button"
                                            and "Open Checkpoint" in n.name and showing(n)),
                               what="the Open Checkpoint button")
        tap(open_button is not None, "the start page offers “Open Checkpoint…”")
        step("click “Open Checkpoint…”", 20)
        click(open_button)

        chooser = wait_for(lambda: next((w for w in app if w is not None and w.name == "Open Checkpoint"), None),
                           what="the file chooser")
        tap(chooser is not None, "the button opens a file chooser titled “Open Checkpoint”")

        # Type the path as a person would: Ctrl+L, then the path.
        step("type the checkpoint's path into the file chooser", 60)
        window_id = subprocess.run(["xdotool", "search", "--sync", "--name", "^Open Checkpoint$"],
                                   capture_output=True, text=True, check=True, timeout=30).stdout.split()[0]
        xdotool("windowfocus", "--sync", window_id)
        time.sleep(0.5)
        xdotool("key", "--window", window_id, "ctrl+l")
        time.sleep(0.5)
        xdotool("type", "--window", window_id, "--delay", "15", DEMO)
        time.sleep(0.5)
        screenshot("atspi-chooser.png")
        accept = find(chooser, lambda n: role(n) == "push button" and n.name.endswith(" Open"))
        tap(accept is not None, "the file chooser has an Open button")
        step("click Open", 20)
        click(accept)

        summary = wait_for(lambda: find(app, lambda n: role(n) == "label"
                                        and n.name == "CIFAR ResNet (option A) Architecture"
                                        and showing(n)),
                           seconds=60, what="the architecture in the summary")
        step("read the summary and find the search field", 60)
        if summary is None:
            screenshot("atspi-failed.png")
            labels = find_all(app, lambda n: role(n) == "label")
            print("# labels:", [(n.name, showing(n)) for n in labels][:60])
        tap(summary is not None, "the summary shows “CIFAR ResNet (option A)”")
        # A value label's accessible name is its text, then the key labelling it.
        model = find(app, lambda n: role(n) == "label" and n.name == "resnet20 Model" and showing(n))
        tap(model is not None, "the summary names the model resnet20")
        screenshot("atspi-opened.png")

        # Issue 23: no name keeps a mnemonic's underscore (GTK 4.8 said
        # "_Run Run"), and no control is named by its type, as a drop-down's
        # button was ("GtkToggleButton", "GtkDropDown"), in any area.
        controls = find_all(app, lambda n: role(n) in ("push button", "toggle button", "check box", "radio button",
                                                       "combo box", "entry", "spin button"))
        leaks = sorted({f"{role(n)}: {n.name}" for n in controls if "_" in n.name or n.name.startswith("Gtk")})
        tap(len(controls) > 50 and not leaks,
            f"{len(controls)} controls, none named with a mnemonic's underscore or a type name {leaks[:10]}")

        entry = find(app, lambda n: role(n) in ("entry", "text") and showing(n)
                     and "Search" in (n.name + n.description + "GtkSearchEntry"))
        tap(entry is not None, "the tensor search field is there")
        step("type “linear” into the search field", 20)
        entry.queryEditableText().setTextContents("linear")
        def row_names():
            return sorted(n.name for n in find_all(app, lambda n: role(n) == "label" and showing(n)
                                                   and n.name in ("conv1", "linear", "weight", "bias")))

        def only_linear():
            names = row_names()
            return names if names == ["bias", "linear", "weight"] else None

        names = wait_for(only_linear, seconds=60, what="the table to show only the linear module, opened")
        tap(names is not None, f"searching “linear” leaves the linear module and its tensors ({row_names()})")
        step("open the main menu", 60)
        screenshot("atspi-search.png")

        # GtkMenuButton shows up twice (the widget and its inner toggle); the
        # inner one is the one that clicks.
        menu_button = find(app, lambda n: role(n) in ("push button", "toggle button") and n.name == "Main Menu"
                           and n.queryAction().nActions > 0)
        tap(menu_button is not None, "the main menu button is named for screen readers")
        click(menu_button)
        about = wait_for(lambda: find(app, lambda n: "About Vitrine" in n.name and showing(n)
                                      and role(n) in ("push button", "menu item", "label")),
                         what="the About item")
        tap(about is not None, "the main menu lists “About Vitrine”")
        step("click “About Vitrine”", 20)
        target = about if role(about) != "label" else about.parent
        click(target)
        dialog = wait_for(lambda: next((w for w in app if w is not None and "About" in w.name), None),
                          what="the About dialog")
        tap(dialog is not None, "the About dialog opens")
        step("take the last screenshot", 40)
        screenshot("atspi-about.png")
    except StepTimeout as timeout:
        screenshot("atspi-timeout.png")
        tap(False, str(timeout))
    finally:
        end_steps()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    runs_phase(env)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
