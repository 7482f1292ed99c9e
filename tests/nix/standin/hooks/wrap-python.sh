# Stand-in for nixpkgs' wrapPython hook: buildPythonPackage's postFixup starts with
# wrapPythonPrograms. Wheels built here carry no scripts to wrap, so it does nothing.
wrapPythonPrograms() { :; }
