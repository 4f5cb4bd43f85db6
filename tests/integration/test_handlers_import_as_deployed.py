"""Every handler imports from what deploys: the built layer, its own CodeUri and the runtime's boto3, nothing else.

Why: the development venv holds moto, pytest and their dependencies; a handler importing one of them by
accident (aws_xray_sdk came in with moto) passes every in-process test and fails on Lambda at init.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local.build import BUILD_DIR, DeployedFunction, check, deployed_functions, import_handler
from local.template import load_template
from tests.conftest import ROOT

TEMPLATE = ROOT / "template.yaml"
FUNCTIONS = deployed_functions(TEMPLATE, BUILD_DIR)


def test_the_build_is_current() -> None:
    check(TEMPLATE, BUILD_DIR)  # raises, naming `make build`, when it is not


def test_the_template_has_functions_with_the_layer() -> None:
    assert len(FUNCTIONS) >= 13
    assert all(BUILD_DIR / "TelarLayer" / "python" in f.python_path for f in FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_the_handler_imports_in_a_fresh_interpreter_from_the_deployed_path_alone(function: DeployedFunction) -> None:
    # Given a fresh interpreter whose path is the function's CodeUri, the built layer and the runtime's packages
    # When it imports the handler as Lambda's Python runtime does
    result = import_handler(function.handler, function.python_path, function.code_dir)
    # Then the import succeeds
    assert result.returncode == 0, result.stderr


PHOTO_RESIZING = """
import importlib, importlib.util, json, sys
sys.path[:0] = sys.argv[2:]
module, _, name = sys.argv[1].rpartition(".")
getattr(importlib.import_module(module), name)
print(json.dumps({"resizes": "telar.photos" in sys.modules, "has_pillow": importlib.util.find_spec("PIL") is not None}))
"""


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.logical_id)
def test_pillow_is_on_the_path_of_exactly_the_functions_that_resize_photos(function: DeployedFunction) -> None:
    # Given a function as it deploys; When its handler is imported (telar.photos loads Pillow only to resize)
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PHOTO_RESIZING, function.handler, *map(str, function.python_path)],
        cwd=function.code_dir,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    # Then a function that can resize a photo finds Pillow (the PhotosLayer), and no other carries it: openpyxl
    # (annotating refused uploads) imports Pillow whenever it can, and it is 21 MB of a layer's 250 MB
    assert found["has_pillow"] == found["resizes"]


def test_a_package_only_the_dev_venv_has_does_not_import(tmp_path: Path) -> None:
    # Given a handler that imports moto (in the dev venv, not in the layer)
    (tmp_path / "app.py").write_text("import moto\n\ndef lambda_handler(event, context):\n    return {}\n")
    layer = next(iter(FUNCTIONS)).python_path[1:]
    # When it is imported on the deployed path, Then it fails as it would on Lambda
    result = import_handler("app.lambda_handler", (tmp_path, *layer), tmp_path)
    assert result.returncode != 0
    assert "No module named 'moto'" in result.stderr


def _layered_handler(tmp_path: Path) -> tuple[Path, Path]:
    """A function folder whose handler imports a module of a layer folder."""
    function, layer = tmp_path / "function", tmp_path / "layer" / "python"
    function.mkdir()
    (layer / "shared").mkdir(parents=True)
    (layer / "shared" / "__init__.py").write_text("WORDS = 'hola'\n")
    (function / "app.py").write_text("import shared\n\ndef lambda_handler(event, context):\n    return shared.WORDS\n")
    return function, layer


def test_a_layer_shipped_without_bytecode_fails_the_deployed_import_check(tmp_path: Path) -> None:
    # Given a layer without .pyc files, as SAM's python build method ships one (Lambda cannot write to /opt)
    function, layer = _layered_handler(tmp_path)
    # When its handler is imported as the CI checks a sam build, Then the compiling of the layer's module fails it
    result = import_handler("app.lambda_handler", (function, layer), function, compiled=True)
    assert result.returncode != 0
    assert "compiled 1 module(s) of its layers" in result.stderr and "shared/__init__.py" in result.stderr
    assert not (layer / "shared" / "__pycache__").exists()  # read-only, as on Lambda: nothing written


def test_a_layer_compiled_as_its_makefile_does_passes_the_deployed_import_check(tmp_path: Path) -> None:
    # Given the same layer compiled as layers/*/Makefile compile theirs (hash-based: zip time stamps cannot stale it)
    function, layer = _layered_handler(tmp_path)
    compiled = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(layer)]
    subprocess.run(compiled, check=True)
    # When its handler is imported as the CI checks a sam build, Then it passes (the handler's own app.py compiles)
    result = import_handler("app.lambda_handler", (function, layer), function, compiled=True)
    assert result.returncode == 0, result.stderr


def test_each_layer_makefile_builds_for_the_template_runtime_and_architecture_and_compiles() -> None:
    # sam build runs build-<Layer> of ContentUri/Makefile for every layer with BuildMethod makefile: its wheels and
    # bytecode must be those of the functions' Runtime and Architectures, which the Makefile cannot read
    template = load_template(TEMPLATE)
    runtime = template["Globals"]["Function"]["Runtime"]
    [architecture] = template["Globals"]["Function"]["Architectures"]
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    layers = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    }
    assert layers
    for logical_id, resource in layers.items():
        assert resource["Metadata"]["BuildMethod"] == "makefile", logical_id
        assert resource["Metadata"]["BuildArchitecture"] == architecture, logical_id
        assert resource["Properties"]["CompatibleRuntimes"] == [runtime], logical_id
        makefile = (ROOT / resource["Properties"]["ContentUri"] / "Makefile").read_text()
        assert f"LAMBDA_PYTHON ?= {runtime}\n" in makefile and f"LAMBDA_ARCH ?= {machine}\n" in makefile
        recipe = makefile.split(f"build-{logical_id}:", 1)[1]
        assert "--invalidation-mode unchecked-hash" in recipe and '"$(ARTIFACTS_DIR)/python"' in recipe, logical_id
