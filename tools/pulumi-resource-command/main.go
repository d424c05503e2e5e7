// Command pulumi-resource-command is a small stand-in for the Pulumi Command provider's local
// resources (`command:local:Command` and the `command:local:run` function), for machines that cannot
// obtain the upstream provider: its Go module (github.com/pulumi/pulumi-command/provider) has no
// tags, and the module proxy reachable here serves none of its pseudo-versions. It speaks the same
// resource-provider protocol and honours the inputs of @pulumi/command's local.Command:
// create/update/delete, dir, environment, interpreter (default /bin/sh -c), stdin, triggers
// (replacement, via the SDK's replaceOnChanges), addPreviousOutputInEnv (PULUMI_COMMAND_STDOUT/STDERR,
// default true); outputs stdout and stderr (trailing newline trimmed), secret when a secret input
// was used. Not supported (rejected by Check): assetPaths, archivePaths and the remote:* resources.
// `logging` is accepted and ignored (output is not streamed to the engine).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is set with -ldflags "-X main.Version=..." to the @pulumi/command npm version it serves.
var Version = "0.0.0-dev"

const commandType = "command:local:Command"

var inputKeys = []resource.PropertyKey{
	"create", "update", "delete", "dir", "environment", "interpreter", "stdin", "triggers",
	"logging", "addPreviousOutputInEnv", "assetPaths", "archivePaths",
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println(Version)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &provider{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, Version)}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := req.GetType()
	if typ == "" {
		typ = string(resource.URN(req.GetUrn()).Type())
	}
	if typ != commandType {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{
			Reason: fmt.Sprintf("%s is not supported by this build of pulumi-resource-command (only %s)",
				typ, commandType),
		}}}, nil
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := news[k]; ok && !v.IsNull() {
			failures = append(failures, &pulumirpc.CheckFailure{
				Property: string(k), Reason: string(k) + " is not supported by this build of pulumi-resource-command",
			})
		}
	}
	if _, ok := news["addPreviousOutputInEnv"]; !ok {
		news["addPreviousOutputInEnv"] = resource.NewBoolProperty(true)
	}
	if _, ok := news["logging"]; !ok {
		news["logging"] = resource.NewStringProperty("stdoutAndStderr")
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if req.GetOldInputs() == nil {
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	resp := &pulumirpc.DiffResponse{HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	for _, k := range inputKeys {
		if ignored[string(k)] {
			continue
		}
		o, hasOld := olds[k]
		n, hasNew := news[k]
		hasOld = hasOld && !o.IsNull()
		hasNew = hasNew && !n.IsNull()
		var kind pulumirpc.PropertyDiff_Kind
		switch {
		case !hasOld && !hasNew:
			continue
		case !hasOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !hasNew:
			kind = pulumirpc.PropertyDiff_DELETE
		case n.ContainsUnknowns() || !o.DeepEquals(n):
			kind = pulumirpc.PropertyDiff_UPDATE
		default:
			continue
		}
		if k == "triggers" {
			kind += 1 // the *_REPLACE variant of each kind
			resp.Replaces = append(resp.Replaces, string(k))
		}
		resp.Diffs = append(resp.Diffs, string(k))
		resp.DetailedDiff[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	resp.Changes = pulumirpc.DiffResponse_DIFF_NONE
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return resp, nil
}

// result runs the command in key (if set) for inputs and returns the resource's new state.
func result(inputs resource.PropertyMap, key resource.PropertyKey, prev resource.PropertyMap, preview bool,
) (resource.PropertyMap, error) {
	state := resource.PropertyMap{}
	for _, k := range inputKeys {
		if v, ok := inputs[k]; ok {
			state[k] = v
		}
	}
	if preview {
		if inputs.ContainsUnknowns() || key != "" {
			state["stdout"] = resource.MakeComputed(resource.NewStringProperty(""))
			state["stderr"] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		return state, nil
	}
	stdout, stderr, err := run(inputs, key, prev)
	if err != nil {
		return nil, err
	}
	secret := inputs.ContainsSecrets()
	for k, v := range map[resource.PropertyKey]string{"stdout": stdout, "stderr": stderr} {
		pv := resource.NewStringProperty(v)
		if secret {
			pv = resource.MakeSecret(pv)
		}
		state[k] = pv
	}
	return state, nil
}

func plainString(v resource.PropertyValue) string {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// run executes inputs[key] (empty: nothing) with the interpreter, dir, environment and stdin inputs.
func run(inputs resource.PropertyMap, key resource.PropertyKey, prev resource.PropertyMap) (string, string, error) {
	script := plainString(inputs[key])
	if script == "" {
		return "", "", nil
	}
	interpreter := []string{"/bin/sh", "-c"}
	if v, ok := inputs["interpreter"]; ok && v.IsArray() && len(v.ArrayValue()) > 0 {
		interpreter = nil
		for _, e := range v.ArrayValue() {
			interpreter = append(interpreter, plainString(e))
		}
	}
	args := append(interpreter[1:], script)
	cmd := exec.Command(interpreter[0], args...)
	cmd.Dir = plainString(inputs["dir"])
	cmd.Env = os.Environ()
	if v, ok := inputs["environment"]; ok {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if v.IsObject() {
			for k, e := range v.ObjectValue() {
				cmd.Env = append(cmd.Env, string(k)+"="+plainString(e))
			}
		}
	}
	addPrev := true
	if v, ok := inputs["addPreviousOutputInEnv"]; ok && v.IsBool() {
		addPrev = v.BoolValue()
	}
	if addPrev && prev != nil {
		cmd.Env = append(cmd.Env,
			"PULUMI_COMMAND_STDOUT="+plainString(prev["stdout"]), "PULUMI_COMMAND_STDERR="+plainString(prev["stderr"]))
	}
	if s := plainString(inputs["stdin"]); s != "" {
		cmd.Stdin = strings.NewReader(s)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := strings.TrimSuffix(stdout.String(), "\n")
	errOut := strings.TrimSuffix(stderr.String(), "\n")
	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\nStdout:\n%s\nStderr:\n%s", err, script, out, errOut)
	}
	return out, errOut, nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	state, err := result(inputs, "create", nil, req.GetPreview())
	if err != nil {
		return nil, err
	}
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	id := ""
	if !req.GetPreview() {
		id = newID()
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// A command has no remote state to read: refresh keeps what was recorded.
	inputs := req.GetInputs()
	if inputs == nil {
		props, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		in := resource.PropertyMap{}
		for _, k := range inputKeys {
			if v, ok := props[k]; ok {
				in[k] = v
			}
		}
		if inputs, err = marshal(in); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	key := resource.PropertyKey("update")
	if plainString(news["update"]) == "" {
		key = "create"
	}
	state, err := result(news, key, olds, req.GetPreview())
	if err != nil {
		return nil, err
	}
	props, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	olds, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if _, _, err := run(olds, "delete", olds); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Invoke implements command:local:run (inputs command, dir, environment, interpreter, stdin).
func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != "command:local:run" {
		return nil, errors.New(req.GetTok() + " is not supported by this build of pulumi-resource-command")
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"assetPaths", "archivePaths"} {
		if v, ok := args[k]; ok && !v.IsNull() {
			return nil, errors.New(string(k) + " is not supported by this build of pulumi-resource-command")
		}
	}
	stdout, stderr, err := run(args, "command", nil)
	if err != nil {
		return nil, err
	}
	out := resource.PropertyMap{}
	for k, v := range args {
		out[k] = v
	}
	out["stdout"] = resource.NewStringProperty(stdout)
	out["stderr"] = resource.NewStringProperty(stderr)
	ret, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}
