// Command pulumi-language-yaml is the Pulumi YAML language host of github.com/pulumi/pulumi-yaml
// v1.25.0 (its pkg/server, unchanged, from the Go module proxy), started the way later upstream
// releases start it, so that it works with the 3.248 engine:
//
//   - Link: what `pulumi package add` calls after generating a package's SDK. pulumi-yaml added it
//     in v1.26.2 (pulumi/pulumi-yaml#929) as a no-op (a YAML program needs nothing linked).
//     v1.25.0 answers Unimplemented, and the 3.248 CLI then stops before it records the package
//     in Pulumi.yaml. The wrapper below answers Link the way v1.26.2 does.
//   - Package schemas through the engine's loader (useRPCLoader, an option v1.25.0 has and its
//     own main leaves off; v1.36.0 made it the only way, pulumi/pulumi-yaml#899). v1.25.0's
//     in-process loader starts plugins with the plugin host of Pulumi sdk v3.206, which passes
//     `-root` to the language host of a source plugin (such as dockfleet's Node.js component
//     package); the 3.248 `pulumi-language-nodejs` refuses that flag and the schema never loads.
//
// Every RPC other than Link is v1.25.0's code.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/pulumi/pulumi-yaml/pkg/server"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// linker is the v1.25.0 language host with a Link that links nothing.
type linker struct {
	pulumirpc.LanguageRuntimeServer
}

func (linker) Link(context.Context, *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	return &pulumirpc.LinkResponse{}, nil
}

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.String("root", "", "Root of the program execution")
	flag.String("compiler", "", "[obsolete] Compiler to use to pre-process YAML")
	flag.Parse()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-yaml", "pulumi-language-yaml", *tracing)

	// With an engine address: stop serving on SIGINT or when the engine stops answering.
	var engineAddress string
	stopServing := make(chan bool)
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
		ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
		go func() {
			<-ctx.Done()
			cancel()
			close(stopServing)
		}()
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(srv *grpc.Server) error {
			host := server.NewLanguageHost(engineAddress, *tracing, true /* useRPCLoader */)
			pulumirpc.RegisterLanguageRuntimeServer(srv, linker{host})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The port on the first line of stdout tells the engine where to reach the host.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
