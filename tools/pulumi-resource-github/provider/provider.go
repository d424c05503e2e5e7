// Package provider is the only code of ours in the github plugin: the mapping from the Terraform provider
// github.com/integrations/terraform-provider-github/v6 to Pulumi names, bridged by pulumi-terraform-bridge the
// way pulumi-github does it. Every request to GitHub is made by the Terraform provider's own code.
//
// Names: every resource is github:index/<camelName>:<PascalName> and every data source
// github:index/get<PascalName>:get<PascalName> (tokens.SingleModule, as pulumi-github computes them), and
// properties are the bridge's camelCase of the Terraform names, which is what the @pulumi/github SDK sends
// (RepositoryFile: repository, file, content, branch, commitMessage, overwriteOnCreate, ...; provider
// configuration: token, owner, baseUrl, ...). tests/e2e/githubPlugin.test.ts checks them against the SDK.
package provider

import (
	_ "embed"

	"github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// TerraformProviderVersion is the release of terraform-provider-github this plugin bridges (go.mod pins it).
const TerraformProviderVersion = "6.13.0"

// Version is the plugin's version: the @pulumi/github npm package's (set with -ldflags -X).
var Version = "6.15.0"

// Metadata is what tfgen wrote beside the schema (bridge-metadata.json); scripts/setup-pulumi.sh generates it
// before the plugin is compiled. Empty (`{}`) for the tfgen run itself.
//
//go:embed bridge-metadata.json
var Metadata []byte

// Info is the Pulumi mapping of the Terraform provider.
func Info() tfbridge.ProviderInfo {
	p := shimv2.NewProvider(github.NewProvider(TerraformProviderVersion, "pulumi-bridge")())
	info := tfbridge.ProviderInfo{
		P:                       p,
		Name:                    "github",
		Version:                 Version,
		Description:             "GitHub resources, bridged from terraform-provider-github " + TerraformProviderVersion + ".",
		License:                 "Apache-2.0",
		GitHubOrg:               "integrations",
		TFProviderModuleVersion: "v6",
		Config: map[string]*tfbridge.SchemaInfo{
			// As pulumi-github: GITHUB_BASE_URL, then api.github.com (a GHES address is given as baseUrl).
			"base_url": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_BASE_URL"}, Value: "https://api.github.com/"}},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(Metadata),
	}
	info.MustComputeTokens(tokens.SingleModule("github_", "index", tokens.MakeStandard("github")))
	info.SetAutonaming(255, "-")
	return info
}
