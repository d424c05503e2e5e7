// kube-apiserver of k8s.io/kubernetes, built from the Go module proxy for the real-controller suite.
// Only this entry point is ours; the server is upstream's app package.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
