# Stand-in for nixpkgs' python-output-dist-hook.sh: the wheel goes to the dist output.
pythonOutputDistPhase() {
    echo "Executing pythonOutputDistPhase"
    if [ -d dist ]; then
        mkdir -p "$dist"
        cp -r dist/* "$dist"
    fi
}
appendToVar preFixupPhases pythonOutputDistPhase
