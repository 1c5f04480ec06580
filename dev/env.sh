# shellcheck shell=bash
# Source after `npm run engine`: the engine (your own `pulumi` or the offline build; the plugins
# are installed plugins under $PULUMI_HOME/plugins) and the offline/local PULUMI_* settings.
# shellcheck source=tools/pulumi-engine/env.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/pulumi-engine/env.sh"
