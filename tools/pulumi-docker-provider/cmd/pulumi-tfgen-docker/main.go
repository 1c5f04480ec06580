// Command pulumi-tfgen-docker writes schema.json and bridge-metadata.json for
// the provider (build.sh runs "schema --out DIR").
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"dockfleet.local/tools/pulumi-docker-provider/provider"
)

func main() {
	pftfgen.MainWithMuxer("docker", provider.Provider([]byte("{}")))
}
