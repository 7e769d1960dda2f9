"""Which CI system runs the gate, and the URL of the CI job."""

from __future__ import annotations

from collections.abc import Mapping

PLATFORMS = ("github", "gitlab", "jenkins", "none")


def detect_platform(env: Mapping[str, str], override: str | None = None) -> str:
    """Return ``github``, ``gitlab``, ``jenkins`` or ``none``; ``EPM_CI`` overrides."""
    if override in PLATFORMS:
        return str(override)
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    if env.get("JENKINS_URL") or env.get("BUILD_URL"):
        return "jenkins"
    return "none"


def run_url(platform: str, env: Mapping[str, str]) -> str | None:
    """Return the web address of the running CI job, when the platform states it."""
    if platform == "github":
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        repository, run_id = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
        if repository and run_id:
            url = f"{server}/{repository}/actions/runs/{run_id}"
            attempt = env.get("GITHUB_RUN_ATTEMPT")
            return f"{url}/attempts/{attempt}" if attempt else url
        return None
    if platform == "gitlab":
        return env.get("CI_JOB_URL")
    if platform == "jenkins":
        return env.get("BUILD_URL")
    return None
