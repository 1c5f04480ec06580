//go:build tools

// Package tools pins the Node.js language host. The standalone module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 is not
// served by the module proxy reachable here, so the host is taken from the
// last sdk/v3 release that still contained it as a package (see README).
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
)
