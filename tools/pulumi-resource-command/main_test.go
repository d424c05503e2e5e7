package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const urn = "urn:pulumi:integration::promotion-pipeline::promotion:github:RepositoryFiles$command:local:Command::f"

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := marshal(resource.NewPropertyMapFromMap(m))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func state(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fileCommand is what components/repositoryFiles.ts declares for one delivered file: create writes stdin to
// $TARGET_FILE atomically, delete removes it, a content change (triggers) replaces it.
func fileCommand(t *testing.T, dir, content string) map[string]any {
	t.Helper()
	return map[string]any{
		"create":      `mkdir -p "$(dirname "$TARGET_FILE")" && cat > "$TARGET_FILE.tmp" && mv "$TARGET_FILE.tmp" "$TARGET_FILE"`,
		"delete":      `rm -f "$TARGET_FILE"`,
		"environment": map[string]any{"TARGET_FILE": filepath.Join(dir, "out", "file.yaml")},
		"stdin":       content,
		"triggers":    []any{"sha-of-" + content},
		"logging":     "none",
	}
}

// checked runs Check as the engine does before Create/Update and returns the inputs it gives back.
func checked(t *testing.T, p *provider, news map[string]any) *structpb.Struct {
	t.Helper()
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, Type: commandType, News: props(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetFailures()) > 0 {
		t.Fatalf("check failures: %v", resp.GetFailures())
	}
	return resp.GetInputs()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func TestCreateRunsCreateWithDirEnvironmentAndStdin(t *testing.T) {
	p, dir := &provider{}, t.TempDir()
	inputs := checked(t, p, map[string]any{
		"create":      `printf '%s|%s|' "$GREETING" "$(pwd)"; cat; echo to-stderr >&2`,
		"dir":         dir,
		"environment": map[string]any{"GREETING": "hello"},
		"stdin":       "from-stdin\n",
	})
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: inputs})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() == "" {
		t.Error("no id")
	}
	out := state(t, resp.GetProperties())
	if got, want := out["stdout"].StringValue(), "hello|"+dir+"|from-stdin"; got != want {
		t.Errorf("stdout %q, want %q (trailing newline trimmed)", got, want)
	}
	if got := out["stderr"].StringValue(); got != "to-stderr" {
		t.Errorf("stderr %q", got)
	}
	if got := out["stdin"].StringValue(); got != "from-stdin\n" {
		t.Errorf("the inputs are kept in the state: stdin %q", got)
	}
}

func TestPreviewRunsNothingAndLeavesOutputsUnknown(t *testing.T) {
	p, dir := &provider{}, t.TempDir()
	inputs := checked(t, p, fileCommand(t, dir, "a: 1\n"))
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: inputs, Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() != "" {
		t.Errorf("a preview has no id, got %q", resp.GetId())
	}
	if out := state(t, resp.GetProperties()); !out["stdout"].IsComputed() {
		t.Errorf("stdout should be unknown in a preview, got %v", out["stdout"])
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a preview ran the command: %v", err)
	}
}

func TestUpdateRunsUpdateWithThePreviousOutputsOrCreateWithoutUpdate(t *testing.T) {
	p := &provider{}
	olds := checked(t, p, map[string]any{"create": "echo first"})
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: olds})
	if err != nil {
		t.Fatal(err)
	}
	news := checked(t, p, map[string]any{"create": "echo first", "update": `echo "was $PULUMI_COMMAND_STDOUT"`})
	resp, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Olds: created.GetProperties(), News: news})
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, resp.GetProperties())["stdout"].StringValue(); got != "was first" {
		t.Errorf("update stdout %q, want %q", got, "was first")
	}
	// No update command: create runs again (upstream's behaviour).
	news = checked(t, p, map[string]any{"create": "echo again"})
	resp, err = p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Olds: created.GetProperties(), News: news})
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, resp.GetProperties())["stdout"].StringValue(); got != "again" {
		t.Errorf("update without update command: stdout %q", got)
	}
}

func TestDeleteRunsTheRecordedDeleteCommand(t *testing.T) {
	p, dir := &provider{}, t.TempDir()
	file := filepath.Join(dir, "out", "file.yaml")
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: checked(t, p, fileCommand(t, dir, "a: 1\n"))})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, file); got != "a: 1\n" {
		t.Fatalf("create wrote %q", got)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Id: created.GetId(), Properties: created.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("delete left the file: %v", err)
	}
}

// A content change of a delivered file: Diff asks for a replacement (triggers), and with the component's
// deleteBeforeReplace the engine deletes the old command before creating the new one, so the file ends up
// with the new content. Created first (the engine's default order), the old delete would remove the new file.
func TestContentChangeReplacesAndDeleteBeforeReplaceKeepsTheNewFile(t *testing.T) {
	p, dir := &provider{}, t.TempDir()
	file := filepath.Join(dir, "out", "file.yaml")
	old, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: checked(t, p, fileCommand(t, dir, "a: 1\n"))})
	if err != nil {
		t.Fatal(err)
	}
	news := checked(t, p, fileCommand(t, dir, "a: 2\n"))
	diff, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Id: old.GetId(), Olds: old.GetProperties(), News: news})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(diff.GetReplaces(), ",") != "triggers" {
		t.Fatalf("diff %v replaces %v, want a replacement for triggers", diff.GetChanges(), diff.GetReplaces())
	}
	if k := diff.GetDetailedDiff()["triggers"].GetKind(); k != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("triggers diff kind %v", k)
	}
	if k := diff.GetDetailedDiff()["stdin"].GetKind(); k != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("stdin diff kind %v", k)
	}

	// deleteBeforeReplace: delete the old, then create the new.
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Id: old.GetId(), Properties: old.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: news}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, file); got != "a: 2\n" {
		t.Errorf("after delete-before-replace the file holds %q, want the new content", got)
	}

	// Create-before-delete, for contrast: the new resource writes the file, then the old one's delete removes
	// it. That is why components/repositoryFiles.ts sets deleteBeforeReplace.
	if _, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: news}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urn, Id: old.GetId(), Properties: old.GetProperties()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("create-before-delete should have lost the file: %v", err)
	}
}

func TestUnchangedInputsAndIgnoredChangesDiffToNothing(t *testing.T) {
	p, dir := &provider{}, t.TempDir()
	olds := checked(t, p, fileCommand(t, dir, "a: 1\n"))
	diff, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: olds, News: olds})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE || len(diff.GetDiffs()) != 0 {
		t.Errorf("same inputs: %v %v", diff.GetChanges(), diff.GetDiffs())
	}
	news := checked(t, p, fileCommand(t, dir, "a: 2\n"))
	diff, err = p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn, OldInputs: olds, News: news, IgnoreChanges: []string{"stdin", "triggers"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("ignored changes: %v %v", diff.GetChanges(), diff.GetDiffs())
	}
}

func TestRemoteResourcesAndUnsupportedInputsAreRefused(t *testing.T) {
	p := &provider{}
	for _, typ := range []string{"command:remote:Command", "command:remote:CopyToRemote", "command:remote:CopyFile"} {
		resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{
			Urn: "urn:pulumi:s::p::" + typ + "::x", Type: typ, News: props(t, map[string]any{"create": "true"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := typ + " is not supported by this build of pulumi-resource-command (only command:local:Command)"
		if len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetReason() != want {
			t.Errorf("%s: failures %v, want %q", typ, resp.GetFailures(), want)
		}
	}
	// The type from the URN when the engine leaves Type empty.
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: "urn:pulumi:s::p::command:remote:Command::x", News: props(t, map[string]any{"create": "true"}),
	})
	if err != nil || len(resp.GetFailures()) != 1 {
		t.Errorf("remote type from the URN: %v %v", resp.GetFailures(), err)
	}
	resp, err = p.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn, Type: commandType, News: props(t, map[string]any{"create": "true", "assetPaths": []any{"*"}}),
	})
	if err != nil || len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "assetPaths" {
		t.Errorf("assetPaths: %v %v", resp.GetFailures(), err)
	}
	if _, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "command:remote:run"}); err == nil ||
		!strings.Contains(err.Error(), "command:remote:run is not supported") {
		t.Errorf("invoke of a remote function: %v", err)
	}
}

func TestCheckFillsUpstreamDefaults(t *testing.T) {
	in := state(t, checked(t, &provider{}, map[string]any{"create": "true"}))
	if !in["addPreviousOutputInEnv"].BoolValue() || in["logging"].StringValue() != "stdoutAndStderr" {
		t.Errorf("defaults: %v", in)
	}
}

func TestSecretInputsMakeSecretOutputs(t *testing.T) {
	p := &provider{}
	news := resource.NewPropertyMapFromMap(map[string]any{"create": `printf '%s' "$TOKEN"`})
	news["environment"] = resource.MakeSecret(resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{"TOKEN": "s3cret"})))
	s, err := marshal(news)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: s})
	if err != nil {
		t.Fatal(err)
	}
	out := state(t, resp.GetProperties())
	if !out["stdout"].IsSecret() || out["stdout"].SecretValue().Element.StringValue() != "s3cret" {
		t.Errorf("stdout should be a secret holding the token: %v", out["stdout"])
	}
}

func TestAFailingCommandFailsWithItsOutput(t *testing.T) {
	p := &provider{}
	_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: urn, Properties: checked(t, p, map[string]any{"create": "echo partial; echo broken >&2; exit 3"}),
	})
	if err == nil || !strings.Contains(err.Error(), "exit status 3") ||
		!strings.Contains(err.Error(), "Stdout:\npartial") || !strings.Contains(err.Error(), "Stderr:\nbroken") {
		t.Errorf("error %v", err)
	}
}

func TestLocalRunInvoke(t *testing.T) {
	resp, err := (&provider{}).Invoke(context.Background(), &pulumirpc.InvokeRequest{
		Tok: "command:local:run", Args: props(t, map[string]any{"command": "echo ran", "interpreter": []any{"/bin/bash", "-c"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, resp.GetReturn())["stdout"].StringValue(); got != "ran" {
		t.Errorf("stdout %q", got)
	}
}
