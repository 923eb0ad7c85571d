"""proc_util.py - find what a test's processes left running (stdlib only).

become_subreaper() makes this process a child subreaper: orphans of
everything it starts (a server, the tracers it spawns, their compilers and
traced programs, whatever sessions or process groups they make) are
re-parented here instead of to init, so "nothing outlives a run" can be
checked by listing our own children.
"""

import ctypes
import os
import signal

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def processes():
    """{pid: (state, ppid)} of every process in /proc right now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()  # state, ppid, pgrp, session, ...
        out[int(d)] = (fields[0], int(fields[1]))
    return out


def descendants(pid):
    """Live processes below pid, at any depth (pid namespaces included)."""
    table = processes()
    out, frontier = [], {pid}
    while frontier:
        frontier = {p for p, (state, ppid) in table.items() if ppid in frontier and state != "Z"}
        out.extend(frontier)
    return out


def orphans(known):
    """Live children of this process other than the pids in known; zombies
    among them are reaped on the way."""
    me, out = os.getpid(), []
    for pid, (state, ppid) in processes().items():
        if ppid != me or pid in known:
            continue
        if state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        else:
            out.append(pid)
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ")[:120].decode(errors="replace").strip()
    except OSError:
        return "?"


def kill_orphans(known):
    """SIGKILL and reap what orphans() finds (a test's clean-up)."""
    for pid in orphans(known):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
