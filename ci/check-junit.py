#!/usr/bin/env python3
"""Checks a conformance run's JUnit report against the run's own console output.

usage: check-junit.py REPORT.xml CONSOLE.log

Every scenario run is a test case of the scenario the console shows: the ones that ran passed (with --retry, a run's
attempts are test cases of one name, and its last attempt counts), the ones the run left
out are <skipped/> and say why in their output, and the counts agree with the summary
lines ("N scenario run(s) on the ... backend", "N scenario run(s) ... not run (skipped)").
A run in which nothing ran, or that ended FAILED, fails the check.
Exits non-zero with what disagrees.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree


def outcome(case):
    if case.find("skipped") is not None:
        return "skipped"
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    return "passed"


def main(report_path, console_path):
    try:
        suites = ElementTree.parse(report_path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        print(f"JUnit report {report_path}: not a JUnit document ({error}); did the run start?")
        return 1
    last = {}  # test case name -> outcome of its last attempt
    for suite in suites:
        for case in suite:
            last[case.get("name")] = (outcome(case), case)
    ran = [name for name, (result, _) in last.items() if result != "skipped"]
    failed = [name for name, (result, _) in last.items() if result == "failed"]
    skipped = [case for result, case in last.values() if result == "skipped"]
    try:
        with open(console_path, encoding="utf-8", errors="replace") as file:
            console = file.read()
    except OSError as error:
        print(f"console output {console_path}: cannot be read ({error})")
        return 1
    summary = re.search(r"^conformance: (\d+) scenario run\(s\) on the \w+ backend", console, re.M)
    not_run = sum(int(n) for n in re.findall(r"^conformance: (\d+) scenario run\(s\).* not run \(skipped\)", console, re.M))
    problems = []
    if re.search(r"^conformance: FAILED", console, re.M):
        problems.append("the run ended FAILED")
    if failed:
        problems.append(f"{len(failed)} failed test case(s), e.g. {failed[0]}")
    if not ran:
        problems.append("no test case ran")
    if summary is None:
        problems.append("the console output has no 'scenario run(s) on the ... backend' line")
    elif len(ran) != int(summary.group(1)):
        problems.append(f"{len(ran)} test cases ran, the summary says {summary.group(1)}")
    # The scenarios the console shows ("  Scenario: <name> [mode]", or Scenario Outline,
    # Example) are the report's ("[Rule: <rule>: ]Scenario: <name> [mode]: <path>:<l>:<c>").
    keyword = r"(?:Scenario|Example)(?: Outline)?: "
    shown = {
        re.sub(r" \| Retry attempt: \d+/\d+$", "", re.sub("^" + keyword, "", line.strip()))
        for line in console.splitlines()
        if re.match(r"^\s+" + keyword, line)
    }
    reported = {re.sub(r"^(?:Rule: .*?: )?" + keyword, "", name.rsplit(": ", 1)[0]) for name in last}
    if shown != reported:
        missing = sorted(reported - shown) or sorted(shown - reported)
        problems.append(f"the report and the console name different scenarios, e.g. {missing[0]!r}")
    if len(skipped) != not_run:
        problems.append(f"{len(skipped)} skipped test cases, the summary names {not_run} left out")
    for case in skipped:
        if "this run leaves the scenario out" not in (case.findtext("system-out") or ""):
            problems.append(f"skipped test case without its reason: {case.get('name')}")
            break
    if problems:
        print(f"JUnit report {report_path}: " + "; ".join(problems))
        return 1
    print(f"JUnit report {report_path}: {len(last)} scenario runs, {len(ran)} passed, {len(skipped)} skipped with their reason")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
