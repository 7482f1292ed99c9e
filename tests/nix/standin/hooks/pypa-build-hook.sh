# Stand-in for nixpkgs' pypa-build-hook.sh: build a wheel into dist/ without isolation.
pypaBuildPhase() {
    echo "Executing pypaBuildPhase"
    runHook preBuild
    @pythonInterpreter@ -m build --no-isolation --outdir dist/ --wheel ${pypaBuildFlags-} .
    runHook postBuild
    echo "Finished executing pypaBuildPhase"
}

if [ -z "${dontUsePypaBuild-}" ] && [ -z "${buildPhase-}" ]; then
    echo "Using pypaBuildPhase"
    buildPhase=pypaBuildPhase
fi
