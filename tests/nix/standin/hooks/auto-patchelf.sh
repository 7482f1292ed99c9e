# Stand-in for nixpkgs' pkgs/by-name/au/autoPatchelfHook/auto-patchelf.sh: the same
# functions, arrays and attributes, calling the stand-in auto-patchelf in postFixup.
declare -a autoPatchelfLibs
declare -a extraAutoPatchelfLibs

gatherLibraries() {
    autoPatchelfLibs+=("$1/lib")
}
addEnvHooks "$targetOffset" gatherLibraries

# Every folder under the arguments that holds a *.so or *.so.* file (recursively unless
# --no-recurse) becomes a search folder of the next autoPatchelf.
addAutoPatchelfSearchPath() {
    local -a findOpts=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --) shift; break ;;
            --no-recurse) shift; findOpts+=(-maxdepth 1) ;;
            --*)
                echo "addAutoPatchelfSearchPath: ERROR: Invalid command line argument: $1" >&2
                return 1
                ;;
            *) break ;;
        esac
    done
    local dir
    while IFS= read -r -d '' dir; do
        extraAutoPatchelfLibs+=("$dir")
    done < <(find "$@" "${findOpts[@]}" \! -type d \( -name '*.so' -o -name '*.so.*' \) -print0 \
        | sed -z 's#/[^/]*$##' | uniq -z)
}

autoPatchelf() {
    local norecurse=
    while [ $# -gt 0 ]; do
        case "$1" in
            --) shift; break ;;
            --no-recurse) shift; norecurse=1 ;;
            --*) echo "autoPatchelf: ERROR: Invalid command line argument: $1" >&2; return 1 ;;
            *) break ;;
        esac
    done
    local -a ignoreMissingDepsArray=() appendRunpathsArray=() runtimeDependenciesArray=()
    local -a patchelfFlagsArray=() autoPatchelfFlagsArray=()
    concatTo ignoreMissingDepsArray autoPatchelfIgnoreMissingDeps
    concatTo appendRunpathsArray appendRunpaths
    concatTo runtimeDependenciesArray runtimeDependencies
    concatTo patchelfFlagsArray patchelfFlags
    concatTo autoPatchelfFlagsArray autoPatchelfFlags
    local dep
    for dep in ${ignoreMissingDepsArray[@]+"${ignoreMissingDepsArray[@]}"}; do
        if [ "$dep" == "1" ]; then
            echo "autoPatchelf: WARNING: setting 'autoPatchelfIgnoreMissingDeps = true;' is deprecated" >&2
            ignoreMissingDepsArray=("*")
            break
        fi
    done
    auto-patchelf ${norecurse:+--no-recurse} \
        --ignore-missing ${ignoreMissingDepsArray[@]+"${ignoreMissingDepsArray[@]}"} \
        --paths "$@" \
        --libs ${autoPatchelfLibs[@]+"${autoPatchelfLibs[@]}"} \
        ${extraAutoPatchelfLibs[@]+"${extraAutoPatchelfLibs[@]}"} \
        --runtime-dependencies ${runtimeDependenciesArray[@]+"${runtimeDependenciesArray[@]/%//lib}"} \
        --append-rpaths ${appendRunpathsArray[@]+"${appendRunpathsArray[@]}"} \
        ${autoPatchelfFlagsArray[@]+"${autoPatchelfFlagsArray[@]}"} \
        --extra-args ${patchelfFlagsArray[@]+"${patchelfFlagsArray[@]}"}
}

autoPatchelfPostFixup() {
    if [[ -z "${dontAutoPatchelf-}" ]]; then
        autoPatchelf -- $(for output in $(getAllOutputNames); do
            [ -e "${!output}" ] || continue
            [ "${output}" = debug ] && continue
            echo "${!output}"
        done)
    fi
}

postFixupHooks+=(autoPatchelfPostFixup)
