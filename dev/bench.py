"""The performance targets of handler.py, measured side by side in one run (developer tool).

    python3 dev/bench.py [FILE] [--runs 10] [--python PY]... [--json]
                         [--upstream HANDLER]... | [--install-upstream DIR]   [--suite] [--strict]

FILE is the handler.py to measure (default: the one beside dev/). Every time is a ratio to the
COMPILE FLOOR of that file: a process that only compiles it,
    PY -c "compile(open(FILE).read(), FILE, 'exec')"
because Python compiles the main script on every run and never caches it: no command of FILE
can start faster than that, and the floor moves with the file's size (its AST node count).

For each interpreter (default: /usr/bin/python3 and the `python3` found on PATH, resolved
through shims such as pyenv's to the real executable) it reports:
  - --help, --version, session list (in a HANDLER_HOME holding 3 sessions): median wall / floor;
  - message send to the built-in agent (handler.py server agent -q, started here on a free
    127.0.0.1 port and stopped at the end) over http: median wall / floor, and its peak RSS /
    the floor's peak RSS (per child, from os.wait4);
  - the HTTP requests of the first send to the agent and of the second one (agent in the
    session, card fresh), counted by a forwarding proxy in this process;
  - with Handler 0.4.0 (--upstream PATH-TO-ITS-handler, or --install-upstream DIR: one
    throwaway venv per interpreter under DIR, `pip install a2a-handler==0.4.0`; never a
    dependency of handler.py): its --version wall / handler.py's --version wall, and its
    --help, session list, message send and request counts beside ours;
  - with --suite: the wall time of `PY -m unittest test_handler` beside FILE.
Runs are paired and interleaved: each round runs the floor and then each command, for each
interpreter in turn, and a ratio is taken within its round. Figures are medians over --runs
rounds (after one warm-up round), with min-max. Exit status 0 (1 with --strict when a target is
missed, 2 when a command failed).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAM = "a2a-handler==0.4.0"
# (key, label, target text, test of the value); a ratio key is a command measured each round
TARGETS = [
    ("nodes", "handler.py AST nodes (ast.walk)", "<= 32,000", lambda v: v <= 32000),
    ("floor", "compile floor: median wall", "", None),
    ("floor_rss", "compile floor: peak RSS", "", None),
    ("help", "--help: median wall / floor", "<= 1.20", lambda v: v <= 1.20),
    ("version", "--version: median wall / floor", "<= 1.20", lambda v: v <= 1.20),
    ("list", "session list: median wall / floor", "<= 1.20", lambda v: v <= 1.20),
    ("send", "message send: median wall / floor", "<= 1.70", lambda v: v <= 1.70),
    ("send_rss", "message send: peak RSS / floor's", "<= 1.25", lambda v: v <= 1.25),
    ("requests_1", "HTTP requests, 1st send (new agent)", "", None),
    ("requests_2", "HTTP requests, 2nd send (card fresh)", "1", lambda v: v <= 1),
    ("up_ratio", "0.4.0 --version wall / handler.py's", ">= 9", lambda v: v >= 9),
    ("up_version", "0.4.0 --version: median wall", "", None),
    ("up_help", "0.4.0 --help: median wall", "", None),
    ("up_list", "0.4.0 session list: median wall", "", None),
    ("up_send", "0.4.0 message send: median wall", "", None),
    ("up_send_rss", "0.4.0 message send: peak RSS", "", None),
    ("up_requests_1", "0.4.0 HTTP requests, 1st send", "", None),
    ("up_requests_2", "0.4.0 HTTP requests, 2nd send", "", None),
    ("suite", "python -m unittest test_handler: wall", "<= 60 s", lambda v: v <= 60),
]


class CommandFailed(Exception):
    pass


TIME = "/usr/bin/time"   # measures the peak RSS of its child; os.wait4 alone cannot go below ours


def run(cmd, env, cwd):
    """(wall seconds, peak RSS in KiB) of one run of cmd, its output thrown away.
    A child's peak RSS as the kernel counts it is at least that of the process that forked it
    (the pages it had at fork or vfork), so cmd runs under /usr/bin/time, a 2 MiB process, when
    there is one; both sides of every ratio pay its ~1 ms of wall time alike."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as peak:
        wrap = [TIME, "-f", "%M", "-o", peak.name] if os.access(TIME, os.X_OK) else []
        start = time.perf_counter()
        proc = subprocess.Popen(wrap + cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise CommandFailed(f"{' '.join(cmd)} exited {code}: " + " | ".join(tail))
        rss = int(peak.read().split()[-1]) if wrap else usage.ru_maxrss
    return wall, rss


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port, proc, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise CommandFailed(f"the agent did not listen on 127.0.0.1:{port}")


def counting_proxy(target_port):
    """A forwarding HTTP proxy to 127.0.0.1:target_port; returns (server, list of requests).
    It passes the Host header on, so the agent's card names the proxy and every later request
    of the client comes through it too."""
    import http.client
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    seen = []
    hop = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}

    class Forward(BaseHTTPRequestHandler):
        def forward(self):
            seen.append(f"{self.command} {self.path}")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=60)
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in hop:
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            self.send_response(resp.status, resp.reason)
            for name, value in resp.getheaders():
                if name.lower() not in hop:
                    self.send_header(name, value)
            if resp.status not in (204, 304):
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, seen


def resolve(python):
    """(real executable, version) of an interpreter name: a pyenv shim is a shell script, and
    timing through it would add the shim's own start-up to every figure."""
    found = shutil.which(python) or python
    out = subprocess.run([found, "-c", "import sys, platform; print(sys.executable); "
                          "print(platform.python_implementation(), platform.python_version())"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return out[0], out[1]


def install_upstream(directory, pythons):
    """One throwaway venv per interpreter under directory with Handler 0.4.0 in it (kept when
    it is already there); the list of their `handler` executables, in the order of pythons."""
    paths, jobs = [], []
    for n, python in enumerate(pythons):
        venv = os.path.join(directory, f"venv{n}")
        exe = os.path.join(venv, "bin", "handler")
        paths.append(exe)
        if os.path.exists(exe):
            continue
        print(f"installing {UPSTREAM} into {venv} ({python}) ...", file=sys.stderr)
        cmd = (f"'{python}' -m venv '{venv}' && '{venv}/bin/pip' install -q "
               f"--disable-pip-version-check '{UPSTREAM}'")
        jobs.append((venv, subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT)))
    for venv, job in jobs:
        out = job.communicate()[0].decode("utf-8", "replace")
        if job.returncode:
            sys.exit(f"installing {UPSTREAM} into {venv} failed:\n{out}")
    return paths


def spread(values, unit):
    """'median (min-max)' of a list of numbers, in ms, x (a ratio) or s."""
    scale, suffix = {"ms": (1000, "ms"), "x": (1, "x"), "s": (1, " s")}[unit]
    fmt = (lambda v: f"{v * scale:.1f}") if unit != "x" else (lambda v: f"{v:.2f}")
    tail = f" ({fmt(min(values))}-{fmt(max(values))})" if len(values) > 1 else ""
    return f"{fmt(statistics.median(values))}{suffix}{tail}"


class Column:
    """One interpreter's samples."""

    def __init__(self, label, python, version, upstream):
        self.label, self.python, self.version, self.upstream = label, python, version, upstream
        self.samples = {}   # command key -> [(wall, rss)], one a round
        self.values = {}    # target key -> number, for the table and the verdicts
        self.cells = {}     # target key -> text

    def add(self, key, sample):
        self.samples.setdefault(key, []).append(sample)

    def walls(self, key):
        return [w for w, _ in self.samples[key]]

    def ratios(self, key, base="floor"):
        return [a / b for a, b in zip(self.walls(key), self.walls(base))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=os.path.join(ROOT, "handler.py"))
    parser.add_argument("--runs", type=int, default=10, help="measured rounds (default 10)")
    parser.add_argument("--python", action="append",
                        help="an interpreter (repeatable; default /usr/bin/python3 and python3)")
    parser.add_argument("--upstream", action="append", default=[],
                        help="Handler 0.4.0's `handler` executable, one per --python in order "
                             "(one for all when given once; also $HANDLER_UPSTREAM, ':'-separated)")
    parser.add_argument("--install-upstream", metavar="DIR",
                        help=f"create throwaway venvs in DIR with {UPSTREAM}, one per interpreter")
    parser.add_argument("--suite", action="store_true", help="also time the unittest suite")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    file = os.path.abspath(args.file)
    if not os.path.isfile(file):
        parser.error(f"no such file: {file}")
    pythons, seen_exe = [], set()
    for name in args.python or ["/usr/bin/python3", "python3"]:
        exe, version = resolve(name)
        if exe not in seen_exe:
            seen_exe.add(exe)
            pythons.append((name, exe, version))
    upstream = args.upstream or [p for p in os.environ.get("HANDLER_UPSTREAM", "").split(":") if p]
    if args.install_upstream:
        upstream = install_upstream(os.path.abspath(args.install_upstream), [e for _, e, _ in pythons])
    if len(upstream) == 1:
        upstream = upstream * len(pythons)
    if upstream and len(upstream) != len(pythons):
        parser.error("give --upstream once, or once per interpreter")
    columns = [Column(f"{name} ({ver.split()[-1]})", exe, ver, upstream[n] if upstream else None)
               for n, (name, exe, ver) in enumerate(pythons)]
    try:
        # in a child: the parse tree would grow this process, and with it every child's peak RSS
        nodes = int(subprocess.run([sys.executable, "-c", "import ast, sys; print(sum(1 for _ in "
                                    "ast.walk(ast.parse(open(sys.argv[1], encoding='utf-8').read()))))",
                                    file], capture_output=True, text=True, check=True).stdout)
        bench(file, columns, args)
    except CommandFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    for col in columns:
        col.values["nodes"], col.cells["nodes"] = nodes, f"{nodes:,}"
    missed = report(file, columns, args)
    return 1 if missed and args.strict else 0


def bench(file, columns, args):
    top = tempfile.mkdtemp(prefix="handler-bench-")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HANDLER_")}
    base_env.update(NO_PROXY="*", no_proxy="*")
    env = {**base_env, "HANDLER_HOME": os.path.join(top, "home")}
    # Handler 0.4.0 keeps its sessions in the XDG data folder, and reads servers.toml from the cwd
    up_env = {**base_env, "HOME": os.path.join(top, "up"), "XDG_DATA_HOME": os.path.join(top, "up", "data"),
              "XDG_CONFIG_HOME": os.path.join(top, "up", "config"),
              "XDG_CACHE_HOME": os.path.join(top, "up", "cache")}
    cwd = os.path.join(top, "cwd")
    for d in (env["HANDLER_HOME"], up_env["HOME"], cwd):
        os.makedirs(d)
    port = free_port()
    agent = subprocess.Popen([columns[0].python, file, "server", "agent", "--port", str(port), "-q"],
                             env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    proxy = None
    try:
        wait_listening(port, agent)
        url = f"http://127.0.0.1:{port}"
        proxy, requests = counting_proxy(port)
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        first = columns[0].python
        for seed in (url, f"http://localhost:{port}", proxy_url):   # 3 sessions for session list
            run([first, file, "message", "send", "--url", seed, "seed"], env, cwd)
        for n, col in enumerate(columns):   # the requests of a 1st and a 2nd send, in a fresh home
            cmds = [("", [col.python, file, "message", "send", "--url", proxy_url, "hello"],
                     {**env, "HANDLER_HOME": os.path.join(top, f"count{n}")})]
            if col.upstream:
                cmds.append(("up_", [col.upstream, "message", "send", "--url", proxy_url, "--text", "hello"],
                             {**up_env, "XDG_DATA_HOME": os.path.join(top, f"upcount{n}")}))
            for prefix, cmd, cmd_env in cmds:
                for i in (1, 2):
                    before = len(requests)
                    run(cmd, cmd_env, cwd)
                    col.values[f"{prefix}requests_{i}"] = len(requests) - before
                    col.cells[f"{prefix}requests_{i}"] = str(len(requests) - before)
        for seed in (url, f"http://localhost:{port}", proxy_url)[:3 if columns[0].upstream else 0]:
            run([columns[0].upstream, "message", "send", "--url", seed, "--text", "seed"], up_env, cwd)
        floor = f"compile(open({file!r}).read(), {file!r}, 'exec')"
        for r in range(args.runs + 1):   # round 0 is the warm-up
            for col in (columns if r % 2 else columns[::-1]):
                py = col.python
                cmds = [("floor", [py, "-c", floor]), ("help", [py, file, "--help"]),
                        ("version", [py, file, "--version"]), ("list", [py, file, "session", "list"]),
                        ("send", [py, file, "message", "send", "--url", url, "hello"])]
                for key, cmd in cmds:
                    sample = run(cmd, env, cwd)
                    if r:
                        col.add(key, sample)
                if col.upstream:
                    up = col.upstream
                    for key, cmd in (("up_version", [up, "--version"]), ("up_help", [up, "--help"]),
                                     ("up_list", [up, "session", "list"]),
                                     ("up_send", [up, "message", "send", "--url", url, "--text", "hello"])):
                        sample = run(cmd, up_env, cwd)
                        if r:
                            col.add(key, sample)
    finally:
        if proxy:
            proxy.shutdown()
            proxy.server_close()
        agent.terminate()
        try:
            agent.wait(10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        shutil.rmtree(top, ignore_errors=True)
    for col in columns:
        rss = lambda key: statistics.median(r for _, r in col.samples[key])
        col.values["floor"], col.cells["floor"] = statistics.median(col.walls("floor")), \
            spread(col.walls("floor"), "ms")
        col.values["floor_rss"], col.cells["floor_rss"] = rss("floor"), f"{rss('floor') / 1024:.1f} MiB"
        for key in ("help", "version", "list", "send"):
            col.values[key] = statistics.median(col.ratios(key))
            col.cells[key] = f"{spread(col.ratios(key), 'x')} {statistics.median(col.walls(key)) * 1000:.0f}ms"
        col.values["send_rss"] = rss("send") / rss("floor")
        col.cells["send_rss"] = f"{col.values['send_rss']:.2f}x {rss('send') / 1024:.1f} MiB"
        if col.upstream:
            col.values["up_ratio"] = statistics.median(col.ratios("up_version", "version"))
            col.cells["up_ratio"] = spread(col.ratios("up_version", "version"), "x")
            for key in ("up_version", "up_help", "up_list", "up_send"):
                col.values[key], col.cells[key] = statistics.median(col.walls(key)), spread(col.walls(key), "ms")
            col.values["up_send_rss"] = rss("up_send")
            col.cells["up_send_rss"] = f"{rss('up_send') / 1024:.1f} MiB"
    if args.suite:
        here = os.path.dirname(file)
        for col in columns:
            if not os.path.exists(os.path.join(here, "test_handler.py")):
                continue
            print(f"running the suite with {col.python} ...", file=sys.stderr)
            start = time.perf_counter()
            done = subprocess.run([col.python, "-m", "unittest", "test_handler"], cwd=here,
                                  env=base_env, capture_output=True, text=True)
            col.values["suite"] = wall = time.perf_counter() - start
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            col.cells["suite"] = f"{wall:.1f} s ({last})" if done.returncode == 0 else f"{wall:.1f} s FAILED"


def report(file, columns, args):
    """Print the table (or JSON); the list of missed targets."""
    rows, missed = [], []
    for key, label, target, test in TARGETS:
        if not any(key in col.cells for col in columns):
            continue
        verdicts = []
        for col in columns:
            if test and key in col.values:
                ok = test(col.values[key])
                verdicts.append("pass" if ok else "FAIL")
                if not ok:
                    missed.append(f"{label} with {col.label}")
        rows.append((key, label, [col.cells.get(key, "-") for col in columns], target, verdicts))
    if args.json:
        print(json.dumps({
            "file": file, "runs": args.runs,
            "interpreters": [{"label": c.label, "executable": c.python, "version": c.version,
                              "upstream": c.upstream, "values": c.values,
                              "samples": {k: [[w, r] for w, r in v] for k, v in c.samples.items()}}
                             for c in columns],
            "targets": [{"key": k, "measure": lab, "target": t, "cells": cells, "verdicts": v}
                        for k, lab, cells, t, v in rows],
            "missed": missed}, indent=1))
        return missed
    widths = [max(len(col.label), *(len(cells[i]) for _, _, cells, _, _ in rows))
              for i, col in enumerate(columns)]
    line = lambda a, cells, t, v: "  ".join([f"{a:40}", *(f"{c:{w}}" for c, w in zip(cells, widths)),
                                             f"{t:9}", v]).rstrip()
    print(f"{file}: {args.runs} paired rounds; median (min-max); ratios taken within each round")
    print(line("measure", [c.label for c in columns], "target", "result"))
    for _, label, cells, target, verdicts in rows:
        print(line(label, cells, target, " ".join(verdicts)))
    for col in columns:
        print(f"{col.label}: {col.python} ({col.version})"
              + (f"; Handler 0.4.0: {col.upstream}" if col.upstream else ""))
    print(f"missed: {len(missed)} target(s)" if missed else "all targets met")
    return missed


if __name__ == "__main__":
    sys.exit(main())
