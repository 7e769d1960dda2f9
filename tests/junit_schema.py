"""A structural validator for the JUnit XML subset that GitLab, Jenkins and GitHub reporters read.

JUnit XML has no official schema. This follows the common subset described at
https://github.com/testmoapp/junitxml and the Ant-derived schema the Jenkins junit
plugin accepts: a ``testsuites`` root, ``testsuite`` children with the count and time
attributes, ``testcase`` elements with ``classname``, ``name`` and ``time``, at most one
``failure``, ``error`` or ``skipped`` child (with ``type`` and ``message``), then
``system-out`` and ``system-err`` in that order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

COUNT_ATTRIBUTES = ("tests", "failures", "errors", "skipped")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
_INTEGER = re.compile(r"^\d+$")
# Ant's schema types the timestamp as an ISO 8601 date and time without a zone.
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
_RESULT_TAGS = ("failure", "error", "skipped")
_CASE_CHILD_ORDER = {"failure": 0, "error": 0, "skipped": 0, "system-out": 1, "system-err": 2}


def junit_problems(document: str) -> list[str]:
    """Return every way the document leaves the subset; an empty list means it is valid."""
    if not document.startswith('<?xml version="1.0" encoding="UTF-8"?>'):
        return ["missing the UTF-8 XML declaration"]
    if "\x1b" in document:
        return ["contains an ANSI escape character"]
    try:
        root = ET.fromstring(document.encode("utf-8"))  # noqa: S314 - the gate's own report
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != "testsuites":
        return [f"root element is <{root.tag}>, expected <testsuites>"]

    problems = _check_counts(root, "testsuites")
    suites = list(root)
    if not suites or any(suite.tag != "testsuite" for suite in suites):
        problems.append("<testsuites> must contain only <testsuite> elements")
    totals = dict.fromkeys(COUNT_ATTRIBUTES, 0)
    for suite in suites:
        problems += _check_suite(suite, totals)
    for name, total in totals.items():
        if root.get(name) != str(total):
            problems.append(
                f"<testsuites {name}> is {root.get(name)!r}, the cases add up to {total}"
            )
    return problems


def _check_counts(element: ET.Element, where: str) -> list[str]:
    problems = []
    for name in COUNT_ATTRIBUTES:
        value = element.get(name)
        if value is None or not _INTEGER.match(value):
            problems.append(f"<{where}> needs a non-negative integer {name}, got {value!r}")
    time = element.get("time")
    if time is None or not _DECIMAL.match(time):
        problems.append(f"<{where}> needs a decimal time in seconds, got {time!r}")
    return problems


def _check_suite(suite: ET.Element, totals: dict[str, int]) -> list[str]:
    problems = _check_counts(suite, "testsuite")
    if not suite.get("name"):
        problems.append("<testsuite> needs a name")
    timestamp = suite.get("timestamp")
    if timestamp is not None and not _TIMESTAMP.match(timestamp):
        problems.append(f"<testsuite timestamp> {timestamp!r} is not YYYY-MM-DDTHH:MM:SS")
    counts = dict.fromkeys(COUNT_ATTRIBUTES, 0)
    for case in suite:
        if case.tag != "testcase":
            problems.append(f"<testsuite> contains <{case.tag}>; only <testcase> is read")
            continue
        counts["tests"] += 1
        problems += _check_case(case, counts)
    for name, count in counts.items():
        totals[name] += count
        if suite.get(name) != str(count):
            problems.append(f"<testsuite {name}> is {suite.get(name)!r}, its cases give {count}")
    return problems


def _check_case(case: ET.Element, counts: dict[str, int]) -> list[str]:
    problems = []
    for name in ("classname", "name"):
        if not case.get(name):
            problems.append(f"<testcase> needs a non-empty {name}")
    time = case.get("time")
    if time is None or not _DECIMAL.match(time):
        problems.append(f"<testcase> needs a decimal time, got {time!r}")
    order = -1
    results = 0
    for child in case:
        rank = _CASE_CHILD_ORDER.get(child.tag)
        if rank is None:
            problems.append(f"<testcase> contains <{child.tag}>")
            continue
        if rank < order:
            problems.append(f"<{child.tag}> is out of order in <testcase>")
        order = rank
        if child.tag in _RESULT_TAGS:
            results += 1
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[child.tag]] += 1
            if child.tag != "skipped" and not (child.get("type") and child.get("message")):
                problems.append(f"<{child.tag}> needs type and message attributes")
    if results > 1:
        problems.append("<testcase> has more than one failure, error or skipped child")
    return problems
