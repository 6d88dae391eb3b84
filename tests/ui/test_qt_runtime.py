"""The installed Qt binding keeps Python's reference counts, and the start-up check notices one
that does not."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import PySide6
import pytest

from app.ui.qt_runtime import TESTED_QT, binding_problem

ROOT = Path(__file__).resolve().parents[2]
WATCHED = ("None", "True", "False")

#: 2,000 rounds of each way into the binding, counting the references to None, True and False
#: around each. It runs in a child process because on a binding that loses them 2,000 emits
#: would free True and abort the interpreter. Before Python 3.12 each way stops at the first
#: batch that changes a count, and the child leaves by os._exit, so that its short counts cannot
#: end it while it shuts down either: the test then reports which count changed, not a crash.
EXERCISE = r"""
import gc, json, os, sys
from PySide6.QtCore import Q_ARG, QMetaObject, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QLabel

class Sender(QObject):
    flag = Signal(bool)
    bare = Signal()

    @Slot(bool)
    def take(self, value):
        pass

app = QApplication([])
label, holder, timer, sender = QLabel(), QObject(), QTimer(), Sender()
sender.flag.connect(sender.take)
sender.bare.connect(lambda: None)
sender.bare.connect(timer.stop)

def void_calls():
    label.setText("answer")
    holder.setObjectName("answer")
    timer.setInterval(5)

def emits():
    sender.flag.emit(True)
    sender.flag.emit(False)
    sender.bare.emit()

def slot_calls():
    timer.stop()
    QMetaObject.invokeMethod(timer, "stop")
    QMetaObject.invokeMethod(sender, "take", Q_ARG(bool, True))

def counts():
    return [sys.getrefcount(watched) for watched in (None, True, False)]

ROUNDS, BATCH = 2000, 20
MORTAL = sys.version_info < (3, 12)
found = {}
gc.disable()
for name, way in [("void calls", void_calls), ("emits", emits), ("slot calls", slot_calls)]:
    way()
    before, rounds = counts(), 0
    while rounds < ROUNDS:
        for _ in range(BATCH):
            way()
        rounds += BATCH
        after = counts()  # counted out here: a comprehension's function holds None as it runs
        change = [now - then for now, then in zip(after, before)]
        if MORTAL and any(change):
            break
    found[name] = {"rounds": rounds, "change": change, "count": after}
print(json.dumps(found), flush=True)
os._exit(0)
"""


def test_the_binding_keeps_the_counts_of_none_true_and_false():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", EXERCISE], capture_output=True, text=True,
                            env=env, timeout=120)
    binding = f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]}"
    assert result.returncode == 0, (
        f"{binding} ended Python (exit code {result.returncode}) while being exercised:\n"
        f"{result.stderr[-2000:]}")
    found = json.loads(result.stdout.splitlines()[-1])
    if sys.version_info < (3, 12):
        changed = {way: dict(zip(WATCHED, counts["change"], strict=True))
                   for way, counts in found.items() if any(counts["change"])}
        assert not changed, f"{binding} changes reference counts: {changed}"
    else:
        # Immortal from 3.12 (PEP 683), with counts that start at 2**32 - 1. They may still
        # move, harmlessly (PySide6 6.11.3 lowers True's for every True passed to a Python
        # slot): what matters is that they stay thousands of millions of calls from zero.
        low = {way: dict(zip(WATCHED, counts["count"], strict=True))
               for way, counts in found.items() if min(counts["count"]) < 2**31}
        assert not low, f"{binding} brings None, True or False near being freed: {low}"
    assert all(counts["rounds"] == 2000 for counts in found.values()), found


def test_the_installed_binding_passes_the_start_up_check(qapp):
    problem = binding_problem()
    assert problem is None, problem


def test_the_start_up_check_needs_no_application_and_leaves_none():
    check = ("import json\n"
             "from PySide6.QtCore import QCoreApplication\n"
             "from app.ui.qt_runtime import binding_problem\n"
             "print(json.dumps([binding_problem(), QCoreApplication.instance() is None]))")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    problem, no_application = json.loads(result.stdout)
    assert problem is None, problem
    assert no_application


def test_the_start_up_check_is_cheap(qapp):
    binding_problem()
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        binding_problem()
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.005


@pytest.mark.skipif(sys.version_info >= (3, 12),
                    reason="None is immortal from Python 3.12: nothing can lower its count")
def test_a_binding_that_loses_references_is_named_with_the_remedy():
    def losing_probe():
        for _ in range(5):
            ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))

    before = sys.getrefcount(None)
    try:
        message = binding_problem(probe=losing_probe)
        owed = before - sys.getrefcount(None)
    finally:
        for _ in range(before - sys.getrefcount(None)):  # whatever was not given back
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    assert message is not None
    assert f"PySide6 {PySide6.__version__}" in message
    assert f"PySide6-Essentials {TESTED_QT}" in message
    assert "python -m pip install -c constraints.txt ." in message
    assert "Python 3.12 or newer" in message
    assert owed <= 0, "the references the probe lost were not given back"
