# Stand-in for the setup hook of nixpkgs' Python interpreters
# (pkgs/development/interpreters/python/setup-hook.sh): each input's site-packages goes
# on PYTHONPATH.
addPythonPath() {
    if [ -d "$1/@sitePackages@" ]; then
        export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$1/@sitePackages@"
    fi
}
addEnvHooks "$hostOffset" addPythonPath
export PYTHONNOUSERSITE=1
