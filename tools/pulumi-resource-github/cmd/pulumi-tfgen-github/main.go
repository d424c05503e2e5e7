// pulumi-tfgen-github writes the Pulumi schema (schema.json) and bridge-metadata.json of the bridged
// Terraform provider: `pulumi-tfgen-github schema --out DIR --skip-docs`. scripts/setup-pulumi.sh runs it and
// embeds its output into pulumi-resource-github.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"promotion-pipeline/tools/pulumi-resource-github/provider"
)

func main() {
	tfgen.Main("github", provider.Version, provider.Info())
}
