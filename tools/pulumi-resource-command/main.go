// Command pulumi-resource-command is dockfleet's own implementation of the
// subset of the Pulumi "command" provider (v1.2.1 wire protocol) that
// dockfleet uses: command:remote:Command. See README.md.
package main

import (
	"fmt"
	"os"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(providerVersion)
		return
	}
	if err := pkgprovider.Main(providerName, newProvider); err != nil {
		cmdutil.ExitError(err.Error())
	}
}
