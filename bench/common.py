"""common.py - what every part of bench/ shares: statistics, running a process
with its resource usage, sampling a process tree's memory, machine load.

Nothing here decides anything; it measures and summarises. Times are
milliseconds from time.perf_counter()/time.monotonic() (the same clock on
Linux), memory is MiB.
"""
import json
import math
import os
import re
import resource
import shutil
import signal
import statistics
import tempfile
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


class BenchError(Exception):
    """A measurement could not be taken: bench.py reports it and exits non-zero."""


# ---- statistics -------------------------------------------------------------

def pct(xs, q):
    """Percentile q (0..100) by linear interpolation between closest ranks."""
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def stats(xs):
    """median, p90, spread (min, max, p10, stdev) and n of a list of numbers."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"n": 0, "median": None, "p90": None, "p10": None, "min": None, "max": None,
                "stdev": None, "samples": []}
    return {"n": len(xs), "median": statistics.median(xs), "p90": pct(xs, 90),
            "p10": pct(xs, 10), "min": min(xs), "max": max(xs),
            "stdev": statistics.stdev(xs) if len(xs) > 1 else 0.0,
            "samples": [round(x, 3) for x in xs]}


# ---- running one process ----------------------------------------------------

class Result:
    __slots__ = ("pid", "wall_ms", "rc", "out", "err", "maxrss_mb", "cpu_s", "watched")


def run(cmd, stdin=b"", env=None, timeout=120, watch=None):
    """Run cmd to completion; wall time from just before the spawn to the reap.

    posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK), not fork: a forked
    copy of this Python process would count its RSS towards the child's
    ru_maxrss. stdout/stderr go to temporary files (no pipe-draining threads
    to perturb the timing); the child is reaped with wait4 so its rusage is
    its own: ru_maxrss is the largest peak RSS of the process and of every
    descendant it (transitively) waited for -- the biggest single process of
    the tree, not their sum. The child leads a session of its own and is
    killed with its group at the timeout. watch(pid), when given, is started
    on the child and must return an object whose stop() result goes to
    .watched."""
    env = os.environ if env is None else env
    exe = cmd[0] if "/" in cmd[0] else shutil.which(cmd[0], path=env.get("PATH"))
    if not exe:
        raise BenchError("%s: not found" % cmd[0])
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        fin.write(stdin or b"")
        fin.seek(0)
        actions = [(os.POSIX_SPAWN_DUP2, fin.fileno(), 0),
                   (os.POSIX_SPAWN_DUP2, fout.fileno(), 1),
                   (os.POSIX_SPAWN_DUP2, ferr.fileno(), 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(exe, cmd, env, file_actions=actions, setsid=True)
        w = watch(pid) if watch else None
        timer = threading.Timer(timeout, _killpg, (pid,))
        timer.start()
        try:
            _, status, ru = os.wait4(pid, 0)
        finally:
            timer.cancel()
        r = Result()
        r.wall_ms = (time.perf_counter() - t0) * 1000.0
        r.watched = w.stop() if w else None
        r.pid = pid
        r.rc = os.waitstatus_to_exitcode(status)
        _killpg(pid)  # anything the command left behind in its session
        r.maxrss_mb = ru.ru_maxrss / 1024.0
        r.cpu_s = ru.ru_utime + ru.ru_stime
        fout.seek(0)
        ferr.seek(0)
        r.out = fout.read()
        r.err = ferr.read()
        return r


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


# ---- memory of a process tree -----------------------------------------------

def _ppid_and_rss(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            s = f.read()
        ppid = int(s[s.rindex(b")") + 2:].split()[1])
        with open("/proc/%d/statm" % pid, "rb") as f:
            rss = int(f.read().split()[1]) * PAGE
        return ppid, rss
    except (OSError, ValueError, IndexError):
        return None, 0


class TreeSampler:
    """Samples the summed RSS of a process and all its descendants every
    `period` seconds in a thread (from /proc: this kernel has no
    /proc/PID/task/TID/children). A sampled peak: a spike shorter than the
    period can be missed, so callers report max(sampled sum, largest single
    process from wait4)."""

    def __init__(self, root, period=0.004):
        self.root = root
        self.period = period
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self._t.start()
        return self

    def stop(self):
        self._stop.set()
        self._t.join()
        return self.peak / 1048576.0

    def _loop(self):
        while not self._stop.is_set():
            info = {}
            for name in os.listdir("/proc"):
                if name.isdigit():
                    ppid, rss = _ppid_and_rss(int(name))
                    if ppid is not None:
                        info[int(name)] = (ppid, rss)
            tree, frontier = {self.root}, [self.root]
            children = {}
            for pid, (ppid, _) in info.items():
                children.setdefault(ppid, []).append(pid)
            while frontier:
                for c in children.get(frontier.pop(), ()):
                    if c not in tree:
                        tree.add(c)
                        frontier.append(c)
            total = sum(info[p][1] for p in tree if p in info)
            self.peak = max(self.peak, total)
            self._stop.wait(self.period)


def vm_hwm_mb(pid):
    """Peak RSS so far of a live process (VmHWM), MiB; None when gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


# ---- machine load -----------------------------------------------------------

def _cpu_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    steal = v[7] if len(v) > 7 else 0
    return user + nice + system + irq + softirq, steal


def _our_cpu_s():
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


class LoadWatch:
    """CPU the rest of the machine used while a section ran: busy time from
    /proc/stat minus this process's own and its reaped children's CPU time.
    Children must be reaped before stop() for their time to count as ours."""

    HZ = os.sysconf("SC_CLK_TCK")

    def start(self):
        self.t0 = time.monotonic()
        self.busy0, self.steal0 = _cpu_jiffies()
        self.ours0 = _our_cpu_s()
        self.load0 = os.getloadavg()
        return self

    def stop(self):
        el = time.monotonic() - self.t0
        busy, steal = _cpu_jiffies()
        ours = _our_cpu_s() - self.ours0
        busy_s = (busy - self.busy0) / self.HZ
        cores = os.cpu_count() or 1
        return {"elapsed_s": round(el, 1),
                "ours_cpu_s": round(ours, 2),
                "machine_busy_s": round(busy_s, 2),
                "others_cpu_share": round(max(0.0, busy_s - ours) / (el * cores), 3) if el else None,
                "steal_s": round((steal - self.steal0) / self.HZ, 2),
                "load_before": [round(x, 2) for x in self.load0],
                "load_after": [round(x, 2) for x in os.getloadavg()]}


def wait_for_idle(threshold, max_minutes, log):
    """Poll the 1-minute load average every minute until it is below
    threshold or max_minutes have passed. Returns what happened."""
    t0 = time.monotonic()
    polls = []
    while True:
        l1 = os.getloadavg()[0]
        polls.append(round(l1, 2))
        waited = (time.monotonic() - t0) / 60.0
        if l1 < threshold:
            log("load %.2f < %.2f after %.0f min: starting" % (l1, threshold, waited))
            return {"reached": True, "waited_min": round(waited, 1), "polls": polls}
        if waited >= max_minutes:
            log("load still %.2f after %.0f min: running anyway (results flagged)" % (l1, waited))
            return {"reached": False, "waited_min": round(waited, 1), "polls": polls}
        log("load %.2f >= %.2f: waiting (%.0f of %d min)" % (l1, threshold, waited, max_minutes))
        time.sleep(60)


def dump_json(path, obj):
    """Indented JSON with each list of numbers (the samples) on one line."""
    text = re.sub(r"\[\s+([-0-9.eE,\s]+?)\s+\]",
                  lambda m: "[" + " ".join(m.group(1).split()) + "]",
                  json.dumps(obj, indent=1))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
