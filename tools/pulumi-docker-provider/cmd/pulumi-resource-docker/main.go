// Command pulumi-resource-docker is the Pulumi resource plugin. schema.json
// and bridge-metadata.json are written next to this file by build.sh (tfgen)
// before it is compiled; they are not kept in the repository.
package main

import (
	"context"
	_ "embed"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"dockfleet.local/tools/pulumi-docker-provider/provider"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pftfbridge.MainWithMuxer(context.Background(), "docker", provider.Provider(metadata), schema)
}
