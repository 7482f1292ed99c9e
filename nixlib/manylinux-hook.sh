# shellcheck shell=bash
# manylinux-nix's setup hook for builds from a binary wheel (buildManylinuxWheel, and the
# uv2nix and poetry2nix overrides). It must come after autoPatchelfHook in
# nativeBuildInputs, so that its postFixup step runs after autoPatchelf's:
# - prePatch: give the wheel in dist/ its own file name back, where the store path had to
#   be named otherwise ("!" of an epoch is not allowed in a store path name);
# - preFixup: record each ELF file's RUNPATH and drop entries outside the store, which
#   autoPatchelf would otherwise search on the build machine;
# - postFixup, after autoPatchelf (which keeps none of a wheel's own RUNPATH): put back
#   the wheel's $ORIGIN entries that point inside the package, point entries into a
#   sibling wheel at that wheel's store folder ($manylinuxSiblingSites), write the
#   module that makes libraries the Python code loads by name resolve to store paths
#   ($manylinuxRuntimeLoads), then check that every library and symbol version resolves
#   as the loader will (dontVerifyManylinux).

manylinuxNixTool() {
    PYTHONPATH=@toolPath@ @pythonInterpreter@ -S -m pyhelpers.runtime.nixhook "$@"
}

manylinuxRestoreWheelName() {
    [ -n "${manylinuxWheelName-}" ] || return 0
    local stored
    stored="dist/$(stripHash "$src")"
    if [ -e "$stored" ] && [ "$stored" != "dist/$manylinuxWheelName" ]; then
        mv "$stored" "dist/$manylinuxWheelName"
    fi
}

manylinuxRecordRunpaths() {
    [ -z "${dontAutoPatchelf-}" ] || return 0
    local output
    for output in $(getAllOutputNames); do
        [ -e "${!output}" ] || continue
        manylinuxNixTool record "${!output}" "$NIX_BUILD_TOP/.manylinux-runpaths-$output.json"
    done
}

manylinuxRestoreRunpaths() {
    [ -z "${dontAutoPatchelf-}" ] || return 0
    local output site
    local -a siblings=()
    for site in ${manylinuxSiblingSites-}; do
        siblings+=(--sibling-site "$site")
    done
    for output in $(getAllOutputNames); do
        [ -e "$NIX_BUILD_TOP/.manylinux-runpaths-$output.json" ] || continue
        manylinuxNixTool restore "${!output}" "$NIX_BUILD_TOP/.manylinux-runpaths-$output.json" \
            --site-packages @sitePackages@ ${siblings[@]+"${siblings[@]}"}
    done
}

# The module and .pth that make the libraries the package's Python code loads by name
# resolve to the store paths nixlib found ($manylinuxRuntimeLoads, JSON).
manylinuxWriteRuntimeLoads() {
    [ -n "${manylinuxRuntimeLoads-}" ] || return 0
    local spec="$NIX_BUILD_TOP/.manylinux-runtime-loads.json"
    printf '%s' "$manylinuxRuntimeLoads" >"$spec"
    mkdir -p "$out/@sitePackages@"
    manylinuxNixTool runtime-loads "$out/@sitePackages@" --distribution "$manylinuxDistribution" "$spec"
}

manylinuxVerify() {
    [ -z "${dontVerifyManylinux-}" ] || return 0
    runHook preManylinuxVerify
    # Sonames left missing on purpose (GPU driver, overridden to null, ignoreMissing)
    # are no problem; a blanket autoPatchelfIgnoreMissingDeps = [ "*" ] does not hide one.
    local -a args=()
    local soname
    for soname in ${manylinuxLeftMissing-}; do
        args+=(--ignore-missing "$soname")
    done
    manylinuxNixTool verify "$out" --glibc-dir @glibcDir@ ${args[@]+"${args[@]}"}
    runHook postManylinuxVerify
}

prePatchHooks+=(manylinuxRestoreWheelName)
preFixupHooks+=(manylinuxRecordRunpaths)
postFixupHooks+=(manylinuxRestoreRunpaths manylinuxWriteRuntimeLoads manylinuxVerify)
