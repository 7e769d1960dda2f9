"""``epm-gate demo`` and ``epm-gate simulate``: the simulator for people trying the gate."""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import subprocess
import sys
import threading
from types import FrameType

from gate.simulator.planning_scripts import builtin_planning_scripts
from gate.simulator.scenarios import builtin_scenarios
from gate.simulator.server import Simulator
from gate.simulator.serving import SimulatorServer

DEMO_USER = "demo_user"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a throwaway credential of the local simulator

# CI variables that would make the demo write into the real job's outputs.
_CI_FILES = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_STATE")


def run_demo(argv: list[str]) -> int:
    """Start the simulator on a free loopback port and run a real gate against it."""
    parser = argparse.ArgumentParser(
        prog="epm-gate demo",
        description="Run a complete gate against the bundled EPM simulator (a job that "
        "succeeds after a few status requests).",
    )
    parser.add_argument(
        "--scenario",
        default="success",
        choices=sorted(builtin_scenarios()),
        help="job behaviour to play (default: success)",
    )
    options = parser.parse_args(argv)
    scenario = builtin_scenarios()[options.scenario]
    server = SimulatorServer(Simulator(scenario, user=DEMO_USER, password=DEMO_PASSWORD)).start()
    print(f"EPM simulator listening at {server.url} (scenario: {scenario.name})", file=sys.stderr)
    env = {key: value for key, value in os.environ.items() if not key.startswith("EPM_")}
    for name in _CI_FILES:
        env.pop(name, None)
    env.update(
        {
            "EPM_URL": server.url,
            "EPM_USERNAME": DEMO_USER,
            "EPM_PASSWORD": DEMO_PASSWORD,
            "EPM_JOB_NAME": "GL_ACTUALS",
            "EPM_PERIOD_NAME": "{Apr-26}",
            "EPM_IMPORT_MODE": "Replace",
            "EPM_EXPORT_MODE": "Merge",
            "EPM_POLL_INTERVAL": "0.5",
            "EPM_POLL_MAX_INTERVAL": "1",
            "EPM_TIMEOUT": "60",
            "EPM_CI": "none",
        }
    )
    print(
        "running: epm-gate with EPM_URL, EPM_USERNAME, EPM_PASSWORD and EPM_JOB_NAME=GL_ACTUALS",
        file=sys.stderr,
    )
    try:
        completed = subprocess.run([sys.executable, "-m", "gate"], env=env, check=False)
    finally:
        server.stop()
    return completed.returncode


def run_simulator(argv: list[str]) -> int:
    """Serve the simulator in the foreground; print its base URL on the first stdout line."""
    parser = argparse.ArgumentParser(
        prog="epm-gate simulate",
        description="Serve the EPM simulator. A job named after a scenario plays it "
        f"({', '.join(sorted(builtin_scenarios()))}); any other job succeeds. The "
        "Planning jobs API serves application Vision; there any other job plays its job "
        f"type ({', '.join(sorted(builtin_planning_scripts()))}; others run as RULES).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument("--user", default="ci_bot", help="Basic auth user the simulator accepts")
    parser.add_argument(
        "--password", default="example-pass", help="Basic auth password the simulator accepts"
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(builtin_scenarios()),
        help="play this scenario for every job instead of choosing by job name",
    )
    parser.add_argument(
        "--certfile", help="PEM certificate chain; with it the simulator serves HTTPS"
    )
    parser.add_argument("--keyfile", help="PEM private key of --certfile (default: in certfile)")
    options = parser.parse_args(argv)
    scenario = builtin_scenarios()[options.scenario] if options.scenario else None
    simulator = Simulator(scenario, user=options.user, password=options.password)
    context = None
    if options.certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(options.certfile, options.keyfile)
        except (OSError, ssl.SSLError) as exc:
            print(f"error: cannot load --certfile/--keyfile: {exc}", file=sys.stderr)
            return 2
    elif options.keyfile:
        print("error: --keyfile needs --certfile", file=sys.stderr)
        return 2
    try:
        server = SimulatorServer(simulator, options.host, options.port, ssl_context=context)
    except OSError as exc:
        print(
            f"error: cannot listen on {options.host}:{options.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    print(server.url, flush=True)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    server.start()
    stop.wait()
    server.stop()
    return 0
