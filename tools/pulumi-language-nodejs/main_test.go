package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// store builds a node_modules tree as npm lays out this project's: resource packages with and without
// pulumi.name, a version with a leading v, a nested copy of one plugin, a server URL, and packages that are
// not resource plugins.
func store(t *testing.T) string {
	t.Helper()
	nm := filepath.Join(t.TempDir(), "node_modules")
	writeJSON(t, filepath.Join(nm, "@pulumi", "kubernetes", "package.json"), map[string]any{
		"name": "@pulumi/kubernetes", "version": "4.25.0", "pulumi": map[string]any{"resource": true, "name": "kubernetes"},
	})
	writeJSON(t, filepath.Join(nm, "@pulumi", "command", "package.json"), map[string]any{
		"name": "@pulumi/command", "version": "1.2.1", "pulumi": map[string]any{"resource": true},
	})
	writeJSON(t, filepath.Join(nm, "@pulumi", "github", "package.json"), map[string]any{
		"name": "@pulumi/github", "version": "6.15.0",
		"pulumi": map[string]any{"resource": true, "version": "v6.15.0", "server": "https://example.invalid/plugins"},
	})
	// Nested under another package: found, and a second copy of the same version is listed once.
	writeJSON(t, filepath.Join(nm, "some-lib", "node_modules", "@pulumi", "random", "package.json"), map[string]any{
		"name": "@pulumi/random", "version": "4.18.0", "pulumi": map[string]any{"resource": true},
	})
	writeJSON(t, filepath.Join(nm, "other-lib", "node_modules", "@pulumi", "command", "package.json"), map[string]any{
		"name": "@pulumi/command", "version": "1.2.1", "pulumi": map[string]any{"resource": true},
	})
	// Not resource plugins: the SDK, a package without the pulumi key, a third-party resource package with no
	// plugin name, a broken package.json, and anything under .bin.
	writeJSON(t, filepath.Join(nm, "@pulumi", "pulumi", "package.json"), map[string]any{"name": "@pulumi/pulumi", "version": "3.259.0"})
	writeJSON(t, filepath.Join(nm, "yaml", "package.json"), map[string]any{"name": "yaml", "version": "2.9.1"})
	writeJSON(t, filepath.Join(nm, "acme-resource", "package.json"), map[string]any{
		"name": "acme-resource", "version": "1.0.0", "pulumi": map[string]any{"resource": true},
	})
	writeJSON(t, filepath.Join(nm, ".bin", "x", "package.json"), map[string]any{
		"name": "@pulumi/bogus", "version": "1.0.0", "pulumi": map[string]any{"resource": true},
	})
	if err := os.MkdirAll(filepath.Join(nm, "yaml", "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nm, "yaml", "broken", "package.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	return nm
}

var wantPackages = []string{
	"command v1.2.1 ",
	"github v6.15.0 https://example.invalid/plugins",
	"kubernetes v4.25.0 ",
	"random v4.18.0 ",
}

func requiredPackages(t *testing.T, programDir string) []string {
	t.Helper()
	resp, err := (&host{}).GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: programDir, RootDirectory: programDir, EntryPoint: "."},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range resp.GetPackages() {
		if p.GetKind() != "resource" {
			t.Errorf("%s: kind %q", p.GetName(), p.GetKind())
		}
		got = append(got, p.GetName()+" "+p.GetVersion()+" "+p.GetServer())
	}
	return got
}

func TestRequiredPluginsFromAPlainNodeModules(t *testing.T) {
	nm := store(t)
	if got := requiredPackages(t, filepath.Dir(nm)); !reflect.DeepEqual(got, wantPackages) {
		t.Errorf("got %q\nwant %q", got, wantPackages)
	}
}

// bench/preview.sh and the README's temporary copies link the checkout's node_modules as a whole.
func TestRequiredPluginsThroughASymlinkedNodeModules(t *testing.T) {
	nm := store(t)
	program := t.TempDir()
	if err := os.Symlink(nm, filepath.Join(program, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if got := requiredPackages(t, program); !reflect.DeepEqual(got, wantPackages) {
		t.Errorf("got %q\nwant %q", got, wantPackages)
	}
}

// tests/e2e/engine.test.ts links each entry of node_modules (so the copy's own install marker can sit beside
// them): symlinked scope and package directories are followed too.
func TestRequiredPluginsThroughSymlinkedEntries(t *testing.T) {
	nm := store(t)
	program := t.TempDir()
	own := filepath.Join(program, "node_modules")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(nm)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(nm, e.Name()), filepath.Join(own, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// A link cycle must not hang the walk.
	if err := os.Symlink(own, filepath.Join(nm, "yaml", "loop")); err != nil {
		t.Fatal(err)
	}
	if got := requiredPackages(t, program); !reflect.DeepEqual(got, wantPackages) {
		t.Errorf("got %q\nwant %q", got, wantPackages)
	}
}

func TestNoNodeModulesMeansNoPlugins(t *testing.T) {
	if got := requiredPackages(t, t.TempDir()); len(got) != 0 {
		t.Errorf("got %q", got)
	}
}

func TestRuntimeOptions(t *testing.T) {
	info := func(m map[string]any) *pulumirpc.ProgramInfo {
		s, err := structpb.NewStruct(m)
		if err != nil {
			t.Fatal(err)
		}
		return &pulumirpc.ProgramInfo{Options: s}
	}
	o, err := parseOptions(info(map[string]any{"packagemanager": "npm"}))
	if err != nil || !o.typescript || o.tsconfig != "" || len(o.nodeargs) != 0 {
		t.Errorf("defaults: %+v %v", o, err)
	}
	o, err = parseOptions(info(map[string]any{"typescript": false, "tsconfig": "tsconfig.build.json", "nodeargs": "--max-old-space-size=4096  --no-warnings"}))
	if err != nil || o.typescript || o.tsconfig != "tsconfig.build.json" ||
		!reflect.DeepEqual(o.nodeargs, []string{"--max-old-space-size=4096", "--no-warnings"}) {
		t.Errorf("set: %+v %v", o, err)
	}
	for _, bad := range []map[string]any{{"typescript": "yes"}, {"tsconfig": 1.0}, {"nodeargs": []any{"--x"}}} {
		if _, err := parseOptions(info(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// fakeNode puts a `node` on PATH that records its arguments and the Pulumi environment and exits with code.
func fakeNode(t *testing.T, code string) (record string) {
	t.Helper()
	bin := t.TempDir()
	record = filepath.Join(bin, "record")
	script := "#!/bin/sh\n" +
		`printf '%s\n' "$@" > "` + record + `.args"` + "\n" +
		`printf '%s\n%s\n%s\n%s\n' "$PULUMI_CONFIG" "$PULUMI_CONFIG_SECRET_KEYS" "$PULUMI_NODEJS_TYPESCRIPT" "$PULUMI_NODEJS_TSCONFIG_PATH" > "` + record + `.env"` + "\n" +
		"exit " + code + "\n"
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", "/sdk/cmd/run")
	return record
}

func runRequest(t *testing.T, dir string) *pulumirpc.RunRequest {
	t.Helper()
	opts, err := structpb.NewStruct(map[string]any{"tsconfig": "tsconfig.json"})
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:1234", Project: "promotion-pipeline", Stack: "live", DryRun: true, Parallel: 4,
		Config:           map[string]string{"promotion-pipeline:pin": `{"tag":"1.4.2"}`, "kubernetes:context": "kind"},
		ConfigSecretKeys: []string{"promotion-pipeline:dispatchToken"},
		Info:             &pulumirpc.ProgramInfo{ProgramDirectory: dir, RootDirectory: dir, EntryPoint: ".", Options: opts},
	}
}

func TestRunStartsNodeWithTheRunScriptArgumentsAndConfig(t *testing.T) {
	record := fakeNode(t, "0")
	dir := t.TempDir()
	resp, err := (&host{engineAddress: "127.0.0.1:5678"}).Run(context.Background(), runRequest(t, dir))
	if err != nil || resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("run: %v %q bail=%v", err, resp.GetError(), resp.GetBail())
	}
	args, _ := os.ReadFile(record + ".args")
	want := []string{
		"/sdk/cmd/run", "--monitor", "127.0.0.1:1234", "--engine", "127.0.0.1:5678", "--project", "promotion-pipeline",
		"--root-directory", dir, "--stack", "live", "--pwd", dir, "--dry-run", "--parallel", "4", ".",
	}
	if got := strings.Split(strings.TrimSuffix(string(args), "\n"), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("node args\n got %q\nwant %q", got, want)
	}
	env, _ := os.ReadFile(record + ".env")
	lines := strings.Split(string(env), "\n")
	var cfg map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &cfg); err != nil {
		t.Fatal(err)
	}
	// @pulumi/pulumi reads the old "<namespace>:config:<name>" keys.
	if !reflect.DeepEqual(cfg, map[string]string{"promotion-pipeline:config:pin": `{"tag":"1.4.2"}`, "kubernetes:config:context": "kind"}) {
		t.Errorf("PULUMI_CONFIG %v", cfg)
	}
	if lines[1] != `["promotion-pipeline:dispatchToken"]` || lines[2] != "true" || lines[3] != "tsconfig.json" {
		t.Errorf("secret keys %q, typescript %q, tsconfig %q", lines[1], lines[2], lines[3])
	}
}

// @pulumi/pulumi exits 32 after it has shown the user the message (a pulumi.RunError, a config error): the
// engine must then print nothing more.
func TestRunBailsOnExitCode32AndReportsOtherExitCodes(t *testing.T) {
	fakeNode(t, "32")
	resp, err := (&host{}).Run(context.Background(), runRequest(t, t.TempDir()))
	if err != nil || !resp.GetBail() || resp.GetError() != "" {
		t.Errorf("exit 32: bail=%v error=%q %v", resp.GetBail(), resp.GetError(), err)
	}
	fakeNode(t, "1")
	resp, err = (&host{}).Run(context.Background(), runRequest(t, t.TempDir()))
	if err != nil || resp.GetBail() || resp.GetError() != "Program exited with non-zero exit code: 1" {
		t.Errorf("exit 1: bail=%v error=%q %v", resp.GetBail(), resp.GetError(), err)
	}
}

func TestProgramDependenciesAreTheInstalledVersions(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "package.json"), map[string]any{
		"name": "p", "dependencies": map[string]any{"yaml": "^2.9.1", "semver": "^7.8.6"},
	})
	writeJSON(t, filepath.Join(dir, "node_modules", "yaml", "package.json"), map[string]any{"name": "yaml", "version": "2.9.3"})
	resp, err := (&host{}).GetProgramDependencies(context.Background(), &pulumirpc.GetProgramDependenciesRequest{
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range resp.GetDependencies() {
		got = append(got, d.GetName()+"@"+d.GetVersion())
	}
	if want := []string{"semver@^7.8.6", "yaml@2.9.3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q (not installed: the range)", got, want)
	}
}
