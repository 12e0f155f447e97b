# Sourced, not run: installs the real servers if missing (scripts/install-servers.sh) and
# exports each as HASHCHECK_<NAME>=<path>, where the tests and benchmarks look for them.
echo "== installing servers"
while IFS='=' read -r name path; do
  export "HASHCHECK_$name=$path"
  echo "   HASHCHECK_$name=$path"
done < <(bash scripts/install-servers.sh)
