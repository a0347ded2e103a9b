#!/usr/bin/env python3
"""Checks a conformance run's JUnit report against the run's own console output.

usage: check-junit.py REPORT.xml CONSOLE.log

Every scenario run is a test case: the ones that ran pass, the ones the run left out are
<skipped/> and say why in their output, and the counts agree with the summary lines
("N scenario run(s) on the ... backend", "N scenario run(s) ... not run (skipped)").
Exits non-zero with the first disagreement.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree


def main(report_path, console_path):
    cases = [case for suite in ElementTree.parse(report_path).getroot() for case in suite]
    skipped = [case for case in cases if case.find("skipped") is not None]
    failed = [case for case in cases if case.find("failure") is not None or case.find("error") is not None]
    console = open(console_path, encoding="utf-8").read()
    ran = re.search(r"^conformance: (\d+) scenario run\(s\) on the \w+ backend", console, re.M)
    not_run = sum(int(n) for n in re.findall(r"^conformance: (\d+) scenario run\(s\).* not run \(skipped\)", console, re.M))
    problems = []
    if failed:
        problems.append(f"{len(failed)} failed test case(s), e.g. {failed[0].get('name')}")
    if ran is None:
        problems.append("the console output has no 'scenario run(s) on the ... backend' line")
    elif len(cases) - len(skipped) != int(ran.group(1)):
        problems.append(f"{len(cases) - len(skipped)} test cases ran, the summary says {ran.group(1)}")
    if len(skipped) != not_run:
        problems.append(f"{len(skipped)} skipped test cases, the summary names {not_run} left out")
    for case in skipped:
        output = case.findtext("system-out") or ""
        if "this run leaves the scenario out" not in output:
            problems.append(f"skipped test case without its reason: {case.get('name')}")
            break
    if problems:
        print("JUnit report " + report_path + ": " + "; ".join(problems))
        return 1
    print(f"JUnit report {report_path}: {len(cases)} test cases, {len(cases) - len(skipped)} passed, {len(skipped)} skipped with their reason")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
