# The setup hook of wheel builds (manylinux-hook.sh), for one Python. Its tool is the
# part of pyhelpers that needs only the standard library and pyelftools, which every
# nixpkgs release has: a bump of the resolver's dependencies cannot break a wheel build.
{
  lib,
  makeSetupHook,
  python,
}:
let
  # pyhelpers/runtime/nixhook.py and what it imports; tests/test_nix_releases.py keeps
  # this list true.
  modules = [
    "__init__.py"
    "data.py"
    "errors.py"
    "inspect/__init__.py"
    "inspect/elf.py"
    "inspect/elffacts.py"
    "inspect/elfpyelftools.py"
    "inspect/elftables.py"
    "inspect/parallel.py"
    "inspect/plugins.py"
    "inspect/sonames.py"
    "runtime/__init__.py"
    "runtime/loadshim.py"
    "runtime/nixhook.py"
    "runtime/runpaths.py"
    "runtime/verify.py"
  ];
  # A folder must pass the filter for anything in it to be looked at.
  folders = lib.unique (map (module: builtins.dirOf "pyhelpers/${module}") modules);
  root = toString ../.;
  tool = builtins.path {
    path = ../.;
    name = "manylinux-nix-hook-tool";
    filter =
      path: type:
      let
        relative = lib.removePrefix "${root}/" path;
      in
      builtins.elem relative folders
      || relative == "pyhelpers/data"
      || relative == "pyhelpers/data/sonames.json"
      || relative == "pyhelpers/data/optional.json"
      || (lib.hasPrefix "pyhelpers/" relative && builtins.elem (lib.removePrefix "pyhelpers/" relative) modules);
  };
  buildPython = python.pythonOnBuildForHost or python;
in
makeSetupHook {
  name = "manylinux-nix-hook";
  substitutions = {
    pythonInterpreter = buildPython.interpreter;
    toolPath = "${tool}:${buildPython.pkgs.pyelftools}/${buildPython.sitePackages}";
    inherit (python) sitePackages;
    glibcDir = "${lib.getLib python.stdenv.cc.libc}/lib";
  };
} ./manylinux-hook.sh
