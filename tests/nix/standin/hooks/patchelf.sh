# Stand-in for the setup hook of nixpkgs' patchelf (pkgs/development/tools/misc/patchelf/
# setup-hook.sh), which stdenv carries on Linux: in fixupOutput, every ELF file's RPATH
# loses the absolute folders that hold none of its DT_NEEDED libraries ($ORIGIN entries
# and other relative ones are kept).
fixupOutputHooks+=('if [ -z "${dontPatchELF-}" ]; then patchELF "$prefix"; fi')

patchELF() {
    local dir="$1" file
    [ -e "$dir" ] || return 0
    echo "shrinking RPATHs of ELF executables and libraries in $dir"
    while IFS= read -r -d '' file; do
        if [[ "$file" =~ .build-id ]]; then continue; fi
        if ! isELF "$file"; then continue; fi
        patchelf --shrink-rpath "$file" || true
    done < <(find "$dir" -type f -print0)
}
