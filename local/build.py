"""`python -m local.build` (what `make build` runs): the layers' dependencies installed as `sam build` installs them.

Why: on Lambda a handler imports from its own code, the layers (/opt/python) and the runtime's own packages
(boto3), nothing else. The local cloud runs every handler on exactly that path (local.lambdas), so a
dependency missing from a layer's requirements.txt fails here as it would after `sam deploy`, instead of
being found in the development venv.

What it builds, under ``out/build/``, from template.yaml (no second list):

- ``<LayerLogicalId>/python``: each ``AWS::Serverless::LayerVersion`` whose ``Metadata.BuildMethod`` is a
  Python runtime or ``makefile`` (its Makefile installs its requirements.txt for Lambda's platform and compiles
  them) gets ``pip install -r <ContentUri>/requirements.txt --target`` into a clean folder (no dev
  packages). The layer's own code stays in its ContentUri: sam build copies it, so edits there need no
  rebuild. Functions whose CodeUri has a requirements.txt with requirements get the same under
  ``<FunctionLogicalId>/``.
- ``runtime/``: boto3 (with botocore, s3transfer...), standing in for the packages of Lambda's Python runtime.

Each target records the hash of what it was built from; the local cloud refuses to start on a stale build.
The wheels are the ones for this machine's Python, not Lambda's (python3.12 on arm64): `sam build
--use-container`, or CI's no-container `sam build` on python3.12, checks those, with ``--check-imports``:
every handler imports from that build alone, and compiles nothing of its layers (Lambda cannot write bytecode
to /opt, so a layer shipped without it compiles every module at every cold start).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from local.stack import FunctionSpec, Stack
from local.template import load_template, resources_with_globals

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = PROJECT_ROOT / "out" / "build"
RUNTIME_REQUIREMENTS = "boto3\n"
"""What Lambda's Python runtime brings besides the standard library (boto3 and its dependencies)."""
_STAMP = ".built-from"


class BuildOutdated(RuntimeError):
    """The build is missing or older than the requirements it was built from."""


@dataclass(frozen=True)
class Target:
    """One folder of installed packages and the requirements it is built from."""

    name: str  # a template logical id, or "runtime"
    requirements: str  # the requirements file's text
    is_layer: bool = False

    def directory(self, build_dir: Path) -> Path:
        """Where the packages go: a layer's under python/ (as /opt/python), others at the top."""
        return build_dir / self.name / "python" if self.is_layer else build_dir / self.name

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.requirements.encode()).hexdigest()

    def is_current(self, build_dir: Path) -> bool:
        stamp = build_dir / self.name / _STAMP
        return stamp.is_file() and stamp.read_text().strip() == self.digest


def _has_requirements(text: str) -> bool:
    return any(line.split("#", 1)[0].strip() for line in text.splitlines())


def targets(template_path: Path) -> Iterator[Target]:
    """What the template needs built: layers with a Python BuildMethod, functions with requirements."""
    root = template_path.parent
    yield Target("runtime", RUNTIME_REQUIREMENTS)
    for logical_id, resource in resources_with_globals(load_template(template_path)).items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            method = str((resource.get("Metadata") or {}).get("BuildMethod", ""))
            uri = props.get("ContentUri")
            # makefile: the layer's Makefile installs its requirements.txt for Lambda's platform and compiles them
            # (sam build); here the same requirements are installed for this machine
            python_layer = method.startswith("python") or method == "makefile"
            if python_layer and isinstance(uri, str) and (root / uri / "requirements.txt").is_file():
                yield Target(logical_id, (root / uri / "requirements.txt").read_text(), is_layer=True)
        elif resource.get("Type") == "AWS::Serverless::Function":
            uri = props.get("CodeUri")
            requirements = root / uri / "requirements.txt" if isinstance(uri, str) else None
            if requirements and requirements.is_file() and _has_requirements(requirements.read_text()):
                yield Target(logical_id, requirements.read_text())


def build(template_path: Path, build_dir: Path = BUILD_DIR, *, force: bool = False) -> list[str]:
    """Install every out-of-date target into a clean folder; returns the names built."""
    built = []
    for target in targets(template_path):
        if not force and target.is_current(build_dir):
            continue
        folder = build_dir / target.name
        shutil.rmtree(folder, ignore_errors=True)
        destination = target.directory(build_dir)
        destination.mkdir(parents=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
            # Requirements resolve relative to the file they come from (-r lines): write a copy that has none.
            requirements.write(target.requirements)
            requirements.flush()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-compile",
                    "--no-warn-conflicts",
                    "--target",
                    str(destination),
                    "-r",
                    requirements.name,
                ],
                check=True,
                cwd=template_path.parent,
            )
        (folder / _STAMP).write_text(target.digest + "\n")
        built.append(target.name)
    return built


def check(template_path: Path, build_dir: Path = BUILD_DIR) -> None:
    """Raise BuildOutdated unless every target is built from the requirements as they are now."""
    stale = [t.name for t in targets(template_path) if not t.is_current(build_dir)]
    if stale:
        raise BuildOutdated(
            f"the build in {build_dir} is missing or out of date for {', '.join(stale)}: run `make build`"
        )


def function_path(
    stack: Stack, spec: FunctionSpec, build_dir: Path = BUILD_DIR
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """A function's import path as on Lambda: its own (the code, /var/task, with its dependencies), then the
    shared part (each layer, /opt/python, then the runtime's packages).

    The folders a build did not make (a layer without requirements, a function without any) are left out.
    """
    own = [spec.code_dir]
    if (build_dir / spec.logical_id).is_dir():
        own.append(build_dir / spec.logical_id)
    path: list[Path] = []
    for arn in spec.layers:
        layer = stack.layers.get(arn)
        if layer is None:
            raise BuildOutdated(f"{spec.logical_id}: layer {arn} is not one of the template's")
        path.append(layer.content_dir)
        if (build_dir / layer.logical_id / "python").is_dir():
            path.append(build_dir / layer.logical_id / "python")
    path.append(build_dir / "runtime")
    return tuple(own), tuple(path)


@dataclass(frozen=True)
class DeployedFunction:
    """A template function as Lambda would run it: its handler and its import path."""

    logical_id: str
    handler: str
    code_dir: Path
    python_path: tuple[Path, ...]


def deployed_functions(template_path: Path, build_dir: Path = BUILD_DIR) -> list[DeployedFunction]:
    """Every function of the template with the import path the local cloud gives it, read from the template alone.

    Layers are followed through ``Ref`` to the template's own LayerVersions (the only kind Telar uses).
    """
    root = template_path.parent
    resources = resources_with_globals(load_template(template_path))
    functions = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        code_dir = (root / props["CodeUri"]).resolve()
        path = [code_dir]
        if (build_dir / logical_id).is_dir():
            path.append(build_dir / logical_id)
        for layer in props.get("Layers") or ():
            layer_id = layer.get("Ref") if isinstance(layer, dict) else None
            if layer_id not in resources:
                raise BuildOutdated(f"{logical_id}: layer {layer!r} is not a LayerVersion of this template")
            content = (root / resources[layer_id]["Properties"]["ContentUri"]).resolve()
            path.append(content / "python" if (content / "python").is_dir() else content)
            if (build_dir / layer_id / "python").is_dir():
                path.append(build_dir / layer_id / "python")
        path.append(build_dir / "runtime")
        functions.append(DeployedFunction(logical_id, str(props["Handler"]), code_dir, tuple(path)))
    return functions


IMPORT_CHECK = """
import importlib, os, sys
sys.path[:0] = sys.argv[3:]
layers = tuple(os.path.join(p, "") for p in sys.argv[4:])  # the path after the function's own code
compiled = []
if sys.argv[2] == "forbid":
    sys.addaudithook(lambda event, args: event == "compile" and str(args[1]).startswith(layers)
                     and compiled.append(str(args[1])))
module, _, name = sys.argv[1].rpartition(".")
getattr(importlib.import_module(module), name)
if compiled:
    sys.exit(f"compiled {len(compiled)} module(s) of its layers at import, e.g. {compiled[0]}: no bytecode shipped")
"""
"""Imports a handler as Lambda's Python runtime does, in ``python -I -S`` (no site-packages, no PYTHON* variables).

With ``forbid``, in ``-B`` (/opt is read-only on Lambda) it also fails when a module of the path after the
function's own folder (its layers, the runtime's packages) had to be compiled from source: its bytecode was
missing or out of date.
"""


def import_handler(
    handler: str, python_path: Iterable[Path], cwd: Path, python: str = sys.executable, *, compiled: bool = False
) -> subprocess.CompletedProcess[str]:
    """Import ``handler`` in a fresh interpreter whose path holds only ``python_path`` and the standard library.

    ``compiled``: fail when a module beyond the first folder of ``python_path`` (the function's own code) is
    compiled on import rather than loaded from the bytecode shipped with it.
    """
    flags = ["-B"] if compiled else []
    return subprocess.run(
        [python, "-I", "-S", *flags, "-c", IMPORT_CHECK, handler, "forbid" if compiled else "-"]
        + [str(p) for p in python_path],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def sam_built_functions(template_path: Path, sam_build_dir: Path) -> list[DeployedFunction]:
    """Every function of the template as `sam build` laid it out: <dir>/<Function>, then <dir>/<Layer>/python."""
    functions = []
    for function in deployed_functions(template_path):
        resource = resources_with_globals(load_template(template_path))[function.logical_id]
        layers = [
            layer["Ref"]
            for layer in (resource.get("Properties") or {}).get("Layers") or ()
            if isinstance(layer, dict) and "Ref" in layer
        ]
        path = (sam_build_dir / function.logical_id, *(sam_build_dir / layer / "python" for layer in layers))
        functions.append(DeployedFunction(function.logical_id, function.handler, path[0], path))
    return functions


def check_imports(functions: Iterable[DeployedFunction], python: str = sys.executable) -> list[str]:
    """The functions whose handler does not import on their own path, or compiles a module of its layers there,
    each with the error's last line."""
    failed = []
    for function in functions:
        result = import_handler(function.handler, function.python_path, function.code_dir, python, compiled=True)
        if result.returncode != 0:
            failed.append(f"{function.logical_id}: {(result.stderr.strip().splitlines() or ['?'])[-1]}")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--template", type=Path, default=PROJECT_ROOT / "template.yaml")
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    parser.add_argument(
        "--check-imports",
        type=Path,
        metavar="SAM_BUILD_DIR",
        help="build nothing: import every handler from this `sam build` output instead",
    )
    parser.add_argument("--python", default=sys.executable, help="the interpreter for --check-imports (the runtime's)")
    args = parser.parse_args(argv)
    if args.check_imports:
        failed = check_imports(sam_built_functions(args.template.resolve(), args.check_imports.resolve()), args.python)
        for line in failed:
            print(line, file=sys.stderr)
        where = args.check_imports
        print(
            f"{len(failed)} handler(s) do not import from {where}" if failed else f"every handler imports from {where}"
        )
        return 1 if failed else 0
    built = build(args.template.resolve(), args.build_dir.resolve(), force=args.force)
    print(f"built {', '.join(built)} in {args.build_dir}" if built else f"{args.build_dir} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
