# Stand-in for nixpkgs' makeBinaryWrapper: `makeWrapper EXE WRAPPER [--inherit-argv0]
# [--resolve-argv0] [--set VAR VALUE]...` compiles a small C program that sets the
# variables and execs EXE. Like the real one it is an ELF file that replaces itself with
# EXE: options given to the dynamic loader for the wrapper do not reach EXE.
makeWrapper() {
    local exe="$1" wrapper="$2"
    shift 2
    local inherit= resolve= sets=
    while [ $# -gt 0 ]; do
        case "$1" in
            --inherit-argv0) inherit=1; shift ;;
            --resolve-argv0) resolve=1; shift ;;
            --set) sets+="    setenv(\"$2\", \"$3\", 1);"$'\n'; shift 3 ;;
            *) echo "stand-in makeWrapper: unsupported option $1" >&2; return 1 ;;
        esac
    done
    local source="$NIX_BUILD_TOP/wrapper-$RANDOM.c"
    cat >"$source" <<C
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
int main(int argc, char **argv) {
    (void)argc;
$sets
    static char resolved[4096];
    if (${resolve:-0} && strchr(argv[0], '/') == NULL) {
        const char *path = getenv("PATH");
        char copy[8192];
        snprintf(copy, sizeof copy, "%s", path ? path : "");
        for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
            snprintf(resolved, sizeof resolved, "%s/%s", dir, argv[0]);
            if (access(resolved, X_OK) == 0) { argv[0] = resolved; break; }
        }
    }
    if (!${inherit:-0}) argv[0] = "$exe";
    execv("$exe", argv);
    perror("$exe");
    return 127;
}
C
    mkdir -p "$(dirname "$wrapper")"
    cc -O1 -o "$wrapper" "$source"
}
makeBinaryWrapper() { makeWrapper "$@"; }
