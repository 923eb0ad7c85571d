"""image_run.py - run the Lambda image (lambda/Dockerfile, `make image`) the
way AWS Lambda runs a function, with podman (stdlib only).

What Lambda gives a function, as far as a container here can: the image's
own entry point; a read-only root file system with only /tmp writable, a
tmpfs of the template's EphemeralStorage; a uid that is not root (993, as
Lambda's sbx_user1051; in a user namespace of its own, as alone as in
Lambda's microVM) with no capabilities and no way to gain any; ptrace,
namespaces, mounts and uid changes denied by seccomp (the filter of
tests/support/lambda_like, printed as an OCI profile); Lambda's limits of
1024 open files and 1024 processes; the template's MemorySize as a memory
limit; the environment Lambda sets (AWS_LAMBDA_RUNTIME_API, _HANDLER, the
function's name, memory size, region, credentials, ...). The Runtime API is
tests/support/rapi_emulator.py on this machine's loopback (--network host).
"""

import os
import re
import subprocess
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = os.environ.get("SPP_IMAGE") or "localhost/spp-trace:latest"
CONTAINERS_CONF = os.path.join(ROOT, "scripts", "containers.conf")
LAMBDA_UID = 993
# The container's uids are mapped to HOST_UID_BASE + uid on this machine: in
# Lambda uid 993 is alone in its microVM, and RLIMIT_NPROC counts a uid's
# processes machine-wide, so other tests running as 993 here (lambda_like
# --uid 993) must not use up the container's share.
HOST_UID_BASE = 1000000000
FUNCTION = "spp-trace-TraceFunction-imagetest"


def _template_value(pattern):
    """One value of template.yaml (read as text: the numbers and names here
    are plain scalars, and the support code stays stdlib only)."""
    with open(os.path.join(ROOT, "template.yaml"), encoding="utf-8") as f:
        m = re.search(pattern, f.read(), re.M)
    if not m:
        raise ValueError("template.yaml: nothing matches %r" % pattern)
    return m.group(1)


def template_facts():
    """(memory MB, /tmp MiB, timeout s) of the function in template.yaml."""
    return (int(_template_value(r"^\s+MemorySize:\s*(\d+)\s*$")),
            int(_template_value(r"^\s+EphemeralStorage:\s*\n\s+Size:\s*(\d+)\s*$")),
            int(_template_value(r"^\s+Timeout:\s*(\d+)\s*$")))


def template_dockerfile():
    """The Dockerfile template.yaml's function is built from (relative to ROOT)."""
    return os.path.normpath(os.path.join(_template_value(r"^\s+DockerContext:\s*(\S+)\s*$"),
                                         _template_value(r"^\s+Dockerfile:\s*(\S+)\s*$")))


def podman(*args, check=True, timeout=60):
    env = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)
    return subprocess.run(["podman"] + list(args), env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=check,
                          timeout=timeout)


def image_exists():
    try:
        return podman("image", "exists", IMAGE, check=False).returncode == 0
    except FileNotFoundError:  # no podman
        return False


def lambda_env(api, memory_mb, extra=None):
    """What Lambda puts in a custom runtime's environment (credentials are
    the test's own, fake), then extra (the function's Variables)."""
    env = {
        "AWS_LAMBDA_RUNTIME_API": api,
        "_HANDLER": "spp.handler",
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + FUNCTION,
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/03/[$LATEST]" + uuid.uuid4().hex,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "image-test-secret-key",
        "AWS_SESSION_TOKEN": "image-test-session-token",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
                           "/var/task:/var/task/lib:/opt/lib",
        "ENVIRONMENT": "test",
        "CORS_ALLOW_ORIGIN": "*",
    }
    env.update(extra or {})
    return env


class Container:
    """One function instance: start() runs the image, remove() ends it.
    workdir: a private host directory for the env file and the profile."""

    def __init__(self, workdir, env, seccomp_tool):
        self.name = "spp-image-test-" + uuid.uuid4().hex[:12]
        self.workdir = workdir
        memory_mb, tmp_mib, _ = template_facts()
        self.env_file = os.path.join(workdir, "lambda.env")
        with open(os.open(self.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            for k, v in env.items():
                if "\n" in k + v or "=" in k:
                    raise ValueError("env %r cannot go in an env file" % k)
                f.write("%s=%s\n" % (k, v))
        self.profile = os.path.join(workdir, "seccomp.json")
        with open(self.profile, "wb") as f:
            f.write(subprocess.run([seccomp_tool, "--oci-seccomp"], check=True,
                                   stdout=subprocess.PIPE).stdout)
        self.argv = [
            "podman", "run", "--rm", "--name", self.name, "--pull=never",
            "--network", "host",
            "--read-only", "--read-only-tmpfs=false",
            # exec: Lambda's /tmp runs what is compiled there
            "--tmpfs", "/tmp:rw,exec,nosuid,nodev,mode=1777,size=%dm" % tmp_mib,
            "--uidmap", "0:%d:65536" % HOST_UID_BASE, "--gidmap", "0:%d:65536" % HOST_UID_BASE,
            "--user", "%d:%d" % (LAMBDA_UID, LAMBDA_UID),
            "--cap-drop", "all", "--security-opt", "no-new-privileges",
            "--security-opt", "seccomp=" + self.profile,
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
            "--memory", "%dm" % memory_mb,
            "--env-file", self.env_file,
            IMAGE,
        ]
        self.proc = None

    def start(self, log_file):
        """Popen of `podman run` (the container's stdout/stderr to log_file)."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log_file,
                                     stderr=log_file, start_new_session=True,
                                     env=dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF))
        return self.proc

    def pid(self):
        """Host pid of the container's first process (the bootstrap); 0 when
        it is not running."""
        r = podman("inspect", "--format", "{{.State.Pid}}", self.name, check=False)
        try:
            return int(r.stdout.decode().strip() or 0)
        except ValueError:
            return 0

    def processes(self):
        """[(pid in the container, command line)] of every process in it."""
        r = podman("top", self.name, "pid", "args", check=False)
        if r.returncode != 0:
            return []
        rows = r.stdout.decode().splitlines()[1:]
        return [(int(l.split(None, 1)[0]), l.split(None, 1)[1].strip()) for l in rows if l.strip()]

    def path(self, inside):
        """A path in the container's file system as this (root) process sees it."""
        return "/proc/%d/root%s" % (self.pid(), inside)

    def remove(self):
        podman("rm", "--force", "--time", "0", self.name, check=False)
        if self.proc is not None:
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
