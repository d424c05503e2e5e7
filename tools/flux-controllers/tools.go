//go:build tools

// Package tools pins the Flux controllers this module builds (go build github.com/fluxcd/<name>).
package tools

import (
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/notification-controller"
	_ "github.com/fluxcd/source-controller"
)
