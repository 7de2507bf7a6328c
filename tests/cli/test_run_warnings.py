"""What `pacore solve` warns about reaches `--json` too, and statements are read as written.

The console script, the scripted model server and the local sandbox (the case the warning
is about): numbered sample headings (`## 1. Sample Input 1`) are samples, a block that looks
like a sample but is not used is named, and every warning printed on stderr (the local
sandbox's isolation, a settings typo, an unpaired block) is in the JSON's `warnings`.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import clean_env, pacore
from tests.support import ScriptedServer

TWICE = """# Twice

Read an integer n and print 2n.

## 1. Sample Input 1

```
3
```

## 2. Sample Output 1

```
6
```

**Sample Input 2**

```
5
```

**Sample Output 2**

```
10
```

## Sample Input 3

```
7
```
"""
DOUBLE = "Double it.\n\n```python\nprint(2 * int(input()))\n```\n"


def test_numbered_samples_and_every_warning_in_json(tmp_path: Path) -> None:
    (tmp_path / "twice.md").write_text(TWICE)
    (tmp_path / "pyproject.toml").write_text("[tool.pacore.limits]\ntimout_s = 3\n")
    with ScriptedServer(DOUBLE) as srv:
        out = pacore(["solve", "twice.md", "--rounds", "1", "--base-url", srv.base_url,
                      "--model", srv.model, "--sandbox", "local", "--json"], cwd=tmp_path,
                     env=clean_env())
        prompt = srv.chat_requests[0]["messages"][-1]["content"]
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    # both samples are used: the numbered headings' pair and the bold one
    assert (obj["verification"]["passed"], obj["verification"]["total"]) == (2, 2), obj
    assert "Sample Input 2" in prompt  # the statement itself is shown as written
    unpaired = ("twice.md: the fenced block at line 31 under '## Sample Input 3' is not used as "
                "a sample (an input block with no output block after it)")
    typo = (f"{tmp_path}/pyproject.toml [tool.pacore.limits] timout_s: unknown setting (ignored); "
            "did you mean timeout_s?")
    isolation = "local sandbox: candidates run as host processes"
    for expected in (unpaired, typo, isolation):
        assert expected in out.stderr, out.stderr
        found = [w for w in obj["warnings"] if expected in w]
        assert len(found) == 1, (expected, obj["warnings"])
    for line in out.stderr.splitlines():  # every warning printed is in the JSON, once
        if line.startswith("pacore: warning: "):
            assert line.removeprefix("pacore: warning: ") in obj["warnings"], line
    assert len(obj["warnings"]) == len(set(obj["warnings"]))


def test_warnings_in_the_json_of_a_refused_run(tmp_path: Path) -> None:
    (tmp_path / "twice.md").write_text(TWICE)
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\ncolour = 1\n")
    out = pacore(["solve", "twice.md", "--rounds", "0", "--json"], cwd=tmp_path, env=clean_env())
    assert out.code == 2, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == "error" and "--rounds" in obj["error"]
    assert [w for w in obj["warnings"] if "[tool.pacore] colour: unknown setting" in w], obj
