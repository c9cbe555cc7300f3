"""The performance targets of handler.py, measured side by side in one run (developer tool).

    python3 dev/bench.py [FILE] [--runs 10] [--python PY]... [--json] [--suite] [--strict]
                         [--upstream HANDLER]... | [--install-upstream DIR]

FILE is the handler.py to measure (default: the one beside dev/). Every time is a ratio to the
COMPILE FLOOR of that file, a process that only compiles it:
    PY -c "compile(open(FILE).read(), FILE, 'exec')"
Python compiles the main script on every run and never caches it, so no command of FILE can
start faster than that; the floor moves with the file's size (its AST node count).

For each interpreter (default: /usr/bin/python3 and the `python3` found on PATH, resolved
through shims such as pyenv's to the real executable) it reports:
  - --help, --version, session list (in a HANDLER_HOME holding 3 sessions): median wall / floor;
  - message send over http to the built-in agent (`handler.py server agent -q`, started here
    on a free 127.0.0.1 port and stopped at the end): median wall / floor, and its peak RSS /
    the floor's peak RSS;
  - the HTTP requests of a first send to the agent and of a second one (the agent now in the
    session, its card fresh), counted by a forwarding proxy in this process;
  - with Handler 0.4.0 (--upstream PATH-TO-ITS-handler, or --install-upstream DIR: a throwaway
    venv per interpreter under DIR, `pip install a2a-handler==0.4.0`; never a dependency of
    handler.py): its --version wall / handler.py's --version wall, and its --help, session
    list, message send and request counts beside ours;
  - with --suite: the wall time of `PY -m unittest test_handler` beside FILE.
Runs are paired and interleaved: each round runs the floor and then each command, for each
interpreter in turn, and a ratio is taken within its round (a drift of the machine's speed
moves both sides). Figures are medians over --runs rounds after one warm-up round, with
(min-max). Exit status 0; 1 with --strict when a target is missed; 2 when a command failed.
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
TIME = "/usr/bin/time"   # measures the peak RSS of its child (see run)
# The rows of the table: key, measure, target, the test of a value against the target
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
    ("suite", "unittest test_handler: wall", "<= 60 s", lambda v: v <= 60),
]


class CommandFailed(Exception):
    pass


# ---- running and measuring ----------------------------------------------------------------

def run(cmd, env, cwd):
    """(wall seconds, peak RSS in KiB) of one run of cmd, its output thrown away.
    The kernel counts a child's peak RSS from the pages of the process it was forked from, so
    through os.wait4 no child could read below this process's own peak (about 20 MiB, near the
    floor's). cmd therefore runs under /usr/bin/time, a 2 MiB process, when there is one; both
    sides of every ratio pay its 1 ms of wall time alike."""
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
        return wall, int(peak.read().split()[-1]) if wrap else usage.ru_maxrss


def count_nodes(file):
    """ast.walk's node count of file, taken in a child: the tree would grow this process."""
    code = ("import ast, sys; print(sum(1 for _ in ast.walk(ast.parse("
            "open(sys.argv[1], encoding='utf-8').read()))))")
    return int(subprocess.run([sys.executable, "-c", code, file], capture_output=True,
                              text=True, check=True).stdout)


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
    """A forwarding HTTP proxy to 127.0.0.1:target_port: (server, the list of requests seen).
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
            data = resp.read()   # a stream too: the agent ends it, and the proxy then relays it
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
    """(real executable, 'CPython 3.11.2') of an interpreter name. A pyenv shim is a shell
    script: timing through it would add the shim's own start-up to every figure."""
    found = shutil.which(python) or python
    code = ("import sys, platform; print(sys.executable); "
            "print(platform.python_implementation(), platform.python_version())")
    out = subprocess.run([found, "-c", code], capture_output=True, text=True, check=True)
    exe, version = out.stdout.splitlines()[:2]
    return exe, version


def install_upstream(directory, pythons):
    """A throwaway venv per interpreter under directory with Handler 0.4.0 in it (kept when it
    is there already); their `handler` executables, in the order of pythons."""
    paths, jobs = [], []
    for n, python in enumerate(pythons):
        venv = os.path.join(directory, f"venv{n}")
        paths.append(os.path.join(venv, "bin", "handler"))
        if os.path.exists(paths[-1]):
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


# ---- the samples of one interpreter ---------------------------------------------------------

def spread(values, unit):
    """'median (min-max)' of numbers, shown in ms, as a ratio (x) or in s."""
    if unit == "x":
        fmt, suffix = (lambda v: f"{v:.2f}"), "x"
    else:
        fmt, suffix = (lambda v: f"{v * (1000 if unit == 'ms' else 1):.1f}"), unit
    tail = f" ({fmt(min(values))}-{fmt(max(values))})" if len(values) > 1 else ""
    return f"{fmt(statistics.median(values))}{suffix}{tail}"


class Column:
    """One interpreter: its samples, then its figures (values) and their text (cells)."""

    def __init__(self, label, python, version, upstream):
        self.label, self.python, self.version, self.upstream = label, python, version, upstream
        self.samples = {}   # command key -> [(wall, rss)], one a round
        self.values = {}    # target key -> number
        self.cells = {}     # target key -> text
        self.broken = set()   # target keys whose command failed (a suite with failures)

    def put(self, key, value, cell):
        self.values[key], self.cells[key] = value, cell

    def walls(self, key):
        return [wall for wall, _ in self.samples[key]]

    def rss(self, key):
        return statistics.median(rss for _, rss in self.samples[key])

    def ratios(self, key, base="floor"):
        """key's wall / base's wall, round by round."""
        return [a / b for a, b in zip(self.walls(key), self.walls(base))]

    def summarise(self):
        self.put("floor", statistics.median(self.walls("floor")), spread(self.walls("floor"), "ms"))
        self.put("floor_rss", self.rss("floor"), f"{self.rss('floor') / 1024:.1f} MiB")
        for key in ("help", "version", "list", "send"):
            median_ms = statistics.median(self.walls(key)) * 1000
            self.put(key, statistics.median(self.ratios(key)),
                     f"{spread(self.ratios(key), 'x')} {median_ms:.0f}ms")
        ratio = self.rss("send") / self.rss("floor")
        self.put("send_rss", ratio, f"{ratio:.2f}x {self.rss('send') / 1024:.1f} MiB")
        if self.upstream:
            ratios = self.ratios("up_version", "version")
            self.put("up_ratio", statistics.median(ratios), spread(ratios, "x"))
            for key in ("up_version", "up_help", "up_list", "up_send"):
                self.put(key, statistics.median(self.walls(key)), spread(self.walls(key), "ms"))
            self.put("up_send_rss", self.rss("up_send"), f"{self.rss('up_send') / 1024:.1f} MiB")


# ---- the bench ----------------------------------------------------------------------------

def bench(file, columns, runs, top):
    """Fill the columns' samples and request counts; top is a scratch directory."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HANDLER_")}
    base.update(NO_PROXY="*", no_proxy="*")
    env = {**base, "HANDLER_HOME": os.path.join(top, "home")}
    up = os.path.join(top, "up")   # 0.4.0 keeps its sessions in the XDG data folder
    up_env = {**base, "HOME": up, "XDG_DATA_HOME": os.path.join(up, "data"),
              "XDG_CONFIG_HOME": os.path.join(up, "config"),
              "XDG_CACHE_HOME": os.path.join(up, "cache")}
    cwd = os.path.join(top, "cwd")   # where 0.4.0 would look for .handler/servers.toml
    for d in (env["HANDLER_HOME"], up, cwd):
        os.makedirs(d)
    port = free_port()
    agent = subprocess.Popen([columns[0].python, file, "server", "agent", "--port", str(port),
                              "-q"], env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    proxy = None
    try:
        wait_listening(port, agent)
        url = f"http://127.0.0.1:{port}"
        proxy, requests = counting_proxy(port)
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        ours = lambda py, target: [py, file, "message", "send", "--url", target, "hello"]
        theirs = lambda exe, target: [exe, "message", "send", "--url", target, "--text", "hello"]
        for n, col in enumerate(columns):   # a 1st and a 2nd send, from a fresh home
            homes = [("", ours(col.python, proxy_url),
                      {**env, "HANDLER_HOME": os.path.join(top, f"count{n}")})]
            if col.upstream:
                homes.append(("up_", theirs(col.upstream, proxy_url),
                              {**up_env, "XDG_DATA_HOME": os.path.join(top, f"upcount{n}")}))
            for prefix, cmd, cmd_env in homes:
                for i in (1, 2):
                    before = len(requests)
                    run(cmd, cmd_env, cwd)
                    count = len(requests) - before
                    col.put(f"{prefix}requests_{i}", count, str(count))
        for seed in (url, f"http://localhost:{port}", proxy_url):   # 3 sessions to list
            run(ours(columns[0].python, seed), env, cwd)
            if columns[0].upstream:
                run(theirs(columns[0].upstream, seed), up_env, cwd)
        floor = f"compile(open({file!r}).read(), {file!r}, 'exec')"
        for r in range(runs + 1):   # round 0 is the warm-up
            for col in (columns if r % 2 else columns[::-1]):
                py, exe = col.python, col.upstream
                cmds = [("floor", [py, "-c", floor], env), ("help", [py, file, "--help"], env),
                        ("version", [py, file, "--version"], env),
                        ("list", [py, file, "session", "list"], env),
                        ("send", ours(py, url), env)]
                if exe:
                    cmds += [("up_version", [exe, "--version"], up_env),
                             ("up_help", [exe, "--help"], up_env),
                             ("up_list", [exe, "session", "list"], up_env),
                             ("up_send", theirs(exe, url), up_env)]
                for key, cmd, cmd_env in cmds:
                    sample = run(cmd, cmd_env, cwd)
                    if r:
                        col.samples.setdefault(key, []).append(sample)
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


def time_suite(file, col):
    """`python -m unittest test_handler` beside file, once, with col's interpreter."""
    here = os.path.dirname(file)
    if not os.path.exists(os.path.join(here, "test_handler.py")):
        return
    print(f"running the suite with {col.python} ...", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDLER_")}
    start = time.perf_counter()
    done = subprocess.run([col.python, "-m", "unittest", "test_handler"], cwd=here, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    last = (done.stderr.strip().splitlines() or ["?"])[-1]
    col.put("suite", wall, f"{wall:.1f} s ({last if done.returncode == 0 else 'FAILED'})")
    if done.returncode:
        col.broken.add("suite")


def report(file, columns, runs, as_json):
    """Print the table (or JSON); the list of missed targets."""
    rows, missed = [], []
    for key, measure, target, test in TARGETS:
        if not any(key in col.cells for col in columns):
            continue
        verdicts = []
        for col in columns:
            if test and key in col.values:
                ok = test(col.values[key]) and key not in col.broken
                verdicts.append("pass" if ok else "FAIL")
                if verdicts[-1] == "FAIL":
                    missed.append(f"{measure} with {col.label}")
        rows.append((key, measure, [col.cells.get(key, "-") for col in columns], target, verdicts))
    if as_json:
        interpreters = [{"label": c.label, "executable": c.python, "version": c.version,
                         "upstream": c.upstream, "values": c.values, "samples": c.samples}
                        for c in columns]
        targets = [{"key": k, "measure": m, "target": t, "cells": cells, "verdicts": v}
                   for k, m, cells, t, v in rows]
        print(json.dumps({"file": file, "runs": runs, "interpreters": interpreters,
                          "targets": targets, "missed": missed}, indent=1))
        return missed
    widths = [max(len(col.label), *(len(row[2][i]) for row in rows))
              for i, col in enumerate(columns)]

    def line(measure, cells, target, result):
        cells = [f"{cell:{width}}" for cell, width in zip(cells, widths)]
        return "  ".join([f"{measure:38}", *cells, f"{target:9}", result]).rstrip()

    print(f"{file}: {runs} paired rounds; median (min-max); ratios taken within each round")
    print(line("measure", [col.label for col in columns], "target", "result"))
    for _, measure, cells, target, verdicts in rows:
        print(line(measure, cells, target, " ".join(verdicts)))
    for col in columns:
        print(f"{col.label}: {col.python} ({col.version})"
              + (f"; Handler 0.4.0: {col.upstream}" if col.upstream else ""))
    print(f"missed: {len(missed)} target(s)" if missed else "all targets met")
    return missed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=os.path.join(ROOT, "handler.py"))
    parser.add_argument("--runs", type=int, default=10, help="measured rounds (default 10)")
    parser.add_argument("--python", action="append",
                        help="an interpreter (repeatable; default /usr/bin/python3 and python3)")
    parser.add_argument("--upstream", action="append", default=[], metavar="HANDLER",
                        help="Handler 0.4.0's `handler` executable, once for all interpreters or "
                             "once per --python, in order ($HANDLER_UPSTREAM, ':'-separated)")
    parser.add_argument("--install-upstream", metavar="DIR",
                        help=f"first create throwaway venvs in DIR with {UPSTREAM}, one per "
                             "interpreter (kept for the next run when they are there)")
    parser.add_argument("--suite", action="store_true", help="also time the unittest suite")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    file = os.path.abspath(args.file)
    if not os.path.isfile(file):
        parser.error(f"no such file: {file}")
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    pythons = {}   # real executable -> (name, version), in order
    for name in args.python or ["/usr/bin/python3", "python3"]:
        exe, version = resolve(name)
        pythons.setdefault(exe, (name, version))
    upstream = args.upstream or [p for p in os.environ.get("HANDLER_UPSTREAM", "").split(":") if p]
    if args.install_upstream:
        upstream = install_upstream(os.path.abspath(args.install_upstream), list(pythons))
    if len(upstream) == 1:
        upstream *= len(pythons)
    if upstream and len(upstream) != len(pythons):
        parser.error("give --upstream once, or once per interpreter")
    columns = [Column(f"{name} ({version.split()[-1]})", exe, version,
                      upstream[n] if upstream else None)
               for n, (exe, (name, version)) in enumerate(pythons.items())]
    top = tempfile.mkdtemp(prefix="handler-bench-")
    try:
        nodes = count_nodes(file)
        bench(file, columns, args.runs, top)
        for col in columns:
            col.put("nodes", nodes, f"{nodes:,}")
            col.summarise()
            if args.suite:
                time_suite(file, col)
    except CommandFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(top, ignore_errors=True)
    missed = report(file, columns, args.runs, args.json)
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
