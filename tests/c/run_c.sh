#!/usr/bin/env bash
# Builds every C example and C test against include/cin.h and libcin, statically and
# dynamically, checks the header as C99, C11 and C++17, builds one example through the generated
# pkg-config file, and runs each program (under valgrind memcheck when valgrind is installed).
# Arguments come from <name>.args beside the source. Called by tests/run.sh after
# `cargo build --release -p cin-ffi`.
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
if [ -n "$soname" ]; then ln -sf libcin.so "$LIB/$soname"; fi

for std in c99 c11; do
  echo '#include "cin.h"' | gcc -std=$std $CFLAGS -x c -fsyntax-only -
done
echo '#include "cin.h"' | g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -x c++ -fsyntax-only -

VALGRIND=()
if command -v valgrind >/dev/null 2>&1; then
  VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-possibly-lost=no)
else
  echo "note: valgrind not installed, memcheck skipped"
fi

run() { # name, binary, args...
  local name=$1 bin=$2
  shift 2
  echo "-- $name"
  "$bin" "$@" > "$bin.out"
}

for src in examples/c/*.c tests/c/*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  gcc -std=c11 $CFLAGS "$src" "$LIB/libcin.a" $STATIC_LIBS -o "$OUT/$name-static"
  gcc -std=c11 $CFLAGS "$src" -L"$LIB" -lcin -Wl,-rpath,"$PWD/$LIB" -lpthread -o "$OUT/$name-shared"
  g++ -std=c++17 -Wall -Werror -Iinclude -x c++ -fsyntax-only "$src"
  args=()
  argfile="$(dirname "$src")/$name.args"
  if [ -f "$argfile" ]; then read -r -a args < "$argfile"; fi
  run "$name (static)" "$OUT/$name-static" ${args[@]+"${args[@]}"}
  run "$name (shared)" "$OUT/$name-shared" ${args[@]+"${args[@]}"}
  if [ ${#VALGRIND[@]} -gt 0 ]; then
    echo "-- $name (valgrind memcheck)"
    "${VALGRIND[@]}" "$OUT/$name-shared" ${args[@]+"${args[@]}"} > /dev/null
  fi
done

# The pkg-config file written by ffi/build.rs, used the way a downstream build would.
if command -v pkg-config >/dev/null 2>&1; then
  export PKG_CONFIG_PATH="$PWD/$LIB${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  [ "$(pkg-config --modversion cin)" = "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ]
  # shellcheck disable=SC2046
  gcc -std=c11 $CFLAGS $(pkg-config --cflags cin) examples/c/order_entry.c $(pkg-config --libs cin) \
    -Wl,-rpath,"$(pkg-config --variable=libdir cin)" -o "$OUT/order_entry-pkgconfig"
  run "order_entry (pkg-config)" "$OUT/order_entry-pkgconfig"
else
  echo "note: pkg-config not installed, cin.pc not exercised"
fi
echo "C programs: ok"
