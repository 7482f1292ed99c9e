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
    python3Packages.tqdm
  ]
  # The `fast` extra where the release has it for this platform (ISA-L is for x86_64 and
  # aarch64): wheels inflate in 0.6x zlib's time. Without it, zlib gives the same results.
  ++ lib.optional (
    python3Packages ? isal && (python3Packages.isal.meta.available or true)
  ) python3Packages.isal;
  pythonImportsCheck = [
    "pyhelpers.cli"
    "pyhelpers.lock.lockformats"
    "pyhelpers.runtime.nixhook"
  ];
  meta = {
    description = project.description;
    mainProgram = "manylinux-nix";
    license = lib.licenses.mit;
  };
}
