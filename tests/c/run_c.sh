#!/usr/bin/env bash
# Builds every C example and C test against include/cin.h and libcin, statically and
# dynamically, checks the header as C99, C11 and C++17, and runs each program (under valgrind
# memcheck when valgrind is installed). Called by tests/run.sh after `cargo build --release -p cin-ffi`.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIB=target/release
OUT=target/c
mkdir -p "$OUT"
CFLAGS="-Wall -Wextra -Werror -pedantic -Iinclude"
STATIC_LIBS="-lpthread -ldl -lm"
export CIN_SHARED_DATA="${CIN_SHARED_DATA:-$PWD/../shared/data}"

# The shared library carries a SONAME (libcin.so.MAJOR.MINOR): give the loader that name.
soname=$(readelf -d "$LIB/libcin.so" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] && ln -sf libcin.so "$LIB/$soname"

for std in c99 c11; do
  echo '#include "cin.h"' | gcc -std=$std $CFLAGS -x c -fsyntax-only -
done
echo '#include "cin.h"' | g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -x c++ -fsyntax-only -

VALGRIND=()
if command -v valgrind >/dev/null 2>&1; then
  VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
fi

for src in examples/c/*.c tests/c/*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  gcc -std=c11 $CFLAGS "$src" "$LIB/libcin.a" $STATIC_LIBS -o "$OUT/$name-static"
  gcc -std=c11 $CFLAGS "$src" -L"$LIB" -lcin -Wl,-rpath,"$PWD/$LIB" -lpthread -o "$OUT/$name-shared"
  g++ -std=c++17 -Wall -Werror -Iinclude -x c++ -fsyntax-only "$src"
  args=()
  [ -f "examples/c/$name.args" ] && read -r -a args < "examples/c/$name.args"
  echo "-- $name (static)"
  "$OUT/$name-static" "${args[@]}" > "$OUT/$name-static.out"
  echo "-- $name (shared)"
  "$OUT/$name-shared" "${args[@]}" > "$OUT/$name-shared.out"
  if [ ${#VALGRIND[@]} -gt 0 ]; then
    echo "-- $name (valgrind memcheck)"
    "${VALGRIND[@]}" "$OUT/$name-shared" "${args[@]}" > /dev/null
  fi
done
echo "C programs: ok"
