# Stand-in for nixpkgs' pypa-install-hook.sh: `python -m installer` on every dist/*.whl.
pypaInstallPhase() {
    echo "Executing pypaInstallPhase"
    runHook preInstall
    pushd dist >/dev/null
    local wheel
    for wheel in *.whl; do
        @pythonInterpreter@ -m installer --prefix "$out" "$wheel"
        echo "Successfully installed $wheel"
    done
    popd >/dev/null
    export PYTHONPATH="$out/@sitePackages@${PYTHONPATH:+:$PYTHONPATH}"
    runHook postInstall
    echo "Finished executing pypaInstallPhase"
}

if [ -z "${dontUsePypaInstall-}" ] && [ -z "${installPhase-}" ]; then
    echo "Using pypaInstallPhase"
    installPhase=pypaInstallPhase
fi
