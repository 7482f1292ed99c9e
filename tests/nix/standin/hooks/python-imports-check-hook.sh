# Stand-in for nixpkgs' python-imports-check-hook.sh: in preDistPhases, so after fixup.
pythonImportsCheckPhase() {
    echo "Executing pythonImportsCheckPhase"
    if [ -n "${pythonImportsCheck-}" ]; then
        echo "Check whether the following modules can be imported: $pythonImportsCheck"
        PYTHONPATH="$out/@sitePackages@${PYTHONPATH:+:$PYTHONPATH}" @pythonInterpreter@ -c \
            'import sys, importlib; [importlib.import_module(m) for m in sys.argv[1:]]' \
            $pythonImportsCheck
    fi
}

if [ -z "${dontUsePythonImportsCheck-}" ]; then
    echo "Using pythonImportsCheckPhase"
    appendToVar preDistPhases pythonImportsCheckPhase
fi
