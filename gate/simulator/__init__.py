"""The bundled EPM simulator: a real HTTP server that plays Oracle EPM Cloud's job APIs."""

from gate.simulator.scenarios import Scenario, Step, builtin_scenarios, http, job
from gate.simulator.server import Clock, Simulator
from gate.simulator.serving import SimulatorServer

__all__ = [
    "Clock",
    "Scenario",
    "Simulator",
    "SimulatorServer",
    "Step",
    "builtin_scenarios",
    "http",
    "job",
]
