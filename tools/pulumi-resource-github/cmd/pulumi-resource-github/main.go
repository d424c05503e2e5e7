// pulumi-resource-github: the Pulumi resource plugin serving the bridged Terraform provider, with the schema
// that pulumi-tfgen-github generated (schema-embed.json, written by scripts/setup-pulumi.sh before the build).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"promotion-pipeline/tools/pulumi-resource-github/provider"
)

//go:embed schema-embed.json
var schema []byte

func main() {
	tfbridge.Main("github", provider.Version, provider.Info(), schema)
}
