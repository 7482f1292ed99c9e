# Stand-in for nixpkgs' wheel-unpack-hook.sh: the wheel is copied to dist/ under its store
# name without the hash; postUnpack is not run (the real hook leaves it commented out).
wheelUnpackPhase() {
    echo "Executing wheelUnpackPhase"
    runHook preUnpack
    mkdir -p dist
    cp "$src" "dist/$(stripHash "$src")"
    echo "Finished executing wheelUnpackPhase"
}

if [ -z "${dontUseWheelUnpack-}" ] && [ -z "${unpackPhase-}" ]; then
    echo "Using wheelUnpackPhase"
    unpackPhase=wheelUnpackPhase
fi
