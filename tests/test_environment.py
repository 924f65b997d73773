"""pyproject.toml is the source of truth; environment.yml must list the same packages with the same bounds."""

import re
import tomllib

import yaml

from bosetting_lib.config.paths import PROJECT_ROOT

_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    name, spec = _SPEC.match(requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = dict(_parse(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted.update(_parse(r) for r in extra)

    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge", "nodefaults"]
    listed: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            listed.update(_parse(r) for r in dep["pip"] if not r.startswith("-e"))
        else:
            listed.update([_parse(dep)])
    listed.pop("python"), listed.pop("pip")
    assert listed == wanted
