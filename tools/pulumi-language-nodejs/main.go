// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine.
//
// Upstream's language host lives in its own Go module (github.com/pulumi/pulumi/sdk/nodejs/cmd/
// pulumi-language-nodejs/v3) that has no tags and whose pseudo-versions the module proxy reachable
// here does not serve, so scripts/setup-pulumi.sh builds this host instead. It implements what
// `pulumi preview/up/destroy/refresh` need from a language host:
//
//   - GetRequiredPackages: the resource plugins named by node_modules/**/package.json ("pulumi": {"resource": true})
//   - Run: `node [nodeargs] <@pulumi/pulumi/cmd/run> --monitor ... <entry point>` with PULUMI_CONFIG,
//     PULUMI_CONFIG_SECRET_KEYS and, for the `typescript` (default true) and `tsconfig` runtime options,
//     PULUMI_NODEJS_TYPESCRIPT / PULUMI_NODEJS_TSCONFIG_PATH, which @pulumi/pulumi's cmd/run reads itself
//   - InstallDependencies (`npm install`), GetProgramDependencies, About, GetPluginInfo, Handshake, Cancel
//
// Not implemented: synchronous invokes through the `--sync` pipes (deprecated `invokeSync`), debugger
// attachment, the bun runtime, code generation and plugin packing.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Version is set with -ldflags "-X main.Version=..." to the version of the Pulumi CLI it is built with.
var Version = "0.0.0-dev"

// nodeExitBail is the exit code @pulumi/pulumi uses after it has shown the user an actionable message.
const nodeExitBail = 32

func main() {
	flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint (ignored)")
	runtimeName := flag.String("runtime", "nodejs", "JavaScript runtime; only nodejs is supported")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(Version)
		return
	}
	if *runtimeName != "nodejs" {
		fatalf("unsupported runtime: %s", *runtimeName)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cancelServer := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelServer)
	}()

	h := &host{}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, stop); err != nil {
			fatalf("could not start health check: %v", err)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServer,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start language host RPC server: %v", err)
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from the first line of stdout
	if err := <-handle.Done; err != nil {
		fatalf("language host RPC server stopped: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	running       map[*exec.Cmd]struct{}
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// options are the runtime options of Pulumi.yaml (runtime.options) that this host understands.
type options struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) (options, error) {
	o := options{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return o, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return o, errors.New("runtime option 'typescript' must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, errors.New("runtime option 'tsconfig' must be a string")
		}
		o.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, errors.New("runtime option 'nodeargs' must be a string")
		}
		o.nodeargs = strings.Fields(s)
	}
	return o, nil
}

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// GetRequiredPackages lists the resource plugins that installed npm packages ask for.
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	seen := map[string]bool{}
	var pkgs []*pulumirpc.PackageDependency
	walkNodeModules(filepath.Join(req.GetInfo().GetProgramDirectory(), "node_modules"), func(path string) {
		p, err := readPackageJSON(path)
		if err != nil || !p.Pulumi.Resource {
			return // not a Pulumi package
		}
		name := p.Pulumi.Name
		if name == "" {
			if !strings.HasPrefix(p.Name, "@pulumi/") {
				return
			}
			name = strings.TrimPrefix(p.Name, "@pulumi/")
		}
		version := p.Pulumi.Version
		if version == "" {
			version = p.Version
		}
		if version != "" && !strings.HasPrefix(version, "v") {
			version = "v" + version
		}
		if key := name + "@" + version; !seen[key] {
			seen[key] = true
			pkgs = append(pkgs, &pulumirpc.PackageDependency{
				Name: name, Kind: "resource", Version: version, Server: p.Pulumi.Server,
			})
		}
	})
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name+pkgs[i].Version < pkgs[j].Name+pkgs[j].Version })
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// walkNodeModules calls visit for every package.json below root, following symlinked directories (a linked
// node_modules, linked scopes or packages, as npm workspaces and the e2e copies make) once each by their real
// path, so link cycles end. .bin and .cache are skipped; unreadable parts are skipped silently.
func walkNodeModules(root string, visit func(path string)) {
	visited := map[string]bool{}
	var walk func(dir string)
	walk = func(dir string) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || visited[real] {
			return
		}
		visited[real] = true
		entries, err := os.ReadDir(real)
		if err != nil {
			return
		}
		for _, e := range entries {
			path := filepath.Join(real, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(path)
				if err != nil {
					continue
				}
				isDir = st.IsDir()
			}
			switch {
			case isDir && (e.Name() == ".bin" || e.Name() == ".cache"):
			case isDir:
				walk(path)
			case e.Name() == "package.json":
				visit(path)
			}
		}
	}
	walk(root)
}

// resolveRunScript finds @pulumi/pulumi/cmd/run as the program's own Node would.
func resolveRunScript(ctx context.Context, nodeBin, programDir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, nodeBin, "-e",
		`console.log(require.resolve("@pulumi/pulumi/cmd/run", {paths: [process.argv[1]]}))`, programDir)
	cmd.Dir = programDir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find @pulumi/pulumi from %s (run `npm install`?): %w", programDir, err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		info = &pulumirpc.ProgramInfo{ProgramDirectory: req.GetPwd(), RootDirectory: req.GetPwd(), EntryPoint: req.GetProgram()}
	}
	opts, err := parseOptions(info)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runPath, err := resolveRunScript(ctx, nodeBin, info.GetProgramDirectory())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetQueryMode() {
		args = append(args, "--query-mode")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// @pulumi/pulumi still accepts the old "<namespace>:config:<name>" keys and expects them.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, _ := json.Marshal(cfg)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(nodeBin, args...)
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}, nil
	}
	h.track(cmd, true)
	defer h.track(cmd, false)
	stopWatch := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(os.Interrupt) })
	defer stopWatch()
	err = cmd.Wait()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == nodeExitBail:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: "Problem executing program: " + err.Error()}, nil
	}
}

func (h *host) track(cmd *exec.Cmd, add bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running == nil {
		h.running = map[*exec.Cmd]struct{}{}
	}
	if add {
		h.running[cmd] = struct{}{}
	} else {
		delete(h.running, cmd)
	}
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.running {
		_ = cmd.Process.Signal(os.Interrupt)
	}
	return &emptypb.Empty{}, nil
}

// InstallDependencies runs `npm install` in the program directory and streams its output.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	dir := req.GetDirectory()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	cmd := exec.CommandContext(stream.Context(), "npm", "install", "--ignore-scripts")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.FailedPrecondition, "could not run npm: %v", err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if err := stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: append(sc.Bytes(), '\n')}); err != nil {
			return err
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("npm install failed: %w", err)
	}
	return nil
}

// GetProgramDependencies lists the program's direct npm dependencies with their installed versions.
func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(p.Dependencies))
	for name, want := range p.Dependencies {
		version := want
		if installed, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json")); err == nil {
			version = installed.Version
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: version})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: nodeBin, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
