# Sourced (not run) by .ci/run and by developers on a machine whose Node.js is older than the one
# in .node-version: puts that Node first on PATH. The official binaries are published on the npm
# registry as node-<os>-<arch> packages, so this needs nothing but npm and the registry.
#   . scripts/ensure-node.sh
_gh_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
_gh_want=$(tr -d ' \n' < "$_gh_root/.node-version")
_gh_have=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
if [ "${_gh_have%%.*}" -lt "${_gh_want%%.*}" ]; then
  _gh_dir="$_gh_root/.tools/node-v$_gh_want"
  if [ ! -x "$_gh_dir/bin/node" ]; then
    case "$(uname -m)" in x86_64) _gh_arch=x64 ;; aarch64 | arm64) _gh_arch=arm64 ;; *) _gh_arch=$(uname -m) ;; esac
    _gh_os=$(uname -s | tr '[:upper:]' '[:lower:]')
    _gh_tmp=$(mktemp -d)
    echo "Node.js $_gh_have is older than $_gh_want: fetching node-$_gh_os-$_gh_arch@$_gh_want from the npm registry" >&2
    (cd "$_gh_tmp" && npm pack --silent "node-$_gh_os-$_gh_arch@$_gh_want" >/dev/null) &&
      mkdir -p "$_gh_dir" && tar xzf "$_gh_tmp"/node-*.tgz -C "$_gh_dir" --strip-components=1
    rm -rf "$_gh_tmp"
  fi
  export PATH="$_gh_dir/bin:$PATH"
fi
unset _gh_root _gh_want _gh_have _gh_dir _gh_arch _gh_os _gh_tmp
