// Command pulumi-resource-kubernetes serves the upstream Kubernetes provider (module
// github.com/pulumi/pulumi-kubernetes/provider/v4, pinned in go.mod). Upstream's own main embeds
// schema-embed.json and terraform-mapping-embed.json, which are generated and not part of the
// module zip; scripts/setup-pulumi.sh writes them next to this file in a scratch build directory
// (from the provider's schema.json and terraform-mapping.json in the module cache, with the schema's
// version set) before `go build`. Nothing fetched from upstream is committed here.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
