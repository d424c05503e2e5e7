//go:build tools

// Package tools pins the Pulumi CLI so that `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`
// from this module resolves it (with pkg/v3's replace directives repeated in go.mod).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
