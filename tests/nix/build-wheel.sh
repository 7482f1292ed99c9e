# Stand-in for buildPythonPackage's wheel phases: wheelUnpackHook, pypaInstallHook,
# postFixup (where addAutoPatchelfSearchPath is called), autoPatchelf, pythonImportsCheck.
set -euo pipefail
export HOME=/homeless-shelter PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1
site="$out/$sitePackages"
mkdir -p dist "$site"
name=$(basename "$src")
cp "$src" "dist/${name#*-}"   # stripHash: the name must be the wheel's file name
"$python" -m pip install --quiet --no-deps --no-index --no-compile \
  --disable-pip-version-check --root-user-action=ignore --target "$site" dist/*.whl

extraAutoPatchelfLibs=()
addAutoPatchelfSearchPath() {
  local dir file
  for dir in "$@"; do
    while IFS= read -r file; do extraAutoPatchelfLibs+=("$(dirname "$file")"); done \
      < <(find "$dir" -type f \( -name '*.so' -o -name '*.so.*' \))
  done
}
eval "$postFixup"

if [ -n "$autoPatchelf" ]; then
  libDirs=()
  for input in $buildInputs; do libDirs+=("$input/lib"); done
  "$python" "$autopatchelfScript" --patchelf "$patchelf" --paths "$out" \
    --libs ${libDirs[@]+"${libDirs[@]}"} ${extraAutoPatchelfLibs[@]+"${extraAutoPatchelfLibs[@]}"} \
    --ignore-missing $autoPatchelfIgnoreMissingDeps --append-rpaths $appendRunpaths \
    --libc $glibcSonames
fi

pythonpath="$site"
for dep in $deps; do pythonpath="$pythonpath:$dep"; done
for module in $pythonImportsCheck; do
  echo "Check whether the following modules can be imported: $module"
  PYTHONPATH="$pythonpath" "$python" -S -c "import $module"
done

runHook() { local hook="$1"; [ -n "${!hook-}" ] && eval "${!hook}"; return 0; }
for phase in $postPhases; do
  echo "running $phase"
  eval "${!phase}"
done
