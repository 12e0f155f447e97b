#!/bin/bash -eu
# Builds hashcheck's three cargo-fuzz targets into $OUT: for ClusterFuzzLite (its Dockerfile
# puts the checkout at $SRC/hashcheck), for OSS-Fuzz (oss-fuzz/build.sh runs this file), and
# for CI, which runs it outside any container (scripts/fuzz-ci.sh) and fuzzes from $OUT, so
# what CI fuzzes is exactly what this script builds.
#
# Inputs: $SRC (the checkout is $SRC/hashcheck, a symlink is fine), $OUT (created if needed),
# $SANITIZER (address, memory, thread, leak or none; anything else, such as coverage, is
# left to the builder image's flags). The toolchain is nightly: the base-builder-rust image
# defaults to it; elsewhere set RUSTUP_TOOLCHAIN=nightly.
#
# Built as CI builds them: release with debug assertions and overflow checks
# (cargo fuzz's default, spelled out as OSS-Fuzz projects spell it).
#
# Into $OUT, per target: the binary, <target>.dict (libFuzzer picks it up) and
# <target>_seed_corpus.zip from fuzz/corpus/<target>/seed-*. The differential target
# compares the engine with a live Redis at $REDIS_URL, which ClusterFuzzLite's and
# OSS-Fuzz's runners do not have; it is built always, but put in $OUT only with
# HASHCHECK_WITH_DIFFERENTIAL=1 (CI, which starts a Redis 8.2.3 for it).

# The real path: cargo then sees the same paths as a build from the checkout, and reuses it.
cd "$SRC/hashcheck"
cd "$(pwd -P)/fuzz"
mkdir -p "$OUT"

sanitizer=()
case "${SANITIZER:-address}" in
  address | memory | thread | leak | none) sanitizer=(--sanitizer "${SANITIZER:-address}") ;;
esac
cargo fuzz build -O --debug-assertions "${sanitizer[@]}"

triple=$(rustc -vV | sed -n 's/^host: //p')
built="target/$triple/release"
targets=(engine codec)
if [ "${HASHCHECK_WITH_DIFFERENTIAL:-0}" = 1 ]; then
  targets+=(differential)
fi
for target in "${targets[@]}"; do
  cp "$built/$target" "$OUT/"
  case "$target" in
    codec) cp dict/codec.dict "$OUT/$target.dict" ;;
    *) cp dict/commands.dict "$OUT/$target.dict" ;;
  esac
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" seed-*)
done
echo "built into $OUT: ${targets[*]}"
