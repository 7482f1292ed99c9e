# Stand-in for nixpkgs' pkgs/stdenv/generic/setup.sh, written for these tests: the phase
# order, runHook (a derivation's own hook first, then the hook array), setup hooks from
# every input, propagated inputs, the fixupOutput hooks and postPhases, as the real one
# runs them. What it leaves out is listed in ../FIDELITY.md.
set -eu -o pipefail

export PATH="$initialPath"
export NIX_BUILD_CORES="${NIX_BUILD_CORES:-1}"

# --- hooks ------------------------------------------------------------------------

_eval() {
    if declare -F "$1" >/dev/null 2>&1; then
        "$@"
    else
        eval "$1"
    fi
}

# A phase's own hook: a shell function of that name, else the variable's text.
_callImplicitHook() {
    local default="$1" hookName="$2"
    if declare -F "$hookName" >/dev/null; then
        "$hookName"
    elif [ -n "${!hookName:-}" ]; then
        eval "${!hookName}"
    else
        return "$default"
    fi
}

runHook() {
    local hookName="$1"
    shift
    local hooksSlice="${hookName%Hook}Hooks[@]"
    local hook
    for hook in "_callImplicitHook 0 $hookName" ${!hooksSlice+"${!hooksSlice}"}; do
        _eval "$hook" "$@"
    done
    return 0
}

# Offsets are not modelled: every env hook sees every host input (buildInputs and
# what they propagate), which is where autoPatchelfHook gathers its folders.
declare -a envHooks=()
addEnvHooks() {
    shift
    envHooks+=("$@")
}

concatTo() {
    local -n _target="$1"
    shift
    local name
    for name in "$@"; do
        if declare -p "$name" 2>/dev/null | grep -q '^declare -a'; then
            local -n _source="$name"
            _target+=(${_source+"${_source[@]}"})
        else
            # shellcheck disable=SC2206
            _target+=(${!name-})
        fi
    done
}

appendToVar() {
    local name="$1"
    shift
    if declare -p "$name" 2>/dev/null | grep -q '^declare -a'; then
        local -n _array="$name"
        _array+=("$@")
    else
        printf -v "$name" '%s' "${!name:+${!name} }$*"
    fi
}

getAllOutputNames() { echo "$outputs"; }

# As setup.sh: append a folder that exists to a delimited search path variable.
addToSearchPathWithCustomDelimiter() {
    local delimiter="$1" varName="$2" dir="$3"
    if [[ -d "$dir" && "${!varName:+${delimiter}${!varName}${delimiter}}" != *"${delimiter}${dir}${delimiter}"* ]]; then
        export "${varName}=${!varName:+${!varName}${delimiter}}${dir}"
    fi
}

addToSearchPath() { addToSearchPathWithCustomDelimiter ":" "$@"; }

stripHash() {
    local name
    name=$(basename "$1")
    if [[ "$name" =~ ^[a-z0-9]{32}- ]]; then
        echo "${name:33}"
    else
        echo "$name"
    fi
}

substituteAllInPlace() {
    local file="$1" var
    for var in $(grep -o '@[a-zA-Z_][a-zA-Z0-9_]*@' "$file" | sort -u | tr -d @); do
        if [ -n "${!var+x}" ]; then
            sed -i "s|@$var@|${!var}|g" "$file"
        fi
    done
}

isELF() {
    local magic
    magic=$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' \n')
    [ "$magic" = '177ELF' ]
}

# --- inputs -----------------------------------------------------------------------

declare -a allInputs=()
_addInput() {
    local dep="$1" seen
    for seen in ${allInputs[@]+"${allInputs[@]}"}; do
        [ "$seen" = "$dep" ] && return 0
    done
    allInputs+=("$dep")
    local file propagated
    for file in propagated-build-inputs propagated-native-build-inputs; do
        if [ -f "$dep/nix-support/$file" ]; then
            for propagated in $(cat "$dep/nix-support/$file"); do
                _addInput "$propagated"
            done
        fi
    done
}

for dep in ${defaultNativeBuildInputs-} ${nativeBuildInputs-} ${propagatedNativeBuildInputs-} \
    ${buildInputs-} ${propagatedBuildInputs-}; do
    _addInput "$dep"
done
for dep in ${allInputs[@]+"${allInputs[@]}"}; do
    if [ -d "$dep/bin" ]; then PATH="$dep/bin:$PATH"; fi
done
for dep in ${allInputs[@]+"${allInputs[@]}"}; do
    if [ -f "$dep/nix-support/setup-hook" ]; then
        # shellcheck disable=SC1091
        hostOffset=-1 targetOffset=0 source "$dep/nix-support/setup-hook"
    fi
done
for dep in ${allInputs[@]+"${allInputs[@]}"}; do
    for hook in ${envHooks[@]+"${envHooks[@]}"}; do
        "$hook" "$dep"
    done
done

# --- phases -----------------------------------------------------------------------

unpackPhase() {
    runHook preUnpack
    if [ -d "$src" ]; then
        cp -r --no-preserve=mode "$src" source
        sourceRoot=source
    else
        # As unpackFile: a tarball by its name, and the one folder it made is the root.
        case "$src" in
            *.tar | *.tar.* | *.tgz | *.tbz2) tar xf "$src" ;;
            *.zip) unzip -qq "$src" ;;
            *)
                echo "stand-in unpackPhase: cannot unpack $src" >&2
                return 1
                ;;
        esac
        local made
        made=$(find . -mindepth 1 -maxdepth 1 -type d ! -name env-vars)
        if [ "$(echo "$made" | wc -l)" != 1 ] || [ -z "$made" ]; then
            echo "unpacker produced multiple directories" >&2
            return 1
        fi
        sourceRoot=${made#./}
        chmod -R u+w -- "$sourceRoot"
    fi
    runHook postUnpack
}

patchPhase() {
    runHook prePatch
    local patch
    for patch in ${patches-}; do patch -p1 <"$patch"; done
    runHook postPatch
}

configurePhase() {
    runHook preConfigure
    runHook postConfigure
}

buildPhase() {
    runHook preBuild
    echo "no Makefile or custom buildPhase, doing nothing"
    runHook postBuild
}

checkPhase() {
    runHook preCheck
    runHook postCheck
}

installPhase() {
    runHook preInstall
    echo "stand-in installPhase: no installPhase was given" >&2
    return 1
}

recordPropagatedDependencies() {
    if [ -n "${propagatedBuildInputs-}" ]; then
        mkdir -p "$out/nix-support"
        echo $propagatedBuildInputs >"$out/nix-support/propagated-build-inputs"
    fi
    if [ -n "${propagatedNativeBuildInputs-}" ]; then
        mkdir -p "$out/nix-support"
        echo $propagatedNativeBuildInputs >"$out/nix-support/propagated-native-build-inputs"
    fi
}

fixupPhase() {
    local output
    for output in $(getAllOutputNames); do
        if [ -e "${!output}" ]; then chmod -R u+w,u-s,g-s "${!output}"; fi
    done
    runHook preFixup
    for output in $(getAllOutputNames); do
        prefix="${!output}" runHook fixupOutput
    done
    recordPropagatedDependencies
    if [ -n "${setupHook-}" ]; then
        mkdir -p "$out/nix-support"
        cp "$setupHook" "$out/nix-support/setup-hook"
        chmod u+w "$out/nix-support/setup-hook"
        substituteAllInPlace "$out/nix-support/setup-hook"
    fi
    runHook postFixup
}

installCheckPhase() {
    runHook preInstallCheck
    runHook postInstallCheck
}

distPhase() {
    runHook preDist
    runHook postDist
}

runPhase() {
    local curPhase="$*"
    case "$curPhase" in
        unpackPhase) [ -n "${dontUnpack-}" ] && return 0 ;;
        patchPhase) [ -n "${dontPatch-}" ] && return 0 ;;
        configurePhase) [ -n "${dontConfigure-}" ] && return 0 ;;
        buildPhase) [ -n "${dontBuild-}" ] && return 0 ;;
        checkPhase) [ -z "${doCheck-}" ] && return 0 ;;
        installPhase) [ -n "${dontInstall-}" ] && return 0 ;;
        fixupPhase) [ -n "${dontFixup-}" ] && return 0 ;;
        installCheckPhase) [ -z "${doInstallCheck-}" ] && return 0 ;;
        distPhase) [ -z "${doDist-}" ] && return 0 ;;
    esac
    echo "Running phase: $curPhase"
    eval "${!curPhase:-$curPhase}"
    if [ "$curPhase" = unpackPhase ]; then
        cd "${sourceRoot:-.}"
    fi
}

genericBuild() {
    if [ -n "${buildCommand-}" ]; then
        eval "$buildCommand"
        return
    fi
    local phases="${prePhases-} unpackPhase patchPhase ${preConfigurePhases-} configurePhase \
        ${preBuildPhases-} buildPhase checkPhase ${preInstallPhases-} installPhase \
        ${preFixupPhases-} fixupPhase installCheckPhase ${preDistPhases-} distPhase \
        ${postPhases-}"
    for curPhase in $phases; do
        runPhase "$curPhase"
    done
}

cd "$NIX_BUILD_TOP"
# The real setup.sh sets -eu while it is sourced and restores the caller's options at its
# end; the default builder runs `bash -e`, so phases and hooks run without -u (an unset
# variable such as pyproject.nix's $uvPipInstallFlags expands to nothing).
set +u
genericBuild
