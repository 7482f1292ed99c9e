# The manylinux-nix command, built with nixpkgs' own Python packaging.
{ lib, python3Packages }:
let
  project = (builtins.fromTOML (builtins.readFile ../pyproject.toml)).project;
in
python3Packages.buildPythonApplication {
  pname = project.name;
  inherit (project) version;
  pyproject = true;
  # Only what the package is built from: not tests, caches or a local .venv.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../pyproject.toml
      ../README.md
      ../pyhelpers
    ];
  };
  build-system = [ python3Packages.setuptools ];
  dependencies = [
    python3Packages.packaging
    python3Packages.requests
    python3Packages.urllib3
    python3Packages.resolvelib
    python3Packages.pyelftools
  ];
  pythonImportsCheck = [ "pyhelpers" ];
  meta = {
    description = project.description;
    mainProgram = "manylinux-nix";
    license = lib.licenses.mit;
  };
}
