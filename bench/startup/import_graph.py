"""Which third-party packages each entry point imports, for one or two source trees.

For every scenario (``import loopml``, ``loopml --help``, a first run, a first model
load) a fresh interpreter runs it with the tree's ``src`` first on ``sys.path`` and
reports the top-level packages that appeared in ``sys.modules`` beyond the standard
library. Given two trees it prints what moved: packages a scenario no longer imports,
and packages it newly imports. Prints one JSON object; not a test.

    python bench/startup/import_graph.py --tree after=src [--tree before=/path/to/old/src]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

SCENARIOS = {
    "import loopml": "import loopml",
    "loopml --help": (
        "import sys; sys.argv=['loopml','--help']\n"
        "from loopml.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
    "first run (start, log_metric, end)": (
        "import loopml as lm\nwith lm.start_run():\n    lm.log_metric('m', 1.0)"
    ),
}

_PROBE = """
import sys
_before = set(sys.modules)
{body}
import json
std = set(sys.stdlib_module_names)
tops = sorted({{m.split('.')[0] for m in sys.modules}} - std - {{'loopml', '__main__'}})
tops = [t for t in tops if not t.startswith('_') and t != 'cython_runtime']
sys.__stdout__.write('\\nIMPORTS ' + json.dumps(tops) + '\\n')
"""


def third_party_imports(src: str, body: str) -> list[str]:
    """Return the third-party top-level packages imported by ``body`` run against ``src``."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PYTHONPATH": src, "LOOPML_HOME": os.path.join(home, ".loopml")}
        done = subprocess.run(
            [sys.executable, "-c", _PROBE.format(body=body)],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    for line in done.stdout.splitlines():
        if line.startswith("IMPORTS "):
            found: list[str] = json.loads(line[len("IMPORTS ") :])
            return found
    raise RuntimeError(f"probe failed for {src}: {done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", action="append", required=True, help="label=path/to/src")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree)
    report: dict[str, dict[str, object]] = {}
    for scenario, body in SCENARIOS.items():
        per_tree = {label: third_party_imports(src, body) for label, src in trees.items()}
        entry: dict[str, object] = {label: found for label, found in per_tree.items()}
        if {"before", "after"} <= per_tree.keys():
            entry["no_longer"] = sorted(set(per_tree["before"]) - set(per_tree["after"]))
            entry["newly"] = sorted(set(per_tree["after"]) - set(per_tree["before"]))
        report[scenario] = entry
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
