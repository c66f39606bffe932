#!/usr/bin/env bash
# Adds every symbol the PublicApiAnalyzers report as undeclared (RS0016) to the package's
# PublicAPI.Unshipped.txt and drops entries it reports as removed (RS0017). Review the diff.
# Usage: eng/update-public-api.sh packages/Runtime
set -euo pipefail
pkg=${1:?usage: eng/update-public-api.sh packages/<Pkg>}
proj=$(ls "$pkg"/*.csproj)
unshipped="$pkg/PublicAPI.Unshipped.txt"
log=$(mktemp)
dotnet build "$proj" -c Release --no-incremental -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
grep -oP "warning RS0016: Symbol '\K.*(?=' is not part of the declared public API)" "$log" | sed "s/&apos;/'/g" | sort -u >"$log.add" || true
grep -oP "warning RS0017: Symbol '\K.*(?=' is part of the declared API, but is either not public or could not be found)" "$log" | sed "s/&apos;/'/g" | sort -u >"$log.del" || true
{ echo '#nullable enable'; { grep -v '^#nullable' "$unshipped" || true; cat "$log.add"; } | grep -vxF -f "$log.del" | grep -v '^$' | sort -u; } >"$unshipped.new"
mv "$unshipped.new" "$unshipped"
echo "added $(wc -l <"$log.add"), removed $(wc -l <"$log.del")"
rm -f "$log" "$log.add" "$log.del"
