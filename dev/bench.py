"""Start-up, round-trip and memory benchmark for handler.py (developer tool, stdlib only).

    python3 dev/bench.py [--runs 20] [--python python3]

Prints, for each command, the median and best wall time over --runs runs and the peak RSS of
one run, against the targets of the core issue: --help and session list within 1.5x a bare
`python -c pass`, message send to the local built-in agent under 100 ms, peak memory under
25 MiB. Exits 1 when a target is missed.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDLER = os.path.join(ROOT, "handler.py")


def run(cmd, env):
    """(wall seconds, peak RSS in KiB) of one run of cmd."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)} (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_maxrss


def measure(cmd, env, runs):
    samples = [run(cmd, env) for _ in range(runs)]
    walls = [w for w, _ in samples]
    return statistics.median(walls), min(walls), max(rss for _, rss in samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="handler-bench-")
    env = {**os.environ, "HANDLER_HOME": home, "NO_PROXY": "*", "no_proxy": "*"}
    with socket.socket() as sock:   # -q prints no banner to read the port from: choose it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    agent = subprocess.Popen([args.python, HANDLER, "server", "agent", "--port", str(port), "-q"], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):   # until it listens (at most 10 s)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        py = args.python
        rows = [
            ("python -c pass", [py, "-c", "pass"]),
            ("handler.py --help", [py, HANDLER, "--help"]),
            ("handler.py --version", [py, HANDLER, "--version"]),
            ("handler.py session list", [py, HANDLER, "session", "list"]),
            ("handler.py message send", [py, HANDLER, "message", "send", "--url", url, "hello"]),
        ]
        results = {name: measure(cmd, env, args.runs) for name, cmd in rows}
    finally:
        agent.terminate()
        agent.wait(10)
        shutil.rmtree(home, ignore_errors=True)
    bare = results["python -c pass"][0]
    print(f"{'command':28} {'median':>9} {'best':>9} {'x bare':>7} {'peak RSS':>10}")
    failed = []
    for name, (median, best, rss) in results.items():
        print(f"{name:28} {median * 1000:7.1f}ms {best * 1000:7.1f}ms {median / bare:6.2f}x {rss / 1024:7.1f}MiB")
        if name in ("handler.py --help", "handler.py session list") and median > 1.5 * bare:
            failed.append(f"{name} takes {median / bare:.2f}x a bare interpreter (target 1.5x)")
        if name == "handler.py message send" and median > 0.100:
            failed.append(f"{name} takes {median * 1000:.0f} ms (target 100 ms)")
        if name != "python -c pass" and rss > 25 * 1024:
            failed.append(f"{name} peaks at {rss / 1024:.1f} MiB (target 25 MiB)")
    for line in failed:
        print(f"MISSED: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
