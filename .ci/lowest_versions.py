"""Print, one a line, the lowest version of each runtime dependency that pyproject.toml declares.

``name>=X`` becomes ``name==X``; boto3 (the tests' reference client) is pinned to botocore's
version, since each boto3 release requires its own botocore.
"""

import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
for requirement in project["dependencies"]:
    name, _, version = requirement.partition(">=")
    print(f"{name}=={version}")
    if name == "botocore":
        print(f"boto3=={version}")
