package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	providerName    = "command"
	providerVersion = "1.2.1" // the version @pulumi/command@1.2.1 asks for
	remoteCommand   = "command:remote:Command"
)

// logHost is the part of the engine host the provider uses (nil in tests).
type logHost interface {
	LogStatus(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) error
}

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host logHost
}

func newProvider(host *pkgprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
	p := &commandProvider{}
	if host != nil {
		p.host = host
	}
	return p, nil
}

func marshalOpts(label string) plugin.MarshalOptions {
	return plugin.MarshalOptions{Label: label, KeepUnknowns: true, KeepSecrets: true, KeepOutputValues: false}
}

func unmarshal(label string, s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, marshalOpts(label))
}

func marshal(label string, pm resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(pm, marshalOpts(label))
}

func checkType(t string) error {
	if t != remoteCommand {
		return fmt.Errorf("resource type %q is not implemented by dockfleet's pulumi-resource-command (only %s)", t, remoteCommand)
	}
	return nil
}

// --- plugin / provider configuration -----------------------------------------

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

func (p *commandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schemaJSON}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *commandProvider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// --- resource lifecycle ------------------------------------------------------

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := checkType(req.GetType()); err != nil {
		return nil, err
	}
	news, err := unmarshal("check.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: checkInputs(news)}, nil
}

// checkInputs validates what a run needs; unknown (preview) values pass.
func checkInputs(news resource.PropertyMap) []*pulumirpc.CheckFailure {
	var fails []*pulumirpc.CheckFailure
	fail := func(prop, reason string) {
		fails = append(fails, &pulumirpc.CheckFailure{Property: prop, Reason: reason})
	}
	conn, ok := news["connection"]
	switch {
	case !ok || unwrap(conn).IsNull():
		fail("connection", "missing required property 'connection'")
	case isUnknown(conn) && !unwrap(conn).IsObject():
		// whole connection unknown: nothing to check yet
	case !unwrap(conn).IsObject():
		fail("connection", "connection must be an object")
	default:
		obj := unwrap(conn).ObjectValue()
		h, ok := obj["host"]
		if !ok || h.IsNull() || (!isUnknown(h) && !h.IsString()) || (h.IsString() && h.StringValue() == "") {
			fail("connection.host", "missing required property 'connection.host'")
		}
	}
	for _, k := range []string{"create", "update", "delete", "stdin", "logging"} {
		v, ok := news[resource.PropertyKey(k)]
		if !ok || isUnknown(v) {
			continue
		}
		if u := unwrap(v); !u.IsNull() && !u.IsString() {
			fail(k, k+" must be a string")
		}
	}
	if v, ok := news["logging"]; ok && !isUnknown(v) && unwrap(v).IsString() {
		switch unwrap(v).StringValue() {
		case "stdout", "stderr", "stdoutAndStderr", "none":
		default:
			fail("logging", `logging must be one of "stdout", "stderr", "stdoutAndStderr", "none"`)
		}
	}
	return fails
}

// oldInputs prefers the engine's old inputs and falls back to the old state
// (which holds the inputs plus stdout/stderr).
func oldInputs(label string, oldIn, olds *structpb.Struct) (resource.PropertyMap, error) {
	if oldIn != nil && len(oldIn.GetFields()) > 0 {
		return unmarshal(label+".oldInputs", oldIn)
	}
	return unmarshal(label+".olds", olds)
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if err := checkType(req.GetType()); err != nil {
		return nil, err
	}
	olds, err := oldInputs("diff", req.GetOldInputs(), req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal("diff.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	return computeDiff(olds, news, req.GetIgnoreChanges()).toResponse(), nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := checkType(req.GetType()); err != nil {
		return nil, err
	}
	news, err := unmarshal("create.properties", req.GetProperties())
	if err != nil {
		return nil, err
	}
	state := copyMap(news)
	id := ""
	if req.GetPreview() {
		if present(news, "create") || isUnknown(news["create"]) {
			state["stdout"], state["stderr"] = unknownString(), unknownString()
		} else {
			state["stdout"], state["stderr"] = resource.NewStringProperty(""), resource.NewStringProperty("")
		}
	} else {
		id = newID()
		ctx, cancel := withTimeout(ctx, req.GetTimeout())
		defer cancel()
		res, err := p.run(ctx, resource.URN(req.GetUrn()), news, "create", nil)
		if err != nil {
			return nil, err
		}
		state["stdout"], state["stderr"] = resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr)
	}
	out, err := marshal("create.outputs", state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if err := checkType(req.GetType()); err != nil {
		return nil, err
	}
	oldState, err := unmarshal("update.olds", req.GetOlds())
	if err != nil {
		return nil, err
	}
	olds, err := oldInputs("update", req.GetOldInputs(), req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal("update.news", req.GetNews())
	if err != nil {
		return nil, err
	}
	d := computeDiff(olds, news, req.GetIgnoreChanges())
	cmdKey := "create"
	if present(news, "update") || isUnknown(news["update"]) {
		cmdKey = "update"
	}
	runs := d.Run && (present(news, cmdKey) || isUnknown(news[resource.PropertyKey(cmdKey)]))

	state := copyMap(news)
	state["stdout"], state["stderr"] = plainOr(oldState, "stdout"), plainOr(oldState, "stderr")
	switch {
	case !runs:
		// Only connection/delete/logging/addPreviousOutputInEnv changed (or no
		// command to run): keep the previous outputs, store the new inputs.
	case req.GetPreview():
		state["stdout"], state["stderr"] = unknownString(), unknownString()
	default:
		ctx, cancel := withTimeout(ctx, req.GetTimeout())
		defer cancel()
		res, err := p.run(ctx, resource.URN(req.GetUrn()), news, cmdKey, oldState)
		if err != nil {
			return nil, err
		}
		state["stdout"], state["stderr"] = resource.NewStringProperty(res.Stdout), resource.NewStringProperty(res.Stderr)
	}
	out, err := marshal("update.outputs", state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if err := checkType(req.GetType()); err != nil {
		return nil, err
	}
	state, err := unmarshal("delete.properties", req.GetProperties())
	if err != nil {
		return nil, err
	}
	if !present(state, "delete") {
		return &emptypb.Empty{}, nil
	}
	// The old state holds the inputs the resource was last created/updated
	// with; the delete command runs without stdin, like upstream.
	ins := copyMap(state)
	delete(ins, "stdin")
	ctx, cancel := withTimeout(ctx, req.GetTimeout())
	defer cancel()
	if _, err := p.run(ctx, resource.URN(req.GetUrn()), ins, "delete", state); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// Commands are not refreshable: report the state unchanged.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// plainOr returns pm[key] if it is a known string, else "".
func plainOr(pm resource.PropertyMap, key string) resource.PropertyValue {
	if v, ok := pm[resource.PropertyKey(key)]; ok && !isUnknown(v) {
		return v
	}
	return resource.NewStringProperty("")
}

func withTimeout(ctx context.Context, seconds float64) (context.Context, context.CancelFunc) {
	if seconds > 0 {
		return context.WithTimeout(ctx, time.Duration(seconds*float64(time.Second)))
	}
	return context.WithCancel(ctx)
}

// run executes ins[cmdKey] on the host of ins["connection"]. prev, when set,
// is the previous state whose stdout/stderr go into PULUMI_COMMAND_STDOUT/
// PULUMI_COMMAND_STDERR (unless addPreviousOutputInEnv is false).
func (p *commandProvider) run(ctx context.Context, urn resource.URN, ins resource.PropertyMap, cmdKey string, prev resource.PropertyMap) (runResult, error) {
	cmd, ok := getString(ins, cmdKey)
	if !ok || cmd == "" {
		return runResult{}, nil
	}
	connMap, ok := getObject(ins, "connection")
	if !ok {
		return runResult{}, fmt.Errorf("missing required property 'connection'")
	}
	conn, err := parseConn(connMap)
	if err != nil {
		return runResult{}, err
	}
	spec := runSpec{Command: cmd, CommandSecret: isSecret(ins[resource.PropertyKey(cmdKey)])}
	if s, ok := getString(ins, "stdin"); ok {
		spec.Stdin = &s
	}
	keys, env := getStringMap(ins, "environment")
	for _, k := range keys {
		spec.Env = append(spec.Env, k+"="+env[k])
	}
	if addPrev, set := getBool(ins, "addPreviousOutputInEnv"); prev != nil && (!set || addPrev) {
		out, _ := getString(prev, "stdout")
		errOut, _ := getString(prev, "stderr")
		spec.Env = append(spec.Env, "PULUMI_COMMAND_STDOUT="+out, "PULUMI_COMMAND_STDERR="+errOut)
	}
	mode, ok := getString(ins, "logging")
	if !ok || mode == "" {
		mode = "stdoutAndStderr"
	}
	var flush []func()
	if p.host != nil {
		mk := func() io.Writer {
			l := &lineLogger{emit: func(line string) {
				_ = p.host.LogStatus(ctx, diag.Info, urn, line)
			}}
			flush = append(flush, l.Flush)
			return l
		}
		if mode == "stdout" || mode == "stdoutAndStderr" {
			spec.Stdout = mk()
		}
		if mode == "stderr" || mode == "stdoutAndStderr" {
			spec.Stderr = mk()
		}
	}
	client, closeAll, err := conn.connect(ctx)
	if err != nil {
		return runResult{}, err
	}
	defer closeAll()
	res, err := runRemote(ctx, client, spec)
	for _, f := range flush {
		f()
	}
	return res, err
}
