#!/bin/bash -eu
# OSS-Fuzz's build step for hashcheck (projects/hashcheck/build.sh in google/oss-fuzz): the
# repository's own build script, so OSS-Fuzz, ClusterFuzzLite and CI build the same way.
exec bash "$SRC/hashcheck/.clusterfuzzlite/build.sh"
