# Stand-in for nixpkgs' python-runtime-deps-check-hook.sh (pyproject = true only): fails
# the build when an installed dependency's version does not satisfy the wheel's
# Requires-Dist.
pythonRuntimeDepsCheckHook() {
    echo "Executing pythonRuntimeDepsCheck"
    export PYTHONPATH="$out/@sitePackages@${PYTHONPATH:+:$PYTHONPATH}"
    local wheel
    for wheel in dist/*.whl; do
        echo "Checking runtime dependencies for $(basename "$wheel")"
        @pythonInterpreter@ -S @hook@ "$wheel"
    done
    echo "Finished executing pythonRuntimeDepsCheck"
}

if [ -z "${dontCheckRuntimeDeps-}" ]; then
    echo "Using pythonRuntimeDepsCheckHook"
    appendToVar preInstallPhases pythonRuntimeDepsCheckHook
fi
