# shellcheck shell=bash
# Source after `npm run engine`: the engine, the plugins and the offline/local PULUMI_* settings.
_df_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/pulumi-engine/env.sh
source "$_df_root/tools/pulumi-engine/env.sh"
_df_cmd="$(bash "$_df_root/tools/pulumi-resource-command/build.sh" --print-bin-dir)"
_df_dkr="$(bash "$_df_root/tools/pulumi-docker-provider/build.sh" --print-bin-dir)"
_df_yaml="$(bash "$_df_root/tools/pulumi-language-yaml/build.sh" --print-bin-dir)"
_df_py="$(bash "$_df_root/tools/pulumi-language-python/build.sh" --print-bin-dir)"
export PATH="$_df_cmd:$_df_dkr:$_df_yaml:$_df_py:$PATH"
unset _df_root _df_cmd _df_dkr _df_yaml _df_py
