// Command pulumi-language-nodejs is the Node.js language host the project's Pulumi CLI runs programs with.
//
// Why our own: the upstream host is the module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3,
// and the Go module proxy these machines reach serves no version of it (see tools/pulumi/README.md). What a
// language host does for `pulumi up` is small and fixed by the LanguageRuntime protocol of the sdk/v3 module we
// pin: answer the engine's Handshake, GetPluginInfo and GetRequiredPackages, and on Run start
// `node <@pulumi/pulumi/cmd/run> --monitor … <entry point>` in the program's directory with the stack's
// config in PULUMI_CONFIG, wait for it and report how it exited. Everything else (registering resources, the
// dynamic provider host, secrets) happens in @pulumi/pulumi and in the engine, unchanged.
//
// What it leaves out, knowingly: plugin discovery from node_modules (GetRequiredPackages answers "none": the
// project's programs use only the pulumi-nodejs dynamic provider, which is bundled), dependency installation
// (npm does it), ts-node (Node 22 strips types itself), debugging, bun, and the synchronous-invoke pipes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is stamped by the build (-ldflags "-X main.version=…") with the CLI's version.
var version = "0.0.0-dev"

// exitAfterUserMessage is the code @pulumi/pulumi's runner exits with once it has printed an actionable error.
const exitAfterUserMessage = 32

func main() {
	showVersion := flag.Bool("version", false, "print the plugin's version and exit")
	flag.String("tracing", "", "accepted for compatibility with the engine's arguments; ignored")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	engineAddress := flag.Arg(0)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()
	if engineAddress != "" {
		// Exit when the engine goes away (a killed CLI must not leave us behind).
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fail(fmt.Errorf("could not start the engine health check: %w", err))
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
	})
	if err != nil {
		fail(fmt.Errorf("could not start the language host's gRPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port) // the engine reads the port from our first line of output
	if err := <-handle.Done; err != nil {
		fail(fmt.Errorf("the language host's gRPC server stopped: %w", err))
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(context.Context, *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil // npm installs the project's dependencies; nothing to do here
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Run runs the program with node and @pulumi/pulumi's runner, as `pulumi up`, `preview` and `refresh` ask.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the PATH: " + err.Error()}, nil
	}
	dir := req.GetInfo().GetProgramDirectory()
	runner, err := resolveRunner(node, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := programEnv(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	cmd := exec.CommandContext(ctx, node, runnerArgs(req, runner, h.engineAddress)...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = struct{ io.Writer }{os.Stdout} // a wrapper: node may switch a shared descriptor to non-blocking
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	return runResult(cmd.Run()), nil
}

// resolveRunner finds @pulumi/pulumi/cmd/run as node resolves it from the program's directory.
func resolveRunner(node, dir string) (string, error) {
	cmd := exec.Command(node, "-e", "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find @pulumi/pulumi from %s (run npm install in the project): %w", dir, err)
	}
	return filepath.Dir(string(out)), nil
}

// runnerArgs are the runner's command line: its flags, then the program's entry point and arguments.
func runnerArgs(req *pulumirpc.RunRequest, runner, engineAddress string) []string {
	args := []string{runner}
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// programEnv is our environment plus the stack's config in the form @pulumi/pulumi reads it.
func programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	cfg := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("config key %q: %w", k, err)
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts := req.GetInfo().GetOptions().AsMap(); opts["typescript"] == true {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	return env, nil
}

// runResult turns how the program exited into the engine's answer.
func runResult(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == exitAfterUserMessage {
			return &pulumirpc.RunResponse{Bail: true} // the runner already printed what went wrong
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: "could not run the program with node: " + err.Error()}
}
