# The setup hook of wheel builds (manylinux-hook.sh), for one Python. Its tool is the
# part of pyhelpers that needs only the standard library and pyelftools, which every
# nixpkgs release has: a bump of the resolver's dependencies cannot break a wheel build.
{
  lib,
  makeSetupHook,
  python,
}:
let
  # pyhelpers/nixhook.py and what it imports; tests/test_nixhook.py keeps this list true.
  modules = [
    "__init__.py"
    "data.py"
    "elf.py"
    "elffacts.py"
    "elfpyelftools.py"
    "elftables.py"
    "errors.py"
    "nixhook.py"
    "parallel.py"
    "plugins.py"
    "runpaths.py"
    "sonames.py"
    "verify.py"
  ];
  root = toString ../.;
  tool = builtins.path {
    path = ../.;
    name = "manylinux-nix-hook-tool";
    filter =
      path: type:
      let
        relative = lib.removePrefix "${root}/" path;
      in
      relative == "pyhelpers"
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
